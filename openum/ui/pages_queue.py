"""Work queues: my queue (nurse, physician), and the supervisor's workload, risk and reassignment."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.audit import service as audit
from openum.auth.models import User
from openum.auth.permissions import Permission
from openum.deadlines.models import Deadline
from openum.errors import DomainError
from openum.intake.models import AuthorizationRequest
from openum.review import service as review
from openum.ui import api, casefile, forms
from openum.ui.rendering import render
from openum.ui.session import requires
from openum.web.deps import SessionDep, actor_for

router = APIRouter()
Working = Annotated[User, Depends(requires(Permission.REVIEW_WORK, staff_only=True))]
# The dashboard reads the review queues too, so it needs review.work as well as queue.supervise.
Supervising = Annotated[User, Depends(requires(Permission.QUEUE_SUPERVISE, Permission.REVIEW_WORK, staff_only=True))]


def risk_points(request: Request, session: Session, aids: list[str]) -> dict[str, datetime | None]:
    """Each request's decision-clock risk point: the pack's escalation fraction of its clock."""
    if not aids:
        return {}
    registry = request.app.state.registry
    rows = session.execute(
        select(AuthorizationRequest.authorization_id, AuthorizationRequest.plan_id,
               AuthorizationRequest.pack_version, Deadline.clock_started_at, Deadline.due_at)
        .join(Deadline, Deadline.request_pk == AuthorizationRequest.id)
        .where(AuthorizationRequest.authorization_id.in_(aids), Deadline.obligation == "decision")).all()
    return {aid: casefile.risk_point(registry.version(plan, version), started, due)
            for aid, plan, version, started, due in rows}


def _audit_list(request: Request, session: Session, user: User, what: str) -> None:
    audit.record(session, actor=actor_for(user, request, "web"), at=request.app.state.clock.now(), action="read",
                 record_type=what, record_id=None, member_id=None, purpose="utilization_review")


@router.get("/queue", response_class=HTMLResponse)
def my_queue(request: Request, session: SessionDep, user: Working) -> HTMLResponse:
    """My queue, earliest due first, with live countdowns; pended items wait below."""
    items = api.my_queue(request, session, user)
    risk = risk_points(request, session, [i.authorization_id for i in items])
    _audit_list(request, session, user, "work_queue")
    return render(request, "queue.html", {"open_items": [i for i in items if i.state == "open"],
                                          "waiting": [i for i in items if i.state == "waiting"], "risk": risk})


def _all_open(request: Request, session: Session, user: User) -> list[Any]:
    queues = sorted({q.id for p in request.app.state.registry.all() if (rf := review.routing_file(p))
                     for q in rf.queues})
    items = [i for q in queues for i in api.one_queue(request, session, user, q)]
    return sorted(items, key=lambda i: (i.due_at is None, i.due_at or datetime.max, i.id))


def supervisor_page(request: Request, session: Session, user: User, error: str | None = None,
                    status: int = 200) -> HTMLResponse:
    at_risk = api.at_risk(request, session, user)
    open_items = _all_open(request, session, user)
    risk = risk_points(request, session, [i.authorization_id for i in [*at_risk, *open_items]])
    _audit_list(request, session, user, "supervisor_dashboard")
    return render(request, "supervisor.html", {
        "workload": api.workload(request, session, user), "at_risk": at_risk,
        "breached": api.breached(request, session, user),
        "open_items": open_items, "risk": risk, "reviewers": casefile.reviewers(session), "error": error,
    }, status_code=status)


@router.get("/supervisor", response_class=HTMLResponse)
def supervisor(request: Request, session: SessionDep, user: Supervising) -> HTMLResponse:
    return supervisor_page(request, session, user)


@router.post("/supervisor/reassign")
async def reassign(request: Request, session: SessionDep, user: Supervising) -> Response:
    form = await request.form()
    try:
        api.reassign(request, session, user, int(str(form.get("item_id"))), forms.text(form, "to_username") or "")
    except (DomainError, ValidationError, ValueError) as exc:
        session.rollback()
        return supervisor_page(request, session, user, error=getattr(exc, "message", str(exc)), status=400)
    return RedirectResponse("/ui/supervisor?msg=reassigned", status_code=303)
