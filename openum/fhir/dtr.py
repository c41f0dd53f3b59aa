"""Da Vinci DTR: each criteria policy as a FHIR Questionnaire, and its answers as clinical facts.

A policy's Questionnaire asks one question per leaf that a request cannot answer from its structured
data (diagnoses, codes, setting, units and age come with the request itself):
- finding     -> a quantity in the policy's unit      (linkId `finding.<name>`)
- attestation -> a boolean                            (linkId `answers.<criterion id>`)
- prior_treatment -> a repeating group: name, class, outcome, days (linkId `prior_treatments`)
- level_of_care, frequency, dose -> their own items   (linkIds as in ClinicalFacts)
The linkIds are the ClinicalFacts paths, so a QuestionnaireResponse maps back without the policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.directory.models import Member
from openum.fhir.outcome import FhirError, Issue
from openum.fhir.parse import BundleView, Entry
from openum.packs.loader import PlanPack
from openum.packs.registry import PackRegistry
from openum.review.criteria import leaves as lv
from openum.review.criteria.schema import MedicalPolicy, walk
from openum.review.criteria.selection import policy_for

JSON = dict[str, Any]
CANONICAL = "http://openum.org/fhir/Questionnaire"
DTR_QUESTIONNAIRE = "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/dtr-std-questionnaire"
DTR_QR = "http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/dtr-questionnaireresponse"
EXT_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
UCUM = "http://unitsofmeasure.org"
OUTCOMES = [o.value for o in lv.TreatmentOutcome]
CODE_SYSTEMS = ("cpt", "hcpcs", "http://www.ama-assn.org/go/cpt",
                "http://www.cms.gov/medicare/coding/hcpcsreleasecodesets")


def policies(pack: PlanPack) -> list[MedicalPolicy]:
    return [p for f in pack.sections.get("policies", {}).values() for p in f.policies]


def canonical(plan_id: str, policy: MedicalPolicy) -> str:
    return f"{CANONICAL}/{plan_id}-{policy.id}"


def _leaves(policy: MedicalPolicy) -> Iterator[Any]:
    for _, node in walk(policy.indications):
        if hasattr(node, "reads") and not hasattr(node, "children"):
            yield node


def _finding_item(leaf: lv.FindingCriterion) -> JSON:
    return {"linkId": f"finding.{leaf.finding}", "text": f"{leaf.finding.replace('_', ' ')} ({leaf.unit})",
            "type": "quantity", "required": False,
            "extension": [{"url": EXT_UNIT, "valueCoding": {"system": UCUM, "code": leaf.unit,
                                                            "display": leaf.unit}}],
            "code": [{"system": f"{CANONICAL}/finding", "code": leaf.finding, "display": leaf.text}]}


def _prior_treatments(classes: list[str]) -> JSON:
    return {"linkId": "prior_treatments", "type": "group", "repeats": True,
            "text": "Treatments tried before this request (one group per treatment)", "item": [
                {"linkId": "prior_treatments.name", "text": "Treatment", "type": "string", "required": True},
                {"linkId": "prior_treatments.treatment_class", "text": "Kind of treatment", "type": "choice",
                 "answerOption": [{"valueCoding": {"code": k, "display": k.replace("_", " ")}}
                                  for k in sorted(set(classes))]},
                {"linkId": "prior_treatments.outcome", "text": "Why it was stopped", "type": "choice",
                 "required": True, "answerOption": [{"valueCoding": {"code": o}} for o in OUTCOMES]},
                {"linkId": "prior_treatments.duration_days", "text": "How many days it was tried",
                 "type": "integer"}]}


def questionnaire(plan_id: str, policy: MedicalPolicy) -> JSON:
    """The Questionnaire of the questions this policy asks that the request does not answer itself."""
    items: list[JSON] = []
    seen: set[str] = set()
    classes: list[str] = []
    treatment_texts: list[str] = []

    def add(item: JSON) -> None:
        if item["linkId"] not in seen:
            seen.add(item["linkId"])
            items.append(item)

    for leaf in _leaves(policy):
        if isinstance(leaf, lv.FindingCriterion):
            add(_finding_item(leaf))
        elif isinstance(leaf, lv.AttestationCriterion):
            add({"linkId": f"answers.{leaf.id}", "text": leaf.text.strip(), "type": "boolean", "required": True})
        elif isinstance(leaf, lv.PriorTreatmentCriterion):
            classes += leaf.classes
            treatment_texts.append(leaf.text.strip())
            if "prior_treatments" not in seen:
                seen.add("prior_treatments")
                items.append({"linkId": "prior_treatments"})  # placeholder, filled once all classes are known
        elif isinstance(leaf, lv.LevelOfCareCriterion):
            add({"linkId": "level_of_care", "text": leaf.text.strip(), "type": "choice",
                 "answerOption": [{"valueCoding": {"code": x}} for x in leaf.levels]})
        elif isinstance(leaf, lv.FrequencyCriterion):
            add({"linkId": "frequency_per_week", "text": "Visits per week", "type": "decimal"})
            add({"linkId": "duration_weeks", "text": "Number of weeks", "type": "decimal"})
        elif isinstance(leaf, lv.DoseCriterion):
            add({"linkId": "dose", "type": "group", "text": leaf.text.strip(), "item": [
                {"linkId": "dose.dose_mg", "text": "Dose per administration (mg)", "type": "decimal"},
                {"linkId": "dose.weight_kg", "text": "Member's weight (kg)", "type": "decimal"},
                {"linkId": "dose.interval_weeks", "text": "Weeks between doses", "type": "decimal"},
                {"linkId": "dose.phase", "text": "Phase", "type": "choice",
                 "answerOption": [{"valueCoding": {"code": p.value}} for p in lv.DosePhase]}]})
    for k, item in enumerate(items):
        if item == {"linkId": "prior_treatments"}:
            items[k] = _prior_treatments(classes)
            items[k]["text"] = " ".join(treatment_texts)
    return {"resourceType": "Questionnaire", "id": f"{plan_id}-{policy.id}",
            "meta": {"profile": [DTR_QUESTIONNAIRE]}, "url": canonical(plan_id, policy),
            "version": policy.version, "name": policy.id.replace("-", "_"), "title": policy.title,
            "status": "active", "subjectType": ["Patient"],
            "description": (policy.summary or policy.title).strip(),
            "effectivePeriod": {k: v.isoformat() for k, v in (("start", policy.effective_from),
                                                              ("end", policy.effective_to)) if v},
            "item": items}


# --- which policies a package request asks about ----------------------------------------------

def order_codes(resource: JSON) -> list[str]:
    found = []
    for key in ("code", "productOrService", "medicationCodeableConcept", "codeCodeableConcept"):
        concept = resource.get(key)
        if isinstance(concept, dict):
            found += [str(c["code"]).upper() for c in concept.get("coding") or [] if isinstance(c, dict)
                      and c.get("code")]
    for item in resource.get("item") or []:  # a Claim as the order
        if isinstance(item, dict):
            found += order_codes(item)
    return found


def _plans(session: Session, registry: PackRegistry, coverage: JSON | None) -> list[str]:
    """The plan of the coverage's member when we know it, else every plan."""
    if coverage:
        ids = [coverage.get("subscriberId")] + [i.get("value") for i in coverage.get("identifier") or []
                                                if isinstance(i, dict)]
        for member_id in [i for i in ids if isinstance(i, str) and i]:
            plan = session.scalar(select(Member.plan_id).where(Member.member_id == member_id).limit(1))
            if plan:
                return [plan]
        names = {str((p or {}).get("display", "")).lower() for p in coverage.get("payor") or []}
        named = [pid for pid in registry.plan_ids()
                 if registry.versions(pid)[-1].manifest.plan.name.lower() in names]
        if named:
            return named
    return registry.plan_ids()


