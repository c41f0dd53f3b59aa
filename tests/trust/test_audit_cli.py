"""`openum audit verify` names a row altered in the database; `openum audit export` writes the rows."""

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner

from openum.audit.models import AuditEvent
from openum.cli import app as cli
from openum.settings import get_settings
from tests.conftest import Database
from tests.factories import AWH_KNEE

H = Callable[[str], dict[str, str]]
runner = CliRunner()


@pytest.fixture
def cli_env(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("OPENUM_DATABASE_URL", db.url)
    monkeypatch.setenv("OPENUM_FROZEN_NOW", "2026-11-18T17:30:00+00:00")  # the CLI's own clock
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _activity(client: TestClient, headers: H) -> str:
    r = client.post("/api/v1/requests", json=AWH_KNEE, headers=headers("provider-awh"))
    aid = str(r.json()["authorization_id"])
    for _ in range(3):
        client.get(f"/api/v1/requests/{aid}", headers=headers("nurse"))
    return aid


def _tamper(db: Database, sql: str) -> None:
    with db.engine.begin() as conn:  # an attacker with database access bypasses the trigger
        if db.backend == "sqlite":
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        conn.execute(text(sql))
        if db.backend == "postgresql":
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))


@pytest.mark.usefixtures("cli_env")
def test_verify_passes_then_names_the_altered_row(app_client: TestClient, headers: H, db: Database) -> None:
    _activity(app_client, headers)
    ok = runner.invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("OK: 4 audit rows")
    _tamper(db, "UPDATE audit_events SET username = 'someone-else' WHERE id = 3")
    bad = runner.invoke(cli, ["audit", "verify"])
    assert bad.exit_code == 1
    assert "BROKEN row 3: content was changed after it was written" in bad.output
    assert "row 2" not in bad.output and "row 4" not in bad.output


@pytest.mark.usefixtures("cli_env")
def test_verify_names_a_deleted_row(app_client: TestClient, headers: H, db: Database) -> None:
    _activity(app_client, headers)
    _tamper(db, "DELETE FROM audit_events WHERE id = 2")
    bad = runner.invoke(cli, ["audit", "verify"])
    assert bad.exit_code == 1
    assert "BROKEN row 2: rows 2..2 are missing (deleted)" in bad.output
    assert "BROKEN row 3: link to the previous row is broken" in bad.output


@pytest.mark.usefixtures("cli_env")
def test_export_writes_the_rows_and_is_itself_audited(app_client: TestClient, headers: H, db: Database,
                                                      tmp_path: Path) -> None:
    aid = _activity(app_client, headers)
    out = tmp_path / "audit.csv"
    r = runner.invoke(cli, ["audit", "export", "--from", "2026-11-18", "--to", "2026-11-18", "--format", "csv",
                            str(out)])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.open()))
    assert [(x["id"], x["username"], x["action"], x["record_id"]) for x in rows] == [
        ("1", "provider-awh", "create", aid), ("2", "nurse", "read", aid), ("3", "nurse", "read", aid),
        ("4", "nurse", "read", aid)]
    assert all(len(x["hash"]) == 64 and x["member_id"] == "AWH200101" for x in rows)
    jl = tmp_path / "audit.jsonl"
    r = runner.invoke(cli, ["audit", "export", "--from", "2026-11-18T00:00:00-08:00",
                            "--to", "2026-11-18T18:00:00+00:00", "--format", "jsonl", str(jl)])
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in jl.read_text().splitlines()]
    assert [x["id"] for x in lines] == [1, 2, 3, 4, 5]  # row 5: the first export
    assert lines[4]["action"] == "export" and lines[4]["channel"] == "cli"
    empty = tmp_path / "none.csv"
    assert runner.invoke(cli, ["audit", "export", "--from", "2025-01-01", "--to", "2025-12-31",
                               str(empty)]).exit_code == 0
    assert empty.read_text().splitlines() == [",".join(next(iter([rows[0].keys()])))]
    with db.factory() as s:
        assert s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()[-3:] == ["export"] * 3
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
    assert runner.invoke(cli, ["audit", "export", "--from", "2026-11-18", "--to", "2026-11-17",
                               str(empty)]).exit_code != 0
