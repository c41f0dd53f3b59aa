"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is used whenever it is reachable; with CI=true (or OPENUM_REQUIRE_POSTGRES=1) an
unreachable server fails the run instead of skipping, so CI can never quietly test one backend.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from openum.auth import service as auth_service
from openum.auth.models import User
from openum.clock import FrozenClock
from openum.db import Base, make_engine, make_session_factory, transaction
from openum.dbmigrate import upgrade
from openum.demo import load as load_demo
from openum.packs.registry import PackRegistry
from openum.settings import REPO_ROOT, Settings
from openum.web.app import create_app

PG_ADMIN = os.environ.get("OPENUM_TEST_POSTGRES_ADMIN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{db}"
REQUIRE_PG = os.environ.get("CI") == "true" or os.environ.get("OPENUM_REQUIRE_POSTGRES") == "1"
# A Wednesday, 09:00 in California and 12:00 in Massachusetts: business hours for both plans.
DEFAULT_NOW = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
SECRET = "test-secret-0123456789abcdef0123456789"


def _pg_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def registry() -> PackRegistry:
    return PackRegistry.from_dir(REPO_ROOT / "packs")


@dataclass
class Database:
    backend: str
    url: str
    engine: Engine
    factory: sessionmaker[Session]


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory, registry: PackRegistry) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as s:
        load_demo(s, registry, FrozenClock(DEFAULT_NOW))
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_database(registry: PackRegistry) -> Iterator[str | None]:
    if not _pg_available():
        if REQUIRE_PG:
            pytest.fail("PostgreSQL is required (CI=true) but not reachable on 127.0.0.1:5432")
        yield None
        return
    name = f"openum_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_URL.format(db=name)
    upgrade(url)
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as s:
        load_demo(s, registry, FrozenClock(DEFAULT_NOW))
    engine.dispose()
    yield url
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Tables a test may fill; directory and users stay as the demo loaded them.
_CASE_TABLES_KEEP = {"organizations", "providers", "network_spans", "members", "eligibility_spans",
                     "benefit_accumulators", "users", "pack_versions", "alembic_version"}


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database holding the reference directories and demo users, per test."""
    if request.param == "sqlite":
        if request.node.get_closest_marker("postgres_only"):
            pytest.skip("PostgreSQL-only test")
        path = tmp_path / "openum.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        yield Database("sqlite", url, engine, make_session_factory(engine))
        engine.dispose()
        return
    url = request.getfixturevalue("_pg_database")
    if url is None:
        pytest.skip("PostgreSQL not reachable")
    engine = make_engine(url, pool_size=20, max_overflow=20)
    case_tables = [t for t in Base.metadata.tables if t not in _CASE_TABLES_KEEP]
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(case_tables)} RESTART IDENTITY CASCADE"))
        conn.execute(text("UPDATE users SET failed_logins = 0, locked_until = NULL"))
    yield Database("postgresql", url, engine, make_session_factory(engine))
    engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(DEFAULT_NOW)


@pytest.fixture
def settings(db: Database, tmp_path: Path) -> Settings:
    return Settings(env="test", database_url=db.url, secret_key=SECRET,
                    storage_dir=tmp_path / "attachments", packs_dir=REPO_ROOT / "packs")


@pytest.fixture
def app_client(settings: Settings, clock: FrozenClock, registry: PackRegistry,
               db: Database) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock, registry=registry, engine=db.engine)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def headers(db: Database, clock: FrozenClock) -> Callable[[str], dict[str, str]]:
    """Bearer headers for a demo user, minted directly (login itself is tested separately)."""

    def _for(username: str) -> dict[str, str]:
        with db.factory() as s:
            user = s.query(User).filter_by(username=username).one()
            token = auth_service.issue_token(user, secret=SECRET, now=clock.now(), minutes=60)
        return {"Authorization": f"Bearer {token}"}

    return _for
