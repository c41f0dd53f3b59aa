"""The shape of a pack's appeals/*.yaml: how a plan runs reconsiderations, appeals and what follows.

The appeal *clocks* are not here: they are clock rules of kind `appeal` (and `reconsideration`) in
the pack's clocks/*.yaml layers, read by the clock engine like every other clock. This section holds
the rest of what differs by plan and line of business: whether a representative needs the member's
written consent, what happens to a late appeal, the notices with their own deadlines (acknowledgment,
refused expedite, extension), how soon an overturn must be put into effect, continuation of benefits,
the external levels (State Fair Hearing, independent medical review, the Medicare Independent Review
Entity), and which reviewer specialties count as "the same or a similar specialty".

Importing this module registers the section with the pack loader.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from openum.deadlines.schema import Span
from openum.packs.loader import register_section
from openum.packs.schema import Slug, Strict
from openum.vocabulary import RequestKind


class TimedNotice(Span):
    """A notice or act due `amount` `unit` after the event that calls for it."""

    citation: str


class StartedSpan(Span):
    """An act due `amount` `unit` after the decision (or reversal notice), or after receipt of the appeal."""

    start: Literal["decision", "appeal_received"] = Field(
        default="decision",
        description="Counted from the decision (or the notice reversing it), or from receipt of the appeal "
        "(Medicare Advantage: within the reconsideration time frame).")
    citation: str


Effectuation = StartedSpan  # how soon an overturned denial must be put into effect


class EffectuationClocks(Strict):
    standard: Effectuation
    expedited: Effectuation | None = Field(default=None, description="Defaults to the standard clock.")

    def for_urgency(self, urgent: bool) -> Effectuation:
        return (self.expedited or self.standard) if urgent else self.standard


class LateFilingHandling(StrEnum):
    ACCEPT_FLAGGED = "accept_flagged"  # recorded, flagged late, reviewed like any other appeal
    DISMISS = "dismiss"  # dismissed at once, with a written notice


class LateFiling(Strict):
    handling: LateFilingHandling
    good_cause_extends: bool = Field(
        default=False, description="A late appeal with a stated good cause is accepted (flagged).")
    citation: str


class Consent(Strict):
    """Who needs the member's written consent to appeal on the member's behalf."""

    provider: bool = True
    representative: bool = True
    waived_for_expedited_provider: bool = Field(
        default=False, description="A treating provider asking for an expedited appeal needs none.")
    citation: str


class Continuation(Strict):
    """Benefits continue during the appeal when asked for in time (42 CFR 438.420)."""

    applies_to: list[RequestKind] = Field(
        default=[RequestKind.CONCURRENT],
        description="Kinds of request whose denial ends or reduces a service already authorized.")
    citation: str


class ExternalKind(StrEnum):
    STATE_FAIR_HEARING = "state_fair_hearing"
    INDEPENDENT_MEDICAL_REVIEW = "independent_medical_review"
    EXTERNAL_REVIEW = "external_review"
    INDEPENDENT_REVIEW_ENTITY = "independent_review_entity"


class ExternalLevel(Strict):
    """A review outside the plan, after (or instead of waiting for) the plan's appeal decision."""

    kind: ExternalKind
    name: str
    request_within_days: int | None = Field(
        default=None, ge=1,
        description="Days from the appeal resolution notice to ask; for a State Fair Hearing, "
        "defaults to pack.yaml state_fair_hearing_days.")
    automatic_on_upheld: bool = Field(
        default=False, description="The plan forwards every upheld (or partly upheld) denial itself.")
    forward_within: StartedSpan | None = Field(default=None, description="Automatic forwarding, standard appeals.")
    forward_within_expedited: StartedSpan | None = Field(default=None, description="Defaults to forward_within.")
    requires_exhaustion: bool = True
    continuation: bool = Field(default=False, description="Benefits may continue if asked in time.")
    effectuation: EffectuationClocks | None = Field(
        default=None, description="Putting a reversal into effect, from the reversal notice.")
    citation: str

    @model_validator(mode="after")
    def _forwarding(self) -> ExternalLevel:
        if self.automatic_on_upheld and self.forward_within is None:
            raise ValueError("an automatic level needs forward_within")
        return self


