"""Helpers for the appeal tests: deny a request through the API, add reviewers with specialties and
reporting lines, read letters back as text."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from openum.auth.models import User
from openum.clock import FrozenClock
from tests.conftest import Database
from tests.test_review import KNEE_MET

H = Callable[[str], dict[str, str]]

# Facts that fail the elective joint replacement policy (grade 1 arthritis), as in tests/test_notices.py.
_KNEE: dict[str, Any] = KNEE_MET
NOT_MET = {
    **_KNEE,
    "findings": {**_KNEE["findings"], "kellgren_lawrence_grade": {"value": 1, "unit": "grade"}},
    "answers": {**_KNEE["answers"], "imaging-osteonecrosis-collapse": False},
}
CONSENT_PDF = base64.b64encode(b"%PDF-1.4\n% I authorize my doctor to appeal for me.\n%%EOF\n").decode()
EVIDENCE_TXT = base64.b64encode(b"Standing radiographs 2026-11-19: Kellgren-Lawrence grade 4, bone on bone.\n").decode()


def submit(client: TestClient, headers: H, payload: dict[str, Any], user: str) -> str:
    r = client.post("/api/v1/requests", json=payload, headers=headers(user))
    assert r.status_code == 201, r.text
    return str(r.json()["authorization_id"])


def deny(client: TestClient, headers: H, payload: dict[str, Any], submitter: str, by: str = "physician") -> str:
    """Submit, evaluate with facts that fail the policy, and deny for medical necessity."""
    aid = submit(client, headers, payload, submitter)
    r = client.post(f"/api/v1/requests/{aid}/evaluations", json=NOT_MET, headers=headers(by))
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/requests/{aid}/decision", headers=headers(by), json={
        "action": "deny_medical_necessity",
        "reason": "Knee X-rays show mild (grade 1) arthritis; the policy requires grade 3 or worse.",
        "rationale": "Mild radiographic arthritis with preserved joint space; pain 8/10 despite NSAIDs.",
        "alternatives": "Corticosteroid injection; a further 6 weeks of physical therapy",
    })
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "denied"
    return aid


def appeal_body(**changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"appellant": "member", "appellant_name": "The member", "channel": "phone",
                           "urgency": "non_urgent",
                           "statement": "My knee pain keeps me from walking; please look again."}
    out.update(changes)
    return out


def consent() -> dict[str, Any]:
    return {"signed_on": "2026-11-19", "document": {"filename": "consent.pdf", "content_type": "application/pdf",
                                                    "content_base64": CONSENT_PDF}}


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def due(appeal: dict[str, Any], obligation: str, outcome: str | None = None) -> str | None:
    for d in appeal["due_times"]:
        if d["obligation"] == obligation and (outcome is None or d["outcome"] in (outcome, "any")):
            return d["due_at"]  # type: ignore[no-any-return]
    raise AssertionError(f"no {obligation} in {[d['obligation'] for d in appeal['due_times']]}")


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def reviewers(db: Database, clock: FrozenClock, app_client: TestClient, headers: H) -> Callable[..., None]:
    """Add physicians and record specialties and reporting lines through the API (as the UM manager)."""

    def _add(username: str, *, specialty: str | None = None, supervisor: str | None = None,
             role: str = "physician_reviewer", credential: str = "MD") -> None:
        with db.factory() as s:
            if s.query(User).filter_by(username=username).one_or_none() is None:
                # Reviewers sign in with minted tokens: no password (and no slow hashing) needed.
                s.add(User(username=username, full_name=f"Dr. {username.title()}", role=role, password_hash="!",
                           created_at=clock.now(), credentials=[{"type": credential, "expires_on": "2028-12-31"}]))
                s.commit()
        r = app_client.put(f"/api/v1/reviewer-profiles/{username}", headers=headers("manager"),
                           json={"specialty": specialty, "supervisor_username": supervisor})
        assert r.status_code == 200, r.text

    return _add
