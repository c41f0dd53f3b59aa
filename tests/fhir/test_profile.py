"""The PAS response checker, checked against the IG's own examples and the Inferno fixtures."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from openum.fhir import parse, profile, response_profile
from tests.fhir.bundles import (
    IG,
    IG_INQUIRY_RESPONSES,
    IG_REQUESTS,
    IG_RESPONSES,
    IG_UPDATE,
    INFERNO,
    INFERNO_VALID,
    load,
)


@pytest.mark.parametrize("name", IG_RESPONSES)
def test_ig_response_examples_pass_the_checker(name: str) -> None:
    assert response_profile.check_response(load(IG / name)) == []


@pytest.mark.parametrize("name", IG_INQUIRY_RESPONSES)
def test_ig_inquiry_response_examples_pass_the_checker(name: str) -> None:
    assert response_profile.check_response(load(IG / name), inquiry=True) == []


def test_ig_inquiry_operation_output_bundles_pass_the_checker() -> None:
    params = load(IG / "Parameters-PASClaimInquiryOperationResponseExample.json")
    bundles = [p["resource"] for p in params["parameter"] if p["name"] == "responseBundle"]
    assert bundles and all(response_profile.check_response(b, inquiry=True) == [] for b in bundles)


@pytest.mark.parametrize("name,inquiry", sorted(INFERNO_VALID.items()))
def test_valid_inferno_fixtures_are_accepted(name: str, inquiry: bool) -> None:
    bundle = load(INFERNO / name)
    assert response_profile.check_response(bundle, inquiry=inquiry) == []
    assert parse.bundle(bundle)[1] == []  # and R4 structure


def test_invalid_first_entry_fixture_is_named() -> None:
    issues = response_profile.check_response(load(INFERNO / "invalid_first_entry_response_bundle.json"))
    assert [(i.expression, i.code) for i in issues] == [("Bundle.entry[0].resource", "structure")]
    assert "first entry must be the ClaimResponse" in issues[0].diagnostics


def test_id_only_notification_fixture_is_named() -> None:
    issues = response_profile.check_notification(load(INFERNO / "PAS_notification_example_id_only.json"))
    assert len(issues) == 1 and "full-resource" in issues[0].diagnostics
    assert response_profile.check_notification(load(IG / "Bundle-PASSubscriptionNotification.json")) == []


@pytest.mark.parametrize("name", [*IG_REQUESTS, IG_UPDATE])
def test_ig_request_examples_pass_the_request_rules(name: str) -> None:
    view, structural = parse.bundle(load(IG / name))
    assert structural == [] and profile.check_request(view) == []


def test_ig_inquiry_example_passes_the_inquiry_rules() -> None:
    view, structural = parse.bundle(load(IG / "Bundle-PASClaimInquiryBundleExample.json"))
    assert structural == [] and profile.check_request(view, inquiry=True) == []


def _first_code(bundle: dict[str, Any]) -> dict[str, Any]:
    """The coding of the first item's review action code."""
    action = bundle["entry"][0]["resource"]["item"][0]["adjudication"][0]["extension"][0]
    code = next(x for x in action["extension"] if x["url"].endswith("reviewActionCode"))
    return code["valueCodeableConcept"]["coding"][0]  # type: ignore[no-any-return]


def test_swapped_labels_are_caught() -> None:
    """Known mistakes of public implementations: A2 called 'Not Certified', A6 'Cancelled'."""
    bad = load(IG / "Bundle-ReferralAuthorizationResponseBundleExample.json")
    _first_code(bad).update({"code": "A2", "display": "Not Certified"})
    assert any("label of A3" in i.diagnostics for i in response_profile.check_response(bad))
    _first_code(bad).update({"code": "A6", "display": "Cancelled"})
    issues = response_profile.check_response(bad)
    assert any("label of C" in i.diagnostics for i in issues)
    assert any("addItem" in i.diagnostics for i in issues)  # A6 without the authorized detail


def test_queued_unknown_codes_and_missing_submitted_category_are_caught() -> None:
    good = load(IG / "Bundle-ReferralPendingAuthorizationResponseBundleExample.json")
    bad = copy.deepcopy(good)
    cr = bad["entry"][0]["resource"]
    cr["outcome"] = "queued"
    cr["item"][0]["adjudication"][0]["category"]["coding"][0]["code"] = "benefit"
    _first_code(bad).update({"code": "A5"})
    where = {i.expression for i in response_profile.check_response(bad)}
    at = "Bundle.entry[0].resource"
    assert f"{at}.outcome" in where and f"{at}.item[0].adjudication[0].category" in where
    assert any(w and "reviewAction" in w for w in where)


def test_strict_mode_holds_our_own_promises() -> None:
    """IG examples need no preAuthRef or reviewer extension; our answers always carry both."""
    issues = response_profile.check_response(load(IG / "Bundle-ReferralPendingAuthorizationResponseBundleExample.json"),
                                    strict=True, request_sequences=[1, 2])
    text = " ".join(i.diagnostics for i in issues)
    assert "preAuthRef" in text and "claimResponseReviewer" in text and "do not echo" in text
