"""What the episode, retrospective, referral, out-of-network and claims endpoints take and return."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from openum.episodes.pack_schema import AdmissionType
from openum.intake.schemas import AttachmentIn, ClinicalFacts, DueTimeOut, MemberRef, SubmitRequest
from openum.packs.schema import Setting

Npi = Annotated[str, Field(min_length=10, max_length=10, pattern=r"^[0-9]{10}$")]
Text = Annotated[str, Field(min_length=3, max_length=4000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _aware(v: datetime | None) -> datetime | None:
    if v is not None and v.tzinfo is None:
        raise ValueError("give a time zone offset")
    return v


# --- episodes ---------------------------------------------------------------------------------------

class AdmissionIn(_In):
    """A facility's notice that a member was admitted (or placed in observation, or a newborn admitted)."""

    plan_id: str | None = None
    admission_type: AdmissionType
    level_of_care: str | None = None
    authorization_id: Annotated[str | None, Field(max_length=32)] = Field(
        default=None, description="Elective admission: the approved prior authorization it happens under.")
    admitted_at: datetime
    member: MemberRef
    facility_npi: Npi
    attending_provider_npi: Npi | None = None
    requesting_provider_npi: Npi | None = None
    diagnoses: Annotated[list[Annotated[str, Field(max_length=10)]], Field(max_length=12)] = []
    clinical_indications: Annotated[str | None, Field(max_length=20000)] = None
    pertinent_history: Annotated[str | None, Field(max_length=20000)] = None
    requested_length_of_stay: Annotated[int | None, Field(ge=1, le=365)] = None
    attachments: Annotated[list[AttachmentIn], Field(max_length=20)] = []
    clinical_facts: ClinicalFacts | None = None

    _tz = field_validator("admitted_at")(_aware)


class ContinuedStayIn(_In):
    """More days (visits, months) at the current level of care: an urgent concurrent request."""

    units: Annotated[int, Field(ge=1, le=365)]
    from_date: date | None = None
    requesting_provider_npi: Npi | None = None
    diagnoses: Annotated[list[Annotated[str, Field(max_length=10)]], Field(max_length=12)] = []
    clinical_indications: Annotated[str, Field(min_length=3, max_length=20000)]
    pertinent_history: Annotated[str | None, Field(max_length=20000)] = None
    attachments: Annotated[list[AttachmentIn], Field(max_length=20)] = []
    clinical_facts: ClinicalFacts | None = None


class LevelChangeIn(_In):
    """A change of level of care (observation became inpatient): old authorization closed, new one opened."""

    level_of_care: str
    changed_at: datetime
    reason: Text
    units: Annotated[int | None, Field(ge=1, le=365)] = None
    diagnoses: Annotated[list[Annotated[str, Field(max_length=10)]], Field(max_length=12)] = []
    clinical_indications: Annotated[str, Field(min_length=3, max_length=20000)]
    attachments: Annotated[list[AttachmentIn], Field(max_length=20)] = []
    clinical_facts: ClinicalFacts | None = None

    _tz = field_validator("changed_at")(_aware)


class EstimateIn(_In):
    estimated_length_of_stay: Annotated[int, Field(ge=1, le=365)]
    reason: Text


class DischargeIn(_In):
    discharge_date: date
    disposition: str
    note: Annotated[str | None, Field(max_length=4000)] = None


class NeedIn(_In):
    need: str
    description: Annotated[str | None, Field(max_length=4000)] = None
    owner: Annotated[str, Field(min_length=2, max_length=200)]
    due_date: date


class NeedUpdate(_In):
    status: Annotated[str | None, Field(pattern=r"^(identified|in_progress|arranged|completed|cancelled)$")] = None
    owner: Annotated[str | None, Field(min_length=2, max_length=200)] = None
    due_date: date | None = None
    note: Annotated[str | None, Field(max_length=4000)] = None


class CareReferralIn(_In):
    program: str
    reason: Text


class QualityFlagIn(_In):
    category: str
    condition: Annotated[str | None, Field(max_length=200)] = None
    description: Text


