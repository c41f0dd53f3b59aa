"""Decisions reach people: notices written with the decision, delivered by the worker, timed on
delivery, refused when the letter lacks a required element, and never sent twice."""

import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select

from openum.clock import FrozenClock
from openum.intake.storage import AttachmentStore
from openum.notification.channels import FileDropFax, MailRoom, Portal, Smtp
from openum.notification.models import Notice
from openum.notification.service import deliver_due
from openum.packs.registry import PackRegistry
from openum.settings import REPO_ROOT, Settings
from tests.conftest import Database
from tests.factories import AWH_KNEE, PHC_KNEE, body
from tests.test_review import KNEE_MET

H = Callable[[str], dict[str, str]]
NOT_MET = {
    **KNEE_MET,
    "findings": {**KNEE_MET["findings"], "kellgren_lawrence_grade": {"value": 1, "unit": "grade"}},
    "answers": {**KNEE_MET["answers"], "imaging-osteonecrosis-collapse": False},
}


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield inbox, port
    finally:
        ctl.stop()


@pytest.fixture
def channels(tmp_path: Path, smtp_server: tuple[_Inbox, int]) -> dict[str, Any]:
    return {
        "fax": FileDropFax(tmp_path / "fax"),
        "mail": MailRoom(tmp_path / "mail"),
        "email": Smtp("127.0.0.1", smtp_server[1], "um@plan.example", "http://portal.example/ui/"),
        "portal": Portal(),
    }


