"""The letters of a reconsideration or appeal: their facts, built on the decision letter's facts
(openum.notification.builder), and written to the notice outbox with their due times.

Each batch of notices answers one RequestEvent on the original request (the outbox's trigger), and
the appeal's history records which notices belong to it, so the appeal's clocks can see when each
was delivered.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from openum.appeals.models import Appeal, AppealEvent
from openum.audit.service import Actor
from openum.intake.history import record_event
from openum.intake.models import AuthorizationRequest
from openum.notification import builder
from openum.notification import service as outbox
from openum.notification.letters import context as lc
from openum.notification.letters.schema import LetterType
from openum.notification.models import Notice
from openum.packs.loader import PlanPack

# Notice obligation names of an appeal's own letters (the outbox's `obligation` column).
ACKNOWLEDGMENT = "appeal_acknowledgment"
DOWNGRADE = "appeal_downgrade_notice"
EXTENSION = "appeal_extension_notice"


def _local(pack: PlanPack, at: datetime) -> date:
    return pack.calendar.local(at).date()


def base_context(session: Session, pack: PlanPack, req: AuthorizationRequest, appeal: Appeal,
                 now: datetime) -> lc.LetterContext:
    """The decision letter's facts as the request stands now, with the appeal's own."""
    ctx = builder.build(session, pack=pack, req=req, now=now)
    return replace(ctx, appeal_received_date=_local(pack, appeal.received_at),
                   appeal_deadline=appeal.filing_deadline,
                   representative=appeal.appellant_name if appeal.appellant != "member" else None)


def acknowledgment(session: Session, pack: PlanPack, req: AuthorizationRequest, appeal: Appeal,
                   now: datetime, decision_due: datetime | None) -> lc.LetterContext:
    ctx = base_context(session, pack, req, appeal, now)
    return replace(ctx, decision_due_date=_local(pack, decision_due) if decision_due else None, outcome=None)


def resolution(session: Session, pack: PlanPack, req: AuthorizationRequest, appeal: Appeal,
               now: datetime, *, credential: str | None, specialty: str | None) -> lc.LetterContext:
    """The Notice of Appeal Resolution (or the reconsideration's result), with the next level of rights.

    After an appeal: the State Fair Hearing window (and continuation during it) runs from this
    notice. After a reconsideration: the appeal window still runs from the original notice.
    """
    ctx = base_context(session, pack, req, appeal, now)
    today = _local(pack, now)
    lob = pack.line_of_business(req.line_of_business)
    adverse = ctx.outcome is not None and ctx.outcome.adverse
    reviewer = lc.Reviewer(name=appeal.decided_by or "Appeal reviewer", credential=credential or appeal.reviewer_role
                           or "", phone=pack.manifest.plan.contact.phone, specialty=specialty,
                           hours=pack.manifest.plan.contact.hours)
    ctx = replace(ctx, decision_date=today, effective_date=today, specific_reason=appeal.decision_reason,
                  member_condition=appeal.rationale or ctx.member_condition, reviewer=reviewer)
    if appeal.level == "reconsideration":
        start = appeal.notice_date or today
        return replace(
            ctx, appeal_deadline=(start + timedelta(days=lob.appeal_filing_days)
                                  if adverse and lob and lob.appeal_filing_days else None),
            continuation_deadline=(start + timedelta(days=lob.continuation_request_days)
                                   if adverse and lob and lob.continuation_request_days else None))
    return replace(
        ctx, appeal_deadline=None,
        state_hearing_deadline=(today + timedelta(days=lob.state_fair_hearing_days)
                                if adverse and lob and lob.state_fair_hearing_days else None),
        continuation_deadline=(today + timedelta(days=lob.continuation_request_days)
                               if adverse and lob and lob.continuation_request_days else None))


def downgrade(session: Session, pack: PlanPack, req: AuthorizationRequest, appeal: Appeal, now: datetime,
              reason: str, decision_due: datetime | None) -> lc.LetterContext:
    ctx = base_context(session, pack, req, appeal, now)
    return replace(ctx, outcome=None, specific_reason=f"Your request for a fast (expedited) appeal was not "
                   f"granted: {reason}. We will decide your appeal on the standard timeline.",
                   decision_due_date=_local(pack, decision_due) if decision_due else None)


def extension(session: Session, pack: PlanPack, req: AuthorizationRequest, appeal: Appeal, now: datetime,
              reason: str, decision_due: datetime | None) -> lc.LetterContext:
    ctx = base_context(session, pack, req, appeal, now)
    return replace(ctx, outcome=None, specific_reason=f"We are taking more time to decide your appeal: {reason}",
                   decision_due_date=_local(pack, decision_due) if decision_due else None)


def send(session: Session, *, pack: PlanPack, req: AuthorizationRequest, appeal: Appeal, actor: Actor,
         now: datetime, purpose: str, letter_type: LetterType, ctx: lc.LetterContext,
         obligations: dict[str, str], due: dict[str, datetime | None]) -> list[Notice]:
    """Check the letter, write its notices to the outbox, and tie them to the appeal."""
    ev = record_event(req, at=now, type=f"{appeal.level}_notice", actor=actor,
                      reason=f"{purpose}: {letter_type.value}", data={"appeal_id": appeal.id, "purpose": purpose})
    session.flush()
    notices = outbox.write_notices(session, pack=pack, req=req, trigger_event_id=ev.id, letter_type=letter_type,
                                   ctx=ctx, now=now, obligations=obligations, due=due)
    appeal.events.append(AppealEvent(at=now, type="notices_written", actor_user_id=actor.user_id,
                                     actor=actor.username, reason=f"{purpose}: {letter_type.value}",
                                     data={"purpose": purpose, "letter_type": letter_type.value,
                                           "request_event_id": ev.id, "notice_ids": [n.id for n in notices]}))
    return notices
