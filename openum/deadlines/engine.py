"""Due times for a UM request: every layer's clocks, the earliest per obligation, and a preview.

What the words in a clock table mean as instants (this is what the golden tests check):

* "within N hours" of an event: exactly N real hours after the event's instant. 72 hours across
  a DST change is still 72 hours of elapsed time, so the wall-clock time shifts by an hour.
* "within N calendar days" of an event: the event's date on the plan's wall calendar (its
  pack time zone) is day 0; the due time is the last instant of day N there (23:59:59.999999
  local), because regulators and NCQA file reviews audit day clocks by date, not by hour.
* "within N business days": the same, counting only the plan's business days (its weekend and
  holiday calendar); an event on a non-business day makes the next business day day 1.
* A rule may say end_of_business_day: then a day clock ends at the plan's closing time instead.
* A clock met at exactly its due instant is on time (met_at <= due_at).
* Caps ("never later than 14 calendar days after receipt") and extension limits are counted from
  receipt with the same rules. "Lesser of" alternatives are counted from the same start and the
  earliest wins.
* after_hours_starts_next_business_day: a request received outside business hours counts, for
  that rule, as received when the plan next opens (seed 001, non-urgent requests).
* Information complete: receipt when nothing was ever asked for (a valid request is complete);
  otherwise the first InformationReceived after the last InformationRequested.
* Extensions (ExtensionTaken): allowed only within the rule's count, by a permitted party, and
  noticed no later than the deadline then in force; each one moves the decision deadline to the
  earliest of (deadline + `each`), (receipt + `total_cap`) and the `until` asked for. Every
  applicable layer must allow it, else ExtensionRefused names the refusing rule. Receipt-anchored
  notices and caps of the same rule move with the decision (never earlier than they were).
* Pauses (ERISA tolling): an InformationRequested stops a layer's decision clock only if that
  layer's rule has a pause rule (Medicaid and Medicare layers extend instead); the clock restarts
  at the earlier of the answer and the end of the claimant's window. Day clocks are tolled by
  whole dates; while no answer has come the status is PAUSED and due_at is the latest it can be.
* UrgencyChanged: the rule for the new urgency applies; a downgrade (expedite refused) still
  counts from receipt, an upgrade counts from the change but never past a due time already owed.
* Across layers, each obligation's effective due time is the earliest known one; it is FINAL
  only when every layer's is final, since an unstarted or paused clock could still end sooner.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from openum.deadlines.arithmetic import utc
from openum.deadlines.calendar import BusinessCalendar
from openum.deadlines.events import (
    ClockEvent,
    DecisionMade,
    ExtensionTaken,
    ProviderVerbalNoticeSent,
    Timeline,
)
from openum.deadlines.layer import evaluate_layer
from openum.deadlines.model import DueStatus, DueTime, ExtensionRefused, NoClockRule
from openum.deadlines.schema import ClockFile, ClockRule, Obligation, Outcome, Party
from openum.vocabulary import RequestKind, Urgency

__all__ = [
    "ClockPack",
    "DueStatus",
    "DueTime",
    "ExtensionOption",
    "ExtensionRefused",
    "NoClockRule",
    "PauseOption",
    "Preview",
    "adverse_determination_at",
    "clock_layers",
    "due_times",
    "effective",
    "find",
    "preview",
]


class ClockPack(Protocol):
    """What the engine needs of a pack: its business calendar and its parsed sections."""

    @property
    def calendar(self) -> BusinessCalendar: ...

    @property
    def sections(self) -> Mapping[str, Mapping[str, Any]]: ...


def clock_layers(pack: ClockPack, line_of_business: str) -> list[ClockFile]:
    """The pack's clock layers governing a line of business, in file-name order."""
    files = pack.sections.get("clocks", {})
    return [f for _, f in sorted(files.items()) if line_of_business in f.lines_of_business]


