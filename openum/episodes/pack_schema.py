"""Pack sections this package reads: admissions/, retrospective/, referrals/, network_access/.

Each is a folder of YAML files in a plan pack (registered in openum/packs/sections.py). The numbers
are the plan's, quoted from its seed document in the YAML comments; nothing here is a default a
plan would inherit silently except where a field says so.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from openum.packs.schema import Setting, Slug, Strict
from openum.vocabulary import Urgency


class AdmissionType(StrEnum):
    """How a member came to be admitted: decides whether notification is required."""

    ELECTIVE = "elective"
    EMERGENT = "emergent"
    OBSERVATION = "observation"
    SICK_NEWBORN = "sick_newborn"
    TRANSFER = "transfer"
    HOME_CARE_AFTER_HOURS = "home_care_after_hours"


class LateNotice(StrEnum):
    """What happens to a required notification received after its due time."""

    # Decided by the notification rules: provider-only administrative denial, member held harmless.
    ADMINISTRATIVE_DENIAL = "administrative_denial"
    # Flagged late and left to a reviewer, who may issue the same administrative denial.
    REVIEW = "review"


class NotificationRule(Strict):
    """Required notification of an admission (seed 004 'Required Notification', seed 001 denials)."""

    required_for: list[AdmissionType] = Field(min_length=1)
    business_days_after_admission: int = Field(
        default=1, ge=0, le=10, description="Due by the end of this many business days after admission.")
    end_of_business_day: bool = Field(
        default=False, description="Due at the plan's closing time instead of the end of the day.")
    clinical_documentation_required: bool = True
    late: LateNotice
    citation: str


class LevelOfCare(Strict):
    """A level of care an episode can be in, and the code its days (or visits, months) are asked under."""

    id: Slug
    name: str
    setting: Setting
    code: str = Field(description="Service code (services.yaml) a continued stay is requested and billed under.")
    unit: Annotated[str, Field(pattern=r"^(days|hours|visits|months)$")] = "days"
    estimated_length_of_stay: int | None = Field(
        default=None, ge=1, description="Used when no medical policy for the admission gives a day limit.")
    concurrent_urgency: Urgency = Field(
        default=Urgency.URGENT, description="Urgency of each continued-stay request at this level.")
    admission_types: list[AdmissionType] = Field(
        default=[], description="Admission types that start an episode at this level by default.")


class Program(Strict):
    id: Slug
    name: str


class QualityCategory(Strict):
    id: Slug
    name: str
    examples: list[str] = []


class AdmissionsFile(Strict):
    """admissions/*.yaml: notification, levels of care, discharge planning, quality flags."""

    notification: NotificationRule
    levels_of_care: list[LevelOfCare] = Field(min_length=1)
    discharge_needs: list[Slug] = Field(min_length=1)
    discharge_dispositions: list[Slug] = Field(min_length=1)
    care_referral_programs: list[Program] = Field(min_length=1)
    quality_flags: list[QualityCategory] = Field(min_length=1)
    quality_queue: Slug = "quality-review"
    member_liability_until_member_notified: bool = Field(
        default=True, description="Existing services continue without member liability until the "
        "member is notified of an adverse determination (seed 004 'Concurrent Review').")

    @model_validator(mode="after")
    def _unique_levels(self) -> AdmissionsFile:
        ids = [lv.id for lv in self.levels_of_care]
        if len(ids) != len(set(ids)):
            raise ValueError("a level of care is listed twice")
        return self

    def level(self, level_id: str) -> LevelOfCare | None:
        return next((lv for lv in self.levels_of_care if lv.id == level_id), None)

    def default_level(self, admission_type: AdmissionType) -> LevelOfCare | None:
        return next((lv for lv in self.levels_of_care if admission_type in lv.admission_types), None)

    @staticmethod
    def cross_check(parsed: BaseModel, manifest: BaseModel, catalog: BaseModel,
                    folder: object = None) -> list[tuple[str, str]]:
        """Every level's code must be in the service catalog."""
        assert isinstance(parsed, AdmissionsFile)
        codes = {s.code for s in catalog.services}  # type: ignore[attr-defined]
        return [(f"levels_of_care[{i}].code", f"service code {lv.code} is not in services.yaml")
                for i, lv in enumerate(parsed.levels_of_care) if lv.code.upper() not in codes]


# --- retrospective/ ---------------------------------------------------------------------------------

class WindowBasis(StrEnum):
    """The date a retrospective submission window counts from."""

    DATE_OF_SERVICE = "date_of_service"
    PRIMARY_INSURER_DENIAL = "primary_insurer_denial"
    RETROACTIVE_ELIGIBILITY = "retroactive_eligibility"


class SubmissionWindow(Strict):
    basis: WindowBasis
    amount: int = Field(ge=1, le=3650)
    unit: Annotated[str, Field(pattern=r"^(business_days|calendar_days)$")]
    citation: str


class Reason(Strict):
    id: Slug
    description: str


class RetrospectiveFile(Strict):
    """retrospective/*.yaml: when a post-service request is on time, and how long services stay reviewable."""

    submission_windows: list[SubmissionWindow] = Field(min_length=1)
    late_requests_reviewed: bool = Field(
        default=True, description="A late request is accepted, flagged late and still reviewed.")
    reviewable_months: int = Field(ge=1, le=120, description="Services may be reviewed up to this long after.")
    completion_calendar_days: int = Field(
        ge=1, le=365, description="Outer completion limit; the clocks/ rule for post_service times it.")
    reasons: list[Reason] = Field(min_length=1)
    citation: str

    @model_validator(mode="after")
    def _one_date_of_service_window(self) -> RetrospectiveFile:
        bases = [w.basis for w in self.submission_windows]
        if len(bases) != len(set(bases)):
            raise ValueError("one submission window per basis")
        if WindowBasis.DATE_OF_SERVICE not in bases:
            raise ValueError("a window counted from the date of service is required")
        return self

    def reason(self, reason_id: str) -> Reason | None:
        return next((r for r in self.reasons if r.id == reason_id), None)


# --- referrals/ -------------------------------------------------------------------------------------

class Exemption(Strict):
    """Services that need no PCP referral. Matches when any listed dimension matches the referral;
    `purposes`, when given, must also match (e.g. OB/GYN only for routine, preventive or urgent care)."""

    id: Slug
    description: str
    categories: list[Slug] = []
    specialties: list[str] = []
    codes: list[str] = []
    diagnosis_prefixes: list[str] = []
    settings: list[Setting] = []
    purposes: list[Slug] | None = None
    network_only: bool = Field(default=False, description="Exempt only with an in-network provider.")

    @model_validator(mode="after")
    def _something(self) -> Exemption:
        if not (self.categories or self.specialties or self.codes or self.diagnosis_prefixes or self.settings):
            raise ValueError("an exemption needs categories, specialties, codes, diagnosis_prefixes or settings")
        return self


class NotificationWindow(Strict):
    """When the PCP must tell the plan about a referral, relative to the first specialist visit."""

    before_first_visit: bool = True
    days_after_first_visit: int = Field(ge=0, le=365)
    citation: str


class ReferralsFile(Strict):
    """referrals/*.yaml: who may refer, what needs no referral, the notification window."""

    pcp_only: bool = True
    exempt_plan_products: list[str] = []
    no_referral_needed: list[Exemption] = []
    out_of_network_requires_prior_authorization: bool = True
    notification_window: NotificationWindow | None = None
    citation: str


# --- network_access/ --------------------------------------------------------------------------------

class TravelStandard(Strict):
    """The farthest a member should travel to an in-network provider of this type."""

    provider_type: Slug
    max_miles: float = Field(gt=0)
    max_minutes: int = Field(gt=0)


class WaitStandard(Strict):
    """The longest a member should wait for an in-network appointment of this type."""

    provider_type: Slug
    max_days: int = Field(ge=0)
    business_days: bool = False


class NetworkAccessFile(Strict):
    """network_access/*.yaml: access standards the out-of-network exceptions are measured against."""

    travel: list[TravelStandard] = Field(min_length=1)
    appointment_wait: list[WaitStandard] = Field(min_length=1)
    letter_of_agreement_required: bool = True
    postpartum_visit_days_after_delivery: int = Field(
        ge=1, le=365, description="When the first post-partum visit date is unknown, continuity for a "
        "pregnant member runs this many days after the expected delivery date.")
    adequacy_area: Annotated[str, Field(pattern=r"^(city|postal_code|postal_prefix)$")] = "city"
    citation: str

    def travel_for(self, provider_type: str) -> TravelStandard | None:
        return next((t for t in self.travel if t.provider_type == provider_type), None) or next(
            (t for t in self.travel if t.provider_type == "specialist"), None)

    def wait_for(self, provider_type: str) -> WaitStandard | None:
        return next((w for w in self.appointment_wait if w.provider_type == provider_type), None) or next(
            (w for w in self.appointment_wait if w.provider_type == "specialist"), None)
