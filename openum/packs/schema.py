"""The shape of a plan pack; every file is validated against these models on load."""

from __future__ import annotations

import re
from datetime import date, time
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Program(StrEnum):
    MEDICAID = "medicaid"
    MEDICARE_ADVANTAGE = "medicare_advantage"
    COMMERCIAL = "commercial"
    QHP = "qhp"


class Requirement(StrEnum):
    """What a plan asks of the provider before a service is paid."""

    PRIOR_AUTH = "prior_auth"
    REQUIRED_NOTIFICATION = "required_notification"
    REQUESTED_NOTIFICATION = "requested_notification"
    NONE = "none"
    EXCLUDED = "excluded"


class CodeSystem(StrEnum):
    CPT = "CPT"
    HCPCS = "HCPCS"
    REVENUE = "REV"
    NDC = "NDC"
    ICD10PCS = "ICD-10-PCS"


class Setting(StrEnum):
    """Where a service is rendered, as far as authorization rules care."""

    INPATIENT = "inpatient"
    OBSERVATION = "observation"
    EMERGENCY = "emergency"
    SURGICAL_DAY_CARE = "surgical_day_care"
    OUTPATIENT = "outpatient"
    OFFICE = "office"
    HOME = "home"
    SNF = "snf"
    RESIDENTIAL = "residential"


class Contact(Strict):
    phone: str
    tty: str | None = None
    fax: str | None = None
    address: str | None = None
    website: str | None = None
    hours: str | None = None


class Plan(Strict):
    id: Slug
    name: str
    short_name: str
    authorization_prefix: Annotated[str, Field(pattern=r"^[A-Z]{2,5}$")]
    time_zone: str
    contact: Contact
    logo: str | None = None

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {v!r}") from exc
        return v


class Approval(Strict):
    approved_by: str
    approved_at: date
    committee: str | None = None
    note: str | None = None


class LineOfBusiness(Strict):
    id: Slug
    name: str
    program: Program
    epsdt_under_age: int | None = Field(
        default=None,
        description="Members younger than this go to medical-necessity review, not an "
        "administrative denial, when a service is outside the benefit plan (EPSDT).",
    )
    unlisted_code_requirement: Requirement = Requirement.NONE
    referrals_required: bool = False
    erisa_governed: bool | None = Field(
        default=None, description="Employer group coverage under ERISA: denial letters cite 502(a)")
    appeal_filing_days: int | None = Field(
        default=None, ge=1, description="Days from the notice the member has to appeal (42 CFR 438.402: 60)")
    state_fair_hearing_days: int | None = Field(
        default=None, ge=1, description="Days from the appeal resolution to ask for a State Fair Hearing")
    continuation_request_days: int | None = Field(
        default=None, ge=1, description="Days to ask for benefits to continue during an appeal (438.420)")


class ValidationRules(Strict):
    """The plan's definition of a valid request (seed 001 required information, seed 004)."""

    require_diagnosis: bool = True
    require_clinical_indications: bool = True
    require_service_location: bool = True
    require_inpatient_length_of_stay: bool = True
    require_outpatient_surgery_date: bool = True
    require_clinical_documentation: bool = True
    prescription_required_categories: list[Slug] = []
    requester_must_be_in_network: bool = True


class Intake(Strict):
    duplicate_window_hours: int = Field(default=72, ge=0, le=24 * 90)
    elective_lead_business_days: int | None = Field(default=None, ge=0)
    validation: ValidationRules = ValidationRules()


class Timeliness(Strict):
    """When a running clock is escalated to the assignee and the supervisor queue."""

    escalation_fractions: list[Annotated[float, Field(gt=0, lt=1)]] = [0.5, 0.75, 0.9]

    @field_validator("escalation_fractions")
    @classmethod
    def _ascending(cls, v: list[float]) -> list[float]:
        if v != sorted(set(v)):
            raise ValueError("escalation fractions must be distinct and ascending")
        return v


class PackManifest(Strict):
    """pack.yaml: identity, version, approval and lines of business."""

    schema_version: int = Field(ge=1, le=1)
    plan: Plan
    version: Annotated[str, Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]*$")]
    effective_from: date
    approval: Approval
    lines_of_business: list[LineOfBusiness] = Field(min_length=1)
    intake: Intake = Intake()
    timeliness: Timeliness = Timeliness()


_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class Holiday(Strict):
    date: date
    name: str


