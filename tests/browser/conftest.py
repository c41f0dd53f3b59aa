"""A real OpenUM service (uvicorn in a thread, SQLite file) and Debian's chromium driven by Playwright.

Skipped only when /usr/bin/chromium (or the playwright package) is missing and CI is not 'true'.
Screenshots go to docs/screenshots/ when OPENUM_SCREENSHOTS=1, else to a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from openum.clock import FrozenClock
from openum.db import make_engine, make_session_factory
from openum.intake.storage import AttachmentStore
from openum.notification import channels as notice_channels
from openum.notification.service import deliver_due
from openum.packs.registry import PackRegistry
from openum.settings import REPO_ROOT, Settings
from openum.web.app import create_app
from tests.conftest import DEFAULT_NOW, SECRET

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = REPO_ROOT / "docs" / "screenshots"
PASSWORD = "openum-demo"


def _require_browser() -> None:
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright Python package is not installed (pip install playwright)"
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run under CI=true: {problem}")
    pytest.skip(problem)


@dataclass
class Live:
    """The running service and what the tests need to reach behind it."""

    url: str
    clock: FrozenClock
    factory: sessionmaker[Session]
    registry: PackRegistry
    settings: Settings
    shots: Path

    def api_token(self, username: str) -> str:
        r = httpx.post(f"{self.url}/api/v1/auth/token", data={"username": username, "password": PASSWORD})
        r.raise_for_status()
        return str(r.json()["access_token"])

    def api(self, method: str, path: str, username: str, **kw: Any) -> httpx.Response:
        auth = {"Authorization": f"Bearer {self.api_token(username)}"}
        return httpx.request(method, f"{self.url}{path}", headers=auth, timeout=30, **kw)

    def deliver_notices(self) -> int:
        """What the notice worker does: render letters and hand them to their channels."""

        class _NoMail:
            def deliver(self, notice: Any, document: bytes | None) -> None:
                return None

        chans = {"fax": notice_channels.FileDropFax(self.settings.fax_dir),
                 "mail": notice_channels.MailRoom(self.settings.mail_dir), "email": _NoMail(),
                 "portal": notice_channels.Portal()}
        res = deliver_due(self.factory, registry=self.registry, now=self.clock.now(), channels=chans,  # type: ignore[arg-type]
                          store=AttachmentStore(self.settings.storage_dir))
        return res.delivered


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Module scope: Playwright's sync API keeps an event loop running while it is open, which would
# break asyncio.run() in tests collected after the browser tests (tests/trust).
@pytest.fixture(scope="module")
def live(_sqlite_template: Path, registry: PackRegistry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The service on a free port, against a copy of the migrated demo database."""
    _require_browser()
    root = tmp_path_factory.mktemp("browser")
    db_path = root / "openum.db"
    shutil.copy(_sqlite_template, db_path)
    url = f"sqlite:///{db_path}"
    settings = Settings(env="test", database_url=url, secret_key=SECRET, storage_dir=root / "attachments",
                        packs_dir=REPO_ROOT / "packs", fax_dir=root / "fax", mail_dir=root / "mail")
    clock = FrozenClock(DEFAULT_NOW)
    engine = make_engine(url)
    saved = os.environ.get("OPENUM_RATE_LIMIT_PER_MINUTE")
    os.environ["OPENUM_RATE_LIMIT_PER_MINUTE"] = "0"  # one browser, many pages: no per-IP limit here
    try:
        app = create_app(settings, clock=clock, registry=registry, engine=engine)
    finally:
        if saved is None:
            os.environ.pop("OPENUM_RATE_LIMIT_PER_MINUTE", None)
        else:
            os.environ["OPENUM_RATE_LIMIT_PER_MINUTE"] = saved
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        pytest.fail("the service did not start")
    shots = SHOTS if os.environ.get("OPENUM_SCREENSHOTS") == "1" else root / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    yield Live(base, clock, make_session_factory(engine), registry, settings, shots)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser(live: Live) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(autouse=True)
def _frozen_now(live: Live) -> Iterator[None]:
    """Every browser test starts at the suite's Wednesday noon in Boston."""
    live.clock.set(DEFAULT_NOW)
    yield
    live.clock.set(DEFAULT_NOW)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]
