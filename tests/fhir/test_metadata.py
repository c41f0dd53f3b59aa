"""GET /fhir/metadata: an R4 CapabilityStatement naming the PAS operations, profiles and IG."""

from __future__ import annotations

from fastapi.testclient import TestClient
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from openum.fhir import codes as c


def test_capability_statement(app_client: TestClient) -> None:
    r = app_client.get("/fhir/metadata")  # public: clients read it before they sign in
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/fhir+json")
    cs = r.json()
    CapabilityStatement.model_validate(cs)
    assert cs["fhirVersion"] == "4.0.1" and cs["kind"] == "instance"
    assert any(ig.startswith(c.IG_CANONICAL) for ig in cs["implementationGuide"])
    claim = next(x for x in cs["rest"][0]["resource"] if x["type"] == "Claim")
    assert {(o["name"], o["definition"]) for o in claim["operation"]} == {
        ("submit", c.OP_SUBMIT), ("inquire", c.OP_INQUIRE)}
    assert c.PROFILE_CLAIM in claim["supportedProfile"]
    profiles = {p for x in cs["rest"][0]["resource"] for p in x.get("supportedProfile", [])}
    assert {c.PROFILE_REQUEST_BUNDLE, c.PROFILE_RESPONSE_BUNDLE, c.PROFILE_CLAIM_RESPONSE} <= profiles


def test_xml_is_not_offered(app_client: TestClient) -> None:
    r = app_client.get("/fhir/metadata?_format=xml")
    assert r.status_code == 406 and r.json()["resourceType"] == "OperationOutcome"
