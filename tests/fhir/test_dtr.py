"""DTR: each criteria policy as a Questionnaire; a complete, met QuestionnaireResponse sent with a
PAS request is approved automatically within the one Claim/$submit (A1)."""

from __future__ import annotations

import copy
from typing import Any

from openum.fhir import dtr, parse, response_profile
from openum.fhir.codes import POS
from tests.fhir.bundles import item, pas_bundle
from tests.fhir.conftest import Fhir

PHC_COVERAGE = {"resourceType": "Coverage", "status": "active", "subscriberId": "PHC100101",
                "beneficiary": {"reference": "Patient/p1"}, "payor": [{"display": "Partnership HealthPlan"}]}


def _order(code: str, system: str = "http://www.ama-assn.org/go/cpt") -> dict[str, Any]:
    return {"resourceType": "ServiceRequest", "status": "draft", "intent": "order",
            "subject": {"reference": "Patient/p1"}, "code": {"coding": [{"system": system, "code": code}]}}


def _package(fhir: Fhir, *orders: dict[str, Any], coverage: dict[str, Any] | None = PHC_COVERAGE,
             user: str = "provider-phc") -> dict[str, Any]:
    params: list[dict[str, Any]] = [{"name": "order", "resource": o} for o in orders]
    if coverage:
        params.append({"name": "coverage", "resource": coverage})
    r = fhir.post("Questionnaire/$questionnaire-package", {"resourceType": "Parameters", "parameter": params},
                  user=user)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _questionnaires(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for p in answer["parameter"] if p["name"] == "PackageBundle"
            for e in p["resource"]["entry"]]


def test_policy_becomes_a_questionnaire_of_what_the_request_cannot_answer(fhir: Fhir) -> None:
    [q] = _questionnaires(_package(fhir, _order("72148")))
    assert q["url"] == f"{dtr.CANONICAL}/partnership-medi-cal-lumbar-spine-mri" and q["version"]
    links = [i["linkId"] for i in q["item"]]
    # Setting, diagnoses and units come with the request: not asked.
    assert links == ["answers.red-flag-signs", "answers.progressive-deficit", "prior_treatments",
                     "answers.intervention-candidate", "answers.post-surgical-new-symptoms"]
    assert all(i["type"] == "boolean" for i in q["item"] if i["linkId"].startswith("answers."))
    pt = next(i for i in q["item"] if i["linkId"] == "prior_treatments")
    assert pt["repeats"] is True and [x["linkId"] for x in pt["item"]] == [
        "prior_treatments.name", "prior_treatments.treatment_class", "prior_treatments.outcome",
        "prior_treatments.duration_days"]
    # Findings carry their unit; the same finding is asked once.
    [cpap] = _questionnaires(_package(fhir, _order("E0601", "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets")))
    ahi = [i for i in cpap["item"] if i["linkId"] == "finding.ahi"]
    assert len(ahi) == 1 and ahi[0]["type"] == "quantity"
    assert ahi[0]["extension"][0]["valueCoding"]["code"] == "events/hour"
    # R4 structure.
    _, problems = parse.bundle({"resourceType": "Bundle", "type": "collection",
                                "entry": [{"fullUrl": q["url"], "resource": q},
                                          {"fullUrl": cpap["url"], "resource": cpap}]})
    assert problems == [], [p.to_fhir() for p in problems]


def test_no_policy_no_questionnaire_and_unknown_member_asks_every_plan(fhir: Fhir) -> None:
    none = _package(fhir, _order("99213"))
    assert [p["name"] for p in none["parameter"]] == ["outcome"]
    both = _questionnaires(_package(fhir, _order("72148"), coverage=None))
    assert {q["id"] for q in both} == {"allways-commercial-lumbar-spine-mri", "partnership-medi-cal-lumbar-spine-mri"}


def _qr(answers: dict[str, bool], treatments: list[dict[str, Any]]) -> dict[str, Any]:
    items: list[dict[str, Any]] = [{"linkId": f"answers.{k}", "answer": [{"valueBoolean": v}]}
                                   for k, v in answers.items()]
    for t in treatments:
        items.append({"linkId": "prior_treatments", "item": [
            {"linkId": "prior_treatments.name", "answer": [{"valueString": t["name"]}]},
            {"linkId": "prior_treatments.treatment_class", "answer": [{"valueCoding": {"code": t["treatment_class"]}}]},
            {"linkId": "prior_treatments.outcome", "answer": [{"valueCoding": {"code": t["outcome"]}}]},
            {"linkId": "prior_treatments.duration_days", "answer": [{"valueInteger": t["duration_days"]}]}]})
    return {"resourceType": "QuestionnaireResponse", "id": "dtr-1", "meta": {"profile": [dtr.DTR_QR]},
            "questionnaire": f"{dtr.CANONICAL}/partnership-medi-cal-lumbar-spine-mri", "status": "completed",
            "subject": {"reference": "Patient/p1"}, "item": items}


