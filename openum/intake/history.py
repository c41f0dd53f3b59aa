"""A request's history: every event appended, every status change checked against the table."""

from __future__ import annotations

from datetime import datetime

from openum.audit import service as audit
from openum.intake.models import AuthorizationRequest, RequestEvent
from openum.intake.status import Status, check_transition


def record_event(
    req: AuthorizationRequest, *, at: datetime, type: str, actor: audit.Actor,
    reason: str | None = None, from_status: str | None = None, to_status: str | None = None,
    data: dict[str, object] | None = None,
) -> RequestEvent:
    """Append one event to the request's history."""
    ev = RequestEvent(at=at, type=type, actor_user_id=actor.user_id, actor=actor.username,
                      actor_role=actor.role, from_status=from_status, to_status=to_status,
                      reason=reason, data=data or {})
    req.events.append(ev)
    return ev


def change_status(
    req: AuthorizationRequest, target: Status, *, at: datetime, actor: audit.Actor, reason: str,
    data: dict[str, object] | None = None,
) -> None:
    """Move the request along the allowed-transitions table, recording who, when and why."""
    current = Status(req.status)
    check_transition(current, target)
    req.status = target.value
    req.status_reason = reason
    record_event(req, at=at, type="status_changed", actor=actor, reason=reason,
                 from_status=current.value, to_status=target.value, data=data)
