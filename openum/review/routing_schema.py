"""routing/routing.yaml: work queues, who works them, where work goes, and after-hours cover."""

from __future__ import annotations

from datetime import time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from openum.packs.schema import Slug
from openum.vocabulary import Urgency


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Queue(_Strict):
    id: Slug
    name: str
    roles: list[Slug] = Field(min_length=1, description="Pack reviewer roles that may work it")
    escalates_to: Slug | None = None
    after_hours: bool = False
    vendor: str | None = None
    phone: str | None = None


class Match(_Strict):
    categories: list[Slug] | None = None
    lines_of_business: list[Slug] | None = None
    urgency: Urgency | None = None
    settings: list[str] | None = None


class Rule(_Strict):
    match: Match = Match()
    queue: Slug


class AfterHours(_Strict):
    """Urgent items received outside business hours go to the on-call roster (seeds 001, 002)."""

    rules: list[Rule] = []
    bh_vendor_from: time | None = Field(
        default=None, description="Behavioral health goes to the vendor from this time on weekdays")


class RoutingFile(_Strict):
    queues: list[Queue] = Field(min_length=1)
    rules: list[Rule] = Field(min_length=1, description="First match wins; the last should match all")
    after_hours: AfterHours = AfterHours()
    post_stabilization_minutes: Annotated[int, Field(ge=1, le=240)] = 30

    @staticmethod
    def cross_check(
        parsed: BaseModel, manifest: BaseModel, catalog: BaseModel, folder: object = None
    ) -> list[tuple[str, str]]:
        """Every rule names a known queue; every queue names known roles."""
        assert isinstance(parsed, RoutingFile)
        out: list[tuple[str, str]] = []
        queues = {q.id for q in parsed.queues}
        cats = {c.id for c in catalog.categories}  # type: ignore[attr-defined]
        for i, q in enumerate(parsed.queues):
            if q.escalates_to and q.escalates_to not in queues:
                out.append((f"queues[{i}].escalates_to", f"unknown queue {q.escalates_to!r}"))
        for where, rules in (("rules", parsed.rules), ("after_hours.rules", parsed.after_hours.rules)):
            for i, r in enumerate(rules):
                if r.queue not in queues:
                    out.append((f"{where}[{i}].queue", f"unknown queue {r.queue!r}"))
                for j, c in enumerate(r.match.categories or []):
                    if c not in cats:
                        out.append((f"{where}[{i}].match.categories[{j}]", f"unknown category {c!r}"))
        return out
