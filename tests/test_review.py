"""Clinical review through the API: queues, one owner at a time, authority enforced by the server
(each refusal names its rule), criteria evaluations, decisions, automation that only approves."""

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openum.auth.service import create_user
from openum.clock import FrozenClock
from openum.deadlines.worker import scan_once
from openum.packs.registry import PackRegistry
from tests.conftest import Database
from tests.factories import AWH_KNEE, PHC_KNEE, body, line

H = Callable[[str], dict[str, str]]

# Facts that meet AllWays' elective joint replacement policy (packs/allways-commercial/policies).
KNEE_MET = {
    "findings": {
        "kellgren_lawrence_grade": {"value": 4, "unit": "grade"},
        "pain_score": {"value": 8, "unit": "/10"},
        "bmi": {"value": 31, "unit": "kg/m2"},
        "asa_class": {"value": 3, "unit": "class"},
    },
    "answers": {"functional-limitation": True, "no-active-infection": True},
    "prior_treatments": [
        {"name": "naproxen", "outcome": "failed", "duration_days": 120, "treatment_class": "nsaid"},
        {"name": "physical therapy", "outcome": "failed", "duration_days": 90, "treatment_class": "physical_therapy"},
    ],
}
# Partnership CPAP (E0601): AHI 22 with the attestations the policy asks for; auto-approval allowed on Medi-Cal.
CPAP_MET = {
    "findings": {"ahi": {"value": 22, "unit": "events/hour"}},
    "answers": {"face-to-face-before-test": True, "qualifying-sleep-test": True, "instructed-in-use": True},
}


def _submit(client: TestClient, headers: H, payload: dict[str, Any], user: str) -> dict[str, Any]:
    r = client.post("/api/v1/requests", json=payload, headers=headers(user))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _item(client: TestClient, headers: H, user: str, aid: str) -> dict[str, Any]:
    items = client.get("/api/v1/queues/mine", headers=headers(user)).json()
    return next(i for i in items if i["authorization_id"] == aid)


def _decide(client: TestClient, headers: H, user: str, aid: str, **kw: Any) -> Any:
    payload = {"reason": "Decision recorded with the member's clinical facts in view.", **kw}
    return client.post(f"/api/v1/requests/{aid}/decision", json=payload, headers=headers(user))


def _add_user(db: Database, clock: FrozenClock, username: str, role: str, credentials: list[dict[str, str]]) -> None:
    with db.factory() as s:
        create_user(
            s,
            username=username,
            password="long-enough-pw",
            role=role,
            full_name=username,
            now=clock.now(),
            credentials=credentials,
        )
        s.commit()


def test_request_waits_in_the_nurse_queue_sorted_by_due_time(app_client: TestClient, headers: H) -> None:
    later = _submit(app_client, headers, AWH_KNEE, "provider-awh")["authorization_id"]
    urgent = _submit(
        app_client, headers, body(AWH_KNEE, urgency="urgent", member={"member_id": "AWH200102"}), "provider-awh"
    )["authorization_id"]
    mine = app_client.get("/api/v1/queues/mine", headers=headers("nurse")).json()
    order = [i["authorization_id"] for i in mine]
    # Received Wednesday noon in Boston. Seed 004: non-urgent, 2 business days after all information
    # -> end of Friday (Nov 21 04:59:59Z); urgent, 72 hours -> Saturday 17:00Z. Earliest first.
    assert order == [later, urgent]
    assert mine[0]["due_at"].startswith("2026-11-21T04:59:59") and mine[1]["due_at"].startswith("2026-11-21T17:00")
    assert all(i["queue"] == "nurse" and i["due_at"] for i in mine)
    assert app_client.get("/api/v1/queues/mine", headers=headers("physician")).json() == []


