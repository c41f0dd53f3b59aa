"""An appeal as the API shows it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.appeals import service
from openum.appeals.clocks import CaseDue
from openum.appeals.models import Appeal, ExternalReview
from openum.appeals.schemas import (
    AppealEventOut,
    AppealOut,
    CaseDueOut,
    EvidenceOut,
    ExternalReviewOut,
)
from openum.auth.models import User
from openum.auth.permissions import Role
from openum.intake.models import AuthorizationRequest
from openum.intake.schemas import NoticeOut
from openum.packs.loader import PlanPack


def represent(session: Session, *, pack: PlanPack, appeal: Appeal, req: AuthorizationRequest, now: datetime,
              user: User) -> AppealOut:
    due = service.compute(session, pack, appeal)
    line = service.line_config(pack, appeal.line_of_business)
    provider = user.role == Role.PROVIDER_OFFICE
    notices = [n for _, n in service.notices_of(session, appeal) if not provider or n.recipient == "provider"]
    externals = session.scalars(select(ExternalReview).where(ExternalReview.appeal_pk == appeal.id)
                                .order_by(ExternalReview.id)).all()

    def state(d: CaseDue) -> str:
        if d.met_at is not None:
            return "met" if d.due_at is None or d.met_at <= d.due_at else "met_late"
        if d.due_at is not None and now > d.due_at:
            return "overdue"
        return d.status

    decision = None
    if appeal.decided_at is not None:
        decision = {"outcome": appeal.outcome, "decided_at": appeal.decided_at, "decided_by": appeal.decided_by,
                    "role": appeal.reviewer_role, "credential": appeal.reviewer_credential,
                    "specialty": appeal.reviewer_specialty, "reason": appeal.decision_reason,
                    "rationale": appeal.rationale, "lines": appeal.decision_lines,
                    "checks": appeal.checks if not provider else None,
                    "resolution_notice_date": appeal.resolution_notice_date}
    effectuation = None
    if appeal.effectuation_due_at is not None:
        effectuation = {"due_at": appeal.effectuation_due_at, "effectuated_at": appeal.effectuated_at,
                        "on_time": (appeal.effectuated_at <= appeal.effectuation_due_at)
                        if appeal.effectuated_at else None,
                        "citation": (appeal.checks or {}).get("effectuation_citation"),
                        "note": appeal.effectuation_note}
    continuation = None
    if appeal.continuation_requested_at is not None:
        continuation = {"requested_at": appeal.continuation_requested_at, "status": appeal.continuation_status,
                        "note": appeal.continuation_note, "ended_at": appeal.continuation_ended_at}
    return AppealOut(
        id=appeal.id, level=appeal.level, authorization_id=req.authorization_id, plan_id=appeal.plan_id,
        line_of_business=appeal.line_of_business, status=appeal.status, appellant=appeal.appellant,
        appellant_name=appeal.appellant_name, channel=appeal.channel, received_at=appeal.received_at,
        statement=appeal.statement, original_basis=appeal.original_basis, service_class=appeal.service_class,
        notice_date=appeal.notice_date, filing_deadline=appeal.filing_deadline, late=appeal.late,
        late_handling=appeal.late_handling,
        consent={"required": appeal.consent_required, "received_at": appeal.consent_received_at,
                 "signed_on": appeal.consent_signed_on,
                 "citation": line.consent.citation if line and appeal.consent_required else None},
        urgency_requested=appeal.urgency_requested, urgency=appeal.urgency,
        expedite={"status": appeal.expedite_status, "reason": appeal.expedite_reason,
                  "practitioner_asserted": appeal.practitioner_asserted_urgency},
        decision_due_at=service.decision_due(due), outcome=appeal.outcome, decision=decision,
        effectuation=effectuation, continuation=continuation,
        deemed_exhausted=service.deemed_exhausted(appeal, line, now),
        due_times=[CaseDueOut(obligation=d.obligation, outcome=d.outcome, due_at=d.due_at, status=state(d),
                              citation=d.citation, rule=d.rule, clock=d.clock, met_at=d.met_at) for d in due],
        evidence=[EvidenceOut.model_validate(e, from_attributes=True) for e in appeal.evidence],
        notices=[NoticeOut(**{k: getattr(n, k) for k in NoticeOut.model_fields if k != "has_document"},
                           has_document=n.document_key is not None) for n in notices],
        external_reviews=[ExternalReviewOut.model_validate(x, from_attributes=True) for x in externals],
        # Provider offices see what happened, not the internal checks behind it.
        history=[AppealEventOut(at=e.at, type=e.type, actor=e.actor, reason=e.reason,
                                data=e.data if not provider else {}) for e in appeal.events],
    )
