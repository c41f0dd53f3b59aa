"""Appeal rules through the API: independence and expertise (server-enforced, each refusal naming
its rule), reconsideration, late appeals per pack, refused expedite and extension with notices,
consent, State Fair Hearing and a reversal's effectuation, continuation of benefits, the appeal file
(JSON and one PDF), and organization scoping."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from openum.audit.models import AuditEvent
from openum.clock import FrozenClock
from openum.notification.models import Notice
from tests.appeals.conftest import EVIDENCE_TXT, H, appeal_body, at, deny, due, pdf_text
from tests.conftest import Database
from tests.factories import AWH_KNEE, PHC_KNEE, body, line


def _rule(r: Any) -> str:
    return str(r.json()["error"]["details"][0]["rule"])


def _decide(client: TestClient, headers: H, user: str, appeal_id: int, outcome: str, **kw: Any) -> Any:
    payload = {"outcome": outcome, "reason": "Decided on the whole appeal file and the new records.", **kw}
    return client.post(f"/api/v1/appeals/{appeal_id}/decision", headers=headers(user), json=payload)


def _file(client: TestClient, headers: H, aid: str, user: str = "memberservices", **kw: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/requests/{aid}/appeals", headers=headers(user), json=appeal_body(**kw))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _letters(db: Database, obligation: str) -> list[Notice]:
    with db.factory() as s:
        return list(s.scalars(select(Notice).where(Notice.obligation == obligation).order_by(Notice.id)))


def test_independence_and_expertise_are_enforced_by_the_server(
    app_client: TestClient, headers: H, reviewers: Any,
) -> None:
    reviewers("physician", specialty="internal_medicine")
    reviewers("sub", specialty="orthopedic_surgery", supervisor="physician")
    reviewers("subsub", specialty="orthopedic_surgery", supervisor="sub")
    reviewers("cardio", specialty="cardiology")
    aid = deny(app_client, headers, AWH_KNEE, "provider-awh")
    # The member appeals directly: a reconsideration is never required first (seed 004) ...
    appeal = _file(app_client, headers, aid)
    assert appeal["status"] == "open" and appeal["consent"]["required"] is False
    # ... and is not offered once an appeal is filed.
    r = app_client.post(f"/api/v1/requests/{aid}/reconsiderations", headers=headers("provider-awh"),
                        json={"requester_name": "Dr. Sullivan", "statement": "Please look again."})
    assert r.status_code == 409 and _rule(r) == "appeal-already-filed"
    aid_ = appeal["id"]
    r = _decide(app_client, headers, "physician", aid_, "overturned")
    assert r.status_code == 403 and _rule(r) == "appeal-reviewer-made-original-decision"
    for subordinate in ("sub", "subsub"):  # directly, and down the reporting line
        r = _decide(app_client, headers, subordinate, aid_, "upheld")
        assert r.status_code == 403 and _rule(r) == "appeal-reviewer-subordinate-of-original-decider"
    r = _decide(app_client, headers, "cardio", aid_, "upheld")
    assert r.status_code == 403 and _rule(r) == "upholding-needs-same-or-similar-specialty"
    assert "cardiology" in r.json()["error"]["message"]
    r = _decide(app_client, headers, "nurse", aid_, "upheld")
    assert r.status_code == 403 and _rule(r) == "medical-necessity-denial-physician-only"
    r = _decide(app_client, headers, "memberservices", aid_, "overturned")
    assert r.status_code == 403  # no appeal.decide permission at all
    assert app_client.get(f"/api/v1/appeals/{aid_}", headers=headers("nurse")).json()["status"] == "open"
    # Anyone authorized may overturn: the cardiologist, independent of the denial, may.
    r = _decide(app_client, headers, "cardio", aid_, "overturned",
                rationale="The member's function and failed therapy justify surgery now.")
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "overturned" and r.json()["decision"]["checks"]["independent_of"]
    # Reporting lines are kept by the UM manager and may not loop.
    r = app_client.put("/api/v1/reviewer-profiles/physician", headers=headers("manager"),
                       json={"specialty": "internal_medicine", "supervisor_username": "subsub"})
    assert r.status_code == 400 and "loop" in r.json()["error"]["message"]
    assert app_client.put("/api/v1/reviewer-profiles/cardio", headers=headers("nurse"),
                          json={"specialty": "radiology"}).status_code == 403
    prof = app_client.get("/api/v1/reviewer-profiles/sub", headers=headers("manager")).json()
    assert prof == {**prof, "specialty": "orthopedic_surgery", "supervisor_username": "physician"}


def test_reconsideration_is_by_a_physician_and_an_overturn_changes_the_request(
    app_client: TestClient, headers: H, db: Database,
) -> None:
    aid = deny(app_client, headers, AWH_KNEE, "provider-awh")
    r = app_client.post(f"/api/v1/requests/{aid}/reconsiderations", headers=headers("provider-awh"),
                        json={"requester_name": "Brian Sullivan, MD", "statement": "Please review the new films."})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    r = _decide(app_client, headers, "nurse", rid, "overturned")
    assert r.status_code == 403 and _rule(r) == "reconsideration-physician-only"
    r = _decide(app_client, headers, "physician", rid, "partially_overturned",
                lines=[{"sequence": 1, "approved_units": 1}])
    assert r.status_code == 409 and _rule(r) == "reconsideration-upheld-or-overturned"
    r = _decide(app_client, headers, "physician", rid, "overturned", rationale="New films show grade 4.")
    assert r.status_code == 200, r.text
    req = app_client.get(f"/api/v1/requests/{aid}", headers=headers("nurse")).json()
    assert req["status"] == "approved" and req["determination"]["basis"] == "reconsideration_overturned"
    assert [e["to_status"] for e in req["history"] if e["type"] == "status_changed"][-2:] == ["denied", "approved"]
    assert {n.letter_type for n in _letters(db, "recon_member_written")} == {"approval"}
    r = app_client.post(f"/api/v1/requests/{aid}/appeals", headers=headers("memberservices"), json=appeal_body())
    assert r.status_code == 409 and _rule(r) == "nothing-to-appeal"
    r = app_client.post(f"/api/v1/requests/{aid}/reconsiderations", headers=headers("provider-awh"),
                        json={"requester_name": "Brian Sullivan, MD", "statement": "Again please."})
    assert r.status_code == 409 and _rule(r) == "reconsideration-needs-medical-necessity-denial"


def test_late_appeals_are_handled_per_pack(
    app_client: TestClient, headers: H, clock: FrozenClock, db: Database,
) -> None:
    phc = deny(app_client, headers, PHC_KNEE, "provider-phc")
    awh = deny(app_client, headers, AWH_KNEE, "provider-awh")
    # Medi-Cal: notice dated 18 Nov 2026 + 60 days = 17 Jan 2027; received 18 Jan: dismissed, with notice.
    clock.set(at("2027-01-18T17:00:00+00:00"))
    late = _file(app_client, headers, phc)
    assert (late["late"], late["late_handling"], late["status"], late["outcome"]) == (True, "dismissed", "dismissed",
                                                                                     "dismissed")
    assert late["filing_deadline"] == "2027-01-17" and "dismissed" in late["decision"]["reason"]
    dismissal = [n for n in _letters(db, "appeal_member_written")]
    assert [(n.recipient, n.letter_type) for n in dismissal] == [("member", "appeal_resolution")]
    assert dismissal[0].context["outcome"] == "denied"
    assert dismissal[0].context["state_hearing_deadline"] == "2027-05-18"
    assert not _letters(db, "appeal_acknowledgment")
    # AllWays: 180 days (17 May 2027); received 18 May: accepted, flagged late, acknowledged.
    clock.set(at("2027-05-18T16:00:00+00:00"))
    flagged = _file(app_client, headers, awh)
    assert (flagged["late"], flagged["late_handling"], flagged["status"]) == (True, "accepted_late", "open")
    assert flagged["filing_deadline"] == "2027-05-17"
    assert [n.recipient for n in _letters(db, "appeal_acknowledgment")] == ["member"]


def test_refused_expedite_goes_standard_with_notice_and_extension_is_noticed(
    app_client: TestClient, headers: H, clock: FrozenClock, db: Database,
) -> None:
    aid = deny(app_client, headers, PHC_KNEE, "provider-phc")
    # Thursday 19 Nov, 09:00 PT: the member asks member services for a fast appeal.
    clock.set(at("2026-11-19T17:00:00+00:00"))
    appeal = _file(app_client, headers, aid, urgency="urgent")
    assert appeal["expedite"]["status"] == "pending" and appeal["urgency"] == "urgent"
    # Until the plan decides, the expedited clock runs: 72 hours.
    assert due(appeal, "decision") == "2026-11-22T17:00:00Z"
    # 13:00 PT: the plan refuses: the standard clock, counted from receipt (438.410(c)(1)): 30 days
    # from Thursday 19 Nov is Saturday 19 Dec, ending 2026-12-20 07:59:59.999999Z; written notice of the
    # refusal within 2 calendar days (438.410(c)(2)): end of Saturday 21 Nov in California.
    clock.set(at("2026-11-19T21:00:00+00:00"))
    r = app_client.post(f"/api/v1/appeals/{appeal['id']}/expedite", headers=headers("manager"),
                        json={"granted": False, "reason": "Elective surgery; no risk to life or function in 30 days."})
    assert r.status_code == 200, r.text
    appeal = r.json()
    assert (appeal["urgency"], appeal["expedite"]["status"]) == ("non_urgent", "refused")
    assert due(appeal, "decision") == "2026-12-20T07:59:59.999999Z"
    assert due(appeal, "expedite_refusal_notice") == "2026-11-22T07:59:59.999999Z"
    downgrade = _letters(db, "appeal_downgrade_notice")
    assert [(n.recipient, n.letter_type) for n in downgrade] == [("member", "urgency_downgrade_notice")]
    assert downgrade[0].due_at is not None and downgrade[0].due_at.isoformat() == "2026-11-22T07:59:59.999999+00:00"
    r = app_client.post(f"/api/v1/appeals/{appeal['id']}/expedite", headers=headers("manager"),
                        json={"granted": True, "reason": "changed our mind"})
    assert r.status_code == 409 and _rule(r) == "expedite-not-pending"
    # Friday 20 Nov: the plan takes the +14 days (438.408(c)): 19 Dec + 14 = 2 Jan 2027, end of day in
    # California; written notice of the reason within 2 calendar days: end of Sunday 22 Nov.
    clock.set(at("2026-11-20T17:00:00+00:00"))
    r = app_client.post(f"/api/v1/appeals/{appeal['id']}/extensions", headers=headers("nurse"),
                        json={"reason": "Waiting for the surgeon's operative plan.", "requested_by": "plan"})
    assert r.status_code == 200, r.text
    assert due(r.json(), "decision") == "2027-01-03T07:59:59.999999Z"
    assert due(r.json(), "extension_notice") == "2026-11-23T07:59:59.999999Z"
    assert {(n.recipient, n.letter_type) for n in _letters(db, "appeal_extension_notice")} == {
        ("member", "extension_notice"), ("provider", "extension_notice")}
    r = app_client.post(f"/api/v1/appeals/{appeal['id']}/extensions", headers=headers("nurse"),
                        json={"reason": "Still waiting.", "requested_by": "plan"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "extension_refused"
    assert "appeal-standard" in r.json()["error"]["message"]
    # Past the extended deadline with no decision, the appeal is deemed exhausted (438.408(c)(3)):
    # the member may go to a State Hearing without waiting.
    clock.set(at("2027-01-03T08:00:00+00:00"))
    got = app_client.get(f"/api/v1/appeals/{appeal['id']}", headers=headers("nurse")).json()
    assert got["deemed_exhausted"] is True and got["status"] == "open"
    r = app_client.post(f"/api/v1/appeals/{appeal['id']}/external-reviews", headers=headers("memberservices"),
                        json={"kind": "state_fair_hearing"})
    assert r.status_code == 201 and r.json()["filing_deadline"] == "2027-05-02"  # 2 Jan 2027 + 120 days


def test_consent_state_fair_hearing_and_effectuation_of_a_reversal(
    app_client: TestClient, headers: H, clock: FrozenClock, reviewers: Any,
) -> None:
    reviewers("ortho", specialty="orthopedic_surgery")
    aid = deny(app_client, headers, PHC_KNEE, "provider-phc")
    clock.set(at("2026-11-19T17:00:00+00:00"))
    appeal = _file(app_client, headers, aid, user="provider-phc", appellant="provider",
                   appellant_name="Priya Raman, MD")
    assert appeal["consent"] == {**appeal["consent"], "required": True, "received_at": None,
                                 "citation": "42 CFR 438.402(c)(1)(ii)"}
    r = _decide(app_client, headers, "ortho", appeal["id"], "upheld")
    assert r.status_code == 409 and _rule(r) == "member-consent-required"
    r = app_client.post(f"/api/v1/appeals/{appeal['id']}/external-reviews", headers=headers("memberservices"),
                        json={"kind": "state_fair_hearing"})
    assert r.status_code == 409 and _rule(r) == "appeal-not-exhausted"
    r = app_client.post(f"/api/v1/appeals/{appeal['id']}/evidence", headers=headers("provider-phc"),
                        files={"file": ("consent.pdf", b"%PDF-1.4\n% consent signed\n%%EOF\n", "application/pdf")},
                        data={"kind": "consent", "signed_on": "2026-11-19"})
    assert r.status_code == 201, r.text
    assert r.json()["consent"]["received_at"] == "2026-11-19T17:00:00Z"
    # Friday 20 Nov: an independent orthopaedic surgeon upholds (same specialty as the service).
    clock.set(at("2026-11-20T17:00:00+00:00"))
    r = _decide(app_client, headers, "ortho", appeal["id"], "upheld",
                rationale="Grade 1 arthritis; 12 weeks of conservative care not yet tried.")
    assert r.status_code == 200, r.text
    appeal = r.json()
    assert appeal["decision"]["checks"]["expertise"]["service_specialties"] == {"27447": ["orthopedic_surgery"]}
    assert appeal["external_reviews"] == []  # no automatic level for Medi-Cal
    # Monday 30 Nov: the member asks for a State Hearing: 120 days from the Notice of Appeal Resolution
    # dated 20 Nov = 20 Mar 2027. Benefits do not continue: the denial stopped no ongoing service.
    clock.set(at("2026-11-30T17:00:00+00:00"))
    r = app_client.post(f"/api/v1/appeals/{appeal['id']}/external-reviews", headers=headers("memberservices"),
                        json={"kind": "state_fair_hearing", "continue_benefits": True})
    assert r.status_code == 201, r.text
    sfh = r.json()
    assert (sfh["filing_deadline"], sfh["late"], sfh["outcome"]) == ("2027-03-20", False, "pending")
    assert sfh["continuation_status"] == "refused" and "continuation-needs-ongoing-service" in sfh["notes"]
    r = app_client.post(f"/api/v1/appeals/{appeal['id']}/external-reviews", headers=headers("memberservices"),
                        json={"kind": "external_review"})
    assert r.status_code == 409 and _rule(r) == "external-level-not-offered"
    # The DMHC Independent Medical Review is tracked alongside: six months (180 days) from 20 Nov.
    r = app_client.post(f"/api/v1/appeals/{appeal['id']}/external-reviews", headers=headers("memberservices"),
                        json={"kind": "independent_medical_review", "requested_by": "representative"})
    assert r.status_code == 201 and r.json()["filing_deadline"] == "2027-05-19" and r.json()["outcome"] == "pending"
    # Tuesday 15 Dec: the hearing officer reverses; 438.424(a): 72 hours from the notice of reversal.
    clock.set(at("2026-12-15T18:00:00+00:00"))
    r = app_client.patch(f"/api/v1/external-reviews/{sfh['id']}", headers=headers("manager"),
                         json={"outcome": "overturned", "case_reference": "SH-2026-1234",
                               "notes": "The judge found the surgery medically necessary."})
    assert r.status_code == 200, r.text
    assert r.json()["effectuation_due_at"] == "2026-12-18T18:00:00Z"
    req = app_client.get(f"/api/v1/requests/{aid}", headers=headers("nurse")).json()
    assert req["status"] == "approved" and req["determination"]["basis"] == "external_review_reversed"
    clock.set(at("2026-12-16T18:00:00+00:00"))
    r = app_client.patch(f"/api/v1/external-reviews/{sfh['id']}", headers=headers("manager"),
                         json={"effectuated_at": "2026-12-16T17:00:00+00:00"})
    assert r.status_code == 200 and r.json()["effectuated_at"] == "2026-12-16T17:00:00Z"
    got = app_client.get(f"/api/v1/appeals/{appeal['id']}", headers=headers("compliance")).json()
    assert next(d for d in got["due_times"] if d["obligation"] == "effectuate_state_fair_hearing")["status"] == "met"


def test_benefits_continue_during_a_timely_appeal_of_a_stopped_service(
    app_client: TestClient, headers: H, clock: FrozenClock, reviewers: Any,
) -> None:
    reviewers("ortho", specialty="orthopedic_surgery")
    aid = deny(app_client, headers, body(PHC_KNEE, kind="concurrent", urgency="urgent"), "provider-phc")
    # Notice dated 18 Nov; the member asks on 27 Nov, inside the 10 days (438.420(b)).
    clock.set(at("2026-11-27T18:00:00+00:00"))
    appeal = _file(app_client, headers, aid, continue_benefits=True)
    assert appeal["continuation"]["status"] == "granted"
    r = app_client.post(f"/api/v1/appeals/{appeal['id']}/continuation", headers=headers("memberservices"), json={})
    assert r.status_code == 409 and _rule(r) == "continuation-already-requested"
    clock.set(at("2026-12-01T18:00:00+00:00"))
    r = _decide(app_client, headers, "ortho", appeal["id"], "upheld")
    assert r.status_code == 200, r.text
    cont = r.json()["continuation"]
    assert cont["status"] == "ended" and cont["ended_at"] == "2026-12-01T18:00:00Z"
    assert "may have to pay" in cont["note"]


def test_appeal_file_as_json_and_one_pdf_and_provider_scoping(
    app_client: TestClient, headers: H, db: Database,
) -> None:
    aid = deny(app_client, headers, AWH_KNEE, "provider-awh")
    appeal = _file(app_client, headers, aid, evidence=[{"filename": "xray-report.txt", "content_type": "text/plain",
                                                        "content_base64": EVIDENCE_TXT}])
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
           b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
    r = app_client.post(f"/api/v1/appeals/{appeal['id']}/evidence", headers=headers("provider-awh"),
                        files={"file": ("knee.png", png, "image/png")}, data={"description": "Standing film"})
    assert r.status_code == 201, r.text
    # Another organization's office cannot even confirm the appeal exists.
    assert app_client.get(f"/api/v1/appeals/{appeal['id']}", headers=headers("provider-awh-2")).status_code == 404
    assert app_client.get(f"/api/v1/appeals/{appeal['id']}/file", headers=headers("provider-phc")).status_code == 404
    assert app_client.get("/api/v1/appeals", headers=headers("provider-awh-2")).json() == []
    queue = app_client.get("/api/v1/appeals?level=appeal", headers=headers("nurse")).json()
    assert [(q["id"], q["authorization_id"], q["status"]) for q in queue] == [(appeal["id"], aid, "open")]
    assert queue[0]["decision_due_at"] == appeal["decision_due_at"]
    listed = app_client.get(f"/api/v1/requests/{aid}/appeals", headers=headers("provider-awh")).json()
    assert [a["id"] for a in listed] == [appeal["id"]]
    mine = app_client.get(f"/api/v1/appeals/{appeal['id']}", headers=headers("provider-awh")).json()
    assert mine["history"] and all(e["data"] == {} for e in mine["history"])
    assert {n["recipient"] for n in mine["notices"]} <= {"provider"}
    f = app_client.get(f"/api/v1/appeals/{appeal['id']}/file", headers=headers("nurse")).json()
    assert [d["filename"] for d in f["documents"]] == ["notes.pdf"]
    assert [e["filename"] for e in f["new_evidence"]] == ["xray-report.txt", "knee.png"]
    assert any(e["outcome"] == "criteria_not_met" and e["results"] for e in f["criteria_evaluations"])
    assert f["decisions"][0]["action"] == "deny_medical_necessity" and f["decisions"][0]["rationale"]
    assert {n["letter_type"] for n in f["notices"]} >= {"medical_necessity_denial", "appeal_acknowledgment"}
    assert any(h["type"] == "criteria_evaluated" for h in f["history"])
    r = app_client.get(f"/api/v1/appeals/{appeal['id']}/file.pdf", headers=headers("nurse"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    text = " ".join(pdf_text(r.content).split())
    assert f"Appeal file {appeal['id']} - {aid}" in text
    assert "Kellgren-Lawrence grade 4, bone on bone" in text  # the new evidence, inline
    assert "We got your appeal" in text and "deny_medical_necessity" in text
    # notes.pdf, the text report and the image, byte for byte, under their own names
    assert sorted(name.split("-", 2)[2] for name in reader.attachments) == ["knee.png", "notes.pdf", "xray-report.txt"]
    assert reader.attachments[next(n for n in reader.attachments if n.endswith("knee.png"))] == [png]
    # Every read, write and export of the appeal is audited, with the member it is about.
    with db.factory() as s:
        rows = s.execute(select(AuditEvent.username, AuditEvent.action, AuditEvent.purpose, AuditEvent.member_id)
                         .where(AuditEvent.record_type == "appeal")).all()
    assert ("memberservices", "create", "appeal", "AWH200101") in rows
    assert ("provider-awh", "update", "appeal", "AWH200101") in rows
    assert ("provider-awh", "read", "appeal", "AWH200101") in rows
    assert ("nurse", "export", "appeal_file", "AWH200101") in rows


def test_partial_overturn_updates_the_lines_and_is_effectuated(
    app_client: TestClient, headers: H, clock: FrozenClock, db: Database, reviewers: Any,
) -> None:
    reviewers("ortho", specialty="orthopedic_surgery")
    two = body(AWH_KNEE, service_lines=[line("27447"), line("27130")])
    aid = deny(app_client, headers, two, "provider-awh")
    appeal = _file(app_client, headers, aid)
    # 29 CFR 2560.503-1(i)(2)(ii): 30 days from Wednesday 18 Nov = Friday 18 Dec, end of day in Boston.
    assert due(appeal, "decision") == "2026-12-19T04:59:59.999999Z"
    clock.set(at("2026-11-25T15:00:00+00:00"))
    r = _decide(app_client, headers, "ortho", appeal["id"], "partially_overturned",
                lines=[{"sequence": 1, "approved_units": 1}],
                rationale="The knee meets the criteria on the new films; the hip does not (grade 1).")
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["decision"]["checks"]["expertise"]["configured"] is True  # upholding in part needs expertise
    assert out["effectuation"]["due_at"] == "2026-11-28T15:00:00Z"
    req = app_client.get(f"/api/v1/requests/{aid}", headers=headers("nurse")).json()
    assert req["status"] == "partially_approved" and req["determination"]["basis"] == "appeal_partial"
    assert [(ln["code"], ln["decision"], ln["approved_units"]) for ln in req["service_lines"]] == [
        ("27447", "approved", 1), ("27130", "denied", 0)]
    [letter] = _letters(db, "appeal_member_written")
    assert letter.letter_type == "appeal_resolution" and letter.context["outcome"] == "partially_approved"
    assert letter.context["specific_reason"].startswith("Decided on the whole appeal file")
