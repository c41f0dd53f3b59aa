"""REST endpoints for reconsiderations, appeals, external reviews and reviewer profiles (/api/v1)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.appeals import casefile, service
from openum.appeals.models import Appeal, ExternalReview, ReviewerProfile
from openum.appeals.schemas import (
    AppealDecisionIn,
    AppealExtensionIn,
    AppealIn,
    AppealOut,
    ContinuationIn,
    EffectuationIn,
    ExpediteIn,
    ExternalReviewIn,
    ExternalReviewOut,
    ExternalReviewUpdate,
    ReconsiderationIn,
    ReviewerProfileIn,
    ReviewerProfileOut,
)
from openum.appeals.views import represent
from openum.audit import service as audit
from openum.audit.service import Actor
from openum.auth.models import User
from openum.auth.permissions import Permission
from openum.errors import DomainError, NotFound
from openum.intake import access
from openum.intake import service as intake
from openum.intake.models import AuthorizationRequest
from openum.web.deps import ClockDep, RegistryDep, SessionDep, StoreDep, actor_for, require

router = APIRouter(prefix="/api/v1", tags=["appeals"])
Reading = Annotated[User, Depends(require(Permission.APPEAL_READ))]
Filing = Annotated[User, Depends(require(Permission.APPEAL_FILE))]
Managing = Annotated[User, Depends(require(Permission.APPEAL_MANAGE))]
Deciding = Annotated[User, Depends(require(Permission.APPEAL_DECIDE))]
Supervising = Annotated[User, Depends(require(Permission.QUEUE_SUPERVISE))]
EVIDENCE_KINDS = r"^(new_evidence|consent|statement)$"


def _request(session: Session, user: User, authorization_id: str) -> AuthorizationRequest:
    req = intake.get_request(session, authorization_id=authorization_id)
    access.ensure_visible(user, req)
    return req


def _appeal(session: Session, user: User, appeal_id: int) -> tuple[Appeal, AuthorizationRequest]:
    try:
        appeal, req = service.get(session, appeal_id)
        access.ensure_visible(user, req)
    except NotFound:
        raise NotFound(f"no appeal {appeal_id}") from None
    return appeal, req


def _audit(session: Session, actor: Actor, now: datetime, action: str, appeal: Appeal | None,
           req: AuthorizationRequest, purpose: str = "appeal") -> None:
    audit.record(session, actor=actor, at=now, action=action, record_type="appeal",
                 record_id=f"{req.authorization_id}/{appeal.level}/{appeal.id}" if appeal else req.authorization_id,
                 member_id=req.member.member_id if req.member else None, purpose=purpose)


def _out(session: Session, request: Request, appeal: Appeal, req: AuthorizationRequest, user: User,
         now: datetime) -> AppealOut:
    registry = request.app.state.registry
    return represent(session, pack=service.pack_of(registry, req), appeal=appeal, req=req, now=now, user=user)


@router.post("/requests/{authorization_id}/reconsiderations", status_code=201, response_model=AppealOut,
             summary="Ask for a reconsideration (informal physician peer review) of a medical-necessity denial")
def reconsider(authorization_id: str, body: ReconsiderationIn, request: Request, session: SessionDep,
               clock: ClockDep, registry: RegistryDep, store: StoreDep, user: Filing) -> AppealOut:
    req = _request(session, user, authorization_id)
    now, actor = clock.now(), actor_for(user, request)
    appeal = service.file_reconsideration(session, registry=registry, store=store, req=req, actor=actor, now=now,
                                          body=body)
    _audit(session, actor, now, "create", appeal, req)
    return _out(session, request, appeal, req, user, now)


@router.post("/requests/{authorization_id}/appeals", status_code=201, response_model=AppealOut,
             summary="File an appeal (member, or provider or representative for the member)")
def file_appeal(authorization_id: str, body: AppealIn, request: Request, session: SessionDep, clock: ClockDep,
                registry: RegistryDep, store: StoreDep, user: Filing) -> AppealOut:
    req = _request(session, user, authorization_id)
    now, actor = clock.now(), actor_for(user, request)
    appeal = service.file_appeal(session, registry=registry, store=store, req=req, user=user, actor=actor, now=now,
                                 body=body)
    _audit(session, actor, now, "create", appeal, req)
    return _out(session, request, appeal, req, user, now)


@router.get("/requests/{authorization_id}/appeals", response_model=list[AppealOut],
            summary="Every reconsideration and appeal of a request")
def request_appeals(authorization_id: str, request: Request, session: SessionDep, clock: ClockDep,
                    user: Reading) -> list[AppealOut]:
    req = _request(session, user, authorization_id)
    now = clock.now()
    rows = session.scalars(select(Appeal).where(Appeal.request_pk == req.id).order_by(Appeal.id)).all()
    _audit(session, actor_for(user, request), now, "read", None, req)
    return [_out(session, request, a, req, user, now) for a in rows]


@router.get("/appeals", summary="Open reconsiderations and appeals, earliest decision due first")
def appeal_queue(request: Request, session: SessionDep, clock: ClockDep, user: Reading,
                 status: Annotated[str, Query(pattern=r"^(open|decided|dismissed|withdrawn)$")] = "open",
                 level: Annotated[str | None, Query(pattern=r"^(reconsideration|appeal)$")] = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    q = (select(Appeal, AuthorizationRequest.authorization_id).join(
        AuthorizationRequest, AuthorizationRequest.id == Appeal.request_pk)
         .where(Appeal.status == status, access.visibility(user)))
    if level:
        q = q.where(Appeal.level == level)
    rows = session.execute(q.order_by(Appeal.decision_due_at.asc().nulls_last(), Appeal.id).limit(limit)).all()
    audit.record(session, actor=actor_for(user, request), at=clock.now(), action="search", record_type="appeal",
                 record_id=None, member_id=None, purpose="appeal")
    return [{"id": a.id, "level": a.level, "authorization_id": aid, "status": a.status, "urgency": a.urgency,
             "line_of_business": a.line_of_business, "received_at": a.received_at,
             "decision_due_at": a.decision_due_at, "late": a.late, "outcome": a.outcome} for a, aid in rows]


@router.get("/appeals/{appeal_id}", response_model=AppealOut, summary="One reconsideration or appeal")
def get_appeal(appeal_id: int, request: Request, session: SessionDep, clock: ClockDep, user: Reading) -> AppealOut:
    appeal, req = _appeal(session, user, appeal_id)
    now = clock.now()
    _audit(session, actor_for(user, request), now, "read", appeal, req)
    return _out(session, request, appeal, req, user, now)


@router.post("/appeals/{appeal_id}/evidence", status_code=201, response_model=AppealOut,
             summary="Send new evidence, or the member's written consent, for the appeal")
def add_evidence(appeal_id: int, request: Request, session: SessionDep, clock: ClockDep, store: StoreDep,
                 user: Filing, file: Annotated[UploadFile, File()],
                 kind: Annotated[str, Form(pattern=EVIDENCE_KINDS)] = "new_evidence",
                 description: Annotated[str | None, Form(max_length=2000)] = None,
                 signed_on: Annotated[str | None, Form(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None) -> AppealOut:
    from datetime import date

    appeal, req = _appeal(session, user, appeal_id)
    now, actor = clock.now(), actor_for(user, request)
    data = file.file.read(service.MAX_EVIDENCE_BYTES + 1)
    service.add_evidence(session, store=store, appeal=appeal, req=req, actor=actor, now=now, kind=kind,
                         filename=file.filename or "document", content_type=file.content_type, data=data,
                         description=description, signed_on=date.fromisoformat(signed_on) if signed_on else None)
    _audit(session, actor, now, "update", appeal, req)
    return _out(session, request, appeal, req, user, now)


@router.post("/appeals/{appeal_id}/expedite", response_model=AppealOut,
             summary="Grant or refuse a member's request for an expedited appeal (refused: standard, with notice)")
def expedite(appeal_id: int, body: ExpediteIn, request: Request, session: SessionDep, clock: ClockDep,
             registry: RegistryDep, user: Managing) -> AppealOut:
    appeal, req = _appeal(session, user, appeal_id)
    now, actor = clock.now(), actor_for(user, request)
    service.decide_expedite(session, registry=registry, appeal=appeal, req=req, actor=actor, now=now,
                            granted=body.granted, reason=body.reason)
    _audit(session, actor, now, "update", appeal, req)
    return _out(session, request, appeal, req, user, now)


@router.post("/appeals/{appeal_id}/extensions", response_model=AppealOut,
             summary="Extend the resolution clock (refused, naming the rule, where not allowed)")
def extend(appeal_id: int, body: AppealExtensionIn, request: Request, session: SessionDep, clock: ClockDep,
           registry: RegistryDep, user: Managing) -> AppealOut:
    appeal, req = _appeal(session, user, appeal_id)
    now, actor = clock.now(), actor_for(user, request)
    service.take_extension(session, registry=registry, appeal=appeal, req=req, actor=actor, now=now,
                           reason=body.reason, requested_by=body.requested_by)
    _audit(session, actor, now, "update", appeal, req)
    return _out(session, request, appeal, req, user, now)


@router.post("/appeals/{appeal_id}/decision", response_model=AppealOut,
             summary="Decide: upheld, overturned, partially overturned (independence and expertise enforced)")
def decide(appeal_id: int, body: AppealDecisionIn, request: Request, session: SessionDep, clock: ClockDep,
           registry: RegistryDep, user: Deciding) -> AppealOut:
    appeal, req = _appeal(session, user, appeal_id)
    now, actor = clock.now(), actor_for(user, request)
    request.state.actor = actor
    service.decide(session, registry=registry, appeal=appeal, req=req, user=user, actor=actor, now=now,
                   outcome=body.outcome, reason=body.reason, rationale=body.rationale,
                   lines=[ln.model_dump(mode="json") for ln in body.lines])
    _audit(session, actor, now, "update", appeal, req)
    return _out(session, request, appeal, req, user, now)


@router.post("/appeals/{appeal_id}/effectuation", response_model=AppealOut,
             summary="Record that an overturn was put into effect")
def effectuate(appeal_id: int, body: EffectuationIn, request: Request, session: SessionDep, clock: ClockDep,
               registry: RegistryDep, user: Managing) -> AppealOut:
    appeal, req = _appeal(session, user, appeal_id)
    now, actor = clock.now(), actor_for(user, request)
    service.record_effectuation(session, registry=registry, appeal=appeal, req=req, actor=actor, now=now,
                                at=body.effectuated_at, note=body.note)
    _audit(session, actor, now, "update", appeal, req)
    return _out(session, request, appeal, req, user, now)


@router.post("/appeals/{appeal_id}/continuation", response_model=AppealOut,
             summary="Ask that benefits continue while the appeal is pending")
def continuation(appeal_id: int, body: ContinuationIn, request: Request, session: SessionDep, clock: ClockDep,
                 registry: RegistryDep, user: Filing) -> AppealOut:
    appeal, req = _appeal(session, user, appeal_id)
    now, actor = clock.now(), actor_for(user, request)
    asked = body.requested_at
    if asked is not None and (asked.tzinfo is None or asked > now):
        raise DomainError("requested_at must be an aware time no later than now")
    service.request_continuation(session, registry=registry, appeal=appeal, req=req, actor=actor, now=now,
                                 asked_at=asked)
    _audit(session, actor, now, "update", appeal, req)
    return _out(session, request, appeal, req, user, now)


@router.get("/appeals/{appeal_id}/file", summary="The appeal file: everything the decision rested on, and new evidence")
def appeal_file(appeal_id: int, request: Request, session: SessionDep, clock: ClockDep, registry: RegistryDep,
                user: Reading) -> dict[str, Any]:
    appeal, req = _appeal(session, user, appeal_id)
    data = casefile.build(session, pack=service.pack_of(registry, req), appeal=appeal, req=req)
    _audit(session, actor_for(user, request), clock.now(), "read", appeal, req, purpose="appeal_file")
    return data


@router.get("/appeals/{appeal_id}/file.pdf", response_class=Response, summary="The appeal file as one PDF")
def appeal_file_pdf(appeal_id: int, request: Request, session: SessionDep, clock: ClockDep, registry: RegistryDep,
                    store: StoreDep, user: Reading) -> Response:
    appeal, req = _appeal(session, user, appeal_id)
    now = clock.now()
    pdf = casefile.to_pdf(session, pack=service.pack_of(registry, req), appeal=appeal, req=req, store=store,
                          printed_at=now)
    _audit(session, actor_for(user, request), now, "export", appeal, req, purpose="appeal_file")
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{req.authorization_id}-{appeal.level}-{appeal.id}.pdf"'})


@router.post("/appeals/{appeal_id}/external-reviews", status_code=201, response_model=ExternalReviewOut,
             summary="Ask for a State Fair Hearing, independent medical review or external review")
def request_external(appeal_id: int, body: ExternalReviewIn, request: Request, session: SessionDep, clock: ClockDep,
                     registry: RegistryDep, user: Filing) -> ExternalReview:
    appeal, req = _appeal(session, user, appeal_id)
    now, actor = clock.now(), actor_for(user, request)
    row = service.request_external(session, registry=registry, appeal=appeal, req=req, actor=actor, now=now,
                                   body=body)
    _audit(session, actor, now, "create", appeal, req, purpose="external_review")
    return row


@router.patch("/external-reviews/{review_id}", response_model=ExternalReviewOut,
              summary="Record forwarding, the outside decision, and effectuation of a reversal")
def update_external(review_id: int, body: ExternalReviewUpdate, request: Request, session: SessionDep,
                    clock: ClockDep, registry: RegistryDep, user: Managing) -> ExternalReview:
    row = session.get(ExternalReview, review_id)
    if row is None:
        raise NotFound(f"no external review {review_id}")
    appeal, req = _appeal(session, user, row.appeal_pk)
    now, actor = clock.now(), actor_for(user, request)
    service.update_external(session, registry=registry, row=row, appeal=appeal, req=req, user=user, actor=actor,
                            now=now, body=body)
    _audit(session, actor, now, "update", appeal, req, purpose="external_review")
    return row


def _user(session: Session, username: str) -> User:
    found = session.scalars(select(User).where(User.username == username)).one_or_none()
    if found is None:
        raise NotFound(f"no user {username}")
    return found


def _profile_out(session: Session, user: User, row: ReviewerProfile | None) -> ReviewerProfileOut:
    boss = session.get(User, row.supervisor_user_id) if row and row.supervisor_user_id else None
    return ReviewerProfileOut(username=user.username, specialty=row.specialty if row else None,
                              supervisor_username=boss.username if boss else None,
                              updated_at=row.updated_at if row else user.created_at)


@router.put("/reviewer-profiles/{username}", response_model=ReviewerProfileOut,
            summary="Record a reviewer's specialty and supervisor (appeal independence and expertise)")
def put_profile(username: str, body: ReviewerProfileIn, request: Request, session: SessionDep, clock: ClockDep,
                user: Supervising) -> ReviewerProfileOut:
    target = _user(session, username)
    boss = _user(session, body.supervisor_username) if body.supervisor_username else None
    row = service.set_profile(session, user=target, specialty=body.specialty, supervisor=boss, now=clock.now(),
                              by=user)
    audit.record(session, actor=actor_for(user, request), at=clock.now(), action="update",
                 record_type="reviewer_profile", record_id=username, member_id=None, purpose="administration")
    return _profile_out(session, target, row)


@router.get("/reviewer-profiles/{username}", response_model=ReviewerProfileOut, summary="A reviewer's profile")
def get_profile(username: str, session: SessionDep, user: Supervising) -> ReviewerProfileOut:
    target = _user(session, username)
    return _profile_out(session, target, session.get(ReviewerProfile, target.id))
