"""Apply a medical policy to a case's facts with three-valued logic, citing the evidence."""

from __future__ import annotations

from collections.abc import Iterable

from openum.review.criteria.evaluation import (
    OUTCOME_OF,
    CriterionResult,
    Evaluation,
    MissingFact,
    Result,
)
from openum.review.criteria.facts import CaseFacts
from openum.review.criteria.rules import evaluate_leaf
from openum.review.criteria.schema import AllOf, AnyOf, AtLeast, MedicalPolicy, Node, child_paths
from openum.review.criteria.selection import AmbiguousPolicyError, policy_for

__all__ = ["AmbiguousPolicyError", "combine", "evaluate", "policy_for"]


def combine(needed: int, results: Iterable[Result]) -> Result:
    """At least `needed` of the results met (Kleene): all_of needs all, any_of needs one."""
    rs = list(results)
    met = rs.count(Result.MET)
    unknown = rs.count(Result.UNKNOWN)
    if met >= needed:
        return Result.MET
    # Even if every unknown turned out met there would not be enough: the answer is already no.
    if met + unknown < needed:
        return Result.NOT_MET
    return Result.UNKNOWN


class _Walker:
    """Evaluates a tree once, recording every node's result in document order."""

    def __init__(self, facts: CaseFacts) -> None:
        self.facts = facts
        self.results: list[CriterionResult] = []
        self.by_path: dict[str, CriterionResult] = {}
        self.leaf_missing: dict[str, tuple[str, ...]] = {}

    def visit(self, node: Node, path: str) -> Result:
        slot = len(self.results)
        if isinstance(node, AllOf | AnyOf | AtLeast):
            child_results = [self.visit(c, p) for p, c in child_paths(node, path)]
            result = combine(node.needed, child_results)
            met = child_results.count(Result.MET)
            note = f"{met} of {len(child_results)} met; needs {node.needed}"
            rec = CriterionResult(path, node.id, node.kind, node.text, result, (), note)
        else:
            leaf = evaluate_leaf(node, self.facts)
            rec = CriterionResult(
                path, node.id, node.kind, node.text, leaf.result, leaf.evidence, leaf.note
            )
            self.leaf_missing[path] = leaf.missing or (node.reads,)
        self.results.insert(slot, rec)
        self.by_path[path] = rec
        return rec.result

    def missing(self, node: Node, path: str) -> list[MissingFact]:
        """Unknown leaves under unknown ancestors: a settled branch no longer needs its facts."""
        if self.by_path[path].result is not Result.UNKNOWN:
            return []
        if isinstance(node, AllOf | AnyOf | AtLeast):
            return [m for p, c in child_paths(node, path) for m in self.missing(c, p)]
        return [MissingFact(node.id, fact, node.text) for fact in self.leaf_missing[path]]


def evaluate(policy: MedicalPolicy, facts: CaseFacts) -> Evaluation:
    """Evaluate every criterion of the policy against the facts; reports, never decides."""
    walker = _Walker(facts)
    root = walker.visit(policy.indications, "indications")
    return Evaluation(
        policy_id=policy.id,
        policy_version=policy.version,
        outcome=OUTCOME_OF[root],
        results=tuple(walker.results),
        missing_facts=tuple(walker.missing(policy.indications, "indications")),
    )
