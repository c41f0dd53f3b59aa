"""Due times on requests, deadline rows, escalations, breaches and the Medicaid missed-deadline rule."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from openum.clock import FrozenClock
from openum.deadlines.models import Deadline, DeadlineAlert
from openum.deadlines.worker import scan_once
from openum.intake.models import AuthorizationRequest
from openum.packs.registry import PackRegistry
from openum.settings import REPO_ROOT
from tests.conftest import Database
from tests.factories import AWH_KNEE, PHC_KNEE, body

H = Callable[[str], dict[str, str]]
# Friday 2026-11-20, 09:00 in California: Thanksgiving (26th) and the day after are Partnership holidays.
FRI_0900_PT = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def _submit(client: TestClient, headers: H, payload: dict[str, Any], user: str) -> dict[str, Any]:
    r = client.post("/api/v1/requests", json=payload, headers=headers(user))
    assert r.status_code == 201, r.text
    return r.json()["request"]  # type: ignore[no-any-return]


def _decision(req: dict[str, Any]) -> dict[str, Any]:
    return next(d for d in req["due_times"] if d["obligation"] == "decision")


def test_medi_cal_standard_request_shows_the_earliest_layer(
    app_client: TestClient, headers: H, clock: FrozenClock
) -> None:
    clock.set(FRI_0900_PT)
    req = _submit(app_client, headers, PHC_KNEE, "provider-phc")
    d = _decision(req)
    # Seed 001: 5 business days -> Mon 23, Tue 24, Wed 25, Mon 30, Tue Dec 1 (26th and 27th closed).
    # 42 CFR 438.210(d)(1) from 2026: 7 calendar days -> Fri Nov 27, end of day in California.
    # The earliest governs: Nov 27 23:59:59.999999 PST = Nov 28 07:59:59.999999 UTC.
    assert d["due_at"].startswith("2026-11-28T07:59:59.999999")
    assert "438.210" in d["citation"]


def test_commercial_urgent_request_has_a_72_hour_clock(
    app_client: TestClient, headers: H, clock: FrozenClock
) -> None:
    clock.set(FRI_0900_PT)
    req = _submit(app_client, headers, body(AWH_KNEE, urgency="urgent"), "provider-awh")
    # Seed 004 and ERISA both give 72 hours for urgent pre-service: counted from the exact instant.
    assert _decision(req)["due_at"].startswith("2026-11-23T17:00:00")


def test_preview_endpoint_answers_when_will_i_hear_back(app_client: TestClient, headers: H) -> None:
    r = app_client.get("/api/v1/timeliness/preview", headers=headers("memberservices"), params={
        "line_of_business": "medi-cal", "kind": "pre_service", "urgency": "non_urgent",
        "received_at": "2026-11-20T09:00:00-08:00"})
    assert r.status_code == 200, r.text
    d = next(x for x in r.json()["due_times"] if x["obligation"] == "decision")
    assert d["due_at"].startswith("2026-11-28T07:59:59.999999")
    assert {layer["layer"] for layer in d["all_layers"]} >= {"federal-medicaid-managed-care"}


def test_worker_escalates_then_records_the_breach(
    app_client: TestClient, headers: H, clock: FrozenClock, db: Database, registry: PackRegistry
) -> None:
    clock.set(FRI_0900_PT)
    req = _submit(app_client, headers, body(AWH_KNEE, urgency="urgent"), "provider-awh")
    due = datetime.fromisoformat(_decision(req)["due_at"])
    clock.set(FRI_0900_PT + timedelta(hours=37))  # past 50% of 72 hours, before 75%
    first = scan_once(db.factory, registry=registry, clock=clock)
    assert first.escalations >= 1 and first.breaches == 0
    with db.factory() as s:
        levels = sorted(a.level for a in s.scalars(select(DeadlineAlert).where(DeadlineAlert.kind == "escalation")))
        assert 50 in levels and 75 not in levels
    clock.set(due + timedelta(minutes=1))
    scan_once(db.factory, registry=registry, clock=clock)
    with db.factory() as s:
        breach = s.scalars(select(DeadlineAlert).join(Deadline, Deadline.id == DeadlineAlert.deadline_id)
                           .where(DeadlineAlert.kind == "breach", Deadline.obligation == "decision")).one()
        assert breach.happened_at == due
        # Commercial: a missed deadline is a breach to report, not a denial.
        assert s.scalars(select(AuthorizationRequest)).one().status == "in_clinical_review"
    # A second scan raises nothing again.
    again = scan_once(db.factory, registry=registry, clock=clock)
    assert again.escalations == 0 and again.breaches == 0


def test_missed_medicaid_decision_becomes_an_adverse_determination(
    app_client: TestClient, headers: H, clock: FrozenClock, db: Database, registry: PackRegistry
) -> None:
    clock.set(FRI_0900_PT)
    req = _submit(app_client, headers, PHC_KNEE, "provider-phc")
    clock.set(datetime(2026, 11, 28, 8, 0, tzinfo=UTC))  # just after Nov 27 ends in California
    result = scan_once(db.factory, registry=registry, clock=clock)
    assert result.adverse_determinations == 1
    r = app_client.get(f"/api/v1/requests/{req['authorization_id']}", headers=headers("nurse"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "denied" and out["provider_status"] == "D"
    assert out["determination"]["basis"] == "deadline_missed"
    assert "438.404" in out["history"][-1]["reason"] or "438" in out["determination"]["citation"]
    # The denial now owes its notices: written notice to the member is due, and the letter is queued.
    assert any(d["obligation"].startswith("member_written") and d["due_at"] for d in out["due_times"])
    letters = {n["letter_type"] for n in out["notices"]}
    assert letters == {"untimely_decision"}, out["history"][-1]


def test_closed_request_owes_nothing(app_client: TestClient, headers: H, db: Database,
                                     clock: FrozenClock, registry: PackRegistry) -> None:
    payload = body(AWH_KNEE, setting="office", service_lines=[{"code": "99213", "units": 1,
                   "from_date": "2026-12-14", "place_of_service": "11"}], requested_length_of_stay=None,
                   admission_date=None, facility_npi=None, servicing_provider_npi="2547517799")
    _submit(app_client, headers, payload, "provider-awh")
    clock.advance(timedelta(days=30))
    assert scan_once(db.factory, registry=registry, clock=clock).breaches == 0


@pytest.mark.postgres_only
def test_two_workers_never_handle_the_same_item_twice(
    app_client: TestClient, headers: H, clock: FrozenClock, db: Database, registry: PackRegistry
) -> None:
    clock.set(FRI_0900_PT)
    for n in range(1, 21):
        _submit(app_client, headers, body(AWH_KNEE, urgency="urgent", member={"member_id": f"AWH2001{n:02d}"}),
                "intake")
    clock.set(FRI_0900_PT + timedelta(days=20))
    results = []

    def work() -> None:
        results.append(scan_once(db.factory, registry=registry, clock=clock, batch=3))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.factory() as s:
        breaches = s.scalar(select(func.count()).select_from(DeadlineAlert).where(DeadlineAlert.kind == "breach"))
        open_due = s.scalar(select(func.count()).select_from(Deadline).where(
            Deadline.state == "open", Deadline.next_check_at.is_not(None)))
    assert sum(r.breaches for r in results) == breaches  # each breach counted by exactly one worker
    assert breaches > 0 and open_due == 0
    assert all(r.breaches > 0 for r in results) or len(results) == 2


@pytest.mark.postgres_only
def test_worker_killed_mid_scan_misses_no_breach(
    app_client: TestClient, headers: H, clock: FrozenClock, db: Database
) -> None:
    clock.set(FRI_0900_PT)
    for n in range(1, 21):
        _submit(app_client, headers, body(AWH_KNEE, urgency="urgent", member={"member_id": f"AWH2001{n:02d}"}),
                "intake")
    with db.factory() as s:
        expected = s.scalar(select(func.count()).select_from(Deadline).where(Deadline.next_check_at.is_not(None)))
    env = {**os.environ, "OPENUM_DATABASE_URL": db.url, "OPENUM_FROZEN_NOW": "2026-12-20T00:00:00+00:00",
           "OPENUM_PACKS_DIR": str(REPO_ROOT / "packs")}
    cmd = [sys.executable, "-m", "openum.cli", "worker", "--batch", "1", "--interval", "0.2"]
    proc = subprocess.Popen(cmd, env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with db.factory() as s:
            done = s.scalar(select(func.count()).select_from(DeadlineAlert).where(DeadlineAlert.kind == "breach"))
            if (done or 0) >= 3:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with db.factory() as s:
        partial = s.scalar(select(func.count()).select_from(DeadlineAlert).where(DeadlineAlert.kind == "breach"))
    assert partial is not None and 0 < partial < expected, "kill the worker part-way through"
    subprocess.run([*cmd, "--once"], env=env, cwd=REPO_ROOT, check=True, capture_output=True, timeout=120)
    with db.factory() as s:
        breaches = s.scalars(select(DeadlineAlert).where(DeadlineAlert.kind == "breach")).all()
    assert len(breaches) == expected
    assert len({b.deadline_id for b in breaches}) == expected  # none twice
