"""Retrospective (post-service) review: submitted through intake, timed against the pack's windows."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.audit import service as audit
from openum.clock import Clock
from openum.deadlines import service as deadlines
from openum.episodes import windows
from openum.episodes.common import section
from openum.episodes.models import RetrospectiveReview
from openum.episodes.pack_schema import RetrospectiveFile
from openum.errors import DomainError, NotFound
from openum.intake import service as intake
from openum.intake.history import change_status, record_event
from openum.intake.models import AuthorizationRequest
from openum.intake.schemas import SubmitRequest, Submitter
from openum.intake.status import OPEN_STATUSES, Status
from openum.intake.storage import AttachmentStore
from openum.packs.registry import PackRegistry
from openum.review import service as review
from openum.vocabulary import RequestKind


def submit(session: Session, *, registry: PackRegistry, clock: Clock, store: AttachmentStore,
           cmd: SubmitRequest, reason: str, submitter: Submitter, actor: audit.Actor,
           primary_insurer_denial_date: object = None, retro_eligibility_date: object = None,
           original: AuthorizationRequest | None = None,
           idempotency_key: str | None = None) -> tuple[AuthorizationRequest, RetrospectiveReview, bool]:
    """Receive a post-service request; flag it late (still reviewed) or out of the review period."""
    cmd = cmd.model_copy(update={"kind": RequestKind.POST_SERVICE})
    dates = [ln.from_date for ln in cmd.service_lines if ln.from_date]
    if not dates:
        raise DomainError("a retrospective request needs the date of service",
                          details=[{"loc": ["body", "request", "service_lines", 0, "from_date"], "msg": "missing"}])
    result = intake.submit(session, registry=registry, clock=clock, store=store, cmd=cmd, submitter=submitter,
                           idempotency_key=idempotency_key, source_ip=actor.source_ip)
    req = result.request
    existing = session.scalars(select(RetrospectiveReview).where(
        RetrospectiveReview.request_pk == req.id)).one_or_none()
    if existing is not None:
        return req, existing, True
    pack = deadlines.pack_for(registry, req)
    rules = section(pack, "retrospective", RetrospectiveFile)
    if rules.reason(reason) is None:
        raise DomainError(f"unknown retrospective reason {reason!r}",
                          details=[{"loc": ["body", "reason"], "msg": f"one of {[r.id for r in rules.reasons]}"}])
    if original is not None and (original.plan_id != req.plan_id or original.member_pk != req.member_pk):
        raise NotFound(f"no authorization {original.authorization_id} for this member")
    now = req.received_at
    received_on = pack.calendar.local(now).date()
    w = windows.evaluate(rules, pack.calendar, date_of_service=min(dates), received_on=received_on,
                         primary_insurer_denial=primary_insurer_denial_date,  # type: ignore[arg-type]
                         retroactive_eligibility=retro_eligibility_date)  # type: ignore[arg-type]
    row = RetrospectiveReview(
        request_pk=req.id, reason=reason, date_of_service=min(dates),
        primary_insurer_denial_date=primary_insurer_denial_date, retro_eligibility_date=retro_eligibility_date,
        received_on=received_on, window_basis=w.basis.value, timely_until=w.timely_until, late=w.late,
        days_late=w.days_late, reviewable_until=w.reviewable_until, reviewable=w.reviewable,
        windows=[{**asdict(e), "basis": e.basis.value, "starts": e.starts.isoformat(), "ends": e.ends.isoformat()}
                 for e in w.windows],
        original_request_pk=original.id if original else None, created_at=now)
    session.add(row)
    data: dict[str, object] = {"timely_until": w.timely_until.isoformat(), "basis": w.basis.value, "reason": reason,
            "reviewable_until": w.reviewable_until.isoformat()}
    is_open = Status(req.status) in OPEN_STATUSES
    if not w.reviewable:
        text = (f"not reviewable: services may be reviewed up to {rules.reviewable_months} months after they are "
                f"rendered; for {min(dates).isoformat()} that period ended on {w.reviewable_until.isoformat()}")
        if is_open:
            change_status(req, Status.CLOSED, at=now, actor=actor, reason=text, data=data)
        else:
            record_event(req, at=now, type="retrospective_not_reviewable", actor=actor, reason=text, data=data)
    elif w.late:
        text = (f"late: received {w.days_late} day(s) after the {w.basis.value.replace('_', ' ')} window ended on "
                f"{w.timely_until.isoformat()}")
        if rules.late_requests_reviewed:
            record_event(req, at=now, type="retrospective_late", actor=actor,
                         reason=text + "; accepted and reviewed for medical necessity", data=data)
            item = review.work_item(session, req)
            if item is not None:
                item.reason = f"LATE RETROSPECTIVE ({text}); {item.reason or ''}".strip()
        elif is_open:
            change_status(req, Status.CLOSED, at=now, actor=actor, reason=text + "; not accepted", data=data)
    else:
        record_event(req, at=now, type="retrospective_timely", actor=actor,
                     reason=f"received within the {w.basis.value.replace('_', ' ')} window ending "
                            f"{w.timely_until.isoformat()}", data=data)
    if original is not None:
        record_event(original, at=now, type="retrospective_review_opened", actor=actor,
                     reason=f"{reason}: {req.authorization_id}", data={"authorization_id": req.authorization_id})
    session.flush()
    deadlines.refresh(session, registry=registry, req=req)
    review.sync_item(session, pack=pack, req=req, now=now)
    return req, row, False