def package(session: Session, registry: PackRegistry, params: JSON, now: datetime) -> JSON:
    """$questionnaire-package: the Questionnaires for the orders (or canonicals) asked about."""
    parts = [p for p in params.get("parameter") or [] if isinstance(p, dict)]
    coverage = next((p.get("resource") for p in parts if p.get("name") == "coverage"), None)
    orders: list[JSON] = [p["resource"] for p in parts
                          if p.get("name") == "order" and isinstance(p.get("resource"), dict)]
    wanted = [p.get("valueCanonical") for p in parts if p.get("name") == "questionnaire"]
    if not orders and not wanted:
        raise FhirError(422, [Issue("give the order(s) (ServiceRequest, DeviceRequest, MedicationRequest...) "
                                    "or questionnaire canonical(s) to package", "Parameters.parameter",
                                    code="required")])
    day = now.date()
    found: dict[str, JSON] = {}
    for plan_id in _plans(session, registry, coverage):
        pack = registry.in_force(plan_id, now)
        pols = policies(pack)
        for order in orders:
            for code in order_codes(order):
                policy = policy_for(pols, code, day)
                if policy is not None:
                    found.setdefault(canonical(plan_id, policy), questionnaire(plan_id, policy))
        for url in wanted:
            base = str(url or "").split("|", 1)[0]
            for policy in pols:
                if canonical(plan_id, policy) == base and policy.in_force(day):
                    found.setdefault(base, questionnaire(plan_id, policy))
    out = [{"name": "PackageBundle", "resource": {
        "resourceType": "Bundle", "type": "collection", "timestamp": now.isoformat(),
        "entry": [{"fullUrl": url, "resource": q}] }} for url, q in found.items()]
    if not out:
        out.append({"name": "outcome", "resource": {"resourceType": "OperationOutcome", "issue": [
            {"severity": "information", "code": "not-found",
             "diagnostics": "no medical policy applies to these orders: no documentation is needed"}]}})
    return {"resourceType": "Parameters", "parameter": out}


