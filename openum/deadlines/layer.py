"""One layer's due times for one request: its rule's clocks, moved by pauses and extensions."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from openum.deadlines.arithmetic import due_after, local_days_between, shift_wall_days, utc
from openum.deadlines.calendar import BusinessCalendar
from openum.deadlines.events import ExtensionTaken, InformationRequested, Timeline
from openum.deadlines.model import DueStatus, DueTime, ExtensionRefused
from openum.deadlines.schema import (
    Clock,
    ClockFile,
    ClockRule,
    Obligation,
    Outcome,
    Party,
    StartEvent,
    Unit,
)
from openum.vocabulary import RequestKind

_RECEIPT_ANCHORED = (StartEvent.RECEIPT, StartEvent.INFORMATION_COMPLETE)


@dataclass
class _Decision:
    """The decision deadline in force as the events are replayed."""

    due: datetime
    status: DueStatus
    extensions: int = 0


@dataclass(frozen=True)
class _Ctx:
    layer: ClockFile
    rule: ClockRule
    cal: BusinessCalendar
    receipt: datetime  # the rule's receipt: after-hours receipts may count from the next opening
    timeline: Timeline


def evaluate_layer(
    layer: ClockFile,
    cal: BusinessCalendar,
    kind: RequestKind,
    timeline: Timeline,
    service_class: str | None = None,
) -> list[DueTime]:
    """Every due time this layer sets for the request; empty if the layer has no rule for it."""
    day = cal.local(timeline.received_at).date()
    rule = layer.rule_for(kind, timeline.urgency, day, service_class)
    if rule is None:
        return []
    upgrade = timeline.last_upgrade
    out = _evaluate(layer, rule, cal, upgrade.at if upgrade else timeline.received_at, timeline)
    if upgrade is not None:
        # An expedite granted later runs from that moment, but never past what was already owed.
        earlier = timeline.before(upgrade.at)
        old = layer.rule_for(kind, earlier.urgency, day, service_class)
        if old is not None:
            out = _bounded(out, _evaluate(layer, old, cal, timeline.received_at, earlier))
    return out


def _bounded(new: list[DueTime], old: list[DueTime]) -> list[DueTime]:
    """Receipt-anchored due times of `new`, each no later than the same one under `old`."""
    out = []
    for d in new:
        prior = next(
            (
                o
                for o in old
                if (o.obligation, o.outcome) == (d.obligation, d.outcome)
                and o.start in _RECEIPT_ANCHORED
                and o.due_at is not None
            ),
            None,
        )
        if (
            d.start in _RECEIPT_ANCHORED
            and prior is not None
            and prior.due_at is not None
            and (d.due_at is None or prior.due_at < d.due_at)
        ):
            d = dataclasses.replace(
                prior, met_at=d.met_at, status=d.status if d.met_at else prior.status
            )
        out.append(d)
    return out


def _evaluate(
    layer: ClockFile, rule: ClockRule, cal: BusinessCalendar, anchor: datetime, timeline: Timeline
) -> list[DueTime]:
    receipt = utc(anchor)
    if rule.after_hours_starts_next_business_day and not cal.is_business_hours(receipt):
        receipt = utc(cal.next_opening(receipt))
    ctx = _Ctx(layer, rule, cal, receipt, timeline)
    decision = timeline.decision
    verbal = timeline.verbal_notice
    info = timeline.information_complete_at()
    anchors: dict[StartEvent, datetime | None] = {
        StartEvent.RECEIPT: receipt,
        StartEvent.INFORMATION_COMPLETE: max(info, receipt) if info else None,
        StartEvent.DECISION: utc(decision.at) if decision else None,
        StartEvent.PROVIDER_VERBAL_NOTICE: utc(verbal.at) if verbal else None,
    }
    base, started = _clock_due(rule.decision, anchors, receipt, cal)
    assert base is not None  # the schema requires a cap when the decision waits for information
    state = _Decision(base, DueStatus.FINAL if started else DueStatus.PROVISIONAL)
    _replay(ctx, state)
    moved = state.due > base

    out = [
        _due_time(
            ctx,
            Obligation.DECISION,
            None,
            rule.decision,
            state.due,
            state.status,
            utc(decision.at) if decision else None,
            state.extensions,
        )
    ]
    if rule.review is not None:
        due, _ = _clock_due(rule.review, anchors, receipt, cal)
        out.append(_due_time(ctx, Obligation.REVIEW, None, rule.review, due, DueStatus.FINAL, None))
    for obligation, outcome, clock in rule.notices():
        if decision is not None and outcome not in (None, decision.outcome):
            continue
        # Extensions and pauses carry the receipt-anchored notices with the decision.
        due, started = _clock_due(clock, anchors, receipt, cal, floor=state.due if moved else None)
        status = (
            DueStatus.FINAL
            if started
            else DueStatus.PROVISIONAL
            if due
            else DueStatus.PENDING_START
        )
        if moved and state.status is DueStatus.PAUSED and clock.start in _RECEIPT_ANCHORED:
            status = DueStatus.PAUSED
        out.append(
            _due_time(ctx, obligation, outcome, clock, due, status, _met(timeline, obligation))
        )
    return out


def _clock_due(
    clock: Clock,
    anchors: dict[StartEvent, datetime | None],
    receipt: datetime,
    cal: BusinessCalendar,
    floor: datetime | None = None,
) -> tuple[datetime | None, bool]:
    """(due time, whether its start happened); before the start the cap is the only bound."""
    cap = due_after(receipt, clock.cap, cal) if clock.cap else None
    if cap is not None and floor is not None:
        cap = max(cap, floor)
    start = anchors[clock.start]
    if start is None:
        return cap, False
    due = min(
        due_after(start, s, cal, end_of_business_day=clock.end_of_business_day)
        for s in (clock, *clock.lesser_of)
    )
    if floor is not None and clock.start in _RECEIPT_ANCHORED:
        due = max(due, floor)
    return (min(due, cap) if cap is not None else due), True


def _replay(ctx: _Ctx, state: _Decision) -> None:
    """Apply extensions and pauses in the order they happened."""
    decision = ctx.timeline.decision
    for i, ev in enumerate(ctx.timeline.events):
        if isinstance(ev, ExtensionTaken):
            if decision is not None and decision.at <= ev.at:
                _refuse(ctx, "the decision was already made")
            _extend(ctx, state, ev)
        elif (
            isinstance(ev, InformationRequested)
            and ctx.rule.pause is not None
            and (decision is None or ev.at < decision.at)
        ):
            _pause(ctx, state, ev, ctx.timeline.response_to(i))


def _refuse(ctx: _Ctx, reason: str) -> None:
    ext = ctx.rule.extension
    raise ExtensionRefused(
        reason,
        layer_id=ctx.layer.id,
        rule_id=ctx.rule.id,
        citation=ctx.layer.cite(ext.citation if ext else ctx.rule.citation),
    )


def _extend(ctx: _Ctx, state: _Decision, ev: ExtensionTaken) -> None:
    ext = ctx.rule.extension
    if ext is None:
        _refuse(ctx, "this rule allows no extension")
        return
    if state.extensions >= ext.max_count:
        _refuse(
            ctx,
            f"at most {ext.max_count} extension(s) allowed and {state.extensions} already taken",
        )
    if ev.requested_by not in ext.requested_by:
        allowed = ", ".join(p.value for p in ext.requested_by)
        _refuse(
            ctx,
            f"an extension asked for by the {ev.requested_by.value} is not allowed "
            f"(only: {allowed})",
        )
    if ext.notice_before_deadline and utc(ev.at) > state.due:
        _refuse(
            ctx,
            f"the notice at {utc(ev.at).isoformat()} is after the deadline in force "
            f"{state.due.isoformat()}",
        )
    state.due = _extended(ctx, state.due, ev.until)
    state.extensions += 1


def _extended(ctx: _Ctx, due: datetime, until: datetime | None) -> datetime:
    """The deadline after one extension: `each` later, within the cap and what was asked."""
    ext = ctx.rule.extension
    assert ext is not None
    options = []
    if ext.each is not None:
        options.append(due_after(due, ext.each, ctx.cal))
    if ext.total_cap is not None:
        options.append(due_after(ctx.receipt, ext.total_cap, ctx.cal))
    new = min(options)
    if until is not None:
        new = min(new, utc(until))
    return max(due, new)


def _pause(
    ctx: _Ctx, state: _Decision, ev: InformationRequested, response: datetime | None
) -> None:
    """Stop the decision clock from the request to the answer or the claimant's deadline."""
    pause = ctx.rule.pause
    assert pause is not None
    at = utc(ev.at)
    if pause.request_within is not None and at > due_after(
        ctx.receipt, pause.request_within, ctx.cal
    ):
        return  # asked too late to stop the clock
    if at > state.due:
        return
    ext = ctx.rule.extension
    if pause.counts_as_extension and ext is not None and state.extensions >= ext.max_count:
        return  # the one tolling extension is spent
    window_end = due_after(at, pause.claimant_max, ctx.cal)
    decision = ctx.timeline.decision
    ends = [
        window_end,
        *([response] if response else []),
        *([utc(decision.at)] if decision else []),
    ]
    resume = min(ends)
    if pause.decide_within_after_response is not None:
        new = due_after(resume, pause.decide_within_after_response, ctx.cal)
    elif ctx.rule.decision.unit is Unit.HOURS:
        new = state.due + (resume - at)
    else:
        # Day clocks are tolled by whole days: from the date asked to the date answered.
        new = shift_wall_days(state.due, local_days_between(at, resume, ctx.cal), ctx.cal)
    if pause.counts_as_extension:
        new = _extended(ctx, new, None)
        state.extensions += 1
    state.due = new
    if response is None and decision is None:
        state.status = DueStatus.PAUSED


