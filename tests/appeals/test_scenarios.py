"""A full scenario per reference pack, through the API: denial, reconsideration upheld, expedited
appeal, overturn and effectuation; every clock worked out by hand from the rules' words, every
letter checked as a notice row, and the acknowledgment and resolution letters read back as PDFs.

The frozen clock starts Wednesday 18 November 2026, 17:00 UTC (12:00 in Boston, 09:00 in
California). Thanksgiving (26 November) is a holiday in both plans' calendars.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from openum.clock import FrozenClock
from openum.notification.builder import from_json
from openum.notification.letters import prepare_letter
from openum.notification.letters.schema import LetterType
from openum.notification.models import Notice
from openum.packs.registry import PackRegistry
from tests.appeals.conftest import H, at, consent, deny, due, pdf_text
from tests.conftest import Database
from tests.factories import AWH_KNEE, PHC_KNEE


def _notices(db: Database, aid: str) -> list[Notice]:
    from openum.intake.models import AuthorizationRequest

    with db.factory() as s:
        pk = s.scalar(select(AuthorizationRequest.id).where(AuthorizationRequest.authorization_id == aid))
        return list(s.scalars(select(Notice).where(Notice.request_pk == pk).order_by(Notice.id)))


def _kinds(notices: list[Notice]) -> set[tuple[str, str, str, str | None]]:
    return {(n.obligation, n.recipient, n.channel, n.letter_type) for n in notices}


def _letter(registry: PackRegistry, plan: str, notice: Notice) -> str:
    pack = registry.versions(plan)[-1]
    letter = prepare_letter(pack, LetterType(str(notice.letter_type)), from_json(notice.context), language="en")
    return " ".join(pdf_text(letter.pdf).split())


def _call(client: TestClient, headers: H, notice_id: int) -> None:
    r = client.post(f"/api/v1/notices/{notice_id}/call", headers=headers("nurse"), json={
        "staff_name": "Nora Nurse", "staff_title": "UM nurse", "organization": "plan",
        "reached": "office manager", "outcome": "reached"})
    assert r.status_code == 200, r.text


def test_allways_denial_reconsideration_expedited_appeal_overturn(
    app_client: TestClient, headers: H, clock: FrozenClock, db: Database, registry: PackRegistry,
    reviewers: Any,
) -> None:
    reviewers("physician", specialty="internal_medicine")
    reviewers("ortho", specialty="orthopedic_surgery")
    # Wednesday 18 Nov, 12:00 ET: the physician denies the knee replacement.
    aid = deny(app_client, headers, AWH_KNEE, "provider-awh")
    denial_letters = _kinds(_notices(db, aid))

    # Thursday 19 Nov, 09:00 ET: the surgeon's office asks for a reconsideration.
    clock.set(at("2026-11-19T14:00:00+00:00"))
    r = app_client.post(f"/api/v1/requests/{aid}/reconsiderations", headers=headers("provider-awh"), json={
        "requester_name": "Brian Sullivan, MD", "statement": "New standing films show grade 4 disease."})
    assert r.status_code == 201, r.text
    recon = r.json()
    # Seed 004, row "Reconsideration of Adverse Determination": decision and verbal notice "within one
    # business day of receipt": received Thursday (day 0), Friday 20 Nov is business day 1, so both are
    # due at the end of Friday in Boston: 2026-11-20 23:59:59.999999 EST = 2026-11-21 04:59:59.999999Z.
    assert due(recon, "decision") == "2026-11-21T04:59:59.999999Z"
    assert due(recon, "provider_verbal") == "2026-11-21T04:59:59.999999Z"
    assert recon["level"] == "reconsideration" and recon["status"] == "open"

    # Thursday 14:00 ET: the denying physician holds the peer review and upholds the denial (the
    # reconsideration is not an appeal: the original reviewer may conduct it).
    clock.set(at("2026-11-19T19:00:00+00:00"))
    r = app_client.post(f"/api/v1/appeals/{recon['id']}/decision", headers=headers("physician"), json={
        "outcome": "upheld",
        "reason": "Reviewed the new films with Dr. Sullivan: still grade 2 on the weight-bearing view.",
        "rationale": "Joint space preserved medially; conservative care not exhausted."})
    assert r.status_code == 200, r.text
    recon = r.json()
    assert recon["outcome"] == "upheld" and recon["decision"]["decided_by"]
    assert recon["due_times"][0]["status"] == "met"
    recon_notices = [n for n in _notices(db, aid) if n.obligation.startswith("recon_")]
    assert _kinds(recon_notices) == {
        ("recon_provider_verbal", "provider", "phone", None),
        ("recon_provider_written", "provider", "fax", "medical_necessity_denial"),
        ("recon_provider_written", "provider", "email", "medical_necessity_denial"),
        ("recon_member_written", "member", "mail", "medical_necessity_denial"),
    }
    verbal = next(n for n in recon_notices if n.channel == "phone")
    assert verbal.due_at is not None and verbal.due_at.isoformat() == "2026-11-21T04:59:59.999999+00:00"
    # Written notice of the upheld denial follows the verbal one: "within one business day of verbal
    # notification or three calendar days ... (always using the lesser time frame)". The call is made
    # Thursday 15:00 ET: one business day is Friday 20 Nov, three calendar days Sunday 22 Nov: Friday,
    # end of day in Boston.
    clock.set(at("2026-11-19T20:00:00+00:00"))
    _call(app_client, headers, verbal.id)
    recon = app_client.get(f"/api/v1/appeals/{recon['id']}", headers=headers("nurse")).json()
    assert due(recon, "provider_written", "denial") == "2026-11-21T04:59:59.999999Z"
    assert due(recon, "member_written", "denial") == "2026-11-21T04:59:59.999999Z"
    assert next(d for d in recon["due_times"] if d["obligation"] == "provider_verbal")["status"] == "met"

    # Friday 20 Nov, 10:00 ET: the surgeon files an expedited appeal for the member, attesting that the
    # standard time frame could seriously jeopardize the member: expedited at once (29 CFR
    # 2560.503-1(m)(1)(ii)); a treating provider needs no written consent for an urgent appeal
    # ((b)(4), pack consent.waived_for_expedited_provider).
    clock.set(at("2026-11-20T15:00:00+00:00"))
    r = app_client.post(f"/api/v1/requests/{aid}/appeals", headers=headers("provider-awh"), json={
        "appellant": "provider", "appellant_name": "Brian Sullivan, MD", "channel": "portal",
        "urgency": "urgent", "practitioner_attests_urgency": True,
        "urgency_basis": "Progressive collapse; falls at home.",
        "statement": "The member cannot bear weight; waiting 30 days risks a fall and fracture.",
        "evidence": [{"filename": "films.txt", "content_type": "text/plain",
                      "content_base64": "U3RhbmRpbmcgZmlsbXM6IGdyYWRlIDQu"}]})
    assert r.status_code == 201, r.text
    appeal = r.json()
    assert appeal["urgency"] == "urgent" and appeal["expedite"]["status"] == "granted"
    assert appeal["consent"]["required"] is False and appeal["late"] is False
    # 180 days from the notice dated 18 Nov 2026 (pack.yaml appeal_filing_days, (h)(3)(i)).
    assert appeal["notice_date"] == "2026-11-18" and appeal["filing_deadline"] == "2027-05-17"
    # ERISA appeal-urgent: "72 hours" from receipt, Friday 15:00Z + 72 h = Monday 23 Nov 15:00Z, for the
    # decision and the written notice alike; the AllWays table sets no appeal clock.
    assert due(appeal, "decision") == "2026-11-23T15:00:00Z"
    assert due(appeal, "member_written") == "2026-11-23T15:00:00Z"
    ack = [n for n in _notices(db, aid) if n.obligation == "appeal_acknowledgment"]
    assert _kinds(ack) == {("appeal_acknowledgment", "member", "mail", "appeal_acknowledgment"),
                           ("appeal_acknowledgment", "provider", "fax", "appeal_acknowledgment"),
                           ("appeal_acknowledgment", "provider", "email", "appeal_acknowledgment")}

    # Independence: the denying physician may not decide the appeal.
    r = app_client.post(f"/api/v1/appeals/{appeal['id']}/decision", headers=headers("physician"), json={
        "outcome": "overturned", "reason": "On review the new films meet the policy's grade 3."})
    assert r.status_code == 403 and r.json()["error"]["details"][0]["rule"] == "appeal-reviewer-made-original-decision"

    # Saturday 21 Nov, 09:00 ET: an orthopaedic surgeon who took no part overturns the denial.
    clock.set(at("2026-11-21T14:00:00+00:00"))
    r = app_client.post(f"/api/v1/appeals/{appeal['id']}/decision", headers=headers("ortho"), json={
        "outcome": "overturned", "reason": "The standing films sent with the appeal show grade 4 disease.",
        "rationale": "Bone-on-bone medial compartment; failed NSAIDs and PT; meets the policy."})
    assert r.status_code == 200, r.text
    appeal = r.json()
    assert appeal["outcome"] == "overturned" and appeal["decision"]["specialty"] == "orthopedic_surgery"
    assert next(d for d in appeal["due_times"] if d["obligation"] == "decision")["status"] == "met"
    # Pack effectuation (the plan's resolution letter promises approval "within 72 hours"): from the
    # overturn, Saturday 14:00Z + 72 h = Tuesday 24 Nov 14:00Z.
    assert appeal["effectuation"]["due_at"] == "2026-11-24T14:00:00Z"
    req = app_client.get(f"/api/v1/requests/{aid}", headers=headers("nurse")).json()
    assert req["status"] == "approved" and req["provider_status"] == "A"
    assert req["service_lines"][0]["approved_units"] == 1 and req["determination"]["basis"] == "appeal_overturned"
    resolution = [n for n in _notices(db, aid) if n.obligation.startswith("appeal_") and "resolution" not in
                  n.obligation and n.obligation != "appeal_acknowledgment"]
    assert _kinds(resolution) == {
        ("appeal_provider_verbal", "provider", "phone", None),
        ("appeal_provider_written", "provider", "fax", "appeal_resolution"),
        ("appeal_provider_written", "provider", "email", "appeal_resolution"),
        ("appeal_member_written", "member", "mail", "appeal_resolution"),
    }
    member_letter = next(n for n in resolution if n.recipient == "member")
    assert member_letter.due_at is not None and member_letter.due_at.isoformat() == "2026-11-23T15:00:00+00:00"

    # Sunday 22 Nov: the authorization is issued to the provider: effectuated on time.
    clock.set(at("2026-11-22T15:00:00+00:00"))
    r = app_client.post(f"/api/v1/appeals/{appeal['id']}/effectuation", headers=headers("nurse"),
                        json={"note": "Authorization AWH sent to Mystic Valley Orthopedics; surgery booked."})
    assert r.status_code == 200, r.text
    assert r.json()["effectuation"]["on_time"] is True
    assert next(d for d in r.json()["due_times"] if d["obligation"] == "effectuation")["status"] == "met"

    # Every letter the case produced, as outbox rows.
    types = {n.letter_type for n in _notices(db, aid)} - {None}
    assert types == {"medical_necessity_denial", "appeal_acknowledgment", "appeal_resolution"}
    assert ("member_written", "member", "mail", "medical_necessity_denial") in denial_letters
    ack_text = _letter(registry, "allways-commercial", next(n for n in ack if n.recipient == "member"))
    assert "We got your appeal on November 20, 2026" in ack_text
    assert "We will send you our decision by November 23, 2026" in ack_text and aid in ack_text
    res_text = _letter(registry, "allways-commercial", member_letter)
    assert "Notice of Appeal Resolution" in res_text and "in your favor" in res_text
    assert "November 21, 2026" in res_text


def test_partnership_denial_reconsideration_expedited_appeal_overturn(
    app_client: TestClient, headers: H, clock: FrozenClock, db: Database, registry: PackRegistry,
    reviewers: Any,
) -> None:
    reviewers("physician", specialty="internal_medicine")
    reviewers("ortho", specialty="sports_medicine")  # similar to orthopaedic surgery (pack `similar`)
    # Wednesday 18 Nov, 09:00 PT: the physician denies the knee replacement.
    aid = deny(app_client, headers, PHC_KNEE, "provider-phc")

    # Thursday 19 Nov, 09:00 PT: reconsideration. Seed 001 gives it no time frame, so there is no
    # clock (no reconsideration rule in the Medi-Cal clock files): none is invented.
    clock.set(at("2026-11-19T17:00:00+00:00"))
    r = app_client.post(f"/api/v1/requests/{aid}/reconsiderations", headers=headers("provider-phc"), json={
        "requester_name": "Priya Raman, MD", "statement": "Please discuss with me: the member is failing."})
    assert r.status_code == 201, r.text
    recon = r.json()
    assert recon["due_times"] == []
    clock.set(at("2026-11-19T20:00:00+00:00"))
    r = app_client.post(f"/api/v1/appeals/{recon['id']}/decision", headers=headers("physician"), json={
        "outcome": "upheld", "reason": "Discussed with Dr. Raman: imaging still shows mild disease only."})
    assert r.status_code == 200, r.text
    recon_notices = [n for n in _notices(db, aid) if n.obligation.startswith("recon_")]
    assert {n.letter_type for n in recon_notices} == {None, "medical_necessity_denial"}
    member_copy = next(n for n in recon_notices if n.recipient == "member")
    # The appeal window still runs from the first notice (18 Nov + 60 days); continuation 10 days.
    assert member_copy.context["appeal_deadline"] == "2027-01-17"
    assert member_copy.context["continuation_deadline"] == "2026-11-28"

    # Friday 20 Nov, 10:00 PT: the surgeon files an expedited appeal with the member's written consent
    # (42 CFR 438.402(c)(1)(ii): needed even for a provider's expedited appeal).
    clock.set(at("2026-11-20T18:00:00+00:00"))
    r = app_client.post(f"/api/v1/requests/{aid}/appeals", headers=headers("provider-phc"), json={
        "appellant": "provider", "appellant_name": "Priya Raman, MD", "channel": "portal", "urgency": "urgent",
        "practitioner_attests_urgency": True, "statement": "Cannot bear weight; a 30-day wait risks a fall.",
        "consent": consent()})
    assert r.status_code == 201, r.text
    appeal = r.json()
    assert appeal["expedite"]["status"] == "granted" and appeal["consent"]["required"] is True
    assert appeal["consent"]["received_at"] == "2026-11-20T18:00:00Z"
    # 60 days from the notice dated 18 Nov (438.402(c)(2)(ii)): 17 Jan 2027.
    assert appeal["filing_deadline"] == "2027-01-17"
    # 438.408(b)(3) expedited: 72 hours from receipt, Friday 18:00Z + 72 h = Monday 23 Nov 18:00Z; the
    # written notice shares the period ((d)(2)(ii)).
    assert due(appeal, "decision") == "2026-11-23T18:00:00Z"
    assert due(appeal, "member_written") == "2026-11-23T18:00:00Z"
    # Acknowledgment within five calendar days (DHCS APL 21-011): received Friday 20 Nov (day 0) in
    # California; day 5 is Wednesday 25 Nov, ending 23:59:59.999999 PST = 2026-11-26 07:59:59.999999Z.
    assert due(appeal, "acknowledgment") == "2026-11-26T07:59:59.999999Z"
    ack = [n for n in _notices(db, aid) if n.obligation == "appeal_acknowledgment"]
    assert {(n.recipient, n.letter_type) for n in ack} == {("member", "appeal_acknowledgment"),
                                                          ("provider", "appeal_acknowledgment")}
    assert all(n.due_at is not None and n.due_at.isoformat() == "2026-11-26T07:59:59.999999+00:00" for n in ack)
    # The outbox worker mails the acknowledgment an hour later (what deliver_due records): the
    # appeal's acknowledgment clock is met.
    mailed = at("2026-11-20T19:00:00+00:00")
    with db.factory() as s:
        for n in s.scalars(select(Notice).where(Notice.id.in_([n.id for n in ack]))):
            n.status, n.sent_at, n.delivered_at = "delivered", mailed, mailed
        s.commit()
    got = app_client.get(f"/api/v1/appeals/{appeal['id']}", headers=headers("nurse")).json()
    ack_due = next(d for d in got["due_times"] if d["obligation"] == "acknowledgment")
    assert (ack_due["status"], ack_due["met_at"]) == ("met", "2026-11-20T19:00:00Z")

    # Saturday 21 Nov, 09:00 PT: an independent physician in a similar specialty overturns.
    clock.set(at("2026-11-21T17:00:00+00:00"))
    r = app_client.post(f"/api/v1/appeals/{appeal['id']}/decision", headers=headers("ortho"), json={
        "outcome": "overturned", "reason": "The appeal's records show grade 4 disease and failed therapy.",
        "rationale": "Meets the elective joint replacement criteria on the new evidence."})
    assert r.status_code == 200, r.text
    appeal = r.json()
    # 42 CFR 438.424(a): effectuate "no later than 72 hours from the date it receives notice reversing
    # the determination": Saturday 17:00Z + 72 h = Tuesday 24 Nov 17:00Z.
    assert appeal["effectuation"]["due_at"] == "2026-11-24T17:00:00Z"
    assert appeal["effectuation"]["citation"] == "42 CFR 438.424(a)"
    req = app_client.get(f"/api/v1/requests/{aid}", headers=headers("nurse")).json()
    assert req["status"] == "approved" and req["service_lines"][0]["decision"] == "approved"
    history = [(e["type"], e["from_status"], e["to_status"]) for e in req["history"]]
    assert ("status_changed", "denied", "approved") in history

    # Monday 23 Nov, 08:00 PT: effectuated, inside the 72 hours.
    clock.set(at("2026-11-23T16:00:00+00:00"))
    r = app_client.post(f"/api/v1/appeals/{appeal['id']}/effectuation", headers=headers("manager"),
                        json={"note": "TAR approved in the claims system; provider told by phone."})
    assert r.status_code == 200 and r.json()["effectuation"]["on_time"] is True

    resolution = [n for n in _notices(db, aid) if n.letter_type == "appeal_resolution"]
    assert {(n.recipient, n.channel) for n in resolution} == {("member", "mail"), ("provider", "fax")}
    member_letter = next(n for n in resolution if n.recipient == "member")
    assert member_letter.due_at is not None and member_letter.due_at.isoformat() == "2026-11-23T18:00:00+00:00"
    ack_text = _letter(registry, "partnership-medi-cal", next(n for n in ack if n.recipient == "member"))
    assert "We got your appeal on November 20, 2026" in ack_text and "State Hearing" in ack_text
    assert "We will send you our decision by November 23, 2026" in ack_text
    res_text = _letter(registry, "partnership-medi-cal", member_letter)
    assert "Notice of Appeal Resolution" in res_text and "in your favor" in res_text and aid in res_text
    # Later, the appeal file holds everything: one PDF.
    clock.advance(timedelta(hours=1))
    r = app_client.get(f"/api/v1/appeals/{appeal['id']}/file", headers=headers("nurse"))
    assert r.status_code == 200
    f = r.json()
    assert "criteria_not_met" in {e["outcome"] for e in f["criteria_evaluations"]}
    assert {d["action"] for d in f["decisions"]} == {"deny_medical_necessity", "approve"}
    assert [x["level"] for x in f["related"]] == ["reconsideration"]
