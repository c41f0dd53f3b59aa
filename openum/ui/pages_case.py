"""The case view (staff) and every action the API allows the role, each through the API's function."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from openum.audit import service as audit
from openum.auth.models import User
from openum.auth.permissions import Permission, Role
from openum.errors import DomainError, NotFound
from openum.intake import access
from openum.intake import service as intake
from openum.intake.models import Attachment
from openum.intake.router import ReceiptCorrection
from openum.notification.router import CallLog
from openum.review import schemas as rs
from openum.ui import api, casefile, forms
from openum.ui.rendering import render
from openum.ui.session import requires
from openum.web.deps import SessionDep, actor_for

router = APIRouter()
Reading = Annotated[User, Depends(requires(Permission.REQUEST_READ))]
StaffReading = Annotated[User, Depends(requires(Permission.REQUEST_READ, staff_only=True))]
Working = Annotated[User, Depends(requires(Permission.REVIEW_WORK, staff_only=True))]
Deciding = Annotated[User, Depends(requires(Permission.REVIEW_DECIDE, staff_only=True))]
Disclosing = Annotated[User, Depends(requires(Permission.CRITERIA_DISCLOSE, staff_only=True))]
Documenting = Annotated[User, Depends(requires(Permission.REQUEST_ADD_DOCUMENT))]
Supervising = Annotated[User, Depends(requires(Permission.QUEUE_SUPERVISE, staff_only=True))]
Correcting = Annotated[User, Depends(requires(Permission.REQUEST_CORRECT, staff_only=True))]


def case_page(request: Request, session: Session, user: User, aid: str, *, error: str | None = None,
              details: list[str] | None = None, status: int = 200) -> HTMLResponse:
    case = casefile.load(request, session, user, aid)
    return render(request, "case.html", {"c": case, "r": case.out, "error": error,
                                         "error_details": details or []}, status_code=status)


@router.get("/requests/{aid}", response_class=HTMLResponse)
def case_view(aid: str, request: Request, session: SessionDep, user: Reading) -> Response:
    if user.role == Role.PROVIDER_OFFICE:
        return RedirectResponse(f"/ui/portal/requests/{aid}", status_code=303)
    return case_page(request, session, user, aid)


@router.get("/requests/{aid}/documents/{attachment_id}")
def download(aid: str, attachment_id: int, request: Request, session: SessionDep, user: Reading) -> Response:
    """A document of the request, to users who may see the request; the read is audited."""
    req = intake.get_request(session, authorization_id=aid)
    access.ensure_visible(user, req)
    att = next((a for a in req.attachments if a.id == attachment_id), None)
    if not isinstance(att, Attachment):
        raise NotFound(f"no document {attachment_id} on {aid}")
    audit.record(session, actor=actor_for(user, request, "web"), at=request.app.state.clock.now(), action="read",
                 record_type="attachment", record_id=f"{aid}/{att.id}",
                 member_id=req.member.member_id if req.member else None, purpose="utilization_review")
    safe_name = "".join(ch for ch in att.filename if ch.isalnum() or ch in "._- ") or "document"
    return Response(request.app.state.store.get(att.storage_key), media_type=att.content_type,
                    headers={"Content-Disposition": f'attachment; filename="{safe_name}"'})


@router.get("/notices/{notice_id}/document")
def notice_document(notice_id: int, request: Request, session: SessionDep, user: Reading) -> Response:
    """A letter as sent, through the notices API (visibility and audit included)."""
    return api.notice_document(request, session, user, notice_id)


def act(request: Request, session: Session, user: User, aid: str, run: Callable[[], Any], msg: str,
        back: str | None = None) -> Response:
    """Run one action; on refusal roll back and show the case again with the reason."""
    try:
        run()
    except ValidationError as exc:
        session.rollback()
        return case_page(request, session, user, aid, error="The form has problems:",
                         details=forms.problems(exc), status=422)
    except ValueError as exc:
        session.rollback()
        return case_page(request, session, user, aid, error=f"The form has a bad value: {exc}", status=422)
    except DomainError as exc:
        session.rollback()
        if exc.http_status == 404:
            raise
        details = [str(d.get("msg") or d) for d in exc.details if d.get("msg") != exc.message]
        if back and back.startswith("/ui/portal"):
            from openum.ui.pages_portal import portal_detail

            return portal_detail(request, session, user, aid, error=exc.message, status=exc.http_status)
        return case_page(request, session, user, aid, error=exc.message, details=details, status=exc.http_status)
    return RedirectResponse(f"{back or f'/ui/requests/{aid}'}?msg={msg}#top", status_code=303)


def _when(value: str | None, tz: str) -> datetime | None:
    """A datetime-local field, read on the plan's wall clock."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(tz))
    except ValueError as exc:
        raise DomainError(f"not a date and time: {value!r}") from exc


