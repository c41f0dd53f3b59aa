"""Property-based fuzzing of the whole OpenAPI with schemathesis: no input may cause a server error.

The service runs under uvicorn (in a thread of this process, so a failure's traceback is captured
from the log) against the test database. Every operation is called with generated input as a
broad plan role (um_manager) and as a provider office (provider-awh); path IDs are sometimes
swapped for real ones so handlers get past their look-ups. Bounded: a few examples of every
operation, then more while a time budget per backend lasts.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, seed, settings
from sqlalchemy import select

from openum.clock import FrozenClock
from openum.packs.registry import PackRegistry
from openum.review.models import WorkItem
from openum.settings import REPO_ROOT, Settings
from openum.web.app import create_app
from tests.conftest import Database
from tests.factories import AWH_KNEE, PHC_KNEE

H = Callable[[str], dict[str, str]]
FIRST_PASS = 3  # examples of every operation, whatever the time
SECOND_PASS = 12  # then more, other examples, while the budget lasts
BUDGET_SECONDS = 30.0  # per backend
ROLES = ("manager", "provider-awh")


@dataclass
class Failure:
    who: str
    method: str
    path: str
    status: int
    request: str
    response: str
    traceback: str

    def __str__(self) -> str:
        return (f"{self.status} on {self.method} {self.path} as {self.who}\n  request: {self.request}\n"
                f"  response: {self.response}\n  traceback:\n{self.traceback}")


class _Tracebacks(logging.Handler):
    """Keeps the tracebacks the service logs for unhandled errors."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.exc_info or record.exc_info[1] is None:
            return
        exc = record.exc_info[1]
        frames = [f"    {Path(f.filename).relative_to(REPO_ROOT)}:{f.lineno} in {f.name}: {f.line}"
                  for f in traceback.extract_tb(exc.__traceback__)
                  if f.filename.startswith(str(REPO_ROOT / "openum")) and "openum/web/" not in f.filename]
        message = " ".join(str(exc).split())[:300]
        self.seen.append("\n".join([*frames, f"    {type(exc).__name__}: {message}"]))

    def since(self, before: int) -> str:
        """What was logged after `before` entries; the log may trail the answer by a moment."""
        end = time.monotonic() + 2
        while len(self.seen) <= before and time.monotonic() < end:
            time.sleep(0.01)
        return "\n".join(self.seen[before:]) or "(none logged)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live(settings: Settings, clock: FrozenClock, registry: PackRegistry, db: Database,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The service on a local port; its base URL."""
    monkeypatch.setenv("OPENUM_RATE_LIMIT_PER_MINUTE", "0")
    monkeypatch.setenv("OPENUM_LOGIN_RATE_LIMIT_PER_MINUTE", "0")
    app = create_app(settings, clock=clock, registry=registry, engine=db.engine)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical",
                                           access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the service did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _seed(base: str, headers: H, db: Database) -> dict[str, list[str]]:
    """Real IDs to substitute for generated ones: requests of both plans and their work items."""
    import httpx

    ids: dict[str, list[str]] = {"authorization_id": []}
    for payload, user in ((AWH_KNEE, "provider-awh"), (PHC_KNEE, "provider-phc")):
        r = httpx.post(f"{base}/api/v1/requests", json=payload, headers=headers(user), timeout=30)
        assert r.status_code == 201, r.text
        ids["authorization_id"].append(r.json()["authorization_id"])
    with db.factory() as s:
        ids["item_id"] = [str(i) for i in s.scalars(select(WorkItem.id))]
    ids["queue"] = ["nurse", "physician"]
    return ids


def _describe(case: Any) -> str:
    parts = [f"path={case.path_parameters}" if case.path_parameters else "",
             f"query={case.query}" if case.query else "",
             f"body={str(case.body)[:600]}" if case.body is not None else ""]
    return " ".join(p for p in parts if p) or "(no input)"


@dataclass
class Run:
    base: str
    tokens: dict[str, dict[str, str]]
    real: dict[str, list[str]]
    tracebacks: _Tracebacks
    deadline: float
    failures: list[Failure]
    calls: int = 0


def _fuzz(op: Any, run: Run, examples: int, first: bool) -> None:
    """Call one operation with generated input as each role; collect every 5xx with its traceback."""

    @seed(0 if first else 1)
    @settings(max_examples=examples, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate] if first else [Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy())
    def fuzz(case: Any) -> None:
        if not first and time.monotonic() > run.deadline:
            return
        run.calls += 1
        for name, values in run.real.items():  # every other example reaches a real record
            if case.path_parameters and name in case.path_parameters and run.calls % 2:
                case.path_parameters[name] = values[run.calls % len(values)]
        if case.headers:
            case.headers = {k: v for k, v in case.headers.items() if k.lower() != "authorization"}
        for who, auth in run.tokens.items():
            before = len(run.tracebacks.seen)
            r = case.call(base_url=run.base, headers=auth, timeout=30)
            if r.status_code >= 500:
                run.failures.append(Failure(who, op.method.upper(), op.path, r.status_code, _describe(case),
                                            r.content[:500].decode(errors="replace"),
                                            run.tracebacks.since(before)))

    fuzz()


def test_no_input_causes_a_server_error(live: str, headers: H, db: Database) -> None:
    schema = schemathesis.openapi.from_url(f"{live}/openapi.json")
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) > 40
    run = Run(live, {who: headers(who) for who in ROLES}, _seed(live, headers, db), _Tracebacks(),
              time.monotonic() + BUDGET_SECONDS, [])
    logging.getLogger().addHandler(run.tracebacks)
    covered = 0
    try:
        for op in operations:
            _fuzz(op, run, FIRST_PASS, first=True)
            covered += 1
        for op in operations:
            if time.monotonic() > run.deadline:
                break
            _fuzz(op, run, SECOND_PASS, first=False)
    finally:
        logging.getLogger().removeHandler(run.tracebacks)
    # One report per endpoint and failing line: the same bug found again with other input is not news.
    unique = {(f.method, f.path, f.traceback.splitlines()[-2:-1] and f.traceback.splitlines()[-2]): f
              for f in run.failures}
    assert not unique, (f"{len(run.failures)} server error(s) in {run.calls} examples over {covered} of "
                        f"{len(operations)} operations:\n\n" + "\n\n".join(str(f) for f in unique.values()))
