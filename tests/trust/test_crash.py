"""Crash safety: SIGKILL the real service during a burst of submissions, ten times over.

Every request the service acknowledged (2xx with an authorization ID) must exist after restart,
exactly once, under its Idempotency-Key and ID; none may exist twice, and retrying the requests
that got no answer must find or create exactly one row each. Runs against PostgreSQL only.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import func, select, text

from openum.audit import service as audit
from openum.audit.models import AuditEvent
from openum.auth import service as auth_service
from openum.auth.models import User
from openum.db import make_engine, make_session_factory
from openum.intake.models import AuthorizationRequest
from openum.settings import REPO_ROOT
from tests.conftest import DEFAULT_NOW, PG_ADMIN, PG_URL, SECRET, Database

pytestmark = pytest.mark.postgres_only
CYCLES = 10
BURST = 40
CONCURRENCY = 12
SUBMITTERS = ("provider-awh", "intake", "nurse")
START = date(2026, 12, 1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fresh_url(db: Database) -> Iterator[str]:
    """A new database copied from the migrated, demo-loaded test database (CREATE DATABASE ... TEMPLATE)."""
    db.engine.dispose()
    template = db.url.rsplit("/", 1)[1]
    name = f"openum_crash_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for attempt in range(5):
            # A template must have no other sessions: close any an earlier test left idle.
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()", (template,))
            try:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                break
            except psycopg.errors.ObjectInUse:
                if attempt == 4:
                    raise
                time.sleep(0.2)
    url = PG_URL.format(db=name)
    engine = make_engine(url)
    with engine.begin() as conn:  # the template holds whatever the last test left: start empty
        conn.execute(text("TRUNCATE authorization_requests, audit_events RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield url
    # Dropping a database waits for a checkpoint (tens of seconds on a busy server): done detached.
    subprocess.Popen([sys.executable, "-c", _DROP, PG_ADMIN, name], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


_DROP = """import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as c:
    c.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % sys.argv[2])
"""


class Server:
    """The deployed app (`openum.web.main:app`) under uvicorn, in a child of a preloaded fork server."""

    def __init__(self, url: str, storage: Path, log: Path) -> None:
        env = {**os.environ, "OPENUM_DATABASE_URL": url, "OPENUM_SECRET_KEY": SECRET,
               "OPENUM_ENV": "test", "OPENUM_FROZEN_NOW": DEFAULT_NOW.isoformat(),
               "OPENUM_STORAGE_DIR": str(storage), "OPENUM_PACKS_DIR": str(REPO_ROOT / "packs"),
               "OPENUM_RATE_LIMIT_PER_MINUTE": "0"}
        self.log = log.open("ab")
        self.forker = subprocess.Popen([sys.executable, str(Path(__file__).with_name("forkserver.py"))],
                                       cwd=REPO_ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=self.log)
        self.pid: int | None = None
        self.base = ""

    def start(self) -> None:
        """Start a fresh serving process and wait until it answers /readyz."""
        assert self.forker.stdin is not None and self.forker.stdout is not None
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.forker.stdin.write(f"{port}\n".encode())
        self.forker.stdin.flush()
        self.pid = int(self.forker.stdout.readline())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.alive(), Path(self.log.name).read_text()[-3000:]
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise AssertionError("the service did not become ready")

    def alive(self) -> bool:
        if self.pid is None:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self) -> None:
        """SIGKILL the serving process and wait until it is gone."""
        if self.pid is not None and self.alive():
            os.kill(self.pid, signal.SIGKILL)
            while self.alive():
                time.sleep(0.005)

    def close(self) -> None:
        self.kill()
        self.forker.kill()
        self.forker.wait(timeout=10)
        self.log.close()


@dataclass
class Ledger:
    """What the clients saw: key -> authorization ID for every acknowledged request."""

    acked: dict[str, str] = field(default_factory=dict)
    unanswered: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    sent: int = 0


def _payload(n: int) -> dict[str, Any]:
    # Each request is different content (its own service date), so only the key can make a repeat.
    return {"kind": "pre_service", "urgency": "non_urgent", "member": {"member_id": "AWH200101"},
            "requesting_provider_npi": "2547517799", "servicing_provider_npi": "1226468613",
            "service_lines": [{"code": "27447", "units": 1, "from_date": (START + timedelta(days=n)).isoformat(),
                               "place_of_service": "22"}],
            "diagnoses": ["M17.11"], "clinical_indications": "Severe osteoarthritis, failed conservative care."}


async def _burst(server: Server, tokens: dict[str, str], ledger: Ledger, first: int, kill_after: int) -> None:
    """Fire BURST submissions, CONCURRENCY at a time; SIGKILL the server after `kill_after` answers."""
    gate = asyncio.Semaphore(CONCURRENCY)
    answered = 0

    async def one(client: httpx.AsyncClient, n: int) -> None:
        nonlocal answered
        user = SUBMITTERS[n % len(SUBMITTERS)]
        key = f"crash-{uuid.uuid4()}"
        body = _payload(n)
        async with gate:
            try:
                r = await client.post(f"{server.base}/api/v1/requests", json=body,
                                      headers={"Authorization": f"Bearer {tokens[user]}", "Idempotency-Key": key})
            except httpx.HTTPError:
                ledger.unanswered[key] = (user, body)
                return
        assert r.status_code < 500, r.text
        if r.status_code in (200, 201):
            ledger.acked[key] = r.json()["authorization_id"]
        else:
            ledger.unanswered[key] = (user, body)
        answered += 1
        if answered == kill_after:
            server.kill()

    async with httpx.AsyncClient(timeout=15, limits=httpx.Limits(max_connections=CONCURRENCY)) as client:
        await asyncio.gather(*(one(client, first + i) for i in range(BURST)))
    ledger.sent += BURST


async def _retry_unanswered(server: Server, tokens: dict[str, str], ledger: Ledger) -> None:
    """Clients retry what got no answer with the same key: found if it was stored, else created once."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(client: httpx.AsyncClient, key: str, user: str, body: dict[str, Any]) -> None:
        async with gate:
            r = await client.post(f"{server.base}/api/v1/requests", json=body,
                                  headers={"Authorization": f"Bearer {tokens[user]}", "Idempotency-Key": key})
        assert r.status_code in (200, 201), r.text
        ledger.acked[key] = r.json()["authorization_id"]
        del ledger.unanswered[key]

    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(one(client, k, u, b) for k, (u, b) in list(ledger.unanswered.items())))