def due_times(
    *,
    pack: ClockPack,
    line_of_business: str,
    kind: RequestKind | str,
    urgency: Urgency | str,
    received_at: datetime,
    events: Sequence[ClockEvent] = (),
    service_class: str | None = None,
) -> list[DueTime]:
    """The effective due time of every obligation; every layer's candidate is in all_layers."""
    timeline = Timeline.build(received_at, Urgency(urgency), tuple(events))
    candidates = [
        d
        for layer in clock_layers(pack, line_of_business)
        for d in evaluate_layer(layer, pack.calendar, RequestKind(kind), timeline, service_class)
    ]
    if not any(d.obligation is Obligation.DECISION for d in candidates):
        raise NoClockRule(
            f"no clock rule for line of business {line_of_business!r}, {RequestKind(kind).value}, "
            f"{timeline.urgency.value}"
        )
    return effective(candidates, timeline.decision.outcome if timeline.decision else None)


def effective(candidates: Iterable[DueTime], decided: Outcome | None = None) -> list[DueTime]:
    """One due time per obligation (and per outcome where a layer splits them): the earliest.

    Before the decision a split notice is listed once per outcome; a clock without an outcome
    binds both. After it (`decided`), only the decided outcome's notices remain.
    """
    by_obligation: dict[Obligation, list[DueTime]] = {}
    for d in candidates:
        by_obligation.setdefault(d.obligation, []).append(d)
    out = []
    for obligation in Obligation:
        group = by_obligation.get(obligation, [])
        if not group:
            continue
        split = {d.outcome for d in group if d.outcome is not None}
        if not split:
            out.append(_earliest(group, None))
            continue
        binds_both = any(d.outcome is None for d in group)
        outcomes = [decided] if decided else [o for o in Outcome if o in split or binds_both]
        for outcome in outcomes:
            out.append(_earliest([d for d in group if d.outcome in (None, outcome)], outcome))
    return out


def _earliest(group: list[DueTime], outcome: Outcome | None) -> DueTime:
    timed = [d for d in group if d.due_at is not None]
    best = min(timed, key=_due_key) if timed else group[0]
    status = best.status
    if timed and status is DueStatus.FINAL and any(d.status is not DueStatus.FINAL for d in group):
        status = DueStatus.PROVISIONAL  # another layer's clock has not started and could end sooner
    met = next((d.met_at for d in group if d.met_at is not None), None)
    if met is not None and best.due_at is not None:
        status = DueStatus.FINAL
    return dataclasses.replace(
        best, outcome=outcome, status=status, met_at=met, all_layers=tuple(group)
    )


def _due_key(d: DueTime) -> datetime:
    assert d.due_at is not None
    return d.due_at


def find(
    results: Iterable[DueTime], obligation: Obligation, outcome: Outcome | None = None
) -> DueTime | None:
    """The due time for an obligation: for `outcome` if given, else the first listed."""
    matches = [d for d in results if d.obligation is obligation]
    if outcome is None:
        return matches[0] if matches else None
    return next((d for d in matches if d.outcome is outcome), None) or next(
        (d for d in matches if d.outcome is None), None
    )


def adverse_determination_at(results: Iterable[DueTime]) -> datetime | None:
    """When an undecided request becomes an adverse determination by law (42 CFR 438.404(c)(5))."""
    decision = find(results, Obligation.DECISION)
    if decision is None or decision.met_at is not None:
        return None
    times = [
        d.due_at for d in decision.all_layers if d.missed_is_adverse_determination and d.due_at
    ]
    return min(times) if times else None


@dataclass(frozen=True)
class ExtensionOption:
    """How far one layer lets the decision be extended, and on what conditions."""

    layer_id: str
    rule_id: str
    max_count: int
    conditions: str
    requested_by: tuple[Party, ...]
    citation: str
    latest_decision_due: datetime | None  # with every allowed extension taken at receipt


