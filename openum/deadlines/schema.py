"""The shape of a pack's clocks/*.yaml files: each file is one layer of timeliness rules.

A layer is one source of obligations (federal law, state law, accreditation, contract, the plan's
own published policy). Several layers may apply to one line of business; the engine takes the
earliest due time across them. See openum/deadlines/engine.py for what the words mean in time.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from openum.packs.schema import Slug, Strict
from openum.vocabulary import RequestKind, Urgency


class Unit(StrEnum):
    HOURS = "hours"
    CALENDAR_DAYS = "calendar_days"
    BUSINESS_DAYS = "business_days"


class StartEvent(StrEnum):
    """The event a clock counts from."""

    RECEIPT = "receipt"
    INFORMATION_COMPLETE = "information_complete"
    DECISION = "decision"
    PROVIDER_VERBAL_NOTICE = "provider_verbal_notice"


class LayerKind(StrEnum):
    FEDERAL = "federal"
    STATE = "state"
    ACCREDITATION = "accreditation"
    CONTRACT = "contract"
    PLAN_POLICY = "plan_policy"


class Obligation(StrEnum):
    """Something the plan must do by a due time; the order is the order results are listed in."""

    REVIEW = "review"
    DECISION = "decision"
    PROVIDER_VERBAL = "provider_verbal"
    PROVIDER_WRITTEN = "provider_written"
    MEMBER_WRITTEN = "member_written"


class Outcome(StrEnum):
    """What a notice reports; a modification or partial approval is a denial (adverse)."""

    APPROVAL = "approval"
    DENIAL = "denial"


class Party(StrEnum):
    MEMBER = "member"
    PROVIDER = "provider"
    PLAN = "plan"


ANY = "any"
UrgencyKey = Literal["urgent", "non_urgent", "any"]

_UNIT_WORDS = {
    Unit.HOURS: "hour",
    Unit.CALENDAR_DAYS: "calendar day",
    Unit.BUSINESS_DAYS: "business day",
}
_START_WORDS = {
    StartEvent.RECEIPT: "receipt",
    StartEvent.INFORMATION_COMPLETE: "receipt of all necessary information",
    StartEvent.DECISION: "the decision",
    StartEvent.PROVIDER_VERBAL_NOTICE: "the verbal notice to the provider",
}


class Span(Strict):
    """An amount of time in one unit."""

    amount: int = Field(ge=0, le=1000)
    unit: Unit

    def words(self) -> str:
        noun = _UNIT_WORDS[self.unit]
        return f"{self.amount} {noun}{'' if self.amount == 1 else 's'}"


class Clock(Span):
    """A due time: `amount` `unit` after `start`, maybe capped or the lesser of alternatives."""

    start: StartEvent = StartEvent.RECEIPT
    cap: Span | None = Field(
        default=None, description="Never later than this, counted from receipt."
    )
    lesser_of: list[Span] = Field(
        default=[], description="Alternatives counted from the same start; the earliest applies."
    )
    end_of_business_day: bool = Field(
        default=False, description="Day clocks end at the plan's closing time, not at midnight."
    )
    citation: str | None = Field(default=None, description="Overrides the rule's citation.")

    @model_validator(mode="after")
    def _day_rounding_needs_days(self) -> Clock:
        if self.end_of_business_day and any(s.unit is Unit.HOURS for s in (self, *self.lesser_of)):
            raise ValueError("end_of_business_day only applies to calendar_days or business_days")
        return self

    def words(self) -> str:
        text = " or ".join(Span.words(s) for s in (self, *self.lesser_of))
        text += f" from {_START_WORDS[self.start]}"
        if self.lesser_of:
            text += ", whichever is earlier"
        if self.end_of_business_day:
            text += ", by close of business"
        if self.cap is not None:
            text += f", never later than {self.cap.words()} from receipt"
        return text


class Notice(Strict):
    """A notification clock: one clock for any outcome, or separate approval and denial clocks.

    In YAML write either a plain clock (amount, unit, ...) or `approval:` and/or `denial:` clocks.
    """

    any_outcome: Clock | None = None
    approval: Clock | None = None
    denial: Clock | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain_clock(cls, data: Any) -> Any:
        if isinstance(data, dict) and "amount" in data:
            return {"any_outcome": data}
        return data

    @model_validator(mode="after")
    def _one_form(self) -> Notice:
        split = self.approval is not None or self.denial is not None
        if self.any_outcome is not None and split:
            raise ValueError("give one clock, or approval/denial clocks, not both")
        if self.any_outcome is None and not split:
            raise ValueError("a notice needs a clock, or an approval and/or denial clock")
        return self

    def clocks(self) -> list[tuple[Outcome | None, Clock]]:
        if self.any_outcome is not None:
            return [(None, self.any_outcome)]
        pairs = ((Outcome.APPROVAL, self.approval), (Outcome.DENIAL, self.denial))
        return [(o, c) for o, c in pairs if c is not None]


class ExtensionRule(Strict):
    """How often and how far the decision deadline may be extended."""

    max_count: int = Field(ge=1, le=10)
    each: Span | None = Field(
        default=None, description="Added to the deadline in force, per extension."
    )
    total_cap: Span | None = Field(default=None, description="Never later than this from receipt.")
    conditions: str
    requested_by: list[Party] = Field(default=list(Party), min_length=1)
    notice_before_deadline: bool = Field(
        default=True, description="The extension notice must go out before the deadline in force."
    )
    citation: str

    @model_validator(mode="after")
    def _bounded(self) -> ExtensionRule:
        if self.each is None and self.total_cap is None:
            raise ValueError("an extension needs `each`, `total_cap` or both")
        return self


class PauseRule(Strict):
    """The decision clock stops while the plan waits for the claimant (ERISA tolling)."""

    claimant_max: Span = Field(
        description="The longest the clock stays stopped (the claimant's window)."
    )
    request_within: Span | None = Field(
        default=None,
        description="From receipt, the request must go out by then to stop the clock; "
        "if absent, before the deadline in force.",
    )
    counts_as_extension: bool = Field(
        default=False, description="The request is also the rule's extension: its `each` is added."
    )
    decide_within_after_response: Span | None = Field(
        default=None,
        description="Instead of resuming the remaining time, decide within this of the earlier "
        "of the response and the end of the claimant's window.",
    )
    citation: str


class ClockRule(Strict):
    """The clocks for some request kinds at one urgency, within one layer."""

    id: Slug
    description: str
    kinds: list[RequestKind] = Field(min_length=1)
    urgency: UrgencyKey
    service_class: Slug | None = Field(
        default=None,
        description="Applies only when the caller names this class (e.g. part_b_drug).",
    )
    in_force_from: date | None = Field(
        default=None, description="By receipt date in the plan's zone."
    )
    in_force_until: date | None = Field(
        default=None, description="Last receipt date it applies to."
    )
    citation: str
    decision: Clock
    review: Clock | None = None
    provider_verbal: Notice | None = None
    provider_written: Notice | None = None
    member_written: Notice | None = None
    after_hours_starts_next_business_day: bool = False
    extension: ExtensionRule | None = None
    pause: PauseRule | None = None
    missed_deadline_is_adverse_determination: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> ClockRule:
        if self.decision.start not in (StartEvent.RECEIPT, StartEvent.INFORMATION_COMPLETE):
            raise ValueError("decision clocks start at receipt or information_complete")
        if self.decision.start is StartEvent.INFORMATION_COMPLETE and self.decision.cap is None:
            # Without a cap an incomplete request would have no deadline at all.
            raise ValueError("a decision clock starting at information_complete needs a cap")
        if self.review is not None and self.review.start is not StartEvent.RECEIPT:
            raise ValueError("review clocks start at receipt")
        if self.provider_verbal is not None and any(
            c.start is StartEvent.PROVIDER_VERBAL_NOTICE for _, c in self.provider_verbal.clocks()
        ):
            raise ValueError("provider_verbal cannot start at the provider verbal notice")
        if self.in_force_from and self.in_force_until and self.in_force_until < self.in_force_from:
            raise ValueError("in_force_until is before in_force_from")
        if self.pause and self.pause.counts_as_extension and self.extension is None:
            raise ValueError("pause.counts_as_extension needs an extension rule")
        return self

    def notices(self) -> list[tuple[Obligation, Outcome | None, Clock]]:
        out: list[tuple[Obligation, Outcome | None, Clock]] = []
        for obligation in (
            Obligation.PROVIDER_VERBAL,
            Obligation.PROVIDER_WRITTEN,
            Obligation.MEMBER_WRITTEN,
        ):
            notice: Notice | None = getattr(self, obligation.value)
            if notice is not None:
                out.extend((obligation, outcome, clock) for outcome, clock in notice.clocks())
        return out

    def in_force(self, day: date) -> bool:
        return (self.in_force_from is None or self.in_force_from <= day) and (
            self.in_force_until is None or day <= self.in_force_until
        )

    def matches(self, kind: RequestKind, urgency: Urgency, day: date) -> bool:
        return kind in self.kinds and self.urgency in (ANY, urgency.value) and self.in_force(day)


def _overlap(a: ClockRule, b: ClockRule) -> bool:
    if a.service_class != b.service_class or not set(a.kinds) & set(b.kinds):
        return False
    if ANY not in (a.urgency, b.urgency) and a.urgency != b.urgency:
        return False
    lo = max(a.in_force_from or date.min, b.in_force_from or date.min)
    hi = min(a.in_force_until or date.max, b.in_force_until or date.max)
    return lo <= hi


class ClockFile(Strict):
    """clocks/<layer>.yaml: one layer of timeliness rules for some lines of business."""

    id: Slug
    name: str
    kind: LayerKind
    citation_base: str = Field(
        default="",
        description="Prefix joined with one space to every rule's citation, e.g. '42 CFR'.",
    )
    lines_of_business: list[Slug] = Field(
        description="Line-of-business ids this layer governs; empty for an unused library layer."
    )
    description: str | None = None
    rules: list[ClockRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _rules_do_not_collide(self) -> ClockFile:
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"rule id(s) used twice: {dupes}")
        for i, a in enumerate(self.rules):
            for b in self.rules[i + 1 :]:
                if _overlap(a, b):
                    raise ValueError(
                        f"rules {a.id!r} and {b.id!r} both apply to the same request kind, "
                        "urgency, service class and dates"
                    )
        return self

    def rule_for(
        self, kind: RequestKind, urgency: Urgency, day: date, service_class: str | None = None
    ) -> ClockRule | None:
        """The rule for this request; a service-class rule wins over the general one."""
        found = [r for r in self.rules if r.matches(kind, urgency, day)]
        if service_class is not None:
            special = [r for r in found if r.service_class == service_class]
            if special:
                return special[0]
        general = [r for r in found if r.service_class is None]
        return general[0] if general else None

    def cite(self, citation: str) -> str:
        return f"{self.citation_base} {citation}".strip()

    @staticmethod
    def cross_check(
        parsed: BaseModel, manifest: BaseModel, catalog: BaseModel, folder: object = None
    ) -> list[tuple[str, str]]:
        """Every line of business the layer names must exist in pack.yaml."""
        assert isinstance(parsed, ClockFile)
        lobs = {lob.id for lob in manifest.lines_of_business}  # type: ignore[attr-defined]
        return [
            (
                f"lines_of_business[{i}]",
                f"unknown line of business {lob!r}; pack.yaml defines {sorted(lobs)}",
            )
            for i, lob in enumerate(parsed.lines_of_business)
            if lob not in lobs
        ]