def _deny(client: TestClient, headers: H, payload: dict[str, Any], user: str) -> dict[str, Any]:
    aid = client.post("/api/v1/requests", json=payload, headers=headers(user)).json()["authorization_id"]
    client.post(f"/api/v1/requests/{aid}/evaluations", json=NOT_MET, headers=headers("physician"))
    r = client.post(
        f"/api/v1/requests/{aid}/decision",
        headers=headers("physician"),
        json={
            "action": "deny_medical_necessity",
            "reason": "Knee X-rays show mild (grade 1) arthritis; the policy requires grade 3 or worse.",
            "rationale": "Mild radiographic arthritis with preserved joint space; pain 8/10 despite NSAIDs.",
            "alternatives": "Corticosteroid injection; a further 6 weeks of physical therapy",
        },
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_denial_creates_its_notices_with_due_times(app_client: TestClient, headers: H) -> None:
    out = _deny(app_client, headers, AWH_KNEE, "provider-awh")
    got = {(n["obligation"], n["channel"]) for n in out["notices"]}
    # Seed 004: adverse decisions reach the provider by phone and in writing; the member in writing.
    assert got == {
        ("provider_verbal", "phone"),
        ("provider_written", "fax"),
        ("provider_written", "email"),
        ("member_written", "mail"),
    }
    verbal = next(n for n in out["notices"] if n["obligation"] == "provider_verbal")
    # Seed 004, urgent/non-urgent pre-service: verbal notice within 24 hours of the decision.
    assert verbal["due_at"].startswith("2026-11-19T17:00:00")
    assert verbal["status"] == "awaiting_call"


def test_worker_delivers_letters_and_the_clock_is_met(
    app_client: TestClient,
    headers: H,
    db: Database,
    registry: PackRegistry,
    clock: FrozenClock,
    channels: dict[str, Any],
    tmp_path: Path,
    smtp_server: tuple[_Inbox, int],
    settings: Settings,
) -> None:
    out = _deny(app_client, headers, AWH_KNEE, "provider-awh")
    aid = out["authorization_id"]
    clock.advance(timedelta(hours=1))
    store = AttachmentStore(settings.storage_dir)  # the store the API reads letters from
    res = deliver_due(db.factory, registry=registry, now=clock.now(), channels=channels, store=store)
    assert res.delivered == 3 and res.failed == 0
    mailed = list((tmp_path / "mail").glob("notice-*.pdf"))
    faxed = list((tmp_path / "fax").glob("notice-*.pdf"))
    assert len(mailed) == 1 and len(faxed) == 1
    text = _pdf_text(mailed[0].read_bytes())
    assert aid in text and "appeal" in text.lower()
    assert len(smtp_server[0].messages) == 1 and b"AWH200101" not in smtp_server[0].messages[0].content
    req = app_client.get(f"/api/v1/requests/{aid}", headers=headers("nurse")).json()
    member_letter = next(n for n in req["notices"] if n["obligation"] == "member_written")
    assert member_letter["status"] == "delivered" and member_letter["late"] is False
    # The call to the provider's office meets the verbal clock and is logged with who called whom.
    verbal = next(n for n in req["notices"] if n["obligation"] == "provider_verbal")
    r = app_client.post(
        f"/api/v1/notices/{verbal['id']}/call",
        headers=headers("physician"),
        json={
            "staff_name": "Dr. Maya Medina",
            "staff_title": "Physician reviewer",
            "organization": "AllWays Health Partners",
            "reached": "office manager",
            "outcome": "reached",
        },
    )
    assert r.status_code == 200 and r.json()["status"] == "delivered"
    req = app_client.get(f"/api/v1/requests/{aid}", headers=headers("nurse")).json()
    assert {e["type"] for e in req["history"]} >= {"notice_sent"}
    pdf = app_client.get(f"/api/v1/notices/{member_letter['id']}/document", headers=headers("nurse"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # The provider may fetch its own letter, never the member's copy.
    assert (
        app_client.get(f"/api/v1/notices/{member_letter['id']}/document", headers=headers("provider-awh")).status_code
        == 404
    )


def test_spanish_speaking_member_gets_a_spanish_letter(
    app_client: TestClient,
    headers: H,
    db: Database,
    registry: PackRegistry,
    clock: FrozenClock,
    channels: dict[str, Any],
    tmp_path: Path,
) -> None:
    # PHC100101 prefers Spanish. A Partnership physician denies the knee replacement.
    out = _deny(app_client, headers, PHC_KNEE, "provider-phc")
    letter = next(n for n in out["notices"] if n["obligation"] == "member_written")
    assert letter["language"] == "es"
    deliver_due(
        db.factory, registry=registry, now=clock.now(), channels=channels, store=AttachmentStore(tmp_path / "d")
    )
    text = _pdf_text(next((tmp_path / "mail").glob("notice-*.pdf")).read_bytes())
    assert "Audiencia" in text or "audiencia" in text


def test_late_notice_is_flagged(
    app_client: TestClient,
    headers: H,
    db: Database,
    registry: PackRegistry,
    clock: FrozenClock,
    channels: dict[str, Any],
    tmp_path: Path,
) -> None:
    out = _deny(app_client, headers, AWH_KNEE, "provider-awh")
    # Seed 004, non-urgent pre-service: written notice within one business day of the verbal notice and
    # never later than 14 calendar days after receipt; with no call logged, day 15 is past every clock.
    clock.advance(timedelta(days=15))
    deliver_due(
        db.factory, registry=registry, now=clock.now(), channels=channels, store=AttachmentStore(tmp_path / "d")
    )
    req = app_client.get(f"/api/v1/requests/{out['authorization_id']}", headers=headers("nurse")).json()
    member = next(n for n in req["notices"] if n["obligation"] == "member_written")
    assert member["late"] is True
    assert any("late" in (e["reason"] or "") for e in req["history"] if e["type"] == "notice_sent")


def test_denial_whose_letter_lacks_an_element_is_refused(app_client: TestClient, headers: H) -> None:
    aid = app_client.post("/api/v1/requests", json=AWH_KNEE, headers=headers("provider-awh")).json()["authorization_id"]
    # No criteria evaluated and no rationale: nothing ties the denial to the member's condition.
    r = app_client.post(
        f"/api/v1/requests/{aid}/decision",
        headers=headers("physician"),
        json={"action": "deny_medical_necessity", "reason": "Not medically necessary at this time."},
    )
    assert r.status_code == 422
    err = r.json()["error"]
    assert "member_condition" in str(err)
    # Nothing was recorded: the request is still open.
    assert app_client.get(f"/api/v1/requests/{aid}", headers=headers("nurse")).json()["status"] == "in_clinical_review"


def test_failed_delivery_is_retried(
    app_client: TestClient,
    headers: H,
    db: Database,
    registry: PackRegistry,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    out = _deny(app_client, headers, AWH_KNEE, "provider-awh")
    dead = {
        "fax": FileDropFax(tmp_path / "fax"),
        "mail": MailRoom(tmp_path / "mail"),
        "email": Smtp("127.0.0.1", 1, "um@plan.example", "http://x"),
        "portal": Portal(),
    }
    first = deliver_due(db.factory, registry=registry, now=clock.now(), channels=dead, store=AttachmentStore(tmp_path))
    assert first.failed == 1
    with db.factory() as s:
        n = s.scalars(select(Notice).where(Notice.channel == "email")).one()
        assert n.status == "failed" and "SMTP" in (n.last_error or "") and n.next_attempt_at
    assert out


@pytest.mark.postgres_only
def test_worker_killed_mid_delivery_loses_nothing_and_sends_nothing_twice(
    app_client: TestClient,
    headers: H,
    db: Database,
    tmp_path: Path,
    smtp_server: tuple[_Inbox, int],
) -> None:
    for n in (1, 2, 3, 4, 5, 6, 8, 10):  # eligible AllWays members (AWH200107 left the plan)
        _deny(app_client, headers, body(AWH_KNEE, member={"member_id": f"AWH2001{n:02d}"}), "intake")
    with db.factory() as s:
        expected = s.scalar(select(func.count()).select_from(Notice).where(Notice.channel.in_(("mail", "fax"))))
    env = {
        **os.environ,
        "OPENUM_DATABASE_URL": db.url,
        "OPENUM_PACKS_DIR": str(REPO_ROOT / "packs"),
        "OPENUM_FAX_DIR": str(tmp_path / "fax"),
        "OPENUM_MAIL_DIR": str(tmp_path / "mail"),
        "OPENUM_STORAGE_DIR": str(tmp_path / "docs"),
        "OPENUM_SMTP_PORT": str(smtp_server[1]),
        "OPENUM_FROZEN_NOW": "2026-11-18T18:00:00+00:00",
    }
    cmd = [sys.executable, "-m", "openum.cli", "worker", "--interval", "0.1"]
    proc = subprocess.Popen(cmd, env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(list((tmp_path / "mail").glob("*.pdf"))) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = len(list((tmp_path / "mail").glob("*.pdf"))) + len(list((tmp_path / "fax").glob("*.pdf")))
    assert 0 < partial < expected, "kill the worker part-way through"
    # The lease of anything it was holding must run out before another worker takes it over.
    env["OPENUM_FROZEN_NOW"] = "2026-11-18T18:10:00+00:00"
    subprocess.run([*cmd, "--once"], env=env, cwd=REPO_ROOT, check=True, capture_output=True, timeout=180)
    files = [*(tmp_path / "mail").glob("*.pdf"), *(tmp_path / "fax").glob("*.pdf")]
    assert len(files) == expected
    with db.factory() as s:
        statuses = s.execute(
            select(Notice.status, func.count()).where(Notice.channel != "phone").group_by(Notice.status)
        ).all()
        assert dict(statuses) == {"delivered": expected + 8}  # + one e-mail per denial
    # Each e-mail carries its notice's Message-ID, so a repeat after a crash is recognisable.
    ids = [m.content.split(b"Message-ID: ")[1].split(b"\r\n")[0] for m in smtp_server[0].messages]
    assert len(set(ids)) == 8


def test_medi_cal_notice_clocks(app_client: TestClient, headers: H) -> None:
    out = _deny(app_client, headers, PHC_KNEE, "provider-phc")
    due = {n["obligation"]: n["due_at"] for n in out["notices"]}
    # Seed 001: electronic or written notification to the practitioner within 24 hours of the
    # determination (decided Wed 17:00Z); the Medi-Cal table has no separate verbal notice.
    assert "provider_verbal" not in due
    assert due["provider_written"].startswith("2026-11-19T17:00:00")
    # ...and the member's written notice is mailed within two business days: Thu 19, Fri 20 -> end of
    # Friday in California.
    assert due["member_written"].startswith("2026-11-21T07:59:59.999999")


def test_information_request_and_extension_send_their_letters(
    app_client: TestClient, headers: H, clock: FrozenClock
) -> None:
    from datetime import UTC, datetime

    clock.set(datetime(2026, 11, 20, 17, 0, tzinfo=UTC))  # Friday 09:00 in California
    aid = app_client.post("/api/v1/requests", json=PHC_KNEE, headers=headers("provider-phc")).json()["authorization_id"]
    r = app_client.post(
        f"/api/v1/requests/{aid}/pend",
        headers=headers("nurse"),
        json={"what": "Knee X-ray report", "why": "to grade the arthritis", "due_by": "2026-11-24T17:00:00-08:00"},
    )
    assert r.status_code == 200, r.text
    rfi = [n for n in r.json()["notices"] if n["letter_type"] == "request_for_information"]
    assert {n["recipient"] for n in rfi} == {"provider", "member"}
    r = app_client.post(
        f"/api/v1/requests/{aid}/extensions",
        headers=headers("nurse"),
        json={"reason": "the member asked for time to send records", "requested_by": "member"},
    )
    assert r.status_code == 200, r.text
    ext = [n for n in r.json()["notices"] if n["letter_type"] == "extension_notice"]
    # 42 CFR 438.210(d)(1): 7 calendar days from Friday's receipt -> end of Friday Nov 27 in California;
    # the extension notice must go out before that original deadline.
    assert ext and all(n["due_at"].startswith("2026-11-28T07:59:59.999999") for n in ext)
    assert next(n for n in ext if n["recipient"] == "member")["language"] == "es"
