"""The notice outbox: every notice a decision owes, written in the decision's own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openum.db import Base, JSONType, UTCDateTime


class Notice(Base):
    """One notice to one party by one channel, with its due time and what actually happened."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("request_pk", "trigger_event_id", "obligation", "recipient", "channel"),
        Index("ix_notices_pending", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("authorization_requests.id", ondelete="CASCADE"), index=True)
    trigger_event_id: Mapped[int] = mapped_column(Integer)  # the request event (decision, pend...) it answers
    obligation: Mapped[str] = mapped_column(String(30))  # provider_verbal | provider_written | member_written
    recipient: Mapped[str] = mapped_column(String(10))  # member | provider
    recipient_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)  # postal address, fax number or e-mail
    channel: Mapped[str] = mapped_column(String(10))  # portal | mail | fax | email | phone
    letter_type: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(3), default="en")
    large_print: Mapped[bool] = mapped_column(default=False)
    context: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the letter's facts as at the decision
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # pending -> sending -> delivered | failed (retried) | awaiting_call (phone: staff logs it)
    status: Mapped[str] = mapped_column(String(15), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    document_key: Mapped[str | None] = mapped_column(String(300))
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(default=False)
    # Phone notices: who called whom (seeds 001, 003: staff give name, title and organization).
    call_log: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
