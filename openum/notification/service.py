"""Notices as obligations: created with the decision, delivered by the worker, timed on delivery."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from openum.audit.service import Actor
from openum.db import transaction
from openum.deadlines import service as deadlines
from openum.deadlines.model import DueTime
from openum.errors import DomainError
from openum.intake.history import record_event
from openum.intake.models import AuthorizationRequest
from openum.intake.storage import AttachmentStore
from openum.notification import builder
from openum.notification.channels import Channel, DeliveryFailed
from openum.notification.letters.checklist import LetterIncomplete, find_gaps, prepare_letter
from openum.notification.letters.render import program_of, render
from openum.notification.letters.schema import LetterType
from openum.notification.models import Notice
from openum.packs.loader import PlanPack
from openum.packs.registry import PackRegistry

log = logging.getLogger("openum.notices")
SYSTEM = Actor(None, "openum-worker", "system", None, None, "worker")
RETRY_BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
LEASE = timedelta(minutes=5)


def check_letter(pack: PlanPack, letter_type: LetterType, ctx: builder.lc.LetterContext) -> None:
    """Refuse, before anything is committed, a letter that lacks an element its line of business needs."""
    gaps = find_gaps(pack, letter_type, program_of(pack, ctx), ctx,
                     html=render(pack, letter_type, ctx).html)
    if gaps:
        raise LetterIncomplete(letter_type, gaps)


def _due(due: list[DueTime], obligation: str, adverse: bool) -> datetime | None:
    for d in due:
        if d.obligation.value == obligation and (d.outcome is None or (d.outcome.value == "denial") == adverse):
            return d.due_at
    return None


def create_for_decision(session: Session, *, registry: PackRegistry, req: AuthorizationRequest,
                        now: datetime) -> list[Notice]:
    """Write every notice the decision owes, in the decision's transaction, with its due time."""
    pack = deadlines.pack_for(registry, req)
    letter_type = builder.letter_type_for(req)
    if letter_type is None:
        return []
    ctx = builder.build(session, pack=pack, req=req, now=now)
    due = deadlines.compute(registry, req)
    adverse = req.status != "approved"
    kinds = ["provider_written", "member_written"]
    if any(d.obligation.value == "provider_verbal" for d in due):
        # A verbal clock in the plan's tables (seed 004): adverse decisions by phone, approvals in the portal.
        kinds.insert(0, "provider_verbal")
    return write_notices(
        session, pack=pack, req=req, letter_type=letter_type, ctx=ctx, now=now,
        trigger_event_id=max(e.id for e in req.events if e.type == "status_changed"),
        obligations={k: k for k in kinds}, due={k: _due(due, k, adverse) for k in kinds},
        verbal_channel="phone" if adverse else "portal")


def write_notices(
    session: Session, *, pack: PlanPack, req: AuthorizationRequest, trigger_event_id: int,
    letter_type: LetterType, ctx: builder.lc.LetterContext, now: datetime,
    obligations: dict[str, str], due: dict[str, datetime | None] | None = None,
    verbal_channel: str = "phone", email: bool = True,
) -> list[Notice]:
    """Write the notices of a later event on a decided request (an appeal acknowledged or resolved,
    a reconsideration decided) with a letter the caller built, in the caller's transaction.

    The letter is checked first (LetterIncomplete refuses the event itself). Recipients and
    channels are those of a decision's notices: the provider by phone, fax (or portal) and e-mail,
    the member by mail. `obligations` maps each wanted kind ("provider_verbal", "provider_written",
    "member_written") to the obligation name recorded on the notice; `due` maps those names to
    their due times.
    """
    check_letter(pack, letter_type, ctx)
    provider = builder.provider_of(session, req)
    member = req.member
    snapshot = builder.to_json(ctx)
    plans: list[tuple[str, str, str, str | None, str | None]] = []
    if "provider_verbal" in obligations:
        plans.append((obligations["provider_verbal"], "provider", verbal_channel,
                      provider.phone if provider else None, None))
    if "provider_written" in obligations:
        name = obligations["provider_written"]
        if provider is not None and provider.fax:
            plans.append((name, "provider", "fax", provider.fax, letter_type.value))
        else:
            plans.append((name, "provider", "portal", None, letter_type.value))
        if email and provider is not None and provider.email:
            plans.append((name, "provider", "email", provider.email, letter_type.value))
    if "member_written" in obligations and member is not None:
        postal = f"{member.first_name} {member.last_name}\n{member.address_line1}\n" \
                 f"{member.city}, {member.state} {member.postal_code}"
        plans.append((obligations["member_written"], "member", "mail", postal, letter_type.value))
    out = []
    for obligation, recipient, channel, address, ltype in plans:
        notice = Notice(
            request_pk=req.id, trigger_event_id=trigger_event_id, obligation=obligation, recipient=recipient,
            recipient_name=(provider.name if provider else "provider") if recipient == "provider"
            else (f"{member.first_name} {member.last_name}" if member else "member"),
            address=address, channel=channel, letter_type=ltype,
            language=member.language if (member and recipient == "member") else "en",
            large_print=bool(member and member.large_print and recipient == "member"),
            context=snapshot, due_at=(due or {}).get(obligation),
            status="awaiting_call" if channel == "phone" else "pending", attempts=0,
            next_attempt_at=None if channel == "phone" else now, created_at=now)
        session.add(notice)
        out.append(notice)
    session.flush()
    return out


