"""Deadlines as rows: what is due on each request, scanned by the worker, never in memory."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openum.db import Base, UTCDateTime


class Deadline(Base):
    """One obligation's effective due time, recomputed from the request's events after each."""

    __tablename__ = "deadlines"
    __table_args__ = (
        UniqueConstraint("request_pk", "obligation", "outcome"),
        Index("ix_deadlines_next_check", "state", "next_check_at"),
        Index("ix_deadlines_due", "state", "obligation", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("authorization_requests.id", ondelete="CASCADE"))
    obligation: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(String(20), default="any")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_status: Mapped[str] = mapped_column(String(20))  # final | provisional | pending_start | paused
    clock_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    layer_id: Mapped[str] = mapped_column(String(64))
    layer_kind: Mapped[str] = mapped_column(String(20))
    rule_id: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(Text)
    clock: Mapped[str] = mapped_column(Text)
    citation: Mapped[str] = mapped_column(Text)
    missed_is_adverse_determination: Mapped[bool] = mapped_column(default=False)
    # open -> met | breached (the due time passed unmet) | moot (no longer owed)
    state: Mapped[str] = mapped_column(String(10), default="open")
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeadlineAlert(Base):
    """An escalation at a fraction of a clock, or a breach, raised once and kept."""

    __tablename__ = "deadline_alerts"
    __table_args__ = (UniqueConstraint("deadline_id", "kind", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id", ondelete="CASCADE"), index=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("authorization_requests.id", ondelete="CASCADE"),
                                            index=True)
    kind: Mapped[str] = mapped_column(String(12))  # escalation | breach
    level: Mapped[int] = mapped_column(Integer)  # percent of the clock elapsed (100 for a breach)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the fraction was reached
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the worker recorded it
    notify: Mapped[str] = mapped_column(String(200))  # who hears of it: assignee, supervisor queue
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
