"""Directory files a pack may ship (directory/*.yaml): the synthetic members and providers."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from openum.directory.npi import npi_is_valid


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProviderKind(StrEnum):
    PRACTITIONER = "practitioner"
    FACILITY = "facility"


class Span(_Strict):
    """A closed-open-ended date span: `to` is the last covered day, or None for open."""

    line_of_business: str
    start: date
    end: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class OrganizationEntry(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    name: str
    tax_id: str | None = None


class ProviderEntry(_Strict):
    npi: str
    kind: ProviderKind = ProviderKind.PRACTITIONER
    name: str
    specialty: str
    organization: str | None = None
    is_pcp: bool = False
    facility_type: str | None = None
    network: list[Span] = []
    terminated_on: date | None = None
    phone: str | None = None
    fax: str | None = None
    email: str | None = None

    @field_validator("npi")
    @classmethod
    def _npi(cls, v: str) -> str:
        if not npi_is_valid(v):
            raise ValueError(f"NPI {v!r} is not 10 digits with a valid check digit")
        return v


class Address(_Strict):
    line1: str
    city: str
    state: str
    postal_code: str


class Accumulator(_Strict):
    """Use of a benefit limit already recorded by the claims system for a period."""

    benefit_limit: str
    period_start: date
    used: int = Field(ge=0)


class MemberEntry(_Strict):
    id: Annotated[str, Field(min_length=3, max_length=32)]
    first_name: str
    last_name: str
    birth_date: date
    sex: str = Field(pattern=r"^(F|M|U)$")
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}$")
    large_print: bool = False
    address: Address
    phone: str | None = None
    eligibility: list[Span] = Field(min_length=1)
    pcp_npi: str | None = None
    plan_product: str | None = Field(default=None, description="e.g. HMO or PPO, where rules differ")
    accumulators: list[Accumulator] = []


class DirectoryFile(_Strict):
    organizations: list[OrganizationEntry] = []
    providers: list[ProviderEntry] = []
    members: list[MemberEntry] = []

    @staticmethod
    def cross_check(
        parsed: BaseModel, manifest: BaseModel, catalog: BaseModel, folder: object = None
    ) -> list[tuple[str, str]]:
        """References inside the directory must resolve: lines of business, organizations, PCPs."""
        assert isinstance(parsed, DirectoryFile)
        lobs = {lob.id for lob in manifest.lines_of_business}  # type: ignore[attr-defined]
        orgs = {o.id for o in parsed.organizations}
        pcps = {p.npi for p in parsed.providers if p.is_pcp}
        out: list[tuple[str, str]] = []
        for i, p in enumerate(parsed.providers):
            if p.organization is not None and p.organization not in orgs:
                out.append((f"providers[{i}].organization", f"unknown organization {p.organization!r}"))
            for j, s in enumerate(p.network):
                if s.line_of_business not in lobs:
                    out.append((f"providers[{i}].network[{j}].line_of_business",
                                f"unknown line of business {s.line_of_business!r}"))
        for i, m in enumerate(parsed.members):
            for j, s in enumerate(m.eligibility):
                if s.line_of_business not in lobs:
                    out.append((f"members[{i}].eligibility[{j}].line_of_business",
                                f"unknown line of business {s.line_of_business!r}"))
            if m.pcp_npi is not None and pcps and m.pcp_npi not in pcps:
                out.append((f"members[{i}].pcp_npi", f"{m.pcp_npi} is not a PCP in this directory"))
        return out
