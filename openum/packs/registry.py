"""Every loaded pack version, and which one governs a request received at a given time."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path

from openum.errors import NoPackInForce, NotFound
from openum.packs.loader import PackLoadError, PlanPack, load_pack


def find_pack_folders(root: Path) -> list[Path]:
    """Folders holding a pack.yaml, at most two levels below root (plan/ or plan/version/)."""
    found = sorted({p.parent for p in root.glob("*/pack.yaml")} | {p.parent for p in root.glob("*/*/pack.yaml")})
    return found


class PackRegistry:
    """Pack versions by plan; the version in force at receipt governs a request."""

    def __init__(self, packs: list[PlanPack]) -> None:
        by_plan: dict[str, list[PlanPack]] = defaultdict(list)
        for pack in packs:
            by_plan[pack.plan_id].append(pack)
        for plan_id, versions in by_plan.items():
            versions.sort(key=lambda p: p.manifest.effective_from)
            dates = [p.manifest.effective_from for p in versions]
            if len(set(dates)) != len(dates):
                raise ValueError(f"plan {plan_id}: two pack versions take effect on the same date")
        self._by_plan = dict(by_plan)

    @classmethod
    def from_dir(cls, root: Path) -> PackRegistry:
        folders = find_pack_folders(root)
        errors: list[PackLoadError] = []
        packs: list[PlanPack] = []
        for folder in folders:
            try:
                packs.append(load_pack(folder))
            except PackLoadError as exc:
                errors.append(exc)
        if errors:
            raise errors[0] if len(errors) == 1 else PackLoadError(
                root, [e for exc in errors for e in exc.errors]
            )
        return cls(packs)

    def plan_ids(self) -> list[str]:
        return sorted(self._by_plan)

    def versions(self, plan_id: str) -> list[PlanPack]:
        if plan_id not in self._by_plan:
            raise NotFound(f"no plan pack for plan {plan_id!r}")
        return list(self._by_plan[plan_id])

    def all(self) -> list[PlanPack]:
        return [p for versions in self._by_plan.values() for p in versions]

    def version(self, plan_id: str, version: str) -> PlanPack:
        """A specific pack version: the one that governs a request received under it."""
        for pack in self.versions(plan_id):
            if pack.version == version:
                return pack
        raise NotFound(f"plan {plan_id!r} has no loaded pack version {version!r}")

    def in_force(self, plan_id: str, at: datetime) -> PlanPack:
        """The latest version whose effective date, on the plan's calendar, is on or before `at`."""
        versions = self.versions(plan_id)
        local_day = at.astimezone(versions[0].calendar.time_zone).date()
        eligible = [p for p in versions if p.manifest.effective_from <= local_day]
        if not eligible:
            raise NoPackInForce(
                f"plan {plan_id!r} has no pack version in force on {local_day.isoformat()}; "
                f"the earliest takes effect {versions[0].manifest.effective_from.isoformat()}"
            )
        return eligible[-1]

    def plan_for_line_of_business(self, lob_id: str) -> str | None:
        for plan_id, versions in self._by_plan.items():
            if any(p.line_of_business(lob_id) for p in versions):
                return plan_id
        return None
