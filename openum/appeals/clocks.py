"""An appeal's due times: the clock engine's for the decision and its notices, plus the appeal's
own obligations (acknowledgment, refused-expedite and extension notices, effectuation, forwarding).

The engine is asked exactly as for a request, with the appeal as the request: kind `appeal` or
`reconsideration`, the urgency asked for at filing (a refused expedite is an UrgencyChanged event,
so the standard clock still counts from receipt), extensions, the decision and the first delivery
of each resolution notice. Payment (post-service) appeals pass service_class `post_service`.
Obligations the clock files do not describe are spans in appeals/appeals.yaml counted with the same
arithmetic (openum.deadlines.arithmetic.due_after): hours are real elapsed hours, days end at the
last instant of the plan-local day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from openum.deadlines import engine
from openum.deadlines.arithmetic import due_after
from openum.deadlines.events import (
    ClockEvent,
    DecisionMade,
    ExtensionTaken,
    ProviderVerbalNoticeSent,
    UrgencyChanged,
    WrittenNoticeSent,
)
from openum.deadlines.model import NoClockRule
from openum.deadlines.schema import Outcome, Party, Span
from openum.vocabulary import RequestKind, Urgency

# Notice obligations recorded on an appeal's resolution notices, and what the engine calls them.
RESOLUTION_NOTICES = {
    "appeal": {"provider_verbal": "appeal_provider_verbal", "provider_written": "appeal_provider_written",
               "member_written": "appeal_member_written"},
    "reconsideration": {"provider_verbal": "recon_provider_verbal", "provider_written": "recon_provider_written",
                        "member_written": "recon_member_written"},
}


@dataclass(frozen=True)
class CaseDue:
    """One obligation of an appeal, its due time and the rule behind it."""

    obligation: str
    due_at: datetime | None
    citation: str
    outcome: str = "any"
    status: str = "final"
    rule: str | None = None
    clock: str | None = None
    layer_id: str | None = None
    rule_id: str | None = None
    met_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.obligation, self.outcome


@dataclass(frozen=True)
class AppealTimeline:
    """What happened to an appeal that the engine counts."""

    level: str
    line_of_business: str
    received_at: datetime
    initial_urgency: Urgency
    service_class: str | None
    urgency_changes: tuple[tuple[datetime, Urgency, str], ...] = ()
    extensions: tuple[tuple[datetime, str, Party], ...] = ()
    decided: tuple[datetime, str] | None = None  # (at, outcome)
    delivered: tuple[tuple[datetime, str], ...] = ()  # (at, engine obligation) of resolution notices


def _events(t: AppealTimeline) -> list[ClockEvent]:
    out: list[ClockEvent] = [UrgencyChanged(at, u, why) for at, u, why in t.urgency_changes]
    out += [ExtensionTaken(at, why, who) for at, why, who in t.extensions]
    if t.decided is not None:
        at, outcome = t.decided
        out.append(DecisionMade(at, Outcome.APPROVAL if outcome == "overturned" else Outcome.DENIAL))
        for when, obligation in sorted(t.delivered):
            if when < at:
                continue
            if obligation == "provider_verbal":
                out.append(ProviderVerbalNoticeSent(when))
            else:
                out.append(WrittenNoticeSent(when, Party.MEMBER if obligation == "member_written" else Party.PROVIDER))
    return sorted(out, key=lambda e: e.at)


def engine_due(pack: engine.ClockPack, t: AppealTimeline, extra: Iterable[ClockEvent] = ()) -> list[CaseDue]:
    """The clock engine's due times for the appeal (empty when the pack has no rule for it).

    Raises ExtensionRefused (naming the layer and rule) when an extension is not allowed.
    """
    kind = RequestKind.RECONSIDERATION if t.level == "reconsideration" else RequestKind.APPEAL
    events = sorted([*_events(t), *extra], key=lambda e: e.at)
    try:
        due = engine.due_times(pack=pack, line_of_business=t.line_of_business, kind=kind,
                               urgency=t.initial_urgency, received_at=t.received_at, events=events,
                               service_class=t.service_class)
    except NoClockRule:
        return []
    return [CaseDue(obligation=d.obligation.value, outcome=d.outcome.value if d.outcome else "any",
                    due_at=d.due_at, status=d.status.value, citation=d.citation, rule=d.rule, clock=d.clock,
                    layer_id=d.layer_id, rule_id=d.rule_id, met_at=d.met_at) for d in due]


def span_due(pack: engine.ClockPack, start: datetime, span: Span) -> datetime:
    """`span` after `start`, counted like the clock engine counts."""
    return due_after(start, span, pack.calendar)


def words(span: Span, start: str) -> str:
    return f"{span.words()} from {start}"
