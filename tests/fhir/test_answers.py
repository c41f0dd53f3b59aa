"""What each status answers: A1, A2, A3, A4, A6, C, CT and NA exactly as X12 306 defines them,
with the denial reason, the place to go, the authorized detail and who decided."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from openum.audit.service import Actor
from openum.fhir import codes as c
from openum.fhir import response_profile
from openum.intake import history
from openum.intake.models import AuthorizationRequest
from openum.intake.status import Status
from tests.conftest import DEFAULT_NOW, Database
from tests.fhir.bundles import IG, IG_UPDATE, inquiry_for, item, load, pas_bundle
from tests.fhir.conftest import Fhir
from tests.fhir.test_submit import actions, assert_conformant, claim_response

H = Callable[[str], dict[str, str]]
REVIEWER = Actor(None, "physician", "physician_reviewer", None)


def office_visit(ident: str, member: tuple[str, str, str, str], code: str, day: str, pos: str,
                 servicing: str) -> dict[str, Any]:
    member_id, first, last, birth = member
    return pas_bundle(ident=ident, member_id=member_id, first=first, last=last, birth=birth,
                      items=[item(1, code, day, pos)], admission=None, facility=None,
                      servicing=servicing)


def decide(db: Database, auth: str, target: Status, lines: dict[int, dict[str, Any]]) -> None:
    """A reviewer's decision, written the way the review service writes it."""
    with db.factory() as s:
        req = s.scalars(select(AuthorizationRequest).where(
            AuthorizationRequest.authorization_id == auth)).one()
        for ln in req.lines:
            for k, v in lines.get(ln.sequence, {}).items():
                setattr(ln, k, v)
        history.change_status(req, target, at=DEFAULT_NOW, actor=REVIEWER, reason="criteria met")
        req.determination = {"basis": "medical_necessity", "automatic": False,
                             "decided_by": "Dr. Maya Medina, MD"}
        s.commit()


def inquire_one(fhir: Fhir, request: dict[str, Any]) -> dict[str, Any]:
    """The one inquiry response Bundle an inquiry about `request` finds."""
    r = fhir.inquire(inquiry_for(request))
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = [p["resource"] for p in r.json()["parameter"]]
    assert len(found) == 1
    return found[0]


def test_administrative_denial_is_a3_with_the_reason(fhir: Fhir) -> None:
    request = office_visit("denied", ("AWH200107", "David", "Cohen", "1975-11-20"), "99213",
                           "2026-07-15", "11", "2547517799")
    r = fhir.submit(request)
    assert_conformant(r.json(), request)
    cr = claim_response(r.json())
    assert actions(r.json()) == ["A3"]
    assert cr["processNote"][0]["text"].startswith("Reason for denial: Member not eligible")
    # Coverage rules decided, not a person.
    assert cr["extension"][0]["extension"][0]["valueBoolean"] is False


def test_no_authorization_needed_is_na(fhir: Fhir) -> None:
    request = office_visit("na", ("AWH200101", "Michael", "O'Neil", "1971-02-14"), "99213",
                           "2026-12-07", "11", "2547517799")
    r = fhir.submit(request)
    assert_conformant(r.json(), request)
    assert actions(r.json()) == ["NA"]
    notes = [n["text"] for n in claim_response(r.json())["processNote"]]
    assert any("no authorization is required" in n for n in notes)


def test_delegated_service_is_ct_saying_where_to_go(fhir: Fhir) -> None:
    request = office_visit("ct", ("AWH200119", "Harold", "Jensen", "1955-05-29"), "72148",
                           "2026-12-07", "22", "1940692563")
    r = fhir.submit(request)
    assert_conformant(r.json(), request)
    assert actions(r.json()) == ["CT"]
    cr = claim_response(r.json())
    note_no = cr["item"][0]["noteNumber"][0]
    text = next(n["text"] for n in cr["processNote"] if n["number"] == note_no)
    assert "eviCore" in text and "888-693-3211" in text


