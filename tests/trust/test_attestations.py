"""Annual attestations (seed 001): recorded by the signer, reported to compliance, append-only."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from openum.attestations.models import Attestation
from openum.attestations.service import DECISION_ROLES, STATEMENTS, Kind
from openum.auth.models import User
from openum.clock import FrozenClock
from tests.conftest import Database

H = Callable[[str], dict[str, str]]
DEMO_DECIDERS = {"nurse", "bhnurse", "pharmtech", "pharmacist", "physician", "bhdirector", "manager"}


def _sign(client: TestClient, headers: H, user: str, kind: Kind) -> int:
    r = client.post("/api/v1/attestations", headers=headers(user),
                    json={"kind": kind.value, "statement_version": STATEMENTS[kind].version, "agree": True})
    return r.status_code


def _missing(client: TestClient, headers: H, **params: int) -> dict[str, object]:
    r = client.get("/api/v1/attestations/report", headers=headers("compliance"), params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _pairs(report: dict[str, object]) -> set[tuple[str, str]]:
    # Only demo accounts: accounts other tests add on the shared PostgreSQL database are not ours.
    demo = DEMO_DECIDERS | {"admin", "intake", "compliance", "memberservices", "external"}
    return {(m["username"], m["kind"]) for m in report["missing"] if m["username"] in demo}  # type: ignore[index, union-attr]


def test_decision_makers_owe_the_no_incentive_statement(app_client: TestClient, headers: H, db: Database) -> None:
    with db.factory() as s:
        deciders = set(s.scalars(select(User.username).where(User.role.in_(DECISION_ROLES))))
    assert deciders >= DEMO_DECIDERS
    report = _missing(app_client, headers)
    assert report["year"] == 2026
    assert _pairs(report) == {(u, "no_incentive") for u in DEMO_DECIDERS}
    assert _sign(app_client, headers, "nurse", Kind.NO_INCENTIVE) == 201
    assert _sign(app_client, headers, "physician", Kind.NO_INCENTIVE) == 201
    report = _missing(app_client, headers)
    assert _pairs(report) == {(u, "no_incentive") for u in DEMO_DECIDERS - {"nurse", "physician"}}
    assert report["signed"] == 2 and report["required"] == len(report["missing"]) + 2  # type: ignore[arg-type]
    reasons = {m["username"]: m["reason"] for m in report["missing"]}  # type: ignore[index, union-attr]
    assert "um_manager makes or supervises UM decisions" in reasons["manager"]
    # Once a year: a second signature this year is refused; next year it is owed again.
    assert _sign(app_client, headers, "nurse", Kind.NO_INCENTIVE) == 409
    assert ("nurse", "no_incentive") in _pairs(_missing(app_client, headers, year=2027))


def test_committee_members_owe_confidentiality_and_conflict_statements(
    app_client: TestClient, headers: H, clock: FrozenClock
) -> None:
    seat = app_client.post("/api/v1/committee-memberships", headers=headers("manager"),
                           json={"username": "physician", "committee": "quac", "joined_on": "2025-01-01"})
    assert seat.status_code == 201, seat.text
    pac = app_client.post("/api/v1/committee-memberships", headers=headers("manager"),
                          json={"username": "compliance", "committee": "pac", "joined_on": "2026-03-01"})
    assert pac.status_code == 201
    gone = app_client.post("/api/v1/committee-memberships", headers=headers("manager"),
                           json={"username": "intake", "committee": "quac", "joined_on": "2024-01-01",
                                 "left_on": "2025-06-30"})
    assert gone.status_code == 201
    pairs = _pairs(_missing(app_client, headers))
    assert {("physician", "confidentiality"), ("physician", "conflict_of_interest"),
            ("compliance", "confidentiality")} <= pairs
    assert ("compliance", "conflict_of_interest") not in pairs  # PAC members sign confidentiality only
    assert not any(u == "intake" for u, _ in pairs)  # left the committee before this year
    assert ("intake", "conflict_of_interest") in _pairs(_missing(app_client, headers, year=2025))
    for kind in (Kind.CONFIDENTIALITY, Kind.CONFLICT_OF_INTEREST):
        assert _sign(app_client, headers, "physician", kind) == 201
    assert _sign(app_client, headers, "compliance", Kind.CONFIDENTIALITY) == 201
    pairs = _pairs(_missing(app_client, headers))
    assert not any(u in ("physician", "compliance") and k != "no_incentive" for u, k in pairs)
    mine = app_client.get("/api/v1/attestations/mine", headers=headers("physician")).json()
    assert sorted(a["kind"] for a in mine) == ["confidentiality", "conflict_of_interest"]
    assert all(a["statement_sha256"] == STATEMENTS[Kind(a["kind"])].sha256 for a in mine)
    # The year turns: everything is owed again.
    clock.advance(timedelta(days=60))
    assert ("physician", "conflict_of_interest") in _pairs(_missing(app_client, headers))


def test_who_may_do_what(app_client: TestClient, headers: H) -> None:
    for user in ("compliance", "manager"):
        assert app_client.get("/api/v1/attestations/report", headers=headers(user)).status_code == 200
    for user in ("nurse", "admin", "physician", "provider-awh"):
        assert app_client.get("/api/v1/attestations/report", headers=headers(user)).status_code == 403
    assert app_client.get("/api/v1/attestations/report").status_code == 401
    # Any staff user signs their own; provider offices do not sign plan attestations.
    assert _sign(app_client, headers, "intake", Kind.CONFIDENTIALITY) == 201
    assert _sign(app_client, headers, "provider-awh", Kind.NO_INCENTIVE) == 403
    statements = app_client.get("/api/v1/attestations/statements", headers=headers("nurse")).json()
    assert {s["kind"] for s in statements} == {k.value for k in Kind}
    assert "denials" in next(s["text"] for s in statements if s["kind"] == "no_incentive")
    # Seating committee members is the UM manager's.
    seat = {"username": "nurse", "committee": "pac", "joined_on": "2026-01-01"}
    assert app_client.post("/api/v1/committee-memberships", headers=headers("compliance"),
                           json=seat).status_code == 403
    assert app_client.post("/api/v1/committee-memberships", headers=headers("manager"),
                           json={**seat, "username": "nobody"}).status_code == 404


def test_refusals(app_client: TestClient, headers: H) -> None:
    old = app_client.post("/api/v1/attestations", headers=headers("nurse"),
                          json={"kind": "no_incentive", "statement_version": "2019.1", "agree": True})
    assert old.status_code == 409 and "not the current one" in old.json()["error"]["message"]
    refuse = app_client.post("/api/v1/attestations", headers=headers("nurse"),
                             json={"kind": "no_incentive", "statement_version": "2026.1", "agree": False})
    assert refuse.status_code == 422
    bad_seat = app_client.post("/api/v1/committee-memberships", headers=headers("manager"), json={
        "username": "nurse", "committee": "quac", "joined_on": "2026-05-01", "left_on": "2026-01-01"})
    assert bad_seat.status_code == 400


def test_signatures_cannot_be_changed_in_the_database(app_client: TestClient, headers: H, db: Database) -> None:
    assert _sign(app_client, headers, "nurse", Kind.NO_INCENTIVE) == 201
    with pytest.raises(DBAPIError), db.engine.begin() as conn:
        conn.execute(text("UPDATE attestations SET year = 2025"))
    with pytest.raises(DBAPIError), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM attestations"))
    with db.factory() as s:
        assert s.scalars(select(Attestation.year)).all() == [2026]
