"""Hostile-input defences at the ASGI edge: security headers, body size limit, per-client rate limits."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from fastapi import FastAPI
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders

from openum.auth import oidc
from openum.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PRINCIPAL = "openum.principal"  # key in scope["state"]: who is calling (read by the request log)
PHI_PREFIXES = ("/api/", "/fhir/", "/ui/")  # answers that may carry PHI: never cached
CACHEABLE_PREFIXES = ("/ui/static/",)
DOCS_PATHS = ("/docs", "/redoc")
# Server-rendered pages with self-hosted scripts and styles: nothing inline, nothing from elsewhere.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# FastAPI's interactive docs load Swagger UI / ReDoc from a CDN with one inline bootstrap script.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: "
            "https://fastapi.tiangolo.com https://cdn.redoc.ly; worker-src 'self' blob:; font-src 'self' "
            "https://fonts.gstatic.com; connect-src 'self'; object-src 'none'; base-uri 'self'; "
            "frame-ancestors 'none'")
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
LOGIN_PATHS = frozenset({"/api/v1/auth/token", "/ui/login"})  # password sign-in: its own, stricter limit


class SecuritySettings(BaseSettings):
    """Rate limits and header options, from OPENUM_* variables; 0 per minute turns a limit off."""

    model_config = SettingsConfigDict(env_prefix="OPENUM_", extra="ignore")

    rate_limit_per_minute: int = Field(default=600, ge=0)
    rate_limit_burst: int = Field(default=120, ge=1)
    login_rate_limit_per_minute: int = Field(default=30, ge=0)
    login_rate_limit_burst: int = Field(default=10, ge=1)
    hsts_seconds: int = Field(default=31_536_000, ge=0)


def _problem(path: str, status: int, code: str, message: str, headers: dict[str, str] | None = None,
             ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """A refusal in the service's JSON error shape, or an OperationOutcome under /fhir."""
    if path.startswith("/fhir"):
        fhir_code = {413: "too-costly", 429: "throttled"}.get(status, "exception")
        body: dict[str, Any] = {"resourceType": "OperationOutcome",
                                "issue": [{"severity": "error", "code": fhir_code, "diagnostics": message}]}
        media = b"application/fhir+json; charset=utf-8"
    else:
        body = {"error": {"code": code, "message": message, "details": []}}
        media = b"application/json"
    raw = json.dumps(body).encode()
    out = [(b"content-type", media), (b"content-length", str(len(raw)).encode())]
    out += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return status, out, raw


async def _answer(send: Send, answer: tuple[int, list[tuple[bytes, bytes]], bytes]) -> None:
    status, headers, body = answer
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers") or []:
        if k.lower() == name:
            return bytes(v).decode("latin-1")
    return None


class SecurityHeaders:
    """Adds the security headers to every response, and no-store to anything that may carry PHI."""

    def __init__(self, app: ASGIApp, *, hsts_seconds: int | None, debug: bool) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_seconds}; includeSubDomains" if hsts_seconds else None
        self.debug = debug

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                h = MutableHeaders(scope=message)
                docs = path.startswith(DOCS_PATHS)
                h["Content-Security-Policy"] = DOCS_CSP if docs else CSP
                h["X-Content-Type-Options"] = "nosniff"
                h["X-Frame-Options"] = "DENY"
                h["Referrer-Policy"] = "no-referrer"
                h["Cross-Origin-Opener-Policy"] = "same-origin"
                h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
                if self.hsts:
                    h["Strict-Transport-Security"] = self.hsts
                if (path.startswith(PHI_PREFIXES) or path in ("/api", "/fhir", "/ui")) \
                        and not path.startswith(CACHEABLE_PREFIXES):
                    h["Cache-Control"] = "no-store"
                    h["Pragma"] = "no-cache"
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception:
            # The generic 500 of openum.web.errors, sent here so that it too carries the headers;
            # the exception still propagates to be logged by the error handler.
            if not started and not self.debug:
                await _answer(with_headers, _problem(path, 500, "internal_error",
                                                     "an internal error occurred; it has been logged"))
            raise


