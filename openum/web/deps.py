"""FastAPI dependencies: the unit of work, the caller, and role checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from openum.audit.service import Actor
from openum.auth import oidc
from openum.auth import service as auth
from openum.auth.models import User
from openum.auth.permissions import Permission, allows
from openum.clock import Clock
from openum.errors import AuthenticationFailed, PermissionDenied
from openum.intake.storage import AttachmentStore
from openum.packs.registry import PackRegistry
from openum.settings import Settings

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_clock(request: Request) -> Clock:
    return request.app.state.clock  # type: ignore[no-any-return]


def get_registry(request: Request) -> PackRegistry:
    return request.app.state.registry  # type: ignore[no-any-return]


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_store(request: Request) -> AttachmentStore:
    return request.app.state.store  # type: ignore[no-any-return]


# scope="function": the transaction commits before the response is sent, so an acknowledged write
# is a committed write (the default "request" scope would commit after the client has its 201).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ClockDep = Annotated[Clock, Depends(get_clock)]
RegistryDep = Annotated[PackRegistry, Depends(get_registry)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StoreDep = Annotated[AttachmentStore, Depends(get_store)]


def current_user(
    session: SessionDep, clock: ClockDep, settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2)],
) -> User:
    if not token:
        raise AuthenticationFailed("sign in: send a bearer token from POST /api/v1/auth/token")
    try:
        user_id = auth.read_token(token, secret=settings.secret_key, now=clock.now())
    except AuthenticationFailed:
        if not oidc.accepts(token):  # local tokens first; then the external identity provider
            raise
        return oidc.authenticate(session, token, now=clock.now())
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise AuthenticationFailed("the account behind this token is no longer active")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require(permission: Permission) -> Callable[[User], User]:
    """A dependency that admits only roles holding `permission`."""

    def _check(user: CurrentUser) -> User:
        if not allows(user.role, permission):
            raise PermissionDenied(f"role {user.role} may not {permission.value}")
        return user

    _check.permission = permission  # type: ignore[attr-defined]  # read by the access documentation
    return _check


def actor_for(user: User, request: Request, channel: str = "api") -> Actor:
    ip = request.client.host if request.client else None
    return Actor(user.id, user.username, user.role, user.organization_id, ip, channel)
