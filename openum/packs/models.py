"""Which pack versions this database has seen, with their approval record."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openum.db import Base, UTCDateTime


class PackVersion(Base):
    __tablename__ = "pack_versions"
    __table_args__ = (UniqueConstraint("plan_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    effective_from: Mapped[date] = mapped_column(Date)
    approved_by: Mapped[str] = mapped_column(String(200))
    approved_at: Mapped[date] = mapped_column(Date)
    committee: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    first_loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
