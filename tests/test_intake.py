"""Intake: an authorization ID on receipt whatever happens next, pends with exactly what is
missing, malformed input refused with every problem, duplicates answered with the first ID."""

import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from openum.clock import FrozenClock
from openum.intake.models import AuthorizationRequest
from tests.conftest import DEFAULT_NOW, Database
from tests.factories import AWH_KNEE, PHC_KNEE, body, line

H = Callable[[str], dict[str, str]]


def submit(client: TestClient, headers: H, payload: dict[str, Any], user: str = "provider-awh",
           key: str | None = None) -> Any:
    h = headers(user)
    if key:
        h["Idempotency-Key"] = key
    return client.post("/api/v1/requests", json=payload, headers=h)


def test_complete_request_gets_an_id_and_goes_to_clinical_review(app_client: TestClient, headers: H) -> None:
    r = submit(app_client, headers, AWH_KNEE)
    assert r.status_code == 201, r.text
    out = r.json()
    # Prefix from the pack, receipt date in the ID, 7 characters staff can read on the phone.
    assert re.fullmatch(r"AWH-261118-[0-9A-HJKMNP-TV-Z]{7}", out["authorization_id"])
    assert out["status"] == "in_clinical_review" and out["provider_status"] == "M"
    req = out["request"]
    assert req["received_at"].startswith("2026-11-18T17:00:00")
    assert req["pack_version"] == "2026.1"
    assert req["channel"] == "portal"
    assert [e["type"] for e in req["history"]] == ["received", "status_changed"]
    assert req["history"][1]["to_status"] == "in_clinical_review"
    assert req["attachments"][0]["size"] > 0 and len(req["attachments"][0]["sha256"]) == 64
    assert r.headers["Location"] == f"/api/v1/requests/{out['authorization_id']}"


def test_missing_information_pends_with_exactly_what_is_missing(app_client: TestClient, headers: H) -> None:
    payload = body(AWH_KNEE, diagnoses=["M17"], attachments=[], clinical_indications=None,
                   requesting_provider_npi="1234567890", requested_length_of_stay=None)
    r = submit(app_client, headers, payload)
    assert r.status_code == 201
    out = r.json()
    assert out["status"] == "pended_for_information" and out["provider_status"] == "P"
    assert out["authorization_id"]
    got = {(m["field"], m["code"]) for m in out["missing_items"]}
    assert got == {
        ("diagnoses[0]", "invalid"),  # M17 is a category, not a billable code
        ("attachments.clinical_documentation", "missing_document"),
        ("clinical_indications", "missing"),
        ("requesting_provider_npi", "invalid"),  # check digit wrong
        ("requested_length_of_stay", "missing"),  # inpatient needs a length of stay (seed 001)
    }


def test_nothing_but_a_member_id_still_gets_an_id(app_client: TestClient, headers: H) -> None:
    r = submit(app_client, headers, {"member": {"member_id": "AWH200101"}})
    assert r.status_code == 201
    out = r.json()
    assert out["status"] == "pended_for_information"
    fields = {m["field"] for m in out["missing_items"]}
    assert {"service_lines", "diagnoses", "requesting_provider_npi", "servicing_provider_npi"} <= fields


def test_unknown_member_is_pended_not_rejected(app_client: TestClient, headers: H) -> None:
    out = submit(app_client, headers, body(AWH_KNEE, member={"member_id": "AWH999999"})).json()
    assert out["status"] == "pended_for_information"
    assert ("member.member_id", "not_found") in {(m["field"], m["code"]) for m in out["missing_items"]}


def test_dme_without_prescription_is_pended(app_client: TestClient, headers: H) -> None:
    # Seed 004: a physician prescription is required for enteral formulas, infusion therapy and DME.
    payload = body(AWH_KNEE, setting="home", service_lines=[line("K0823", pos="12")],
                   servicing_provider_npi="1506045412", facility_npi=None, diagnoses=["G12.21"],
                   requested_length_of_stay=None, admission_date=None)
    out = submit(app_client, headers, payload).json()
    assert {m["field"] for m in out["missing_items"]} == {"attachments.prescription"}
    # Sending the prescription completes the request and resumes review.
    aid = out["authorization_id"]
    r = app_client.post(f"/api/v1/requests/{aid}/documents", headers=headers("provider-awh"),
                        files={"file": ("rx.pdf", b"%PDF-1.4 rx", "application/pdf")},
                        data={"kind": "prescription"})
    assert r.status_code == 201, r.text
    after = app_client.get(f"/api/v1/requests/{aid}", headers=headers("provider-awh")).json()
    assert after["status"] == "in_clinical_review" and after["missing_items"] == []
    assert after["history"][-1]["reason"] == "all missing information received"


