"""GET /api/v1/timeliness/preview: "when will I hear back?", every due time with its citation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from openum.auth.models import User
from openum.auth.permissions import Permission
from openum.deadlines import engine
from openum.errors import DomainError
from openum.vocabulary import RequestKind, Urgency
from openum.web.deps import ClockDep, RegistryDep, require

router = APIRouter(prefix="/api/v1/timeliness", tags=["timeliness"])


def _due(d: Any) -> dict[str, Any]:
    return {"obligation": d.obligation.value, "outcome": d.outcome.value if d.outcome else None,
            "due_at": d.due_at.isoformat() if d.due_at else None, "status": d.status.value,
            "clock": d.clock, "rule": d.rule, "layer": d.layer_id, "layer_kind": d.layer_kind.value,
            "citation": d.citation,
            "all_layers": [{"layer": a.layer_id, "due_at": a.due_at.isoformat() if a.due_at else None,
                            "citation": a.citation} for a in d.all_layers]}


def preview_dict(p: engine.Preview) -> dict[str, Any]:
    """The preview as JSON: due times now, and the notices if decided at the last moment."""
    return {
        "line_of_business": p.line_of_business, "kind": p.kind.value, "urgency": p.urgency.value,
        "received_at": p.received_at.isoformat(),
        "due_times": [_due(d) for d in p.due_times],
        "if_decided_at_deadline": {o.value: [_due(d) for d in ds] for o, ds in p.if_decided_at_deadline.items()},
        "extensions": [vars(e) | {"latest_decision_due": e.latest_decision_due.isoformat()
                                  if e.latest_decision_due is not None else None}
                       for e in p.extensions],
        "pauses": [vars(x) for x in p.pauses],
    }


@router.get("/preview", summary="Every due time for a request received now (or at received_at)")
def timeliness_preview(
    registry: RegistryDep, clock: ClockDep,
    _: Annotated[User, Depends(require(Permission.TIMELINESS_PREVIEW))],
    line_of_business: str,
    kind: RequestKind,
    urgency: Urgency,
    received_at: Annotated[datetime | None, Query(description="ISO 8601 with offset; default now")] = None,
    information_complete_at: Annotated[datetime | None, Query()] = None,
    plan_id: str | None = None,
) -> dict[str, Any]:
    received = received_at or clock.now()
    if received.tzinfo is None:
        raise DomainError("received_at needs a time zone offset",
                          details=[{"loc": ["query", "received_at"], "msg": "naive datetime"}])
    plan = plan_id or registry.plan_for_line_of_business(line_of_business)
    if plan is None:
        raise DomainError(f"unknown line of business {line_of_business!r}",
                          details=[{"loc": ["query", "line_of_business"], "msg": "unknown"}])
    pack = registry.in_force(plan, received)
    if information_complete_at is not None:
        from openum.deadlines.events import ClockEvent, InformationReceived, InformationRequested

        events: list[ClockEvent] = [InformationRequested(at=received), InformationReceived(at=information_complete_at)]
        due = engine.due_times(pack=pack, line_of_business=line_of_business, kind=kind, urgency=urgency,
                               received_at=received, events=events)
        return {"line_of_business": line_of_business, "kind": kind.value, "urgency": urgency.value,
                "received_at": received.isoformat(), "information_complete_at": information_complete_at.isoformat(),
                "due_times": [_due(d) for d in due]}
    return preview_dict(engine.preview(pack=pack, line_of_business=line_of_business, kind=kind,
                                       urgency=urgency, received_at=received))
