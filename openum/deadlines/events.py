"""What happened to a request that moves, starts or meets its clocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from openum.deadlines.arithmetic import utc
from openum.deadlines.schema import Outcome, Party
from openum.errors import DomainError
from openum.vocabulary import Urgency


class InvalidClockEvents(DomainError):
    """The event history cannot have happened (out of order, before receipt, two decisions)."""

    code = "invalid_clock_events"
    http_status = 422


@dataclass(frozen=True)
class InformationRequested:
    """The plan asked for information it needs to decide (the request is pended)."""

    at: datetime
    requested_from: Party = Party.PROVIDER
    what: str = ""


@dataclass(frozen=True)
class InformationReceived:
    """The information asked for arrived; the request is now complete."""

    at: datetime


@dataclass(frozen=True)
class ExtensionTaken:
    """The plan extended the decision deadline; `at` is when the extension notice went out."""

    at: datetime
    reason: str
    requested_by: Party
    until: datetime | None = None  # a shorter extension than the rule allows


@dataclass(frozen=True)
class UrgencyChanged:
    """The request was reclassified (an expedite granted, or refused and re-queued as standard)."""

    at: datetime
    urgency: Urgency
    reason: str = ""


@dataclass(frozen=True)
class DecisionMade:
    at: datetime
    outcome: Outcome


@dataclass(frozen=True)
class ProviderVerbalNoticeSent:
    at: datetime


@dataclass(frozen=True)
class WrittenNoticeSent:
    at: datetime
    recipient: Party  # member or provider


ClockEvent = (
    InformationRequested
    | InformationReceived
    | ExtensionTaken
    | UrgencyChanged
    | DecisionMade
    | ProviderVerbalNoticeSent
    | WrittenNoticeSent
)


@dataclass(frozen=True)
class Timeline:
    """A request's receipt, urgency at receipt and validated, time-ordered events."""

    received_at: datetime
    initial_urgency: Urgency
    events: tuple[ClockEvent, ...]

    @classmethod
    def build(
        cls,
        received_at: datetime,
        urgency: Urgency,
        events: tuple[ClockEvent, ...] | list[ClockEvent],
    ) -> Timeline:
        received = utc(received_at)
        last = received
        for i, ev in enumerate(events):
            if ev.at.tzinfo is None:
                raise InvalidClockEvents(f"event {i} ({type(ev).__name__}) has a naive datetime")
            at = utc(ev.at)
            if at < received:
                raise InvalidClockEvents(f"event {i} ({type(ev).__name__}) is before receipt")
            if at < last:
                raise InvalidClockEvents(f"event {i} ({type(ev).__name__}) is out of time order")
            last = at
        if sum(isinstance(e, DecisionMade) for e in events) > 1:
            raise InvalidClockEvents("a request has at most one decision")
        return cls(received, Urgency(urgency), tuple(events))

    def before(self, at: datetime) -> Timeline:
        """The same request as it stood just before `at`."""
        return Timeline(
            self.received_at, self.initial_urgency, tuple(e for e in self.events if e.at < at)
        )

    @property
    def urgency(self) -> Urgency:
        changes = [e for e in self.events if isinstance(e, UrgencyChanged)]
        return changes[-1].urgency if changes else self.initial_urgency

    @property
    def last_upgrade(self) -> UrgencyChanged | None:
        """The last reclassification, if it made the request urgent (a downgrade keeps receipt)."""
        changes = [e for e in self.events if isinstance(e, UrgencyChanged)]
        if not changes or changes[-1].urgency is not Urgency.URGENT:
            return None
        prior = self.before(changes[-1].at).urgency
        return changes[-1] if prior is not Urgency.URGENT else None

    @property
    def decision(self) -> DecisionMade | None:
        return next((e for e in self.events if isinstance(e, DecisionMade)), None)

    @property
    def verbal_notice(self) -> ProviderVerbalNoticeSent | None:
        return next((e for e in self.events if isinstance(e, ProviderVerbalNoticeSent)), None)

    def written_notice(self, recipient: Party) -> WrittenNoticeSent | None:
        return next(
            (
                e
                for e in self.events
                if isinstance(e, WrittenNoticeSent) and e.recipient is recipient
            ),
            None,
        )

    def information_complete_at(self) -> datetime | None:
        """Receipt if nothing was ever asked for; else the first answer after the last request."""
        last_request = max(
            (i for i, e in enumerate(self.events) if isinstance(e, InformationRequested)),
            default=None,
        )
        if last_request is None:
            return self.received_at
        answer = next(
            (e for e in self.events[last_request:] if isinstance(e, InformationReceived)), None
        )
        return utc(answer.at) if answer else None

    def response_to(self, index: int) -> datetime | None:
        """When the information asked for by the request at events[index] arrived, if it has."""
        answer = next((e for e in self.events[index:] if isinstance(e, InformationReceived)), None)
        return utc(answer.at) if answer else None
