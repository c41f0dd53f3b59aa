"""Member services' call log: inbound calls and messages, callbacks owed, language and TTY help."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openum.db import Base, UTCDateTime


class CallLog(Base):
    """One inbound call or message (seeds 001, 002, 003: every call is logged, staff identify themselves)."""

    __tablename__ = "call_logs"
    __table_args__ = (Index("ix_call_logs_callback_due", "callback_done_at", "callback_due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))  # call | message
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    caller_name: Mapped[str] = mapped_column(String(200))
    caller_kind: Mapped[str] = mapped_column(String(20))  # member | provider | representative | other
    callback_number: Mapped[str] = mapped_column(String(40))
    authorization_id: Mapped[str | None] = mapped_column(String(32), index=True)
    member_id: Mapped[str | None] = mapped_column(String(32), index=True)
    subject: Mapped[str] = mapped_column(Text)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    staff_name: Mapped[str] = mapped_column(String(200))
    staff_title: Mapped[str] = mapped_column(String(100))
    interpreter_language: Mapped[str | None] = mapped_column(String(40))
    tty_requested: Mapped[bool] = mapped_column(default=False)
    callback_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    callback_rule: Mapped[str] = mapped_column(Text)
    callback_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
