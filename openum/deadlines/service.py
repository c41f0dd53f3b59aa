"""Due times of stored requests: rebuilt from the request's events, kept as deadline rows."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.deadlines import engine
from openum.deadlines.events import (
    ClockEvent,
    DecisionMade,
    ExtensionTaken,
    InformationReceived,
    InformationRequested,
    ProviderVerbalNoticeSent,
    UrgencyChanged,
    WrittenNoticeSent,
)
from openum.deadlines.model import DueStatus, DueTime, NoClockRule
from openum.deadlines.models import Deadline
from openum.deadlines.schema import Outcome, Party
from openum.intake.models import AuthorizationRequest
from openum.intake.schemas import DueTimeOut
from openum.intake.status import Status
from openum.intake.views import effective_received_at
from openum.packs.loader import PlanPack
from openum.packs.registry import PackRegistry
from openum.vocabulary import Urgency

_DECIDED = {Status.APPROVED.value: Outcome.APPROVAL, Status.PARTIALLY_APPROVED.value: Outcome.DENIAL,
            Status.DENIED.value: Outcome.DENIAL}
_PENDED = Status.PENDED_FOR_INFORMATION.value
# Closed (no authorization needed, carved out, delegated), withdrawn or voided: nothing is owed.
_ENDED_WITHOUT_DECISION = {Status.CLOSED.value, Status.WITHDRAWN.value, Status.VOIDED.value}


def clock_events(req: AuthorizationRequest) -> list[ClockEvent]:
    """The request's history as the events the clock engine understands."""
    out: list[ClockEvent] = []
    decided = False
    for e in req.events:
        if e.type == "status_changed":
            if e.to_status == _PENDED:
                out.append(InformationRequested(at=e.at, what=e.reason or ""))
            elif e.from_status == _PENDED and e.to_status not in _DECIDED:
                out.append(InformationReceived(at=e.at))
            if e.to_status in _DECIDED and not decided:
                decided = True  # later changes (an appeal overturn) do not re-decide the request
                out.append(DecisionMade(at=e.at, outcome=_DECIDED[e.to_status]))
        elif e.type == "extension_taken":
            until = e.data.get("until")
            out.append(ExtensionTaken(at=e.at, reason=e.reason or "",
                                      requested_by=Party(str(e.data.get("requested_by", "plan"))),
                                      until=datetime.fromisoformat(str(until)) if until else None))
        elif e.type == "urgency_changed":
            out.append(UrgencyChanged(at=e.at, urgency=Urgency(str(e.data["urgency"])), reason=e.reason or ""))
        elif e.type == "notice_sent":
            if e.data.get("kind") == "provider_verbal":
                out.append(ProviderVerbalNoticeSent(at=e.at))
            elif e.data.get("kind") in ("member_written", "provider_written"):
                recipient = Party.MEMBER if e.data["kind"] == "member_written" else Party.PROVIDER
                out.append(WrittenNoticeSent(at=e.at, recipient=recipient))
    return out


def initial_urgency(req: AuthorizationRequest) -> Urgency:
    """Urgency at receipt: later changes are events."""
    changes = [e for e in req.events if e.type == "urgency_changed"]
    return Urgency(str(changes[0].data["from"])) if changes else Urgency(req.urgency)


def pack_for(registry: PackRegistry, req: AuthorizationRequest) -> PlanPack:
    return registry.version(req.plan_id, req.pack_version)


def compute(registry: PackRegistry, req: AuthorizationRequest) -> list[DueTime]:
    """Every effective due time of the request, from its receipt and events."""
    try:
        return engine.due_times(
            pack=pack_for(registry, req), line_of_business=req.line_of_business, kind=req.kind,
            urgency=initial_urgency(req), received_at=effective_received_at(req),
            events=clock_events(req),
        )
    except NoClockRule:
        return []


def to_out(due: list[DueTime], now: datetime | None = None) -> list[DueTimeOut]:
    """Due times as the API shows them, with whether each was met, is open or was missed."""
    out = []
    for d in due:
        if d.met_at is not None:
            state = "met" if d.on_time else "met_late"
        elif d.due_at is not None and now is not None and now > d.due_at:
            state = "overdue"
        else:
            state = d.status.value
        out.append(DueTimeOut(obligation=d.obligation.value + (f":{d.outcome.value}" if d.outcome else ""),
                              due_at=d.due_at, layer=d.layer_id, citation=d.citation, rule=d.rule,
                              status=state))
    return out


def _next_check(row: Deadline, fractions: list[float]) -> datetime | None:
    if row.state != "open" or row.due_at is None:
        return None
    span = row.due_at - row.clock_started_at
    for i, f in enumerate(fractions, start=1):
        if i > row.escalation_level:
            return row.clock_started_at + span * f
    return row.due_at + timedelta(microseconds=1)


def refresh(session: Session, *, registry: PackRegistry, req: AuthorizationRequest) -> list[DueTime]:
    """Recompute the request's due times and bring its deadline rows in line with them."""
    due = compute(registry, req)
    fractions = pack_for(registry, req).manifest.timeliness.escalation_fractions
    rows = {(r.obligation, r.outcome): r for r in session.scalars(
        select(Deadline).where(Deadline.request_pk == req.id))} if req.id else {}
    seen = set()
    started = effective_received_at(req)
    for d in due:
        key = (d.obligation.value, d.outcome.value if d.outcome else "any")
        seen.add(key)
        row = rows.get(key)
        if row is None:
            row = Deadline(request_pk=req.id, obligation=key[0], outcome=key[1], escalation_level=0,
                           state="open")
            session.add(row)
        row.due_at, row.due_status = d.due_at, d.status.value
        row.clock_started_at = started
        row.layer_id, row.layer_kind, row.rule_id = d.layer_id, d.layer_kind.value, d.rule_id
        row.rule, row.clock, row.citation = d.rule, d.clock, d.citation
        row.missed_is_adverse_determination = d.missed_is_adverse_determination
        row.met_at = d.met_at
        if d.met_at is not None:
            row.state = "met"
        elif row.state == "met":
            row.state = "open"
        if d.status is DueStatus.PENDING_START:
            row.next_check_at = None
        else:
            row.next_check_at = _next_check(row, fractions)
    ended_undecided = req.status in _ENDED_WITHOUT_DECISION
    for key, row in rows.items():
        if row.state == "open" and (key not in seen or ended_undecided):
            row.state, row.next_check_at = "moot", None
    for row in session.new:
        if isinstance(row, Deadline) and row.request_pk == req.id and ended_undecided and row.state == "open":
            row.state, row.next_check_at = "moot", None
    return due