@dataclass(frozen=True)
class PauseOption:
    """A layer whose decision clock stops while the plan waits for the claimant."""

    layer_id: str
    rule_id: str
    claimant_window: str
    counts_as_extension: bool
    citation: str


@dataclass(frozen=True)
class Preview:
    """Every due time for a hypothetical request, with citations (CLI and timeliness API)."""

    line_of_business: str
    kind: RequestKind
    urgency: Urgency
    received_at: datetime
    service_class: str | None
    due_times: list[DueTime]
    # Notices worked out as if the decision (and verbal notice) came at their latest allowed time.
    if_decided_at_deadline: dict[Outcome, list[DueTime]] = field(default_factory=dict)
    extensions: list[ExtensionOption] = field(default_factory=list)
    pauses: list[PauseOption] = field(default_factory=list)


def preview(
    *,
    pack: ClockPack,
    line_of_business: str,
    kind: RequestKind | str,
    urgency: Urgency | str,
    received_at: datetime,
    service_class: str | None = None,
) -> Preview:
    """Due times for a request received at `received_at`, plus the latest notices and extensions."""
    args: dict[str, Any] = dict(
        pack=pack,
        line_of_business=line_of_business,
        kind=kind,
        urgency=urgency,
        received_at=received_at,
        service_class=service_class,
    )
    now = due_times(**args)
    timeline = Timeline.build(received_at, Urgency(urgency), ())
    extensions, pauses = [], []
    for layer in clock_layers(pack, line_of_business):
        day = pack.calendar.local(timeline.received_at).date()
        rule = layer.rule_for(RequestKind(kind), timeline.urgency, day, service_class)
        if rule is not None and rule.extension is not None:
            extensions.append(
                _extension_option(pack, layer, rule, RequestKind(kind), timeline, service_class)
            )
        if rule is not None and rule.pause is not None:
            pause = rule.pause
            pauses.append(
                PauseOption(
                    layer.id,
                    rule.id,
                    pause.claimant_max.words(),
                    pause.counts_as_extension,
                    layer.cite(pause.citation),
                )
            )
    return Preview(
        line_of_business,
        RequestKind(kind),
        Urgency(urgency),
        utc(received_at),
        service_class,
        now,
        _decided_at_deadline(args, now),
        extensions,
        pauses,
    )


def _decided_at_deadline(args: dict[str, Any], now: list[DueTime]) -> dict[Outcome, list[DueTime]]:
    """Due times if the decision, then the verbal notice, happen at their latest allowed instant."""
    decision = find(now, Obligation.DECISION)
    if decision is None or decision.due_at is None:
        return {}
    out = {}
    for outcome in Outcome:
        events: list[ClockEvent] = [DecisionMade(decision.due_at, outcome)]
        verbal = find(due_times(**args, events=events), Obligation.PROVIDER_VERBAL, outcome)
        if verbal is not None and verbal.due_at is not None:
            events.append(ProviderVerbalNoticeSent(max(verbal.due_at, decision.due_at)))
        out[outcome] = due_times(**args, events=events)
    return out


def _extension_option(
    pack: ClockPack,
    layer: ClockFile,
    rule: ClockRule,
    kind: RequestKind,
    timeline: Timeline,
    service_class: str | None,
) -> ExtensionOption:
    """The layer's extension terms, and its decision deadline with every extension taken."""
    ext = rule.extension
    assert ext is not None
    asks: list[ClockEvent] = [
        ExtensionTaken(timeline.received_at, "preview", ext.requested_by[0])
    ] * ext.max_count
    extended = Timeline.build(timeline.received_at, timeline.initial_urgency, asks)
    try:
        latest = find(
            evaluate_layer(layer, pack.calendar, kind, extended, service_class), Obligation.DECISION
        )
    except ExtensionRefused:
        latest = None
    return ExtensionOption(
        layer.id,
        rule.id,
        ext.max_count,
        ext.conditions,
        tuple(ext.requested_by),
        layer.cite(ext.citation),
        latest.due_at if latest else None,
    )
