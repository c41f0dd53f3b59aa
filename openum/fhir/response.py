"""The PAS Response Bundle for a request: review action per item, exactly as X12 306 defines them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openum.fhir import codes as c
from openum.fhir.codes import REVIEW_ACTION_DISPLAY, ReviewAction
from openum.fhir.echo import UPDATE_EVENT, ClaimEcho, Parties, Party
from openum.intake.schemas import RequestOut, ServiceLineOut
from openum.intake.status import DECIDED_STATUSES, OPEN_STATUSES, Status

JSON = dict[str, Any]
A = ReviewAction
_NS = uuid.UUID("6f1c2a4e-3b0d-4d5e-9a7c-0e5b8f1d2c3a")  # fixed: a request's resources keep their URLs
_SYSTEM_URL = {"CPT": "http://www.ama-assn.org/go/cpt",
               "HCPCS": "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
               "REV": "https://www.nubc.org/CodeSystem/RevenueCodes", "NDC": "http://hl7.org/fhir/sid/ndc",
               "ICD-10-PCS": "http://www.cms.gov/Medicare/Coding/ICD10"}
_NO_AUTH = {"no_authorization_needed", "notification_requested"}
_ELSEWHERE = {"delegated", "not_plan_responsibility"}
_GRANTED = {A.CERTIFIED, A.CERTIFIED_PARTIAL, A.MODIFIED}


@dataclass(frozen=True)
class ItemAnswer:
    """The answer for one Claim item: its sequence, review action and (when known) our line."""

    sequence: int
    action: ReviewAction
    line: ServiceLineOut | None = None
    note: str | None = None


def urn(*parts: str) -> str:
    """A stable urn:uuid for a resource we generate, from what it is about."""
    return f"urn:uuid:{uuid.uuid5(_NS, '/'.join(parts))}"


def _coverage_line(out: RequestOut, line: ServiceLineOut) -> JSON:
    return next((x for x in out.coverage.get("lines") or [] if x.get("code") == line.code), {})


def _closed(out: RequestOut, line: ServiceLineOut) -> tuple[ReviewAction, str | None]:
    """Closed without a decision: no authorization needed (NA), or handled elsewhere (CT)."""
    cov = _coverage_line(out, line)
    where = cov.get("delegated_to") or {}
    if line.delegated_to or cov.get("outcome") in _ELSEWHERE:
        if where:
            contact = ", ".join(str(v) for v in (where.get("phone"), where.get("website")) if v)
            return A.CONTACT_PAYER, (f"{line.code}: submit this request to {where.get('name')}"
                                     f"{f' ({contact})' if contact else ''}, which reviews it for the plan")
        carve = cov.get("carve_out") or {}
        return A.CONTACT_PAYER, (f"{line.code}: not covered by this plan; "
                                 f"{carve.get('instructions') or out.status_reason or 'contact the plan'}")
    if cov.get("outcome") in _NO_AUTH or line.requirement in ("none", "requested_notification"):
        return A.NO_ACTION_REQUIRED, f"{line.code}: no authorization is required"
    return A.CONTACT_PAYER, f"{line.code}: closed ({out.status_reason or 'no reason recorded'}); contact the plan"


def line_action(out: RequestOut, line: ServiceLineOut) -> tuple[ReviewAction, str | None]:
    """The review action for one of our lines, and the line's note if it needs one."""
    status = Status(out.status)
    if status in OPEN_STATUSES:
        return A.PENDED, None
    if status in (Status.WITHDRAWN, Status.VOIDED):
        return A.CANCELLED, None
    if status is Status.DENIED:
        return A.NOT_CERTIFIED, None
    if status is Status.CLOSED:
        return _closed(out, line)
    decision = (line.decision or "").lower()
    if decision in ("denied", "not_certified"):
        return A.NOT_CERTIFIED, None
    if decision == "modified" or _dates_changed(line):
        return A.MODIFIED, None
    if line.approved_units is not None and line.approved_units < line.units:
        return A.CERTIFIED_PARTIAL, None
    if status is Status.APPROVED or decision in ("approved", "certified"):
        return A.CERTIFIED, None
    return A.CERTIFIED_PARTIAL, None  # a partial approval with no line detail