# --- QuestionnaireResponse -> clinical facts ---------------------------------------------------

def _answer(item: JSON) -> Any:
    for ans in item.get("answer") or []:
        if not isinstance(ans, dict):
            continue
        for key, value in ans.items():
            if key.startswith("value"):
                return value.get("code") if key == "valueCoding" and isinstance(value, dict) else value
    return None


def _flat(items: list[Any]) -> Iterator[JSON]:
    for item in items or []:
        if isinstance(item, dict):
            yield item
            yield from _flat(item.get("item") or [])
            for ans in item.get("answer") or []:
                if isinstance(ans, dict):
                    yield from _flat(ans.get("item") or [])


def _units(registry: PackRegistry) -> dict[str, str]:
    out: dict[str, str] = {}
    for pack in registry.all():
        for policy in policies(pack):
            for leaf in _leaves(policy):
                if isinstance(leaf, lv.FindingCriterion):
                    out.setdefault(leaf.finding, leaf.unit)
    return out


def _treatment(group: JSON) -> JSON:
    got = {str(i.get("linkId", "")).rsplit(".", 1)[-1]: _answer(i) for i in _flat(group.get("item") or [])}
    return {k: v for k, v in got.items() if k in ("name", "treatment_class", "outcome", "duration_days")
            and v is not None}


def facts_from(responses: list[JSON], registry: PackRegistry) -> JSON | None:
    """ClinicalFacts (as JSON) from the QuestionnaireResponses sent with a request; None when none."""
    if not responses:
        return None
    facts: JSON = {"findings": {}, "answers": {}}
    units: dict[str, str] | None = None
    treatments: list[JSON] = []
    for qr in responses:
        for item in qr.get("item") or []:
            if isinstance(item, dict) and item.get("linkId") == "prior_treatments":
                treatments.append(_treatment(item))
        for item in _flat(qr.get("item") or []):
            link = str(item.get("linkId") or "")
            value = _answer(item)
            if value is None:
                continue
            if link.startswith("finding."):
                name = link.removeprefix("finding.")
                if isinstance(value, dict):
                    unit = value.get("code") or value.get("unit")
                    value = value.get("value")
                else:
                    units = units if units is not None else _units(registry)
                    unit = units.get(name)
                if isinstance(value, int | float) and unit:
                    facts["findings"][name] = {"value": value, "unit": str(unit)}
            elif link.startswith("answers.") and isinstance(value, bool):
                facts["answers"][link.removeprefix("answers.")] = value
            elif link in ("level_of_care", "frequency_per_week", "duration_weeks"):
                facts[link] = value
            elif link.startswith("dose."):
                facts.setdefault("dose", {})[link.removeprefix("dose.")] = value
    if treatments:
        facts["prior_treatments"] = [t for t in treatments if t.get("name") and t.get("outcome")]
    return facts


def responses_in(view: BundleView, claim: Entry) -> list[JSON]:
    """QuestionnaireResponses sent with the Claim: bundle entries, or referenced from supportingInfo."""
    found: list[JSON] = [e.raw for e in view.entries if e.type == "QuestionnaireResponse"]
    for info in claim.raw.get("supportingInfo") or []:
        if not isinstance(info, dict):
            continue
        target = view.resolve((info.get("valueReference") or {}).get("reference"), claim)
        if target is not None and target.type == "QuestionnaireResponse" and target.raw not in found:
            found.append(target.raw)
    return found


def clinical_facts(view: BundleView, claim: Entry, registry: PackRegistry) -> JSON | None:
    """What mapping.to_submit puts in SubmitRequest.clinical_facts."""
    return facts_from(responses_in(view, claim), registry)
