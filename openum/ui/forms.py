"""HTML form fields to the API's own input models (the Manual Authorization Request Form, facts)."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from openum.intake.schemas import SubmitRequest
from openum.review.criteria.leaves import (
    AttestationCriterion,
    DoseCriterion,
    FindingCriterion,
    FrequencyCriterion,
    LevelOfCareCriterion,
    PriorTreatmentCriterion,
)
from openum.review.criteria.schema import MedicalPolicy

MAX_LINES = 12
PRIOR_TREATMENT_ROWS = 4
DOCUMENT_FIELDS = {"doc_clinical": "clinical_documentation", "doc_prescription": "prescription",
                   "doc_form": "form", "doc_other": "other"}


def text(form: FormData, name: str) -> str | None:
    """A trimmed text field, or None when blank."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def line_indexes(form: FormData) -> list[int]:
    found = {int(m.group(1)) for k in form if (m := re.fullmatch(r"line-(\d+)-code", k))}
    return sorted(i for i in found if i < MAX_LINES)


def _service_lines(form: FormData) -> list[dict[str, Any]]:
    lines = []
    for i in line_indexes(form):
        code = text(form, f"line-{i}-code")
        if not code:
            continue
        mods = [m for m in re.split(r"[\s,]+", text(form, f"line-{i}-modifiers") or "") if m]
        lines.append({"code": code, "units": text(form, f"line-{i}-units") or 1, "modifiers": mods,
                      "from_date": text(form, f"line-{i}-from"), "to_date": text(form, f"line-{i}-to"),
                      "place_of_service": text(form, f"line-{i}-pos")})
    return lines


async def _attachments(form: FormData) -> list[dict[str, str]]:
    out = []
    for name, kind in DOCUMENT_FIELDS.items():
        for upload in form.getlist(name):
            if not isinstance(upload, UploadFile) or not upload.filename:
                continue
            data = await upload.read()
            if data:
                out.append({"kind": kind, "filename": upload.filename,
                            "content_type": upload.content_type or "application/octet-stream",
                            "content_base64": base64.b64encode(data).decode()})
    return out


@dataclass
class Parsed:
    command: SubmitRequest | None
    errors: list[str] = field(default_factory=list)


def submit_fields(form: FormData) -> dict[str, Any]:
    """The form's fields as the JSON body POST /api/v1/requests takes (without attachments)."""
    dx = [d for d in re.split(r"[\s,;]+", text(form, "diagnoses") or "") if d]
    return {
        "plan_id": text(form, "plan_id"), "kind": text(form, "kind") or "pre_service",
        "urgency": text(form, "urgency") or "non_urgent",
        "urgency_asserted_by_practitioner": form.get("urgency_asserted") == "yes",
        "urgency_basis": text(form, "urgency_basis"),
        "member": {"member_id": text(form, "member_id"), "first_name": text(form, "member_first_name"),
                   "last_name": text(form, "member_last_name"), "birth_date": text(form, "member_birth_date")},
        "requesting_provider_npi": text(form, "requesting_npi"),
        "servicing_provider_npi": text(form, "servicing_npi"), "facility_npi": text(form, "facility_npi"),
        "setting": text(form, "setting"), "service_lines": _service_lines(form), "diagnoses": dx,
        "requested_length_of_stay": text(form, "length_of_stay"), "admission_date": text(form, "admission_date"),
        "proposed_procedure_date": text(form, "procedure_date"),
        "clinical_indications": text(form, "clinical_indications"),
        "pertinent_history": text(form, "pertinent_history"),
    }


def problems(exc: ValidationError) -> list[str]:
    """Pydantic errors as sentences naming the field."""
    return [f"{' > '.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors()]


async def parse_submission(form: FormData) -> Parsed:
    """Build the intake command; only malformed input is refused (missing facts pend the request)."""
    body = submit_fields(form)
    body["attachments"] = await _attachments(form)
    try:
        return Parsed(SubmitRequest.model_validate(body))
    except ValidationError as exc:
        return Parsed(None, problems(exc))


@dataclass(frozen=True)
class FactField:
    """One input of the facts form, generated from a policy's criteria."""

    kind: str  # finding | answer | level_of_care | frequency | dose | prior_treatment
    key: str
    label: str
    unit: str = ""
    choices: tuple[str, ...] = ()


def fact_fields(policies: list[MedicalPolicy]) -> list[FactField]:
    """Inputs for every fact the policies read that the request itself does not already answer."""
    out: dict[str, FactField] = {}
    for policy in policies:
        for leaf in policy.leaves():
            if isinstance(leaf, FindingCriterion):
                out.setdefault(f"f:{leaf.finding}", FactField("finding", leaf.finding, leaf.text, leaf.unit))
            elif isinstance(leaf, AttestationCriterion):
                out.setdefault(f"a:{leaf.id}", FactField("answer", leaf.id, leaf.text))
            elif isinstance(leaf, PriorTreatmentCriterion):
                prev = out.get("pt")
                classes = tuple(dict.fromkeys([*(prev.choices if prev else ()), *leaf.classes]))
                out["pt"] = FactField("prior_treatment", "prior_treatments", leaf.text, choices=classes)
            elif isinstance(leaf, LevelOfCareCriterion):
                out.setdefault("loc", FactField("level_of_care", "level_of_care", leaf.text))
            elif isinstance(leaf, FrequencyCriterion):
                out.setdefault("freq", FactField("frequency", "frequency", leaf.text))
            elif isinstance(leaf, DoseCriterion):
                out.setdefault("dose", FactField("dose", "dose", leaf.text))
    return list(out.values())


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def facts_from_form(form: FormData) -> dict[str, Any]:
    """The facts form as the body of POST /api/v1/requests/{id}/evaluations (ClinicalFacts)."""
    facts: dict[str, Any] = {"findings": {}, "answers": {}}
    for key in form:
        value = text(form, key)
        if key.startswith("finding.") and value:
            finding = key.removeprefix("finding.")
            facts["findings"][finding] = {"value": value, "unit": text(form, f"unit.{finding}") or ""}
        elif key.startswith("answer.") and value in ("yes", "no"):
            facts["answers"][key.removeprefix("answer.")] = value == "yes"
    treatments = []
    for i in range(PRIOR_TREATMENT_ROWS):
        name = text(form, f"pt-{i}-name")
        if name:
            treatments.append({"name": name, "treatment_class": text(form, f"pt-{i}-class"),
                               "outcome": text(form, f"pt-{i}-outcome") or "failed",
                               "duration_days": text(form, f"pt-{i}-days")})
    if treatments:
        facts["prior_treatments"] = treatments
    for key in ("level_of_care", "frequency_per_week", "duration_weeks"):
        if value := text(form, key):
            facts[key] = value
    dose = {k: _number(text(form, f"dose.{k}")) for k in ("dose_mg", "weight_kg", "interval_weeks")}
    if any(v is not None for v in dose.values()) or text(form, "dose.phase"):
        facts["dose"] = {**{k: v for k, v in dose.items() if v is not None}, "phase": text(form, "dose.phase")}
    return facts
