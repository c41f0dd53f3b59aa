"""REST endpoints for authorization requests under /api/v1/requests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from openum.audit import service as audit
from openum.auth.models import User
from openum.auth.permissions import Permission, Role
from openum.deadlines import service as deadlines
from openum.directory.models import Member
from openum.errors import DomainError
from openum.intake import access, filetypes, history, service
from openum.intake.models import Attachment, AuthorizationRequest, ServiceLine
from openum.intake.schemas import DueTimeOut, RequestOut, SubmitRequest, SubmitResult, Submitter
from openum.intake.status import Status, provider_status
from openum.intake.views import represent
from openum.packs.registry import PackRegistry
from openum.review import service as review
from openum.vocabulary import Channel
from openum.web.deps import (
    ClockDep,
    RegistryDep,
    SessionDep,
    StoreDep,
    actor_for,
    require,
)

router = APIRouter(prefix="/api/v1/requests", tags=["requests"])

Submitting = Annotated[User, Depends(require(Permission.REQUEST_SUBMIT))]
Reading = Annotated[User, Depends(require(Permission.REQUEST_READ))]
Searching = Annotated[User, Depends(require(Permission.REQUEST_SEARCH))]
Documenting = Annotated[User, Depends(require(Permission.REQUEST_ADD_DOCUMENT))]
Correcting = Annotated[User, Depends(require(Permission.REQUEST_CORRECT))]

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
DOCUMENT_KINDS = r"^(clinical_documentation|prescription|form|other)$"


def _due_times(request: Request, req: AuthorizationRequest) -> list[DueTimeOut]:
    registry: PackRegistry = request.app.state.registry
    return deadlines.to_out(deadlines.compute(registry, req), request.app.state.clock.now())


@router.post("", status_code=201, response_model=SubmitResult,
             summary="Submit an authorization request (any channel's JSON form)")
def submit(
    body: SubmitRequest, request: Request, response: Response, user: Submitting,
    session: SessionDep, clock: ClockDep, registry: RegistryDep, store: StoreDep,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
) -> SubmitResult:
    """Every request gets an authorization ID on receipt; missing information pends it."""
    channel = Channel.PORTAL if user.role == Role.PROVIDER_OFFICE else Channel.API
    result = service.submit(
        session, registry=registry, clock=clock, store=store, cmd=body,
        submitter=Submitter(user_id=user.id, username=user.username, role=user.role,
                            organization_id=user.organization_id, channel=channel),
        idempotency_key=idempotency_key,
        source_ip=request.client.host if request.client else None,
    )
    req = result.request
    access.ensure_visible(user, req)
    if result.duplicate:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/requests/{req.authorization_id}"
    due = deadlines.to_out(result.due, clock.now()) if result.due is not None else _due_times(request, req)
    out = represent(session, req, due)
    return SubmitResult(authorization_id=req.authorization_id, status=req.status,
                        provider_status=out.provider_status, duplicate=result.duplicate,
                        missing_items=out.missing_items, request=out)


@router.get("/{authorization_id}", response_model=RequestOut, summary="Get one request, in full")
def get_one(authorization_id: str, request: Request, user: Reading, session: SessionDep,
            clock: ClockDep) -> RequestOut:
    req = service.get_request(session, authorization_id=authorization_id)
    access.ensure_visible(user, req)
    member = req.member
    audit.record(session, actor=actor_for(user, request), at=clock.now(), action="read",
                 record_type="authorization_request", record_id=req.authorization_id,
                 member_id=member.member_id if member else None, purpose="utilization_review")
    return represent(session, req, _due_times(request, req))


class SearchHit(BaseModel):
    authorization_id: str
    received_at: datetime
    status: str
    provider_status: str
    kind: str
    urgency: str
    line_of_business: str
    member_id: str | None
    servicing_provider_npi: str | None
    codes: list[str]


class SearchPage(BaseModel):
    total: int
    items: list[SearchHit]


@router.get("", response_model=SearchPage, summary="Search requests")
def search(
    request: Request, user: Searching, session: SessionDep, clock: ClockDep,
    member_id: str | None = None,
    provider_npi: Annotated[str | None, Query(description="requesting, servicing or facility NPI")] = None,
    status: Status | None = None,
    provider_status_code: Annotated[str | None, Query(alias="provider_status",
                                                      pattern="^[ACDPM]$")] = None,
    received_from: date | None = None,
    received_to: date | None = None,
    service_from: date | None = None,
    service_to: date | None = None,
    code: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SearchPage:
    q = select(AuthorizationRequest).where(access.visibility(user))
    if member_id:
        q = q.join(Member, Member.id == AuthorizationRequest.member_pk).where(Member.member_id == member_id)
    if provider_npi:
        q = q.where((AuthorizationRequest.requesting_npi == provider_npi)
                    | (AuthorizationRequest.servicing_npi == provider_npi)
                    | (AuthorizationRequest.facility_npi == provider_npi))
    if status:
        q = q.where(AuthorizationRequest.status == status.value)
    if provider_status_code:
        codes = [s.value for s in Status if provider_status(s).value == provider_status_code]
        q = q.where(AuthorizationRequest.status.in_(codes))
    tz = clock.now().tzinfo
    if received_from:
        q = q.where(AuthorizationRequest.received_at >= datetime.combine(received_from, datetime.min.time(), tz))
    if received_to:
        q = q.where(AuthorizationRequest.received_at < datetime.combine(received_to, datetime.max.time(), tz))
    if service_from or service_to or code:
        sub = select(ServiceLine.request_pk)
        if service_from:
            sub = sub.where(ServiceLine.from_date >= service_from)
        if service_to:
            sub = sub.where(ServiceLine.from_date <= service_to)
        if code:
            sub = sub.where(ServiceLine.code == code.upper())
        q = q.where(AuthorizationRequest.id.in_(sub))
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(q.order_by(AuthorizationRequest.received_at.desc(), AuthorizationRequest.id.desc())
                           .limit(limit).offset(offset)).all()
    members = {m.id: m.member_id for m in session.scalars(
        select(Member).where(Member.id.in_({r.member_pk for r in rows if r.member_pk})))}
    audit.record(session, actor=actor_for(user, request), at=clock.now(), action="search",
                 record_type="authorization_request", record_id=None, member_id=member_id,
                 purpose="utilization_review")
    return SearchPage(total=total, items=[SearchHit(
        authorization_id=r.authorization_id, received_at=r.received_at, status=r.status,
        provider_status=provider_status(Status(r.status)).value, kind=r.kind, urgency=r.urgency,
        line_of_business=r.line_of_business, member_id=members.get(r.member_pk or -1),
        servicing_provider_npi=r.servicing_npi, codes=[ln.code for ln in r.lines]) for r in rows])


class DocumentAdded(BaseModel):
    attachment_id: int
    sha256: str
    size: int
    missing_items: list[dict[str, str]]


@router.post("/{authorization_id}/documents", status_code=201, response_model=DocumentAdded,
             summary="Attach a document (clinical notes, prescription, form)")
def add_document(
    authorization_id: str, request: Request, user: Documenting, session: SessionDep,
    clock: ClockDep, store: StoreDep,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(pattern=DOCUMENT_KINDS)] = "clinical_documentation",
) -> DocumentAdded:
    req = service.get_request(session, authorization_id=authorization_id)
    access.ensure_visible(user, req)
    data = file.file.read(MAX_ATTACHMENT_BYTES + 1)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise DomainError(f"file is larger than {MAX_ATTACHMENT_BYTES} bytes",
                          details=[{"loc": ["body", "file"], "msg": "too large"}])
    if not data:
        raise DomainError("file is empty", details=[{"loc": ["body", "file"], "msg": "empty"}])
    filetypes.check(file.content_type, data, name=file.filename or "document", loc=["body", "file"])
    now = clock.now()
    digest, key = store.put(data)
    att = Attachment(kind=kind, filename=file.filename or "document", size=len(data), sha256=digest,
                     content_type=file.content_type or "application/octet-stream", storage_key=key,
                     received_at=now, uploaded_by_user_id=user.id)
    req.attachments.append(att)
    actor = actor_for(user, request)
    history.record_event(req, at=now, type="document_added", actor=actor,
                         reason=f"{kind}: {att.filename}", data={"sha256": digest, "size": len(data)})
    service.information_received(session, req=req, at=now, actor=actor)
    session.flush()
    registry = request.app.state.registry
    deadlines.refresh(session, registry=registry, req=req)
    review.sync_item(session, pack=deadlines.pack_for(registry, req), req=req, now=now)
    audit.record(session, actor=actor, at=now, action="update", record_type="authorization_request",
                 record_id=req.authorization_id, member_id=req.member_reference.get("member_id"),
                 purpose="utilization_review")
    return DocumentAdded(attachment_id=att.id, sha256=digest, size=len(data),
                         missing_items=req.missing_items)


class ReceiptCorrection(BaseModel):
    corrected_received_at: datetime
    reason: Annotated[str, Field(min_length=5, max_length=2000)]


@router.post("/{authorization_id}/corrections", status_code=201, response_model=RequestOut,
             summary="Correct the receipt time: recorded as a new event, never an edit")
def correct_receipt(authorization_id: str, body: ReceiptCorrection, request: Request,
                    user: Correcting, session: SessionDep, clock: ClockDep) -> RequestOut:
    req = service.get_request(session, authorization_id=authorization_id)
    if body.corrected_received_at.tzinfo is None:
        raise DomainError("corrected_received_at must include a time zone offset",
                          details=[{"loc": ["body", "corrected_received_at"], "msg": "naive datetime"}])
    now = clock.now()
    actor = actor_for(user, request)
    history.record_event(req, at=now, type="receipt_corrected", actor=actor, reason=body.reason,
                         data={"original_received_at": req.received_at.isoformat(),
                               "corrected_received_at": body.corrected_received_at.isoformat()})
    session.flush()
    deadlines.refresh(session, registry=request.app.state.registry, req=req)
    audit.record(session, actor=actor, at=now, action="update", record_type="authorization_request",
                 record_id=req.authorization_id, member_id=req.member_reference.get("member_id"),
                 purpose="receipt_correction")
    return represent(session, req, _due_times(request, req))
