"""Appeal tables: reconsiderations and appeals, their history, evidence, deadlines, external reviews,
and the reviewer facts independence is judged on (specialty, reporting line)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openum.db import Base, JSONType, UTCDateTime


class Appeal(Base):
    """A request to look again at an adverse determination: an informal reconsideration (seed 004)
    or a formal appeal. One row per filing, against one request and its adverse decision."""

    __tablename__ = "appeals"
    __table_args__ = (
        Index("ix_appeals_status_due", "status", "decision_due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("authorization_requests.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(20))  # reconsideration | appeal
    plan_id: Mapped[str] = mapped_column(String(64))
    line_of_business: Mapped[str] = mapped_column(String(64))
    # open | decided | dismissed | withdrawn
    status: Mapped[str] = mapped_column(String(20), default="open")

    appellant: Mapped[str] = mapped_column(String(20))  # member | provider | representative
    appellant_name: Mapped[str] = mapped_column(String(200))
    appellant_contact: Mapped[str | None] = mapped_column(String(200))
    filed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    statement: Mapped[str | None] = mapped_column(Text)

    # The adverse decision looked at again, and who made it (independence is judged on this).
    original_decision_pk: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    original_basis: Mapped[str | None] = mapped_column(String(30))
    service_class: Mapped[str | None] = mapped_column(String(30))  # post_service for payment appeals

    # Filing window (appeals only): from the date of the adverse notice.
    notice_date: Mapped[date | None] = mapped_column(Date)
    filing_deadline: Mapped[date | None] = mapped_column(Date)
    late: Mapped[bool] = mapped_column(default=False)
    late_handling: Mapped[str | None] = mapped_column(String(20))  # accepted_late | good_cause | dismissed
    good_cause: Mapped[str | None] = mapped_column(Text)

    # The member's written consent when someone else appeals for them.
    consent_required: Mapped[bool] = mapped_column(default=False)
    consent_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_signed_on: Mapped[date | None] = mapped_column(Date)

    urgency_requested: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(20))
    practitioner_asserted_urgency: Mapped[bool] = mapped_column(default=False)
    urgency_basis: Mapped[str | None] = mapped_column(Text)
    expedite_status: Mapped[str | None] = mapped_column(String(20))  # pending | granted | refused
    expedite_reason: Mapped[str | None] = mapped_column(Text)

    decision_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(30))  # upheld | overturned | partially_overturned | dismissed
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    reviewer_role: Mapped[str | None] = mapped_column(String(40))
    reviewer_credential: Mapped[str | None] = mapped_column(String(40))
    reviewer_specialty: Mapped[str | None] = mapped_column(String(64))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    rationale: Mapped[str | None] = mapped_column(Text)
    decision_lines: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    checks: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # what independence and expertise were checked
    decision_pk: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))  # the overturn's Decision row
    resolution_notice_date: Mapped[date | None] = mapped_column(Date)

    effectuation_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    effectuated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    effectuation_note: Mapped[str | None] = mapped_column(Text)

    # Continuation of benefits while the appeal is pending (42 CFR 438.420).
    continuation_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    continuation_status: Mapped[str | None] = mapped_column(String(20))  # granted | refused | ended
    continuation_note: Mapped[str | None] = mapped_column(Text)
    continuation_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    events: Mapped[list[AppealEvent]] = relationship(
        cascade="all, delete-orphan", order_by="AppealEvent.id", lazy="selectin")
    evidence: Mapped[list[AppealEvidence]] = relationship(
        cascade="all, delete-orphan", order_by="AppealEvidence.id", lazy="selectin")

    __mapper_args__ = {"version_id_col": row_version}


class AppealEvent(Base):
    """Append-only history of an appeal: filing, expedite decisions, extensions, decision, notices."""

    __tablename__ = "appeal_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appeal_pk: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    type: Mapped[str] = mapped_column(String(40))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class AppealEvidence(Base):
    """A document sent with or after the appeal: new evidence, the member's consent, a statement."""

    __tablename__ = "appeal_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appeal_pk: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # new_evidence | consent | statement
    description: Mapped[str | None] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AppealDeadline(Base):
    """One obligation of an appeal and its due time: the decision and notices (clock engine), the
    acknowledgment, refused-expedite and extension notices, effectuation of an overturn."""

    __tablename__ = "appeal_deadlines"
    __table_args__ = (
        UniqueConstraint("appeal_pk", "obligation", "outcome"),
        Index("ix_appeal_deadlines_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appeal_pk: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"))
    obligation: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(String(20), default="any")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_status: Mapped[str] = mapped_column(String(20))
    layer_id: Mapped[str | None] = mapped_column(String(64))
    rule_id: Mapped[str | None] = mapped_column(String(64))
    rule: Mapped[str | None] = mapped_column(Text)
    clock: Mapped[str | None] = mapped_column(Text)
    citation: Mapped[str] = mapped_column(Text)
    # open -> met | breached | moot
    state: Mapped[str] = mapped_column(String(10), default="open")
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExternalReview(Base):
    """A review beyond the plan: State Fair Hearing, independent medical / external review, or the
    Medicare Independent Review Entity; with its dates, outcome and any effectuation."""

    __tablename__ = "external_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    appeal_pk: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[str] = mapped_column(String(20))  # member | provider | representative | plan
    automatic: Mapped[bool] = mapped_column(default=False)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    filing_deadline: Mapped[date | None] = mapped_column(Date)
    late: Mapped[bool] = mapped_column(default=False)
    expedited: Mapped[bool] = mapped_column(default=False)
    forward_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    case_reference: Mapped[str | None] = mapped_column(String(100))
    continuation_requested: Mapped[bool] = mapped_column(default=False)
    continuation_status: Mapped[str | None] = mapped_column(String(20))
    # pending | upheld | overturned | partially_overturned | dismissed | withdrawn
    outcome: Mapped[str] = mapped_column(String(30), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(Text)
    effectuation_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    effectuated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    citation: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReviewerProfile(Base):
    """A reviewer's clinical specialty and to whom they report (independence of appeal reviewers)."""

    __tablename__ = "reviewer_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    specialty: Mapped[str | None] = mapped_column(String(64))
    supervisor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