def test_malformed_input_lists_every_problem_and_creates_nothing(
    app_client: TestClient, headers: H, db: Database
) -> None:
    payload = body(AWH_KNEE, kind="sometimes", service_lines=[{"code": "27447", "units": "many",
                                                               "from_date": "2026-13-45"}],
                   requested_length_of_stay=-1, surprise="field")
    r = submit(app_client, headers, payload)
    assert r.status_code == 422
    locs = {d["location"] for d in r.json()["error"]["details"]}
    assert {"body.kind", "body.service_lines.0.units", "body.service_lines.0.from_date",
            "body.requested_length_of_stay", "body.surprise"} <= locs
    bad_json = app_client.post("/api/v1/requests", content=b'{"member": ', headers={
        **headers("provider-awh"), "Content-Type": "application/json"})
    assert bad_json.status_code == 422
    assert bad_json.json()["error"]["details"][0]["type"] == "json_invalid"
    with db.factory() as s:
        assert s.scalar(select(func.count()).select_from(AuthorizationRequest)) == 0


def test_bad_attachment_encoding_is_refused_with_its_location(app_client: TestClient, headers: H) -> None:
    payload = body(AWH_KNEE, attachments=[{"kind": "clinical_documentation", "filename": "a.pdf",
                                           "content_type": "application/pdf", "content_base64": "%%%"}])
    r = submit(app_client, headers, payload)
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["loc"] == ["attachments", "0", "content_base64"] or \
        r.json()["error"]["details"][0]["loc"] == ["attachments", 0, "content_base64"]


def test_same_idempotency_key_returns_the_first_id(app_client: TestClient, headers: H) -> None:
    first = submit(app_client, headers, AWH_KNEE, key="abc-123")
    again = submit(app_client, headers, AWH_KNEE, key="abc-123")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["authorization_id"] == first.json()["authorization_id"]


def test_idempotency_key_reused_for_another_request_is_a_conflict(app_client: TestClient, headers: H) -> None:
    submit(app_client, headers, AWH_KNEE, key="k-1")
    other = body(AWH_KNEE, service_lines=[line("27130", pos="21")])
    r = submit(app_client, headers, other, key="k-1")
    assert r.status_code == 409
    assert r.json()["error"]["details"][0]["loc"] == ["header", "Idempotency-Key"]


def test_same_content_within_the_window_is_the_same_request(
    app_client: TestClient, headers: H, clock: FrozenClock
) -> None:
    first = submit(app_client, headers, AWH_KNEE).json()["authorization_id"]
    clock.advance(timedelta(hours=71))  # AllWays' pack sets a 72-hour duplicate window
    again = submit(app_client, headers, AWH_KNEE).json()
    assert again["duplicate"] and again["authorization_id"] == first
    clock.advance(timedelta(hours=2))
    later = submit(app_client, headers, AWH_KNEE).json()
    assert not later["duplicate"] and later["authorization_id"] != first


def test_another_organization_submitting_the_same_service_is_not_a_duplicate(
    app_client: TestClient, headers: H
) -> None:
    a = submit(app_client, headers, AWH_KNEE, user="provider-awh").json()["authorization_id"]
    b = submit(app_client, headers, AWH_KNEE, user="provider-awh-2").json()["authorization_id"]
    assert a != b


def test_racing_identical_submissions_create_one_record(
    app_client: TestClient, headers: H, db: Database
) -> None:
    h = headers("provider-awh")
    results: list[str] = []

    def go() -> None:
        r = app_client.post("/api/v1/requests", json=AWH_KNEE, headers=h)
        results.append(r.json()["authorization_id"])

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results) == 8
    with db.factory() as s:
        assert s.scalar(select(func.count()).select_from(AuthorizationRequest)) == 1


def test_ineligible_member_is_denied_administratively_at_intake(app_client: TestClient, headers: H) -> None:
    out = submit(app_client, headers, body(AWH_KNEE, member={"member_id": "AWH200107"})).json()
    assert out["status"] == "denied" and out["provider_status"] == "D"
    det = out["request"]["determination"]
    assert det["basis"] == "administrative" and det["category"] == "member_ineligible"


def test_excluded_service_is_denied_member_issued(app_client: TestClient, headers: H) -> None:
    payload = body(PHC_KNEE, setting="office", service_lines=[line("17380")], requested_length_of_stay=None,
                   admission_date=None, diagnoses=["L68.0"], facility_npi=None,
                   servicing_provider_npi="1588139984")
    out = submit(app_client, headers, payload, user="provider-phc").json()
    assert out["status"] == "denied"
    assert out["request"]["determination"]["member_issued"] is True
    assert out["request"]["determination"]["category"] == "service_excluded"


