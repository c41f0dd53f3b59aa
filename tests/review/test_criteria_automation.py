"""Automation approves, never denies: shipped-policy examples and properties on random trees."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openum.packs.schema import Setting
from openum.review.criteria import (
    Answer,
    AutoAction,
    AutoDecision,
    CaseFacts,
    DoseFacts,
    DosePhase,
    Evaluation,
    Measurement,
    MedicalPolicy,
    Outcome,
    PriorTreatment,
    Result,
    TreatmentOutcome,
    automatic_decision,
    evaluate,
)

LOBS = ["medi-cal", "commercial", "qhp"]
GROUP_KEYS = ("all_of", "any_of", "at_least")


def cpap_met(extra: Mapping[str, Answer] | None = None) -> CaseFacts:
    return CaseFacts(
        diagnoses=("G47.33",),
        codes=("E0601",),
        units=3,
        setting=Setting.HOME,
        findings={"ahi": Measurement(30, "events/hour")},
        answers={
            k: Answer(True)
            for k in ("face-to-face-before-test", "qualifying-sleep-test", "instructed-in-use")
        }
        | dict(extra or {}),
    )


def test_automation_action_vocabulary_has_no_adverse_action() -> None:
    # Deny, reduce, modify and partial approval cannot even be represented.
    assert {a.value for a in AutoAction} == {"approve", "route_to_nurse", "route_to_physician"}


def test_met_case_is_approved_automatically_where_allowed(
    policies: dict[str, MedicalPolicy], lob: str
) -> None:
    p = policies["cpap-initial"]
    d = automatic_decision(evaluate(p, cpap_met()), policy=p, line_of_business=lob)
    assert d.action is AutoAction.APPROVE and d.automatic
    assert d.evaluation.policy_version == p.version and d.line_of_business == lob


def test_met_case_goes_to_a_nurse_where_automation_is_not_allowed(
    policies: dict[str, MedicalPolicy], lob: str
) -> None:
    # Both packs route SUD residential to a person (BH nurse with ASAM training in seed 001).
    p = policies["cpap-initial"]
    d = automatic_decision(evaluate(p, cpap_met()), policy=p, line_of_business="medicare")
    assert d.action is AutoAction.ROUTE_TO_NURSE and "does not allow" in d.reason
    assert policies["sud-residential"].auto_approve_for == []


def test_not_met_goes_to_a_person_never_denied(
    policies: dict[str, MedicalPolicy], lob: str
) -> None:
    p = policies["cpap-initial"]
    ev = evaluate(
        p, CaseFacts(diagnoses=("G47.33",), findings={"ahi": Measurement(2, "events/hour")})
    )
    assert ev.outcome is Outcome.CRITERIA_NOT_MET
    assert (
        automatic_decision(ev, policy=p, line_of_business=lob).action is AutoAction.ROUTE_TO_NURSE
    )
    straight = automatic_decision(
        ev, policy=p, line_of_business=lob, not_met_route=AutoAction.ROUTE_TO_PHYSICIAN
    )
    assert straight.action is AutoAction.ROUTE_TO_PHYSICIAN and "ahi" in straight.reason
    with pytest.raises(ValueError):
        automatic_decision(ev, policy=p, line_of_business=lob, not_met_route=AutoAction.APPROVE)


def test_over_the_limit_request_is_routed_not_cut_down(
    policies: dict[str, MedicalPolicy], lob: str
) -> None:
    # Five rental months asked, three allowed: automation does not approve three; a person decides.
    p = policies["cpap-initial"]
    facts = cpap_met()
    ev = evaluate(p, replace(facts, units=5))
    d = automatic_decision(ev, policy=p, line_of_business=lob)
    assert ev.outcome is Outcome.CRITERIA_NOT_MET and d.action is not AutoAction.APPROVE


def test_insufficient_information_goes_to_a_nurse_with_what_to_ask(
    policies: dict[str, MedicalPolicy], lob: str
) -> None:
    p = policies["cpap-initial"]
    ev = evaluate(p, CaseFacts(diagnoses=("G47.33",)))
    d = automatic_decision(ev, policy=p, line_of_business=lob)
    assert d.action is AutoAction.ROUTE_TO_NURSE and "request.findings.ahi" in d.reason


def test_evaluation_of_another_policy_is_refused(
    policies: dict[str, MedicalPolicy], lob: str
) -> None:
    ev = evaluate(policies["cpap-initial"], cpap_met())
    with pytest.raises(ValueError, match="not"):
        automatic_decision(ev, policy=policies["cpap-continued"], line_of_business=lob)


def test_an_approval_cannot_be_forged_for_an_unmet_evaluation(
    policies: dict[str, MedicalPolicy], lob: str
) -> None:
    ev = evaluate(policies["cpap-initial"], CaseFacts())
    with pytest.raises(ValueError):
        AutoDecision(AutoAction.APPROVE, "forged", ev, lob)


# --- property tests: random policy trees and random facts

_leaf = st.one_of(
    st.just({"kind": "attestation"}),
    st.builds(lambda lo: {"kind": "age", "min_years": lo}, st.integers(0, 90)),
    st.builds(
        lambda name, op, v: {"kind": "finding", "finding": name, "op": op, "value": v, "unit": "u"},
        st.sampled_from(["ahi", "bmi"]),
        st.sampled_from([">=", ">", "<=", "<", "=="]),
        st.integers(0, 40),
    ),
    st.builds(
        lambda units, days: {"kind": "limit", "max_units": units, "max_days": days},
        st.integers(1, 20),
        st.one_of(st.none(), st.integers(1, 30)),
    ),
    st.builds(
        lambda pre: {"kind": "diagnosis", "prefixes": pre},
        st.lists(st.sampled_from(["G47.33", "I10", "K50"]), min_size=1, unique=True),
    ),
    st.builds(
        lambda kg, wk, ph: {
            "kind": "dose",
            "max_mg_per_kg": kg,
            "min_interval_weeks": wk,
            "phase": ph,
        },
        st.integers(1, 10),
        st.integers(1, 8),
        st.sampled_from([None, "maintenance"]),
    ),
    st.builds(
        lambda days, n: {
            "kind": "prior_treatment",
            "classes": ["nsaid", "pt"],
            "min_days": days,
            "min_count": n,
        },
        st.integers(0, 90),
        st.integers(1, 2),
    ),
    st.builds(lambda per_week: {"kind": "frequency", "max_per_week": per_week}, st.integers(1, 5)),
    st.builds(
        lambda s: {"kind": "setting", "settings": s},
        st.lists(st.sampled_from(["home", "office", "snf"]), min_size=1, unique=True),
    ),
)


def _group(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    kids = st.lists(children, min_size=1, max_size=4)
    return st.one_of(
        kids.map(lambda k: {"all_of": k}),
        kids.map(lambda k: {"any_of": k}),
        kids.flatmap(lambda k: st.integers(1, len(k)).map(lambda n: {"at_least": n, "of": k})),
    )


_tree = st.recursive(_leaf, _group, max_leaves=14)


def _with_ids(node: dict[str, Any], counter: itertools.count[int]) -> dict[str, Any]:
    for key in ("all_of", "any_of", "of"):
        if key in node:
            return {**node, key: [_with_ids(c, counter) for c in node[key]]}
    i = next(counter)
    return {**node, "id": f"n{i}", "text": f"criterion {i}"}


@st.composite
def policies_st(draw: st.DrawFn) -> MedicalPolicy:
    tree = _with_ids(draw(_tree), itertools.count())
    return MedicalPolicy.model_validate(
        {
            "id": "random",
            "title": "random",
            "version": "1",
            "effective_from": "2026-01-01",
            "source": "test",
            "approvals": [{"committee": "c", "approved_on": "2025-12-01"}],
            "next_review_date": "2026-12-01",
            "applies_to": {"service_codes": ["X0001"]},
            "auto_approve_for": draw(st.lists(st.sampled_from(LOBS), unique=True)),
            "indications": tree,
        }
    )


_opt = st.one_of
facts_st = st.builds(
    CaseFacts,
    age_years=_opt(st.none(), st.integers(0, 100)),
    diagnoses=st.lists(st.sampled_from(["G47.33", "I10", "K50.90", "M17.11"]), max_size=3).map(
        tuple
    ),
    units=_opt(st.none(), st.integers(0, 30)),
    days=_opt(st.none(), st.integers(0, 40)),
    setting=_opt(st.none(), st.sampled_from(list(Setting))),
    frequency_per_week=_opt(st.none(), st.integers(0, 7).map(float)),
    findings=st.dictionaries(
        st.sampled_from(["ahi", "bmi"]),
        st.builds(Measurement, st.integers(0, 50).map(float), st.sampled_from(["u", "other"])),
    ),
    answers=st.dictionaries(
        st.sampled_from([f"n{i}" for i in range(20)]), st.builds(Answer, st.booleans())
    ),
    prior_treatments=_opt(
        st.none(),
        st.lists(
            st.builds(
                PriorTreatment,
                st.sampled_from(["nsaid", "pt", "opioid"]),
                st.sampled_from(list(TreatmentOutcome)),
                _opt(st.none(), st.integers(0, 120)),
            ),
            max_size=3,
        ).map(tuple),
    ),
    dose=_opt(
        st.none(),
        st.builds(
            DoseFacts,
            _opt(st.none(), st.integers(0, 1000).map(float)),
            _opt(st.none(), st.integers(1, 120).map(float)),
            _opt(st.none(), st.integers(1, 12).map(float)),
            _opt(st.none(), st.sampled_from(list(DosePhase))),
        ),
    ),
)


def _two_valued(node: dict[str, Any], leaves: Mapping[str, Result], unknown_as: bool) -> bool:
    """The tree in plain boolean logic, with every unknown leaf read as `unknown_as`."""
    for key, needed in (("all_of", None), ("any_of", 1), ("of", node.get("at_least"))):
        if key in node:
            vals = [_two_valued(c, leaves, unknown_as) for c in node[key]]
            return sum(vals) >= (len(vals) if needed is None else needed)
    r = leaves[node["id"]]
    return unknown_as if r is Result.UNKNOWN else r is Result.MET


def _leaf_results(ev: Evaluation) -> dict[str, Result]:
    return {
        r.criterion_id: r.result for r in ev.results if r.kind not in GROUP_KEYS and r.criterion_id
    }


@settings(max_examples=400, deadline=None)
@given(policies_st(), facts_st, st.sampled_from(LOBS))
def test_automation_never_denies_reduces_or_approves_on_unmet_or_unknown(
    policy: MedicalPolicy, facts: CaseFacts, lob: str
) -> None:
    ev = evaluate(policy, facts)
    d = automatic_decision(ev, policy=policy, line_of_business=lob)
    assert d.action in (
        AutoAction.APPROVE,
        AutoAction.ROUTE_TO_NURSE,
        AutoAction.ROUTE_TO_PHYSICIAN,
    )
    if d.action is not AutoAction.APPROVE:
        return
    assert ev.outcome is Outcome.CRITERIA_MET and not ev.missing_facts
    assert lob in policy.auto_approve_for
    # However every unknown fact turns out, the policy would still be met: nothing unknown or unmet
    # that the decision depends on.
    tree = policy.indications.model_dump(exclude_none=True)
    assert _two_valued(tree, _leaf_results(ev), unknown_as=False)


@settings(max_examples=400, deadline=None)
@given(policies_st(), facts_st)
def test_three_valued_outcome_matches_every_completion_of_the_unknowns(
    policy: MedicalPolicy, facts: CaseFacts
) -> None:
    ev = evaluate(policy, facts)
    tree = policy.indications.model_dump(exclude_none=True)
    leaves = _leaf_results(ev)
    pessimistic = _two_valued(tree, leaves, unknown_as=False)
    optimistic = _two_valued(tree, leaves, unknown_as=True)
    expected = (
        Outcome.CRITERIA_MET
        if pessimistic
        else Outcome.CRITERIA_NOT_MET
        if not optimistic
        else Outcome.INSUFFICIENT_INFORMATION
    )
    assert ev.outcome is expected
    # Something to ask for exactly when the information is insufficient.
    assert bool(ev.missing_facts) == (ev.outcome is Outcome.INSUFFICIENT_INFORMATION)


@settings(max_examples=200, deadline=None)
@given(policies_st(), facts_st, st.sampled_from(LOBS))
def test_all_of_policies_are_never_approved_with_any_leaf_unmet_or_unknown(
    policy: MedicalPolicy, facts: CaseFacts, lob: str
) -> None:
    flat = MedicalPolicy.model_validate(
        {
            **policy.model_dump(),
            "indications": {
                "all_of": [leaf.model_dump(exclude_none=True) for leaf in policy.leaves()]
            },
        }
    )
    ev = evaluate(flat, facts)
    d = automatic_decision(ev, policy=flat, line_of_business=lob)
    if any(r is not Result.MET for r in _leaf_results(ev).values()):
        assert d.action is not AutoAction.APPROVE