def test_two_reviewers_claiming_at_once_exactly_one_wins(
    app_client: TestClient, headers: H, db: Database, clock: FrozenClock
) -> None:
    _add_user(db, clock, "nurse2", "um_nurse", [{"type": "RN", "expires_on": "2027-12-31"}])
    aid = _submit(app_client, headers, AWH_KNEE, "provider-awh")["authorization_id"]
    item = _item(app_client, headers, "nurse", aid)
    codes: list[int] = []
    barrier = threading.Barrier(2)

    def go(user: str) -> None:
        h = headers(user)
        barrier.wait()
        codes.append(app_client.post(f"/api/v1/work-items/{item['id']}/claim", headers=h).status_code)

    threads = [threading.Thread(target=go, args=(u,)) for u in ("nurse", "nurse2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409]


def test_nurse_approves_when_criteria_are_met(app_client: TestClient, headers: H) -> None:
    aid = _submit(app_client, headers, AWH_KNEE, "provider-awh")["authorization_id"]
    item = _item(app_client, headers, "nurse", aid)
    assert app_client.post(f"/api/v1/work-items/{item['id']}/claim", headers=headers("nurse")).status_code == 200
    ev = app_client.post(f"/api/v1/requests/{aid}/evaluations", json=KNEE_MET, headers=headers("nurse")).json()
    assert ev[0]["outcome"] == "criteria_met" and ev[0]["policy_id"] == "elective-inpatient-joint-replacement"
    r = _decide(app_client, headers, "nurse", aid, action="approve")
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "approved" and out["provider_status"] == "A"
    assert out["determination"]["credential"] == "RN"
    assert out["determination"]["policies"][0]["version"]
    assert out["service_lines"][0]["approved_units"] == 1
    assert app_client.get("/api/v1/queues/mine", headers=headers("nurse")).json() == []


def test_nurse_cannot_deny_for_medical_necessity(app_client: TestClient, headers: H) -> None:
    aid = _submit(app_client, headers, AWH_KNEE, "provider-awh")["authorization_id"]
    r = _decide(app_client, headers, "nurse", aid, action="deny_medical_necessity")
    assert r.status_code == 403
    assert r.json()["error"]["details"][0]["rule"] == "medical-necessity-denial-physician-only"


def test_nurse_cannot_partially_approve(app_client: TestClient, headers: H) -> None:
    aid = _submit(app_client, headers, AWH_KNEE, "provider-awh")["authorization_id"]
    r = _decide(
        app_client, headers, "nurse", aid, action="partial_approve", lines=[{"sequence": 1, "approved_units": 0}]
    )
    assert r.json()["error"]["details"][0]["rule"] == "modification-physician-only"


def test_approval_without_met_criteria_needs_a_recorded_override(app_client: TestClient, headers: H) -> None:
    aid = _submit(app_client, headers, AWH_KNEE, "provider-awh")["authorization_id"]
    # AllWays lets its UM nurses override criteria toward approval (seed 004), with a reason.
    r = _decide(app_client, headers, "nurse", aid, action="approve")
    assert r.json()["error"]["details"][0]["rule"] == "override-needs-reason"
    r = _decide(
        app_client,
        headers,
        "nurse",
        aid,
        action="approve",
        override_reason="Lives alone up three flights of stairs; surgery now avoids a fall risk.",
    )
    assert r.status_code == 200 and r.json()["determination"]["override_reason"]


def test_medi_cal_nurse_approves_only_on_met_criteria(app_client: TestClient, headers: H) -> None:
    aid = _submit(app_client, headers, PHC_KNEE, "provider-phc")["authorization_id"]
    r = _decide(app_client, headers, "nurse", aid, action="approve", override_reason="clinical judgement")
    assert r.status_code == 403
    assert r.json()["error"]["details"][0]["rule"] == "approve-requires-criteria-met"


def test_referral_to_physician_then_physician_denies(app_client: TestClient, headers: H) -> None:
    aid = _submit(app_client, headers, AWH_KNEE, "provider-awh")["authorization_id"]
    not_met = {
        **KNEE_MET,
        "findings": {**KNEE_MET["findings"], "kellgren_lawrence_grade": {"value": 1, "unit": "grade"}},
        "answers": {**KNEE_MET["answers"], "imaging-osteonecrosis-collapse": False},
    }
    ev = app_client.post(f"/api/v1/requests/{aid}/evaluations", json=not_met, headers=headers("nurse")).json()
    assert ev[0]["outcome"] == "criteria_not_met"
    r = app_client.post(f"/api/v1/requests/{aid}/refer", json={"reason": "criteria not met"}, headers=headers("nurse"))
    assert r.status_code == 200 and r.json()["status"] == "in_physician_review"
    assert r.json()["provider_status"] == "M"
    item = _item(app_client, headers, "physician", aid)
    assert item["queue"] == "physician"
    r = _decide(
        app_client,
        headers,
        "physician",
        aid,
        action="deny_medical_necessity",
        reason="Knee X-rays show only mild (grade 1) arthritis, which does not meet the policy's grade 3.",
        alternatives="Injection therapy and a further course of physical therapy.",
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "denied" and out["determination"]["basis"] == "medical_necessity"
    assert out["determination"]["credential"] == "MD"
    assert any(d["obligation"].startswith("provider_verbal") and d["due_at"] for d in out["due_times"])


def test_physician_partial_approval_is_an_a_with_fewer_units(app_client: TestClient, headers: H) -> None:
    pt = body(
        AWH_KNEE,
        setting="office",
        service_lines=[line("97110", units=30)],
        servicing_provider_npi="1948939495",
        facility_npi=None,
        requested_length_of_stay=None,
        admission_date=None,
        diagnoses=["M25.561"],
    )
    # AllWays PT needs no authorization; use Partnership, where 97110 needs one.
    pt = body(
        pt, member={"member_id": "PHC100101"}, requesting_provider_npi="1588139984", servicing_provider_npi="2616987162"
    )
    aid = _submit(app_client, headers, pt, "provider-phc")["authorization_id"]
    r = _decide(
        app_client,
        headers,
        "physician",
        aid,
        action="partial_approve",
        reason="Twelve visits are supported by the documented deficits; more after a progress note.",
        lines=[{"sequence": 1, "approved_units": 12}],
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "partially_approved" and out["provider_status"] == "A"
    assert out["service_lines"][0]["decision"] == "modified" and out["service_lines"][0]["approved_units"] == 12


def test_expired_licence_removes_authority(
    app_client: TestClient, headers: H, db: Database, clock: FrozenClock
) -> None:
    _add_user(db, clock, "drlapsed", "physician_reviewer", [{"type": "MD", "expires_on": "2026-10-31"}])
    aid = _submit(app_client, headers, AWH_KNEE, "provider-awh")["authorization_id"]
    r = _decide(app_client, headers, "drlapsed", aid, action="deny_medical_necessity")
    assert r.json()["error"]["details"][0]["rule"] == "credential-expired"


def test_reviewer_involved_in_care_may_not_decide(app_client: TestClient, headers: H) -> None:
    aid = _submit(app_client, headers, AWH_KNEE, "provider-awh")["authorization_id"]
    r = app_client.post(
        "/api/v1/care-involvements",
        headers=headers("manager"),
        json={
            "username": "physician",
            "member_id": "AWH200101",
            "plan_id": "allways-commercial",
            "reason": "Treated the member in clinic in 2025",
        },
    )
    assert r.status_code == 201
    r = _decide(app_client, headers, "physician", aid, action="approve", override_reason="n/a")
    assert r.json()["error"]["details"][0]["rule"] == "conflict-of-interest"


def test_sud_residential_goes_to_the_bh_nurse_who_needs_asam(
    app_client: TestClient, headers: H, db: Database, clock: FrozenClock
) -> None:
    sud = body(
        PHC_KNEE,
        setting="residential",
        service_lines=[line("H0018", units=14, pos="55")],
        servicing_provider_npi="1984162291",
        facility_npi=None,
        requested_length_of_stay=None,
        admission_date=None,
        diagnoses=["F10.20"],
    )
    aid = _submit(app_client, headers, sud, "provider-phc")["authorization_id"]
    assert _item(app_client, headers, "bhnurse", aid)["queue"] == "bh-nurse"
    _add_user(
        db,
        clock,
        "bhnurse-noasam",
        "bh_nurse",
        [{"type": "RN", "expires_on": "2027-12-31"}, {"type": "asam", "expires_on": "2026-01-31"}],
    )
    r = _decide(app_client, headers, "bhnurse-noasam", aid, action="approve")
    assert r.json()["error"]["details"][0]["rule"] == "training-expired"
    # The BH clinical director may deny behavioral-health services but nothing else.
    knee = _submit(app_client, headers, PHC_KNEE, "provider-phc")["authorization_id"]
    r = _decide(app_client, headers, "bhdirector", knee, action="deny_medical_necessity")
    assert r.json()["error"]["details"][0]["rule"] == "outside-scope"


def test_pharmacy_technician_escalates_to_pharmacist(app_client: TestClient, headers: H) -> None:
    drug = body(
        PHC_KNEE,
        setting="office",
        service_lines=[line("J1745", units=40)],
        servicing_provider_npi="2488766348",
        facility_npi=None,
        requested_length_of_stay=None,
        admission_date=None,
        diagnoses=["K50.90"],
    )
    aid = _submit(app_client, headers, drug, "provider-phc")["authorization_id"]
    assert _item(app_client, headers, "pharmtech", aid)["queue"] == "pharmacy-technician"
    r = _decide(app_client, headers, "pharmtech", aid, action="deny_medical_necessity")
    assert r.json()["error"]["details"][0]["rule"] == "medical-necessity-denial-physician-only"
    r = app_client.post(
        f"/api/v1/requests/{aid}/refer", json={"reason": "outside technician guidelines"}, headers=headers("pharmtech")
    )
    assert r.status_code == 200
    assert r.json()["status"] == "in_clinical_review"  # a pharmacist is not a physician review
    assert _item(app_client, headers, "pharmacist", aid)["queue"] == "pharmacist"


def test_manager_denies_administratively_provider_only(app_client: TestClient, headers: H) -> None:
    aid = _submit(app_client, headers, PHC_KNEE, "provider-phc")["authorization_id"]
    r = _decide(
        app_client,
        headers,
        "manager",
        aid,
        action="deny_administrative",
        administrative_category="no_prior_authorization",
        reason="The surgery was performed before any request was received.",
    )
    assert r.status_code == 200, r.text
    det = r.json()["determination"]
    assert det["basis"] == "administrative" and det["member_issued"] is False
    # Without a category the denial cannot be recorded.
    other = _submit(app_client, headers, body(PHC_KNEE, member={"member_id": "PHC100102"}), "provider-phc")
    r = _decide(app_client, headers, "manager", other["authorization_id"], action="deny_administrative")
    assert r.status_code == 400


def _cpap(facts: dict[str, Any]) -> dict[str, Any]:
    """A Partnership CPAP request (E0601) with a prescription and the given clinical facts."""
    prescription = {"kind": "prescription", "filename": "rx.pdf", "content_type": "application/pdf",
                    "content_base64": PHC_KNEE["attachments"][0]["content_base64"]}
    return body(PHC_KNEE, setting="home", service_lines=[line("E0601", units=3, pos="12")],
                servicing_provider_npi="1319084525", facility_npi=None, requested_length_of_stay=None,
                admission_date=None, diagnoses=["G47.33"], clinical_facts=facts,
                attachments=[*PHC_KNEE["attachments"], prescription])


def test_complete_met_request_is_approved_automatically(app_client: TestClient, headers: H) -> None:
    cpap = _cpap(CPAP_MET)
    out = _submit(app_client, headers, cpap, "provider-phc")
    assert out["status"] == "approved", out["request"]["status_reason"]
    assert out["request"]["determination"]["automatic"] is True
    evs = app_client.get(f"/api/v1/requests/{out['authorization_id']}/evaluations", headers=headers("nurse")).json()
    assert evs[0]["automatic"] and evs[0]["outcome"] == "criteria_met"
    assert any(r["evidence"] for r in evs[0]["results"])


def test_not_met_request_is_never_denied_by_automation(app_client: TestClient, headers: H) -> None:
    low = {**CPAP_MET, "findings": {"ahi": {"value": 3, "unit": "events/hour"}}}
    cpap = _cpap(low)
    out = _submit(app_client, headers, cpap, "provider-phc")
    assert out["status"] == "in_clinical_review"


def test_pend_then_no_answer_returns_to_the_queue(
    app_client: TestClient, headers: H, clock: FrozenClock, db: Database, registry: PackRegistry
) -> None:
    aid = _submit(app_client, headers, AWH_KNEE, "provider-awh")["authorization_id"]
    due_by = (clock.now() + timedelta(days=1)).isoformat()
    r = app_client.post(
        f"/api/v1/requests/{aid}/pend",
        headers=headers("nurse"),
        json={"what": "Knee X-ray report", "why": "grade of arthritis", "due_by": due_by},
    )
    assert r.status_code == 200 and r.json()["status"] == "pended_for_information"
    assert r.json()["provider_status"] == "P"
    clock.advance(timedelta(days=1, minutes=1))
    scan_once(db.factory, registry=registry, clock=clock)
    out = app_client.get(f"/api/v1/requests/{aid}", headers=headers("nurse")).json()
    assert out["status"] == "in_clinical_review"
    assert "information at hand" in out["history"][-1]["reason"]
    assert _item(app_client, headers, "nurse", aid)["state"] == "open"


def test_extension_refused_names_the_layer(app_client: TestClient, headers: H) -> None:
    aid = _submit(app_client, headers, AWH_KNEE, "provider-awh")["authorization_id"]
    r = app_client.post(
        f"/api/v1/requests/{aid}/extensions",
        headers=headers("nurse"),
        json={"reason": "awaiting outside records", "requested_by": "plan"},
    )
    assert r.status_code == 409
    assert r.json()["error"]["details"][0]["layer"]


def test_medi_cal_extension_moves_the_decision_due(app_client: TestClient, headers: H, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 11, 20, 17, 0, tzinfo=UTC))
    out = _submit(app_client, headers, PHC_KNEE, "provider-phc")
    before = next(d for d in out["request"]["due_times"] if d["obligation"] == "decision")["due_at"]
    r = app_client.post(
        f"/api/v1/requests/{out['authorization_id']}/extensions",
        headers=headers("nurse"),
        json={"reason": "member asked for time to send records", "requested_by": "member"},
    )
    assert r.status_code == 200, r.text
    after = next(d for d in r.json()["due_times"] if d["obligation"] == "decision")["due_at"]
    assert after > before


def test_peer_to_peer_and_criteria_disclosure_are_recorded(app_client: TestClient, headers: H) -> None:
    aid = _submit(app_client, headers, AWH_KNEE, "provider-awh")["authorization_id"]
    app_client.post(f"/api/v1/requests/{aid}/evaluations", json=KNEE_MET, headers=headers("nurse"))
    p = app_client.post(
        f"/api/v1/requests/{aid}/peer-to-peer",
        headers=headers("physician"),
        json={
            "practitioner_name": "Dr. Brian Sullivan",
            "practitioner_phone": "617-555-0100",
            "scheduled_for": "2026-11-19T15:00:00-05:00",
        },
    )
    assert p.status_code == 201 and p.json()["status"] == "scheduled"
    done = app_client.patch(
        f"/api/v1/peer-to-peer/{p.json()['id']}",
        headers=headers("physician"),
        json={"status": "completed", "notes": "Discussed imaging", "outcome": "agreed"},
    )
    assert done.json()["status"] == "completed" and done.json()["held_at"]
    d = app_client.post(
        f"/api/v1/requests/{aid}/criteria-disclosures",
        headers=headers("memberservices"),
        json={"requester_kind": "member", "requester_name": "Member", "channel": "mail"},
    )
    assert d.status_code == 201
    criteria = d.json()["policies"][0]["criteria"]
    assert any(c["id"] == "pain-score" and c["result"] == "met" for c in criteria)
    history = app_client.get(f"/api/v1/requests/{aid}", headers=headers("nurse")).json()["history"]
    assert {"peer_to_peer_offered", "peer_to_peer_completed", "criteria_disclosed"} <= {e["type"] for e in history}


def test_urgent_request_after_hours_goes_to_on_call(app_client: TestClient, headers: H, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 11, 21, 3, 0, tzinfo=UTC))  # Friday 22:00 in Boston
    aid = _submit(app_client, headers, body(AWH_KNEE, urgency="urgent"), "provider-awh")["authorization_id"]
    item = _item(app_client, headers, "nurse", aid)
    assert item["queue"] == "on-call" and item["after_hours"] is True


def test_provider_cannot_reach_review_endpoints(app_client: TestClient, headers: H) -> None:
    aid = _submit(app_client, headers, AWH_KNEE, "provider-awh")["authorization_id"]
    assert _decide(app_client, headers, "provider-awh", aid, action="approve").status_code == 403


@pytest.mark.parametrize("action", ["approve", "deny_medical_necessity"])
def test_decided_request_cannot_be_decided_again(app_client: TestClient, headers: H, action: str) -> None:
    aid = _submit(app_client, headers, body(AWH_KNEE, member={"member_id": "AWH200107"}), "provider-awh")[
        "authorization_id"
    ]
    r = _decide(app_client, headers, "physician", aid, action=action, override_reason="x")
    assert r.status_code == 409


def test_post_stabilization_request_is_flagged_for_a_30_minute_answer(app_client: TestClient, headers: H) -> None:
    out = _submit(app_client, headers, body(PHC_KNEE, post_stabilization=True), "provider-phc")
    assert out["request"]["urgency"] == "urgent"
    item = _item(app_client, headers, "nurse", out["authorization_id"])
    # Seed 001: post-stabilization calls are returned within 30 minutes, 24/7 (received 17:00 UTC).
    assert item["post_stabilization"] is True and item["answer_by"].startswith("2026-11-18T17:30:00")


def test_policies_past_their_annual_review_are_flagged_to_the_manager(
    app_client: TestClient, headers: H, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 12, 11, 17, 0, tzinfo=UTC))
    overdue = app_client.get("/api/v1/policies/overdue", headers=headers("manager")).json()
    # Partnership's CPAP policy records its next annual review as 2026-12-10.
    cpap = next(p for p in overdue if p["policy_id"] == "cpap-initial" and p["plan_id"] == "partnership-medi-cal")
    assert cpap["days_overdue"] == 1
    clock.set(datetime(2026, 12, 10, 17, 0, tzinfo=UTC))
    assert not any(p["policy_id"] == "cpap-initial" and p["plan_id"] == "partnership-medi-cal"
                   for p in app_client.get("/api/v1/policies/overdue", headers=headers("manager")).json())
    assert app_client.get("/api/v1/policies/overdue", headers=headers("nurse")).status_code == 403
