"""Three-valued combinators and each kind of leaf criterion: met, not met, unknown, evidence."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from openum.packs.schema import Setting
from openum.review.criteria import (
    Answer,
    CaseFacts,
    DoseFacts,
    DosePhase,
    Measurement,
    MedicalPolicy,
    Outcome,
    PriorTreatment,
    Result,
    TreatmentOutcome,
    combine,
    evaluate,
)

M, N, U = Result.MET, Result.NOT_MET, Result.UNKNOWN


def policy(indications: dict[str, Any]) -> MedicalPolicy:
    return MedicalPolicy.model_validate(
        {
            "id": "t",
            "title": "t",
            "version": "1",
            "effective_from": "2026-01-01",
            "source": "test",
            "approvals": [{"committee": "c", "approved_on": "2025-12-01"}],
            "next_review_date": "2026-12-01",
            "applies_to": {"service_codes": ["X0001"]},
            "indications": indications,
        }
    )


def attest(i: str) -> dict[str, Any]:
    return {"kind": "attestation", "id": i, "text": f"question {i}"}


def answers(**values: Result) -> dict[str, Answer]:
    return {k: Answer(v is M) for k, v in values.items() if v is not U}


# Kleene truth tables written out by hand: the engine must agree with them.
@pytest.mark.parametrize(
    ("a", "b", "all_of", "any_of"),
    [
        (M, M, M, M),
        (M, N, N, M),
        (M, U, U, M),
        (N, M, N, M),
        (N, N, N, N),
        (N, U, N, U),
        (U, M, U, M),
        (U, N, N, U),
        (U, U, U, U),
    ],
)
def test_two_way_truth_tables(a: Result, b: Result, all_of: Result, any_of: Result) -> None:
    assert combine(2, [a, b]) is all_of
    assert combine(1, [a, b]) is any_of
    facts = CaseFacts(answers=answers(a=a, b=b))
    assert (
        evaluate(policy({"all_of": [attest("a"), attest("b")]}), facts).result_of("a").result is a
    )
    root_all = evaluate(policy({"all_of": [attest("a"), attest("b")]}), facts).results[0]
    root_any = evaluate(policy({"any_of": [attest("a"), attest("b")]}), facts).results[0]
    assert (root_all.result, root_any.result) == (all_of, any_of)


@pytest.mark.parametrize("combo", list(itertools.product([M, N, U], repeat=3)))
def test_at_least_two_of_three(combo: tuple[Result, Result, Result]) -> None:
    met, unknown = combo.count(M), combo.count(U)
    expected = M if met >= 2 else (N if met + unknown < 2 else U)
    facts = CaseFacts(answers=answers(a=combo[0], b=combo[1], c=combo[2]))
    ev = evaluate(policy({"at_least": 2, "of": [attest("a"), attest("b"), attest("c")]}), facts)
    assert ev.results[0].result is expected


def test_outcome_names_follow_the_root() -> None:
    p = policy({"all_of": [attest("a")]})
    assert evaluate(p, CaseFacts(answers=answers(a=M))).outcome is Outcome.CRITERIA_MET
    assert evaluate(p, CaseFacts(answers=answers(a=N))).outcome is Outcome.CRITERIA_NOT_MET
    assert evaluate(p, CaseFacts()).outcome is Outcome.INSUFFICIENT_INFORMATION


def test_results_are_recorded_for_every_node_in_document_order_with_paths() -> None:
    p = policy({"all_of": [attest("a"), {"any_of": [attest("b"), attest("c")], "id": "grp"}]})
    ev = evaluate(p, CaseFacts(answers=answers(a=M, b=N)))
    assert [(r.path, r.criterion_id, r.result) for r in ev.results] == [
        ("indications", None, U),
        ("indications.all_of[0]", "a", M),
        ("indications.all_of[1]", "grp", U),
        ("indications.all_of[1].any_of[0]", "b", N),
        ("indications.all_of[1].any_of[1]", "c", U),
    ]
    assert ev.policy_id == "t" and ev.policy_version == "1"
    assert [mf.criterion_id for mf in ev.missing_facts] == ["c"]
    assert ev.missing_facts[0].question == "question c"
    assert [r.criterion_id for r in ev.unmet()] == ["b"]


def test_missing_facts_skip_branches_already_settled() -> None:
    # any_of already met by "a": nothing under it is worth asking; "d" still decides the outcome.
    p = policy({"all_of": [{"any_of": [attest("a"), attest("b")]}, attest("d")]})
    ev = evaluate(p, CaseFacts(answers=answers(a=M)))
    assert ev.outcome is Outcome.INSUFFICIENT_INFORMATION
    assert [mf.criterion_id for mf in ev.missing_facts] == ["d"]
    # A not-met sibling settles the whole all_of: nothing is missing any more.
    ev = evaluate(p, CaseFacts(answers=answers(a=M, b=U, d=N)))
    assert ev.outcome is Outcome.CRITERIA_NOT_MET and ev.missing_facts == ()


def one(leaf: dict[str, Any], facts: CaseFacts) -> tuple[Result, tuple[str, ...]]:
    ev = evaluate(policy({"all_of": [{"id": "x", "text": "x", **leaf}]}), facts)
    r = ev.result_of("x")
    return r.result, tuple(e.fact for e in r.evidence)


def test_age_leaf() -> None:
    leaf = {"kind": "age", "min_years": 6, "max_years": 64}
    assert one(leaf, CaseFacts(age_years=6)) == (M, ("member.age_years",))
    assert one(leaf, CaseFacts(age_years=65))[0] is N
    assert one(leaf, CaseFacts(age_years=5))[0] is N
    assert one(leaf, CaseFacts())[0] is U


def test_diagnosis_leaf_matches_codes_and_prefixes_with_or_without_dot() -> None:
    leaf = {"kind": "diagnosis", "codes": ["G47.33"], "prefixes": ["K50"]}
    assert one(leaf, CaseFacts(diagnoses=("I10", "k50.90"))) == (M, ("request.diagnoses[1]",))
    assert one(leaf, CaseFacts(diagnoses=("G4733",)))[0] is M
    assert one(leaf, CaseFacts(diagnoses=("G47.30",)))[0] is N
    assert one(leaf, CaseFacts())[0] is U


def test_requested_code_leaf() -> None:
    leaf = {"kind": "requested_code", "codes": ["K0856"]}
    assert one(leaf, CaseFacts(codes=("k0856",)))[0] is M
    assert one(leaf, CaseFacts(codes=("K0823",)))[0] is N
    assert one(leaf, CaseFacts())[0] is U


def test_prior_treatment_leaf() -> None:
    leaf = {
        "kind": "prior_treatment",
        "classes": ["nsaid", "physical_therapy"],
        "min_days": 42,
        "min_count": 2,
    }
    F, INT, E = TreatmentOutcome.FAILED, TreatmentOutcome.INTOLERANT, TreatmentOutcome.EFFECTIVE
    two = (
        PriorTreatment("naproxen", F, 60, "nsaid"),
        PriorTreatment("PT", F, 45, "physical_therapy"),
    )
    assert one(leaf, CaseFacts(prior_treatments=two)) == (
        M,
        ("request.prior_treatments[0]", "request.prior_treatments[1]"),
    )
    # The same drug twice is one trial, not two.
    same = (PriorTreatment("naproxen", F, 60, "nsaid"), PriorTreatment("Naproxen", F, 90, "nsaid"))
    assert one(leaf, CaseFacts(prior_treatments=same))[0] is N
    # A treatment that worked does not count; intolerance counts whatever its length.
    assert (
        one(
            leaf,
            CaseFacts(prior_treatments=(two[0], PriorTreatment("PT", E, 60, "physical_therapy"))),
        )[0]
        is N
    )
    assert (
        one(
            leaf, CaseFacts(prior_treatments=(two[0], PriorTreatment("ibuprofen", INT, 3, "nsaid")))
        )[0]
        is M
    )
    # A qualifying-looking trial of unknown length leaves the answer open.
    assert (
        one(
            leaf,
            CaseFacts(prior_treatments=(two[0], PriorTreatment("PT", F, None, "physical_therapy"))),
        )[0]
        is U
    )
    # Reported as none tried: not met; not reported: unknown.
    assert one(leaf, CaseFacts(prior_treatments=()))[0] is N
    assert one(leaf, CaseFacts())[0] is U


@pytest.mark.parametrize(
    ("op", "threshold", "ahi", "expected"),
    [
        (">=", 15, 15, M),
        (">=", 15, 14.9, N),
        (">", 15, 15, N),
        ("<", 15.1, 15, M),
        ("<=", 15, 15, M),
        ("==", 15, 15, M),
        ("==", 14, 15, N),
    ],
)
def test_finding_leaf_comparisons(op: str, threshold: float, ahi: float, expected: Result) -> None:
    leaf = {
        "kind": "finding",
        "finding": "ahi",
        "op": op,
        "value": threshold,
        "unit": "events/hour",
    }
    assert one(leaf, CaseFacts(findings={"ahi": Measurement(ahi, "Events/Hour")}))[0] is expected


def test_finding_leaf_unknown_when_missing_or_in_another_unit() -> None:
    leaf = {"kind": "finding", "finding": "bmi", "op": "<", "value": 40, "unit": "kg/m2"}
    assert one(leaf, CaseFacts())[0] is U
    assert one(leaf, CaseFacts(findings={"bmi": Measurement(30, "lb/in2")}))[0] is U


def test_setting_and_level_of_care_leaves() -> None:
    assert one({"kind": "setting", "settings": ["home"]}, CaseFacts(setting=Setting.HOME))[0] is M
    assert one({"kind": "setting", "settings": ["home"]}, CaseFacts(setting=Setting.SNF))[0] is N
    assert one({"kind": "setting", "settings": ["home"]}, CaseFacts())[0] is U
    assert one({"kind": "level_of_care", "levels": ["3.5"]}, CaseFacts(level_of_care="3.5"))[0] is M
    assert one({"kind": "level_of_care", "levels": ["3.5"]}, CaseFacts(level_of_care="3.7"))[0] is N
    assert one({"kind": "level_of_care", "levels": ["3.5"]}, CaseFacts())[0] is U


def test_frequency_and_limit_leaves() -> None:
    freq = {"kind": "frequency", "max_per_week": 3, "max_weeks": 8}
    assert one(freq, CaseFacts(frequency_per_week=3, duration_weeks=8))[0] is M
    assert one(freq, CaseFacts(frequency_per_week=4, duration_weeks=8))[0] is N
    # One limit already broken decides it even though the other fact is missing.
    assert one(freq, CaseFacts(frequency_per_week=4))[0] is N
    assert one(freq, CaseFacts(frequency_per_week=2))[0] is U
    lim = {"kind": "limit", "max_units": 10, "max_days": 14}
    assert one(lim, CaseFacts(units=10, days=14)) == (M, ("request.units", "request.days"))
    assert one(lim, CaseFacts(units=11, days=3))[0] is N
    assert one(lim, CaseFacts(units=5))[0] is U


def test_limit_missing_fact_names_the_missing_one() -> None:
    p = policy(
        {"all_of": [{"kind": "limit", "id": "x", "text": "x", "max_units": 10, "max_days": 14}]}
    )
    ev = evaluate(p, CaseFacts(units=5))
    assert [mf.fact for mf in ev.missing_facts] == ["request.days"]


def test_attestation_leaf_cites_who_answered() -> None:
    p = policy({"all_of": [attest("a")]})
    ev = evaluate(p, CaseFacts(answers={"a": Answer(True, source="provider questionnaire")}))
    assert ev.result_of("a").evidence[0].source == "provider questionnaire"
    assert ev.result_of("a").evidence[0].fact == "answers.a"


def test_dose_leaf() -> None:
    leaf = {"kind": "dose", "max_mg_per_kg": 5, "max_mg": 1000}
    assert one(leaf, CaseFacts(dose=DoseFacts(dose_mg=350, weight_kg=70)))[0] is M
    assert one(leaf, CaseFacts(dose=DoseFacts(dose_mg=351, weight_kg=70)))[0] is N
    assert one(leaf, CaseFacts(dose=DoseFacts(dose_mg=1100, weight_kg=300)))[0] is N
    assert one(leaf, CaseFacts(dose=DoseFacts(dose_mg=350)))[0] is U
    assert one(leaf, CaseFacts())[0] is U
    interval = {"kind": "dose", "min_interval_weeks": 8, "phase": "maintenance"}
    maint, induct = DosePhase.MAINTENANCE, DosePhase.INDUCTION
    assert one(interval, CaseFacts(dose=DoseFacts(interval_weeks=8, phase=maint)))[0] is M
    assert one(interval, CaseFacts(dose=DoseFacts(interval_weeks=6, phase=maint)))[0] is N
    assert one(interval, CaseFacts(dose=DoseFacts(interval_weeks=2, phase=induct)))[0] is M
    assert one(interval, CaseFacts(dose=DoseFacts(interval_weeks=8)))[0] is U
    assert one(interval, CaseFacts(dose=DoseFacts(phase=maint)))[0] is U
