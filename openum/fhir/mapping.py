"""A PAS Claim bundle as the one intake command (SubmitRequest), and where each field came from."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from openum.fhir import codes as c
from openum.fhir import dtr
from openum.fhir.echo import ClaimEcho, Parties
from openum.fhir.elements import (
    codes,
    codings,
    ext_codes,
    extensions,
    identifier_key,
    same_system,
    to_date,
)
from openum.fhir.outcome import FhirError, Issue
from openum.fhir.parse import BundleView, Entry, fhirpath
from openum.fhir.people import care_team, member, npi_of, parties, plan_hint
from openum.intake.schemas import SubmitRequest
from openum.packs.registry import PackRegistry
from openum.vocabulary import RequestKind, Urgency

JSON = dict[str, Any]
CLAIM = "Bundle.entry[0].resource"

_CODE_SYSTEMS = {
    "http://www.ama-assn.org/go/cpt": "CPT",
    "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets": "HCPCS",
    "https://bluebutton.cms.gov/resources/codesystem/hcpcs": "HCPCS",
    "http://hl7.org/fhir/sid/ndc": "NDC",
    "https://www.nubc.org/CodeSystem/RevenueCodes": "REV",
    "http://www.cms.gov/Medicare/Coding/ICD10": "ICD-10-PCS",
    "http://hl7.org/fhir/sid/icd-10-pcs": "ICD-10-PCS",
}
# Place of service (CMS) -> the settings authorization rules care about.
_POS_SETTING = {"11": "office", "12": "home", "19": "outpatient", "21": "inpatient",
                "22": "outpatient", "23": "emergency", "24": "surgical_day_care", "31": "snf",
                "32": "snf", "51": "inpatient", "55": "residential", "56": "residential",
                "61": "inpatient", "81": "outpatient"}
_ENCOUNTER_SETTING = {"IMP": "inpatient", "ACUTE": "inpatient", "NONAC": "inpatient",
                      "EMER": "emergency", "OBSENC": "observation", "HH": "home"}
_MAX_KEY = 200  # the width of authorization_requests.idempotency_key


@dataclass(frozen=True)
class Mapped:
    """The intake command and what the answer must repeat."""

    cmd: SubmitRequest
    idempotency_key: str
    echo: ClaimEcho
    parties: Parties


def idempotency_key(bundle: JSON) -> str:
    """Bundle.identifier (system|value): a re-sent bundle must find the authorization it created."""
    key = identifier_key(bundle.get("identifier")) or ""
    if len(key) > _MAX_KEY:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def _encounter(view: BundleView, claim: Entry) -> Entry | None:
    for ext in extensions(claim.raw, c.EXT_CLAIM_ENCOUNTER):
        found = view.resolve((ext.get("valueReference") or {}).get("reference"), claim)
        if found is not None and found.type == "Encounter":
            return found
    return None


def _admission(claim: Entry, encounter: Entry | None) -> tuple[date | None, int | None]:
    """Admission date and requested length of stay (days), from admissionDates or the Encounter."""
    for info in claim.raw.get("supportingInfo") or []:
        if "admissionDates" in codes((info or {}).get("category"), c.PAS_TEMP_CODES):
            period = info.get("timingPeriod") or {}
            start = to_date(info.get("timingDate")) or to_date(period.get("start"))
            end = to_date(period.get("end"))
            return start, ((end - start).days or 1) if start and end and end >= start else None
    if encounter is not None:
        period = encounter.raw.get("period") or {}
        start, end = to_date(period.get("start")), to_date(period.get("end"))
        return start, ((end - start).days or 1) if start and end and end >= start else None
    return None, None


def _setting(claim: Entry, encounter: Entry | None) -> str | None:
    if encounter is not None:
        klass = (encounter.raw.get("class") or {}).get("code")
        if klass in _ENCOUNTER_SETTING:
            return _ENCOUNTER_SETTING[klass]
    items = [i for i in claim.raw.get("item") or [] if isinstance(i, dict)]
    if any("AR" in ext_codes(i, c.EXT_REQUEST_TYPE, c.X12_REQUEST_TYPE) for i in items):
        return "inpatient"  # UM01 AR: admission review
    for item in items:
        pos = codes(item.get("locationCodeableConcept"))
        if pos and pos[0] in _POS_SETTING:
            return _POS_SETTING[pos[0]]
    return None


def cancelled(item: JSON) -> bool:
    """An item the requester withdrew: infoCancelled, or certificationType 3 (cancel)."""
    flagged = any(e.get("valueBoolean") is True
                  for e in extensions(item, c.EXT_INFO_CANCELLED, modifier=True))
    return flagged or c.CANCEL in ext_codes(item, c.EXT_CERTIFICATION_TYPE, c.X12_CERTIFICATION_TYPE)


def kind(items: list[JSON]) -> RequestKind:
    """UM02: 1/2 appeal, 4 extension (concurrent); initial, renewal and revised are pre-service."""
    certs = {x for i in items for x in ext_codes(i, c.EXT_CERTIFICATION_TYPE, c.X12_CERTIFICATION_TYPE)}
    if certs & {"1", "2"}:
        return RequestKind.APPEAL
    if "4" in certs:
        return RequestKind.CONCURRENT
    return RequestKind.PRE_SERVICE


def _product(item: JSON) -> tuple[str | None, str | None]:
    """(code, OpenUM code system) of the item: a known billing system first, any coding else."""
    found = codings(item.get("productOrService"))
    for coding in found:
        for system, ours in _CODE_SYSTEMS.items():
            if same_system(coding.get("system"), system) and coding.get("code"):
                code = str(coding["code"])
                # HCPCS level I is CPT: a five-digit HCPCS code is a CPT code.
                return code, "CPT" if ours == "HCPCS" and code.isdigit() else ours
    first = next((x for x in found if x.get("code")), None)
    return (str(first["code"]), None) if first else (None, None)


def _dates(view: BundleView, claim: Entry, item: JSON) -> tuple[date | None, date | None]:
    if item.get("servicedDate"):
        day = to_date(item["servicedDate"])
        return day, day
    if item.get("servicedPeriod"):
        return to_date(item["servicedPeriod"].get("start")), to_date(item["servicedPeriod"].get("end"))
    for ext in extensions(item, c.EXT_REQUESTED_SERVICE):
        asked = view.resolve((ext.get("valueReference") or {}).get("reference"), claim)
        if asked is not None:
            if asked.raw.get("occurrenceDateTime"):
                day = to_date(asked.raw["occurrenceDateTime"])
                return day, day
            period = asked.raw.get("occurrencePeriod") or {}
            if period:
                return to_date(period.get("start")), to_date(period.get("end"))
    return None, None


def _units(item: JSON) -> int:
    value = (item.get("quantity") or {}).get("value")
    # X12 quantities may be fractional; intake counts whole units, so round up.
    return max(1, math.ceil(value)) if isinstance(value, int | float) else 1


def service_lines(view: BundleView, claim: Entry) -> tuple[list[JSON], list[int], dict[str, str]]:
    """Service lines of the items not cancelled, their Claim sequences, and each field's origin."""
    lines: list[JSON] = []
    sequences: list[int] = []
    origin: dict[str, str] = {}
    for i, item in enumerate(claim.raw.get("item") or []):
        if not isinstance(item, dict) or cancelled(item):
            continue
        at, n = f"{CLAIM}.item[{i}]", len(lines)
        code, system = _product(item)
        start, end = _dates(view, claim, item)
        line: JSON = {"code": code, "code_system": system, "units": _units(item),
                      "from_date": start, "to_date": end,
                      "modifiers": [m for x in item.get("modifier") or [] for m in codes(x)][:4],
                      "place_of_service": next(iter(codes(item.get("locationCodeableConcept"))), None)}
        lines.append({k: v for k, v in line.items() if v is not None})
        sequences.append(int(item.get("sequence") or n + 1))
        origin.update({f"service_lines.{n}.code": f"{at}.productOrService",
                       f"service_lines.{n}.code_system": f"{at}.productOrService",
                       f"service_lines.{n}.units": f"{at}.quantity",
                       f"service_lines.{n}.modifiers": f"{at}.modifier",
                       f"service_lines.{n}.from_date": f"{at}.serviced",
                       f"service_lines.{n}.to_date": f"{at}.serviced",
                       f"service_lines.{n}.place_of_service": f"{at}.locationCodeableConcept",
                       f"service_lines.{n}": at})
    return lines, sequences, origin


