"""Record PHI access in the same transaction as the access, chained by SHA-256."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from openum.audit.models import AuditEvent

GENESIS = "0" * 64
# One key for the whole chain: appends are serialized so each row names its predecessor.
_CHAIN_LOCK = 0x0A0D17


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    role: str
    organization_id: str | None
    source_ip: str | None = None
    channel: str = "api"


def row_digest(e: AuditEvent) -> str:
    """The hash of a row's content and its predecessor's hash."""
    parts = [
        str(e.id), e.at.isoformat(), str(e.user_id), e.username, e.role, str(e.organization_id),
        e.action, e.record_type, str(e.record_id), str(e.member_id), e.purpose,
        str(e.source_ip), e.channel, e.prev_hash,
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def record(
    session: Session,
    *,
    actor: Actor,
    at: datetime,
    action: str,
    record_type: str,
    record_id: str | None,
    member_id: str | None,
    purpose: str,
) -> AuditEvent:
    """Append one audit row; call it last in the transaction to keep the chain lock short."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    event = AuditEvent(
        id=(last.id + 1) if last else 1,
        at=at.astimezone(UTC),
        user_id=actor.user_id,
        username=actor.username,
        role=actor.role,
        organization_id=actor.organization_id,
        action=action,
        record_type=record_type,
        record_id=record_id,
        member_id=member_id,
        purpose=purpose,
        source_ip=actor.source_ip,
        channel=actor.channel,
        prev_hash=last.hash if last else GENESIS,
        hash="",
    )
    event.hash = row_digest(event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class Break:
    event_id: int
    problem: str


def verify(session: Session) -> list[Break]:
    """Walk the chain; report every row whose content or link no longer matches."""
    breaks: list[Break] = []
    prev_hash = GENESIS
    expected_id = 1
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        if event.id != expected_id:
            breaks.append(Break(expected_id, f"rows {expected_id}..{event.id - 1} are missing (deleted)"))
        if event.prev_hash != prev_hash:
            breaks.append(Break(event.id, "link to the previous row is broken"))
        if row_digest(event) != event.hash:
            breaks.append(Break(event.id, "content was changed after it was written"))
        prev_hash = event.hash
        expected_id = event.id + 1
    return breaks
