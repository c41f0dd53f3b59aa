"""Review tables: work items in queues, criteria evaluations, decisions, peer-to-peer, disclosures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openum.db import Base, JSONType, UTCDateTime


class WorkItem(Base):
    """A request's place in a review queue; one owner at a time."""

    __tablename__ = "work_items"
    __table_args__ = (
        Index("ix_work_items_queue_due", "state", "queue", "due_at"),
        Index("ix_work_items_assignee_due", "state", "assignee_user_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("authorization_requests.id", ondelete="CASCADE"),
                                            index=True)
    queue: Mapped[str] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(40))
    line_of_business: Mapped[str] = mapped_column(String(64))
    urgency: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # open: waiting in the queue | waiting: pended for information | done
    state: Mapped[str] = mapped_column(String(10), default="open")
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waiting_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    after_hours: Mapped[bool] = mapped_column(default=False)
    post_stabilization: Mapped[bool] = mapped_column(default=False)
    answer_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)


class CriteriaEvaluation(Base):
    """A policy version applied to a request: every criterion's result and its evidence."""

    __tablename__ = "criteria_evaluations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("authorization_requests.id", ondelete="CASCADE"),
                                            index=True)
    line_sequence: Mapped[int] = mapped_column(Integer)
    policy_id: Mapped[str] = mapped_column(String(80))
    policy_version: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(30))
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    missing_facts: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONType)
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    evaluated_by: Mapped[str] = mapped_column(String(100))
    automatic: Mapped[bool] = mapped_column(default=False)


class Decision(Base):
    """Who decided, with what credential, on which policy version, and why."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("authorization_requests.id", ondelete="CASCADE"),
                                            index=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(40))
    credential: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(30))
    basis: Mapped[str] = mapped_column(String(30))  # medical_necessity | administrative | criteria_met
    administrative_category: Mapped[str | None] = mapped_column(String(40))
    member_issued: Mapped[bool | None] = mapped_column()
    policy_id: Mapped[str | None] = mapped_column(String(80))
    policy_version: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str | None] = mapped_column(Text)
    alternatives: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)
    automatic: Mapped[bool] = mapped_column(default=False)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)


class PeerToPeer(Base):
    """A discussion between the treating practitioner and the physician reviewer."""

    __tablename__ = "peer_to_peer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("authorization_requests.id", ondelete="CASCADE"),
                                            index=True)
    status: Mapped[str] = mapped_column(String(20))  # offered | scheduled | completed | declined | missed
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timing: Mapped[str] = mapped_column(String(20))  # before_decision | after_denial
    physician_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    practitioner_name: Mapped[str | None] = mapped_column(String(200))
    practitioner_phone: Mapped[str | None] = mapped_column(String(40))
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(40))


class CriteriaDisclosure(Base):
    """A practitioner's or member's request for the criteria behind a decision, and the answer."""

    __tablename__ = "criteria_disclosures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("authorization_requests.id", ondelete="CASCADE"),
                                            index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requester_kind: Mapped[str] = mapped_column(String(20))  # practitioner | member | representative
    requester_name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))  # phone | mail | fax | portal | on_site
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(100))
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)


class CareInvolvement(Base):
    """A reviewer recorded as involved in a member's care: they may not decide for that member."""

    __tablename__ = "care_involvements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    member_pk: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