def create_for_event(
    session: Session, *, registry: PackRegistry, req: AuthorizationRequest, now: datetime,
    letter_type: LetterType, due_at: datetime | None, **facts: Any,
) -> list[Notice]:
    """Letters that are not decisions (information request, extension, urgency downgrade) to both parties."""
    pack = deadlines.pack_for(registry, req)
    ctx = dataclasses.replace(builder.build(session, pack=pack, req=req, now=now), **facts)
    name = letter_type.value
    return write_notices(
        session, pack=pack, req=req, trigger_event_id=max(e.id for e in req.events), letter_type=letter_type,
        ctx=ctx, now=now, obligations={"provider_written": name, "member_written": name},
        due={name: due_at}, email=False)


def _mark_delivered(session: Session, *, registry: PackRegistry, notice: Notice, at: datetime,
                    actor: Actor) -> None:
    notice.status, notice.delivered_at, notice.lease_until = "delivered", at, None
    notice.sent_at = notice.sent_at or at
    notice.late = notice.due_at is not None and at > notice.due_at
    req = session.get(AuthorizationRequest, notice.request_pk)
    assert req is not None
    first_of_kind = session.scalar(select(Notice.id).where(
        Notice.request_pk == req.id, Notice.trigger_event_id == notice.trigger_event_id,
        Notice.obligation == notice.obligation, Notice.status == "delivered", Notice.id != notice.id)) is None
    if first_of_kind and notice.obligation in ("provider_verbal", "provider_written", "member_written"):
        # The first delivery of each kind is what the clocks measure timeliness on.
        record_event(req, at=at, type="notice_sent", actor=actor,
                     reason=f"{notice.obligation} by {notice.channel} to {notice.recipient_name}"
                            + (" (late)" if notice.late else ""),
                     data={"kind": notice.obligation, "channel": notice.channel, "notice_id": notice.id})
        session.flush()
        deadlines.refresh(session, registry=registry, req=req)


def log_call(session: Session, *, registry: PackRegistry, notice_id: int, at: datetime, actor: Actor,
             staff_name: str, staff_title: str, organization: str, reached: str, outcome: str) -> Notice:
    """Record the phone call that gives an adverse decision to the provider (seeds 001, 003, 004)."""
    notice = session.get(Notice, notice_id)
    if notice is None or notice.channel != "phone":
        raise DomainError(f"no phone notice {notice_id}")
    notice.call_log = {"staff_name": staff_name, "staff_title": staff_title, "organization": organization,
                       "reached": reached, "outcome": outcome, "at": at.isoformat()}
    if outcome == "reached":
        _mark_delivered(session, registry=registry, notice=notice, at=at, actor=actor)
    else:
        notice.attempts += 1
    return notice


@dataclass
class DeliveryResult:
    delivered: int = 0
    failed: int = 0


def deliver_due(factory: sessionmaker[Session], *, registry: PackRegistry, now: datetime,
                channels: dict[str, Channel], store: AttachmentStore, batch: int = 50) -> DeliveryResult:
    """Deliver pending notices: claim under a lease, render, hand to the channel, record delivery."""
    result = DeliveryResult()
    with transaction(factory) as session:
        q = (select(Notice).where(Notice.status.in_(("pending", "failed", "sending")),
                                  or_(Notice.next_attempt_at <= now, Notice.lease_until <= now))
             .where(or_(Notice.status != "sending", Notice.lease_until <= now))
             .order_by(Notice.due_at.asc().nulls_last(), Notice.id).limit(batch))
        if session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        claimed = []
        for notice in session.scalars(q):
            notice.status, notice.lease_until = "sending", now + LEASE
            notice.attempts += 1
            claimed.append(notice.id)
    for notice_id in claimed:
        with transaction(factory) as session:
            notice = session.get(Notice, notice_id)
            assert notice is not None
            req = session.get(AuthorizationRequest, notice.request_pk)
            assert req is not None
            pack = deadlines.pack_for(registry, req)
            try:
                document = None
                if notice.letter_type:
                    letter = prepare_letter(pack, LetterType(notice.letter_type), builder.from_json(notice.context),
                                            language=notice.language, large_print=notice.large_print)
                    document = letter.pdf
                    digest, key = store.put(document)
                    notice.document_key, notice.document_sha256 = key, digest
                notice.sent_at = now
                channels[notice.channel].deliver(notice, document)
            except (DeliveryFailed, OSError) as exc:
                notice.status, notice.last_error, notice.lease_until = "failed", str(exc), None
                notice.next_attempt_at = now + RETRY_BACKOFF[min(notice.attempts - 1, len(RETRY_BACKOFF) - 1)]
                result.failed += 1
                log.warning("notice %s failed: %s", notice.id, exc)
                continue
            _mark_delivered(session, registry=registry, notice=notice, at=now, actor=SYSTEM)
            result.delivered += 1
    return result
