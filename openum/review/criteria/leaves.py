"""Leaf criteria: single facts answerable from the request's structured data or by a reviewer."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from openum.packs.schema import Setting

CriterionId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)]
_ICD10CM = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{0,4})?$")


def normalize_icd(code: str) -> str:
    """ICD-10-CM code without its dot, upper-cased, so 'k50.90' and 'K5090' compare equal."""
    return code.strip().upper().replace(".", "")


@lru_cache(maxsize=4096)
def _in_code_set(code: str) -> bool:
    import simple_icd_10_cm as cm  # imported on first use: loading the code set takes seconds

    c = normalize_icd(code)
    return bool(cm.is_valid_item(c if len(c) <= 3 else f"{c[:3]}.{c[3:]}"))


def check_icd_list(codes: list[str]) -> list[str]:
    """Upper-case a list of ICD-10-CM codes or categories; reject any not in the code set."""
    # A typo in a prefix would silently match nothing and turn every case into "not met".
    bad = [c for c in codes if not _ICD10CM.match(c.strip().upper()) or not _in_code_set(c)]
    if bad:
        raise ValueError(f"not ICD-10-CM code(s) or categories: {bad}")
    return [c.strip().upper() for c in codes]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Leaf(Strict):
    """What every leaf has: an id, plain-language text (for questionnaires and letters)."""

    id: CriterionId
    text: str = Field(min_length=1)

    @property
    def reads(self) -> str:
        """The fact this criterion reads, as a dotted path into the case facts."""
        raise NotImplementedError


class TreatmentOutcome(StrEnum):
    FAILED = "failed"
    INEFFECTIVE = "ineffective"
    INTOLERANT = "intolerant"
    CONTRAINDICATED = "contraindicated"
    EFFECTIVE = "effective"
    ONGOING = "ongoing"


class DosePhase(StrEnum):
    INDUCTION = "induction"
    MAINTENANCE = "maintenance"


class AgeCriterion(Leaf):
    kind: Literal["age"]
    min_years: int | None = Field(default=None, ge=0, le=130)
    max_years: int | None = Field(default=None, ge=0, le=130)

    @model_validator(mode="after")
    def _bounded(self) -> AgeCriterion:
        if self.min_years is None and self.max_years is None:
            raise ValueError("give min_years, max_years or both")
        if (
            self.min_years is not None
            and self.max_years is not None
            and self.max_years < self.min_years
        ):
            raise ValueError("max_years is below min_years")
        return self

    @property
    def reads(self) -> str:
        return "member.age_years"


class DiagnosisCriterion(Leaf):
    """Met when a diagnosis on the request is one of `codes` or starts with one of `prefixes`."""

    kind: Literal["diagnosis"]
    codes: list[str] = []
    prefixes: list[str] = []

    @field_validator("codes", "prefixes")
    @classmethod
    def _icd(cls, v: list[str]) -> list[str]:
        return check_icd_list(v)

    @model_validator(mode="after")
    def _some(self) -> DiagnosisCriterion:
        if not self.codes and not self.prefixes:
            raise ValueError("give codes, prefixes or both")
        return self

    def matches(self, code: str) -> bool:
        c = normalize_icd(code)
        return c in {normalize_icd(x) for x in self.codes} or any(
            c.startswith(normalize_icd(p)) for p in self.prefixes
        )

    @property
    def reads(self) -> str:
        return "request.diagnoses"


class RequestedCodeCriterion(Leaf):
    """Met when the request includes one of these service codes (for code-specific branches)."""

    kind: Literal["requested_code"]
    codes: list[str] = Field(min_length=1)

    @field_validator("codes")
    @classmethod
    def _upper(cls, v: list[str]) -> list[str]:
        return [c.strip().upper() for c in v]

    @property
    def reads(self) -> str:
        return "request.codes"


class PriorTreatmentCriterion(Leaf):
    """At least `min_count` treatments from `classes` tried and stopped for a listed reason."""

    kind: Literal["prior_treatment"]
    classes: list[str] = Field(
        min_length=1, description="Treatment names or classes, any of which counts."
    )
    min_days: int = Field(default=0, ge=0)
    min_count: int = Field(default=1, ge=1)
    outcomes: list[TreatmentOutcome] = [
        TreatmentOutcome.FAILED,
        TreatmentOutcome.INEFFECTIVE,
        TreatmentOutcome.INTOLERANT,
    ]
    duration_waived_for: list[TreatmentOutcome] = Field(
        default=[TreatmentOutcome.INTOLERANT, TreatmentOutcome.CONTRAINDICATED],
        description="Outcomes for which the minimum duration does not apply (no one must keep "
        "taking a drug they cannot tolerate to qualify).",
    )

    @field_validator("classes")
    @classmethod
    def _lower(cls, v: list[str]) -> list[str]:
        return [c.strip().lower() for c in v]

    @property
    def reads(self) -> str:
        return "request.prior_treatments"


Comparison = Literal[">=", ">", "<=", "<", "=="]


class FindingCriterion(Leaf):
    """A clinical finding compared with a threshold in a stated unit (AHI >= 15 events/hour)."""

    kind: Literal["finding"]
    finding: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$")]
    op: Comparison
    value: float
    unit: str = Field(min_length=1)

    @property
    def reads(self) -> str:
        return f"request.findings.{self.finding}"


class SettingCriterion(Leaf):
    kind: Literal["setting"]
    settings: list[Setting] = Field(min_length=1)

    @property
    def reads(self) -> str:
        return "request.setting"


class LevelOfCareCriterion(Leaf):
    """The level of care requested is one of these (e.g. ASAM 3.1, 3.3, 3.5, 3.7)."""

    kind: Literal["level_of_care"]
    levels: list[str] = Field(min_length=1)

    @property
    def reads(self) -> str:
        return "request.level_of_care"


class FrequencyCriterion(Leaf):
    """The requested frequency (per week) and duration (weeks) stay within these limits."""

    kind: Literal["frequency"]
    max_per_week: float | None = Field(default=None, gt=0)
    max_weeks: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _some(self) -> FrequencyCriterion:
        if self.max_per_week is None and self.max_weeks is None:
            raise ValueError("give max_per_week, max_weeks or both")
        return self

    @property
    def reads(self) -> str:
        return "request.frequency_per_week, request.duration_weeks"


class LimitCriterion(Leaf):
    """The requested units and/or days (length of stay) do not exceed these maxima."""

    kind: Literal["limit"]
    max_units: int | None = Field(default=None, gt=0)
    max_days: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _some(self) -> LimitCriterion:
        if self.max_units is None and self.max_days is None:
            raise ValueError("give max_units, max_days or both")
        return self

    @property
    def reads(self) -> str:
        return "request.units, request.days"


class AttestationCriterion(Leaf):
    """A yes/no question for the reviewer (or the provider's questionnaire); `text` asks it."""

    kind: Literal["attestation"]

    @property
    def reads(self) -> str:
        return f"answers.{self.id}"


class DoseCriterion(Leaf):
    """Dose per kilogram and/or per administration, and the interval between doses."""

    kind: Literal["dose"]
    max_mg_per_kg: float | None = Field(default=None, gt=0)
    max_mg: float | None = Field(default=None, gt=0)
    min_interval_weeks: float | None = Field(default=None, gt=0)
    phase: DosePhase | None = Field(
        default=None,
        description="When set, the limits apply only in this phase; other phases meet it.",
    )

    @model_validator(mode="after")
    def _some(self) -> DoseCriterion:
        if self.max_mg_per_kg is None and self.max_mg is None and self.min_interval_weeks is None:
            raise ValueError("give max_mg_per_kg, max_mg or min_interval_weeks")
        return self

    @property
    def reads(self) -> str:
        return "request.dose"


LeafCriterion = (
    AgeCriterion
    | DiagnosisCriterion
    | RequestedCodeCriterion
    | PriorTreatmentCriterion
    | FindingCriterion
    | SettingCriterion
    | LevelOfCareCriterion
    | FrequencyCriterion
    | LimitCriterion
    | AttestationCriterion
    | DoseCriterion
)
