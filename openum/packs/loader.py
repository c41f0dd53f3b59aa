"""Load a plan-pack folder, validating every file and every cross-reference."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import holidays as holidays_pkg
import yaml
from pydantic import BaseModel, ValidationError

from openum.deadlines.calendar import BusinessCalendar
from openum.packs.schema import (
    _WEEKDAYS,
    CalendarFile,
    ContinuityFile,
    ContinuityOfCare,
    DelegatesFile,
    LineOfBusiness,
    PackManifest,
    Requirement,
    ReviewerRole,
    RolesFile,
    Service,
    ServicesFile,
)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class PackError:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.message}"


class PackLoadError(Exception):
    """A pack failed validation; `errors` names each file, path and problem."""

    def __init__(self, folder: Path, errors: list[PackError]) -> None:
        self.folder = folder
        self.errors = errors
        lines = "\n".join(f"  - {e}" for e in errors)
        super().__init__(f"plan pack {folder} has {len(errors)} error(s):\n{lines}")


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class _Reader:
    folder: Path
    errors: list[PackError] = field(default_factory=list)
    digest: Any = field(default_factory=hashlib.sha256)

    def raw(self, rel: str, *, required: bool) -> Any:
        path = self.folder / rel
        if not path.exists():
            if required:
                self.errors.append(PackError(rel, "", "file is missing"))
            return None
        text = path.read_bytes()
        self.digest.update(rel.encode() + b"\0" + text)
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            self.errors.append(PackError(rel, where, f"not valid YAML: {exc}"))
            return None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            self.errors.append(PackError(rel, "", "top level must be a mapping"))
            return None
        return data

    def model(self, rel: str, cls: type[M], *, required: bool = True) -> M | None:
        data = self.raw(rel, required=required)
        if data is None:
            return None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                self.errors.append(PackError(rel, _loc(err["loc"]), err["msg"]))
            return None

    def folder_models(self, sub: str, cls: type[M]) -> dict[str, M]:
        out: dict[str, M] = {}
        base = self.folder / sub
        if not base.is_dir():
            return out
        for path in sorted(base.glob("*.yaml")):
            rel = f"{sub}/{path.name}"
            parsed = self.model(rel, cls)
            if parsed is not None:
                out[rel] = parsed
        return out


@dataclass(frozen=True)
class PlanPack:
    """One validated version of one plan's configuration."""

    folder: Path
    manifest: PackManifest
    calendar: BusinessCalendar
    catalog: ServicesFile
    delegates: DelegatesFile
    roles: RolesFile
    continuity: ContinuityOfCare
    content_hash: str
    sections: dict[str, Any]
    _services: dict[str, Service] = field(repr=False)

    @property
    def plan_id(self) -> str:
        return self.manifest.plan.id

    @property
    def version(self) -> str:
        return self.manifest.version

    def line_of_business(self, lob_id: str) -> LineOfBusiness | None:
        return next((lob for lob in self.manifest.lines_of_business if lob.id == lob_id), None)

    def service(self, code: str) -> Service | None:
        return self._services.get(code.strip().upper())

    def role(self, role_id: str) -> ReviewerRole | None:
        return next((r for r in self.roles.roles if r.id == role_id), None)

    def requirement(self, code: str, lob_id: str) -> Requirement:
        lob = self.line_of_business(lob_id)
        default = lob.unlisted_code_requirement if lob else Requirement.NONE
        svc = self.service(code)
        return svc.requirement_for(lob_id, default) if svc else default


# Optional sections other domain packages add: subfolder name -> model of each YAML file in it.
SECTION_MODELS: dict[str, type[BaseModel]] = {}


def register_section(name: str, model: type[BaseModel]) -> None:
    """Let a domain package (clocks, policies, letters) validate its own pack subfolder."""
    SECTION_MODELS[name] = model


def _build_calendar(cal: CalendarFile, tz: str) -> BusinessCalendar:
    days = {h.date for h in cal.holidays}
    if cal.seed is not None:
        seeded = holidays_pkg.country_holidays(
            cal.seed.country, subdiv=cal.seed.subdiv, years=cal.seed.years
        )
        days |= {d for d, name in seeded.items() if name not in cal.seed.exclude}
    return BusinessCalendar(
        time_zone=ZoneInfo(tz),
        weekend=frozenset(_WEEKDAYS.index(d) for d in cal.weekend),
        holidays=frozenset(days),
        opens=cal.business_hours.start,
        closes=cal.business_hours.end,
    )


