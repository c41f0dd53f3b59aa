"""Claim/$inquire: query by example, answered with one inquiry response Bundle per request the
caller may see; another organization learns nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from openum.fhir import response_profile
from tests.factories import AWH_KNEE
from tests.fhir.bundles import IG, IG_INQUIRY, inquiry_for, item, load, pas_bundle
from tests.fhir.conftest import Fhir
from tests.fhir.test_submit import actions, claim_response

H = Callable[[str], dict[str, str]]


def bundles(r: Response) -> list[dict[str, Any]]:
    """The inquiry response Bundles of a $inquire answer."""
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["resourceType"] == "Parameters"
    return [p["resource"] for p in body.get("parameter", []) if p["name"] == "responseBundle"]


def test_inquiry_finds_the_request_by_member_provider_and_service(fhir: Fhir) -> None:
    request = pas_bundle(ident="inq")
    auth = claim_response(fhir.submit(request).json())["preAuthRef"]
    fhir.submit(pas_bundle(ident="other-service", items=[item(1, "29881", "2026-12-07", "24")],
                           admission=None))
    found = bundles(fhir.inquire(inquiry_for(request)))
    assert [claim_response(b)["preAuthRef"] for b in found] == [auth]
    bundle = found[0]
    assert response_profile.check_response(bundle, inquiry=True, strict=True, request_sequences=[1]) == []
    assert bundle["identifier"] == inquiry_for(request)["identifier"]
    assert claim_response(bundle)["meta"]["profile"] == [
        "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-claiminquiryresponse"]
    # The answer repeats the Claim as it was submitted: identifier and item numbering.
    assert claim_response(bundle)["identifier"] == request["entry"][0]["resource"]["identifier"]
    assert actions(bundle) == ["A4"]


def test_inquiry_without_items_finds_every_request_of_the_member(fhir: Fhir) -> None:
    fhir.submit(pas_bundle(ident="m1"))
    fhir.submit(pas_bundle(ident="m2", items=[item(1, "29881", "2026-12-07", "24")], admission=None))
    ask = inquiry_for(pas_bundle(ident="q"))
    del ask["entry"][0]["resource"]["item"]
    assert len(bundles(fhir.inquire(ask))) == 2


def test_inquiry_by_authorization_number(fhir: Fhir) -> None:
    request = pas_bundle(ident="by-ref")
    auth = claim_response(fhir.submit(request).json())["preAuthRef"]
    ask = inquiry_for(pas_bundle(ident="x", member_id="AWH999999"))
    ask["entry"][0]["resource"]["insurance"][0]["preAuthRef"] = [auth]
    ask["entry"][0]["resource"]["item"] = []
    assert bundles(fhir.inquire(ask)) == []  # every criterion given must match: the member does not
    ask = inquiry_for(request)
    ask["entry"][0]["resource"]["insurance"][0]["preAuthRef"] = [auth]
    assert [claim_response(b)["preAuthRef"] for b in bundles(fhir.inquire(ask))] == [auth]


def test_another_organization_does_not_see_it(fhir: Fhir) -> None:
    request = pas_bundle(ident="private")
    fhir.submit(request)
    assert bundles(fhir.inquire(inquiry_for(request), user="provider-awh-2")) == []
    assert len(bundles(fhir.inquire(inquiry_for(request), user="intake"))) == 1  # plan staff see all


def test_requests_from_other_channels_are_found_too(fhir: Fhir, app_client: TestClient,
                                                    headers: H) -> None:
    portal = app_client.post("/api/v1/requests", json=AWH_KNEE, headers=headers("provider-awh"))
    auth = portal.json()["authorization_id"]
    found = bundles(fhir.inquire(inquiry_for(pas_bundle(ident="portal-q"))))
    assert [claim_response(b)["preAuthRef"] for b in found] == [auth]
    # No PAS Claim to repeat: the parties come from our own record.
    assert response_profile.check_response(found[0], inquiry=True, strict=True) == []


def test_ig_inquiry_example_finds_the_ig_request(fhir: Fhir) -> None:
    original = load(IG / "Bundle-HomecareAuthorizationBundleExample.json")
    auth = claim_response(fhir.submit(original).json())["preAuthRef"]
    found = bundles(fhir.inquire(load(IG / IG_INQUIRY)))
    assert [claim_response(b)["preAuthRef"] for b in found] == [auth]
    assert response_profile.check_response(found[0], inquiry=True, strict=True, request_sequences=[1, 2]) == []


def test_a_request_bundle_sent_to_inquire_is_refused(fhir: Fhir) -> None:
    r = fhir.inquire(load(IG / "Bundle-ReferralAuthorizationBundleExample.json"))
    assert r.status_code == 422
    assert r.json()["issue"][0]["expression"] == ["Bundle.entry[0].resource.meta.profile"]


def test_inquiry_needs_read_permission(fhir: Fhir) -> None:
    ask = inquiry_for(pas_bundle(ident="q"))
    assert fhir.inquire(ask, user="admin").status_code == 403
    assert fhir.inquire(ask, user=None).status_code == 401


def test_inquiry_with_nothing_to_match_on_is_refused(fhir: Fhir) -> None:
    ask = inquiry_for(pas_bundle(ident="q"))
    patient = ask["entry"][1]["resource"]
    del patient["identifier"]
    cov = next(e["resource"] for e in ask["entry"] if e["resource"]["resourceType"] == "Coverage")
    del cov["subscriberId"]
    r = fhir.inquire(copy.deepcopy(ask))
    assert r.status_code == 422 and r.json()["issue"][0]["code"] == "required"