def _check(url: str, ledger: Ledger) -> tuple[int, int]:
    """Every acknowledged key exists once with its ID; no key or ID twice; the audit chain intact."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            rows = s.execute(select(AuthorizationRequest.idempotency_key, AuthorizationRequest.authorization_id)
                             ).all()
            by_key: dict[str | None, list[str]] = {}
            for key, aid in rows:
                by_key.setdefault(key, []).append(aid)
            twice = {k: v for k, v in by_key.items() if len(v) > 1}
            assert not twice, f"stored twice: {twice}"
            assert len({aid for _, aid in rows}) == len(rows), "an authorization ID was issued twice"
            lost = {k: aid for k, aid in ledger.acked.items() if by_key.get(k) != [aid]}
            assert not lost, f"acknowledged but missing or different after the crash: {lost}"
            assert set(by_key) <= set(ledger.acked) | set(ledger.unanswered)
            creates = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "create"))
            assert creates == len(rows), "each stored request has its audit row, in the same transaction"
            assert audit.verify(s) == []
            return len(rows), len(ledger.acked)
    finally:
        engine.dispose()


def _tokens(url: str) -> dict[str, str]:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            return {u.username: auth_service.issue_token(u, secret=SECRET, now=DEFAULT_NOW, minutes=600)
                    for u in s.scalars(select(User).where(User.username.in_(SUBMITTERS)))}
    finally:
        engine.dispose()


def test_acknowledged_submissions_survive_sigkill_exactly_once(fresh_url: str, tmp_path: Path) -> None:
    started = time.monotonic()
    tokens = _tokens(fresh_url)
    server = Server(fresh_url, tmp_path / "attachments", tmp_path / "server.log")
    ledger = Ledger()
    rng = random.Random(11)
    killed_with_work_in_flight = 0
    try:
        server.start()
        for cycle in range(CYCLES):
            acked_before, unanswered_before = len(ledger.acked), len(ledger.unanswered)
            asyncio.run(_burst(server, tokens, ledger, first=cycle * BURST, kill_after=rng.randint(4, BURST // 2)))
            assert not server.alive()
            assert len(ledger.acked) > acked_before, "some requests were acknowledged before the kill"
            killed_with_work_in_flight += len(ledger.unanswered) > unanswered_before
            server.start()  # restart on the same database
            _check(fresh_url, ledger)
            asyncio.run(_retry_unanswered(server, tokens, ledger))
            stored, acked = _check(fresh_url, ledger)
            assert stored == acked == ledger.sent
    finally:
        server.close()
    assert killed_with_work_in_flight >= CYCLES // 2, "the kills should land while requests are in flight"
    assert time.monotonic() - started < 150