MRI_MET = {"red-flag-signs": False, "progressive-deficit": False, "intervention-candidate": True,
           "post-surgical-new-symptoms": False}
CONSERVATIVE = [{"name": "physical therapy", "treatment_class": "physical_therapy", "outcome": "failed",
                 "duration_days": 56},
                {"name": "naproxen", "treatment_class": "nsaid", "outcome": "ineffective", "duration_days": 60}]


def _mri_bundle(qr: dict[str, Any] | None, ident: str, by_reference: bool) -> dict[str, Any]:
    bundle = pas_bundle(ident=ident, member_id="PHC100101", first="Rosa", last="Hernandez", birth="1968-04-12",
                        requesting="1588139984", servicing="1866283603", facility=None, admission=None,
                        diagnoses=("M54.16",), items=[item(1, "72148", "2026-12-07", "11")],
                        claim_id=f"mri-{ident}")
    bundle["entry"][0]["resource"]["item"][0]["locationCodeableConcept"] = {"coding": [{"system": POS, "code": "11"}]}
    payer = next(e["resource"] for e in bundle["entry"] if e["resource"].get("id") == "payer")
    payer["name"] = "Partnership HealthPlan of California"
    if qr is not None:
        bundle["entry"].append({"fullUrl": "http://ehr.example.org/fhir/QuestionnaireResponse/dtr-1", "resource": qr})
        if by_reference:
            bundle["entry"][0]["resource"].setdefault("supportingInfo", []).append(
                {"sequence": 9, "category": {"coding": [{"system": "http://hl7.org/us/davinci-pas/CodeSystem/PASSupportingInfoType",
                                                         "code": "questionnaire"}]},
                 "valueReference": {"reference": "QuestionnaireResponse/dtr-1"}})
    return bundle


def _actions(bundle: dict[str, Any]) -> list[str]:
    cr = bundle["entry"][0]["resource"]
    return [x["valueCodeableConcept"]["coding"][0]["code"] for it in cr["item"]
            for x in it["adjudication"][0]["extension"][0]["extension"] if x["url"].endswith("Code")]


def test_complete_met_answers_are_approved_automatically_in_one_submit(fhir: Fhir) -> None:
    request = _mri_bundle(_qr(MRI_MET, CONSERVATIVE), "dtr-met", by_reference=True)
    r = fhir.submit(request, user="provider-phc")
    assert r.status_code == 200, r.text
    answer = r.json()
    assert _actions(answer) == ["A1"], answer["entry"][0]["resource"].get("processNote")
    cr = answer["entry"][0]["resource"]
    assert cr["preAuthRef"].startswith("PHC-") and cr["preAuthPeriod"]["start"] == "2026-12-07"
    assert cr["extension"][0]["extension"][0] == {"url": "wasHumanReviewedFlag", "valueBoolean": False}
    problems = response_profile.check_response(answer, strict=True, request_sequences=[1])
    assert problems == [], [p.to_fhir() for p in problems]


def test_answers_as_a_bundle_entry_alone_feed_the_criteria_too(fhir: Fhir) -> None:
    r = fhir.submit(_mri_bundle(_qr(MRI_MET, CONSERVATIVE), "dtr-entry", by_reference=False), user="provider-phc")
    assert r.status_code == 200, r.text and _actions(r.json()) == ["A1"]


def test_unmet_or_missing_answers_pend_never_deny(fhir: Fhir) -> None:
    short = copy.deepcopy(CONSERVATIVE)
    for t in short:
        t["duration_days"] = 10  # under the 6 weeks the policy asks
    r = fhir.submit(_mri_bundle(_qr(MRI_MET, short), "dtr-short", by_reference=True), user="provider-phc")
    assert r.status_code == 200, r.text
    assert _actions(r.json()) == ["A4"]
    r = fhir.submit(_mri_bundle(None, "dtr-none", by_reference=False), user="provider-phc")
    assert _actions(r.json()) == ["A4"]


def test_facts_from_answers_map_findings_with_units() -> None:
    from openum.packs.registry import PackRegistry
    from openum.settings import REPO_ROOT

    qr = {"resourceType": "QuestionnaireResponse", "item": [
        {"linkId": "finding.ahi", "answer": [{"valueQuantity": {"value": 22, "unit": "events/hour"}}]},
        {"linkId": "finding.bmi", "answer": [{"valueDecimal": 31}]},
        {"linkId": "answers.instructed-in-use", "answer": [{"valueBoolean": True}]},
        {"linkId": "level_of_care", "answer": [{"valueCoding": {"code": "3.5"}}]}]}
    facts = dtr.facts_from([qr], PackRegistry.from_dir(REPO_ROOT / "packs"))
    assert facts == {"findings": {"ahi": {"value": 22, "unit": "events/hour"}, "bmi": {"value": 31, "unit": "kg/m2"}},
                     "answers": {"instructed-in-use": True}, "level_of_care": "3.5"}
