"""Build the criteria engine's CaseFacts from a stored request and any facts a reviewer adds."""

from __future__ import annotations

from datetime import date
from typing import Any

from openum.intake.models import AuthorizationRequest, ServiceLine
from openum.packs.schema import Setting
from openum.review.criteria.facts import Answer, CaseFacts, DoseFacts, Measurement, PriorTreatment, age_on
from openum.review.criteria.leaves import DosePhase, TreatmentOutcome
from openum.vocabulary import RequestKind


def merged(stored: dict[str, Any] | None, added: dict[str, Any] | None) -> dict[str, Any]:
    """Facts given later win over facts given with the request; answers and findings merge."""
    out: dict[str, Any] = dict(stored or {})
    for key, value in (added or {}).items():
        if key in ("findings", "answers") and isinstance(value, dict):
            out[key] = {**(out.get(key) or {}), **value}
        elif value is not None:
            out[key] = value
    return out


def case_facts(req: AuthorizationRequest, line: ServiceLine, facts: dict[str, Any], day: date) -> CaseFacts:
    """Everything the request itself answers, plus the structured clinical facts."""
    member = req.member
    dose = facts.get("dose")
    treatments = facts.get("prior_treatments")
    return CaseFacts(
        age_years=age_on(member.birth_date, day) if member else None,
        diagnoses=tuple(d.code for d in req.diagnoses),
        codes=tuple(ln.code for ln in req.lines),
        units=line.units,
        days=req.requested_length_of_stay,
        setting=Setting(req.setting) if req.setting else None,
        level_of_care=facts.get("level_of_care"),
        frequency_per_week=facts.get("frequency_per_week"),
        duration_weeks=facts.get("duration_weeks"),
        prior_treatments=None if treatments is None else tuple(
            PriorTreatment(name=t["name"], outcome=TreatmentOutcome(t["outcome"]),
                           duration_days=t.get("duration_days"), treatment_class=t.get("treatment_class"))
            for t in treatments),
        findings={k: Measurement(float(v["value"]), str(v["unit"])) for k, v in (facts.get("findings") or {}).items()},
        answers={k: Answer(bool(v), source="request") for k, v in (facts.get("answers") or {}).items()},
        dose=DoseFacts(dose_mg=dose.get("dose_mg"), weight_kg=dose.get("weight_kg"),
                       interval_weeks=dose.get("interval_weeks"),
                       phase=DosePhase(dose["phase"]) if dose.get("phase") else None) if dose else None,
        request_kind=RequestKind(req.kind),
    )