def diagnoses(claim: Entry) -> tuple[list[str], dict[str, str]]:
    """Diagnosis codes in Claim.diagnosis.sequence order (ICD-10-CM preferred), with origins."""
    found = sorted(((d.get("sequence") or 0, i, d) for i, d in enumerate(claim.raw.get("diagnosis") or [])
                    if isinstance(d, dict)), key=lambda t: (t[0], t[1]))
    out: list[str] = []
    origin: dict[str, str] = {}
    for _, i, dx in found:
        concept = dx.get("diagnosisCodeableConcept")
        code = next(iter(codes(concept, c.ICD10CM) or codes(concept)), None)
        if code:
            origin[f"diagnoses.{len(out)}"] = f"{CLAIM}.diagnosis[{i}].diagnosisCodeableConcept"
            out.append(code)
    return out, origin


def attachments(view: BundleView, claim: Entry) -> tuple[list[JSON], dict[str, str], list[str]]:
    """Documents sent inline (base64), with their origin, and the text of free-form messages."""
    out: list[JSON] = []
    origin: dict[str, str] = {}
    notes: list[str] = []
    for i, info in enumerate(claim.raw.get("supportingInfo") or []):
        if not isinstance(info, dict):
            continue
        if isinstance(info.get("valueString"), str):
            notes.append(info["valueString"])
        found: list[tuple[JSON, str, str | None]] = []
        if isinstance(info.get("valueAttachment"), dict):
            found.append((info["valueAttachment"], f"{CLAIM}.supportingInfo[{i}].valueAttachment", None))
        doc = view.resolve((info.get("valueReference") or {}).get("reference"), claim)
        if doc is not None and doc.type == "DocumentReference":
            for k, content in enumerate(doc.raw.get("content") or []):
                att = (content or {}).get("attachment") or {}
                found.append((att, f"Bundle.entry[{doc.index}].resource.content[{k}].attachment",
                              doc.raw.get("id")))
        for att, at, doc_id in found:
            if not att.get("data"):
                continue  # sent by URL only: nothing to store; the reviewer can ask for it
            n = len(out)
            name = att.get("title") or f"{doc_id or 'attachment'}-{n + 1}"
            out.append({"kind": "clinical_documentation", "filename": str(name)[:255],
                        "content_type": att.get("contentType") or "application/octet-stream",
                        "content_base64": att["data"]})
            origin[f"attachments.{n}"] = at
    return out, origin, notes


