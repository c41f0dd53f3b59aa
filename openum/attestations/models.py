"""Signed statements (append-only) and the committee memberships that call for them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openum.db import Base, UTCDateTime


class Attestation(Base):
    """One person's signature of one statement for one calendar year; never changed or deleted."""

    __tablename__ = "attestations"
    __table_args__ = (UniqueConstraint("user_id", "kind", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # no_incentive | confidentiality | conflict_of_interest
    year: Mapped[int] = mapped_column(Integer)
    statement_version: Mapped[str] = mapped_column(String(20))
    statement_sha256: Mapped[str] = mapped_column(String(64))  # the exact text agreed to
    attested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_ip: Mapped[str | None] = mapped_column(String(64))


class CommitteeMembership(Base):
    """A seat on a committee (Q/UAC, PAC) for a period; open-ended while `left_on` is empty."""

    __tablename__ = "committee_memberships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    committee: Mapped[str] = mapped_column(String(20))
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    recorded_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
