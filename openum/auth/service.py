"""Local accounts: argon2 password hashes, lockout after repeated failures, signed bearer tokens."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.auth.models import User
from openum.auth.permissions import Role
from openum.directory.models import Organization
from openum.errors import AuthenticationFailed, Conflict, DomainError

_hasher = PasswordHasher()
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_DUMMY_HASH = _hasher.hash("timing-equaliser")


class InvalidUser(DomainError):
    code = "invalid_user"
    http_status = 422


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    full_name: str,
    now: datetime,
    organization_id: str | None = None,
    title: str | None = None,
    credentials: list[dict[str, Any]] | None = None,
) -> User:
    """Add a local account; provider-office users must belong to an organization."""
    try:
        Role(role)
    except ValueError as exc:
        raise InvalidUser(f"unknown role {role!r}; roles: {[r.value for r in Role]}") from exc
    if role == Role.PROVIDER_OFFICE and not organization_id:
        raise InvalidUser("a provider_office user must belong to an organization")
    if organization_id and session.get(Organization, organization_id) is None:
        raise InvalidUser(f"unknown organization {organization_id!r}")
    if len(password) < 8:
        raise InvalidUser("password must be at least 8 characters")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists")
    user = User(username=username, full_name=full_name, title=title, role=role,
                organization_id=organization_id, password_hash=_hasher.hash(password),
                credentials=credentials or [], created_at=now)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, *, username: str, password: str, now: datetime) -> User:
    """The user if the password is right; counts failures and locks the account after five."""
    user = session.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None or not user.active:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)  # same cost whether or not the user exists
        raise AuthenticationFailed("incorrect username or password")
    if user.locked_until is not None and user.locked_until > now:
        raise AuthenticationFailed(
            f"account locked after {MAX_FAILED_LOGINS} failed logins; try again after "
            f"{user.locked_until.isoformat()}")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        raise AuthenticationFailed("incorrect username or password") from None
    user.failed_logins = 0
    user.locked_until = None
    return user


def issue_token(user: User, *, secret: str, now: datetime, minutes: int) -> str:
    claims = {"sub": str(user.id), "role": user.role, "org": user.organization_id,
              "iat": int(now.timestamp()), "exp": int((now + timedelta(minutes=minutes)).timestamp())}
    return jwt.encode(claims, secret, algorithm="HS256")


def read_token(token: str, *, secret: str, now: datetime) -> int:
    """The user id a valid, unexpired token was issued to."""
    try:
        # Times are checked below against the injected clock, not the library's wall clock.
        claims = jwt.decode(token, secret, algorithms=["HS256"],
                            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                                     "require": ["exp", "iat", "sub"]})
    except jwt.PyJWTError as exc:
        raise AuthenticationFailed("invalid bearer token") from exc
    if int(claims["iat"]) > now.timestamp() + 60:
        raise AuthenticationFailed("bearer token issued in the future")
    if int(claims["exp"]) <= now.timestamp():
        raise AuthenticationFailed("bearer token has expired; sign in again")
    return int(claims["sub"])