class BodyLimit:
    """Answers 413 as soon as a body is known to exceed the limit: by its header or by counting."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self, path: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        return _problem(path, 413, "body_too_large",
                        f"the request body is larger than the limit of {self.max_bytes} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_bytes:
            await _answer(send, self._too_large(path))
            return
        seen = 0
        refused = False
        started = False

        async def counted() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    refused = True
                    if not started:
                        await _answer(send, self._too_large(path))
                    # The application sees a client that went away: it stops and stores nothing.
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if refused:
                return  # we have answered already; whatever the application says is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not refused:
                raise


_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000|\x00")
_PERCENT_NUL = re.compile(rb"%00")


class NulGuard:
    """Refuses NUL characters in paths, query strings, JSON and form bodies (422).

    PostgreSQL cannot store U+0000 in text; such input is never legitimate in this API, and would
    otherwise fail deep in a handler. Multipart bodies (files) are not inspected.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def _refuse(path: str, where: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        return _problem(path, 422, "malformed_request", f"NUL characters are not accepted (in the {where})")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        raw_path = scope.get("raw_path") or path.encode()
        if "\x00" in path or _PERCENT_NUL.search(raw_path) or _PERCENT_NUL.search(scope.get("query_string", b"")):
            await _answer(send, self._refuse(path, "URL"))
            return
        media = (_header(scope, b"content-type") or "").split(";", 1)[0].strip().lower()
        pattern = _JSON_NUL if media.endswith("json") else _PERCENT_NUL if media.endswith("urlencoded") else None
        if pattern is None:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:  # JSON and form bodies are read whole by the framework anyway
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if pattern.search(body):
            await _answer(send, self._refuse(path, "body"))
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class TokenBuckets:
    """Token buckets per key: `burst` requests at once, refilled at `per_minute`."""

    per_minute: int
    burst: int
    max_keys: int = 50_000
    buckets: dict[str, _Bucket] = field(default_factory=dict)

    def take(self, key: str, now: float, *, spend: bool = True) -> float:
        """0 if a request may go now (spending a token unless `spend` is false), else the seconds to wait."""
        if self.per_minute <= 0:
            return 0.0
        rate = self.per_minute / 60.0
        b = self.buckets.get(key)
        if b is None:
            if len(self.buckets) >= self.max_keys:
                self._forget_idle(now)
            b = self.buckets[key] = _Bucket(float(self.burst), now)
        b.tokens = min(float(self.burst), b.tokens + (now - b.updated) * rate)
        b.updated = now
        if b.tokens >= 1.0:
            b.tokens -= 1.0 if spend else 0.0
            return 0.0
        return (1.0 - b.tokens) / rate

    def _forget_idle(self, now: float) -> None:
        full = self.burst / (self.per_minute / 60.0)
        for k in [k for k, b in self.buckets.items() if now - b.updated >= full]:
            del self.buckets[k]
        if len(self.buckets) >= self.max_keys:  # still full: drop the oldest half
            for k in sorted(self.buckets, key=lambda k: self.buckets[k].updated)[: self.max_keys // 2]:
                del self.buckets[k]


def _bearer(scope: Scope) -> str | None:
    auth = _header(scope, b"authorization") or ""
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _local_subject(token: str, secret: str) -> str | None:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"],
                            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False})
    except jwt.PyJWTError:
        return None
    sub = claims.get("sub")
    return f"user:{sub}" if sub else None


def _oidc_subject(provider: oidc.OidcProvider, token: str) -> str | None:
    try:
        claims = provider.claims(token, now=None)
    except Exception:
        return None
    return f"oidc:{claims.get('sub')}"


async def principal(scope: Scope, secret: str) -> str:
    """Who is calling, for rate limits and logs: a verified token's subject, else the client IP."""
    token = _bearer(scope)
    if token:
        who = _local_subject(token, secret)
        provider = oidc.provider() if who is None else None
        if provider is not None:
            who = await run_in_threadpool(_oidc_subject, provider, token)
        if who is not None:
            return who
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


class RateLimit:
    """Per-client token buckets (signed-in user, else IP); 429 with Retry-After when one is empty."""

    def __init__(self, app: ASGIApp, *, secret: str, general: TokenBuckets, login: TokenBuckets,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.secret = secret
        self.general = general
        self.login = login
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        who = await principal(scope, self.secret)
        scope.setdefault("state", {})[PRINCIPAL] = who
        if path in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        now = self.clock()
        client = scope.get("client")
        address = f"ip:{client[0] if client else '?'}"
        signing_in = path in LOGIN_PATHS and scope.get("method") == "POST"
        # Password guessing is limited by failed sign-ins: only a refused attempt spends a token.
        wait = self.login.take(address, now, spend=False) if signing_in else 0.0
        wait = wait or self.general.take(who, now)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            await _answer(send, _problem(path, 429, "rate_limited",
                                         f"too many requests; retry after {seconds} seconds",
                                         {"Retry-After": str(seconds)}))
            return
        if not signing_in:
            await self.app(scope, receive, send)
            return

        async def count_failures(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] >= 400:
                self.login.take(address, self.clock())
            await send(message)

        await self.app(scope, receive, count_failures)


def install(app: FastAPI, settings: Settings, security: SecuritySettings | None = None) -> None:
    """Add the middleware, innermost first: NUL guard, body limit, rate limit, security headers."""
    security = security or SecuritySettings()
    app.state.security = security
    oidc.provider()  # a half-configured identity provider fails at start, not on the first request
    app.add_middleware(NulGuard)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RateLimit, secret=settings.secret_key,
                       general=TokenBuckets(security.rate_limit_per_minute, security.rate_limit_burst),
                       login=TokenBuckets(security.login_rate_limit_per_minute,
                                          security.login_rate_limit_burst))
    hsts = security.hsts_seconds if settings.env != "development" else None
    app.add_middleware(SecurityHeaders, hsts_seconds=hsts, debug=settings.debug)
