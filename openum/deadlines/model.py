"""What the clock engine answers: due times with their rule, and the errors it raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from openum.deadlines.schema import LayerKind, Obligation, Outcome, StartEvent
from openum.errors import DomainError


class DueStatus(StrEnum):
    FINAL = "final"  # its start happened; only a later extension or pause can move it
    PROVISIONAL = "provisional"  # start still to come: due_at is the cap, the latest it can be
    PENDING_START = "pending_start"  # start still to come and no cap: no due time yet
    PAUSED = "paused"  # waiting for the claimant: due_at is the latest it can become


@dataclass(frozen=True)
class DueTime:
    """One obligation's due time under one layer's rule (or the effective one, with all_layers)."""

    obligation: Obligation
    outcome: Outcome | None  # None: whatever the decision is
    due_at: datetime | None  # UTC; None only while pending start
    status: DueStatus
    layer_id: str
    layer_kind: LayerKind
    rule_id: str
    rule: str  # the rule's description, e.g. the seed table's row
    clock: str  # the clock in words
    citation: str
    start: StartEvent
    met_at: datetime | None = None
    extensions: int = 0
    missed_is_adverse_determination: bool = False
    all_layers: tuple[DueTime, ...] = ()  # on effective due times: every layer's candidate

    @property
    def final(self) -> bool:
        return self.status is DueStatus.FINAL

    @property
    def on_time(self) -> bool | None:
        """Whether it was met by its due time; None while not met or without a due time."""
        if self.met_at is None or self.due_at is None:
            return None
        return self.met_at <= self.due_at


class NoClockRule(DomainError):
    """No layer of the pack has a decision clock for this line of business, kind and urgency."""

    code = "no_clock_rule"
    http_status = 422


class ExtensionRefused(DomainError):
    """A layer's rule does not allow this extension; names the layer, rule and citation."""

    code = "extension_refused"
    http_status = 409

    def __init__(self, reason: str, *, layer_id: str, rule_id: str, citation: str) -> None:
        super().__init__(
            f"extension refused by {layer_id}/{rule_id} ({citation}): {reason}",
            details=[{"layer": layer_id, "rule": rule_id, "citation": citation, "reason": reason}],
        )
        self.reason = reason
        self.layer_id = layer_id
        self.rule_id = rule_id
        self.citation = citation