def test_approval_is_a1_with_period_and_human_review(fhir: Fhir, db: Database) -> None:
    request = pas_bundle(ident="approve")
    auth = claim_response(fhir.submit(request).json())["preAuthRef"]
    decide(db, auth, Status.APPROVED, {1: {"decision": "approved", "approved_units": 1,
                                           "approved_from": date(2026, 12, 14),
                                           "approved_to": date(2026, 12, 14)}})
    bundle = inquire_one(fhir, request)
    problems = response_profile.check_response(bundle, inquiry=True, strict=True, request_sequences=[1])
    assert problems == [], [p.to_fhir() for p in problems]
    cr = claim_response(bundle)
    assert actions(bundle) == ["A1"] and cr["preAuthRef"] == auth
    assert cr["preAuthPeriod"] == {"start": "2026-12-14", "end": "2026-12-14"}
    assert cr["extension"][0]["extension"][0]["valueBoolean"] is True
    urls = {e["url"] for e in cr["item"][0]["extension"]}
    assert {c.EXT_ITEM_PREAUTH_ISSUE_DATE, c.EXT_ITEM_PREAUTH_PERIOD, c.EXT_ITEM_TRACE_NUMBER} <= urls


def test_partial_approval_is_per_line_with_the_modification_in_add_item(fhir: Fhir, db: Database) -> None:
    request = pas_bundle(ident="partial", items=[
        item(1, "27447", "2026-12-14", "21"), item(2, "97110", "2026-12-21", "22", units=12),
        item(3, "97161", "2026-12-21", "22")])
    auth = claim_response(fhir.submit(request).json())["preAuthRef"]
    decide(db, auth, Status.PARTIALLY_APPROVED, {
        1: {"decision": "approved", "approved_units": 1, "approved_from": date(2026, 12, 14),
            "approved_to": date(2026, 12, 14)},
        2: {"decision": "modified", "approved_units": 6, "approved_from": date(2026, 12, 21),
            "approved_to": date(2027, 1, 31)},
        3: {"decision": "denied", "approved_units": 0}})
    bundle = inquire_one(fhir, request)
    assert response_profile.check_response(bundle, inquiry=True, strict=True, request_sequences=[1, 2, 3]) == []
    cr = claim_response(bundle)
    assert actions(bundle) == ["A1", "A6", "A3"]
    added = cr["addItem"]
    assert [a["itemSequence"] for a in added] == [[2]]
    assert added[0]["quantity"] == {"value": 6}
    assert added[0]["servicedPeriod"] == {"start": "2026-12-21", "end": "2027-01-31"}
    assert cr["preAuthPeriod"] == {"start": "2026-12-14", "end": "2027-01-31"}


def test_reduced_units_without_a_line_decision_is_a2(fhir: Fhir, db: Database,
                                                     app_client: TestClient, headers: H) -> None:
    request = pas_bundle(ident="a2", items=[item(1, "97110", "2026-12-21", "22", units=12)],
                         admission=None)
    auth = claim_response(fhir.submit(request).json())["preAuthRef"]
    decide(db, auth, Status.PARTIALLY_APPROVED, {1: {"approved_units": 8}})
    bundle = inquire_one(fhir, request)
    assert actions(bundle) == ["A2"]
    detail = next(e for e in claim_response(bundle)["item"][0]["extension"]
                  if e["url"] == c.EXT_ITEM_AUTHORIZED_DETAIL)
    assert {"url": "quantity", "valueQuantity": {"value": 8}} in detail["extension"]


