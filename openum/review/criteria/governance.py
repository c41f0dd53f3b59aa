"""Policy upkeep: each policy is reviewed at least annually; one past its date is flagged."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from openum.review.criteria.schema import MedicalPolicy


def overdue_for_review(policy: MedicalPolicy, today: date) -> bool:
    """True once today is after the policy's next review date (the date itself is still on time)."""
    return today > policy.next_review_date


def _current(policies: Iterable[MedicalPolicy], today: date) -> list[MedicalPolicy]:
    by_id: dict[str, MedicalPolicy] = {}
    for p in policies:
        if not p.in_force(today):
            continue
        held = by_id.get(p.id)
        if held is None or p.effective_from > held.effective_from:
            by_id[p.id] = p
    return list(by_id.values())


def overdue_policies(policies: Iterable[MedicalPolicy], today: date) -> list[MedicalPolicy]:
    """Versions in force today that are past review, most overdue first (for the UM manager)."""
    # Superseded and expired versions are history, not work: only the version in force is flagged.
    overdue = [p for p in _current(policies, today) if overdue_for_review(p, today)]
    return sorted(overdue, key=lambda p: (p.next_review_date, p.id))
