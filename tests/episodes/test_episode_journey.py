"""An elective admission from notification to discharge, and an observation stay that became inpatient.

Expected values are worked out by hand from the seeds' words (comments say which); the API is only
asked, never used to compute what it should answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from openum.clock import FrozenClock
from tests.episodes.conftest import H, due, ok, submit
from tests.factories import CLINICAL_PDF, PHC_KNEE
from tests.test_review import KNEE_MET

DOC = [{"kind": "clinical_documentation", "filename": "progress.pdf", "content_type": "application/pdf",
        "content_base64": CLINICAL_PDF}]
OVERRIDE = "No written criteria for acute continued stay; progress notes support more inpatient days."


def at(clock: FrozenClock, iso: str) -> None:
    clock.set(datetime.fromisoformat(iso).astimezone(UTC))


def _approve(client: TestClient, headers: H, aid: str, **kw: Any) -> dict[str, Any]:
    payload = {"action": "approve", "reason": "Continued stay medically necessary.", "override_reason": OVERRIDE, **kw}
    return ok(client.post(f"/api/v1/requests/{aid}/decision", json=payload, headers=headers("physician")))


def _stay(client: TestClient, headers: H, episode_id: int, units: int) -> dict[str, Any]:
    body = {"units": units, "clinical_indications": "Post-operative day: pain control, PT progress, wound check.",
            "attachments": DOC}
    return ok(client.post(f"/api/v1/episodes/{episode_id}/continued-stay", json=body, headers=headers("intake")), 201)


def test_elective_admission_from_notification_to_discharge(
    app_client: TestClient, headers: H, clock: FrozenClock
) -> None:
    c = app_client
    # --- Prior authorization (Partnership, Medi-Cal): total knee replacement, 2 inpatient days, admit Mon 14 Dec.
    pa = submit(c, headers, PHC_KNEE, "provider-phc")["authorization_id"]
    ok(c.post(f"/api/v1/requests/{pa}/evaluations", json=KNEE_MET, headers=headers("nurse")))
    ok(c.post(f"/api/v1/requests/{pa}/decision", json={"action": "approve", "reason": "Criteria met."},
              headers=headers("nurse")))

    # --- 1. Admission notice, Mon 14 Dec 09:00 PST, for an admission at 07:30 PST.
    at(clock, "2026-12-14T09:00:00-08:00")
    notice = {"admission_type": "elective", "authorization_id": pa, "admitted_at": "2026-12-14T07:30:00-08:00",
              "member": {"member_id": "PHC100101"}, "facility_npi": "2714751361",
              "attending_provider_npi": "1472940554", "attachments": DOC}
    ep = ok(c.post("/api/v1/episodes", json=notice, headers=headers("intake")), 201)
    eid = ep["id"]
    # Seed 001 (Denial Determinations): the facility notifies "within one business day of the admission":
    # Mon 14 Dec -> end of Tue 15 Dec in California = 2026-12-16T07:59:59.999999Z. Notified on the day: on time.
    assert ep["notification"]["required"] is True and ep["notification"]["late"] is False
    assert ep["notification"]["due_at"].startswith("2026-12-16T07:59:59.999999")
    # The authorization approved 2 days from the 14th: certified through the 15th, reviewed then.
    # Estimated length of stay: the elective joint replacement policy allows 3 inpatient days.
    assert (ep["certified_units"], ep["certified_through"], ep["next_review_date"]) == (2, "2026-12-15", "2026-12-15")
    assert ep["estimated_length_of_stay"] == 3 and "elective-inpatient-joint-replacement" in ep["estimated_los_source"]
    assert (ep["length_of_stay"], ep["days_beyond_estimate"], ep["status"]) == (0, 0, "active")
    assert [(a["role"], a["status"], a["provider_status"]) for a in ep["authorizations"]] == [
        ("admission", "approved", "A")]
    # Discharge planning begins at admission: needs with an owner and a due date.
    for need, owner, by in (("home_health", "Partnership nurse coordinator", "2026-12-21"),
                            ("dme", "Shasta Pines discharge planner", "2026-12-21"),
                            ("follow_up_visit", "Sonoma Valley Ortho scheduler", "2026-12-28"),
                            ("transportation", "Shasta Pines discharge planner", "2026-12-21")):
        ep = ok(c.post(f"/api/v1/episodes/{eid}/discharge-needs", headers=headers("nurse"),
                       json={"need": need, "owner": owner, "due_date": by}), 201)
    first_need = ep["discharge_needs"][0]
    assert (first_need["need"], first_need["status"], first_need["overdue"]) == ("home_health", "identified", False)

    # --- 2. First continued-stay review, Tue 15 Dec 10:00 PST (18:00Z): 2 more days, the 16th and 17th.
    at(clock, "2026-12-15T10:00:00-08:00")
    ep = _stay(c, headers, eid, 2)
    cs1 = ep["authorizations"][1]
    assert (cs1["role"], cs1["kind"], cs1["urgency"], cs1["status"], cs1["provider_status"]) == (
        "continued_stay", "concurrent", "urgent", "in_clinical_review", "M")
    assert (cs1["from_date"], cs1["to_date"]) == ("2026-12-16", "2026-12-17")
    # Seed 001: reviewed within 24 hours of notification; urgent concurrent decided within 72 hours.
    assert due(cs1, "review").startswith("2026-12-16T18:00:00")
    assert due(cs1, "decision").startswith("2026-12-18T18:00:00")
    assert ep["length_of_stay"] == 1
    ep = _review_and_get(c, headers, eid, cs1["authorization_id"])
    assert ep["authorizations"][1]["status"] == "approved"
    assert (ep["certified_units"], ep["certified_through"], ep["next_review_date"]) == (4, "2026-12-17", "2026-12-17")

    # --- 3. Second continued-stay review, Thu 17 Dec 10:00 PST: the 18th and 19th.
    at(clock, "2026-12-17T10:00:00-08:00")
    ep = _stay(c, headers, eid, 2)
    cs2 = ep["authorizations"][2]
    assert (cs2["from_date"], cs2["to_date"], cs2["urgency"]) == ("2026-12-18", "2026-12-19", "urgent")
    assert due(cs2, "decision").startswith("2026-12-20T18:00:00")  # 72 hours after Thu 17 Dec 18:00Z
    # Day 3 of an estimated 3: not beyond the estimate yet.
    assert (ep["length_of_stay"], ep["days_beyond_estimate"]) == (3, 0)
    ep = _review_and_get(c, headers, eid, cs2["authorization_id"])
    assert (ep["certified_units"], ep["certified_through"]) == (6, "2026-12-19")
    ok(c.patch(f"/api/v1/episodes/{eid}/discharge-needs/{ep['discharge_needs'][0]['id']}", headers=headers("nurse"),
               json={"status": "in_progress", "note": "Home health agency contacted"}))

    # --- 4. The extension: a third request on Sat 19 Dec 10:00 PST for the 20th-22nd, beyond the estimate.
    at(clock, "2026-12-19T10:00:00-08:00")
    ep = _stay(c, headers, eid, 3)
    cs3 = ep["authorizations"][3]
    assert (ep["length_of_stay"], ep["days_beyond_estimate"]) == (5, 2)
    assert due(cs3, "decision").startswith("2026-12-22T18:00:00")
    # The plan needs the PT evaluation: it takes the one extension the urgent concurrent row allows, "up to
    # 14 calendar days from receipt": receipt Sat 19 Dec is day 0, day 14 is Sat 2 Jan, ending 23:59:59.999999
    # PST = 2027-01-03T07:59:59.999999Z (the federal 72 h + 14 days would be later; the earlier wins).
    ext = ok(c.post(f"/api/v1/requests/{cs3['authorization_id']}/extensions", headers=headers("nurse"),
                    json={"requested_by": "plan", "reason": "Awaiting the physical therapy evaluation."}))
    assert next(d["due_at"] for d in ext["due_times"] if d["obligation"] == "decision").startswith(
        "2027-01-03T07:59:59.999999")
    assert (ext["status"], ext["provider_status"]) == ("in_clinical_review", "M")
    assert ext["history"][-1]["type"] == "extension_taken"
    ep = ok(c.post(f"/api/v1/episodes/{eid}/care-referrals", headers=headers("nurse"),
                   json={"program": "care_management", "reason": "Lives alone; post-operative fall risk."}), 201)
    assert ep["care_referrals"][0]["program"] == "care_management" and ep["care_referrals"][0]["status"] == "referred"

    # Sun 20 Dec 10:00 PST: with the PT evaluation in, the physician approves the three days (20th-22nd).
    at(clock, "2026-12-20T10:00:00-08:00")
    ep = _review_and_get(c, headers, eid, cs3["authorization_id"])
    cs3 = ep["authorizations"][3]
    assert (cs3["status"], cs3["provider_status"], cs3["units_approved"]) == ("approved", "A", 3)
    assert (ep["certified_units"], ep["certified_through"], ep["next_review_date"]) == (9, "2026-12-22", "2026-12-22")
    assert ep["member_liability"]["liable_from"] is None  # nothing adverse: never liable

    # --- 5. Discharge on Mon 21 Dec to home with home health; the plan's needs completed.
    at(clock, "2026-12-21T12:00:00-08:00")
    ep = ok(c.get(f"/api/v1/episodes/{eid}", headers=headers("nurse")))
    for n in ep["discharge_needs"]:
        ok(c.patch(f"/api/v1/episodes/{eid}/discharge-needs/{n['id']}", headers=headers("nurse"),
                   json={"status": "completed"}))
    ep = ok(c.post(f"/api/v1/episodes/{eid}/discharge", headers=headers("nurse"),
                   json={"discharge_date": "2026-12-21", "disposition": "home_with_home_health"}))
    # 14th to 21st: 7 days of care (midnights), 4 beyond the estimate of 3; nothing left to review.
    assert (ep["status"], ep["length_of_stay"], ep["days_beyond_estimate"], ep["next_review_date"]) == (
        "discharged", 7, 4, None)
    assert ep["discharge_disposition"] == "home_with_home_health"
    assert {n["status"] for n in ep["discharge_needs"]} == {"completed"}
    assert ep["discharge_needs"][0]["history"][-1]["status"] == "completed"
    # Another organization's portal user cannot see the episode at all.
    assert c.get(f"/api/v1/episodes/{eid}", headers=headers("provider-phc-2")).status_code == 404
    assert c.get(f"/api/v1/episodes/{eid}", headers=headers("provider-phc")).status_code == 200


def _review_and_get(c: TestClient, headers: H, eid: int, aid: str) -> dict[str, Any]:
    _approve(c, headers, aid)
    return ok(c.get(f"/api/v1/episodes/{eid}", headers=headers("nurse")))


def test_observation_stay_converted_to_inpatient(app_client: TestClient, headers: H, clock: FrozenClock) -> None:
    c = app_client
    # AllWays: observation from Fri 4 Dec 22:00 ET; notified Sat 5 Dec 10:00 ET (15:00Z).
    at(clock, "2026-12-05T10:00:00-05:00")
    ep = ok(c.post("/api/v1/episodes", headers=headers("intake"), json={
        "admission_type": "observation", "admitted_at": "2026-12-04T22:00:00-05:00",
        "member": {"member_id": "AWH200106"}, "facility_npi": "1579906599", "diagnoses": ["R07.9"],
        "clinical_indications": "Chest pain, serial troponins.", "attachments": DOC}), 201)
    eid = ep["id"]
    obs = ep["authorizations"][0]
    # Seed 004: observation needs notification by the end of the next business day: Fri 4 Dec -> end of
    # Mon 7 Dec ET = 2026-12-08T04:59:59.999999Z; on time.
    assert ep["notification"]["due_at"].startswith("2026-12-08T04:59:59.999999") and ep["notification"]["late"] is False
    assert (ep["level_of_care"], obs["kind"], obs["status"]) == ("observation", "notification", "in_clinical_review")
    # The notification is determined as urgent concurrent review: 24 hours from receipt.
    assert due(obs, "decision").startswith("2026-12-06T15:00:00")

    # Sat 5 Dec 14:00 ET the member is admitted as an inpatient; the facility tells the plan at 14:30.
    at(clock, "2026-12-05T14:30:00-05:00")
    ep = ok(c.post(f"/api/v1/episodes/{eid}/level-of-care", headers=headers("intake"), json={
        "level_of_care": "acute_inpatient", "changed_at": "2026-12-05T14:00:00-05:00", "units": 3,
        "reason": "Rising troponin: NSTEMI", "clinical_indications": "NSTEMI, cardiology consult.",
        "attachments": DOC}), 201)
    old, new = ep["authorizations"]
    # Seed 004 status C: "closed (level of care changed, e.g. observation became inpatient)".
    assert (old["status"], old["provider_status"]) == ("closed", "C")
    assert "level of care changed" in old["status_reason"] and new["authorization_id"] in old["status_reason"]
    assert (new["role"], new["kind"], new["level_of_care"], new["status"]) == (
        "level_of_care_change", "notification", "acute_inpatient", "in_clinical_review")
    assert new["supersedes"] == old["authorization_id"]
    assert (new["from_date"], new["to_date"]) == ("2026-12-05", "2026-12-07")
    assert new["notification"]["late"] is False
    assert due(new, "decision").startswith("2026-12-06T19:30:00")
    assert (ep["level_of_care"], ep["level_started_on"], ep["admission_date"]) == (
        "acute_inpatient", "2026-12-05", "2026-12-04")
    history = ok(c.get(f"/api/v1/requests/{new['authorization_id']}", headers=headers("nurse")))["history"]
    assert any(h["type"] == "level_of_care_changed" and h["data"]["replaces"] == [old["authorization_id"]]
               for h in history)
    # Nothing certified at the new level yet: reviewed now.
    assert (ep["certified_units"], ep["next_review_date"]) == (0, "2026-12-05")
