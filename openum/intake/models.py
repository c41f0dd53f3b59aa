"""Authorization request tables. Receipt facts and events are never edited in place."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openum.db import Base, JSONType, UTCDateTime
from openum.directory.models import Member


class AuthorizationRequest(Base):
    __tablename__ = "authorization_requests"
    __table_args__ = (
        UniqueConstraint("submitter_key", "idempotency_key"),
        Index("ix_authorization_requests_dedup", "dedup_fingerprint", "received_at"),
        Index("ix_authorization_requests_member_received", "member_pk", "received_at"),
        Index("ix_authorization_requests_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    authorization_id: Mapped[str] = mapped_column(String(32), unique=True)
    plan_id: Mapped[str] = mapped_column(String(64))
    pack_version: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitter_organization_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # Who the idempotency key is scoped to: an organization, or a user without one.
    submitter_key: Mapped[str] = mapped_column(String(80))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    dedup_fingerprint: Mapped[str] = mapped_column(String(64))

    kind: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(20))
    urgency_asserted_by_practitioner: Mapped[bool] = mapped_column(default=False)
    urgency_basis: Mapped[str | None] = mapped_column(Text)
    post_stabilization: Mapped[bool] = mapped_column(default=False)
    line_of_business: Mapped[str] = mapped_column(String(64))
    setting: Mapped[str | None] = mapped_column(String(30))

    member_pk: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    member: Mapped[Member | None] = relationship(lazy="joined", innerjoin=False)
    member_reference: Mapped[dict[str, Any]] = mapped_column(JSONType)
    requesting_npi: Mapped[str | None] = mapped_column(String(10))
    requesting_provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    servicing_npi: Mapped[str | None] = mapped_column(String(10))
    servicing_provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    facility_npi: Mapped[str | None] = mapped_column(String(10))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    # Organizations allowed to see this request: the submitter's and the servicing side's.
    servicing_organization_id: Mapped[str | None] = mapped_column(String(64), index=True)

    requested_length_of_stay: Mapped[int | None] = mapped_column(Integer)
    admission_date: Mapped[date | None] = mapped_column(Date)
    proposed_procedure_date: Mapped[date | None] = mapped_column(Date)
    clinical_indications: Mapped[str | None] = mapped_column(Text)
    pertinent_history: Mapped[str | None] = mapped_column(Text)
    clinical_facts: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    status: Mapped[str] = mapped_column(String(30))
    status_reason: Mapped[str | None] = mapped_column(Text)
    missing_items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    coverage: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    determination: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    lines: Mapped[list[ServiceLine]] = relationship(
        cascade="all, delete-orphan", order_by="ServiceLine.sequence", lazy="selectin"
    )
    diagnoses: Mapped[list[Diagnosis]] = relationship(
        cascade="all, delete-orphan", order_by="Diagnosis.sequence", lazy="selectin"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        cascade="all, delete-orphan", order_by="Attachment.id", lazy="selectin"
    )
    events: Mapped[list[RequestEvent]] = relationship(
        cascade="all", order_by="RequestEvent.id", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": row_version}


class ServiceLine(Base):
    __tablename__ = "service_lines"
    __table_args__ = (Index("ix_service_lines_code_dates", "code", "from_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(
        ForeignKey("authorization_requests.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(20))
    code_system: Mapped[str] = mapped_column(String(12))
    modifiers: Mapped[list[str]] = mapped_column(JSONType, default=list)
    units: Mapped[int] = mapped_column(Integer)
    from_date: Mapped[date | None] = mapped_column(Date)
    to_date: Mapped[date | None] = mapped_column(Date)
    place_of_service: Mapped[str | None] = mapped_column(String(2))
    requirement: Mapped[str | None] = mapped_column(String(30))
    delegated_to: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(20))
    approved_units: Mapped[int | None] = mapped_column(Integer)
    approved_from: Mapped[date | None] = mapped_column(Date)
    approved_to: Mapped[date | None] = mapped_column(Date)
    used_units: Mapped[int] = mapped_column(Integer, default=0)


class Diagnosis(Base):
    __tablename__ = "diagnoses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(
        ForeignKey("authorization_requests.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(10))
    description: Mapped[str | None] = mapped_column(String(300))


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(
        ForeignKey("authorization_requests.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class RequestEvent(Base):
    """Append-only history: every status change, document, correction and note."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(
        ForeignKey("authorization_requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    type: Mapped[str] = mapped_column(String(40))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str | None] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