class QualityResolveIn(_In):
    resolution: Text


class NotificationOut(BaseModel):
    required: bool
    received_at: datetime | None
    due_at: datetime | None
    late: bool | None
    clinical_documentation_received: bool | None


class EpisodeAuthorizationOut(BaseModel):
    authorization_id: str
    role: str
    level_of_care: str
    kind: str
    urgency: str
    status: str
    provider_status: str
    status_reason: str | None
    units_requested: int | None
    units_approved: int | None
    from_date: date | None
    to_date: date | None
    supersedes: str | None
    notification: NotificationOut | None
    member_liability: str
    member_liability_from: datetime | None
    due_times: list[DueTimeOut]


class NeedOut(BaseModel):
    id: int
    need: str
    description: str | None
    owner: str
    due_date: date
    status: str
    overdue: bool
    created_at: datetime
    completed_at: datetime | None
    history: list[dict[str, Any]]


class CareReferralOut(BaseModel):
    id: int
    program: str
    program_name: str | None
    reason: str
    referred_at: datetime
    referred_by: str
    status: str


class QualityFlagOut(BaseModel):
    id: int
    category: str
    condition: str | None
    description: str
    flagged_at: datetime
    flagged_by: str
    queue: str | None
    work_item_id: int | None
    work_item_state: str | None
    status: str
    resolution: str | None
    resolved_at: datetime | None
    resolved_by: str | None


class EpisodeOut(BaseModel):
    id: int
    plan_id: str
    line_of_business: str
    status: str
    member: dict[str, Any]
    facility: dict[str, Any]
    admission_type: str
    level_of_care: str
    level_of_care_name: str | None
    level_started_on: date
    unit: str
    admitted_at: datetime
    admission_date: date
    notification: NotificationOut
    estimated_length_of_stay: int | None
    estimated_los_source: str | None
    certified_units: int
    certified_through: date | None
    next_review_date: date | None
    length_of_stay: int
    days_beyond_estimate: int | None
    discharge_date: date | None
    discharge_disposition: str | None
    discharge_planning_started_at: datetime
    member_liability: dict[str, Any]
    authorizations: list[EpisodeAuthorizationOut]
    discharge_needs: list[NeedOut]
    care_referrals: list[CareReferralOut]
    quality_flags: list[QualityFlagOut]


# --- retrospective review ---------------------------------------------------------------------------

class RetrospectiveIn(_In):
    """A post-service request (TAR) with the reason it comes after the fact."""

    request: SubmitRequest
    reason: str
    primary_insurer_denial_date: date | None = None
    retro_eligibility_date: date | None = None
    original_authorization_id: Annotated[str | None, Field(max_length=32)] = None


class RetrospectiveOut(BaseModel):
    authorization_id: str
    status: str
    provider_status: str
    duplicate: bool = False
    reason: str
    date_of_service: date
    received_on: date
    window_basis: str
    timely_until: date
    late: bool
    days_late: int
    reviewable_until: date
    reviewable: bool
    windows: list[dict[str, Any]]
    completion_due_at: datetime | None
    original_authorization_id: str | None
    due_times: list[DueTimeOut]


# --- referrals --------------------------------------------------------------------------------------

class ReferralIn(_In):
    plan_id: str | None = None
    member_id: Annotated[str, Field(min_length=1, max_length=32)]
    referring_provider_npi: Npi
    specialist_npi: Npi
    specialty: Annotated[str | None, Field(max_length=100)] = None
    purpose: Annotated[str | None, Field(pattern=r"^(routine|preventive|urgent|consultation|treatment|"
                                          r"specialty_care)$")] = None
    service_codes: Annotated[list[Annotated[str, Field(max_length=20)]], Field(max_length=20)] = []
    diagnoses: Annotated[list[Annotated[str, Field(max_length=10)]], Field(max_length=12)] = []
    setting: Setting | None = None
    reason: Annotated[str | None, Field(max_length=4000)] = None
    visits: Annotated[int | None, Field(ge=1, le=100)] = None
    first_visit_date: date | None = None
    clinical_indications: Annotated[str | None, Field(max_length=20000)] = None
    attachments: Annotated[list[AttachmentIn], Field(max_length=20)] = []


