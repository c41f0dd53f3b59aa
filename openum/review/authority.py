"""Who may decide what (domain section 1), enforced by the server. Pure: no database.

Every refusal names the rule it applies, so a reviewer (and an auditor) sees why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from openum.errors import DomainError
from openum.packs.schema import ReviewerRole

BEHAVIORAL = frozenset({"behavioral_health", "sud_residential"})


class Action(StrEnum):
    APPROVE = "approve"
    PARTIAL_APPROVE = "partial_approve"  # a modification: the part not given is adverse
    DENY_MEDICAL_NECESSITY = "deny_medical_necessity"
    DENY_ADMINISTRATIVE = "deny_administrative"


class AuthorityExceeded(DomainError):
    """The reviewer's role, credentials or relationship to the member do not allow the action."""

    code = "authority_exceeded"
    http_status = 403

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{message} [rule: {rule}]", details=[{"rule": rule, "msg": message}])
        self.rule = rule


@dataclass(frozen=True)
class Reviewer:
    username: str
    role: ReviewerRole | None
    credentials: tuple[dict[str, Any], ...]


def _current(creds: tuple[dict[str, Any], ...], kinds: set[str], today: date) -> tuple[bool, bool]:
    """(holds one of these, and at least one of them is unexpired)."""
    held = [c for c in creds if str(c.get("type", "")).lower() in {k.lower() for k in kinds}]
    live = [c for c in held if not c.get("expires_on") or date.fromisoformat(str(c["expires_on"])) >= today]
    return bool(held), bool(live)


def check(
    action: Action,
    *,
    reviewer: Reviewer,
    category: str | None,
    today: date,
    criteria_outcome: str | None,
    override_reason: str | None,
    involved_in_care: bool,
) -> None:
    """Raise AuthorityExceeded unless this reviewer may take this action on this request."""
    role = reviewer.role
    if role is None:
        raise AuthorityExceeded("role-not-in-plan", f"{reviewer.username}'s role has no decision "
                                "authority in this plan's pack")
    if involved_in_care:
        raise AuthorityExceeded("conflict-of-interest", f"{reviewer.username} is recorded as involved "
                                "in this member's care and may not decide this request")
    if role.credentials:
        held, live = _current(reviewer.credentials, set(role.credentials), today)
        if not held:
            raise AuthorityExceeded("credential-required", f"{role.name} decisions need one of "
                                    f"{', '.join(role.credentials)}; none is on file for {reviewer.username}")
        if not live:
            raise AuthorityExceeded("credential-expired", f"{reviewer.username}'s "
                                    f"{'/'.join(role.credentials)} credential has expired")
    for training in role.requires_training:
        held, live = _current(reviewer.credentials, {training}, today)
        if not live:
            raise AuthorityExceeded("training-expired" if held else "training-required",
                                    f"{role.name} decisions need current {training.upper()} training")
    if role.scope_categories is not None and category not in role.scope_categories:
        raise AuthorityExceeded("outside-scope", f"{role.name} may act only on "
                                f"{', '.join(role.scope_categories)}, not {category}")
    if action is Action.APPROVE:
        if not role.may_approve:
            raise AuthorityExceeded("may-not-approve", f"{role.name} may not approve")
        if criteria_outcome != "criteria_met":
            if role.approve_requires_criteria_met:
                raise AuthorityExceeded(
                    "approve-requires-criteria-met",
                    f"{role.name} approves only when criteria are met (criteria: "
                    f"{criteria_outcome or 'none evaluated'}); refer the request to a physician")
            if not override_reason:
                raise AuthorityExceeded("override-needs-reason", "approving although criteria are not "
                                        "met needs a recorded override reason")
    elif action is Action.PARTIAL_APPROVE:
        if not role.may_modify:
            raise AuthorityExceeded("modification-physician-only", f"{role.name} may not modify or "
                                    "partially approve: the part not given is an adverse determination")
    elif action is Action.DENY_MEDICAL_NECESSITY:
        if not role.may_deny_medical_necessity:
            raise AuthorityExceeded("medical-necessity-denial-physician-only",
                                    f"{role.name} may not deny for medical necessity; refer to a physician")
        if role.behavioral_health_only and category not in BEHAVIORAL:
            raise AuthorityExceeded("behavioral-health-only", f"{role.name} may deny only "
                                    "behavioral-health and SUD services")
    elif action is Action.DENY_ADMINISTRATIVE and not role.may_deny_administrative:
        raise AuthorityExceeded("may-not-deny-administratively",
                                f"{role.name} may not issue administrative denials")
