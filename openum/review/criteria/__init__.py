"""Medical-necessity criteria: policies from the plan pack, their evaluation, and automation."""

from openum.review.criteria.automation import AutoAction, AutoDecision, automatic_decision
from openum.review.criteria.engine import combine, evaluate
from openum.review.criteria.evaluation import (
    CriterionResult,
    Evaluation,
    Evidence,
    MissingFact,
    Outcome,
    Result,
)
from openum.review.criteria.facts import (
    Answer,
    CaseFacts,
    DoseFacts,
    Measurement,
    PriorTreatment,
    age_on,
)
from openum.review.criteria.governance import overdue_for_review, overdue_policies
from openum.review.criteria.leaves import DosePhase, TreatmentOutcome
from openum.review.criteria.schema import MedicalPolicy, PolicyFile
from openum.review.criteria.selection import AmbiguousPolicyError, policy_for

__all__ = [
    "AmbiguousPolicyError",
    "Answer",
    "AutoAction",
    "AutoDecision",
    "CaseFacts",
    "CriterionResult",
    "DoseFacts",
    "DosePhase",
    "Evaluation",
    "Evidence",
    "Measurement",
    "MedicalPolicy",
    "MissingFact",
    "Outcome",
    "PolicyFile",
    "PriorTreatment",
    "Result",
    "TreatmentOutcome",
    "age_on",
    "automatic_decision",
    "combine",
    "evaluate",
    "overdue_for_review",
    "overdue_policies",
    "policy_for",
]
