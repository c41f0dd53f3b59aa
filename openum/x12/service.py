"""Receive a 278 interchange through the one intake and answer it with a 278 response."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from openum.audit import service as audit
from openum.auth.models import User
from openum.clock import Clock
from openum.intake import access
from openum.intake import service as intake
from openum.intake.schemas import Submitter
from openum.intake.storage import AttachmentStore
from openum.intake.views import represent
from openum.packs.registry import PackRegistry
from openum.vocabulary import Channel
from openum.x12 import x278


@dataclass
class Answered:
    text: str
    authorization_ids: list[str]


def receive(session: Session, *, registry: PackRegistry, clock: Clock, store: AttachmentStore, user: User,
            text: str, actor: audit.Actor, source_ip: str | None = None) -> Answered:
    """Each 278 request in the interchange lands in intake; one response interchange answers all.

    Raises x12.segments.X12Error (naming every defect) before anything is received."""
    ix, sets = x278.parse(text)
    read = [x278.to_submit(t, ix.delimiters, registry) for t in sets]  # all refused, or none
    now = clock.now()
    bodies, ids = [], []
    for t, r in zip(sets, read, strict=True):
        result = intake.submit(
            session, registry=registry, clock=clock, store=store, cmd=r.cmd,
            submitter=Submitter(user_id=user.id, username=user.username, role=user.role,
                                organization_id=user.organization_id, channel=Channel.X12_278),
            idempotency_key=r.idempotency_key, source_ip=source_ip)
        req = result.request
        access.ensure_visible(user, req)
        session.flush()
        out = represent(session, req, [])
        plan_name = registry.versions(out.plan_id)[-1].manifest.plan.name
        bodies.append(x278.response_segments(t, r, out, plan_name=plan_name, now=now, d=ix.delimiters))
        ids.append(out.authorization_id)
        if result.duplicate:  # a new request is audited by intake itself
            audit.record(session, actor=actor, at=now, action="read", record_type="authorization_request",
                         record_id=out.authorization_id, member_id=req.member_reference.get("member_id"),
                         purpose="treatment_request")
    return Answered(x278.envelope(ix, bodies, now), ids)
