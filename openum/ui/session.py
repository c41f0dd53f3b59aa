"""Browser sessions: the API's signed JWT in an HttpOnly cookie, and CSRF tokens bound to it."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response

from openum.auth import service as auth
from openum.auth.models import User
from openum.auth.permissions import Permission, Role, allows
from openum.errors import AuthenticationFailed
from openum.settings import Settings
from openum.web.deps import SessionDep

SESSION_COOKIE = "openum_session"
LOGIN_CSRF_COOKIE = "openum_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class Viewer:
    """Who is signed in, copied out of the session so error pages can still name them."""

    username: str
    full_name: str
    title: str | None
    role: str
    organization_id: str | None


class SignInRequired(Exception):
    """No valid session: the page answers with a redirect to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        super().__init__("sign in required")
        self.next_url = next_url


class PageForbidden(Exception):
    """The signed-in role may not use this page (same matrix as the API)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CsrfRejected(Exception):
    """A POST arrived without the session's CSRF token."""


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def csrf_for(token: str, secret: str) -> str:
    """The CSRF token of a session: an HMAC of the session token, so nothing is stored."""
    return hmac.new(secret.encode(), b"csrf:" + token.encode(), hashlib.sha256).hexdigest()


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or _settings(request).env == "production"


def start_session(request: Request, response: Response, user: User) -> None:
    """Sign the user in: a JWT from the auth service, in an HttpOnly, SameSite=Lax cookie."""
    settings = _settings(request)
    token = auth.issue_token(user, secret=settings.secret_key, now=request.app.state.clock.now(),
                             minutes=settings.token_minutes)
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.token_minutes * 60, httponly=True,
                        samesite="lax", secure=_secure(request), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/ui")


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def set_login_csrf(request: Request, response: Response, value: str) -> None:
    """A double-submit token for the sign-in form (there is no session to bind it to yet)."""
    response.set_cookie(LOGIN_CSRF_COOKIE, value, max_age=3600, httponly=True, samesite="lax",
                        secure=_secure(request), path="/ui")


def login_csrf_ok(request: Request, submitted: str) -> bool:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    return bool(expected) and hmac.compare_digest(str(expected), submitted or "")


def _next_url(request: Request) -> str:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/ui/login?next=" + quote(path, safe="")


def signed_in_user(request: Request, session: SessionDep) -> User:
    """The user behind the session cookie, or SignInRequired."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired(_next_url(request))
    try:
        user_id = auth.read_token(token, secret=_settings(request).secret_key,
                                  now=request.app.state.clock.now())
    except AuthenticationFailed:
        raise SignInRequired(_next_url(request)) from None
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise SignInRequired(_next_url(request))
    request.state.csrf = csrf_for(token, _settings(request).secret_key)
    request.state.user = Viewer(user.username, user.full_name, user.title, user.role, user.organization_id)
    return user


async def verify_csrf(request: Request) -> None:
    """Every state-changing request must carry the session's CSRF token (form field or header)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    token = request.cookies.get(SESSION_COOKIE) or ""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else ""
    if not token or not hmac.compare_digest(csrf_for(token, _settings(request).secret_key), sent):
        raise CsrfRejected()


Signed = Annotated[User, Depends(signed_in_user)]


def requires(*permissions: Permission, staff_only: bool = False,
             provider_only: bool = False) -> Callable[..., Awaitable[User]]:
    """A page dependency: signed in, CSRF-checked on POST, holding every permission named."""

    async def _check(request: Request, user: Signed) -> User:
        await verify_csrf(request)
        missing = [p.value for p in permissions if not allows(user.role, p)]
        if missing:
            raise PageForbidden(f"Your role ({user.role}) may not use this page: it needs {', '.join(missing)}.")
        if staff_only and user.role == Role.PROVIDER_OFFICE:
            raise PageForbidden("This page is for health plan staff; provider offices use the provider portal.")
        if provider_only and user.role != Role.PROVIDER_OFFICE:
            raise PageForbidden("This page is the provider portal, for provider-office users.")
        return user

    return _check