def _dates_changed(line: ServiceLineOut) -> bool:
    return (line.approved_from is not None and line.from_date is not None
            and line.approved_from != line.from_date) or (
        line.approved_to is not None and line.to_date is not None and line.approved_to != line.to_date)


def answers(out: RequestOut, echo: ClaimEcho | None) -> list[ItemAnswer]:
    """One answer per line, numbered as the Claim numbered its items when it came by PAS."""
    seqs = echo.sequences if echo and len(echo.sequences) == len(out.service_lines) else \
        [ln.sequence for ln in out.service_lines]
    cancelled, changed, added = _updates(out)
    is_open = Status(out.status) in OPEN_STATUSES
    found = []
    for seq, ln in zip(seqs, out.service_lines, strict=True):
        action, note = line_action(out, ln)
        if seq in cancelled:
            action, note = A.CANCELLED, f"item {seq} cancelled by the requester"
        elif seq in changed and is_open:
            action, note = A.PENDED, f"item {seq} changed by an update; pended for review"
        elif seq in changed:
            note = (f"an update changing item {seq} came after the decision and is not applied; "
                    "contact the plan")
        found.append(ItemAnswer(seq, action, ln, note))
    known = set(seqs)
    for seq, code in sorted(added.items()):
        if seq not in known and seq not in cancelled:
            found.append(ItemAnswer(seq, A.PENDED if is_open else A.CONTACT_PAYER, None,
                                    f"item {seq} ({code}) added by an update; "
                                    + ("pended for review" if is_open else "contact the plan")))
    return found


def _updates(out: RequestOut) -> tuple[set[int], set[int], dict[int, str]]:
    """Item sequences that PAS updates on the history cancelled, changed and added."""
    cancelled: set[int] = set()
    changed: set[int] = set()
    added: dict[int, str] = {}
    for ev in out.history:
        if ev.type != UPDATE_EVENT:
            continue
        cancelled |= {int(x["sequence"]) for x in ev.data.get("cancelled", []) if x.get("sequence")}
        changed |= {int(x["sequence"]) for x in ev.data.get("changed", []) if x.get("sequence")}
        added.update({int(x["sequence"]): str(x.get("code")) for x in ev.data.get("added", [])
                      if x.get("sequence")})
    return cancelled, changed, added


def _decided_on(out: RequestOut) -> date | None:
    for ev in reversed(out.history):
        if ev.type == "status_changed" and ev.to_status in (Status.APPROVED, Status.PARTIALLY_APPROVED):
            return ev.at.date()
    return None


def _period(start: date | None, end: date | None) -> JSON:
    return {k: v.isoformat() for k, v in (("start", start), ("end", end)) if v is not None}


def _review_action(action: ReviewAction, number: str) -> JSON:
    return {"url": c.EXT_REVIEW_ACTION, "extension": [
        {"url": "number", "valueString": number},
        {"url": c.EXT_REVIEW_ACTION_CODE, "valueCodeableConcept": {"coding": [
            {"system": c.X12_REVIEW_ACTION, "code": action.value,
             "display": REVIEW_ACTION_DISPLAY[action]}]}}]}


def _adjudication(action: ReviewAction, number: str) -> list[JSON]:
    return [{"category": {"coding": [{"system": c.ADJUDICATION, "code": "submitted"}]},
             "extension": [_review_action(action, number)]}]


def _product(line: ServiceLineOut) -> JSON:
    coding: JSON = {"code": line.code}
    if line.code_system in _SYSTEM_URL:
        coding = {"system": _SYSTEM_URL[line.code_system], "code": line.code}
    return {"coding": [coding]}


