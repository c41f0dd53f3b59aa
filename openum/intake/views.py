"""The full representation of a request: state, lines, coverage, documents, history, due times."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.intake.models import AuthorizationRequest
from openum.intake.schemas import (
    AttachmentOut,
    DueTimeOut,
    EventOut,
    MissingItem,
    NoticeOut,
    RequestOut,
    ServiceLineOut,
)
from openum.intake.status import Status, provider_status
from openum.notification.models import Notice


def effective_received_at(req: AuthorizationRequest) -> datetime:
    """Receipt as first recorded, unless a later correction event says otherwise."""
    corrections = [e for e in req.events if e.type == "receipt_corrected"]
    if corrections:
        return datetime.fromisoformat(str(corrections[-1].data["corrected_received_at"]))
    return req.received_at


def represent(session: Session, req: AuthorizationRequest, due_times: list[DueTimeOut]) -> RequestOut:
    member = req.member
    member_out: dict[str, object] = dict(req.member_reference)
    if member is not None:
        member_out.update({"member_id": member.member_id, "first_name": member.first_name,
                           "last_name": member.last_name, "birth_date": member.birth_date.isoformat(),
                           "language": member.language, "found": True})
    else:
        member_out["found"] = False
    return RequestOut(
        authorization_id=req.authorization_id, plan_id=req.plan_id, pack_version=req.pack_version,
        channel=req.channel, received_at=req.received_at,
        effective_received_at=effective_received_at(req), kind=req.kind, urgency=req.urgency,
        urgency_asserted_by_practitioner=req.urgency_asserted_by_practitioner,
        line_of_business=req.line_of_business, setting=req.setting, status=req.status,
        provider_status=provider_status(Status(req.status)).value, status_reason=req.status_reason,
        member=member_out, requesting_provider_npi=req.requesting_npi,
        servicing_provider_npi=req.servicing_npi, facility_npi=req.facility_npi,
        submitter_organization_id=req.submitter_organization_id,
        service_lines=[ServiceLineOut.model_validate(ln, from_attributes=True) for ln in req.lines],
        diagnoses=[{"code": d.code, "description": d.description} for d in req.diagnoses],
        requested_length_of_stay=req.requested_length_of_stay, admission_date=req.admission_date,
        proposed_procedure_date=req.proposed_procedure_date,
        clinical_indications=req.clinical_indications, pertinent_history=req.pertinent_history,
        missing_items=[MissingItem(**m) for m in req.missing_items],
        coverage=req.coverage, determination=req.determination,
        attachments=[AttachmentOut.model_validate(a, from_attributes=True) for a in req.attachments],
        due_times=due_times,
        notices=[NoticeOut(**{k: getattr(n, k) for k in NoticeOut.model_fields if k != "has_document"},
                           has_document=n.document_key is not None)
                 for n in session.scalars(select(Notice).where(Notice.request_pk == req.id).order_by(Notice.id))],
        history=[EventOut.model_validate(e, from_attributes=True) for e in req.events],
    )
