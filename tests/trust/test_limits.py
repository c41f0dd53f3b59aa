"""Oversize bodies answered 413 before they are read (nothing stored); per-client rate limits (429)."""

import base64
import time
from collections.abc import Callable, Iterator

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from openum.audit.models import AuditEvent
from openum.intake.models import Attachment, AuthorizationRequest
from openum.settings import Settings
from openum.web.security import TokenBuckets
from tests.conftest import Database
from tests.factories import AWH_KNEE, body
from tests.trust.conftest import MakeClient, stored_files

H = Callable[[str], dict[str, str]]
LIMIT = 64 * 1024


def _nothing_stored(db: Database, settings: Settings) -> None:
    with db.factory() as s:
        assert s.scalar(select(func.count()).select_from(AuthorizationRequest)) == 0
        assert s.scalar(select(func.count()).select_from(Attachment)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0
    assert stored_files(settings.storage_dir) == []


def _big_submission() -> dict[str, object]:
    pdf = b"%PDF-1.4\n" + b"0" * (2 * LIMIT)
    return body(AWH_KNEE, attachments=[{"kind": "clinical_documentation", "filename": "big.pdf",
                                        "content_type": "application/pdf",
                                        "content_base64": base64.b64encode(pdf).decode()}])


def test_oversize_json_body_is_refused_by_its_length(make_client: MakeClient, headers: H, db: Database,
                                                     settings: Settings) -> None:
    client = make_client(max_body_bytes=LIMIT)
    r = client.post("/api/v1/requests", json=_big_submission(), headers=headers("provider-awh"))
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "body_too_large"
    assert str(LIMIT) in r.json()["error"]["message"]
    _nothing_stored(db, settings)


def test_oversize_streamed_body_is_refused_while_counting(make_client: MakeClient, headers: H, db: Database,
                                                          settings: Settings) -> None:
    """No Content-Length (chunked): the limit is enforced on the bytes as they arrive."""
    client = make_client(max_body_bytes=LIMIT)
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(64):
            sent += 8192
            yield b" " * 8192

    r = client.post("/api/v1/requests", content=chunks(),
                    headers={**headers("provider-awh"), "Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "body_too_large"
    _nothing_stored(db, settings)


def test_oversize_document_upload_stores_nothing(make_client: MakeClient, headers: H, db: Database,
                                                 settings: Settings) -> None:
    client = make_client(max_body_bytes=LIMIT)
    ok = client.post("/api/v1/requests", json=body(AWH_KNEE, attachments=[]), headers=headers("provider-awh"))
    assert ok.status_code == 201, ok.text
    aid = ok.json()["authorization_id"]
    before = stored_files(settings.storage_dir)
    r = client.post(f"/api/v1/requests/{aid}/documents", headers=headers("provider-awh"),
                    files={"file": ("scan.pdf", b"%PDF-1.4\n" + b"1" * (LIMIT + 1), "application/pdf")})
    assert r.status_code == 413
    assert stored_files(settings.storage_dir) == before
    with db.factory() as s:
        assert s.scalar(select(func.count()).select_from(Attachment)) == 0
    # A document within the limit is still taken.
    r = client.post(f"/api/v1/requests/{aid}/documents", headers=headers("provider-awh"),
                    files={"file": ("notes.pdf", b"%PDF-1.4\nnotes\n%%EOF\n", "application/pdf")})
    assert r.status_code == 201, r.text


def test_fhir_gets_an_operation_outcome_for_an_oversize_body(make_client: MakeClient, headers: H) -> None:
    client = make_client(max_body_bytes=LIMIT)
    r = client.post("/fhir/Claim/$submit", content=b"{" + b" " * (LIMIT + 10) + b"}",
                    headers={**headers("provider-awh"), "Content-Type": "application/fhir+json"})
    assert r.status_code == 413
    assert r.json()["resourceType"] == "OperationOutcome"
    assert r.json()["issue"][0]["code"] == "too-costly"


def test_rate_limit_per_user_answers_429_with_retry_after(make_client: MakeClient, headers: H) -> None:
    client = make_client(environ={"OPENUM_RATE_LIMIT_PER_MINUTE": "60", "OPENUM_RATE_LIMIT_BURST": "5"})
    nurse = headers("nurse")
    statuses = [client.get("/api/v1/me", headers=nurse).status_code for _ in range(5)]
    assert statuses == [200] * 5
    r = client.get("/api/v1/me", headers=nurse)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["error"]["code"] == "rate_limited"
    assert "x-frame-options" in r.headers  # refusals carry the security headers too
    # Another user has a bucket of their own; probes are never limited.
    assert client.get("/api/v1/me", headers=headers("manager")).status_code == 200
    assert client.get("/healthz").status_code == 200
    # One token a second comes back.
    time.sleep(1.1)
    assert client.get("/api/v1/me", headers=nurse).status_code == 200


def test_anonymous_callers_share_their_address_bucket(make_client: MakeClient) -> None:
    client = make_client(environ={"OPENUM_RATE_LIMIT_PER_MINUTE": "60", "OPENUM_RATE_LIMIT_BURST": "3"})
    # Forged tokens do not buy fresh buckets: unverified tokens count against the address.
    codes = [client.get("/api/v1/me", headers={"Authorization": f"Bearer forged-{i}"}).status_code
             for i in range(4)]
    assert codes == [401, 401, 401, 429]


def test_failed_sign_ins_are_limited_per_address(make_client: MakeClient) -> None:
    client = make_client(environ={"OPENUM_LOGIN_RATE_LIMIT_PER_MINUTE": "6",
                                  "OPENUM_LOGIN_RATE_LIMIT_BURST": "3"})
    good = {"username": "nurse", "password": "openum-demo"}
    # Successful sign-ins spend nothing: a busy shared office is not locked out.
    assert [client.post("/api/v1/auth/token", data=good).status_code for _ in range(4)] == [200] * 4
    codes = [client.post("/api/v1/auth/token", data={"username": "nobody", "password": "x" * 10}).status_code
             for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    refused = client.post("/api/v1/auth/token", data=good)  # now even the right password waits
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 5
    # The page sign-in shares the same budget.
    assert client.post("/ui/login", data=good).status_code == 429


def test_token_bucket_arithmetic() -> None:
    b = TokenBuckets(per_minute=120, burst=2)
    assert [b.take("k", 0.0), b.take("k", 0.0)] == [0.0, 0.0]
    assert b.take("k", 0.0) == 0.5  # two a second: the next in half a second
    assert b.take("k", 0.5) == 0.0
    assert TokenBuckets(per_minute=0, burst=1).take("k", 0.0) == 0.0  # 0 turns the limit off
    small = TokenBuckets(per_minute=60, burst=1, max_keys=4)
    for i in range(10):
        small.take(f"k{i}", float(i))
    assert len(small.buckets) <= 4


def test_nul_characters_are_refused_at_the_edge(app_client: TestClient, headers: H, db: Database,
                                                settings: Settings) -> None:
    """PostgreSQL cannot store U+0000 in text: such input is refused before any handler runs."""
    provider = headers("provider-awh")
    r = app_client.post("/api/v1/requests", headers=provider,
                        json=body(AWH_KNEE, clinical_indications="knee\u0000pain"))
    assert r.status_code == 422 and "NUL" in r.json()["error"]["message"]
    assert app_client.get("/api/v1/requests?member_id=AWH%00", headers=headers("nurse")).status_code == 422
    assert app_client.post("/api/v1/auth/token", data={"username": "nurse\x00", "password": "x" * 10}
                           ).status_code == 422
    _nothing_stored(db, settings)
    # An escaped backslash followed by "u0000" is ordinary text, and files may hold any bytes.
    ok = app_client.post("/api/v1/requests", headers=provider,
                         json=body(AWH_KNEE, clinical_indications="path C:\\u0000 noted"))
    assert ok.status_code == 201, ok.text
    up = app_client.post(f"/api/v1/requests/{ok.json()['authorization_id']}/documents", headers=provider,
                         files={"file": ("scan.pdf", b"%PDF-1.4\n\x00\x00binary\n%%EOF", "application/pdf")})
    assert up.status_code == 201, up.text
