"""Request and response bodies of the review endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from openum.review.authority import Action


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LineDecision(_In):
    sequence: Annotated[int, Field(ge=1)]
    approved_units: Annotated[int | None, Field(ge=0)] = None
    approved_from: date | None = None
    approved_to: date | None = None


class DecisionIn(_In):
    action: Action
    reason: Annotated[str, Field(min_length=10, max_length=4000,
                                 description="The specific reason, tied to the member's condition")]
    rationale: Annotated[str | None, Field(max_length=8000)] = None
    alternatives: Annotated[str | None, Field(max_length=4000)] = None
    override_reason: Annotated[str | None, Field(max_length=4000)] = None
    administrative_category: str | None = None
    lines: list[LineDecision] = []


class PendIn(_In):
    what: Annotated[str, Field(min_length=3, max_length=2000)]
    why: Annotated[str, Field(min_length=3, max_length=2000)]
    due_by: datetime


class ReferIn(_In):
    to: Annotated[str, Field(description="A queue id, or 'next' for the queue above this one")] = "next"
    reason: Annotated[str, Field(min_length=3, max_length=2000)]


class NoteIn(_In):
    text: Annotated[str, Field(min_length=1, max_length=8000)]


class ExtensionIn(_In):
    reason: Annotated[str, Field(min_length=5, max_length=2000)]
    requested_by: Annotated[str, Field(pattern=r"^(member|provider|plan)$")]
    notice_sent_at: datetime | None = None


class UrgencyIn(_In):
    urgency: Annotated[str, Field(pattern=r"^(urgent|non_urgent)$")]
    reason: Annotated[str, Field(min_length=5, max_length=2000)]


class ReassignIn(_In):
    to_username: str


class InvolvementIn(_In):
    username: str
    member_id: str
    plan_id: str
    reason: Annotated[str, Field(min_length=3, max_length=2000)]


class PeerToPeerIn(_In):
    timing: Annotated[str, Field(pattern=r"^(before_decision|after_denial)$")] = "before_decision"
    practitioner_name: str | None = None
    practitioner_phone: str | None = None
    scheduled_for: datetime | None = None


class PeerToPeerUpdate(_In):
    status: Annotated[str, Field(pattern=r"^(scheduled|completed|declined|missed)$")]
    scheduled_for: datetime | None = None
    notes: Annotated[str | None, Field(max_length=8000)] = None
    outcome: Annotated[str | None, Field(max_length=40)] = None


class DisclosureIn(_In):
    requester_kind: Annotated[str, Field(pattern=r"^(practitioner|member|representative)$")]
    requester_name: Annotated[str, Field(min_length=1, max_length=200)]
    channel: Annotated[str, Field(pattern=r"^(phone|mail|fax|portal|on_site|email)$")]


class WorkItemOut(BaseModel):
    id: int
    authorization_id: str
    queue: str
    category: str | None
    line_of_business: str
    urgency: str
    status: str
    due_at: datetime | None
    state: str
    assignee: str | None
    after_hours: bool
    post_stabilization: bool
    answer_by: datetime | None
    member_id: str | None
    codes: list[str]


class EvaluationOut(BaseModel):
    line_sequence: int
    policy_id: str
    policy_version: str
    outcome: str
    results: list[dict[str, Any]]
    missing_facts: list[dict[str, Any]]
    evaluated_at: datetime
    evaluated_by: str
    automatic: bool
