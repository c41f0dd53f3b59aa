"""CRD over CDS Hooks: discovery, and coverage-information systemActions from the same coverage
discovery intake uses (covered, pa-needed, doc-needed, info-needed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from openum.fhir import crd

H = Callable[[str], dict[str, str]]
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"


def _order(oid: str, code: str, system: str = CPT, npi: str | None = None, rtype: str = "ServiceRequest",
           when: str = "2026-12-07") -> dict[str, Any]:
    order: dict[str, Any] = {"resourceType": rtype, "id": oid, "status": "draft", "intent": "order",
                             "subject": {"reference": "Patient/p1"}, "occurrenceDateTime": when,
                             "code": {"coding": [{"system": system, "code": code}]}}
    if rtype == "DeviceRequest":
        order["codeCodeableConcept"] = order.pop("code")
    if npi:
        order["performer"] = {"identifier": {"system": crd.NPI, "value": npi}} if rtype == "DeviceRequest" \
            else [{"identifier": {"system": crd.NPI, "value": npi}}]
    return order


def _hook(hook: str, orders: list[dict[str, Any]], member: str | None = "AWH200101") -> dict[str, Any]:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": o} for o in orders]}
    key = "appointments" if hook == "appointment-book" else "draftOrders"
    body: dict[str, Any] = {"hook": hook, "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
                            "fhirServer": "http://ehr.example.org/fhir",
                            "context": {"userId": "Practitioner/pcp", "patientId": "p1", key: bundle},
                            "prefetch": {"patient": {"resourceType": "Patient", "id": "p1"}}}
    if hook == "order-select":
        body["context"]["selections"] = [f"{orders[0]['resourceType']}/{orders[0]['id']}"]
    if member:
        body["prefetch"]["coverage"] = {"resourceType": "Bundle", "type": "searchset", "entry": [
            {"resource": {"resourceType": "Coverage", "id": "cov1", "status": "active", "subscriberId": member,
                          "beneficiary": {"reference": "Patient/p1"}, "payor": [{"reference": "Organization/x"}]}}]}
    return body


def _info(action: dict[str, Any]) -> dict[str, Any]:
    [ext] = [e for e in action["resource"]["extension"] if e["url"] == crd.EXT_COVERAGE_INFO]
    out: dict[str, Any] = {}
    for part in ext["extension"]:
        value = next(v for k, v in part.items() if k.startswith("value"))
        out.setdefault(part["url"], []).append(value)
    return out


def test_discovery_lists_the_three_hooks(app_client: TestClient) -> None:
    r = app_client.get("/cds-services")
    assert r.status_code == 200
    assert {s["hook"] for s in r.json()["services"]} == {"order-sign", "order-select", "appointment-book"}
    assert all("coverage" in s["prefetch"] for s in r.json()["services"])


def test_order_sign_answers_each_order_from_coverage_discovery(app_client: TestClient, headers: H) -> None:
    orders = [_order("knee", "27447", npi="1226468613"), _order("visit", "99213", npi="2547517799"),
              _order("mri", "72148", npi="1226468613")]
    r = app_client.post("/cds-services/openum-crd-order-sign", json=_hook("order-sign", orders),
                        headers=headers("provider-awh"))
    assert r.status_code == 200, r.text
    out = r.json()
    acts = {a["resource"]["id"]: _info(a) for a in out["systemActions"]}
    assert all(a["type"] == "update" for a in out["systemActions"]) and len(out["cards"]) == 3
    knee = acts["knee"]
    assert knee["covered"] == ["covered"] and knee["pa-needed"] == ["auth-needed"]
    assert knee["doc-needed"] == ["clinical"] and knee["doc-purpose"] == ["withpa"]
    assert knee["questionnaire"] == ["http://openum.org/fhir/Questionnaire/allways-commercial-elective-inpatient-joint-replacement"]
    assert knee["coverage"] == [{"reference": "Coverage/cov1"}] and knee["billingCode"] == [{"code": "27447"}]
    assert acts["visit"]["covered"] == ["covered"] and acts["visit"]["pa-needed"] == ["no-auth"]
    # AllWays delegates lumbar MRI review (eviCore): authorization needed, from whom is the contract.
    assert acts["mri"]["pa-needed"] == ["auth-needed"] and "contract" in acts["mri"]["info-needed"]
    assert "eviCore" in acts["mri"]["reason"][0]["text"] or "evicore" in acts["mri"]["reason"][0]["text"].lower()


def test_order_select_only_the_selection_and_unknown_performer_is_info_needed(
        app_client: TestClient, headers: H) -> None:
    orders = [_order("knee", "27447"), _order("visit", "99213")]
    r = app_client.post("/cds-services/openum-crd-order-select", json=_hook("order-select", orders),
                        headers=headers("provider-awh"))
    assert r.status_code == 200, r.text
    [action] = r.json()["systemActions"]
    assert action["resource"]["id"] == "knee" and "performer" in _info(action)["info-needed"]


def test_appointment_book_and_unknown_member(app_client: TestClient, headers: H) -> None:
    appt = {"resourceType": "Appointment", "id": "a1", "status": "proposed", "start": "2026-12-07T09:00:00Z",
            "serviceType": [{"coding": [{"system": CPT, "code": "27447"}]}],
            "participant": [{"actor": {"identifier": {"system": crd.NPI, "value": "1226468613"}},
                             "status": "needs-action"}]}
    r = app_client.post("/cds-services/openum-crd-appointment-book", json=_hook("appointment-book", [appt]),
                        headers=headers("provider-awh"))
    assert r.status_code == 200, r.text
    assert _info(r.json()["systemActions"][0])["pa-needed"] == ["auth-needed"]
    unknown = _hook("order-sign", [_order("k", "27447")], member="NOPE1")
    r = app_client.post("/cds-services/openum-crd-order-sign", json=unknown, headers=headers("provider-awh"))
    assert r.status_code == 200 and r.json()["systemActions"] == []
    assert r.json()["cards"][0]["indicator"] == "warning"


def test_unknown_service_and_anonymous_are_refused(app_client: TestClient, headers: H) -> None:
    assert app_client.post("/cds-services/openum-crd-order-sign", json=_hook("order-sign", [])).status_code == 401
    assert app_client.post("/cds-services/nope", json={}, headers=headers("provider-awh")).status_code == 404
