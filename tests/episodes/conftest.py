"""Fixtures for the episode tests: the tables are registered before the database fixture empties them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import openum.episodes.models  # noqa: F401  (registers the episode tables for the per-test TRUNCATE)
from openum.auth.models import User
from openum.auth.service import create_user
from openum.clock import FrozenClock
from tests.conftest import Database

H = Callable[[str], dict[str, str]]


@pytest.fixture
def claims_user(db: Database, clock: FrozenClock) -> str:
    """A service account for the claims payment system (role claims_system)."""
    with db.factory() as s:
        # Users survive between PostgreSQL tests (only case tables are emptied): create once.
        if s.scalar(select(User.id).where(User.username == "claims")) is None:
            create_user(s, username="claims", password="long-enough-pw", role="claims_system",
                        full_name="Claims payment system", now=clock.now())
            s.commit()
    return "claims"


def ok(r: Any, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()  # type: ignore[no-any-return]


def submit(client: TestClient, headers: H, payload: dict[str, Any], user: str) -> dict[str, Any]:
    return ok(client.post("/api/v1/requests", json=payload, headers=headers(user)), 201)


def due(auth_or_request: dict[str, Any], obligation: str) -> str | None:
    """The due time of one obligation, as the API lists it."""
    return next((d["due_at"] for d in auth_or_request["due_times"] if d["obligation"] == obligation), None)
