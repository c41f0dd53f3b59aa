"""A pack's medical policies (policies/*.yaml): versioned, effective-dated trees of criteria."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag, field_validator, model_validator

from openum.review.criteria.leaves import (
    AgeCriterion,
    AttestationCriterion,
    CriterionId,
    DiagnosisCriterion,
    DoseCriterion,
    FindingCriterion,
    FrequencyCriterion,
    LeafCriterion,
    LevelOfCareCriterion,
    LimitCriterion,
    PriorTreatmentCriterion,
    RequestedCodeCriterion,
    SettingCriterion,
    Strict,
    check_icd_list,
)
from openum.vocabulary import RequestKind

_GROUP_KEYS = ("all_of", "any_of", "at_least")


def _node_tag(v: Any) -> str | None:
    """Groups are told apart by their key (all_of/any_of/at_least), leaves by `kind`."""
    if isinstance(v, dict):
        for key in _GROUP_KEYS:
            if key in v:
                return key
        kind = v.get("kind")
        return kind if isinstance(kind, str) else None
    return getattr(v, "kind", None)


class AllOf(Strict):
    kind: Literal["all_of"] = "all_of"
    id: CriterionId | None = None
    text: str | None = None
    all_of: list[Node] = Field(min_length=1)

    @property
    def children(self) -> list[Node]:
        return self.all_of

    @property
    def needed(self) -> int:
        return len(self.all_of)


class AnyOf(Strict):
    kind: Literal["any_of"] = "any_of"
    id: CriterionId | None = None
    text: str | None = None
    any_of: list[Node] = Field(min_length=1)

    @property
    def children(self) -> list[Node]:
        return self.any_of

    @property
    def needed(self) -> int:
        return 1


class AtLeast(Strict):
    kind: Literal["at_least"] = "at_least"
    id: CriterionId | None = None
    text: str | None = None
    at_least: int = Field(ge=1)
    of: list[Node] = Field(min_length=1)

    @model_validator(mode="after")
    def _reachable(self) -> AtLeast:
        if self.at_least > len(self.of):
            raise ValueError(
                f"at_least {self.at_least} of only {len(self.of)} criteria can never be met"
            )
        return self

    @property
    def children(self) -> list[Node]:
        return self.of

    @property
    def needed(self) -> int:
        return self.at_least


Group = AllOf | AnyOf | AtLeast

Node = Annotated[
    Annotated[AllOf, Tag("all_of")]
    | Annotated[AnyOf, Tag("any_of")]
    | Annotated[AtLeast, Tag("at_least")]
    | Annotated[AgeCriterion, Tag("age")]
    | Annotated[DiagnosisCriterion, Tag("diagnosis")]
    | Annotated[RequestedCodeCriterion, Tag("requested_code")]
    | Annotated[PriorTreatmentCriterion, Tag("prior_treatment")]
    | Annotated[FindingCriterion, Tag("finding")]
    | Annotated[SettingCriterion, Tag("setting")]
    | Annotated[LevelOfCareCriterion, Tag("level_of_care")]
    | Annotated[FrequencyCriterion, Tag("frequency")]
    | Annotated[LimitCriterion, Tag("limit")]
    | Annotated[AttestationCriterion, Tag("attestation")]
    | Annotated[DoseCriterion, Tag("dose")],
    Discriminator(
        _node_tag,
        custom_error_type="criterion_kind",
        custom_error_message="a criterion needs all_of, any_of, at_least, or a known `kind`",
    ),
]

AllOf.model_rebuild()
AnyOf.model_rebuild()
AtLeast.model_rebuild()


def child_paths(node: Node, path: str) -> list[tuple[str, Node]]:
    """A group's children with their paths (as in the YAML); a leaf has none."""
    if not isinstance(node, AllOf | AnyOf | AtLeast):
        return []
    key = "of" if isinstance(node, AtLeast) else node.kind
    return [(f"{path}.{key}[{i}]", child) for i, child in enumerate(node.children)]


