"""Intake: the Manual Authorization Request Form (staff) and its inline coverage answer; find a request."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from openum.auth.models import User
from openum.auth.permissions import Permission, Role, allows
from openum.coverage.router import CodeIn, CoverageCheck
from openum.directory.models import Provider
from openum.errors import DomainError
from openum.packs.schema import Setting
from openum.ui import api, forms
from openum.ui.rendering import render
from openum.ui.session import requires
from openum.vocabulary import Channel, RequestKind
from openum.web.deps import SessionDep

router = APIRouter()
Submitting = Annotated[User, Depends(requires(Permission.REQUEST_SUBMIT, staff_only=True))]
Checking = Annotated[User, Depends(requires(Permission.COVERAGE_CHECK))]
Searching = Annotated[User, Depends(requires(Permission.REQUEST_SEARCH, staff_only=True))]
Adding = Annotated[User, Depends(requires(Permission.REQUEST_SUBMIT))]

STAFF_CHANNELS = [(Channel.FAX, "Fax"), (Channel.MANUAL, "Manual form (system downtime, mail)"),
                  (Channel.PHONE, "Phone")]
PLACES = [("11", "Office"), ("12", "Home"), ("19", "Off-campus outpatient hospital"), ("21", "Inpatient hospital"),
          ("22", "On-campus outpatient hospital"), ("23", "Emergency room"), ("24", "Ambulatory surgical center"),
          ("31", "Skilled nursing facility"), ("55", "Residential substance abuse facility")]


def form_options(request: Request, session: Session, user: User) -> dict[str, Any]:
    """Choices the request form offers: plans, kinds, settings, places of service, the office's NPIs."""
    registry = request.app.state.registry
    plans = [(p, registry.versions(p)[-1].manifest.plan.name) for p in registry.plan_ids()]
    npis: list[Provider] = []
    if user.organization_id:
        npis = list(session.scalars(select(Provider).where(Provider.organization_id == user.organization_id)
                                    .order_by(Provider.name)))
    return {"plans": plans, "kinds": [k.value for k in RequestKind], "settings": [s.value for s in Setting],
            "places": PLACES, "channels": STAFF_CHANNELS, "office_providers": npis}


def request_form(request: Request, session: Session, user: User, *, portal: bool,
                 values: FormData | None = None, errors: list[str] | None = None,
                 status: int = 200) -> HTMLResponse:
    lines = forms.line_indexes(values) if values is not None else []
    ctx = {"portal": portal, "v": values or {}, "line_count": max([2, *(i + 1 for i in lines)]),
           "idempotency_key": (values.get("idempotency_key") if values else None) or secrets.token_urlsafe(16),
           "error": "The form has problems; nothing was submitted." if errors else None,
           "error_details": errors or [], **form_options(request, session, user)}
    return render(request, "request_form.html", ctx, status_code=status)


async def handle_submission(request: Request, session: Session, user: User, *, portal: bool) -> Response:
    """Parse the form, submit through intake, and show the receipt (or the problems)."""
    form = await request.form()
    parsed = await forms.parse_submission(form)
    if parsed.command is None:
        return request_form(request, session, user, portal=portal, values=form, errors=parsed.errors, status=422)
    channel = Channel(forms.text(form, "channel") or Channel.MANUAL.value) if not portal else Channel.PORTAL
    try:
        result = api.submit(request, session, user, parsed.command, channel, forms.text(form, "idempotency_key"))
    except DomainError as exc:
        session.rollback()
        details = [f"{'.'.join(str(x) for x in d.get('loc', []))}: {d.get('msg')}" for d in exc.details]
        return request_form(request, session, user, portal=portal, values=form, errors=[exc.message, *details],
                            status=exc.http_status)
    base = "/ui/portal/requests" if portal else "/ui/requests"
    msg = "duplicate" if result.duplicate else "submitted"
    return RedirectResponse(f"{base}/{result.authorization_id}?msg={msg}", status_code=303)