def _cross_check(
    manifest: PackManifest,
    catalog: ServicesFile,
    delegates: DelegatesFile,
    roles: RolesFile,
    errors: list[PackError],
) -> None:
    lobs = {lob.id for lob in manifest.lines_of_business}
    cats = {c.id for c in catalog.categories}
    limits = {b.id for b in catalog.benefit_limits}
    carves = {c.id for c in catalog.carve_outs}
    dels = {d.id for d in delegates.delegates}
    seen: dict[str, int] = {}
    for i, svc in enumerate(catalog.services):
        at = f"services[{i}]"
        if svc.code in seen:
            errors.append(PackError("services.yaml", f"{at}.code",
                                    f"code {svc.code} is listed twice (also services[{seen[svc.code]}])"))
        seen[svc.code] = i
        if not svc.code_is_well_formed():
            errors.append(PackError("services.yaml", f"{at}.code",
                                    f"{svc.code!r} is not a well-formed {svc.system.value} code"))
        if svc.category not in cats:
            errors.append(PackError("services.yaml", f"{at}.category",
                                    f"unknown category {svc.category!r}"))
        for key in svc.requirements:
            if key != "*" and key not in lobs:
                errors.append(PackError("services.yaml", f"{at}.requirements.{key}",
                                        f"unknown line of business {key!r}; pack.yaml defines {sorted(lobs)}"))
        for attr, known, what in (("delegate", dels, "delegate"), ("benefit_limit", limits, "benefit limit"),
                                  ("carve_out", carves, "carve-out")):
            ref = getattr(svc, attr)
            if ref is not None and ref not in known:
                errors.append(PackError("services.yaml", f"{at}.{attr}", f"unknown {what} {ref!r}"))
    for i, d in enumerate(delegates.delegates):
        for j, c in enumerate(d.categories):
            if c not in cats:
                errors.append(PackError("delegates.yaml", f"delegates[{i}].categories[{j}]",
                                        f"unknown category {c!r}"))
    role_ids = {r.id for r in roles.roles}
    for i, r in enumerate(roles.roles):
        if r.escalates_to is not None and r.escalates_to not in role_ids:
            errors.append(PackError("roles.yaml", f"roles[{i}].escalates_to",
                                    f"unknown role {r.escalates_to!r}"))
        for j, c in enumerate(r.scope_categories or []):
            if c not in cats:
                errors.append(PackError("roles.yaml", f"roles[{i}].scope_categories[{j}]",
                                        f"unknown category {c!r}"))
    for j, c in enumerate(manifest.intake.validation.prescription_required_categories):
        if c not in cats:
            errors.append(PackError("pack.yaml", f"intake.validation.prescription_required_categories[{j}]",
                                    f"unknown category {c!r}"))


def load_pack(folder: Path) -> PlanPack:
    """Read and validate one pack folder; raise PackLoadError listing every problem."""
    import openum.packs.sections  # noqa: F401  (registers the optional sections)

    folder = Path(folder)
    if not (folder / "pack.yaml").exists():
        raise PackLoadError(folder, [PackError("pack.yaml", "", "file is missing: not a plan pack")])
    r = _Reader(folder)
    manifest = r.model("pack.yaml", PackManifest)
    calendar = r.model("calendar.yaml", CalendarFile)
    catalog = r.model("services.yaml", ServicesFile)
    delegates = r.model("delegates.yaml", DelegatesFile, required=False) or DelegatesFile()
    roles = r.model("roles.yaml", RolesFile)
    continuity = r.model("continuity.yaml", ContinuityFile, required=False) or ContinuityFile()
    sections = {name: r.folder_models(name, model) for name, model in SECTION_MODELS.items()}
    if manifest and catalog and roles:
        _cross_check(manifest, catalog, delegates, roles, r.errors)
    if r.errors or not (manifest and calendar and catalog and roles):
        raise PackLoadError(folder, r.errors)
    for name in SECTION_MODELS:
        validator = getattr(SECTION_MODELS[name], "cross_check", None)
        for rel, parsed in sections[name].items():
            if validator is not None:
                problems = validator(parsed, manifest, catalog, folder=folder)
                r.errors.extend(PackError(rel, p, m) for p, m in problems)
    if r.errors:
        raise PackLoadError(folder, r.errors)
    return PlanPack(
        folder=folder,
        manifest=manifest,
        calendar=_build_calendar(calendar, manifest.plan.time_zone),
        catalog=catalog,
        delegates=delegates,
        roles=roles,
        continuity=continuity.continuity_of_care,
        content_hash=r.digest.hexdigest(),
        sections=sections,
        _services={s.code: s for s in catalog.services},
    )
