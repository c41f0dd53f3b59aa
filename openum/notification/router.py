"""Notices on the API: download a letter, log the phone call that gives a decision."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from openum.audit import service as audit
from openum.auth.models import User
from openum.auth.permissions import Permission
from openum.errors import NotFound
from openum.intake import access
from openum.intake.models import AuthorizationRequest
from openum.notification import service
from openum.notification.models import Notice
from openum.web.deps import ClockDep, RegistryDep, SessionDep, StoreDep, actor_for, require

router = APIRouter(prefix="/api/v1/notices", tags=["notices"])


class CallLog(BaseModel):
    model_config = ConfigDict(extra="forbid")
    staff_name: Annotated[str, Field(min_length=1, max_length=200)]
    staff_title: Annotated[str, Field(min_length=1, max_length=100)]
    organization: Annotated[str, Field(min_length=1, max_length=200)]
    reached: Annotated[str, Field(min_length=1, max_length=200, description="Who was reached")]
    outcome: Annotated[str, Field(pattern=r"^(reached|voicemail|no_answer|wrong_number)$")]


def _notice(session: Any, user: User, notice_id: int) -> tuple[Notice, AuthorizationRequest]:
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(f"no notice {notice_id}")
    req = session.get(AuthorizationRequest, notice.request_pk)
    access.ensure_visible(user, req)
    if user.role == "provider_office" and notice.recipient != "provider":
        raise NotFound(f"no notice {notice_id}")
    return notice, req


@router.get("/{notice_id}/document", summary="The letter as sent (PDF)", response_class=Response)
def document(notice_id: int, request: Request, session: SessionDep, store: StoreDep, clock: ClockDep,
             user: Annotated[User, Depends(require(Permission.REQUEST_READ))]) -> Response:
    notice, req = _notice(session, user, notice_id)
    if notice.document_key is None:
        raise NotFound("this notice has no document yet")
    audit.record(session, actor=actor_for(user, request), at=clock.now(), action="read", record_type="notice",
                 record_id=req.authorization_id, member_id=req.member.member_id if req.member else None,
                 purpose="notice_copy")
    return Response(store.get(notice.document_key), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{req.authorization_id}-{notice.id}.pdf"'})


@router.post("/{notice_id}/call", summary="Log the phone call that gives the decision to the provider")
def log_call(notice_id: int, body: CallLog, request: Request, session: SessionDep, clock: ClockDep,
             registry: RegistryDep,
             user: Annotated[User, Depends(require(Permission.REVIEW_WORK))]) -> dict[str, Any]:
    notice, req = _notice(session, user, notice_id)
    now = clock.now()
    service.log_call(session, registry=registry, notice_id=notice.id, at=now, actor=actor_for(user, request),
                     **body.model_dump())
    audit.record(session, actor=actor_for(user, request), at=now, action="update", record_type="notice",
                 record_id=req.authorization_id, member_id=req.member.member_id if req.member else None,
                 purpose="decision_notice")
    return {"id": notice.id, "status": notice.status, "delivered_at": notice.delivered_at, "late": notice.late}