class HolidaySeed(Strict):
    country: str
    subdiv: str | None = None
    years: list[int] = Field(min_length=1)
    exclude: list[str] = Field(
        default=[], description="Names from the holidays package that are observances, not closed days."
    )


class BusinessHours(Strict):
    start: time
    end: time


class CalendarFile(Strict):
    """calendar.yaml: when the plan is open."""

    weekend: list[str] = ["saturday", "sunday"]
    business_hours: BusinessHours = BusinessHours(start=time(8), end=time(17))
    holidays: list[Holiday] = []
    seed: HolidaySeed | None = None

    @field_validator("weekend")
    @classmethod
    def _weekday_names(cls, v: list[str]) -> list[str]:
        bad = [d for d in v if d not in _WEEKDAYS]
        if bad:
            raise ValueError(f"unknown weekday name(s) {bad}; use {_WEEKDAYS}")
        return v


class Category(Strict):
    id: Slug
    name: str
    behavioral_health: bool = False


class BenefitLimit(Strict):
    id: Slug
    description: str
    quantity: int = Field(gt=0)
    unit: str
    period: str = Field(pattern=r"^(calendar_year|benefit_year|lifetime)$")


class CarveOut(Strict):
    id: Slug
    name: str
    instructions: str
    contact: str | None = None


_CODE_PATTERNS = {
    CodeSystem.CPT: r"^[0-9]{4}[0-9A-Z]$",
    CodeSystem.HCPCS: r"^[A-V][0-9]{4}$",
    CodeSystem.REVENUE: r"^[0-9]{4}$",
    CodeSystem.NDC: r"^[0-9]{11}$",
    CodeSystem.ICD10PCS: r"^[0-9A-HJ-NP-Z]{7}$",
}


class Service(Strict):
    code: str
    system: CodeSystem
    description: str
    category: Slug
    requirements: dict[str, Requirement] = Field(
        description="Line of business id (or '*' for every line) to requirement."
    )
    delegate: Slug | None = None
    benefit_limit: Slug | None = None
    carve_out: Slug | None = None
    requires_prescription: bool = False

    @field_validator("code")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.strip().upper()

    def requirement_for(self, line_of_business: str, default: Requirement) -> Requirement:
        return self.requirements.get(line_of_business, self.requirements.get("*", default))

    def code_is_well_formed(self) -> bool:
        return re.match(_CODE_PATTERNS[self.system], self.code) is not None


class ServicesFile(Strict):
    """services.yaml: the service catalog and what each code needs, per line of business."""

    categories: list[Category] = Field(min_length=1)
    benefit_limits: list[BenefitLimit] = []
    carve_outs: list[CarveOut] = []
    services: list[Service] = Field(min_length=1)


class Delegate(Strict):
    id: Slug
    name: str
    activities: list[str] = Field(min_length=1)
    categories: list[Slug] = []
    not_delegated_in_settings: list[Setting] = Field(
        default=[], description="Settings in which the delegated category is not delegated."
    )
    no_authorization_in_settings: list[Setting] = Field(
        default=[], description="Settings in which the delegated category needs no authorization."
    )
    plan_keeps_denial: bool = False
    contact: Contact | None = None


class DelegatesFile(Strict):
    delegates: list[Delegate] = []


class ReviewerRole(Strict):
    """A reviewer role and what it may decide (domain section 1)."""

    id: Slug
    name: str
    credentials: list[str] = Field(default=[], description="Any one of these credentials qualifies.")
    clinical: bool
    may_approve: bool
    approve_requires_criteria_met: bool = True
    may_deny_medical_necessity: bool = False
    may_modify: bool = False
    may_deny_administrative: bool = False
    scope_categories: list[Slug] | None = Field(
        default=None, description="Limits medical-necessity denials to these categories."
    )
    behavioral_health_only: bool = False
    escalates_to: Slug | None = None
    requires_training: list[str] = []


class RolesFile(Strict):
    roles: list[ReviewerRole] = Field(min_length=1)


class ContinuityOfCare(Strict):
    """Windows in which a non-network or terminated provider stays covered (domain section 7)."""

    pcp_after_termination_days: int = Field(default=30, ge=0)
    active_treatment_after_termination_days: int = Field(default=90, ge=0)
    new_member_days: int = Field(default=30, ge=0)
    pregnancy_through_postpartum: bool = True
    terminal_illness_through_death: bool = True


class ContinuityFile(Strict):
    continuity_of_care: ContinuityOfCare = ContinuityOfCare()
