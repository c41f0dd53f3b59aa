"""The deadline worker: raises escalations and records breaches from the deadline rows.

Several workers may run against PostgreSQL: each claims rows with FOR UPDATE SKIP LOCKED, and
alerts are unique per deadline and level, so no item is handled twice. On SQLite run one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import openum.models  # noqa: F401  (every table, so foreign keys resolve in a bare worker process)
from openum.appeals import service as appeals
from openum.audit.service import Actor
from openum.clock import Clock
from openum.db import transaction
from openum.deadlines import service
from openum.deadlines.models import Deadline, DeadlineAlert
from openum.errors import DomainError
from openum.intake.history import change_status, record_event
from openum.intake.models import AuthorizationRequest
from openum.intake.service import is_open
from openum.intake.status import Status
from openum.notification import service as notices
from openum.packs.registry import PackRegistry
from openum.review import service as review

log = logging.getLogger("openum.worker")
SYSTEM = Actor(None, "openum-worker", "system", None, None, "worker")


@dataclass
class ScanResult:
    rows: int = 0
    escalations: int = 0
    breaches: int = 0
    adverse_determinations: int = 0
    pends_expired: int = 0


def _alert(session: Session, row: Deadline, kind: str, level: int, happened: datetime, now: datetime) -> None:
    session.add(DeadlineAlert(deadline_id=row.id, request_pk=row.request_pk, kind=kind, level=level,
                              due_at=row.due_at, happened_at=happened, raised_at=now,
                              notify="assignee,supervisor_queue"))


def _handle(session: Session, row: Deadline, now: datetime, registry: PackRegistry, result: ScanResult) -> None:
    req = session.get(AuthorizationRequest, row.request_pk)
    assert req is not None and row.due_at is not None
    fractions = service.pack_for(registry, req).manifest.timeliness.escalation_fractions
    span = row.due_at - row.clock_started_at
    for i, f in enumerate(fractions, start=1):
        reached = row.clock_started_at + span * f
        if i > row.escalation_level and reached <= now:
            _alert(session, row, "escalation", round(f * 100), reached, now)
            row.escalation_level = i
            result.escalations += 1
    if now > row.due_at:
        _alert(session, row, "breach", 100, row.due_at, now)
        row.state, row.breached_at, row.next_check_at = "breached", row.due_at, None
        result.breaches += 1
        if row.obligation == "decision" and row.missed_is_adverse_determination and is_open(req):
            # 42 CFR 438.404(c)(5): a decision not reached in time is an adverse determination,
            # and it must be noticed like any other denial.
            change_status(req, Status.DENIED, at=now, actor=SYSTEM,
                          reason=f"decision deadline {row.due_at.isoformat()} missed: adverse "
                                 f"benefit determination ({row.citation})",
                          data={"deadline_id": row.id})
            req.determination = {"basis": "deadline_missed", "category": "untimely_decision",
                                 "member_issued": True, "decided_by": "openum-worker",
                                 "automatic": True, "citation": row.citation}
            session.flush()
            service.refresh(session, registry=registry, req=req)
            review.sync_item(session, pack=service.pack_for(registry, req), req=req, now=now)
            try:
                with session.begin_nested():
                    notices.create_for_decision(session, registry=registry, req=req, now=now)
            except DomainError as exc:
                # A letter problem must never stop the breach being recorded: staff see it instead.
                record_event(req, at=now, type="notice_blocked", actor=SYSTEM, reason=exc.message)
                log.error("untimely-decision notice for %s blocked: %s", req.authorization_id, exc.message)
            result.adverse_determinations += 1
        return
    row.next_check_at = service._next_check(row, fractions)


def scan_once(factory: sessionmaker[Session], *, registry: PackRegistry, clock: Clock,
              batch: int = 200) -> ScanResult:
    """Handle every deadline row whose next check time has come, one batch per transaction."""
    total = ScanResult()
    while True:
        now = clock.now()
        result = ScanResult()
        with transaction(factory) as session:
            q = (select(Deadline).where(Deadline.state == "open", Deadline.next_check_at <= now)
                 .order_by(Deadline.next_check_at).limit(batch))
            if session.get_bind().dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)
            rows = session.scalars(q).all()
            for row in rows:
                _handle(session, row, now, registry, result)
            result.rows = len(rows)
            result.pends_expired = review.expire_pends(session, now=now)
        for k in ("rows", "escalations", "breaches", "adverse_determinations", "pends_expired"):
            setattr(total, k, getattr(total, k) + getattr(result, k))
        if len(rows) < batch:
            return total


def run(factory: sessionmaker[Session], *, registry: PackRegistry, clock: Clock, interval: float = 5.0,
        batch: int = 200, once: bool = False, deliver: Callable[[], object] | None = None) -> None:
    """Scan deadlines and deliver notices forever (or once), sleeping `interval` seconds between rounds."""
    while True:
        result = scan_once(factory, registry=registry, clock=clock, batch=batch)
        if result.rows:
            log.info("deadline scan: %s", result)
        with transaction(factory) as session:
            appeal_counts = appeals.scan(session, registry=registry, now=clock.now())
        if any(appeal_counts.values()):
            log.info("appeal scan: %s", appeal_counts)
        if deliver is not None:
            delivered = deliver()
            log.info("notices: %s", delivered)
        if once:
            return
        time.sleep(interval)
