"""Request and response bodies of the reconsideration and appeal endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from openum.intake.schemas import NoticeOut
from openum.review.schemas import LineDecision


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DocumentIn(_In):
    filename: Annotated[str, Field(min_length=1, max_length=255)]
    content_type: Annotated[str, Field(max_length=100)] = "application/pdf"
    content_base64: Annotated[str, Field(min_length=4)]
    description: Annotated[str | None, Field(max_length=2000)] = None


class ConsentIn(_In):
    signed_on: date
    document: DocumentIn


class ReconsiderationIn(_In):
    requester_name: Annotated[str, Field(min_length=2, max_length=200,
                                         description="The treating practitioner (or their office) asking")]
    requester_contact: Annotated[str | None, Field(max_length=200)] = None
    statement: Annotated[str, Field(min_length=5, max_length=8000, description="Why the denial should change")]
    channel: Literal["phone", "fax", "portal", "api", "mail"] = "api"
    received_at: datetime | None = Field(default=None, description="When it reached the plan; defaults to now")
    evidence: list[DocumentIn] = []


class AppealIn(_In):
    appellant: Literal["member", "provider", "representative"]
    appellant_name: Annotated[str, Field(min_length=2, max_length=200)]
    appellant_contact: Annotated[str | None, Field(max_length=200)] = None
    channel: Literal["phone", "mail", "fax", "portal", "api", "in_person"] = "api"
    received_at: datetime | None = Field(default=None, description="When it reached the plan; defaults to now")
    urgency: Literal["urgent", "non_urgent"] = "non_urgent"
    practitioner_attests_urgency: bool = Field(
        default=False, description="The treating practitioner says the standard time frame could seriously "
        "jeopardize the member's life, health or ability to regain maximum function")
    urgency_basis: Annotated[str | None, Field(max_length=4000)] = None
    statement: Annotated[str, Field(min_length=5, max_length=8000)]
    good_cause: Annotated[str | None, Field(max_length=4000)] = None
    consent: ConsentIn | None = None
    continue_benefits: bool = False
    evidence: list[DocumentIn] = []


class AppealDecisionIn(_In):
    outcome: Literal["upheld", "overturned", "partially_overturned"]
    reason: Annotated[str, Field(min_length=10, max_length=4000, description="The specific reason")]
    rationale: Annotated[str | None, Field(max_length=8000, description="Tied to the member's condition")] = None
    lines: list[LineDecision] = []


class ExpediteIn(_In):
    granted: bool
    reason: Annotated[str, Field(min_length=5, max_length=2000)]


class AppealExtensionIn(_In):
    reason: Annotated[str, Field(min_length=5, max_length=2000)]
    requested_by: Literal["member", "provider", "plan"]


class EffectuationIn(_In):
    effectuated_at: datetime | None = None
    note: Annotated[str, Field(min_length=3, max_length=2000,
                               description="What was done: authorization issued, service arranged")]


class ContinuationIn(_In):
    requested_at: datetime | None = None


class ExternalReviewIn(_In):
    kind: Literal["state_fair_hearing", "independent_medical_review", "external_review",
                  "independent_review_entity"]
    requested_by: Literal["member", "provider", "representative"] = "member"
    requested_at: datetime | None = None
    expedited: bool = False
    continue_benefits: bool = False
    case_reference: Annotated[str | None, Field(max_length=100)] = None


class ExternalReviewUpdate(_In):
    forwarded_at: datetime | None = None
    case_reference: Annotated[str | None, Field(max_length=100)] = None
    outcome: Literal["pending", "upheld", "overturned", "partially_overturned", "dismissed", "withdrawn"] | None = None
    decided_at: datetime | None = None
    notes: Annotated[str | None, Field(max_length=8000)] = None
    lines: list[LineDecision] = []
    effectuated_at: datetime | None = None


class ReviewerProfileIn(_In):
    specialty: Annotated[str | None, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)] = None
    supervisor_username: Annotated[str | None, Field(max_length=100)] = None


class ReviewerProfileOut(BaseModel):
    username: str
    specialty: str | None
    supervisor_username: str | None
    updated_at: datetime


class CaseDueOut(BaseModel):
    obligation: str
    outcome: str
    due_at: datetime | None
    status: str
    citation: str
    rule: str | None = None
    clock: str | None = None
    met_at: datetime | None = None


class EvidenceOut(BaseModel):
    id: int
    kind: str
    description: str | None
    filename: str
    content_type: str
    size: int
    sha256: str
    received_at: datetime


class AppealEventOut(BaseModel):
    at: datetime
    type: str
    actor: str
    reason: str | None
    data: dict[str, Any]


class ExternalReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    body: str
    requested_by: str
    automatic: bool
    requested_at: datetime
    filing_deadline: date | None
    late: bool
    expedited: bool
    forward_due_at: datetime | None
    forwarded_at: datetime | None
    case_reference: str | None
    continuation_requested: bool
    continuation_status: str | None
    outcome: str
    decided_at: datetime | None
    notes: str | None
    effectuation_due_at: datetime | None
    effectuated_at: datetime | None
    citation: str


class AppealOut(BaseModel):
    id: int
    level: str
    authorization_id: str
    plan_id: str
    line_of_business: str
    status: str
    appellant: str
    appellant_name: str
    channel: str
    received_at: datetime
    statement: str | None
    original_basis: str | None
    service_class: str | None
    notice_date: date | None
    filing_deadline: date | None
    late: bool
    late_handling: str | None
    consent: dict[str, Any]
    urgency_requested: str
    urgency: str
    expedite: dict[str, Any]
    decision_due_at: datetime | None
    outcome: str | None
    decision: dict[str, Any] | None
    effectuation: dict[str, Any] | None
    continuation: dict[str, Any] | None
    deemed_exhausted: bool
    due_times: list[CaseDueOut]
    evidence: list[EvidenceOut]
    notices: list[NoticeOut]
    external_reviews: list[ExternalReviewOut]
    history: list[AppealEventOut]
