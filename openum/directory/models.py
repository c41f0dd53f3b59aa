"""Directory tables: who is covered, who provides care, and on which dates."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openum.db import Base


class Organization(Base):
    """A provider organization (office, group, hospital); portal users belong to one."""

    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    tax_id: Mapped[str | None] = mapped_column(String(20))


class Provider(Base):
    """A practitioner or facility, identified by NPI within a plan's directory."""

    __tablename__ = "providers"
    __table_args__ = (UniqueConstraint("plan_id", "npi"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(64))
    npi: Mapped[str] = mapped_column(String(10), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    specialty: Mapped[str] = mapped_column(String(100))
    facility_type: Mapped[str | None] = mapped_column(String(50))
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"))
    is_pcp: Mapped[bool] = mapped_column(default=False)
    terminated_on: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(30))
    fax: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(200))

    network: Mapped[list[NetworkSpan]] = relationship(
        back_populates="provider", cascade="all, delete-orphan", lazy="selectin"
    )


class NetworkSpan(Base):
    """A period in which a provider participates in a line of business's network."""

    __tablename__ = "network_spans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    line_of_business: Mapped[str] = mapped_column(String(64))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)

    provider: Mapped[Provider] = relationship(back_populates="network")


class Member(Base):
    """A plan member with demographics and communication preferences."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("plan_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[str] = mapped_column(String(32), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    language: Mapped[str] = mapped_column(String(3), default="en")
    large_print: Mapped[bool] = mapped_column(default=False)
    address_line1: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2))
    postal_code: Mapped[str] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(30))
    pcp_npi: Mapped[str | None] = mapped_column(String(10))
    plan_product: Mapped[str | None] = mapped_column(String(20))

    eligibility: Mapped[list[EligibilitySpan]] = relationship(
        back_populates="member", cascade="all, delete-orphan"
    )
    accumulators: Mapped[list[BenefitAccumulator]] = relationship(cascade="all, delete-orphan")

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class EligibilitySpan(Base):
    """A period of enrollment in a line of business."""

    __tablename__ = "eligibility_spans"
    __table_args__ = (Index("ix_eligibility_member_start", "member_pk", "start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_pk: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    line_of_business: Mapped[str] = mapped_column(String(64))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)

    member: Mapped[Member] = relationship(back_populates="eligibility")


class BenefitAccumulator(Base):
    """Use of a benefit limit already paid by the claims system for a period."""

    __tablename__ = "benefit_accumulators"
    __table_args__ = (UniqueConstraint("member_pk", "benefit_limit", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_pk: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    benefit_limit: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[date] = mapped_column(Date)
    used: Mapped[int] = mapped_column(Integer)
