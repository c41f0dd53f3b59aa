"""Bearer tokens from an external OpenID Connect provider, checked against its published keys."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import jwt
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.auth.models import User
from openum.auth.permissions import Role
from openum.errors import AuthenticationFailed

REFETCH_AFTER_SECONDS = 60.0  # an unknown key id triggers a refetch at most this often


class OidcSettings(BaseSettings):
    """OPENUM_OIDC_* variables; OIDC is off unless issuer and audience are both set."""

    model_config = SettingsConfigDict(env_prefix="OPENUM_OIDC_", extra="ignore")

    issuer: str | None = None
    audience: str | None = None
    jwks_url: str | None = None  # default: the jwks_uri of the issuer's discovery document
    jwks_file: Path | None = None  # a JWKS on disk instead of a URL
    algorithms: list[str] = ["RS256"]
    username_claims: list[str] = ["preferred_username", "email"]
    role_claim: str = "openum_role"  # a string or a list; must name the local account's role
    organization_claim: str = "openum_org"  # when present, must match the account's organization
    jit_provisioning: bool = False  # create a local account on first sign-in (off: accounts are made here)
    cache_seconds: int = Field(default=3600, ge=0)
    leeway_seconds: int = Field(default=60, ge=0)

    @property
    def enabled(self) -> bool:
        return bool(self.issuer)


def _http_json(url: str) -> dict[str, Any]:
    r = httpx.get(url, timeout=5.0, follow_redirects=False)
    r.raise_for_status()
    data: dict[str, Any] = r.json()
    return data


class OidcProvider:
    """One issuer: its key set (cached, refetched on expiry or an unknown key id) and claim checks."""

    def __init__(self, config: OidcSettings, *, fetch: Callable[[str], dict[str, Any]] = _http_json,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        if not config.issuer or not config.audience:
            raise ValueError("OPENUM_OIDC_ISSUER and OPENUM_OIDC_AUDIENCE must be set together")
        if any(not a.startswith(("RS", "PS", "ES")) for a in config.algorithms):
            raise ValueError("OIDC tokens must be signed with a public-key algorithm (RS*, PS*, ES*)")
        self.config = config
        self._fetch = fetch
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None

    def _load(self) -> dict[str, Any]:
        c = self.config
        if c.jwks_file is not None:
            data: dict[str, Any] = json.loads(c.jwks_file.read_text())
            return data
        url = c.jwks_url or self._fetch(f"{c.issuer.rstrip('/')}/.well-known/openid-configuration")["jwks_uri"]  # type: ignore[union-attr]
        return self._fetch(url)

    def _refresh(self) -> None:
        jwks = jwt.PyJWKSet.from_dict(self._load())
        self._keys = {k.key_id or "": k for k in jwks.keys}
        self._fetched_at = self._monotonic()

    def key(self, kid: str | None) -> jwt.PyJWK:
        """The signing key named by a token's `kid` (the only key when the set has one and no kid)."""
        with self._lock:
            now = self._monotonic()
            stale = self._fetched_at is None or now - self._fetched_at > self.config.cache_seconds
            unknown = (kid or "") not in self._keys and not (kid is None and len(self._keys) == 1)
            if stale or (unknown and now - (self._fetched_at or 0.0) > REFETCH_AFTER_SECONDS):
                try:
                    self._refresh()
                except Exception as exc:
                    if not self._keys:
                        raise AuthenticationFailed("the identity provider's keys are unavailable") from exc
            if kid is None and len(self._keys) == 1:
                return next(iter(self._keys.values()))
            found = self._keys.get(kid or "")
        if found is None:
            raise AuthenticationFailed("invalid bearer token: unknown signing key")
        return found

    def claims(self, token: str, *, now: datetime | None) -> dict[str, Any]:
        """The verified claims; times are checked against `now` (skipped when None)."""
        c = self.config
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in c.algorithms:
                raise AuthenticationFailed("invalid bearer token: signing algorithm not accepted")
            key = self.key(header.get("kid"))
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=c.algorithms, audience=c.audience, issuer=c.issuer,
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                         "require": ["exp", "iat", "iss", "aud", "sub"]})
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed("invalid bearer token") from exc
        if now is not None:
            t, leeway = now.timestamp(), c.leeway_seconds
            if float(claims["exp"]) <= t - leeway:
                raise AuthenticationFailed("bearer token has expired; sign in again")
            if float(claims["iat"]) > t + leeway or float(claims.get("nbf", 0)) > t + leeway:
                raise AuthenticationFailed("bearer token is not valid yet")
        return claims

    def user(self, session: Session, claims: dict[str, Any], *, now: datetime) -> User:
        """The local account these claims name, its role confirmed by the role claim."""
        c = self.config
        username = next((str(claims[k]) for k in c.username_claims if claims.get(k)), None)
        if username is None:
            raise AuthenticationFailed(f"the token names no user (claims {c.username_claims})")
        raw = claims.get(c.role_claim)
        roles = {str(r) for r in raw} if isinstance(raw, list) else ({str(raw)} if raw else set())
        org = claims.get(c.organization_claim)
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        if user is None:
            if not c.jit_provisioning:
                raise AuthenticationFailed(f"no local account for {username!r}; ask an administrator")
            return self._provision(session, username, roles, org, claims, now)
        if not user.active:
            raise AuthenticationFailed("the account behind this token is no longer active")
        if user.role not in roles:
            raise AuthenticationFailed(f"the token's {c.role_claim} claim does not grant this account's role")
        if org is not None and user.organization_id is not None and str(org) != user.organization_id:
            raise AuthenticationFailed("the token's organization does not match this account's")
        return user

    def _provision(self, session: Session, username: str, roles: set[str], org: Any,
                   claims: dict[str, Any], now: datetime) -> User:
        from openum.auth.service import create_user

        valid = sorted(r for r in roles if r in {x.value for x in Role})
        if len(valid) != 1:
            raise AuthenticationFailed(f"the {self.config.role_claim} claim must name exactly one role")
        user = create_user(session, username=username, password=secrets.token_urlsafe(32), role=valid[0],
                           full_name=str(claims.get("name") or username), now=now,
                           organization_id=str(org) if org else None)
        return user


@lru_cache(maxsize=1)
def provider() -> OidcProvider | None:
    """This process's provider, from the environment; None when OIDC is not configured."""
    config = OidcSettings()
    return OidcProvider(config) if config.enabled else None


def reset() -> None:
    """Forget the configuration and cached keys (tests, or after changing the environment)."""
    provider.cache_clear()


def accepts(token: str) -> bool:
    """True when OIDC is configured and the token is signed with one of its algorithms."""
    p = provider()
    if p is None:
        return False
    try:
        return jwt.get_unverified_header(token).get("alg") in p.config.algorithms
    except jwt.PyJWTError:
        return False


def authenticate(session: Session, token: str, *, now: datetime) -> User:
    """The local user an OIDC bearer token stands for, or AuthenticationFailed."""
    p = provider()
    if p is None:
        raise AuthenticationFailed("invalid bearer token")
    return p.user(session, p.claims(token, now=now), now=now)
