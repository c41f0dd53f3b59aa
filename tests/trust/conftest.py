"""Fixtures for the trust tests: apps built with chosen limits, and an RSA identity provider."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from openum.auth import oidc
from openum.clock import FrozenClock
from openum.packs.registry import PackRegistry
from openum.settings import Settings
from openum.web.app import create_app
from tests.conftest import Database

MakeClient = Callable[..., TestClient]


@pytest.fixture(autouse=True)
def _fresh_oidc() -> Iterator[None]:
    """No test sees another's identity-provider configuration."""
    oidc.reset()
    yield
    oidc.reset()


@pytest.fixture
def make_client(settings: Settings, clock: FrozenClock, registry: PackRegistry, db: Database,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeClient]:
    """A client for an app built with settings changes and OPENUM_* variables of the test's choosing."""
    clients: list[TestClient] = []

    def _make(environ: dict[str, str] | None = None, raise_server_exceptions: bool = True,
              setup: Callable[[FastAPI], None] | None = None, **changes: Any) -> TestClient:
        for k, v in (environ or {}).items():
            monkeypatch.setenv(k, v)
        oidc.reset()
        app = create_app(settings.model_copy(update=changes), clock=clock, registry=registry,
                         engine=db.engine)
        if setup:
            setup(app)
        client = TestClient(app, raise_server_exceptions=raise_server_exceptions)
        client.__enter__()
        clients.append(client)
        return client

    yield _make
    for c in clients:
        c.__exit__(None, None, None)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
