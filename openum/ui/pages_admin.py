"""Administration: validate a plan-pack folder and show its errors; users and roles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.auth.models import User
from openum.auth.permissions import MATRIX, Permission, Role
from openum.auth.router import UserIn
from openum.directory.models import Organization
from openum.errors import DomainError
from openum.packs.loader import PackLoadError, PlanPack, load_pack
from openum.ui import api, forms
from openum.ui.rendering import render
from openum.ui.session import requires
from openum.web.deps import SessionDep

router = APIRouter(prefix="/admin")
Admin = Annotated[User, Depends(requires(Permission.USER_MANAGE, Permission.PACK_READ))]


def summary(pack: PlanPack) -> dict[str, Any]:
    """What a valid pack holds, in a few numbers."""
    return {"plan": pack.manifest.plan.name, "plan_id": pack.plan_id, "version": pack.version,
            "effective_from": pack.manifest.effective_from, "time_zone": str(pack.calendar.time_zone),
            "lines_of_business": [lob.id for lob in pack.manifest.lines_of_business],
            "services": len(pack.catalog.services), "roles": len(pack.roles.roles),
            "sections": {name: len(files) for name, files in pack.sections.items()},
            "approved_by": pack.manifest.approval.approved_by, "committee": pack.manifest.approval.committee}


def admin_page(request: Request, session: Session, user: User, *, check: dict[str, Any] | None = None,
               error: str | None = None, details: list[str] | None = None, values: Any = None,
               status: int = 200) -> HTMLResponse:
    orgs = list(session.scalars(select(Organization).order_by(Organization.plan_id, Organization.name)))
    return render(request, "admin.html", {
        "packs": [summary(p) for p in request.app.state.registry.all()], "check": check,
        "users": api.list_users(request, session, user), "roles": [r.value for r in Role], "orgs": orgs,
        "matrix": {r.value: sorted(p.value for p in perms) for r, perms in MATRIX.items()},
        "error": error, "error_details": details or [], "v": values or {}}, status_code=status)


@router.get("", response_class=HTMLResponse)
def admin(request: Request, session: SessionDep, user: Admin) -> HTMLResponse:
    return admin_page(request, session, user)


@router.post("/packs/check", response_class=HTMLResponse)
async def check_pack(request: Request, session: SessionDep, user: Admin) -> HTMLResponse:
    """Load and validate a pack folder on the server; every problem is listed with its file and path."""
    form = await request.form()
    folder = forms.text(form, "folder") or ""
    result: dict[str, Any] = {"folder": folder, "ok": False, "errors": [], "summary": None}
    path = Path(folder).expanduser()
    if not folder or not path.is_dir():
        result["errors"] = [f"{folder or '(empty)'}: not a folder on the server"]
    else:
        try:
            result["summary"], result["ok"] = summary(load_pack(path.resolve())), True
        except PackLoadError as exc:
            result["errors"] = [str(e) for e in exc.errors]
        except (OSError, ValueError) as exc:
            result["errors"] = [f"could not read the pack: {exc}"]
    return admin_page(request, session, user, check=result, values=form)


@router.post("/users")
async def add_user(request: Request, session: SessionDep, user: Admin) -> Response:
    form = await request.form()
    cred = forms.text(form, "credential_type")
    try:
        creds = [{"type": cred, "expires_on": forms.text(form, "credential_expires")}] if cred else []
        body = UserIn(username=forms.text(form, "username") or "", password=str(form.get("password") or ""),
                      role=forms.text(form, "role") or "", full_name=forms.text(form, "full_name") or "",
                      title=forms.text(form, "title"), organization_id=forms.text(form, "organization_id"),
                      credentials=creds)
        api.add_user(request, session, user, body)
    except ValidationError as exc:
        session.rollback()
        return admin_page(request, session, user, error="The new user has problems:", details=forms.problems(exc),
                          values=form, status=422)
    except DomainError as exc:
        session.rollback()
        return admin_page(request, session, user, error=exc.message, values=form, status=exc.http_status)
    return RedirectResponse("/ui/admin?msg=user#users", status_code=303)
