"""PAS bundles for tests: the shared conformance examples, and bundles built from factories data."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from openum.fhir import codes as c
from tests.factories import AWH_KNEE, CLINICAL_PDF

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "pas"
IG = CONFORMANCE / "ig-2.2.1"
INFERNO = CONFORMANCE / "inferno-test-kit"

# SOURCES.md: the IG examples profiled PASRequestBundle (the update needs its original first).
IG_REQUESTS = ["Bundle-HomecareAuthorizationBundleExample.json",
               "Bundle-MedicalServicesAuthorizationBundleExample.json",
               "Bundle-ReferralAuthorizationBundleExample.json",
               "Bundle-SurgicalRequestBundleExample.json"]
IG_UPDATE = "Bundle-HomecareAuthorizationUpdateBundleExample.json"
IG_INQUIRY = "Bundle-PASClaimInquiryBundleExample.json"
IG_RESPONSES = ["Bundle-ErrorResponseBundleExample.json",
                "Bundle-ReferralAuthorizationResponseBundleExample.json",
                "Bundle-ReferralPendingAuthorizationResponseBundleExample.json",
                "Bundle-RejectionResponseBundleExample.json"]
IG_INQUIRY_RESPONSES = ["Bundle-PASClaimInquiryResponseBundleExample.json"]
INFERNO_VALID = {"valid_pa_response_bundle.json": False, "valid_pa_response_bundle_denial.json": False,
                 "valid_pa_inquire_response_bundle.json": True}  # file -> is an inquiry response

CPT = "http://www.ama-assn.org/go/cpt"
EXT = c.SD + "/extension-"


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def _cc(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _item(seq: int, code: str, day: str, pos: str, units: int = 1, cert: str = "I",
          request_type: str = "HS") -> dict[str, Any]:
    return {"extension": [
        {"url": c.EXT_REQUEST_TYPE, "valueCodeableConcept": _cc(c.X12_REQUEST_TYPE, request_type)},
        {"url": c.EXT_CERTIFICATION_TYPE, "valueCodeableConcept": _cc(c.X12_CERTIFICATION_TYPE, cert)},
        {"url": c.EXT_ITEM_TRACE_NUMBER, "valueIdentifier": {"system": "urn:trn:test", "value": f"T{seq}"}}],
        "sequence": seq, "category": _cc(c.X12_SERVICE_TYPE, "2"),
        "productOrService": _cc(CPT, code), "servicedDate": day,
        "locationCodeableConcept": _cc(c.POS, pos), "quantity": {"value": units}}


def pas_bundle(*, ident: str = "T-1", member_id: str = "AWH200101", first: str = "Michael",
               last: str = "O'Neil", birth: str = "1971-02-14", requesting: str = "2547517799",
               servicing: str = "1226468613", facility: str | None = "1579906599",
               items: list[dict[str, Any]] | None = None, diagnoses: tuple[str, ...] = ("M17.11",),
               urgent: bool = False, admission: tuple[str, str] | None = ("2026-12-14", "2026-12-16"),
               note: str | None = AWH_KNEE["clinical_indications"], document: str | None = CLINICAL_PDF,
               claim_id: str = "knee-1") -> dict[str, Any]:
    """A PAS request bundle for a member of the reference packs (defaults: AWH_KNEE)."""
    base = "http://ehr.example.org/fhir"
    claim: dict[str, Any] = {
        "resourceType": "Claim", "id": claim_id, "meta": {"profile": [c.PROFILE_CLAIM]},
        "extension": [{"url": c.EXT_LEVEL_OF_SERVICE,
                       "valueCodeableConcept": _cc(c.X12_LEVEL_OF_SERVICE, "U" if urgent else "E")}],
        "identifier": [{"system": "urn:trnorg:2547517799", "value": f"claim-{ident}"}],
        "status": "active", "type": _cc(c.CLAIM_TYPE, "institutional" if admission else "professional"),
        "use": "preauthorization", "patient": {"reference": "Patient/p1"},
        "created": "2026-11-18T12:00:00-05:00", "insurer": {"reference": "Organization/payer"},
        "provider": {"reference": "Practitioner/pcp"},
        "priority": _cc("http://terminology.hl7.org/CodeSystem/processpriority", "normal"),
        "careTeam": [{"sequence": 1, "provider": {"reference": "Practitioner/surgeon"},
                      "extension": [{"url": EXT + "careTeamClaimScope", "valueBoolean": True}]}],
        "diagnosis": [{"sequence": i + 1, "diagnosisCodeableConcept": _cc(c.ICD10CM, dx)}
                      for i, dx in enumerate(diagnoses)],
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/cov"}}],
        "item": items or [_item(1, "27447", "2026-12-14", "21")],
        "supportingInfo": [],
    }
    entries: list[tuple[str, dict[str, Any]]] = [
        ("Patient/p1", {"resourceType": "Patient", "id": "p1",
                        "identifier": [{"type": _cc(c.IDENTIFIER_TYPE, "MB"), "system": "urn:awh:member",
                                        "value": member_id}],
                        "name": [{"family": last, "given": [first]}], "birthDate": birth}),
        ("Coverage/cov", {"resourceType": "Coverage", "id": "cov", "status": "active",
                          "subscriberId": member_id, "beneficiary": {"reference": "Patient/p1"},
                          "relationship": _cc("http://terminology.hl7.org/CodeSystem/subscriber-relationship",
                                              "self"),
                          "payor": [{"reference": "Organization/payer"}]}),
        ("Organization/payer", {"resourceType": "Organization", "id": "payer",
                                "name": "AllWays Health Partners"}),
        ("Practitioner/pcp", {"resourceType": "Practitioner", "id": "pcp",
                              "identifier": [{"system": c.NPI, "value": requesting}]}),
        ("Practitioner/surgeon", {"resourceType": "Practitioner", "id": "surgeon",
                                  "identifier": [{"system": c.NPI, "value": servicing}]}),
    ]
    if facility:
        claim["careTeam"].append({"sequence": 2, "provider": {"reference": "Organization/hospital"},
                                  "role": _cc("https://codesystem.x12.org/005010/98", "FA"),
                                  "extension": [{"url": EXT + "careTeamClaimScope", "valueBoolean": True}]})
        entries.append(("Organization/hospital", {"resourceType": "Organization", "id": "hospital",
                                                  "identifier": [{"system": c.NPI, "value": facility}]}))
    if admission:
        claim["extension"].append({"url": c.EXT_CLAIM_ENCOUNTER,
                                   "valueReference": {"reference": "Encounter/stay"}})
        claim["supportingInfo"].append({"sequence": 1, "category": _cc(c.PAS_TEMP_CODES, "admissionDates"),
                                        "timingPeriod": {"start": admission[0], "end": admission[1]}})
        entries.append(("Encounter/stay", {"resourceType": "Encounter", "id": "stay", "status": "planned",
                                           "class": {"system": c.ACT_CODE, "code": "IMP"},
                                           "subject": {"reference": "Patient/p1"},
                                           "period": {"start": admission[0], "end": admission[1]}}))
    if note:
        claim["supportingInfo"].append({"sequence": 2, "category": _cc(c.PAS_TEMP_CODES, "freeFormMessage"),
                                        "valueString": note})
    if document:
        claim["supportingInfo"].append({"sequence": 3,
                                        "category": _cc(c.PAS_TEMP_CODES, "additionalInformation"),
                                        "valueReference": {"reference": "DocumentReference/notes"}})
        entries.append(("DocumentReference/notes", {
            "resourceType": "DocumentReference", "id": "notes", "status": "current",
            "subject": {"reference": "Patient/p1"},
            "content": [{"attachment": {"contentType": "application/pdf", "title": "notes.pdf",
                                        "data": document}}]}))
    if not claim["supportingInfo"]:
        del claim["supportingInfo"]
    return {"resourceType": "Bundle", "meta": {"profile": [c.PROFILE_REQUEST_BUNDLE]},
            "identifier": {"system": "urn:ehr:transactions", "value": ident}, "type": "collection",
            "timestamp": "2026-11-18T12:00:00-05:00",
            "entry": [{"fullUrl": f"{base}/Claim/{claim_id}", "resource": claim}]
            + [{"fullUrl": f"{base}/{ref}", "resource": res} for ref, res in entries]}


def item(seq: int, code: str, day: str = "2026-12-07", pos: str = "11", **kw: Any) -> dict[str, Any]:
    return _item(seq, code, day, pos, **kw)


def inquiry_for(bundle: dict[str, Any], ident: str = "Q-1") -> dict[str, Any]:
    """An inquiry bundle asking about the request in `bundle` (same patient and provider)."""
    out = copy.deepcopy(bundle)
    claim = out["entry"][0]["resource"]
    claim["meta"] = {"profile": [c.PROFILE_CLAIM_INQUIRY]}
    claim["identifier"] = [{"system": "urn:trnorg:2547517799", "value": f"inq-{ident}"}]
    out["meta"] = {"profile": [c.PROFILE_INQUIRY_REQUEST_BUNDLE]}
    out["identifier"] = {"system": "urn:ehr:transactions", "value": ident}
    return out
