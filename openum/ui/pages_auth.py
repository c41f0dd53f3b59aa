"""Sign in, sign out, and each role's start page."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openum.auth import service as auth
from openum.auth.models import User
from openum.auth.permissions import Permission, Role, allows
from openum.errors import AuthenticationFailed
from openum.ui.rendering import render
from openum.ui.session import (
    LOGIN_CSRF_COOKIE,
    end_session,
    login_csrf_ok,
    set_login_csrf,
    signed_in_user,
    start_session,
    verify_csrf,
)
from openum.web.deps import SessionDep

router = APIRouter()


def start_page(user: User) -> str:
    """Where each role's working day begins."""
    if user.role == Role.PROVIDER_OFFICE:
        return "/ui/portal"
    if user.role == Role.MEMBER_SERVICES:
        return "/ui/member-services"
    if user.role == Role.UM_MANAGER:
        return "/ui/supervisor"
    if allows(user.role, Permission.REVIEW_WORK):
        return "/ui/queue"
    if user.role == Role.INTAKE_COORDINATOR:
        return "/ui/requests/new"
    if allows(user.role, Permission.REQUEST_SEARCH):
        return "/ui/requests"
    return "/ui/admin"


def _safe_next(value: str | None) -> str | None:
    """Only local /ui paths: never an open redirect."""
    if value and value.startswith("/ui/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


@router.get("/")
def home(user: Annotated[User, Depends(signed_in_user)]) -> RedirectResponse:
    return RedirectResponse(start_page(user), status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    return _login_page(request, token, _safe_next(next))


def _login_page(request: Request, token: str, next_url: str | None, error: str | None = None,
                username: str = "", status: int = 200) -> Response:
    response = render(request, "login.html", {"next": next_url or "", "login_csrf": token, "login_error": error,
                                              "username": username}, status_code=status)
    set_login_csrf(request, response, token)
    return response


@router.post("/login")
def login(request: Request, session: SessionDep, username: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", csrf_token: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "") -> Response:
    if not login_csrf_ok(request, csrf_token):
        return _login_page(request, secrets.token_urlsafe(32), _safe_next(next),
                           "The sign-in form expired; please try again.", username, 403)
    try:
        user = auth.authenticate(session, username=username.strip(), password=password,
                                 now=request.app.state.clock.now())
    except AuthenticationFailed as exc:
        session.commit()  # keep the failed-login count, as the API does
        return _login_page(request, csrf_token, _safe_next(next), exc.message, username, 401)
    response = RedirectResponse(_safe_next(next) or start_page(user), status_code=303)
    start_session(request, response, user)
    return response


@router.post("/logout")
async def logout(request: Request, _: Annotated[User, Depends(signed_in_user)]) -> Response:
    await verify_csrf(request)
    response = RedirectResponse("/ui/login", status_code=303)
    end_session(response)
    return response
