"""What automation may do with an evaluation: approve when criteria are met, otherwise hand over.

Automation never denies, reduces or partially approves. Only a physician (or, for behavioral
health, the BH clinical director) may issue an adverse medical-necessity determination, and a
partial approval is an adverse determination for the part not given (um-domain section 1 and 2;
seeds 001, 002, 004). A program cannot hold that authority, so the only outcomes it can produce
are an approval, or routing the case to a person who can decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from openum.review.criteria.evaluation import Evaluation, Outcome
from openum.review.criteria.schema import MedicalPolicy


class AutoAction(StrEnum):
    """Deliberately no deny, reduce or partial member: such a decision cannot be represented."""

    APPROVE = "approve"
    ROUTE_TO_NURSE = "route_to_nurse"
    ROUTE_TO_PHYSICIAN = "route_to_physician"


@dataclass(frozen=True)
class AutoDecision:
    """Automation's answer with its full trace: the evaluation it rests on and why."""

    action: AutoAction
    reason: str
    evaluation: Evaluation
    line_of_business: str

    @property
    def automatic(self) -> bool:
        """True when the system itself approved (recorded as automatic, not by a reviewer)."""
        return self.action is AutoAction.APPROVE

    def __post_init__(self) -> None:
        if self.action is AutoAction.APPROVE and not _approvable(self.evaluation):
            raise ValueError(
                "automation may approve only a criteria-met evaluation with no facts missing"
            )


def _approvable(ev: Evaluation) -> bool:
    return ev.outcome is Outcome.CRITERIA_MET and not ev.missing_facts


def automatic_decision(
    evaluation: Evaluation,
    *,
    policy: MedicalPolicy,
    line_of_business: str,
    not_met_route: AutoAction = AutoAction.ROUTE_TO_NURSE,
) -> AutoDecision:
    """Approve a met case if the policy allows it on this LOB; otherwise route it to a person."""
    if (evaluation.policy_id, evaluation.policy_version) != (policy.id, policy.version):
        raise ValueError(
            f"evaluation is of {evaluation.policy_id} v{evaluation.policy_version}, "
            f"not {policy.id} v{policy.version}"
        )
    if not_met_route is AutoAction.APPROVE:
        raise ValueError("a case whose criteria are not met cannot be routed to approval")

    def route(action: AutoAction, reason: str) -> AutoDecision:
        return AutoDecision(action, reason, evaluation, line_of_business)

    if evaluation.outcome is Outcome.CRITERIA_NOT_MET:
        # The nurse first, per the plans' escalation (nurse may approve on an override with a
        # recorded reason, or refer on); a plan may send these straight to its physicians.
        unmet = ", ".join(r.criterion_id or r.path for r in evaluation.unmet())
        return route(not_met_route, f"criteria not met ({unmet}); only a physician may deny")
    if not _approvable(evaluation):
        asks = ", ".join(sorted({m.fact for m in evaluation.missing_facts}))
        return route(AutoAction.ROUTE_TO_NURSE, f"insufficient information; ask for: {asks}")
    if line_of_business not in policy.auto_approve_for:
        return route(
            AutoAction.ROUTE_TO_NURSE,
            f"criteria met; policy {policy.id} does not allow automatic approval on "
            f"{line_of_business}",
        )
    return route(AutoAction.APPROVE, f"criteria met under {policy.id} v{policy.version}")
