"""Jinja2 templates, their filters, and the navigation each role sees."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from openum.auth.permissions import Permission, Role, allows
from openum.ui.session import Viewer

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
UTC = ZoneInfo("UTC")

STATUS_WORDS = {
    "received": "Received", "pended_for_information": "Pended for information",
    "in_clinical_review": "In clinical review", "in_physician_review": "In physician review",
    "approved": "Approved", "partially_approved": "Partially approved", "denied": "Denied",
    "closed": "Closed", "withdrawn": "Withdrawn", "voided": "Voided",
}
PROVIDER_CODES = {"A": "Approved", "C": "Closed", "D": "Denied", "P": "Pended", "M": "Medical review"}
MESSAGES = {
    "claimed": "You now own this review.", "released": "The item is back in the queue.",
    "evaluated": "Criteria evaluated with the facts given.", "decided": "Decision recorded.",
    "pended": "Information requested; the request is pended and its clock keeps running.",
    "referred": "Referred.", "noted": "Note added.", "p2p": "Peer-to-peer recorded.",
    "disclosed": "Criteria disclosure recorded.", "extended": "Extension recorded.",
    "urgency": "Urgency changed.", "document": "Document attached.", "reassigned": "Work item reassigned.",
    "call": "Call logged.", "call_logged": "Call to the provider recorded.", "user": "User added.",
    "submitted": "Request received.", "corrected": "Receipt time corrected; clocks recomputed.",
    "involvement": "Involvement in the member's care recorded.",
    "duplicate": "This matches a request already received: no new request was created.",
}


def local(value: datetime | None, tz: str | ZoneInfo | None = None, fmt: str = "%a %d %b %Y, %H:%M %Z") -> str:
    """A UTC instant shown on a wall clock (the plan's time zone when given)."""
    if value is None:
        return "—"
    zone = ZoneInfo(tz) if isinstance(tz, str) else (tz or UTC)
    return value.astimezone(zone).strftime(fmt)


def day(value: date | str | None) -> str:
    if value is None or value == "":
        return "—"
    d = date.fromisoformat(value) if isinstance(value, str) else value
    return d.strftime("%d %b %Y")


def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


ACRONYMS = {"um": "UM", "bh": "BH", "qhp": "QHP", "hmo": "HMO", "ppo": "PPO", "pdf": "PDF", "epsdt": "EPSDT",
            "dme": "DME", "snf": "SNF", "sud": "SUD", "npi": "NPI", "tty": "TTY"}


def words(value: str | None) -> str:
    """snake_case vocabulary as words for people."""
    if not value:
        return "—"
    if value in STATUS_WORDS:
        return STATUS_WORDS[value]
    parts = value.replace("_", " ").replace("-", " ").split(" ")
    out = [ACRONYMS.get(w.lower(), w) for w in parts]
    first = out[0] if out[0] in ACRONYMS.values() else out[0].capitalize()
    return " ".join([first, *out[1:]])


def obligation(value: str) -> str:
    """A clock's obligation as a heading: 'provider_written:denial' -> 'Provider written notice, if denied'."""
    name, _, outcome = value.partition(":")
    base = {"decision": "Decision", "provider_verbal": "Provider notice by phone",
            "provider_written": "Provider written notice",
            "member_written": "Member written notice"}.get(name) or words(name)
    return base + {"approval": ", if approved", "denial": ", if denied"}.get(outcome, "")


def left(due: datetime | None, now: datetime) -> str:
    """Time left (or overdue), as the live countdown first shows it."""
    if due is None:
        return "no due time yet"
    secs = int(abs((due - now).total_seconds()))
    d, h, m = secs // 86400, secs % 86400 // 3600, secs % 3600 // 60
    text = f"{d} d {h} h {m} min" if d else (f"{h} h {m} min" if h else f"{m} min {secs % 60} s")
    return f"overdue by {text}" if due <= now else f"{text} left"


def due_state(due: datetime | None, risk_at: datetime | None, now: datetime) -> str:
    """'overdue', 'at-risk' or '' (on time)."""
    if due is not None and due <= now:
        return "overdue"
    return "at-risk" if risk_at is not None and now >= risk_at else ""


def sentence(value: str | None) -> str:
    """First letter upper case, the rest as written."""
    return (value[:1].upper() + value[1:]) if value else ""


TEMPLATES.env.filters.update(local=local, day=day, iso=iso, words=words, obligation=obligation, sentence=sentence)
TEMPLATES.env.globals.update(left=left, due_state=due_state)
TEMPLATES.env.globals.update(PROVIDER_CODES=PROVIDER_CODES)


def nav_for(user: Viewer) -> list[tuple[str, str]]:
    """The pages a role may open, in the order of its working day."""
    role, out = user.role, []
    if role == Role.PROVIDER_OFFICE:
        return [("/ui/portal", "My requests"), ("/ui/portal/new", "New request"),
                ("/ui/portal/reports", "Authorization reports")]
    if allows(role, Permission.REVIEW_WORK):
        out.append(("/ui/queue", "Physician queue" if role in (Role.PHYSICIAN_REVIEWER,
                                                               Role.BH_CLINICAL_DIRECTOR) else "My queue"))
    if allows(role, Permission.QUEUE_SUPERVISE):
        out.append(("/ui/supervisor", "Supervisor"))
    if allows(role, Permission.REQUEST_SUBMIT):
        out.append(("/ui/requests/new", "New request"))
    if allows(role, Permission.REQUEST_SEARCH):
        out.append(("/ui/requests", "Find a request"))
    if allows(role, Permission.REQUEST_SEARCH) and allows(role, Permission.COVERAGE_CHECK):
        out.append(("/ui/member-services", "Member services"))
    if allows(role, Permission.USER_MANAGE):
        out.append(("/ui/admin", "Administration"))
    return out


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    """A page with the signed-in user, navigation, CSRF token and server time filled in."""
    user: Viewer | None = getattr(request.state, "user", None)
    nav = nav_for(user) if user else []
    here = request.url.path
    matches = [href for href, _ in nav if here == href or here.startswith(href.rstrip("/") + "/")]
    ctx: dict[str, Any] = {
        "user": user, "nav": nav, "active": max(matches, key=len) if matches else None,
        "csrf": getattr(request.state, "csrf", ""),
        "zones": {lob.id: str(p.calendar.time_zone) for p in request.app.state.registry.all()
                  for lob in p.manifest.lines_of_business},
        "path": request.url.path, "now": request.app.state.clock.now(),
        "message": MESSAGES.get(request.query_params.get("msg", "")),
    }
    ctx.update(context or {})
    response = TEMPLATES.TemplateResponse(request, template, ctx, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response
