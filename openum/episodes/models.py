"""Tables for episodes of care, discharge planning, retrospective review, referrals, out-of-network
exceptions and claim checks. Authorization requests themselves stay in intake's tables: these rows
link to them and add what the request alone does not hold."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openum.db import Base, JSONType, UTCDateTime
from openum.directory.models import Member


class Episode(Base):
    """An inpatient (or SNF, rehab, home care, continuous DME) episode: the admission and its reviews."""

    __tablename__ = "episodes"
    __table_args__ = (Index("ix_episodes_member_admitted", "member_pk", "admission_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(64))
    pack_version: Mapped[str] = mapped_column(String(32))
    line_of_business: Mapped[str] = mapped_column(String(64))
    member_pk: Mapped[int] = mapped_column(ForeignKey("members.id"))
    member: Mapped[Member] = relationship(lazy="joined")
    facility_npi: Mapped[str] = mapped_column(String(10))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    attending_npi: Mapped[str | None] = mapped_column(String(10))
    submitter_organization_id: Mapped[str | None] = mapped_column(String(64), index=True)
    servicing_organization_id: Mapped[str | None] = mapped_column(String(64), index=True)
    admission_type: Mapped[str] = mapped_column(String(30))
    level_of_care: Mapped[str] = mapped_column(String(30))
    level_started_on: Mapped[date] = mapped_column(Date)
    admitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    admission_date: Mapped[date] = mapped_column(Date)
    estimated_length_of_stay: Mapped[int | None] = mapped_column(Integer)
    estimated_los_source: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | discharged
    discharge_date: Mapped[date | None] = mapped_column(Date)
    discharge_disposition: Mapped[str | None] = mapped_column(String(40))
    discharged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    discharge_planning_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    authorizations: Mapped[list[EpisodeAuthorization]] = relationship(
        cascade="all, delete-orphan", order_by="EpisodeAuthorization.id", lazy="selectin")
    needs: Mapped[list[DischargeNeed]] = relationship(
        cascade="all, delete-orphan", order_by="DischargeNeed.id", lazy="selectin")
    care_referrals: Mapped[list[CareReferral]] = relationship(
        cascade="all, delete-orphan", order_by="CareReferral.id", lazy="selectin")
    quality_flags: Mapped[list[QualityFlag]] = relationship(
        cascade="all, delete-orphan", order_by="QualityFlag.id", lazy="selectin")

    __mapper_args__ = {"version_id_col": row_version}


class EpisodeAuthorization(Base):
    """One authorization request in an episode: the admission, a notification, a continued stay."""

    __tablename__ = "episode_authorizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_pk: Mapped[int] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"), index=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("authorization_requests.id"), unique=True)
    role: Mapped[str] = mapped_column(String(30))  # admission | notification | continued_stay | level_of_care_change
    level_of_care: Mapped[str] = mapped_column(String(30))
    units_requested: Mapped[int | None] = mapped_column(Integer)
    from_date: Mapped[date | None] = mapped_column(Date)
    to_date: Mapped[date | None] = mapped_column(Date)
    supersedes_request_pk: Mapped[int | None] = mapped_column(ForeignKey("authorization_requests.id"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The provider's notification of the admission (or level-of-care change), and whether it was on time.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notification_required: Mapped[bool] = mapped_column(default=False)
    notification_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notification_late: Mapped[bool | None] = mapped_column()
    clinical_documentation_received: Mapped[bool | None] = mapped_column()
    # When the member became liable after an adverse determination: the delivery of the member notice.
    member_liability_from: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DischargeNeed(Base):
    """A post-discharge need identified from admission on: who arranges it, by when, how far along."""

    __tablename__ = "discharge_needs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_pk: Mapped[int] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"), index=True)
    need: Mapped[str] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # identified | in_progress | arranged | completed | cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)


class CareReferral(Base):
    """A referral to care management, social services or another program, with its reason."""

    __tablename__ = "care_referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_pk: Mapped[int] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"), index=True)
    program: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    referred_by: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="referred")


class QualityFlag(Base):
    """A potential quality-of-care concern sent to the quality review queue."""

    __tablename__ = "quality_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_pk: Mapped[int] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"), index=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("authorization_requests.id"))
    work_item_id: Mapped[int | None] = mapped_column(ForeignKey("work_items.id"))
    category: Mapped[str] = mapped_column(String(40))
    condition: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    flagged_by: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | resolved
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolution: Mapped[str | None] = mapped_column(Text)


class RetrospectiveReview(Base):
    """A post-service request's submission window, lateness and review period."""

    __tablename__ = "retrospective_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("authorization_requests.id", ondelete="CASCADE"),
                                            unique=True)
    reason: Mapped[str] = mapped_column(String(60))
    date_of_service: Mapped[date] = mapped_column(Date)
    primary_insurer_denial_date: Mapped[date | None] = mapped_column(Date)
    retro_eligibility_date: Mapped[date | None] = mapped_column(Date)
    received_on: Mapped[date] = mapped_column(Date)
    window_basis: Mapped[str] = mapped_column(String(40))
    timely_until: Mapped[date] = mapped_column(Date)
    late: Mapped[bool] = mapped_column()
    days_late: Mapped[int] = mapped_column(Integer, default=0)
    reviewable_until: Mapped[date] = mapped_column(Date)
    reviewable: Mapped[bool] = mapped_column()
    windows: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    original_request_pk: Mapped[int | None] = mapped_column(ForeignKey("authorization_requests.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Referral(Base):
    """A PCP's referral to a specialist: recorded, not needed, or sent to prior authorization."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_member_notified", "member_pk", "notified_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(64))
    line_of_business: Mapped[str] = mapped_column(String(64))
    member_pk: Mapped[int] = mapped_column(ForeignKey("members.id"))
    referring_npi: Mapped[str] = mapped_column(String(10))
    specialist_npi: Mapped[str] = mapped_column(String(10))
    specialist_provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    specialty: Mapped[str | None] = mapped_column(String(100))
    purpose: Mapped[str | None] = mapped_column(String(30))
    service_codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    diagnoses: Mapped[list[str]] = mapped_column(JSONType, default=list)
    reason: Mapped[str | None] = mapped_column(Text)
    visits: Mapped[int | None] = mapped_column(Integer)
    first_visit_date: Mapped[date | None] = mapped_column(Date)
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notified_on: Mapped[date] = mapped_column(Date)
    window_until: Mapped[date | None] = mapped_column(Date)
    notified_before_first_visit: Mapped[bool | None] = mapped_column()
    timely: Mapped[bool | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(40))  # recorded | not_required | prior_authorization_required
    exemption: Mapped[str | None] = mapped_column(String(80))
    in_network: Mapped[bool] = mapped_column()
    request_pk: Mapped[int | None] = mapped_column(ForeignKey("authorization_requests.id"))
    submitter_organization_id: Mapped[str | None] = mapped_column(String(64), index=True)
    servicing_organization_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    notes: Mapped[list[str]] = mapped_column(JSONType, default=list)


class OutOfNetworkException(Base):
    """One evaluation of the out-of-network and continuity-of-care conditions for a request."""

    __tablename__ = "out_of_network_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("authorization_requests.id", ondelete="CASCADE"),
                                            index=True)
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    evaluated_by: Mapped[str] = mapped_column(String(100))
    facts: Mapped[dict[str, Any]] = mapped_column(JSONType)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    eligible: Mapped[bool] = mapped_column()
    basis: Mapped[str | None] = mapped_column(String(60))
    covered_until: Mapped[date | None] = mapped_column(Date)
    open_ended: Mapped[bool] = mapped_column(default=False)


class LetterOfAgreement(Base):
    """The agreed terms with a non-contracted provider: one for each unique out-of-network authorization."""

    __tablename__ = "letters_of_agreement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("authorization_requests.id", ondelete="CASCADE"),
                                            unique=True)
    provider_npi: Mapped[str] = mapped_column(String(10))
    provider_name: Mapped[str | None] = mapped_column(String(200))
    terms: Mapped[str] = mapped_column(Text)
    rate_basis: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # proposed | signed
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))


class ClaimCheck(Base):
    """A claims system's question about one billed line, and the answer it got."""

    __tablename__ = "claim_checks"
    __table_args__ = (
        # Set only when units were consumed: the same claim line can never consume twice.
        UniqueConstraint("consumption_key"),
        Index("ix_claim_checks_claim", "plan_id", "claim_id", "line_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(64))
    claim_id: Mapped[str] = mapped_column(String(64))
    line_number: Mapped[int] = mapped_column(Integer)
    consumption_key: Mapped[str | None] = mapped_column(String(160))
    member_id: Mapped[str] = mapped_column(String(32))
    servicing_npi: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(20))
    from_date: Mapped[date] = mapped_column(Date)
    to_date: Mapped[date] = mapped_column(Date)
    units: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(40))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    request_pk: Mapped[int | None] = mapped_column(ForeignKey("authorization_requests.id"))
    line_pk: Mapped[int | None] = mapped_column(ForeignKey("service_lines.id"))
    units_applied: Mapped[int] = mapped_column(Integer, default=0)
    remaining_units: Mapped[int | None] = mapped_column(Integer)
    retrospective_request_pk: Mapped[int | None] = mapped_column(ForeignKey("authorization_requests.id"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checked_by: Mapped[str] = mapped_column(String(100))
