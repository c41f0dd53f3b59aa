"""How each kind of leaf criterion reads the case facts: met, not met, or unknown, with evidence."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from openum.review.criteria.evaluation import Evidence, Result
from openum.review.criteria.facts import CaseFacts
from openum.review.criteria.leaves import (
    AgeCriterion,
    AttestationCriterion,
    DiagnosisCriterion,
    DoseCriterion,
    FindingCriterion,
    FrequencyCriterion,
    LeafCriterion,
    LevelOfCareCriterion,
    LimitCriterion,
    PriorTreatmentCriterion,
    RequestedCodeCriterion,
    SettingCriterion,
)

# Relative slack so that 350 mg for 70 kg is 5 mg/kg, not 5.000000001.
_EPS = 1e-9

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}


@dataclass(frozen=True)
class LeafOutcome:
    result: Result
    evidence: tuple[Evidence, ...] = ()
    note: str = ""
    missing: tuple[str, ...] = ()


def all_checks(checks: Iterable[Result]) -> Result:
    """Several limits on one leaf: any breach is not met; else any gap is unknown; else met."""
    seen = set(checks)
    if Result.NOT_MET in seen:
        return Result.NOT_MET
    return Result.UNKNOWN if Result.UNKNOWN in seen else Result.MET


def _within(value: float | None, limit: float | None) -> Result:
    if limit is None:
        return Result.MET
    if value is None:
        return Result.UNKNOWN
    return Result.MET if value <= limit * (1 + _EPS) else Result.NOT_MET


def _unit(u: str) -> str:
    return u.strip().lower().replace(" ", "")


def _age(c: AgeCriterion, f: CaseFacts) -> LeafOutcome:
    if f.age_years is None:
        return LeafOutcome(Result.UNKNOWN, note="member age not known")
    ok = (c.min_years is None or f.age_years >= c.min_years) and (
        c.max_years is None or f.age_years <= c.max_years
    )
    ev = (Evidence("member.age_years", str(f.age_years), "member"),)
    return LeafOutcome(Result.MET if ok else Result.NOT_MET, ev)


def _diagnosis(c: DiagnosisCriterion, f: CaseFacts) -> LeafOutcome:
    if not f.diagnoses:
        return LeafOutcome(Result.UNKNOWN, note="no diagnosis on the request")
    for i, dx in enumerate(f.diagnoses):
        if c.matches(dx):
            return LeafOutcome(Result.MET, (Evidence(f"request.diagnoses[{i}]", dx, "request"),))
    ev = (Evidence("request.diagnoses", ", ".join(f.diagnoses), "request"),)
    return LeafOutcome(Result.NOT_MET, ev, "no diagnosis on the request is in the policy's set")


def _requested_code(c: RequestedCodeCriterion, f: CaseFacts) -> LeafOutcome:
    if not f.codes:
        return LeafOutcome(Result.UNKNOWN, note="no service code on the request")
    for i, code in enumerate(f.codes):
        if code.strip().upper() in c.codes:
            return LeafOutcome(Result.MET, (Evidence(f"request.codes[{i}]", code, "request"),))
    return LeafOutcome(Result.NOT_MET, (Evidence("request.codes", ", ".join(f.codes), "request"),))


def _prior_treatment(c: PriorTreatmentCriterion, f: CaseFacts) -> LeafOutcome:
    if f.prior_treatments is None:
        return LeafOutcome(Result.UNKNOWN, note="prior treatments not reported")
    evidence: list[Evidence] = []
    qualifying: set[str] = set()
    possible: set[str] = set()
    for i, t in enumerate(f.prior_treatments):
        names = {t.name.strip().lower(), (t.treatment_class or "").strip().lower()}
        if not names & set(c.classes):
            continue
        days = "unknown" if t.duration_days is None else str(t.duration_days)
        value = f"{t.name} ({t.treatment_class or '-'}), {days} days, {t.outcome.value}"
        # Every trial of a listed class is cited, counted or not, so a letter can say why.
        evidence.append(Evidence(f"request.prior_treatments[{i}]", value, "request"))
        if t.outcome not in c.outcomes:
            continue
        key = t.name.strip().lower()  # the same drug tried twice is one trial
        if t.outcome in c.duration_waived_for or (t.duration_days or 0) >= c.min_days:
            qualifying.add(key)
        elif t.duration_days is None:
            possible.add(key)
    if not evidence and f.prior_treatments:
        tried = ", ".join(f"{t.name} ({t.outcome.value})" for t in f.prior_treatments)
        evidence.append(Evidence("request.prior_treatments", tried, "request"))
    need = f"{c.min_count} trial(s) of {c.min_days}+ days"
    note = f"{len(qualifying)} qualifying; needs {need}"
    if len(qualifying) >= c.min_count:
        return LeafOutcome(Result.MET, tuple(evidence), note)
    if len(qualifying | possible) >= c.min_count:
        missing = ("request.prior_treatments[].duration_days",)
        return LeafOutcome(
            Result.UNKNOWN, tuple(evidence), f"duration not reported; {note}", missing
        )
    return LeafOutcome(Result.NOT_MET, tuple(evidence), note)


def _finding(c: FindingCriterion, f: CaseFacts) -> LeafOutcome:
    m = f.findings.get(c.finding)
    if m is None:
        return LeafOutcome(Result.UNKNOWN, note=f"{c.finding} not reported")
    ev = (Evidence(c.reads, f"{m.value:g} {m.unit}", "request"),)
    if _unit(m.unit) != _unit(c.unit):
        # Never guess a conversion: a wrong unit could approve on a number that does not qualify.
        return LeafOutcome(
            Result.UNKNOWN,
            ev,
            f"reported in {m.unit!r}; the policy needs {c.unit!r}",
            (f"{c.reads} in {c.unit}",),
        )
    ok = _OPS[c.op](m.value, c.value)
    return LeafOutcome(
        Result.MET if ok else Result.NOT_MET, ev, f"needs {c.op} {c.value:g} {c.unit}"
    )


def _setting(c: SettingCriterion, f: CaseFacts) -> LeafOutcome:
    if f.setting is None:
        return LeafOutcome(Result.UNKNOWN, note="setting not given")
    ev = (Evidence("request.setting", f.setting.value, "request"),)
    return LeafOutcome(Result.MET if f.setting in c.settings else Result.NOT_MET, ev)


def _level(c: LevelOfCareCriterion, f: CaseFacts) -> LeafOutcome:
    if f.level_of_care is None:
        return LeafOutcome(Result.UNKNOWN, note="level of care not given")
    ev = (Evidence("request.level_of_care", f.level_of_care, "request"),)
    ok = f.level_of_care.strip() in {lv.strip() for lv in c.levels}
    return LeafOutcome(Result.MET if ok else Result.NOT_MET, ev)


def _bounded(pairs: list[tuple[str, float | None, float | None]]) -> LeafOutcome:
    """Shared by frequency and limit leaves: (fact, requested value, maximum) triples."""
    checks = [
        (fact, value, _within(value, limit), limit)
        for fact, value, limit in pairs
        if limit is not None
    ]
    ev = tuple(Evidence(fact, f"{v:g}", "request") for fact, v, _, _ in checks if v is not None)
    notes = [
        f"{fact.split('.')[-1]} {'?' if v is None else f'{v:g}'} (max {lim:g})"
        for fact, v, _, lim in checks
    ]
    missing = tuple(fact for fact, _, r, _ in checks if r is Result.UNKNOWN)
    return LeafOutcome(all_checks(r for _, _, r, _ in checks), ev, "; ".join(notes), missing)


def _frequency(c: FrequencyCriterion, f: CaseFacts) -> LeafOutcome:
    return _bounded(
        [
            ("request.frequency_per_week", f.frequency_per_week, c.max_per_week),
            ("request.duration_weeks", f.duration_weeks, c.max_weeks),
        ]
    )


def _limit(c: LimitCriterion, f: CaseFacts) -> LeafOutcome:
    return _bounded([("request.units", f.units, c.max_units), ("request.days", f.days, c.max_days)])


def _attestation(c: AttestationCriterion, f: CaseFacts) -> LeafOutcome:
    a = f.answers.get(c.id)
    if a is None:
        return LeafOutcome(Result.UNKNOWN, note="not yet answered")
    ev = (Evidence(c.reads, "yes" if a.value else "no", a.source),)
    return LeafOutcome(Result.MET if a.value else Result.NOT_MET, ev, a.note or "")


def _dose(c: DoseCriterion, f: CaseFacts) -> LeafOutcome:
    d = f.dose
    if d is None:
        return LeafOutcome(Result.UNKNOWN, note="dose not given")
    ev: list[Evidence] = []
    if c.phase is not None:
        if d.phase is None:
            return LeafOutcome(
                Result.UNKNOWN, note="dose phase not given", missing=("request.dose.phase",)
            )
        ev.append(Evidence("request.dose.phase", d.phase.value, "request"))
        if d.phase is not c.phase:
            return LeafOutcome(
                Result.MET, tuple(ev), f"limits apply in the {c.phase.value} phase only"
            )
    checks: list[Result] = []
    missing: list[str] = []
    if c.max_mg_per_kg is not None:
        if d.dose_mg is None or d.weight_kg is None or d.weight_kg <= 0:
            checks.append(Result.UNKNOWN)
            missing.append("request.dose.dose_mg and request.dose.weight_kg")
        else:
            per_kg = d.dose_mg / d.weight_kg
            ev.append(
                Evidence(
                    "request.dose",
                    f"{d.dose_mg:g} mg / {d.weight_kg:g} kg = {per_kg:.2f} mg/kg",
                    "request",
                )
            )
            checks.append(_within(per_kg, c.max_mg_per_kg))
    if c.max_mg is not None:
        checks.append(_within(d.dose_mg, c.max_mg))
        if d.dose_mg is None:
            missing.append("request.dose.dose_mg")
        else:
            ev.append(Evidence("request.dose.dose_mg", f"{d.dose_mg:g}", "request"))
    if c.min_interval_weeks is not None:
        if d.interval_weeks is None:
            checks.append(Result.UNKNOWN)
            missing.append("request.dose.interval_weeks")
        else:
            ev.append(Evidence("request.dose.interval_weeks", f"{d.interval_weeks:g}", "request"))
            checks.append(
                Result.MET
                if d.interval_weeks * (1 + _EPS) >= c.min_interval_weeks
                else Result.NOT_MET
            )
    return LeafOutcome(all_checks(checks), tuple(ev), "", tuple(missing))


def evaluate_leaf(leaf: LeafCriterion, facts: CaseFacts) -> LeafOutcome:
    """Apply one leaf criterion to the facts."""
    match leaf:
        case AgeCriterion():
            return _age(leaf, facts)
        case DiagnosisCriterion():
            return _diagnosis(leaf, facts)
        case RequestedCodeCriterion():
            return _requested_code(leaf, facts)
        case PriorTreatmentCriterion():
            return _prior_treatment(leaf, facts)
        case FindingCriterion():
            return _finding(leaf, facts)
        case SettingCriterion():
            return _setting(leaf, facts)
        case LevelOfCareCriterion():
            return _level(leaf, facts)
        case FrequencyCriterion():
            return _frequency(leaf, facts)
        case LimitCriterion():
            return _limit(leaf, facts)
        case AttestationCriterion():
            return _attestation(leaf, facts)
        case DoseCriterion():
            return _dose(leaf, facts)
    raise TypeError(f"no rule for criterion kind {type(leaf).__name__}")
