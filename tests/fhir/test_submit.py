"""Claim/$submit: IG example requests accepted and answered by the PAS response profile, invalid
bundles refused with one OperationOutcome naming every problem, re-sends answered with the same ID."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from openum.audit.models import AuditEvent
from openum.fhir import parse, response_profile
from openum.intake.models import AuthorizationRequest
from tests.conftest import Database
from tests.fhir.bundles import IG, IG_REQUESTS, INFERNO, inquiry_for, item, load, pas_bundle
from tests.fhir.conftest import Fhir

H = Callable[[str], dict[str, str]]


def claim_response(bundle: dict[str, Any]) -> dict[str, Any]:
    return bundle["entry"][0]["resource"]  # type: ignore[no-any-return]


def actions(bundle: dict[str, Any]) -> list[str]:
    """The review action code of each item, in item order."""
    out = []
    for answered in claim_response(bundle)["item"]:
        ext = answered["adjudication"][0]["extension"][0]["extension"]
        out += [x["valueCodeableConcept"]["coding"][0]["code"] for x in ext if x["url"].endswith("Code")]
    return out


def assert_conformant(bundle: dict[str, Any], request: dict[str, Any]) -> None:
    """Our own PAS response checks (strict), plus R4 structure by fhir.resources."""
    sequences = [i["sequence"] for i in request["entry"][0]["resource"]["item"]]
    problems = response_profile.check_response(bundle, strict=True, request_sequences=sequences)
    assert problems == [], [p.to_fhir() for p in problems]
    _, structural = parse.bundle(bundle)
    assert structural == [], [p.to_fhir() for p in structural]


@pytest.mark.parametrize("name", IG_REQUESTS)
def test_every_ig_example_request_is_accepted_and_answered_pended(fhir: Fhir, name: str) -> None:
    request = load(IG / name)
    r = fhir.submit(request)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    bundle = r.json()
    assert_conformant(bundle, request)
    cr = claim_response(bundle)
    # The IG's members are not AllWays members: received, pended (A4), never refused.
    assert set(actions(bundle)) == {"A4"} and cr["outcome"] == "complete"
    assert cr["preAuthRef"].startswith("AWH-")
    assert cr["identifier"] == request["entry"][0]["resource"]["identifier"]
    assert bundle["identifier"] == request["identifier"]
    human = cr["extension"][0]["extension"][0]
    assert human == {"url": "wasHumanReviewedFlag", "valueBoolean": False}
    # What is missing goes back as a CommunicationRequest in the bundle.
    comm = next(e["resource"] for e in bundle["entry"]
                if e["fullUrl"] == cr["communicationRequest"][0]["reference"])
    assert any("member" in p["contentString"] for p in comm["payload"])


def test_known_member_lands_in_the_same_intake(fhir: Fhir, app_client: TestClient, headers: H) -> None:
    request = pas_bundle(ident="knee-1")
    r = fhir.submit(request)
    assert r.status_code == 200, r.text
    assert_conformant(r.json(), request)
    auth = claim_response(r.json())["preAuthRef"]
    got = app_client.get(f"/api/v1/requests/{auth}", headers=headers("provider-awh"))
    assert got.status_code == 200, got.text
    req = got.json()
    assert req["channel"] == "fhir_pas"
    assert req["member"]["found"] is True and req["member"]["member_id"] == "AWH200101"
    assert req["requesting_provider_npi"] == "2547517799"
    assert req["servicing_provider_npi"] == "1226468613" and req["facility_npi"] == "1579906599"
    assert req["setting"] == "inpatient" and req["admission_date"] == "2026-12-14"
    assert req["requested_length_of_stay"] == 2
    assert req["service_lines"][0]["code"] == "27447" and req["service_lines"][0]["code_system"] == "CPT"
    assert req["service_lines"][0]["from_date"] == "2026-12-14"
    assert req["service_lines"][0]["place_of_service"] == "21"
    assert [d["code"] for d in req["diagnoses"]] == ["M17.11"]
    assert req["attachments"][0]["kind"] == "clinical_documentation"
    assert req["status"] == "in_clinical_review", req["missing_items"]
    assert actions(r.json()) == ["A4"]
    # A complete request asks for nothing more.
    assert "communicationRequest" not in claim_response(r.json())


def test_resent_bundle_returns_the_same_authorization(fhir: Fhir) -> None:
    request = pas_bundle(ident="again")
    first = claim_response(fhir.submit(request).json())["preAuthRef"]
    second = fhir.submit(request)
    assert second.status_code == 200
    assert claim_response(second.json())["preAuthRef"] == first
    other = fhir.submit(pas_bundle(ident="again-2", member_id="AWH200103", first="Jennifer",
                                   last="Murphy", birth="1979-09-09"))
    assert claim_response(other.json())["preAuthRef"] != first


def test_ig_examples_resent_find_their_first_answer(fhir: Fhir) -> None:
    request = load(IG / "Bundle-ReferralAuthorizationBundleExample.json")
    first = claim_response(fhir.submit(request).json())["preAuthRef"]
    assert claim_response(fhir.submit(request).json())["preAuthRef"] == first


def test_urgent_level_of_service_makes_the_request_urgent(fhir: Fhir, app_client: TestClient,
                                                          headers: H) -> None:
    r = fhir.submit(pas_bundle(ident="urgent", urgent=True))
    auth = claim_response(r.json())["preAuthRef"]
    assert app_client.get(f"/api/v1/requests/{auth}", headers=headers("intake")).json()["urgency"] == "urgent"


def test_missing_referenced_resource_is_refused_naming_it(fhir: Fhir) -> None:
    r = fhir.submit(load(INFERNO / "missing_referenced_resource_request_bundle.json"))
    assert 400 <= r.status_code < 500
    assert r.headers["content-type"].startswith("application/fhir+json")
    oo = r.json()
    assert oo["resourceType"] == "OperationOutcome"
    hit = [i for i in oo["issue"] if i.get("expression") == ["Bundle.entry[0].resource.careTeam[0].provider"]]
    assert hit and "Practitioner/ReferralPractitionerExample" in hit[0]["diagnostics"]
    assert "not in the Bundle" in hit[0]["diagnostics"]


def test_empty_bundle_is_refused_naming_the_missing_claim(fhir: Fhir) -> None:
    r = fhir.submit(load(INFERNO / "nonconformant_pas_bundle.json"))
    assert 400 <= r.status_code < 500
    issues = r.json()["issue"]
    assert any(i.get("expression") == ["Bundle.entry"] and "Claim" in i["diagnostics"] for i in issues)


def test_response_bundle_sent_as_request_is_refused_naming_the_first_entry(fhir: Fhir) -> None:
    r = fhir.submit(load(INFERNO / "invalid_first_entry_response_bundle.json"))
    assert 400 <= r.status_code < 500
    text = [i["diagnostics"] for i in r.json()["issue"] if i.get("expression") == ["Bundle.entry[0].resource"]]
    assert any("first entry must be the ClaimResponse" in t for t in text), text


def test_id_only_notification_sent_as_request_is_refused_naming_it(fhir: Fhir) -> None:
    r = fhir.submit(load(INFERNO / "PAS_notification_example_id_only.json"))
    assert 400 <= r.status_code < 500
    issues = r.json()["issue"]
    assert any(i.get("expression") == ["Bundle.type"] for i in issues)
    assert any("full-resource" in i["diagnostics"] for i in issues)


def test_every_problem_is_named_with_its_location(fhir: Fhir) -> None:
    request = pas_bundle(ident="bad")
    claim = request["entry"][0]["resource"]
    claim["use"] = "claim"
    claim["status"] = "draft"
    del claim["insurer"]
    claim["item"][0]["sequence"] = "one"
    claim["item"].append(copy.deepcopy(claim["item"][0]))
    claim["item"][1]["sequence"] = 2
    del claim["item"][1]["productOrService"]
    del claim["item"][1]["extension"][1]  # certificationType
    request["type"] = "batch"
    r = fhir.submit(request)
    assert r.status_code == 400
    where = {e for i in r.json()["issue"] for e in i.get("expression", [])}
    base = "Bundle.entry[0].resource"
    assert {"Bundle.type", f"{base}.use", f"{base}.status", f"{base}.insurer",
            f"{base}.item[0].sequence", f"{base}.item[1].productOrService"} <= where, where
    assert any("certificationType" in e for e in where)


def test_values_intake_cannot_take_are_refused_where_they_came_from(fhir: Fhir) -> None:
    request = pas_bundle(ident="long-code")
    request["entry"][0]["resource"]["item"][0]["productOrService"]["coding"][0]["code"] = "X" * 30
    r = fhir.submit(request)
    assert r.status_code == 422
    assert r.json()["issue"][0]["expression"] == ["Bundle.entry[0].resource.item[0].productOrService"]


def test_auth_failures_are_operation_outcomes(fhir: Fhir, app_client: TestClient, headers: H) -> None:
    r = fhir.submit(pas_bundle(), user=None)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json()["resourceType"] == "OperationOutcome" and r.json()["issue"][0]["code"] == "login"
    r = fhir.submit(pas_bundle(), user="physician")  # reads, never submits
    assert r.status_code == 403 and r.json()["issue"][0]["code"] == "forbidden"
    assert r.headers["content-type"].startswith("application/fhir+json")


def test_media_types(fhir: Fhir) -> None:
    assert fhir.post("Claim/$submit", pas_bundle(ident="json"), content_type="application/json").status_code == 200
    r = fhir.post("Claim/$submit", pas_bundle(ident="xml"), content_type="application/fhir+xml")
    assert r.status_code == 415 and r.json()["resourceType"] == "OperationOutcome"
    r = fhir.client.post("/fhir/Claim/$submit", content=b"{not json",
                         headers={**fhir.headers("provider-awh"), "Content-Type": "application/fhir+json"})
    assert r.status_code == 400 and r.json()["issue"][0]["code"] == "structure"
    r = fhir.client.post("/fhir/Claim/$submit", content=b"{}", headers={
        **fhir.headers("provider-awh"), "Content-Type": "application/fhir+json",
        "Accept": "application/fhir+xml"})
    assert r.status_code == 406


def test_bundle_wrapped_in_parameters_is_accepted(fhir: Fhir) -> None:
    wrapped = {"resourceType": "Parameters", "parameter": [{"name": "resource",
                                                            "resource": pas_bundle(ident="wrapped")}]}
    assert fhir.submit(wrapped).status_code == 200


def test_unknown_fhir_paths_answer_an_operation_outcome(app_client: TestClient) -> None:
    r = app_client.get("/fhir/Patient/123")
    assert r.status_code == 404 and r.json()["resourceType"] == "OperationOutcome"


def test_reads_and_writes_are_audited(fhir: Fhir, db: Database) -> None:
    request = pas_bundle(ident="audited")
    auth = claim_response(fhir.submit(request).json())["preAuthRef"]
    fhir.submit(request)  # the re-send discloses the request again
    fhir.inquire(inquiry_for(request))
    with db.factory() as s:
        rows = s.execute(select(AuditEvent.action, AuditEvent.record_id, AuditEvent.channel,
                                AuditEvent.username).order_by(AuditEvent.id)).all()
    mine = [(a, r) for a, r, ch, u in rows if u == "provider-awh"]
    assert mine == [("create", auth), ("read", auth), ("search", None), ("read", auth)]
    assert {ch for _, _, ch, u in rows if u == "provider-awh"} == {"fhir_pas"}


def test_server_errors_carry_no_outcome_and_keep_nothing(fhir: Fhir, db: Database,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: Any, **__: Any) -> dict[str, Any]:
        raise RuntimeError("response builder failed")

    monkeypatch.setattr("openum.fhir.router.response.build", boom)
    r = fhir.submit(pas_bundle(ident="boom"))
    assert r.status_code == 500 and r.content == b""
    with db.factory() as s:
        assert s.scalar(select(func.count()).select_from(AuthorizationRequest)) == 0


def test_same_bundle_identifier_for_another_request_is_a_conflict(fhir: Fhir) -> None:
    assert fhir.submit(pas_bundle(ident="reused")).status_code == 200
    other = pas_bundle(ident="reused", items=[item(1, "29881", "2026-12-07", "24")], admission=None)
    r = fhir.submit(other)
    assert r.status_code == 409 and r.json()["issue"][0]["code"] == "conflict"


def test_plan_staff_submit_when_the_insurer_names_the_plan(fhir: Fhir) -> None:
    r = fhir.submit(pas_bundle(ident="staff"), user="intake")
    assert r.status_code == 200 and claim_response(r.json())["preAuthRef"].startswith("AWH-")
    # An insurer we cannot place, for a member nobody knows: staff must name the plan.
    r = fhir.submit(load(IG / "Bundle-ReferralAuthorizationBundleExample.json"), user="intake")
    assert r.status_code == 422 and "plan" in r.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize(("cert", "kind"), [("I", "pre_service"), ("R", "pre_service"),
                                            ("4", "concurrent"), ("1", "appeal"), ("2", "appeal")])
def test_certification_type_sets_the_kind(fhir: Fhir, app_client: TestClient, headers: H,
                                          cert: str, kind: str) -> None:
    r = fhir.submit(pas_bundle(ident=f"kind-{cert}", items=[item(1, "27447", "2026-12-14", "21",
                                                                 cert=cert)]))
    assert r.status_code == 200, r.text
    auth = claim_response(r.json())["preAuthRef"]
    got = app_client.get(f"/api/v1/requests/{auth}", headers=headers("intake")).json()
    assert got["kind"] == kind
    if kind == "concurrent":  # inpatient concurrent review is always urgent (seed 004)
        assert got["urgency"] == "urgent"