class ReferralOut(BaseModel):
    id: int
    plan_id: str
    member_id: str
    referring_provider_npi: str
    specialist_npi: str
    specialty: str | None
    status: str
    exemption: str | None
    in_network: bool
    first_visit_date: date | None
    notified_at: datetime
    window_until: date | None
    notified_before_first_visit: bool | None
    timely: bool | None
    authorization_id: str | None
    notes: list[str]


# --- out-of-network ---------------------------------------------------------------------------------

class PregnancyIn(_In):
    expected_delivery_date: date
    first_postpartum_visit_date: date | None = None


class ContinuityIn(_In):
    """Facts the continuity-of-care and out-of-network conditions need beyond the directory."""

    active_treatment: bool = False
    treatment_started_on: date | None = None
    pregnancy: PregnancyIn | None = None
    terminal_illness: bool = False
    date_of_death: date | None = None
    ongoing_course_of_treatment: bool = False
    was_members_pcp: bool = False
    needed_specialty: Annotated[str | None, Field(max_length=100)] = None
    nearest_in_network_miles: Annotated[float | None, Field(ge=0, le=10000)] = None
    nearest_in_network_minutes: Annotated[int | None, Field(ge=0, le=10000)] = None
    earliest_in_network_appointment: date | None = None
    delay_attributable_to_member: bool = False
    pcp_determined_unnecessary_risk: bool = False
    related_services_unavailable_in_network: bool = False


class ContinuityOut(BaseModel):
    authorization_id: str
    service_date: date
    provider_npi: str | None
    provider_status: str
    provider_type: str
    enrollment_start: date | None
    eligible: bool
    basis: str | None
    covered_until: date | None
    open_ended: bool
    conditions: list[dict[str, Any]]
    letter_of_agreement: dict[str, Any]


class LetterOfAgreementIn(_In):
    terms: Text
    rate_basis: Annotated[str, Field(min_length=2, max_length=200)]
    effective_from: date
    effective_to: date | None = None
    status: Annotated[str, Field(pattern=r"^(proposed|signed)$")] = "proposed"


class LetterOfAgreementOut(BaseModel):
    authorization_id: str
    provider_npi: str
    provider_name: str | None
    terms: str
    rate_basis: str
    effective_from: date
    effective_to: date | None
    status: str
    recorded_at: datetime
    recorded_by: str


# --- claims -----------------------------------------------------------------------------------------

class ClaimLineIn(_In):
    plan_id: str | None = None
    claim_id: Annotated[str, Field(min_length=1, max_length=64)]
    line_number: Annotated[int, Field(ge=1, le=9999)]
    member_id: Annotated[str, Field(min_length=1, max_length=32)]
    servicing_provider_npi: Npi
    code: Annotated[str, Field(min_length=4, max_length=20)]
    from_date: date
    to_date: date | None = None
    units: Annotated[int, Field(ge=1, le=100000)] = 1
    diagnoses: Annotated[list[Annotated[str, Field(max_length=10)]], Field(max_length=12)] = []
    open_retrospective_review: bool = False

    @field_validator("code")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()


class ClaimAnswer(BaseModel):
    claim_id: str
    line_number: int
    covered: bool
    outcome: str
    authorization_id: str | None
    line_sequence: int | None
    units_applied: int
    approved_units: int | None
    used_units: int | None
    remaining_units: int | None
    reasons: list[dict[str, Any]]
    member_held_harmless: bool | None = None
    retrospective_authorization_id: str | None = None
    replayed: bool = False


class UtilizationLine(BaseModel):
    sequence: int
    code: str
    decision: str | None
    approved_units: int | None
    used_units: int
    remaining_units: int | None
    approved_from: date | None
    approved_to: date | None


class UtilizationOut(BaseModel):
    authorization_id: str
    status: str
    lines: list[UtilizationLine]
    claims: list[dict[str, Any]]
