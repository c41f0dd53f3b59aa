"""Admission notifications on time and late, the SNF model with member liability, quality flags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from openum.clock import FrozenClock
from openum.intake.storage import AttachmentStore
from openum.notification.service import deliver_due
from openum.packs.registry import PackRegistry
from tests.conftest import Database
from tests.episodes.conftest import H, due, ok
from tests.episodes.test_episode_journey import DOC, at


class _Sink:
    """A channel that accepts every notice (delivery itself is tested in tests/test_notices.py)."""

    def deliver(self, notice: Any, document: bytes | None) -> None:
        return None


def _emergent(member: str, admitted_at: str, *, facility: str = "1579906599", **kw: Any) -> dict[str, Any]:
    return {"admission_type": "emergent", "admitted_at": admitted_at, "member": {"member_id": member},
            "facility_npi": facility, "diagnoses": ["I21.4"], "requested_length_of_stay": 3,
            "clinical_indications": "Admitted from the emergency department.", "attachments": DOC, **kw}


def test_emergent_admission_on_time_and_late_on_allways(app_client: TestClient, headers: H, clock: FrozenClock) -> None:
    c = app_client
    # Admitted Fri 4 Dec 23:00 ET. Seed 004: notify "by the end of the next business day": Mon 7 Dec,
    # ending 23:59:59.999999 ET = 2026-12-08T04:59:59.999999Z.
    at(clock, "2026-12-07T16:00:00-05:00")
    ep = ok(c.post("/api/v1/episodes", json=_emergent("AWH200101", "2026-12-04T23:00:00-05:00"),
                   headers=headers("intake")), 201)
    first = ep["authorizations"][0]
    assert ep["notification"]["due_at"].startswith("2026-12-08T04:59:59.999999") and ep["notification"]["late"] is False
    assert (first["kind"], first["urgency"], first["status"], first["provider_status"]) == (
        "notification", "urgent", "in_clinical_review", "M")
    # "Inpatient stays are always considered Urgent": determined within 24 hours of receipt (21:00Z).
    assert due(first, "decision").startswith("2026-12-08T21:00:00")
    assert ep["level_of_care"] == "acute_inpatient" and ep["estimated_length_of_stay"] is None

    # The same admission for another member, notified Tue 8 Dec 09:00 ET: a business day late.
    at(clock, "2026-12-08T09:00:00-05:00")
    late = ok(c.post("/api/v1/episodes", json=_emergent("AWH200104", "2026-12-04T23:00:00-05:00"),
                     headers=headers("intake")), 201)
    auth = late["authorizations"][0]
    assert late["notification"]["late"] is True
    # Seed 004 "Administrative Denials - Provider only issued: Required notification was not made in a timely
    # manner"; the member is held harmless.
    assert (auth["status"], auth["provider_status"], auth["member_liability"]) == ("denied", "D", "held_harmless")
    req = ok(c.get(f"/api/v1/requests/{auth['authorization_id']}", headers=headers("nurse")))
    assert req["determination"]["category"] == "late_notification" and req["determination"]["member_issued"] is False
    assert {n["letter_type"] for n in req["notices"] if n["letter_type"]} == {"administrative_denial_provider"}
    # The stay itself goes on being reviewed: the nurse assigns an estimate, continued stays are requested.
    ep2 = ok(c.post(f"/api/v1/episodes/{late['id']}/estimate", headers=headers("nurse"),
                    json={"estimated_length_of_stay": 4, "reason": "NSTEMI, cardiac catheterization planned"}))
    assert ep2["estimated_length_of_stay"] == 4 and "assigned by nurse" in ep2["estimated_los_source"]
    # A sick newborn notified without the clinical documentation the seed requires "at the time of
    # notification": on time, but pended for the documents (the clock keeps running).
    baby = ok(c.post("/api/v1/episodes", headers=headers("intake"), json=_emergent(
        "AWH200105", "2026-12-07T06:00:00-05:00", admission_type="sick_newborn", attachments=[],
        diagnoses=["P07.39"])), 201)
    b = baby["authorizations"][0]
    note = baby["notification"]
    assert (baby["level_of_care"], note["late"]) == ("sick_newborn", False)
    assert note["clinical_documentation_received"] is False
    assert b["status"] == "pended_for_information"
    # A notice received at any other organization's portal is not visible to it.
    assert c.get(f"/api/v1/episodes/{late['id']}", headers=headers("provider-awh-2")).status_code == 404


def test_late_notification_on_medi_cal_goes_to_the_reviewer(
    app_client: TestClient, headers: H, clock: FrozenClock
) -> None:
    # Seed 001 says a denial "may occur": the pack leaves the late notice to the reviewer.
    at(clock, "2026-11-20T10:00:00-08:00")  # Fri; admitted Tue 17 Nov -> due end of Wed 18 Nov
    ep = ok(app_client.post("/api/v1/episodes", headers=headers("intake"), json=_emergent(
        "PHC100102", "2026-11-17T21:00:00-08:00", facility="2714751361")), 201)
    auth = ep["authorizations"][0]
    assert ep["notification"]["late"] is True and ep["notification"]["due_at"].startswith("2026-11-19T07:59:59.999999")
    assert auth["status"] == "in_clinical_review"
    # Reviewed within 24 hours of the notification; decided as urgent concurrent within 72 hours.
    assert due(auth, "review").startswith("2026-11-21T18:00:00")
    assert due(auth, "decision").startswith("2026-11-23T18:00:00")
    items = ok(app_client.get("/api/v1/queues/mine", headers=headers("nurse")))
    item = next(i for i in items if i["authorization_id"] == auth["authorization_id"])
    assert item["queue"] == "nurse"
    history = ok(app_client.get(f"/api/v1/requests/{auth['authorization_id']}", headers=headers("nurse")))["history"]
    assert any(h["type"] == "notification_late" for h in history)
    # The reviewer may issue the provider-only administrative denial the seed describes.
    r = ok(app_client.post(f"/api/v1/requests/{auth['authorization_id']}/decision", headers=headers("nurse"), json={
        "action": "deny_administrative", "administrative_category": "late_notification",
        "reason": "The hospital notified the plan two business days after the admission."}))
    assert r["determination"]["member_issued"] is False


def test_snf_stay_member_liability_starts_when_the_member_is_notified(
    app_client: TestClient, headers: H, clock: FrozenClock, db: Database, registry: PackRegistry, tmp_path: Path
) -> None:
    c = app_client
    # Transfer to a skilled nursing facility (Medi-Cal), Tue 17 Nov 15:00 PST; notified Wed 09:00 PST.
    ep = ok(c.post("/api/v1/episodes", headers=headers("intake"), json={
        "admission_type": "transfer", "level_of_care": "snf", "admitted_at": "2026-11-17T15:00:00-08:00",
        "member": {"member_id": "PHC100106"}, "facility_npi": "1701079810", "diagnoses": ["S72.001A"],
        "requested_length_of_stay": 14, "clinical_indications": "Hip fracture repair; daily PT and wound care.",
        "attachments": DOC}), 201)
    eid, adm = ep["id"], ep["authorizations"][0]
    # The SNF admission policy allows 14 days on admission: the estimate.
    assert (ep["level_of_care"], ep["unit"], ep["estimated_length_of_stay"]) == ("snf", "days", 14)
    assert (adm["from_date"], adm["to_date"], adm["status"]) == ("2026-11-17", "2026-11-30", "in_clinical_review")
    ok(c.post(f"/api/v1/requests/{adm['authorization_id']}/evaluations", headers=headers("nurse"), json={
        "answers": {"physician-order": True, "daily-skilled-nursing": True, "no-lower-level": True}}))
    ok(c.post(f"/api/v1/requests/{adm['authorization_id']}/decision", headers=headers("nurse"),
              json={"action": "approve", "reason": "SNF admission criteria met."}))
    ep = ok(c.get(f"/api/v1/episodes/{eid}", headers=headers("nurse")))
    assert (ep["certified_units"], ep["certified_through"], ep["next_review_date"]) == (14, "2026-11-30", "2026-11-30")

    # Continued stay asked on the last certified day, Mon 30 Nov 09:00 PST: 14 more days from 1 Dec.
    at(clock, "2026-11-30T09:00:00-08:00")
    ep = ok(c.post(f"/api/v1/episodes/{eid}/continued-stay", headers=headers("intake"), json={
        "units": 14, "clinical_indications": "Therapy 5 days a week; goals not yet reached.", "attachments": DOC}), 201)
    cs = ep["authorizations"][1]
    assert (cs["kind"], cs["urgency"], cs["from_date"], cs["to_date"]) == (
        "concurrent", "urgent", "2026-12-01", "2026-12-14")
    # The physician finds no measurable progress and no skilled-maintenance need: 5 of the 14 days.
    ev = ok(c.post(f"/api/v1/requests/{cs['authorization_id']}/evaluations", headers=headers("physician"), json={
        "answers": {"ongoing-skilled-rehab": True, "measurable-progress": False, "skilled-maintenance": False,
                    "discharge-plan": True}}))
    assert ev[0]["policy_id"] == "snf-continued-stay" and ev[0]["outcome"] == "criteria_not_met"
    at(clock, "2026-11-30T15:00:00-08:00")
    ok(c.post(f"/api/v1/requests/{cs['authorization_id']}/decision", headers=headers("physician"), json={
        "action": "partial_approve", "lines": [{"sequence": 1, "approved_units": 5}],
        "reason": "No measurable progress in two weeks; 5 days to complete discharge to home with home health.",
        "rationale": "Gait unchanged at 20 feet with maximal assistance since the last review.",
        "alternatives": "Home health physical therapy"}))
    ep = ok(c.get(f"/api/v1/episodes/{eid}", headers=headers("nurse")))
    cs = ep["authorizations"][1]
    # Seed 004: "All existing services will be continued without liability to the member until the member
    # has been notified of an adverse determination."
    assert (cs["status"], cs["member_liability"], ep["member_liability"]["liable_from"]) == (
        "partially_approved", "pending_member_notice", None)
    assert ep["member_liability"]["pending_member_notice"] == [cs["authorization_id"]]
    assert (ep["certified_units"], ep["certified_through"]) == (19, "2026-12-05")
    # The letter reaches the member at 16:30 PST (00:30Z on 1 Dec): liability starts then, not at the decision.
    at(clock, "2026-11-30T16:30:00-08:00")
    deliver_due(db.factory, registry=registry, now=clock.now(), channels={k: _Sink() for k in
                ("fax", "mail", "email", "portal")}, store=AttachmentStore(tmp_path / "letters"))
    ep = ok(c.get(f"/api/v1/episodes/{eid}", headers=headers("nurse")))
    assert ep["authorizations"][1]["member_liability"] == "member_notified"
    assert ep["member_liability"]["liable_from"].startswith("2026-12-01T00:30:00")


def test_quality_flag_reaches_the_quality_review_queue(app_client: TestClient, headers: H, clock: FrozenClock) -> None:
    c = app_client
    at(clock, "2026-12-07T16:00:00-05:00")
    ep = ok(c.post("/api/v1/episodes", json=_emergent("AWH200101", "2026-12-06T23:00:00-05:00"),
                   headers=headers("intake")), 201)
    eid = ep["id"]
    ep = ok(c.post(f"/api/v1/episodes/{eid}/quality-flags", headers=headers("nurse"), json={
        "category": "hospital_acquired_condition", "condition": "stage III pressure injury",
        "description": "Sacral pressure injury first documented on hospital day 3."}), 201)
    flag = ep["quality_flags"][0]
    assert (flag["queue"], flag["work_item_state"]) == ("quality-review", "open")
    queue = ok(c.get("/api/v1/queues/quality-review", headers=headers("physician")))
    assert [i["id"] for i in queue] == [flag["work_item_id"]]
    ok(c.post(f"/api/v1/work-items/{flag['work_item_id']}/claim", headers=headers("physician")))
    # The request's own review is untouched: the nurse still has the notification to review, and decides it
    # although the physician holds the quality item of the same request.
    aid = ep["authorizations"][0]["authorization_id"]
    mine = ok(c.get("/api/v1/queues/mine", headers=headers("nurse")))
    assert [i["queue"] for i in mine if i["authorization_id"] == aid] == ["nurse"]
    ok(c.post(f"/api/v1/requests/{aid}/decision", headers=headers("nurse"), json={
        "action": "approve", "reason": "Admission meets acute criteria.", "override_reason": "No written criteria "
        "for emergent cardiac admissions; troponin and ECG support inpatient care."}))
    ep = ok(c.get(f"/api/v1/episodes/{eid}", headers=headers("nurse")))
    assert (ep["authorizations"][0]["status"], ep["quality_flags"][0]["work_item_state"]) == ("approved", "open")
    assert [i["id"] for i in ok(c.get("/api/v1/queues/mine", headers=headers("physician")))] == [flag["work_item_id"]]
    ep = ok(c.post(f"/api/v1/episodes/{eid}/quality-flags/{flag['id']}/resolve", headers=headers("physician"),
                   json={"resolution": "Confirmed hospital-acquired; referred to the facility's quality committee."}))
    assert (ep["quality_flags"][0]["status"], ep["quality_flags"][0]["work_item_state"]) == ("resolved", "done")
    # Unknown categories, programs and needs are refused with the pack's list.
    for path, body in (("quality-flags", {"category": "bad", "description": "x" * 5}),
                       ("care-referrals", {"program": "bad", "reason": "x" * 5}),
                       ("discharge-needs", {"need": "bad", "owner": "someone", "due_date": "2026-12-10"})):
        r = c.post(f"/api/v1/episodes/{eid}/{path}", headers=headers("nurse"), json=body)
        assert r.status_code == 400, r.text
    ep = ok(c.post(f"/api/v1/episodes/{eid}/discharge-needs", headers=headers("nurse"),
                   json={"need": "snf", "owner": "UM nurse", "due_date": "2026-12-06"}), 201)
    need = ep["discharge_needs"][0]
    assert need["overdue"] is True  # due yesterday, not done
    path = f"/api/v1/episodes/{eid}/discharge-needs/{need['id']}"
    ok(c.patch(path, headers=headers("nurse"), json={"status": "cancelled"}))
    r = c.patch(path, headers=headers("nurse"), json={"status": "completed"})
    assert r.status_code == 400
    # Provider offices submit notices but do not run discharge planning.
    assert c.post(f"/api/v1/episodes/{eid}/discharge", headers=headers("provider-awh"),
                  json={"discharge_date": "2026-12-07", "disposition": "home"}).status_code == 403
