"""Da Vinci CRD: a CDS Hooks service answering "is it covered, is an authorization needed?".

Discovery at GET /cds-services; hooks order-sign, order-select and appointment-book. Each draft order
(or proposed appointment) is checked with the same coverage discovery intake uses
(openum.coverage.service.check), and comes back as a systemAction `update` of the order carrying the
CRD `coverage-information` extension (covered, pa-needed, doc-needed, info-needed ...), plus a card
for a person to read.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.audit import service as audit
from openum.auth.models import User
from openum.auth.permissions import Permission
from openum.coverage import rules
from openum.coverage import service as coverage
from openum.coverage.rules import LineOutcome
from openum.directory.models import Member
from openum.errors import DomainError, NotFound
from openum.fhir import dtr
from openum.packs.registry import PackRegistry
from openum.review.criteria.selection import policy_for
from openum.web.deps import ClockDep, RegistryDep, SessionDep, actor_for, require

JSON = dict[str, Any]
CRD = "http://hl7.org/fhir/us/davinci-crd"
EXT_COVERAGE_INFO = f"{CRD}/StructureDefinition/ext-coverage-information"
TEMP_CODES = f"{CRD}/CodeSystem/temp"
NPI = "http://hl7.org/fhir/sid/us-npi"
HOOKS = {
    "order-sign": "Coverage requirements for orders about to be signed",
    "order-select": "Coverage requirements for orders as they are chosen",
    "appointment-book": "Coverage requirements for appointments being booked",
}
ORDER_TYPES = {"ServiceRequest", "DeviceRequest", "MedicationRequest", "NutritionOrder", "Appointment",
               "CommunicationRequest", "VisionPrescription"}
_AUTH = {LineOutcome.AUTHORIZATION_REQUIRED, LineOutcome.MEDICAL_NECESSITY_REVIEW, LineOutcome.DELEGATED}
_NO_AUTH = {LineOutcome.NO_AUTHORIZATION_NEEDED, LineOutcome.NOTIFICATION_REQUESTED,
            LineOutcome.NOTIFICATION_REQUIRED}


def discovery() -> JSON:
    return {"services": [
        {"hook": hook, "id": f"openum-crd-{hook}", "title": f"OpenUM coverage requirements ({hook})",
         "description": text,
         "prefetch": {"patient": "Patient/{{context.patientId}}",
                      "coverage": "Coverage?patient={{context.patientId}}&status=active"},
         "extension": {"davinci-crd.configuration-options": []}}
        for hook, text in HOOKS.items()]}


# --- reading the hook request -------------------------------------------------------------------

def _resources(value: Any) -> list[JSON]:
    """Resources from a Bundle, a list or a single resource (prefetch and context are all three)."""
    if isinstance(value, dict) and value.get("resourceType") == "Bundle":
        return [e["resource"] for e in value.get("entry") or [] if isinstance(e, dict)
                and isinstance(e.get("resource"), dict)]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return [value] if isinstance(value, dict) and value.get("resourceType") else []


def orders_of(hook: str, context: JSON) -> list[JSON]:
    if hook == "appointment-book":
        found = _resources(context.get("appointments"))
    else:
        found = _resources(context.get("draftOrders"))
        if hook == "order-select" and context.get("selections"):
            chosen = {str(s) for s in context["selections"]}
            found = [o for o in found if f"{o.get('resourceType')}/{o.get('id')}" in chosen] or found
    return [o for o in found if o.get("resourceType") in ORDER_TYPES]


def _codes(order: JSON) -> list[str]:
    codes = dtr.order_codes(order)
    if order.get("resourceType") == "Appointment":
        for concept in (order.get("serviceType") or []) + (order.get("reasonCode") or []):
            if isinstance(concept, dict):
                codes += [str(c["code"]).upper() for c in concept.get("coding") or [] if c.get("code")]
    return list(dict.fromkeys(codes))


def _units(order: JSON) -> int:
    qty = order.get("quantityQuantity") or {}
    value = qty.get("value") if isinstance(qty, dict) else None
    return max(1, int(value)) if isinstance(value, int | float) else 1


def _day(order: JSON, today: date) -> date:
    for key in ("occurrenceDateTime", "start", "authoredOn"):
        if isinstance(order.get(key), str):
            try:
                return date.fromisoformat(order[key][:10])
            except ValueError:
                pass
    period = order.get("occurrencePeriod") or {}
    if isinstance(period, dict) and isinstance(period.get("start"), str):
        try:
            return date.fromisoformat(period["start"][:10])
        except ValueError:
            pass
    return today


def _npi(order: JSON, found: dict[str, JSON]) -> str | None:
    refs = list(order.get("performer") or [])
    refs += [p.get("actor") for p in order.get("participant") or [] if isinstance(p, dict)]
    for ref in refs:
        if not isinstance(ref, dict):
            continue
        ident = ref.get("identifier") or {}
        if ident.get("system") == NPI and ident.get("value"):
            return str(ident["value"])
        target = found.get(str(ref.get("reference")))
        for ident in (target or {}).get("identifier") or []:
            if isinstance(ident, dict) and ident.get("system") == NPI and ident.get("value"):
                return str(ident["value"])
    return None


def _member_and_plan(session: Session, registry: PackRegistry, cov: JSON | None) -> tuple[str | None, str | None]:
    if not cov:
        return None, None
    ids = [cov.get("subscriberId")] + [i.get("value") for i in cov.get("identifier") or [] if isinstance(i, dict)]
    for member_id in [i for i in ids if isinstance(i, str) and i]:
        plans = session.scalars(select(Member.plan_id).where(Member.member_id == member_id)).all()
        plans = [p for p in plans if p in registry.plan_ids()]
        if plans:
            return member_id, plans[0]
    return next((i for i in ids if isinstance(i, str) and i), None), None


# --- the answer -----------------------------------------------------------------------------------

def coverage_information(answer: rules.CoverageAnswer, line: rules.LineAnswer, *, coverage_ref: str,
                         now: datetime, questionnaire: str | None) -> JSON:
    """The CRD coverage-information extension for one order line, from our coverage answer."""
    parts: list[JSON] = [{"url": "coverage", "valueReference": {"reference": coverage_ref}}]
    covered, pa, doc, info, reason = "covered", None, None, [], None
    if not answer.member.found:
        covered, info, reason = "conditional", ["OTH"], "member not found in the plan's enrollment"
    elif not answer.member.eligible:
        covered, reason = "not-covered", answer.member.reason or "member not eligible on the date of service"
    elif line.outcome is LineOutcome.ADMINISTRATIVE_DENIAL:
        covered = "not-covered"
        reason = f"not covered: {line.denial_reason.value if line.denial_reason else 'administrative'}"
    elif line.outcome is LineOutcome.NOT_PLAN_RESPONSIBILITY:
        covered = "not-covered"
        carve = line.carve_out or {}
        reason = f"carved out of this plan: {carve.get('instructions') or carve.get('name') or 'contact the plan'}"
    elif line.outcome in _NO_AUTH:
        pa = "no-auth"
        if line.outcome is not LineOutcome.NO_AUTHORIZATION_NEEDED:
            reason = "no authorization is needed, but the plan asks to be notified"
    else:
        pa = "auth-needed"
        if line.outcome is LineOutcome.MEDICAL_NECESSITY_REVIEW or questionnaire:
            doc = "clinical"
        if line.outcome is LineOutcome.DELEGATED:
            where = line.delegated_to or {}
            info.append("contract")
            reason = f"authorization is handled by {where.get('name') or 'a delegated organization'}"
    if covered == "covered" and pa == "auth-needed" and answer.provider.npi and not answer.provider.in_network:
        info.append("performer")
    if covered == "covered" and pa == "auth-needed" and not answer.provider.npi:
        info.append("performer")
    parts.append({"url": "covered", "valueCode": covered})
    if pa:
        parts.append({"url": "pa-needed", "valueCode": pa})
    if doc:
        parts.append({"url": "doc-needed", "valueCode": doc})
        parts.append({"url": "doc-purpose", "valueCode": "withpa"})
    for code in dict.fromkeys(info):
        parts.append({"url": "info-needed", "valueCode": code})
    if reason:
        parts.append({"url": "reason", "valueCodeableConcept": {"text": reason}})
    if questionnaire and doc:
        parts.append({"url": "questionnaire", "valueCanonical": questionnaire})
    parts.append({"url": "billingCode", "valueCoding": {"code": line.code}})
    parts.append({"url": "date", "valueDate": now.date().isoformat()})
    parts.append({"url": "coverage-assertion-id", "valueString": uuid.uuid4().hex})
    return {"url": EXT_COVERAGE_INFO, "extension": parts}


def _summary(info: JSON) -> str:
    got = {p["url"]: p.get("valueCode") for p in info["extension"] if "valueCode" in p}
    text = {"covered": "Covered", "not-covered": "Not covered", "conditional": "Coverage undetermined"}
    out = text.get(str(got.get("covered")), "Coverage")
    if got.get("pa-needed") == "auth-needed":
        out += "; prior authorization required"
    elif got.get("pa-needed") == "no-auth":
        out += "; no prior authorization needed"
    return out


def answer_hook(session: Session, registry: PackRegistry, body: JSON, now: datetime) -> tuple[JSON, str | None]:
    """The CDS Hooks response, and the member it was about (for the audit trail)."""
    hook = body.get("hook")
    if hook not in HOOKS:
        raise DomainError(f"unsupported hook {hook!r}", details=[{"loc": ["body", "hook"], "msg": str(list(HOOKS))}])
    context: JSON = body["context"] if isinstance(body.get("context"), dict) else {}
    prefetch: JSON = body["prefetch"] if isinstance(body.get("prefetch"), dict) else {}
    covs = [r for r in _resources(prefetch.get("coverage")) if r.get("resourceType") == "Coverage"]
    found = {f"{r.get('resourceType')}/{r.get('id')}": r for v in prefetch.values() for r in _resources(v)}
    orders = orders_of(str(hook), context)
    cov = covs[0] if covs else None
    member_id, plan_id = _member_and_plan(session, registry, cov)
    cards: list[JSON] = []
    actions: list[JSON] = []
    if not orders:
        return {"cards": [], "systemActions": []}, member_id
    if plan_id is None:
        cards.append({"uuid": str(uuid.uuid4()), "summary": "Coverage could not be determined",
                      "indicator": "warning", "source": {"label": "OpenUM"},
                      "detail": "No active coverage with a member of a plan served here was found in the "
                                "prefetch (Coverage?patient=...)."})
        return {"cards": cards, "systemActions": []}, member_id
    pack = registry.in_force(plan_id, now)
    cov_ref = f"Coverage/{cov.get('id')}" if cov and cov.get("id") else "Coverage"
    pols = dtr.policies(pack)
    for order in orders:
        codes = _codes(order)
        if not codes:
            continue
        day = _day(order, now.date())
        answer = coverage.check(session, pack=pack, member_id=member_id,
                                codes=[rules.LineQuery(c, _units(order)) for c in codes],
                                servicing_npi=_npi(order, found), day=day)
        infos = []
        for line in answer.lines:
            policy = policy_for(pols, line.code, day)
            q = dtr.canonical(plan_id, policy) if policy else None
            infos.append(coverage_information(answer, line, coverage_ref=cov_ref, now=now, questionnaire=q))
        updated = {**order, "extension": [e for e in order.get("extension") or []
                                          if e.get("url") != EXT_COVERAGE_INFO] + infos}
        label = f"{order.get('resourceType')}/{order.get('id')}"
        actions.append({"type": "update", "description": f"coverage information for {label}",
                        "resource": updated})
        cards.append({"uuid": str(uuid.uuid4()), "indicator": "info", "source": {"label": "OpenUM"},
                      "summary": f"{', '.join(codes)}: {_summary(infos[0])}"[:140]})
    return {"cards": cards, "systemActions": actions}, member_id


# --- the service --------------------------------------------------------------------------------

router = APIRouter(prefix="/cds-services", tags=["crd"])
Checking = Annotated[User, Depends(require(Permission.COVERAGE_CHECK))]


@router.get("", summary="CDS Hooks discovery (Da Vinci CRD)")
def cds_discovery() -> JSON:
    return discovery()


@router.post("/{service_id}", summary="CDS Hooks: coverage requirements for orders or appointments")
def cds_service(service_id: str, body: dict[str, Any], request: Request, user: Checking, session: SessionDep,
                clock: ClockDep, registry: RegistryDep) -> JSON:
    hook = service_id.removeprefix("openum-crd-")
    if service_id != f"openum-crd-{hook}" or hook not in HOOKS:
        raise NotFound(f"no CDS service {service_id!r}")
    if body.get("hook") not in (None, hook):
        raise DomainError(f"service {service_id} answers hook {hook}, not {body.get('hook')!r}",
                          details=[{"loc": ["body", "hook"], "msg": "mismatch"}])
    now = clock.now()
    out, member_id = answer_hook(session, registry, {**body, "hook": hook}, now)
    audit.record(session, actor=actor_for(user, request, "crd"), at=now, action="read",
                 record_type="coverage_check", record_id=None, member_id=member_id,
                 purpose="eligibility_and_benefits")
    return out
