"""Medicare Advantage: an upheld denial goes to the Independent Review Entity automatically, and so
does one the plan fails to decide in time; each forwarding is a record with its dates and outcome.

The reference packs have no Medicare Advantage line, so the test builds one: the AllWays pack copied
to tmp_path as plan `allways-medicare`, with a `medicare-advantage` line of business, the library
clock layer packs/_layers/clocks/medicare-advantage.yaml copied in (as a plan would), letters
checklists for the program, an appeals section line, and a two-record synthetic directory.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import text

from openum.appeals import service
from openum.clock import FrozenClock
from openum.db import Base, transaction
from openum.directory.loader import load_directory, record_pack_version
from openum.directory.npi import npi_check_digit
from openum.packs.loader import load_pack
from openum.packs.registry import PackRegistry
from openum.settings import REPO_ROOT, Settings
from openum.web.app import create_app
from tests.appeals.conftest import NOT_MET, H, appeal_body, at, due
from tests.conftest import _CASE_TABLES_KEEP, Database
from tests.factories import AWH_KNEE, body

PLAN = "allways-medicare"
ORTHO_NPI = "177700001" + str(npi_check_digit("177700001"))
HOSPITAL_NPI = "177700002" + str(npi_check_digit("177700002"))
MA_LINE = {
    "id": "medicare-advantage",
    # 422.578(c): a treating physician may ask for a standard pre-service reconsideration (and any
    # physician for an expedited one) without being appointed the enrollee's representative.
    "consent": {"provider": False, "representative": True, "citation": "42 CFR 422.578(c), 422.584(a)"},
    "late_filing": {"handling": "dismiss", "good_cause_extends": True, "citation": "42 CFR 422.582(c)"},
    "practitioner_expedite_binding": True, "expedite_citation": "42 CFR 422.584(c)(2)(ii)",
    "effectuation": {"standard": {"amount": 30, "unit": "calendar_days", "start": "appeal_received",
                                  "citation": "42 CFR 422.618(a)(1)"},
                     "expedited": {"amount": 72, "unit": "hours", "start": "appeal_received",
                                   "citation": "42 CFR 422.619(a)"}},
    "external": [{
        "kind": "independent_review_entity", "name": "Part C Independent Review Entity",
        "automatic_on_upheld": True, "requires_exhaustion": True,
        "forward_within": {"amount": 30, "unit": "calendar_days", "start": "appeal_received",
                           "citation": "42 CFR 422.590(a)(2)"},
        "forward_within_expedited": {"amount": 24, "unit": "hours", "start": "decision",
                                     "citation": "42 CFR 422.590(e)(5)"},
        "effectuation": {"standard": {"amount": 72, "unit": "hours", "citation": "42 CFR 422.618(b)(1) (verify)"}},
        "citation": "42 CFR 422.592"}],
}


def _build_pack(root: Path) -> Path:
    folder = root / PLAN
    shutil.copytree(REPO_ROOT / "packs" / "allways-commercial", folder)
    manifest = yaml.safe_load((folder / "pack.yaml").read_text())
    manifest["plan"].update(id=PLAN, name="AllWays Medicare Advantage (test)", short_name="AllWays MA",
                            authorization_prefix="AWM")
    manifest["lines_of_business"].append({"id": "medicare-advantage", "name": "Medicare Advantage",
                                          "program": "medicare_advantage", "erisa_governed": False,
                                          "appeal_filing_days": 60})
    (folder / "pack.yaml").write_text(yaml.safe_dump(manifest))
    layer = yaml.safe_load((REPO_ROOT / "packs/_layers/clocks/medicare-advantage.yaml").read_text())
    layer["lines_of_business"] = ["medicare-advantage"]
    (folder / "clocks" / "federal-medicare-advantage.yaml").write_text(yaml.safe_dump(layer))
    letters = yaml.safe_load((folder / "letters/letters.yaml").read_text())
    for spec in letters["letter_types"].values():
        spec["required"]["medicare_advantage"] = spec["required"]["commercial"]
    (folder / "letters/letters.yaml").write_text(yaml.safe_dump(letters))
    appeals = yaml.safe_load((folder / "appeals/appeals.yaml").read_text())
    appeals["lines_of_business"].append(MA_LINE)
    (folder / "appeals/appeals.yaml").write_text(yaml.safe_dump(appeals))
    directory = {
        "organizations": [{"id": "ma-test-orthopedics", "name": "MA Test Orthopedics", "tax_id": "04-5559999"}],
        "providers": [
            {"npi": ORTHO_NPI, "name": "Grace Hopper, MD", "specialty": "Orthopaedic Surgery",
             "organization": "ma-test-orthopedics", "phone": "(617) 555-0190", "fax": "(617) 555-0191",
             "network": [{"line_of_business": "medicare-advantage", "start": "2020-01-01"}]},
            {"npi": HOSPITAL_NPI, "kind": "facility", "name": "MA Test Hospital", "facility_type": "hospital",
             "specialty": "General acute care hospital", "organization": "ma-test-orthopedics",
             "phone": "(617) 555-0192", "network": [{"line_of_business": "medicare-advantage", "start": "2020-01-01"}]},
        ],
        "members": [{"id": "AWM300101", "first_name": "Edith", "last_name": "Clarke", "birth_date": "1950-03-10",
                     "sex": "F", "language": "en", "phone": "(617) 555-0299",
                     "address": {"line1": "1 Tremont Street", "city": "Boston", "state": "MA", "postal_code": "02108"},
                     "eligibility": [{"line_of_business": "medicare-advantage", "start": "2020-01-01"}]}],
    }
    shutil.rmtree(folder / "directory")
    (folder / "directory").mkdir()
    (folder / "directory" / "directory.yaml").write_text(yaml.safe_dump(directory))
    return folder


@pytest.fixture
def ma_client(tmp_path: Path, db: Database, settings: Settings, clock: FrozenClock,
              registry: PackRegistry) -> Iterator[tuple[TestClient, PackRegistry]]:
    pack = load_pack(_build_pack(tmp_path))
    both = PackRegistry([pack, *registry.all()])
    with transaction(db.factory) as s:
        record_pack_version(s, pack, clock.now())
        load_directory(s, pack)
    app = create_app(settings, clock=clock, registry=both, engine=db.engine)
    try:
        with TestClient(app) as client:
            yield client, both
    finally:
        if db.backend == "postgresql":  # the directory tables outlive the test there: put them back
            cases = [t for t in Base.metadata.tables if t not in _CASE_TABLES_KEEP]
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {', '.join(cases)} RESTART IDENTITY CASCADE"))
                for table in ("members", "providers", "organizations", "pack_versions"):
                    conn.execute(text(f"DELETE FROM {table} WHERE plan_id = :p"), {"p": PLAN})


def _deny(client: TestClient, headers: H) -> str:
    payload = body(AWH_KNEE, member={"member_id": "AWM300101"}, requesting_provider_npi=ORTHO_NPI,
                   servicing_provider_npi=ORTHO_NPI, facility_npi=HOSPITAL_NPI)
    r = client.post("/api/v1/requests", json=payload, headers=headers("intake"))
    assert r.status_code == 201, r.text
    aid = r.json()["authorization_id"]
    assert aid.startswith("AWM") and r.json()["request"]["line_of_business"] == "medicare-advantage"
    client.post(f"/api/v1/requests/{aid}/evaluations", json=NOT_MET, headers=headers("physician"))
    r = client.post(f"/api/v1/requests/{aid}/decision", headers=headers("physician"), json={
        "action": "deny_medical_necessity", "reason": "Grade 1 arthritis on X-ray; the policy requires grade 3.",
        "rationale": "Preserved joint space.", "alternatives": "Physical therapy"})
    assert r.status_code == 200, r.text
    return str(aid)


def test_upheld_denial_is_forwarded_to_the_ire_and_its_reversal_effectuated(
    ma_client: tuple[TestClient, PackRegistry], headers: H, clock: FrozenClock, reviewers: Any,
) -> None:
    client, _ = ma_client
    reviewers("ortho", specialty="orthopedic_surgery")
    aid = _deny(client, headers)
    # Thursday 19 Nov, 09:00 ET: the member asks for a standard reconsideration.
    clock.set(at("2026-11-19T14:00:00+00:00"))
    r = client.post(f"/api/v1/requests/{aid}/appeals", headers=headers("memberservices"), json=appeal_body())
    assert r.status_code == 201, r.text
    appeal = r.json()
    # 422.582(b): 60 days from the notice dated 18 Nov = 17 Jan 2027. 422.590(a)(1): 30 calendar days
    # from receipt (19 Nov) = Saturday 19 Dec, end of day in Boston = 2026-12-20 04:59:59.999999Z.
    assert appeal["filing_deadline"] == "2027-01-17"
    assert due(appeal, "decision") == "2026-12-20T04:59:59.999999Z"
    # Friday 20 Nov: an independent orthopaedic surgeon upholds; the case goes to the IRE at once,
    # and no later than the 30 days from receipt (422.590(a)(2)).
    clock.set(at("2026-11-20T15:00:00+00:00"))
    r = client.post(f"/api/v1/appeals/{appeal['id']}/decision", headers=headers("ortho"), json={
        "outcome": "upheld", "reason": "Imaging shows mild disease only; conservative care not exhausted."})
    assert r.status_code == 200, r.text
    [ire] = r.json()["external_reviews"]
    assert (ire["kind"], ire["automatic"], ire["requested_by"], ire["outcome"]) == (
        "independent_review_entity", True, "plan", "pending")
    assert ire["forwarded_at"] == "2026-11-20T15:00:00Z" and ire["forward_due_at"] == "2026-12-20T04:59:59.999999Z"
    assert "422.590(a)(2)" in ire["citation"]
    # The IRE reverses on 10 Dec; 72 hours to put it into effect.
    clock.set(at("2026-12-10T15:00:00+00:00"))
    r = client.patch(f"/api/v1/external-reviews/{ire['id']}", headers=headers("manager"),
                     json={"outcome": "overturned", "case_reference": "IRE-1-2345",
                           "decided_at": "2026-12-09T20:00:00+00:00"})
    assert r.status_code == 200, r.text
    assert r.json()["decided_at"] == "2026-12-09T20:00:00Z"
    assert r.json()["effectuation_due_at"] == "2026-12-13T15:00:00Z"
    req = client.get(f"/api/v1/requests/{aid}", headers=headers("nurse")).json()
    assert req["status"] == "approved" and req["determination"]["external_review_id"] == ire["id"]


def test_an_appeal_not_decided_in_time_is_forwarded_by_the_scanner(
    ma_client: tuple[TestClient, PackRegistry], headers: H, clock: FrozenClock, db: Database,
) -> None:
    client, both = ma_client
    aid = _deny(client, headers)
    # The treating surgeon asks for an expedited reconsideration: no appointment needed (422.578(c)).
    r = client.post(f"/api/v1/requests/{aid}/appeals", headers=headers("intake"), json=appeal_body(
        appellant="provider", appellant_name="Grace Hopper, MD", urgency="urgent", practitioner_attests_urgency=True))
    assert r.status_code == 201, r.text
    appeal = r.json()
    assert appeal["consent"]["required"] is False and appeal["expedite"]["status"] == "granted"
    assert due(appeal, "decision") == "2026-11-21T17:00:00Z"  # 422.590(e)(1): 72 hours
    # Nobody decides. The scanner, 73 hours later, records the breach and forwards the case: a failure
    # to decide in time affirms the denial; the expedited case goes within 24 hours (422.590(e)(5)).
    clock.set(at("2026-11-21T18:00:00+00:00"))
    with transaction(db.factory) as s:
        counts = service.scan(s, registry=both, now=clock.now())
    assert counts["forwarded"] == 1 and counts["breaches"] >= 1
    got = client.get(f"/api/v1/appeals/{appeal['id']}", headers=headers("nurse")).json()
    [ire] = got["external_reviews"]
    assert ire["automatic"] and "not decided by its deadline" in ire["notes"]
    assert ire["forward_due_at"] == "2026-11-22T18:00:00Z"
    assert next(d for d in got["due_times"] if d["obligation"] == "decision")["status"] == "overdue"
    with transaction(db.factory) as s:
        assert service.scan(s, registry=both, now=clock.now())["forwarded"] == 0  # once only