def _item(a: ItemAnswer, auth_id: str, echo: ClaimEcho | None, issued: date | None,
          note_no: int | None) -> JSON:
    ext: list[JSON] = [{"url": c.EXT_ITEM_TRACE_NUMBER, "valueIdentifier": t}
                       for t in (echo.trace_numbers.get(str(a.sequence), []) if echo else [])]
    ln = a.line
    if ln is not None and ln.from_date is not None:
        ext.append({"url": c.EXT_ITEM_REQUESTED_SERVICE_DATE,
                    "valuePeriod": _period(ln.from_date, ln.to_date or ln.from_date)})
    if ln is not None and a.action in _GRANTED:
        if issued:
            ext.append({"url": c.EXT_ITEM_PREAUTH_ISSUE_DATE, "valueDate": issued.isoformat()})
        if ln.approved_from or ln.approved_to:
            ext.append({"url": c.EXT_ITEM_PREAUTH_PERIOD,
                        "valuePeriod": _period(ln.approved_from, ln.approved_to)})
        if a.action is A.CERTIFIED_PARTIAL and ln.approved_units is not None:
            ext.append({"url": c.EXT_ITEM_AUTHORIZED_DETAIL, "extension": [
                {"url": "productOrServiceCode", "valueCodeableConcept": _product(ln)},
                {"url": "quantity", "valueQuantity": {"value": ln.approved_units}}]})
    item: JSON = {"itemSequence": a.sequence}
    if ext:
        item["extension"] = ext
    if note_no is not None:
        item["noteNumber"] = [note_no]
    item["adjudication"] = _adjudication(a.action, auth_id)
    return item


def _add_item(a: ItemAnswer, auth_id: str) -> JSON:
    """What was authorized instead of what was asked (A6), certified as authorized."""
    ln = a.line
    assert ln is not None
    added: JSON = {"itemSequence": [a.sequence], "productOrService": _product(ln),
                   "quantity": {"value": ln.approved_units if ln.approved_units is not None else ln.units}}
    if ln.approved_from or ln.approved_to:
        added["servicedPeriod"] = _period(ln.approved_from, ln.approved_to)
    added["adjudication"] = _adjudication(A.CERTIFIED, auth_id)
    return added


def _status_note(out: RequestOut, echo: ClaimEcho) -> str | None:
    status, reason = Status(out.status), out.status_reason or ""
    if status in OPEN_STATUSES and out.missing_items:
        return "Pended: information is missing: " + "; ".join(_missing(out, echo))
    if status is Status.DENIED:
        return f"Reason for denial: {reason or 'not recorded'}"
    if status in (Status.WITHDRAWN, Status.VOIDED):
        return f"Cancelled: {reason}" if reason else "Cancelled"
    if status is Status.PARTIALLY_APPROVED:
        return f"Partly approved: {reason}" if reason else None
    return reason or None


def _human(out: RequestOut) -> bool:
    """Whether a person made the decision: never for pends, closures or automatic outcomes."""
    det = out.determination or {}
    return Status(out.status) in DECIDED_STATUSES and not det.get("automatic", False)


def _reviewer(out: RequestOut) -> JSON:
    ext: list[JSON] = [{"url": "wasHumanReviewedFlag", "valueBoolean": _human(out)}]
    npi = (out.determination or {}).get("reviewer_npi")
    if npi and _human(out):
        ext.append({"url": "reviewerNPI", "valueIdentifier": {"system": c.NPI, "value": str(npi)}})
    return {"url": c.EXT_REVIEWER, "extension": ext}