def test_cancel_withdraws_the_request_and_answers_c(fhir: Fhir, app_client: TestClient, headers: H) -> None:
    request = pas_bundle(ident="to-cancel")
    auth = claim_response(fhir.submit(request).json())["preAuthRef"]
    cancel = copy.deepcopy(request)
    cancel["identifier"]["value"] = "to-cancel-2"
    for it in cancel["entry"][0]["resource"]["item"]:
        it["extension"][1]["valueCodeableConcept"]["coding"][0]["code"] = "3"
    r = fhir.submit(cancel)
    assert r.status_code == 200, r.text
    assert actions(r.json()) == ["C"] and claim_response(r.json())["preAuthRef"] == auth
    assert_conformant(r.json(), cancel)
    got = app_client.get(f"/api/v1/requests/{auth}", headers=headers("provider-awh")).json()
    assert got["status"] == "withdrawn"
    # A repeated cancel changes nothing and answers the same.
    again = fhir.submit(cancel)
    assert again.status_code == 200 and actions(again.json()) == ["C"]


def _update_of(request: dict[str, Any], ident: str) -> dict[str, Any]:
    """A PASClaimUpdate for `request`, the original Claim included, item 1 changed."""
    upd = copy.deepcopy(request)
    upd["identifier"]["value"] = ident
    original = copy.deepcopy(request["entry"][0])
    claim = upd["entry"][0]["resource"]
    claim["id"] = f"{claim['id']}-update"
    claim["meta"] = {"profile": [c.PROFILE_CLAIM_UPDATE]}
    claim["identifier"] = [{"system": "urn:trnorg:2547517799", "value": f"{ident}-update"}]
    claim["related"] = [{"claim": {"reference": original["fullUrl"]}}]
    claim["item"][0]["extension"].append({"url": c.EXT_INFO_CHANGED, "valueCode": "changed"})
    claim["item"][0]["servicedDate"] = "2026-12-15"
    upd["entry"][0]["fullUrl"] = original["fullUrl"] + "-update"
    upd["entry"].append(original)
    return upd


def test_update_of_a_denied_request_is_refused(fhir: Fhir) -> None:
    request = office_visit("deny-then-update", ("AWH200107", "David", "Cohen", "1975-11-20"), "99213",
                           "2026-07-15", "11", "2547517799")
    assert actions(fhir.submit(request).json()) == ["A3"]
    r = fhir.submit(_update_of(request, "deny-update"))
    assert r.status_code == 422
    issue = r.json()["issue"][0]
    assert issue["code"] == "business-rule" and "denied" in issue["diagnostics"]


def test_update_is_recorded_and_answered_per_item(fhir: Fhir, app_client: TestClient, headers: H) -> None:
    request = pas_bundle(ident="to-update")
    auth = claim_response(fhir.submit(request).json())["preAuthRef"]
    upd = _update_of(request, "update-1")
    r = fhir.submit(upd)
    assert r.status_code == 200, r.text
    assert claim_response(r.json())["preAuthRef"] == auth and actions(r.json()) == ["A4"]
    assert_conformant(r.json(), upd)
    fhir.submit(upd)  # re-sent: recorded once
    events = [e for e in app_client.get(f"/api/v1/requests/{auth}", headers=headers("intake")).json()[
        "history"] if e["type"] == "fhir_pas_update_received"]
    assert len(events) == 1 and events[0]["data"]["changed"][0]["sequence"] == 1


def test_ig_update_example_after_its_original(fhir: Fhir) -> None:
    original = load(IG / "Bundle-HomecareAuthorizationBundleExample.json")
    auth = claim_response(fhir.submit(original).json())["preAuthRef"]
    update = load(IG / IG_UPDATE)
    r = fhir.submit(update)
    assert r.status_code == 200, r.text
    assert_conformant(r.json(), update)
    cr = claim_response(r.json())
    assert cr["preAuthRef"] == auth
    # Item 2 cancelled (infoCancelled), item 3 added: pended until a reviewer applies it.
    assert actions(r.json()) == ["A4", "C", "A4"]
    assert [i["itemSequence"] for i in cr["item"]] == [1, 2, 3]


def test_update_of_an_unknown_request_is_refused(fhir: Fhir) -> None:
    r = fhir.submit(load(IG / IG_UPDATE))
    assert r.status_code == 422 and r.json()["issue"][0]["code"] == "not-found"
