"""The intake command every channel builds, and the request representation the API returns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from openum.packs.schema import CodeSystem, Setting
from openum.vocabulary import Channel, RequestKind, Urgency


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MemberRef(_In):
    member_id: Annotated[str | None, Field(max_length=32)] = None
    first_name: Annotated[str | None, Field(max_length=100)] = None
    last_name: Annotated[str | None, Field(max_length=100)] = None
    birth_date: date | None = None


class ServiceLineIn(_In):
    code: Annotated[str | None, Field(max_length=20)] = None
    code_system: CodeSystem | None = None
    modifiers: Annotated[list[Annotated[str, Field(max_length=2)]], Field(max_length=4)] = []
    units: Annotated[int, Field(ge=1, le=100000)] = 1
    from_date: date | None = None
    to_date: date | None = None
    place_of_service: Annotated[str | None, Field(pattern=r"^[0-9]{2}$")] = None

    @field_validator("code")
    @classmethod
    def _upper(cls, v: str | None) -> str | None:
        return v.upper() if v else v


class AttachmentIn(_In):
    kind: Annotated[str, Field(pattern=r"^(clinical_documentation|prescription|form|other)$")]
    filename: Annotated[str, Field(min_length=1, max_length=255)]
    content_type: Annotated[str, Field(max_length=100)]
    content_base64: str


class FindingIn(_In):
    value: float
    unit: Annotated[str, Field(max_length=40)]


class PriorTreatmentIn(_In):
    name: Annotated[str, Field(max_length=200)]
    outcome: Annotated[str, Field(pattern=r"^(failed|ineffective|intolerant|contraindicated|effective|ongoing)$")]
    duration_days: Annotated[int | None, Field(ge=0, le=36500)] = None
    treatment_class: Annotated[str | None, Field(max_length=100)] = None


class DoseIn(_In):
    dose_mg: Annotated[float | None, Field(ge=0)] = None
    weight_kg: Annotated[float | None, Field(gt=0, le=700)] = None
    interval_weeks: Annotated[float | None, Field(gt=0)] = None
    phase: Annotated[str | None, Field(pattern=r"^(induction|maintenance)$")] = None


class ClinicalFacts(_In):
    """Structured clinical facts the criteria read (also what a DTR questionnaire answers)."""

    findings: dict[Annotated[str, Field(max_length=60)], FindingIn] = {}
    prior_treatments: Annotated[list[PriorTreatmentIn] | None, Field(max_length=30)] = None
    answers: dict[Annotated[str, Field(max_length=80)], bool] = {}
    level_of_care: Annotated[str | None, Field(max_length=20)] = None
    frequency_per_week: Annotated[float | None, Field(ge=0, le=50)] = None
    duration_weeks: Annotated[float | None, Field(ge=0, le=520)] = None
    dose: DoseIn | None = None


class SubmitRequest(_In):
    """What a requester sends. Only malformed input is refused; missing facts pend the request."""

    plan_id: str | None = None
    line_of_business: str | None = None
    kind: RequestKind = RequestKind.PRE_SERVICE
    urgency: Urgency = Urgency.NON_URGENT
    urgency_asserted_by_practitioner: bool = False
    urgency_basis: Annotated[str | None, Field(max_length=2000)] = None
    post_stabilization: bool = Field(
        default=False, description="Post-stabilization care after an emergency: answered within 30 minutes (seed 001)")
    member: MemberRef = MemberRef()
    requesting_provider_npi: Annotated[str | None, Field(max_length=10)] = None
    servicing_provider_npi: Annotated[str | None, Field(max_length=10)] = None
    facility_npi: Annotated[str | None, Field(max_length=10)] = None
    setting: Setting | None = None
    service_lines: Annotated[list[ServiceLineIn], Field(max_length=50)] = []
    diagnoses: Annotated[list[Annotated[str, Field(max_length=10)]], Field(max_length=12)] = []
    requested_length_of_stay: Annotated[int | None, Field(ge=1, le=365)] = None
    admission_date: date | None = None
    proposed_procedure_date: date | None = None
    clinical_indications: Annotated[str | None, Field(max_length=20000)] = None
    pertinent_history: Annotated[str | None, Field(max_length=20000)] = None
    attachments: Annotated[list[AttachmentIn], Field(max_length=20)] = []
    clinical_facts: ClinicalFacts | None = None


class Submitter(BaseModel):
    """Who is submitting, resolved by the edge from the authenticated caller."""

    user_id: int | None
    username: str
    role: str
    organization_id: str | None
    channel: Channel


class MissingItem(BaseModel):
    field: str
    code: str
    message: str


class EventOut(BaseModel):
    at: datetime
    type: str
    actor: str
    actor_role: str | None
    from_status: str | None
    to_status: str | None
    reason: str | None
    data: dict[str, Any]


class ServiceLineOut(BaseModel):
    sequence: int
    code: str
    code_system: str
    modifiers: list[str]
    units: int
    from_date: date | None
    to_date: date | None
    place_of_service: str | None
    requirement: str | None
    delegated_to: str | None
    decision: str | None
    approved_units: int | None
    approved_from: date | None
    approved_to: date | None
    used_units: int


class AttachmentOut(BaseModel):
    id: int
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    received_at: datetime


class DueTimeOut(BaseModel):
    obligation: str
    due_at: datetime | None
    layer: str | None = None
    citation: str | None = None
    rule: str | None = None
    status: str = "open"


class NoticeOut(BaseModel):
    id: int
    obligation: str
    recipient: str
    recipient_name: str
    channel: str
    letter_type: str | None
    language: str
    large_print: bool
    due_at: datetime | None
    status: str
    attempts: int
    sent_at: datetime | None
    delivered_at: datetime | None
    late: bool
    has_document: bool
    call_log: dict[str, Any] | None


class RequestOut(BaseModel):
    authorization_id: str
    plan_id: str
    pack_version: str
    channel: str
    received_at: datetime
    effective_received_at: datetime
    kind: str
    urgency: str
    urgency_asserted_by_practitioner: bool
    line_of_business: str
    setting: str | None
    status: str
    provider_status: str
    status_reason: str | None
    member: dict[str, Any]
    requesting_provider_npi: str | None
    servicing_provider_npi: str | None
    facility_npi: str | None
    submitter_organization_id: str | None
    service_lines: list[ServiceLineOut]
    diagnoses: list[dict[str, str | None]]
    requested_length_of_stay: int | None
    admission_date: date | None
    proposed_procedure_date: date | None
    clinical_indications: str | None
    pertinent_history: str | None
    missing_items: list[MissingItem]
    coverage: dict[str, Any]
    determination: dict[str, Any] | None
    attachments: list[AttachmentOut]
    due_times: list[DueTimeOut]
    notices: list[NoticeOut] = []
    history: list[EventOut]


class SubmitResult(BaseModel):
    authorization_id: str
    status: str
    provider_status: str
    duplicate: bool
    missing_items: list[MissingItem]
    request: RequestOut