def synthesized_parties(out: RequestOut, plan_name: str) -> Parties:
    """Patient, insurer and requestor built from our record, for requests that did not come by PAS."""
    auth, m = out.authorization_id, out.member
    patient: JSON = {"resourceType": "Patient", "id": "member"}
    if m.get("member_id"):
        patient["identifier"] = [{"type": {"coding": [{"system": c.IDENTIFIER_TYPE, "code": "MB"}]},
                                  "system": f"{c.OPENUM_MEMBER}/{out.plan_id}", "value": m["member_id"]}]
    name = {k: v for k, v in (("family", m.get("last_name")),
                              ("given", [m["first_name"]] if m.get("first_name") else None)) if v}
    if name:
        patient["name"] = [name]
    if m.get("birth_date"):
        patient["birthDate"] = str(m["birth_date"])
    insurer = {"resourceType": "Organization", "id": out.plan_id, "active": True, "name": plan_name,
               "identifier": [{"system": c.OPENUM_PLAN, "value": out.plan_id}]}
    requestor: JSON = {"resourceType": "Organization", "id": "requestor"}
    if out.requesting_provider_npi:
        requestor["identifier"] = [{"system": c.NPI, "value": out.requesting_provider_npi}]
    else:
        requestor["name"] = out.submitter_organization_id or "requesting provider"
    return Parties(Party(urn(auth, "patient"), patient), Party(urn(auth, "insurer"), insurer),
                   Party(urn(auth, "requestor"), requestor))


def synthesized_echo(out: RequestOut) -> ClaimEcho:
    """The Claim identity for a request that did not come by PAS: our ID and line numbers."""
    kind = "institutional" if out.setting == "inpatient" else "professional"
    return ClaimEcho(identifiers=[{"system": c.OPENUM_AUTHORIZATION, "value": out.authorization_id}],
                     claim_type={"coding": [{"system": c.CLAIM_TYPE, "code": kind}]},
                     sequences=[ln.sequence for ln in out.service_lines])


# Where a PAS requester supplies each piece of information intake found missing.
_FHIR_PLACE = {
    "member": "Patient (name, birthDate) and Coverage",
    "member.member_id": "Coverage.subscriberId or a member identifier (type MB)",
    "requesting_provider_npi": "Claim.provider (NPI identifier)",
    "servicing_provider_npi": "Claim.careTeam (the servicing practitioner's NPI)",
    "facility_npi": "Claim.careTeam (the facility's NPI, role FA)",
    "service_lines": "Claim.item",
    "diagnoses": "Claim.diagnosis (ICD-10-CM)",
    "clinical_indications": "Claim.supportingInfo (freeFormMessage)",
    "requested_length_of_stay": "Claim.supportingInfo (admissionDates period)",
    "proposed_procedure_date": "Claim.item.servicedDate",
    "attachments": "Claim.supportingInfo (additionalInformation DocumentReference)",
}
_ITEM_PLACE = {"code": "productOrService", "from_date": "servicedDate", "to_date": "servicedPeriod",
               "place_of_service": "locationCodeableConcept", "units": "quantity"}


def fhir_place(field: str, sequences: list[int]) -> str:
    """The PAS element that supplies an intake field (service_lines[i] is the i-th item)."""
    head, _, rest = field.partition(".")
    if head.startswith("service_lines[") and head.endswith("]"):
        i = int(head[len("service_lines["):-1])
        seq = sequences[i] if i < len(sequences) else i + 1
        return f"Claim.item (sequence {seq}).{_ITEM_PLACE.get(rest, rest)}".rstrip(".")
    if head.startswith("diagnoses["):
        return _FHIR_PLACE["diagnoses"]
    return _FHIR_PLACE.get(field) or _FHIR_PLACE.get(head) or field


def _missing(out: RequestOut, echo: ClaimEcho) -> list[str]:
    return [f"{m.message} ({fhir_place(m.field, echo.sequences)})" for m in out.missing_items]


def _communication_request(out: RequestOut, parties: Parties, now: datetime,
                           missing: list[str]) -> JSON:
    """What is missing, as the PAS CommunicationRequest the provider answers."""
    return {"resourceType": "CommunicationRequest", "id": f"{out.authorization_id}-info",
            "meta": {"profile": [c.PROFILE_COMMUNICATION_REQUEST]}, "status": "active",
            "subject": {"reference": parties.patient.reference},
            "sender": {"reference": parties.insurer.reference},
            "recipient": [{"reference": parties.requestor.reference}],
            "authoredOn": now.isoformat(),
            "payload": [{"contentString": text} for text in missing]}


