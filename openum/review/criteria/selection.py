"""Choose the medical policy, and its version, in force for a service on a date."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from openum.review.criteria.leaves import normalize_icd
from openum.review.criteria.schema import MedicalPolicy
from openum.vocabulary import RequestKind


class AmbiguousPolicyError(ValueError):
    """Two policies, or two versions starting the same day, fit equally well: fix the pack."""


def _applies(
    p: MedicalPolicy, code: str, on: date, dx: Sequence[str], kind: RequestKind | None
) -> bool:
    a = p.applies_to
    if code not in a.service_codes or not p.in_force(on):
        return False
    if a.diagnosis_prefixes is not None and not any(
        d.startswith(normalize_icd(pre)) for d in dx for pre in a.diagnosis_prefixes
    ):
        return False
    return a.request_kinds is None or (kind is not None and kind in a.request_kinds)


def _specificity(p: MedicalPolicy) -> int:
    """A policy narrowed by diagnosis or request kind beats a general one for the same code."""
    return (p.applies_to.diagnosis_prefixes is not None) + (p.applies_to.request_kinds is not None)


def _current_version(versions: list[MedicalPolicy]) -> MedicalPolicy:
    """A newer version supersedes an open-ended older one from its effective_from on."""
    latest = max(v.effective_from for v in versions)
    newest = [v for v in versions if v.effective_from == latest]
    if len(newest) > 1:
        raise AmbiguousPolicyError(
            f"policy {newest[0].id!r} has versions {sorted(v.version for v in newest)} "
            f"starting {latest}"
        )
    return newest[0]


def policy_for(
    policies: Iterable[MedicalPolicy],
    code: str,
    on_date: date,
    diagnoses: Sequence[str] = (),
    request_kind: RequestKind | None = None,
) -> MedicalPolicy | None:
    """The policy version in force for a code on a date, or None when no criteria apply."""
    code = code.strip().upper()
    dx = [normalize_icd(d) for d in diagnoses]
    by_id: dict[str, list[MedicalPolicy]] = {}
    for p in policies:
        if _applies(p, code, on_date, dx, request_kind):
            by_id.setdefault(p.id, []).append(p)
    if not by_id:
        return None
    current = [_current_version(vs) for vs in by_id.values()]
    best = max(_specificity(p) for p in current)
    top = [p for p in current if _specificity(p) == best]
    if len(top) > 1:
        raise AmbiguousPolicyError(
            f"policies {sorted(p.id for p in top)} all apply to {code} on {on_date}"
        )
    return top[0]