def walk(node: Node, path: str = "indications") -> Iterator[tuple[str, Node]]:
    """Every node of a tree with its path, parents before children."""
    yield path, node
    for child_path, child in child_paths(node, path):
        yield from walk(child, child_path)


class CommitteeApproval(Strict):
    committee: str = Field(min_length=1)
    approved_on: date


class Applicability(Strict):
    service_codes: list[str] = Field(min_length=1)
    diagnosis_prefixes: list[str] | None = Field(
        default=None,
        description="When set, the policy applies only to requests with such a diagnosis.",
    )
    request_kinds: list[RequestKind] | None = Field(
        default=None, description="When set, only these kinds (e.g. concurrent for continued stay)."
    )

    @field_validator("service_codes")
    @classmethod
    def _upper(cls, v: list[str]) -> list[str]:
        return [c.strip().upper() for c in v]

    @field_validator("diagnosis_prefixes")
    @classmethod
    def _icd(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else check_icd_list(v)


class MedicalPolicy(Strict):
    """One version of one medical policy."""

    id: CriterionId
    title: str = Field(min_length=1)
    version: Annotated[str, Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]*$")]
    effective_from: date
    effective_to: date | None = Field(default=None, description="Last day in force, inclusive.")
    source: str = Field(min_length=1, description="Where the criteria come from, e.g. a CMS NCD.")
    summary: str | None = None
    approvals: list[CommitteeApproval] = Field(min_length=1)
    next_review_date: date
    applies_to: Applicability
    auto_approve_for: list[str] = Field(
        default=[],
        description="Lines of business on which a met evaluation may be approved automatically.",
    )
    indications: Node

    @model_validator(mode="after")
    def _consistent(self) -> MedicalPolicy:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(
                f"effective_to {self.effective_to} is before effective_from {self.effective_from}"
            )
        seen: set[str] = set()
        for _, node in walk(self.indications):
            if node.id is None:
                continue
            if node.id in seen:
                raise ValueError(f"criterion id {node.id!r} is used twice in policy {self.id!r}")
            seen.add(node.id)
        return self

    def in_force(self, on: date) -> bool:
        """True when `on` falls within effective_from .. effective_to (inclusive)."""
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def leaves(self) -> list[LeafCriterion]:
        """Every leaf criterion, in document order."""
        return [n for _, n in walk(self.indications) if not isinstance(n, AllOf | AnyOf | AtLeast)]


class PolicyFile(Strict):
    """policies/<name>.yaml: one or more policies, or versions of one policy."""

    policies: list[MedicalPolicy] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_versions(self) -> PolicyFile:
        seen: set[tuple[str, str]] = set()
        for p in self.policies:
            if (p.id, p.version) in seen:
                raise ValueError(f"policy {p.id!r} version {p.version!r} is listed twice")
            seen.add((p.id, p.version))
        return self

    @staticmethod
    def cross_check(
        parsed: BaseModel, manifest: BaseModel, catalog: BaseModel, folder: object = None
    ) -> list[tuple[str, str]]:
        """Service codes must be in the pack's catalog; automation LOBs must exist in pack.yaml."""
        assert isinstance(parsed, PolicyFile)
        lobs = {lob.id for lob in manifest.lines_of_business}  # type: ignore[attr-defined]
        codes = {s.code for s in catalog.services}  # type: ignore[attr-defined]
        out: list[tuple[str, str]] = []
        for i, p in enumerate(parsed.policies):
            for j, code in enumerate(p.applies_to.service_codes):
                if code not in codes:
                    out.append(
                        (
                            f"policies[{i}].applies_to.service_codes[{j}]",
                            f"service code {code} is not in the service catalog (services.yaml)",
                        )
                    )
            for j, lob in enumerate(p.auto_approve_for):
                if lob not in lobs:
                    out.append(
                        (
                            f"policies[{i}].auto_approve_for[{j}]",
                            f"unknown line of business {lob!r}; pack.yaml defines {sorted(lobs)}",
                        )
                    )
        return out