def _met(timeline: Timeline, obligation: Obligation) -> datetime | None:
    sent = {
        Obligation.PROVIDER_VERBAL: timeline.verbal_notice,
        Obligation.PROVIDER_WRITTEN: timeline.written_notice(Party.PROVIDER),
        Obligation.MEMBER_WRITTEN: timeline.written_notice(Party.MEMBER),
    }.get(obligation)
    return utc(sent.at) if sent else None


def _due_time(
    ctx: _Ctx,
    obligation: Obligation,
    outcome: Outcome | None,
    clock: Clock,
    due: datetime | None,
    status: DueStatus,
    met_at: datetime | None,
    extensions: int = 0,
) -> DueTime:
    rule = ctx.rule
    return DueTime(
        obligation=obligation,
        outcome=outcome,
        due_at=due,
        status=DueStatus.FINAL if met_at is not None and due is not None else status,
        layer_id=ctx.layer.id,
        layer_kind=ctx.layer.kind,
        rule_id=rule.id,
        rule=rule.description,
        clock=clock.words(),
        citation=ctx.layer.cite(clock.citation or rule.citation),
        start=clock.start,
        met_at=met_at,
        extensions=extensions,
        missed_is_adverse_determination=(
            obligation is Obligation.DECISION and rule.missed_deadline_is_adverse_determination
        ),
    )
