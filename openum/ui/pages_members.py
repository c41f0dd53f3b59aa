"""Member services: find a request, say where it is and when it will be decided, log calls and messages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.audit import service as audit
from openum.auth.models import User
from openum.auth.permissions import Permission
from openum.errors import DomainError, NotFound
from openum.intake.schemas import RequestOut
from openum.ui import api, forms
from openum.ui.callbacks import SEED_RULE, callback_due
from openum.ui.models import CallLog
from openum.ui.rendering import render
from openum.ui.session import requires
from openum.web.deps import SessionDep, actor_for

router = APIRouter(prefix="/member-services")
# Staff who answer callers' questions about requests and coverage (the matrix has no call-log permission).
Answering = Annotated[User, Depends(requires(Permission.REQUEST_SEARCH, Permission.REQUEST_READ,
                                             Permission.COVERAGE_CHECK, staff_only=True))]
LANGUAGES = ["Spanish", "Chinese (Cantonese)", "Chinese (Mandarin)", "Vietnamese", "Tagalog", "Russian", "Arabic",
             "Haitian Creole", "Portuguese", "American Sign Language"]

WHERE = {
    "received": "Received and being checked for completeness.",
    "pended_for_information": ("Waiting for information the plan asked the provider for; "
                               "the decision clock keeps running."),
    "in_clinical_review": "With a nurse reviewer for clinical review.",
    "in_physician_review": "With a physician reviewer.",
    "approved": "Decided: approved.",
    "partially_approved": "Decided: partly approved (some of what was asked was not).",
    "denied": "Decided: denied. A letter explains why and how to appeal.",
    "closed": "Closed without a review decision.", "withdrawn": "Withdrawn.", "voided": "Voided.",
}


def _zone(request: Request, plan_id: str) -> ZoneInfo:
    return request.app.state.registry.versions(plan_id)[-1].calendar.time_zone  # type: ignore[no-any-return]


def where_and_when(r: RequestOut) -> dict[str, Any]:
    """The answer to "where is it and when will it be decided?" from the request's record."""
    decision = next((d for d in r.due_times if d.obligation.startswith("decision")), None)
    return {"where": WHERE.get(r.status, r.status), "decision": decision,
            "decided": r.status in ("approved", "partially_approved", "denied")}


def _calls(session: Session) -> list[CallLog]:
    return list(session.scalars(select(CallLog).order_by(CallLog.callback_done_at.is_not(None),
                                                         CallLog.callback_due_at, CallLog.id.desc()).limit(50)))


def page(request: Request, session: Session, user: User, q: str = "", *, error: str | None = None,
         values: Any = None, status: int = 200) -> HTMLResponse:
    found: RequestOut | None = None
    hits: list[Any] = []
    q = q.strip()
    if q and "-" in q:
        try:
            found = api.get_request(request, session, user, q.upper())
        except NotFound:
            error = error or f"No request {q.upper()}."
    elif q:
        hits = api.search(request, session, user, member_id=q, limit=50).items
    calls = _calls(session)
    if calls:
        audit.record(session, actor=actor_for(user, request, "web"), at=request.app.state.clock.now(),
                     action="read", record_type="call_log", record_id=None, member_id=None,
                     purpose="member_services")
    plans = [(p, request.app.state.registry.versions(p)[-1].manifest.plan.name)
             for p in request.app.state.registry.plan_ids()]
    plan_zones = {p: str(_zone(request, p)) for p, _ in plans}
    return render(request, "member_services.html", {
        "q": q, "found": found, "answer": where_and_when(found) if found else None, "hits": hits,
        "calls": calls, "plans": plans, "plan_zones": plan_zones, "languages": LANGUAGES, "v": values or {},
        "rule": SEED_RULE, "error": error}, status_code=status)


@router.get("", response_class=HTMLResponse)
def member_services(request: Request, session: SessionDep, user: Answering, q: str = "") -> HTMLResponse:
    return page(request, session, user, q)


def _received(value: str | None, zone: ZoneInfo, now: datetime) -> datetime:
    if not value:
        return now
    try:
        return datetime.fromisoformat(value).replace(tzinfo=zone)
    except ValueError as exc:
        raise DomainError(f"not a date and time: {value!r}") from exc


@router.post("/calls")
async def log_call(request: Request, session: SessionDep, user: Answering) -> Response:
    """Log an inbound call or message with its callback due time on the plan's business calendar."""
    form = await request.form()
    registry = request.app.state.registry
    now = request.app.state.clock.now()
    try:
        plan_id = forms.text(form, "plan_id") or ""
        if plan_id not in registry.plan_ids():
            raise DomainError("choose the member's health plan")
        pack = registry.in_force(plan_id, now)
        received = _received(forms.text(form, "received_at"), pack.calendar.time_zone, now)
        if received > now:
            raise DomainError("the time received cannot be in the future")
        required = {k: forms.text(form, k) for k in ("caller_name", "callback_number", "subject", "staff_name",
                                                     "staff_title")}
        if missing := [k.replace("_", " ") for k, v in required.items() if not v]:
            raise DomainError(f"please fill in: {', '.join(missing)}")
        due = callback_due(pack.calendar, received)
        aid = (forms.text(form, "authorization_id") or "").upper() or None
        if aid:
            api.get_request(request, session, user, aid)  # it must exist; the read is audited
        language = forms.text(form, "interpreter_other") or forms.text(form, "interpreter_language")
        row = CallLog(plan_id=plan_id, kind="message" if form.get("kind") == "message" else "call",
                      received_at=received, logged_at=now, caller_name=required["caller_name"] or "",
                      caller_kind=forms.text(form, "caller_kind") or "member",
                      callback_number=required["callback_number"] or "", authorization_id=aid,
                      member_id=(forms.text(form, "member_id") or "").upper() or None,
                      subject=required["subject"] or "",
                      staff_user_id=user.id, staff_name=required["staff_name"] or "",
                      staff_title=required["staff_title"] or "", interpreter_language=language,
                      tty_requested=form.get("tty") == "yes", callback_due_at=due.due_at, callback_rule=due.reason)
        session.add(row)
        session.flush()
    except DomainError as exc:
        session.rollback()
        return page(request, session, user, forms.text(form, "authorization_id") or "", error=exc.message,
                    values=form, status=exc.http_status)
    audit.record(session, actor=actor_for(user, request, "web"), at=now, action="create", record_type="call_log",
                 record_id=str(row.id), member_id=row.member_id, purpose="member_services")
    return RedirectResponse(f"/ui/member-services?msg=call&q={aid or ''}#call-{row.id}", status_code=303)


@router.post("/calls/{call_id}/returned")
async def call_returned(call_id: int, request: Request, session: SessionDep, user: Answering) -> Response:
    row = session.get(CallLog, call_id)
    if row is None:
        raise NotFound(f"no call {call_id}")
    now = request.app.state.clock.now()
    row.callback_done_at = row.callback_done_at or now
    audit.record(session, actor=actor_for(user, request, "web"), at=now, action="update", record_type="call_log",
                 record_id=str(row.id), member_id=row.member_id, purpose="member_services")
    return RedirectResponse("/ui/member-services", status_code=303)