def _tz(request: Request, session: Session, aid: str) -> str:
    from openum.deadlines.service import pack_for

    return str(pack_for(request.app.state.registry, intake.get_request(session, authorization_id=aid))
               .calendar.time_zone)


@router.post("/requests/{aid}/claim")
async def claim(aid: str, request: Request, session: SessionDep, user: Working) -> Response:
    form = await request.form()
    return act(request, session, user, aid, lambda: api.claim(request, session, user, int(str(form.get("item_id")))),
               "claimed")


@router.post("/requests/{aid}/release")
async def release(aid: str, request: Request, session: SessionDep, user: Working) -> Response:
    form = await request.form()
    return act(request, session, user, aid,
               lambda: api.release(request, session, user, int(str(form.get("item_id")))), "released")


@router.post("/requests/{aid}/reassign")
async def reassign(aid: str, request: Request, session: SessionDep, user: Supervising) -> Response:
    form = await request.form()
    return act(request, session, user, aid, lambda: api.reassign(
        request, session, user, int(str(form.get("item_id"))), forms.text(form, "to_username") or ""), "reassigned")


@router.post("/requests/{aid}/evaluate")
async def evaluate(aid: str, request: Request, session: SessionDep, user: Working) -> Response:
    form = await request.form()
    facts = forms.facts_from_form(form)
    return act(request, session, user, aid, lambda: api.evaluate(request, session, user, aid, facts), "evaluated")


@router.post("/requests/{aid}/decision")
async def decide(aid: str, request: Request, session: SessionDep, user: Deciding) -> Response:
    form = await request.form()
    lines = [{"sequence": int(k.split("-")[1]), "approved_units": forms.text(form, k)}
             for k in form if k.startswith("approved-") and forms.text(form, k) is not None]

    def run() -> None:
        body = rs.DecisionIn(
            action=forms.text(form, "action"), reason=forms.text(form, "reason") or "",
            rationale=forms.text(form, "rationale"), alternatives=forms.text(form, "alternatives"),
            override_reason=forms.text(form, "override_reason"),
            administrative_category=forms.text(form, "administrative_category"), lines=lines)
        api.decide(request, session, user, aid, body)

    return act(request, session, user, aid, run, "decided")


@router.post("/requests/{aid}/pend")
async def pend(aid: str, request: Request, session: SessionDep, user: Working) -> Response:
    form = await request.form()
    tz = _tz(request, session, aid)
    return act(request, session, user, aid, lambda: api.pend(request, session, user, aid, rs.PendIn(
        what=forms.text(form, "what") or "", why=forms.text(form, "why") or "",
        due_by=_when(forms.text(form, "due_by"), tz))), "pended")


@router.post("/requests/{aid}/refer")
async def refer(aid: str, request: Request, session: SessionDep, user: Working) -> Response:
    form = await request.form()
    return act(request, session, user, aid, lambda: api.refer(request, session, user, aid, rs.ReferIn(
        to=forms.text(form, "to") or "next", reason=forms.text(form, "reason") or "")), "referred")


@router.post("/requests/{aid}/note")
async def note(aid: str, request: Request, session: SessionDep, user: Working) -> Response:
    form = await request.form()
    return act(request, session, user, aid,
               lambda: api.note(request, session, user, aid, rs.NoteIn(text=forms.text(form, "text") or "")), "noted")


@router.post("/requests/{aid}/extension")
async def extension(aid: str, request: Request, session: SessionDep, user: Working) -> Response:
    form = await request.form()
    return act(request, session, user, aid, lambda: api.extend(request, session, user, aid, rs.ExtensionIn(
        reason=forms.text(form, "reason") or "", requested_by=forms.text(form, "requested_by") or "plan")),
        "extended")