@router.get("/requests/new", response_class=HTMLResponse)
def new_request(request: Request, session: SessionDep, user: Submitting) -> HTMLResponse:
    return request_form(request, session, user, portal=False)


@router.post("/requests/new")
async def submit_request(request: Request, session: SessionDep, user: Submitting) -> Response:
    return await handle_submission(request, session, user, portal=False)


@router.get("/fragments/line", response_class=HTMLResponse)
def line_fragment(request: Request, user: Adding, index: int = 0) -> HTMLResponse:
    index = max(0, min(index, forms.MAX_LINES - 1))
    return render(request, "fragments/line.html", {"i": index, "v": {}, "places": PLACES,
                                                   "next_index": index + 1, "max_lines": forms.MAX_LINES})


def _possible_duplicates(request: Request, session: Session, user: User, member_id: str,
                         codes: list[str], exclude: str | None = None) -> list[Any]:
    seen: dict[str, Any] = {}
    for code in codes:
        page = api.search(request, session, user, member_id=member_id, code=code, limit=20)
        for hit in page.items:
            if hit.provider_status in ("P", "M", "A") and hit.authorization_id != exclude:
                seen.setdefault(hit.authorization_id, hit)
    return list(seen.values())


@router.post("/fragments/coverage", response_class=HTMLResponse)
async def coverage_fragment(request: Request, session: SessionDep, user: Checking) -> HTMLResponse:
    """Is authorization needed? The coverage answer for what the form holds so far (htmx)."""
    form = await request.form()
    fields = forms.submit_fields(form)
    member_id = fields["member"]["member_id"]
    codes = [ln for ln in fields["service_lines"] if ln["code"]]
    day = next((ln["from_date"] for ln in codes if ln["from_date"]), None) or fields["admission_date"]
    ctx: dict[str, Any] = {"answer": None, "problem": None, "duplicates": []}
    if not (member_id and codes and day):
        ctx["problem"] = "Enter the member ID, at least one service code and its date of service to see the answer."
        return render(request, "fragments/coverage.html", ctx)
    try:
        body = CoverageCheck(plan_id=fields["plan_id"], member_id=member_id,
                             services=[CodeIn(code=ln["code"], units=int(ln["units"] or 1)) for ln in codes],
                             servicing_provider_npi=fields["servicing_provider_npi"] or fields["facility_npi"],
                             date_of_service=date.fromisoformat(str(day)), setting=fields["setting"])
        ctx["answer"] = api.coverage_check(request, session, user, body)
        ctx["tz"] = str(request.app.state.registry.versions(ctx["answer"]["plan_id"])[-1].calendar.time_zone)
        if allows(user.role, Permission.REQUEST_SEARCH):  # the search endpoint's own permission
            ctx["duplicates"] = _possible_duplicates(request, session, user, member_id,
                                                     [ln["code"] for ln in codes])
    except (ValidationError, ValueError) as exc:
        ctx["problem"] = "; ".join(forms.problems(exc)) if isinstance(exc, ValidationError) else str(exc)
    except DomainError as exc:
        session.rollback()
        ctx["problem"] = exc.message
    return render(request, "fragments/coverage.html", ctx)


@router.get("/requests", response_class=HTMLResponse)
def find_requests(request: Request, session: SessionDep, user: Searching, q: str | None = None,
                  member_id: str | None = None, provider_status: str | None = None,
                  code: str | None = None) -> HTMLResponse:
    """Find a request by authorization ID, member ID, code or A/C/D/P/M status."""
    q = (q or "").strip()
    if q and "-" in q:
        return RedirectResponse(f"/ui/requests/{q.upper()}", status_code=303)  # type: ignore[return-value]
    filters = {"member_id": (member_id or q or None), "code": code or None,
               "provider_status_code": provider_status if provider_status in ("A", "C", "D", "P", "M") else None}
    page = api.search(request, session, user, limit=100, **filters)
    return render(request, "requests.html", {"page": page, "q": q, "member_id": member_id or "",
                                             "provider_status": provider_status or "", "code": code or "",
                                             "is_provider": user.role == Role.PROVIDER_OFFICE})
