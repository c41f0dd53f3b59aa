"""The facts of one case that criteria read: from the request, the member, and the reviewer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from openum.packs.schema import Setting
from openum.review.criteria.leaves import DosePhase, TreatmentOutcome
from openum.vocabulary import RequestKind


@dataclass(frozen=True)
class Measurement:
    """A clinical finding's value in its unit, e.g. Measurement(22, 'events/hour') for AHI."""

    value: float
    unit: str


@dataclass(frozen=True)
class PriorTreatment:
    """A treatment already tried: its name or class, how long, and how it ended."""

    name: str
    outcome: TreatmentOutcome
    duration_days: int | None = None
    treatment_class: str | None = None


@dataclass(frozen=True)
class DoseFacts:
    """The requested dose of a physician-administered drug."""

    dose_mg: float | None = None
    weight_kg: float | None = None
    interval_weeks: float | None = None
    phase: DosePhase | None = None


@dataclass(frozen=True)
class Answer:
    """A yes/no answer to an attestation question, and who gave it."""

    value: bool
    source: str = "reviewer"
    note: str | None = None


@dataclass(frozen=True)
class CaseFacts:
    """Everything the engine may read; None (or empty) means not known yet, never 'no'."""

    age_years: int | None = None
    diagnoses: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    units: int | None = None
    days: int | None = None
    setting: Setting | None = None
    level_of_care: str | None = None
    frequency_per_week: float | None = None
    duration_weeks: float | None = None
    # None: not reported; (): reported that nothing was tried. That decides unknown vs not met.
    prior_treatments: tuple[PriorTreatment, ...] | None = None
    findings: Mapping[str, Measurement] = field(default_factory=lambda: MappingProxyType({}))
    answers: Mapping[str, Answer] = field(default_factory=lambda: MappingProxyType({}))
    dose: DoseFacts | None = None
    request_kind: RequestKind | None = None


def age_on(birth_date: date, on: date) -> int:
    """Completed years of age on a date (the day before a birthday is still the younger age)."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