def build(out: RequestOut, *, plan_name: str, now: datetime, echo: ClaimEcho | None = None,
          parties: Parties | None = None, items: list[ItemAnswer] | None = None,
          inquiry: bool = False, answering: JSON | None = None) -> JSON:
    """The PAS (inquiry) response bundle: ClaimResponse first, then the resources it references."""
    parties = parties or synthesized_parties(out, plan_name)
    echo = echo or synthesized_echo(out)
    items = items if items is not None else answers(out, echo)
    auth = out.authorization_id
    notes: list[JSON] = []
    status_note = _status_note(out, echo)
    if status_note:
        notes.append({"number": 1, "type": "display", "text": status_note})
    issued = _decided_on(out)
    out_items = []
    for a in items:
        note_no = None
        if a.note:
            note_no = len(notes) + 1
            notes.append({"number": note_no, "type": "display", "text": a.note})
        out_items.append(_item(a, auth, echo, issued, note_no))
    response: JSON = {
        "resourceType": "ClaimResponse", "id": auth,
        "meta": {"profile": [c.PROFILE_CLAIM_INQUIRY_RESPONSE if inquiry else c.PROFILE_CLAIM_RESPONSE]},
        "extension": [_reviewer(out)],
        "identifier": echo.identifiers or [{"system": c.OPENUM_AUTHORIZATION, "value": auth}],
        "status": "active", "type": echo.claim_type or {"coding": [{"system": c.CLAIM_TYPE,
                                                                     "code": "professional"}]},
        "use": "preauthorization",
        "patient": {"reference": parties.patient.reference},
        "created": now.isoformat(),
        "insurer": {"reference": parties.insurer.reference},
        "requestor": {"reference": parties.requestor.reference},
        "outcome": "complete",  # every item is answered; refusals are OperationOutcomes instead
        "preAuthRef": auth,
    }
    if echo.claim_id or echo.identifiers:
        request: JSON = {"type": "Claim"}
        if echo.claim_id:
            request["reference"] = f"Claim/{echo.claim_id}"
        if echo.identifiers:
            request["identifier"] = echo.identifiers[0]
        response["request"] = request
    granted = [a.line for a in items if a.action in _GRANTED and a.line is not None]
    starts = [ln.approved_from for ln in granted if ln.approved_from]
    ends = [ln.approved_to for ln in granted if ln.approved_to]
    if starts or ends:
        response["preAuthPeriod"] = _period(min(starts) if starts else None, max(ends) if ends else None)
    response["item"] = out_items
    modified = [_add_item(a, auth) for a in items if a.action is A.MODIFIED and a.line is not None]
    if modified:
        response["addItem"] = modified
    if notes:
        response["processNote"] = notes
    entries = [(urn(auth, "claimresponse", now.isoformat()), response)]
    if Status(out.status) in OPEN_STATUSES and out.missing_items:
        comm = _communication_request(out, parties, now, _missing(out, echo))
        comm_url = urn(auth, "communicationrequest", now.isoformat())
        response["communicationRequest"] = [{"reference": comm_url}]
        entries.append((comm_url, comm))
    for party in (parties.patient, parties.insurer, parties.requestor):
        if all(url != party.full_url for url, _ in entries):
            entries.append((party.full_url, party.resource))
    bundle: JSON = {
        "resourceType": "Bundle", "id": str(uuid.uuid4()),
        "meta": {"profile": [c.PROFILE_INQUIRY_RESPONSE_BUNDLE if inquiry else c.PROFILE_RESPONSE_BUNDLE]},
        "type": "collection", "timestamp": now.isoformat(),
        "entry": [{"fullUrl": url, "resource": res} for url, res in entries],
    }
    ident = answering if answering is not None else echo.bundle_identifier
    if ident:
        bundle["identifier"] = ident
    return bundle
