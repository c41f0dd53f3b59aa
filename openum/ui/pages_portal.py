"""The provider portal: submit, status (A/C/D/P/M) and details, answer information requests, reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from openum.auth.models import User
from openum.auth.permissions import Permission
from openum.deadlines import service as deadlines
from openum.intake import service as intake
from openum.ui import api, casefile, reports
from openum.ui.pages_intake import handle_submission, request_form
from openum.ui.rendering import render
from openum.ui.session import requires
from openum.web.deps import SessionDep, actor_for

router = APIRouter(prefix="/portal")
Portal = Annotated[User, Depends(requires(Permission.REQUEST_SEARCH, Permission.REQUEST_READ, provider_only=True))]
PortalSubmit = Annotated[User, Depends(requires(Permission.REQUEST_SUBMIT, provider_only=True))]
CODES = ("A", "C", "D", "P", "M")


@router.get("", response_class=HTMLResponse)
def my_requests(request: Request, session: SessionDep, user: Portal, status: str | None = None,
                member_id: str | None = None) -> HTMLResponse:
    """The office's requests (its organization's only), filterable by A/C/D/P/M and member."""
    code = status if status in CODES else None
    page = api.search(request, session, user, member_id=(member_id or "").strip() or None,
                      provider_status_code=code, limit=200)
    return render(request, "portal_list.html", {"page": page, "status": code or "", "member_id": member_id or ""})


@router.get("/new", response_class=HTMLResponse)
def new_request(request: Request, session: SessionDep, user: PortalSubmit) -> HTMLResponse:
    return request_form(request, session, user, portal=True)


@router.post("/new")
async def submit(request: Request, session: SessionDep, user: PortalSubmit) -> Response:
    return await handle_submission(request, session, user, portal=True)


def portal_detail(request: Request, session: Session, user: User, aid: str, *, error: str | None = None,
                  status: int = 200) -> HTMLResponse:
    out = api.get_request(request, session, user, aid)  # 404 for another organization's request
    req = intake.get_request(session, authorization_id=aid)
    tz = str(deadlines.pack_for(request.app.state.registry, req).calendar.time_zone)
    return render(request, "portal_detail.html", {"r": out, "tz": tz, "error": error,
                                                  "notices": casefile.notices(session, req, user)},
                  status_code=status)


@router.get("/requests/{aid}", response_class=HTMLResponse)
def detail(aid: str, request: Request, session: SessionDep, user: Portal) -> HTMLResponse:
    return portal_detail(request, session, user, aid)


@router.get("/reports", response_class=HTMLResponse)
def report(request: Request, session: SessionDep, user: Portal, member_id: str | None = None,
           authorization_id: str | None = None, format: str | None = None) -> Response:
    """Authorization reports per member, per authorization or in aggregate, for this office only."""
    member_id = (member_id or "").strip() or None
    aid = (authorization_id or "").strip().upper() or None
    lines = reports.rows(session, user, member_id=member_id, authorization_id=aid)
    reports.audit_report(session, actor_for(user, request, "web"), request.app.state.clock.now(), member_id, aid)
    if format == "csv":
        return Response(reports.to_csv(lines), media_type="text/csv", headers={
            "Content-Disposition": 'attachment; filename="service-authorization-report.csv"',
            "Cache-Control": "no-store"})
    scope = "authorization" if aid else ("member" if member_id else "aggregate")
    return render(request, "portal_reports.html", {"lines": lines, "summary": reports.aggregate(lines),
                                                   "member_id": member_id or "", "authorization_id": aid or "",
                                                   "scope": scope})
