"""Who may decide an appeal (docs/regulation.md "Appeal reviewers"). Pure: no database.

* The reviewer is neither a person who made the adverse decision under appeal (the original
  decision maker, or a physician who upheld it on reconsideration) nor that person's subordinate,
  directly or down a reporting line (42 CFR 438.406(b)(2)(i); 422.590(h)(1); 29 CFR
  2560.503-1(h)(3)(ii), (h)(4); NCQA UM 8).
* Upholding a medical-necessity denial, in whole or in part, needs a physician (a pack role that
  may deny for medical necessity) whose specialty is the same as, or similar to, the specialty of
  the service (438.406(b)(2)(iii); 422.590(h)(2); 2560.503-1(h)(3)(iii)). "Same or similar" is pack
  data: appeals/appeals.yaml `specialties` (see openum.appeals.schema.Specialties).
* Anyone whose pack role may approve may overturn (subject to independence and their authority).

Refusals raise openum.review.authority.AuthorityExceeded naming the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from openum.appeals.schema import Specialties
from openum.review.authority import AuthorityExceeded


def reporting_line(user_id: int, supervisors: Mapping[int, int | None]) -> list[int]:
    """The user's supervisor, that person's supervisor, and so on (a cycle stops the walk)."""
    chain: list[int] = []
    current = supervisors.get(user_id)
    while current is not None and current not in chain and current != user_id:
        chain.append(current)
        current = supervisors.get(current)
    return chain


def check_independent(
    reviewer_id: int, reviewer_name: str, prior_deciders: Mapping[int, str],
    supervisors: Mapping[int, int | None],
) -> None:
    """Refuse a reviewer who made the decision under appeal or reports (up the line) to one who did."""
    if reviewer_id in prior_deciders:
        raise AuthorityExceeded(
            "appeal-reviewer-made-original-decision",
            f"{reviewer_name} made the decision under appeal ({prior_deciders[reviewer_id]}); "
            "someone who was not involved in it must decide the appeal")
    for boss in reporting_line(reviewer_id, supervisors):
        if boss in prior_deciders:
            raise AuthorityExceeded(
                "appeal-reviewer-subordinate-of-original-decider",
                f"{reviewer_name} reports to {prior_deciders[boss]}, who made the decision under appeal; "
                "a subordinate of the original decision maker may not decide the appeal")


def service_specialties(specialties: Specialties, services: Iterable[tuple[str, str | None]]) -> dict[str, set[str]]:
    """Per service code, the specialties that count as 'the same' (empty when the pack names none)."""
    return {code: specialties.for_service(code, category) for code, category in services}


def check_expertise(
    reviewer_name: str, reviewer_specialty: str | None, specialties: Specialties,
    services: Iterable[tuple[str, str | None]],
) -> dict[str, object]:
    """Refuse an upholding reviewer without the same or a similar specialty for every service.

    Returns what was checked, for the appeal record.
    """
    if not reviewer_specialty:
        raise AuthorityExceeded(
            "upholding-needs-specialty-on-file",
            f"{reviewer_name} has no specialty on file; upholding a medical-necessity denial needs a "
            "physician in the same or a similar specialty (a supervisor records it under reviewer profiles)")
    wanted = service_specialties(specialties, services)
    accepted = specialties.similar_to(reviewer_specialty)
    for code, needed in wanted.items():
        if needed and not needed & accepted:
            raise AuthorityExceeded(
                "upholding-needs-same-or-similar-specialty",
                f"{reviewer_name} ({reviewer_specialty}) is not in the same or a similar specialty as "
                f"service {code} ({', '.join(sorted(needed))}); only such a physician may uphold the denial")
    return {"reviewer_specialty": reviewer_specialty,
            "service_specialties": {c: sorted(s) for c, s in wanted.items()},
            "configured": any(wanted.values())}