@router.post("/requests/{aid}/urgency")
async def urgency(aid: str, request: Request, session: SessionDep, user: Working) -> Response:
    form = await request.form()
    return act(request, session, user, aid, lambda: api.change_urgency(request, session, user, aid, rs.UrgencyIn(
        urgency=forms.text(form, "urgency") or "", reason=forms.text(form, "reason") or "")), "urgency")


@router.post("/requests/{aid}/peer-to-peer")
async def offer_p2p(aid: str, request: Request, session: SessionDep, user: Working) -> Response:
    form = await request.form()
    tz = _tz(request, session, aid)
    return act(request, session, user, aid, lambda: api.offer_p2p(request, session, user, aid, rs.PeerToPeerIn(
        timing=forms.text(form, "timing") or "before_decision",
        practitioner_name=forms.text(form, "practitioner_name"),
        practitioner_phone=forms.text(form, "practitioner_phone"),
        scheduled_for=_when(forms.text(form, "scheduled_for"), tz))), "p2p")


@router.post("/requests/{aid}/peer-to-peer/{p2p_id}")
async def update_p2p(aid: str, p2p_id: int, request: Request, session: SessionDep, user: Working) -> Response:
    form = await request.form()
    tz = _tz(request, session, aid)
    return act(request, session, user, aid, lambda: api.update_p2p(request, session, user, p2p_id,
               rs.PeerToPeerUpdate(status=forms.text(form, "status") or "", notes=forms.text(form, "notes"),
                                   outcome=forms.text(form, "outcome"),
                                   scheduled_for=_when(forms.text(form, "scheduled_for"), tz))), "p2p")


@router.post("/requests/{aid}/disclosure")
async def disclose(aid: str, request: Request, session: SessionDep, user: Disclosing) -> Response:
    form = await request.form()
    return act(request, session, user, aid, lambda: api.disclose(request, session, user, aid, rs.DisclosureIn(
        requester_kind=forms.text(form, "requester_kind") or "", requester_name=forms.text(form, "requester_name")
        or "", channel=forms.text(form, "channel") or "")), "disclosed")


@router.post("/requests/{aid}/documents")
async def add_document(aid: str, request: Request, session: SessionDep, user: Documenting) -> Response:
    form = await request.form()
    upload = form.get("file")
    back = f"/ui/portal/requests/{aid}" if user.role == Role.PROVIDER_OFFICE else None

    def run() -> None:
        kind = forms.text(form, "kind") or "clinical_documentation"
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise DomainError("choose a file to attach")
        if kind not in forms.DOCUMENT_FIELDS.values():
            raise DomainError(f"unknown kind of document {kind!r}")
        api.add_document(request, session, user, aid, upload, kind)

    return act(request, session, user, aid, run, "document", back)


@router.post("/requests/{aid}/notices/{notice_id}/call")
async def notice_call(aid: str, notice_id: int, request: Request, session: SessionDep, user: Working) -> Response:
    """Log the phone call that gives the decision to the provider."""
    form = await request.form()
    return act(request, session, user, aid, lambda: api.log_notice_call(request, session, user, notice_id, CallLog(
        staff_name=forms.text(form, "staff_name") or "", staff_title=forms.text(form, "staff_title") or "",
        organization=forms.text(form, "organization") or "", reached=forms.text(form, "reached") or "",
        outcome=forms.text(form, "outcome") or "")), "call_logged")


@router.post("/requests/{aid}/correction")
async def correct_receipt(aid: str, request: Request, session: SessionDep, user: Correcting) -> Response:
    """Correct the receipt time (a new event; the clocks are recomputed from it)."""
    form = await request.form()
    tz = _tz(request, session, aid)
    return act(request, session, user, aid, lambda: api.correct_receipt(request, session, user, aid, ReceiptCorrection(
        corrected_received_at=_when(forms.text(form, "corrected_received_at"), tz),
        reason=forms.text(form, "reason") or "")), "corrected")


@router.post("/requests/{aid}/involvement")
async def involvement(aid: str, request: Request, session: SessionDep, user: Supervising) -> Response:
    """Record that a reviewer took part in this member's care: they may not decide for the member."""
    form = await request.form()
    req = intake.get_request(session, authorization_id=aid)
    access.ensure_visible(user, req)
    return act(request, session, user, aid, lambda: api.record_involvement(request, session, user, rs.InvolvementIn(
        username=forms.text(form, "username") or "", member_id=req.member.member_id if req.member else "",
        plan_id=req.plan_id, reason=forms.text(form, "reason") or "")), "involvement")
