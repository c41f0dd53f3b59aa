"""Where a request goes right after receipt, from its coverage answer and its missing items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openum.coverage.rules import CoverageAnswer, LineOutcome
from openum.intake.schemas import MissingItem
from openum.intake.status import Status


@dataclass(frozen=True)
class Routing:
    status: Status
    reason: str
    determination: dict[str, Any] | None = None


def _closed_reason(answer: CoverageAnswer) -> str:
    parts = []
    for ln in answer.lines:
        if ln.outcome is LineOutcome.NOT_PLAN_RESPONSIBILITY and ln.carve_out:
            parts.append(f"{ln.code}: not covered by this plan; {ln.carve_out['instructions']}")
        elif ln.outcome is LineOutcome.DELEGATED and ln.delegated_to:
            parts.append(f"{ln.code}: submit to {ln.delegated_to['name']}, which reviews it for the plan")
        elif ln.outcome is LineOutcome.NOTIFICATION_REQUESTED:
            parts.append(f"{ln.code}: notification recorded; no authorization is required")
        elif ln.outcome is LineOutcome.NO_AUTHORIZATION_NEEDED:
            parts.append(f"{ln.code}: no authorization is required")
    return "; ".join(parts)


def route(answer: CoverageAnswer | None, missing: list[MissingItem]) -> Routing:
    """The first status after `received`, and why."""
    if answer is not None and answer.outcome is LineOutcome.ADMINISTRATIVE_DENIAL:
        reason = answer.denial_reason.value if answer.denial_reason else "administrative"
        text = {
            "member_ineligible": f"Member not eligible: {answer.member.reason}",
            "service_excluded": "The requested service is excluded from the member's benefit plan",
            "benefit_exhausted": "The member has used the whole benefit for this period",
        }.get(reason, reason)
        return Routing(Status.DENIED, text, {
            "basis": "administrative",
            "category": reason,
            "member_issued": bool(answer.member_issued),
            "decided_by": "coverage rules",
            "automatic": True,
            "pack_version": answer.pack_version,
            "lines": [{"code": ln.code, "outcome": ln.outcome.value,
                       "denial_reason": ln.denial_reason.value if ln.denial_reason else None}
                      for ln in answer.lines],
        })
    # Without a known member nothing can be answered yet, however little the service needs.
    needs_review = answer is None or not answer.member.found or answer.outcome in (
        LineOutcome.AUTHORIZATION_REQUIRED,
        LineOutcome.NOTIFICATION_REQUIRED,
        LineOutcome.MEDICAL_NECESSITY_REVIEW,
    )
    if not needs_review and answer is not None:
        return Routing(Status.CLOSED, _closed_reason(answer), {
            "basis": "coverage",
            "category": answer.outcome.value,
            "decided_by": "coverage rules",
            "automatic": True,
            "pack_version": answer.pack_version,
        })
    if missing:
        return Routing(Status.PENDED_FOR_INFORMATION,
                       f"{len(missing)} item(s) missing or invalid: "
                       + "; ".join(f"{m.field}: {m.message}" for m in missing))
    if answer is not None and answer.outcome is LineOutcome.MEDICAL_NECESSITY_REVIEW:
        return Routing(Status.IN_CLINICAL_REVIEW,
                       "EPSDT: service outside the benefit plan goes to medical-necessity review")
    return Routing(Status.IN_CLINICAL_REVIEW, "complete request queued for clinical review")
