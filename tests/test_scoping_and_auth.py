"""Provider organizations see only their own requests (404 otherwise); sign-in, lockout, audit."""

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from openum.audit import service as audit
from openum.audit.models import AuditEvent
from openum.clock import FrozenClock
from tests.conftest import Database
from tests.factories import AWH_KNEE, body

H = Callable[[str], dict[str, str]]


def _submit(client: TestClient, headers: H, user: str = "provider-awh", **changes: object) -> str:
    r = client.post("/api/v1/requests", json=body(AWH_KNEE, **changes), headers=headers(user))
    assert r.status_code == 201, r.text
    return str(r.json()["authorization_id"])


def test_other_organization_gets_404_everywhere(app_client: TestClient, headers: H) -> None:
    aid = _submit(app_client, headers)
    other = headers("provider-awh-2")
    assert app_client.get(f"/api/v1/requests/{aid}", headers=other).status_code == 404
    doc = app_client.post(f"/api/v1/requests/{aid}/documents", headers=other,
                          files={"file": ("n.pdf", b"%PDF-1.4", "application/pdf")})
    assert doc.status_code == 404
    found = app_client.get("/api/v1/requests", params={"member_id": "AWH200101"}, headers=other).json()
    assert found["total"] == 0 and found["items"] == []
    # The submitting organization and plan staff do see it.
    assert app_client.get(f"/api/v1/requests/{aid}", headers=headers("provider-awh")).status_code == 200
    assert app_client.get(f"/api/v1/requests/{aid}", headers=headers("nurse")).status_code == 200


def test_servicing_organization_sees_the_request_it_renders(app_client: TestClient, headers: H) -> None:
    # Requested by Charles River Primary Care for a Merrimack Valley physician (Carlos Mendes).
    aid = _submit(app_client, headers, servicing_provider_npi="1298369574")
    assert app_client.get(f"/api/v1/requests/{aid}", headers=headers("provider-awh-2")).status_code == 200


def test_search_filters(app_client: TestClient, headers: H) -> None:
    a = _submit(app_client, headers)
    b = _submit(app_client, headers, member={"member_id": "AWH200107"})  # ineligible: denied
    staff = headers("memberservices")
    by_member = app_client.get("/api/v1/requests", params={"member_id": "AWH200107"}, headers=staff).json()
    assert [i["authorization_id"] for i in by_member["items"]] == [b]
    denied = app_client.get("/api/v1/requests", params={"provider_status": "D"}, headers=staff).json()
    assert [i["authorization_id"] for i in denied["items"]] == [b]
    in_review = app_client.get("/api/v1/requests", params={"status": "in_clinical_review"}, headers=staff).json()
    assert [i["authorization_id"] for i in in_review["items"]] == [a]
    by_code = app_client.get("/api/v1/requests", params={"code": "27447", "service_from": "2026-12-01",
                                                         "service_to": "2026-12-31"}, headers=staff).json()
    assert by_code["total"] == 2
    by_npi = app_client.get("/api/v1/requests", params={"provider_npi": "1226468613"}, headers=staff).json()
    assert by_npi["total"] == 2


def test_password_sign_in_and_lockout(app_client: TestClient, clock: FrozenClock) -> None:
    ok = app_client.post("/api/v1/auth/token", data={"username": "nurse", "password": "openum-demo"})
    assert ok.status_code == 200
    token = ok.json()["access_token"]
    me = app_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["username"] == "nurse" and me["role"] == "um_nurse"
    for _ in range(5):
        bad = app_client.post("/api/v1/auth/token", data={"username": "nurse", "password": "wrong-password"})
        assert bad.status_code == 401
    locked = app_client.post("/api/v1/auth/token", data={"username": "nurse", "password": "openum-demo"})
    assert locked.status_code == 401 and "locked" in locked.json()["error"]["message"]
    clock.advance(timedelta(minutes=16))
    assert app_client.post("/api/v1/auth/token",
                           data={"username": "nurse", "password": "openum-demo"}).status_code == 200


def test_unknown_user_and_wrong_password_get_the_same_answer(app_client: TestClient) -> None:
    a = app_client.post("/api/v1/auth/token", data={"username": "nobody", "password": "x" * 10})
    b = app_client.post("/api/v1/auth/token", data={"username": "nurse", "password": "x" * 10})
    assert a.status_code == b.status_code == 401
    assert a.json()["error"]["message"] == b.json()["error"]["message"]


def test_admin_adds_a_provider_user_who_must_have_an_organization(app_client: TestClient, headers: H) -> None:
    admin = headers("admin")
    r = app_client.post("/api/v1/users", headers=admin, json={
        "username": "frontdesk", "password": "long-enough-1", "role": "provider_office", "full_name": "F D"})
    assert r.status_code == 422 and "organization" in r.json()["error"]["message"]
    r = app_client.post("/api/v1/users", headers=admin, json={
        "username": "frontdesk", "password": "long-enough-1", "role": "provider_office", "full_name": "F D",
        "organization_id": "mystic-valley-orthopedics"})
    assert r.status_code == 201
    assert app_client.post("/api/v1/auth/token", data={"username": "frontdesk",
                                                       "password": "long-enough-1"}).status_code == 200


def test_reads_and_writes_of_phi_are_audited(app_client: TestClient, headers: H, db: Database) -> None:
    aid = _submit(app_client, headers)
    app_client.get(f"/api/v1/requests/{aid}", headers=headers("nurse"))
    app_client.get("/api/v1/requests", params={"member_id": "AWH200101"}, headers=headers("memberservices"))
    with db.factory() as s:
        rows = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [(r.username, r.action, r.record_id) for r in rows] == [
            ("provider-awh", "create", aid), ("nurse", "read", aid), ("memberservices", "search", None)]
        assert rows[0].organization_id == "charles-river-primary-care"
        assert rows[1].member_id == "AWH200101" and rows[1].source_ip
        assert audit.verify(s) == []


def test_audit_chain_names_an_altered_row(app_client: TestClient, headers: H, db: Database) -> None:
    aid = _submit(app_client, headers)
    for _ in range(3):
        app_client.get(f"/api/v1/requests/{aid}", headers=headers("nurse"))
    with db.engine.begin() as conn:  # an attacker with database access bypasses the trigger
        if db.backend == "sqlite":
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
        else:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        conn.execute(text("UPDATE audit_events SET username = 'someone-else' WHERE id = 3"))
    with db.factory() as s:
        breaks = audit.verify(s)
    assert [(b.event_id, b.problem) for b in breaks] == [(3, "content was changed after it was written")]
    if db.backend == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