def test_epsdt_child_goes_to_review(app_client: TestClient, headers: H) -> None:
    payload = body(PHC_KNEE, member={"member_id": "PHC100103"}, setting="office",
                   service_lines=[line("17380")], requested_length_of_stay=None, admission_date=None,
                   diagnoses=["L68.0"], facility_npi=None, servicing_provider_npi="2987973098",
                   requesting_provider_npi="2987973098")
    out = submit(app_client, headers, payload, user="provider-phc").json()
    assert out["status"] == "in_clinical_review"
    assert "EPSDT" in out["request"]["status_reason"]


def test_carve_out_is_closed_with_where_to_go(app_client: TestClient, headers: H) -> None:
    payload = body(PHC_KNEE, setting="office", service_lines=[line("00088221905")],
                   requested_length_of_stay=None, admission_date=None, facility_npi=None,
                   servicing_provider_npi="1588139984")
    out = submit(app_client, headers, payload, user="provider-phc").json()
    assert out["status"] == "closed" and out["provider_status"] == "C"
    assert "Medi-Cal Rx" in out["request"]["status_reason"]


def test_service_needing_nothing_is_answered_as_such(app_client: TestClient, headers: H) -> None:
    payload = body(AWH_KNEE, setting="office", service_lines=[line("99213")], requested_length_of_stay=None,
                   admission_date=None, facility_npi=None, servicing_provider_npi="2547517799")
    out = submit(app_client, headers, payload).json()
    assert out["status"] == "closed"
    assert "no authorization is required" in out["request"]["status_reason"]


def test_practitioner_asserted_urgency_is_honoured(app_client: TestClient, headers: H) -> None:
    out = submit(app_client, headers, body(AWH_KNEE, urgency="non_urgent", urgency_asserted_by_practitioner=True,
                                           urgency_basis="risk of losing function")).json()
    assert out["request"]["urgency"] == "urgent"
    assert out["request"]["urgency_asserted_by_practitioner"] is True


def test_inpatient_concurrent_review_is_always_urgent(app_client: TestClient, headers: H) -> None:
    out = submit(app_client, headers, body(AWH_KNEE, kind="concurrent", urgency="non_urgent")).json()
    assert out["request"]["urgency"] == "urgent"


def test_receipt_time_cannot_be_edited_in_the_database(app_client: TestClient, headers: H, db: Database) -> None:
    aid = submit(app_client, headers, AWH_KNEE).json()["authorization_id"]
    with db.engine.connect() as conn, pytest.raises(Exception, match="immutable"):
        conn.execute(text("UPDATE authorization_requests SET received_at = :t WHERE authorization_id = :a"),
                     {"t": (DEFAULT_NOW - timedelta(days=3)).replace(tzinfo=None), "a": aid})
    with db.engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("DELETE FROM request_events"))


def test_receipt_correction_is_a_new_event(app_client: TestClient, headers: H) -> None:
    aid = submit(app_client, headers, AWH_KNEE).json()["authorization_id"]
    fix = {"corrected_received_at": "2026-11-17T16:45:00-05:00",
           "reason": "fax arrived 2026-11-17 16:45, keyed the next morning"}
    assert app_client.post(f"/api/v1/requests/{aid}/corrections", json=fix,
                           headers=headers("nurse")).status_code == 403
    r = app_client.post(f"/api/v1/requests/{aid}/corrections", json=fix, headers=headers("manager"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["received_at"].startswith("2026-11-18T17:00:00")  # the original stands
    assert out["effective_received_at"].startswith("2026-11-17T16:45:00")
    ev = out["history"][-1]
    assert ev["type"] == "receipt_corrected" and ev["actor"] == "manager" and "fax" in ev["reason"]


def test_illegal_transition_is_refused(app_client: TestClient, headers: H, db: Database) -> None:
    from openum.audit.service import Actor
    from openum.errors import IllegalTransition
    from openum.intake.service import change_status, get_request
    from openum.intake.status import Status

    aid = submit(app_client, headers, body(AWH_KNEE, member={"member_id": "AWH200107"})).json()["authorization_id"]
    actor = Actor(None, "test", "um_manager", None)
    with db.factory() as s:
        req = get_request(s, authorization_id=aid)
        with pytest.raises(IllegalTransition) as err:
            change_status(req, Status.PENDED_FOR_INFORMATION, at=DEFAULT_NOW, actor=actor, reason="x")
        assert "denied cannot become pended_for_information" in err.value.message
    assert app_client.get(f"/api/v1/requests/{aid}", headers=headers("nurse")).json()["status"] == "denied"


