"""SMART Backend Services: system clients authenticate with a signed JWT (client credentials).

A registered client (client_id, its organization, its public keys as a JWKS) is backed by a service
account of role provider_office in that organization, so everything it does is scoped exactly like
that organization's portal users: its tokens see only the organization's own requests.

POST /fhir/auth/token takes grant_type=client_credentials with client_assertion_type
urn:ietf:params:oauth:client-assertion-type:jwt-bearer and a client_assertion signed RS384 or ES384
(iss = sub = client_id, aud = this token endpoint, exp at most 5 minutes ahead, jti never reused),
and answers a short-lived bearer token of the API's own kind.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ForeignKey, String, UniqueConstraint, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from openum.auth import service as auth_service
from openum.auth.models import User
from openum.auth.permissions import Permission, Role
from openum.db import Base, JSONType, UTCDateTime
from openum.directory.models import Organization
from openum.errors import Conflict, DomainError
from openum.web.deps import ClockDep, SessionDep, SettingsDep, require

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ["RS384", "ES384"]
MAX_ASSERTION_LIFETIME = timedelta(minutes=5)
TOKEN_MINUTES = 5
SCOPES = ("system/*.read", "system/*.write", "system/*.*", "system/Claim.write", "system/Claim.read",
          "system/ClaimResponse.read", "system/Subscription.*", "system/Subscription.write")


class SmartClient(Base):
    """A registered backend service client of one provider organization."""

    __tablename__ = "smart_clients"

    client_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    jwks: Mapped[dict[str, Any]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UsedAssertion(Base):
    """jti values already presented, kept until their assertion expires (replay protection)."""

    __tablename__ = "smart_used_assertions"
    __table_args__ = (UniqueConstraint("client_id", "jti"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100))
    jti: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def _jwks(value: dict[str, Any]) -> dict[str, Any]:
    """A JWKS of public keys (a single JWK is wrapped); private keys are refused."""
    keys = value.get("keys") if "keys" in value else [value]
    if not isinstance(keys, list) or not keys:
        raise DomainError("jwks needs at least one key", details=[{"loc": ["body", "jwks"], "msg": "empty"}])
    for k in keys:
        if not isinstance(k, dict) or k.get("kty") not in ("RSA", "EC"):
            raise DomainError("keys must be RSA or EC JWKs", details=[{"loc": ["body", "jwks"], "msg": "kty"}])
        if "d" in k:
            raise DomainError("send the public key only", details=[{"loc": ["body", "jwks"], "msg": "private key"}])
        try:
            jwt.PyJWK.from_dict(k)
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, KeyError) as exc:
            raise DomainError(f"unreadable key: {exc}", details=[{"loc": ["body", "jwks"], "msg": "invalid"}]) from exc
    return {"keys": keys}


def register(session: Session, *, client_id: str, name: str, organization_id: str, jwks: dict[str, Any],
             now: datetime) -> SmartClient:
    """A client and its service account (role provider_office, in the organization)."""
    if session.get(Organization, organization_id) is None:
        raise DomainError(f"unknown organization {organization_id!r}",
                          details=[{"loc": ["body", "organization_id"], "msg": "unknown"}])
    if session.get(SmartClient, client_id) is not None:
        raise Conflict(f"client {client_id!r} is already registered")
    user = User(username=f"smart:{client_id}"[:100], full_name=name[:200], title="Backend service client",
                role=Role.PROVIDER_OFFICE.value, organization_id=organization_id,
                password_hash="!", active=True, failed_logins=0, credentials=[], created_at=now)
    session.add(user)
    session.flush()
    client = SmartClient(client_id=client_id, name=name, organization_id=organization_id, user_id=user.id,
                         jwks=_jwks(jwks), active=True, created_at=now)
    session.add(client)
    session.flush()
    return client


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def _key(client: SmartClient, header: dict[str, Any]) -> Any:
    keys = client.jwks.get("keys") or []
    kid = header.get("kid")
    matching = [k for k in keys if kid is None or k.get("kid") == kid]
    if not matching:
        raise OAuthError("invalid_client", f"no registered key with kid {kid!r}", 401)
    return jwt.PyJWK.from_dict(matching[0]).key


def authenticate(session: Session, *, assertion: str, audiences: list[str], now: datetime) -> SmartClient:
    """The client a valid assertion proves; each failure says which rule it broke."""
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise OAuthError("invalid_request", f"client_assertion is not a JWT: {exc}") from exc
    if header.get("alg") not in ALGORITHMS:
        raise OAuthError("invalid_client", f"alg {header.get('alg')!r}: use RS384 or ES384", 401)
    client_id = unverified.get("iss")
    client = session.get(SmartClient, client_id) if isinstance(client_id, str) else None
    if client is None or not client.active:
        raise OAuthError("invalid_client", f"unknown client {client_id!r}", 401)
    try:
        claims = jwt.decode(assertion, _key(client, header), algorithms=ALGORITHMS, audience=audiences,
                            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                                     "require": ["iss", "sub", "aud", "exp", "jti"]})
    except jwt.InvalidAudienceError as exc:
        raise OAuthError("invalid_client", f"aud must be this token endpoint ({audiences[0]})", 401) from exc
    except jwt.PyJWTError as exc:
        raise OAuthError("invalid_client", f"assertion rejected: {exc}", 401) from exc
    if claims["sub"] != claims["iss"]:
        raise OAuthError("invalid_client", "sub must equal iss (the client_id)", 401)
    exp = datetime.fromtimestamp(int(claims["exp"]), tz=now.tzinfo)
    if exp <= now:
        raise OAuthError("invalid_client", "the assertion has expired", 401)
    if exp > now + MAX_ASSERTION_LIFETIME + timedelta(seconds=30):
        raise OAuthError("invalid_client", "exp may be at most 5 minutes ahead", 401)
    session.execute(delete(UsedAssertion).where(UsedAssertion.expires_at < now))
    try:
        with session.begin_nested():
            session.add(UsedAssertion(client_id=client.client_id, jti=str(claims["jti"])[:200], expires_at=exp))
    except IntegrityError as exc:
        raise OAuthError("invalid_client", "this assertion (jti) was already used", 401) from exc
    return client


def _error(exc: OAuthError) -> JSONResponse:
    return JSONResponse({"error": exc.error, "error_description": exc.description}, status_code=exc.status,
                        headers={"Cache-Control": "no-store"})


router = APIRouter(tags=["smart"])


@router.post("/fhir/auth/token", summary="SMART Backend Services: client credentials with a signed JWT")
def token(request: Request, session: SessionDep, clock: ClockDep, settings: SettingsDep,
          grant_type: Annotated[str, Form()] = "",
          client_assertion_type: Annotated[str, Form()] = "",
          client_assertion: Annotated[str, Form()] = "",
          scope: Annotated[str, Form()] = "") -> JSONResponse:
    now = clock.now()
    try:
        if grant_type != "client_credentials":
            raise OAuthError("unsupported_grant_type", "grant_type must be client_credentials")
        if client_assertion_type != ASSERTION_TYPE or not client_assertion:
            raise OAuthError("invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}, "
                                                "with a client_assertion")
        requested = scope.split()
        if not requested or any(s not in SCOPES for s in requested):
            raise OAuthError("invalid_scope", f"ask for system scopes: {' '.join(SCOPES)}")
        url = str(request.url).split("?", 1)[0]
        audiences = [url]
        if request.headers.get("x-forwarded-proto") == "https":
            audiences.append(url.replace("http://", "https://", 1))
        client = authenticate(session, assertion=client_assertion, audiences=audiences, now=now)
    except OAuthError as exc:
        session.commit()  # expired jti rows swept even when refusing
        return _error(exc)
    user = session.get(User, client.user_id)
    assert user is not None
    if not user.active:
        return _error(OAuthError("invalid_client", "the client's account is disabled", 401))
    access = auth_service.issue_token(user, secret=settings.secret_key, now=now, minutes=TOKEN_MINUTES)
    session.commit()
    return JSONResponse({"access_token": access, "token_type": "bearer", "expires_in": TOKEN_MINUTES * 60,
                         "scope": " ".join(requested)}, headers={"Cache-Control": "no-store"})


class ClientIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client_id: Annotated[str, Field(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    organization_id: Annotated[str, Field(min_length=1, max_length=64)]
    jwks: dict[str, Any]


@router.post("/api/v1/smart-clients", status_code=201, summary="Register a SMART backend service client")
def register_client(body: ClientIn, session: SessionDep, clock: ClockDep,
                    user: Annotated[User, Depends(require(Permission.USER_MANAGE))]) -> dict[str, Any]:
    client = register(session, client_id=body.client_id, name=body.name, organization_id=body.organization_id,
                      jwks=body.jwks, now=clock.now())
    return {"client_id": client.client_id, "organization_id": client.organization_id,
            "keys": [k.get("kid") for k in client.jwks["keys"]], "token_endpoint": "/fhir/auth/token"}

