"""What a letter is about: the facts a caller supplies and the templates print."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Outcome(StrEnum):
    """The decision a letter reports; a partial approval is adverse, like a denial."""

    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    DENIED = "denied"

    @property
    def adverse(self) -> bool:
        return self is not Outcome.APPROVED


class AdministrativeReason(StrEnum):
    """Why a request was denied without a medical-necessity review (seed 004)."""

    EXCLUDED = "excluded"  # member-issued: not a covered benefit
    EXHAUSTED = "exhausted"  # member-issued: the benefit limit is used up
    NO_PRIOR_AUTH = "no_prior_auth"  # provider-only
    LATE_NOTIFICATION = "late_notification"  # provider-only
    NO_CLINICAL_DOCUMENTATION = "no_clinical_documentation"  # provider-only

    @property
    def provider_only(self) -> bool:
        """The provider missed a step, so the member is held harmless."""
        return self in _PROVIDER_ONLY


_PROVIDER_ONLY = {
    AdministrativeReason.NO_PRIOR_AUTH,
    AdministrativeReason.LATE_NOTIFICATION,
    AdministrativeReason.NO_CLINICAL_DOCUMENTATION,
}


@dataclass(frozen=True)
class MemberInfo:
    member_id: str
    name: str
    address: tuple[str, ...]
    language: str = "en"
    large_print: bool = False


@dataclass(frozen=True)
class ProviderInfo:
    """The requesting or treating practitioner (or facility) the letter is sent or copied to."""

    name: str
    address: tuple[str, ...] = ()
    npi: str | None = None
    phone: str | None = None
    fax: str | None = None


@dataclass(frozen=True)
class CodedItem:
    """A diagnosis or service code with its meaning, so no code appears unexplained."""

    code: str
    description: str
    system: str = ""


@dataclass(frozen=True)
class ServiceLine:
    description: str
    code: str
    code_system: str = "CPT"
    quantity: str | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Reviewer:
    """The physician (or other clinician) who made the decision, for peer-to-peer discussion."""

    name: str
    credential: str
    phone: str
    specialty: str | None = None
    hours: str | None = None


@dataclass(frozen=True)
class LetterContext:
    """Every fact a letter may print; which ones must be present depends on the letter's checklist."""

    member: MemberInfo
    provider: ProviderInfo
    authorization_id: str
    line_of_business: str
    letter_date: date
    services: tuple[ServiceLine, ...] = ()
    diagnoses: tuple[CodedItem, ...] = ()
    received_date: date | None = None
    outcome: Outcome | None = None
    decision_date: date | None = None
    effective_date: date | None = None
    approved_services: tuple[ServiceLine, ...] = ()
    specific_reason: str | None = None
    administrative_reason: AdministrativeReason | None = None
    member_condition: str | None = None
    plan_provision: str | None = None
    criterion_name: str | None = None
    criterion_version: str | None = None
    criteria_summary: str | None = None
    criteria_text: str | None = None
    # None means nobody said; () means the reviewer found no covered alternative, and the letter says so.
    alternatives: tuple[str, ...] | None = None
    information_needed: tuple[str, ...] = ()
    information_reason: str | None = None
    response_due_date: date | None = None
    decision_due_date: date | None = None
    reviewer: Reviewer | None = None
    appeal_deadline: date | None = None
    appeal_received_date: date | None = None
    continuation_deadline: date | None = None
    state_hearing_deadline: date | None = None
    # None means unknown; the checklist refuses a letter whose rules depend on it.
    erisa_governed: bool | None = None
    representative: str | None = None

    @property
    def adverse(self) -> bool:
        return self.outcome is not None and self.outcome.adverse
