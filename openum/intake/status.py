"""Request statuses, the moves allowed between them, and the provider-facing code (seed 004)."""

from __future__ import annotations

from enum import StrEnum

from openum.errors import IllegalTransition


class Status(StrEnum):
    RECEIVED = "received"
    PENDED_FOR_INFORMATION = "pended_for_information"
    IN_CLINICAL_REVIEW = "in_clinical_review"
    IN_PHYSICIAN_REVIEW = "in_physician_review"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    DENIED = "denied"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    VOIDED = "voided"


class ProviderStatus(StrEnum):
    """The Service Authorization Report codes of seed 004."""

    APPROVED = "A"
    CLOSED = "C"
    DENIED = "D"
    PENDED = "P"
    MEDICAL_REVIEW = "M"


S = Status
_OPEN_EXITS = {S.APPROVED, S.PARTIALLY_APPROVED, S.DENIED, S.CLOSED, S.WITHDRAWN, S.VOIDED}

ALLOWED: dict[Status, frozenset[Status]] = {
    S.RECEIVED: frozenset({S.PENDED_FOR_INFORMATION, S.IN_CLINICAL_REVIEW, S.IN_PHYSICIAN_REVIEW}
                          | _OPEN_EXITS - {S.PARTIALLY_APPROVED}),
    S.PENDED_FOR_INFORMATION: frozenset({S.IN_CLINICAL_REVIEW, S.IN_PHYSICIAN_REVIEW} | _OPEN_EXITS),
    S.IN_CLINICAL_REVIEW: frozenset({S.PENDED_FOR_INFORMATION, S.IN_PHYSICIAN_REVIEW} | _OPEN_EXITS),
    S.IN_PHYSICIAN_REVIEW: frozenset({S.PENDED_FOR_INFORMATION, S.IN_CLINICAL_REVIEW} | _OPEN_EXITS),
    # A decided request changes only by a level-of-care change or error (closed), by voiding,
    # or when an appeal or reconsideration overturns it.
    S.APPROVED: frozenset({S.CLOSED, S.VOIDED}),
    S.PARTIALLY_APPROVED: frozenset({S.APPROVED, S.CLOSED, S.VOIDED}),
    S.DENIED: frozenset({S.APPROVED, S.PARTIALLY_APPROVED, S.CLOSED, S.VOIDED}),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.VOIDED: frozenset(),
}

OPEN_STATUSES = frozenset(
    {S.RECEIVED, S.PENDED_FOR_INFORMATION, S.IN_CLINICAL_REVIEW, S.IN_PHYSICIAN_REVIEW}
)
DECIDED_STATUSES = frozenset({S.APPROVED, S.PARTIALLY_APPROVED, S.DENIED})

_PROVIDER_CODE: dict[Status, ProviderStatus] = {
    S.RECEIVED: ProviderStatus.PENDED,
    S.PENDED_FOR_INFORMATION: ProviderStatus.PENDED,
    S.IN_CLINICAL_REVIEW: ProviderStatus.MEDICAL_REVIEW,
    S.IN_PHYSICIAN_REVIEW: ProviderStatus.MEDICAL_REVIEW,
    S.APPROVED: ProviderStatus.APPROVED,
    # A partial approval is an approval of what was given; the rest is an adverse determination
    # that the provider sees line by line.
    S.PARTIALLY_APPROVED: ProviderStatus.APPROVED,
    S.DENIED: ProviderStatus.DENIED,
    S.CLOSED: ProviderStatus.CLOSED,
    S.WITHDRAWN: ProviderStatus.CLOSED,
    S.VOIDED: ProviderStatus.CLOSED,
}


def provider_status(status: Status) -> ProviderStatus:
    """The A/C/D/P/M code a provider sees for an internal status."""
    return _PROVIDER_CODE[status]


def check_transition(current: Status, target: Status) -> None:
    """Raise IllegalTransition unless the table allows current -> target."""
    if target not in ALLOWED[current]:
        allowed = ", ".join(sorted(ALLOWED[current])) or "none (final status)"
        raise IllegalTransition(
            f"a request that is {current.value} cannot become {target.value}; allowed: {allowed}"
        )
