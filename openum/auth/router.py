"""Sign-in (OAuth2 password flow) and account administration."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlalchemy import select

from openum.auth import service
from openum.auth.models import User
from openum.auth.permissions import MATRIX, Permission
from openum.web.deps import ClockDep, CurrentUser, SessionDep, SettingsDep, require

router = APIRouter(prefix="/api/v1", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    role: str
    organization_id: str | None


@router.post("/auth/token", response_model=Token, summary="Exchange username and password for a token")
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep,
          clock: ClockDep, settings: SettingsDep) -> Token:
    now = clock.now()
    try:
        user = service.authenticate(session, username=form.username, password=form.password, now=now)
    except Exception:
        session.commit()  # keep the failed-login count even though we refuse
        raise
    return Token(access_token=service.issue_token(user, secret=settings.secret_key, now=now,
                                                  minutes=settings.token_minutes),
                 expires_in=settings.token_minutes * 60, role=user.role,
                 organization_id=user.organization_id)


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str
    title: str | None
    role: str
    organization_id: str | None
    active: bool


class Credential(BaseModel):
    type: str
    identifier: str | None = None
    expires_on: date | None = None


class UserIn(BaseModel):
    username: Annotated[str, Field(min_length=3, max_length=100, pattern=r"^[a-zA-Z0-9_.@-]+$")]
    password: Annotated[str, Field(min_length=8, max_length=200)]
    role: str
    full_name: Annotated[str, Field(min_length=1, max_length=200)]
    title: str | None = None
    organization_id: str | None = None
    credentials: list[Credential] = []


@router.get("/me", response_model=UserOut, summary="Who am I?")
def me(user: CurrentUser) -> User:
    return user


@router.get("/users", response_model=list[UserOut], summary="List accounts")
def list_users(session: SessionDep,
               _: Annotated[User, Depends(require(Permission.USER_MANAGE))]) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


@router.post("/users", response_model=UserOut, status_code=201, summary="Add an account")
def add_user(body: UserIn, session: SessionDep, clock: ClockDep,
             _: Annotated[User, Depends(require(Permission.USER_MANAGE))]) -> User:
    return service.create_user(session, username=body.username, password=body.password,
                               role=body.role, full_name=body.full_name, now=clock.now(),
                               organization_id=body.organization_id, title=body.title,
                               credentials=[c.model_dump(mode="json") for c in body.credentials])


@router.get("/roles", summary="The role-permission matrix")
def roles(_: CurrentUser) -> dict[str, Any]:
    return {role.value: sorted(p.value for p in perms) for role, perms in MATRIX.items()}