def item_sequences(claim: Entry) -> list[int]:
    """Claim.item.sequence of every item, in item order."""
    return [int(i.get("sequence") or n + 1) for n, i in enumerate(claim.raw.get("item") or [])
            if isinstance(i, dict)]


def echo(view: BundleView, claim: Entry, sequences: list[int]) -> ClaimEcho:
    """What the answer repeats from this Claim: identifiers, type, item numbers, trace numbers."""
    traces: dict[str, list[JSON]] = {}
    for item in claim.raw.get("item") or []:
        found = [e["valueIdentifier"] for e in extensions(item, c.EXT_ITEM_TRACE_NUMBER)
                 if isinstance(e.get("valueIdentifier"), dict)]
        if found and isinstance(item, dict):
            traces[str(item.get("sequence"))] = found
    return ClaimEcho(identifiers=list(claim.raw.get("identifier") or []),
                     claim_type=claim.raw.get("type") or {}, sequences=sequences,
                     trace_numbers=traces, claim_id=claim.raw.get("id"),
                     bundle_identifier=view.raw.get("identifier"))


def to_submit(view: BundleView, registry: PackRegistry) -> Mapped:
    """The SubmitRequest for a PAS request bundle that passed the profile rules."""
    claim = view.entries[0]
    member_ref, origin = member(view, claim)
    lines, sequences, more = service_lines(view, claim)
    origin.update(more)
    dx, more = diagnoses(claim)
    origin.update(more)
    docs, more, notes = attachments(view, claim)
    origin.update(more)
    encounter = _encounter(view, claim)
    admission, stay = _admission(claim, encounter)
    servicing, facility = care_team(view, claim)
    level = ext_codes(claim.raw, c.EXT_LEVEL_OF_SERVICE, c.X12_LEVEL_OF_SERVICE)
    items = [i for i in claim.raw.get("item") or [] if isinstance(i, dict) and not cancelled(i)]
    body: JSON = {
        "plan_id": plan_hint(view, claim, registry),
        "kind": kind(items),
        "urgency": Urgency.URGENT if set(level) & c.URGENT_LEVELS else Urgency.NON_URGENT,
        "member": member_ref,
        "requesting_provider_npi": npi_of(view, view.resolve(
            (claim.raw.get("provider") or {}).get("reference"), claim)),
        "servicing_provider_npi": servicing,
        "facility_npi": facility,
        "setting": _setting(claim, encounter),
        "service_lines": lines,
        "diagnoses": dx,
        "admission_date": admission,
        "requested_length_of_stay": stay,
        "clinical_indications": "\n\n".join(notes) or None,
        "attachments": docs,
        "clinical_facts": dtr.clinical_facts(view, claim, registry),  # DTR QuestionnaireResponses
    }
    origin.update({"requesting_provider_npi": f"{CLAIM}.provider",
                   "servicing_provider_npi": f"{CLAIM}.careTeam", "facility_npi": f"{CLAIM}.careTeam",
                   "diagnoses": f"{CLAIM}.diagnosis", "service_lines": f"{CLAIM}.item",
                   "attachments": f"{CLAIM}.supportingInfo",
                   "clinical_indications": f"{CLAIM}.supportingInfo",
                   "requested_length_of_stay": f"{CLAIM}.supportingInfo",
                   "clinical_facts": "Bundle.entry (QuestionnaireResponse)"})
    try:
        cmd = SubmitRequest.model_validate({k: v for k, v in body.items() if v is not None})
    except ValidationError as exc:
        raise FhirError(422, [_located(err, origin) for err in exc.errors()]) from exc
    return Mapped(cmd, idempotency_key(view.raw), echo(view, claim, sequences), parties(view, claim))


def _located(err: Any, origin: dict[str, str]) -> Issue:
    """A SubmitRequest error placed on the FHIR element the value came from."""
    loc = [str(p) for p in err["loc"]]
    where = None
    for n in range(len(loc), 0, -1):
        where = origin.get(".".join(loc[:n]))
        if where:
            break
    return Issue(f"{'.'.join(loc)}: {err['msg']}", where or fhirpath(CLAIM, []), code="value")