class AppealLine(Strict):
    """Appeal handling for one line of business (filing days come from pack.yaml)."""

    id: Slug
    consent: Consent
    late_filing: LateFiling
    practitioner_expedite_binding: bool = Field(
        default=True,
        description="A treating practitioner's statement that the standard time frame could seriously "
        "jeopardize the member's health makes the appeal expedited; only a member's own request may be refused.")
    expedite_citation: str | None = None
    acknowledgment: TimedNotice | None = Field(default=None, description="From receipt of the appeal.")
    expedite_refusal_notice: TimedNotice | None = Field(
        default=None, description="Written notice of a refused expedite, from the refusal.")
    extension_notice: TimedNotice | None = Field(
        default=None, description="Written notice of the reason for an extension, from the extension.")
    effectuation: EffectuationClocks | None = None
    continuation: Continuation | None = None
    deemed_exhaustion_citation: str | None = Field(
        default=None, description="An appeal not decided in time counts as exhausted: the external "
        "levels open without waiting.")
    external: list[ExternalLevel] = []

    def level(self, kind: ExternalKind | str) -> ExternalLevel | None:
        return next((lv for lv in self.external if lv.kind == kind), None)


class ReconsiderationPolicy(Strict):
    """Seed 004: an informal peer review offered to providers; not an appeal, never required first."""

    offered: bool = False
    kinds: list[RequestKind] = [RequestKind.PRE_SERVICE, RequestKind.CONCURRENT]
    citation: str | None = None


class Specialties(Strict):
    """What "the same or a similar specialty" means for upholding a medical-necessity denial.

    A service's specialties are by_code[code] if listed, else by_category[its category]. A reviewer
    qualifies when their specialty is one of them, or shares a `similar` group with one of them.
    A service with no specialty listed needs only a physician with some specialty on file.
    """

    by_category: dict[Slug, list[Slug]] = {}
    by_code: dict[str, list[Slug]] = {}
    similar: list[list[Slug]] = []

    def for_service(self, code: str, category: str | None) -> set[str]:
        listed = self.by_code.get(code.strip().upper())
        if listed is None and category is not None:
            listed = self.by_category.get(category)
        return set(listed or [])

    def similar_to(self, specialty: str) -> set[str]:
        out = {specialty}
        for group in self.similar:
            if specialty in group:
                out |= set(group)
        return out


class AppealsFile(Strict):
    """appeals/appeals.yaml."""

    reconsideration: ReconsiderationPolicy = ReconsiderationPolicy()
    specialties: Specialties = Specialties()
    lines_of_business: list[AppealLine] = []

    def line(self, lob_id: str) -> AppealLine | None:
        return next((ln for ln in self.lines_of_business if ln.id == lob_id), None)

    @staticmethod
    def cross_check(
        parsed: BaseModel, manifest: BaseModel, catalog: BaseModel, folder: object = None
    ) -> list[tuple[str, str]]:
        """Lines of business and service categories named here must exist in the pack."""
        assert isinstance(parsed, AppealsFile)
        lobs = {lob.id for lob in manifest.lines_of_business}  # type: ignore[attr-defined]
        cats = {c.id for c in catalog.categories}  # type: ignore[attr-defined]
        problems = [(f"lines_of_business[{i}].id", f"unknown line of business {ln.id!r}; pack.yaml "
                     f"defines {sorted(lobs)}") for i, ln in enumerate(parsed.lines_of_business) if ln.id not in lobs]
        problems += [(f"specialties.by_category.{c}", f"unknown service category {c!r}")
                     for c in parsed.specialties.by_category if c not in cats]
        return problems


register_section("appeals", AppealsFile)
