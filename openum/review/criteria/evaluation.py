"""What an evaluation records: per-criterion results with evidence, the outcome, what is missing."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Result(StrEnum):
    """Three-valued: unknown means the fact is not in hand, never that it is false."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    CRITERIA_MET = "criteria_met"
    CRITERIA_NOT_MET = "criteria_not_met"
    INSUFFICIENT_INFORMATION = "insufficient_information"


OUTCOME_OF = {
    Result.MET: Outcome.CRITERIA_MET,
    Result.NOT_MET: Outcome.CRITERIA_NOT_MET,
    Result.UNKNOWN: Outcome.INSUFFICIENT_INFORMATION,
}


@dataclass(frozen=True)
class Evidence:
    """One fact cited for a result: where it came from and the value read."""

    fact: str
    value: str
    source: str


@dataclass(frozen=True)
class MissingFact:
    """A fact to ask for: which criterion needs it, and the question in plain language."""

    criterion_id: str
    fact: str
    question: str


@dataclass(frozen=True)
class CriterionResult:
    """The result of one node (group or leaf) of a policy's tree."""

    path: str
    criterion_id: str | None
    kind: str
    text: str | None
    result: Result
    evidence: tuple[Evidence, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Evaluation:
    """A policy version applied to one case's facts."""

    policy_id: str
    policy_version: str
    outcome: Outcome
    results: tuple[CriterionResult, ...]
    missing_facts: tuple[MissingFact, ...]

    def result_of(self, criterion_id: str) -> CriterionResult:
        """The result recorded for a criterion id; KeyError when the policy has no such id."""
        for r in self.results:
            if r.criterion_id == criterion_id:
                return r
        raise KeyError(criterion_id)

    def unmet(self) -> tuple[CriterionResult, ...]:
        """Leaf criteria found not met (the specific reasons, for a physician and a letter)."""
        return tuple(
            r for r in self.results if r.result is Result.NOT_MET and r.kind not in _GROUPS
        )


_GROUPS = frozenset({"all_of", "any_of", "at_least"})
