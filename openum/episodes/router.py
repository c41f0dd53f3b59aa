"""REST endpoints: episodes and concurrent review, discharge planning, retrospective review,
referrals, out-of-network exceptions, network adequacy, and claims meeting authorizations."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.audit import service as audit
from openum.auth.models import User
from openum.auth.permissions import Permission
from openum.deadlines import service as deadlines
from openum.directory.models import Member
from openum.episodes import claims_service, network_service, referral_service, retro_service, service, views
from openum.episodes.common import ensure_organization, submitter_for
from openum.episodes.models import Episode, Referral, RetrospectiveReview
from openum.episodes.schemas import (
    AdmissionIn,
    CareReferralIn,
    ClaimAnswer,
    ClaimLineIn,
    ContinuedStayIn,
    ContinuityIn,
    ContinuityOut,
    DischargeIn,
    EpisodeOut,
    EstimateIn,
    LetterOfAgreementIn,
    LetterOfAgreementOut,
    LevelChangeIn,
    NeedIn,
    NeedUpdate,
    QualityFlagIn,
    QualityResolveIn,
    ReferralIn,
    ReferralOut,
    RetrospectiveIn,
    RetrospectiveOut,
    UtilizationLine,
    UtilizationOut,
)
from openum.errors import DomainError, NotFound
from openum.intake import access
from openum.intake import service as intake
from openum.intake.models import AuthorizationRequest
from openum.intake.status import Status, provider_status
from openum.packs.registry import PackRegistry
from openum.web.deps import ClockDep, RegistryDep, SessionDep, StoreDep, actor_for, require

router = APIRouter(prefix="/api/v1", tags=["episodes"])

Submitting = Annotated[User, Depends(require(Permission.REQUEST_SUBMIT))]
Reading = Annotated[User, Depends(require(Permission.REQUEST_READ))]
Searching = Annotated[User, Depends(require(Permission.REQUEST_SEARCH))]
Managing = Annotated[User, Depends(require(Permission.EPISODE_MANAGE))]
Excepting = Annotated[User, Depends(require(Permission.NETWORK_EXCEPTION))]
Adequacy = Annotated[User, Depends(require(Permission.NETWORK_ADEQUACY))]
Claims = Annotated[User, Depends(require(Permission.CLAIMS_CHECK))]
IdempotencyKey = Annotated[str | None, Header(max_length=200)]


# --- episodes ---------------------------------------------------------------------------------------

def _episode(session: Session, user: User, episode_id: int) -> Episode:
    ep = service.get(session, episode_id)
    orgs = {ep.submitter_organization_id, ep.servicing_organization_id}
    for req in service.requests_of(session, ep).values():
        orgs |= {req.submitter_organization_id, req.servicing_organization_id}
    ensure_organization(user, f"episode {episode_id}", *orgs)
    return ep


def _out(session: Session, request: Request, ep: Episode, now: datetime) -> EpisodeOut:
    session.flush()
    return views.represent(session, request.app.state.registry, ep, now)


@router.post("/episodes", status_code=201, response_model=EpisodeOut,
             summary="Notify an admission (emergent, observation, sick newborn, elective under its authorization)")
def admit(body: AdmissionIn, request: Request, response: Response, user: Submitting, session: SessionDep,
          clock: ClockDep, registry: RegistryDep, store: StoreDep,
          idempotency_key: IdempotencyKey = None) -> EpisodeOut:
    ep = service.admit(session, registry=registry, clock=clock, store=store, cmd=body, submitter=submitter_for(user),
                       actor=actor_for(user, request), idempotency_key=idempotency_key)
    response.headers["Location"] = f"/api/v1/episodes/{ep.id}"
    return _out(session, request, ep, clock.now())


@router.get("/episodes", response_model=list[EpisodeOut], summary="Episodes of a member, or active ones")
def search_episodes(request: Request, user: Searching, session: SessionDep, clock: ClockDep,
                    member_id: str | None = None, plan_id: str | None = None,
                    status: Annotated[str | None, Query(pattern="^(active|discharged)$")] = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[EpisodeOut]:
    q = select(Episode)
    if member_id:
        q = q.join(Member, Member.id == Episode.member_pk).where(Member.member_id == member_id)
    if plan_id:
        q = q.where(Episode.plan_id == plan_id)
    if status:
        q = q.where(Episode.status == status)
    if user.organization_id is not None and user.role == "provider_office":
        q = q.where((Episode.submitter_organization_id == user.organization_id)
                    | (Episode.servicing_organization_id == user.organization_id))
    rows = session.scalars(q.order_by(Episode.admitted_at.desc(), Episode.id.desc()).limit(limit)).all()
    now = clock.now()
    audit.record(session, actor=actor_for(user, request), at=now, action="search", record_type="episode",
                 record_id=None, member_id=member_id, purpose="utilization_review")
    return [views.represent(session, request.app.state.registry, ep, now) for ep in rows]


@router.get("/episodes/{episode_id}", response_model=EpisodeOut, summary="One episode, with its clocks and plan")
def get_episode(episode_id: int, request: Request, user: Reading, session: SessionDep, clock: ClockDep) -> EpisodeOut:
    ep = _episode(session, user, episode_id)
    now = clock.now()
    audit.record(session, actor=actor_for(user, request), at=now, action="read", record_type="episode",
                 record_id=str(ep.id), member_id=ep.member.member_id, purpose="utilization_review")
    return _out(session, request, ep, now)


@router.post("/episodes/{episode_id}/continued-stay", status_code=201, response_model=EpisodeOut,
             summary="Request more days at the current level of care (concurrent review)")
def continued_stay(episode_id: int, body: ContinuedStayIn, request: Request, user: Submitting, session: SessionDep,
                   clock: ClockDep, registry: RegistryDep, store: StoreDep,
                   idempotency_key: IdempotencyKey = None) -> EpisodeOut:
    ep = _episode(session, user, episode_id)
    service.continued_stay(session, registry=registry, clock=clock, store=store, episode=ep, cmd=body,
                           submitter=submitter_for(user), actor=actor_for(user, request),
                           idempotency_key=idempotency_key)
    return _out(session, request, ep, clock.now())


@router.post("/episodes/{episode_id}/level-of-care", status_code=201, response_model=EpisodeOut,
             summary="Change the level of care: the old authorization is closed, a new linked one opened")
def change_level(episode_id: int, body: LevelChangeIn, request: Request, user: Submitting, session: SessionDep,
                 clock: ClockDep, registry: RegistryDep, store: StoreDep) -> EpisodeOut:
    ep = _episode(session, user, episode_id)
    service.change_level(session, registry=registry, clock=clock, store=store, episode=ep, cmd=body,
                         submitter=submitter_for(user), actor=actor_for(user, request))
    return _out(session, request, ep, clock.now())


@router.post("/episodes/{episode_id}/estimate", response_model=EpisodeOut,
             summary="Assign the estimated length of stay")
def estimate(episode_id: int, body: EstimateIn, request: Request, user: Managing, session: SessionDep,
             clock: ClockDep) -> EpisodeOut:
    ep = _episode(session, user, episode_id)
    service.set_estimate(session, episode=ep, cmd=body, now=clock.now(), actor=actor_for(user, request))
    return _out(session, request, ep, clock.now())


@router.post("/episodes/{episode_id}/discharge", response_model=EpisodeOut, summary="Record the discharge")
def discharge(episode_id: int, body: DischargeIn, request: Request, user: Managing, session: SessionDep,
              clock: ClockDep, registry: RegistryDep) -> EpisodeOut:
    ep = _episode(session, user, episode_id)
    service.discharge(session, registry=registry, episode=ep, cmd=body, now=clock.now(),
                      actor=actor_for(user, request))
    return _out(session, request, ep, clock.now())


@router.post("/episodes/{episode_id}/discharge-needs", status_code=201, response_model=EpisodeOut,
             summary="Add a discharge planning need (owner, due date)")
def add_need(episode_id: int, body: NeedIn, request: Request, user: Managing, session: SessionDep,
             clock: ClockDep, registry: RegistryDep) -> EpisodeOut:
    ep = _episode(session, user, episode_id)
    service.add_need(session, registry=registry, episode=ep, cmd=body, now=clock.now(), actor=actor_for(user, request))
    return _out(session, request, ep, clock.now())


@router.patch("/episodes/{episode_id}/discharge-needs/{need_id}", response_model=EpisodeOut,
              summary="Move a discharge need along (in progress, arranged, completed)")
def update_need(episode_id: int, need_id: int, body: NeedUpdate, request: Request, user: Managing,
                session: SessionDep, clock: ClockDep) -> EpisodeOut:
    ep = _episode(session, user, episode_id)
    service.update_need(session, episode=ep, need_id=need_id, cmd=body, now=clock.now(),
                        actor=actor_for(user, request))
    return _out(session, request, ep, clock.now())


@router.post("/episodes/{episode_id}/care-referrals", status_code=201, response_model=EpisodeOut,
             summary="Refer the member to care management or social services")
def care_referral(episode_id: int, body: CareReferralIn, request: Request, user: Managing, session: SessionDep,
                  clock: ClockDep, registry: RegistryDep) -> EpisodeOut:
    ep = _episode(session, user, episode_id)
    service.add_care_referral(session, registry=registry, episode=ep, cmd=body, now=clock.now(),
                              actor=actor_for(user, request))
    return _out(session, request, ep, clock.now())


@router.post("/episodes/{episode_id}/quality-flags", status_code=201, response_model=EpisodeOut,
             summary="Flag a quality-of-care concern to the quality review queue")
def quality_flag(episode_id: int, body: QualityFlagIn, request: Request, user: Managing, session: SessionDep,
                 clock: ClockDep, registry: RegistryDep) -> EpisodeOut:
    ep = _episode(session, user, episode_id)
    service.flag_quality(session, registry=registry, episode=ep, cmd=body, now=clock.now(),
                         actor=actor_for(user, request))
    return _out(session, request, ep, clock.now())


@router.post("/episodes/{episode_id}/quality-flags/{flag_id}/resolve", response_model=EpisodeOut,
             summary="Close a quality-of-care flag with the quality review's finding")
def resolve_quality_flag(episode_id: int, flag_id: int, body: QualityResolveIn, request: Request, user: Managing,
                         session: SessionDep, clock: ClockDep) -> EpisodeOut:
    ep = _episode(session, user, episode_id)
    service.resolve_quality_flag(session, episode=ep, flag_id=flag_id, resolution=body.resolution, now=clock.now(),
                                 actor=actor_for(user, request))
    return _out(session, request, ep, clock.now())


# --- retrospective review ---------------------------------------------------------------------------

def _retro_out(session: Session, registry: PackRegistry, req: AuthorizationRequest, row: RetrospectiveReview,
               now: datetime, duplicate: bool = False) -> RetrospectiveOut:
    due = deadlines.compute(registry, req)
    decision = next((d.due_at for d in due if d.obligation.value == "decision"), None)
    original = session.get(AuthorizationRequest, row.original_request_pk) if row.original_request_pk else None
    return RetrospectiveOut(
        authorization_id=req.authorization_id, status=req.status,
        provider_status=provider_status(Status(req.status)).value, duplicate=duplicate, reason=row.reason,
        date_of_service=row.date_of_service, received_on=row.received_on, window_basis=row.window_basis,
        timely_until=row.timely_until, late=row.late, days_late=row.days_late,
        reviewable_until=row.reviewable_until, reviewable=row.reviewable, windows=row.windows,
        completion_due_at=decision, original_authorization_id=original.authorization_id if original else None,
        due_times=deadlines.to_out(due, now))


@router.post("/retrospective-reviews", status_code=201, response_model=RetrospectiveOut,
             summary="Submit a post-service (retrospective) request; late ones are flagged and still reviewed")
def retrospective(body: RetrospectiveIn, request: Request, response: Response, user: Submitting,
                  session: SessionDep, clock: ClockDep, registry: RegistryDep, store: StoreDep,
                  idempotency_key: IdempotencyKey = None) -> RetrospectiveOut:
    original = intake.get_request(session, authorization_id=body.original_authorization_id) \
        if body.original_authorization_id else None
    if original is not None:
        access.ensure_visible(user, original)
    req, row, duplicate = retro_service.submit(
        session, registry=registry, clock=clock, store=store, cmd=body.request, reason=body.reason,
        submitter=submitter_for(user), actor=actor_for(user, request),
        primary_insurer_denial_date=body.primary_insurer_denial_date,
        retro_eligibility_date=body.retro_eligibility_date, original=original, idempotency_key=idempotency_key)
    access.ensure_visible(user, req)
    if duplicate:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/retrospective-reviews/{req.authorization_id}"
    return _retro_out(session, registry, req, row, clock.now(), duplicate)


@router.get("/retrospective-reviews/{authorization_id}", response_model=RetrospectiveOut,
            summary="A retrospective request's window, lateness and completion clock")
def get_retrospective(authorization_id: str, request: Request, user: Reading, session: SessionDep,
                      clock: ClockDep, registry: RegistryDep) -> RetrospectiveOut:
    req = intake.get_request(session, authorization_id=authorization_id)
    access.ensure_visible(user, req)
    row = session.scalars(select(RetrospectiveReview).where(RetrospectiveReview.request_pk == req.id)).one_or_none()
    if row is None:
        raise NotFound(f"{authorization_id} is not a retrospective review")
    audit.record(session, actor=actor_for(user, request), at=clock.now(), action="read",
                 record_type="authorization_request", record_id=authorization_id,
                 member_id=req.member.member_id if req.member else None, purpose="utilization_review")
    return _retro_out(session, registry, req, row, clock.now())


# --- referrals --------------------------------------------------------------------------------------

def _referral_out(session: Session, ref: Referral) -> ReferralOut:
    member = session.get(Member, ref.member_pk)
    req = session.get(AuthorizationRequest, ref.request_pk) if ref.request_pk else None
    return ReferralOut(
        id=ref.id, plan_id=ref.plan_id, member_id=member.member_id if member else "",
        referring_provider_npi=ref.referring_npi, specialist_npi=ref.specialist_npi, specialty=ref.specialty,
        status=ref.status, exemption=ref.exemption, in_network=ref.in_network, first_visit_date=ref.first_visit_date,
        notified_at=ref.notified_at, window_until=ref.window_until,
        notified_before_first_visit=ref.notified_before_first_visit, timely=ref.timely,
        authorization_id=req.authorization_id if req else None, notes=ref.notes)


@router.post("/referrals", status_code=201, response_model=ReferralOut,
             summary="A PCP refers the member to a specialist (out of network: prior authorization)")
def refer(body: ReferralIn, request: Request, user: Submitting, session: SessionDep, clock: ClockDep,
          registry: RegistryDep, store: StoreDep) -> ReferralOut:
    ref = referral_service.refer(session, registry=registry, clock=clock, store=store, cmd=body,
                                 submitter=submitter_for(user), actor=actor_for(user, request))
    return _referral_out(session, ref)


@router.get("/referrals", response_model=list[ReferralOut], summary="A member's referrals")
def search_referrals(request: Request, user: Searching, session: SessionDep, clock: ClockDep,
                     member_id: str, plan_id: str | None = None) -> list[ReferralOut]:
    q = select(Referral).join(Member, Member.id == Referral.member_pk).where(Member.member_id == member_id)
    if plan_id:
        q = q.where(Referral.plan_id == plan_id)
    if user.role == "provider_office":
        q = q.where((Referral.submitter_organization_id == user.organization_id)
                    | (Referral.servicing_organization_id == user.organization_id))
    audit.record(session, actor=actor_for(user, request), at=clock.now(), action="search", record_type="referral",
                 record_id=None, member_id=member_id, purpose="referral_management")
    return [_referral_out(session, r) for r in session.scalars(q.order_by(Referral.id))]


@router.get("/referrals/{referral_id}", response_model=ReferralOut, summary="One referral")
def get_referral(referral_id: int, request: Request, user: Reading, session: SessionDep,
                 clock: ClockDep) -> ReferralOut:
    ref = session.get(Referral, referral_id)
    if ref is None:
        raise NotFound(f"no referral {referral_id}")
    ensure_organization(user, f"referral {referral_id}", ref.submitter_organization_id, ref.servicing_organization_id)
    out = _referral_out(session, ref)
    audit.record(session, actor=actor_for(user, request), at=clock.now(), action="read", record_type="referral",
                 record_id=str(ref.id), member_id=out.member_id, purpose="referral_management")
    return out


# --- out-of-network exceptions and continuity of care -----------------------------------------------

def _request(session: Session, user: User, authorization_id: str) -> AuthorizationRequest:
    req = intake.get_request(session, authorization_id=authorization_id)
    access.ensure_visible(user, req)
    return req


def _loa_out(req: AuthorizationRequest, loa: Any) -> LetterOfAgreementOut:
    return LetterOfAgreementOut(authorization_id=req.authorization_id, provider_npi=loa.provider_npi,
                                provider_name=loa.provider_name, terms=loa.terms, rate_basis=loa.rate_basis,
                                effective_from=loa.effective_from, effective_to=loa.effective_to, status=loa.status,
                                recorded_at=loa.recorded_at, recorded_by=loa.recorded_by)


@router.post("/requests/{authorization_id}/continuity-of-care", response_model=ContinuityOut,
             summary="Evaluate every out-of-network and continuity-of-care condition for the request")
def continuity_of_care(authorization_id: str, body: ContinuityIn, request: Request, user: Excepting,
                       session: SessionDep, clock: ClockDep, registry: RegistryDep) -> ContinuityOut:
    req = _request(session, user, authorization_id)
    ev, row, npi = network_service.evaluate(session, registry=registry, req=req, cmd=body, now=clock.now(),
                                            actor=actor_for(user, request))
    loa = network_service.loa_of(session, req)
    out_of_network = ev.provider_status != "in_network"
    return ContinuityOut(
        authorization_id=req.authorization_id, service_date=ev.service_date, provider_npi=npi,
        provider_status=ev.provider_status, provider_type=ev.provider_type, enrollment_start=ev.enrollment_start,
        eligible=ev.eligible, basis=ev.basis, covered_until=ev.covered_until, open_ended=ev.open_ended,
        conditions=row.conditions,
        letter_of_agreement={"required": out_of_network, "recorded": loa is not None,
                             "status": loa.status if loa else None})


@router.post("/requests/{authorization_id}/letter-of-agreement", status_code=201,
             response_model=LetterOfAgreementOut,
             summary="Record the letter of agreement for an out-of-network authorization (one per authorization)")
def record_loa(authorization_id: str, body: LetterOfAgreementIn, request: Request, user: Excepting,
               session: SessionDep, clock: ClockDep, registry: RegistryDep) -> LetterOfAgreementOut:
    req = _request(session, user, authorization_id)
    loa = network_service.record_loa(session, registry=registry, req=req, cmd=body, now=clock.now(),
                                     actor=actor_for(user, request))
    return _loa_out(req, loa)


@router.get("/requests/{authorization_id}/letter-of-agreement", response_model=LetterOfAgreementOut,
            summary="The letter of agreement recorded for an out-of-network authorization")
def get_loa(authorization_id: str, request: Request, user: Reading, session: SessionDep,
            clock: ClockDep) -> LetterOfAgreementOut:
    req = _request(session, user, authorization_id)
    loa = network_service.loa_of(session, req)
    if loa is None:
        raise NotFound(f"no letter of agreement for {authorization_id}")
    audit.record(session, actor=actor_for(user, request), at=clock.now(), action="read",
                 record_type="authorization_request", record_id=authorization_id,
                 member_id=req.member.member_id if req.member else None, purpose="contracting")
    return _loa_out(req, loa)


@router.get("/network-adequacy/out-of-network", summary="Out-of-network requests by service and area")
def adequacy(request: Request, user: Adequacy, session: SessionDep, clock: ClockDep, registry: RegistryDep,
             plan_id: str, received_from: date, received_to: date) -> dict[str, Any]:
    if plan_id not in registry.plan_ids():
        raise NotFound(f"no plan {plan_id}")
    if received_to < received_from:
        raise DomainError("received_to is before received_from")
    tz = registry.versions(plan_id)[-1].calendar.time_zone
    start = datetime.combine(received_from, time.min, tzinfo=tz)
    end = datetime.combine(received_to + timedelta(days=1), time.min, tzinfo=tz)
    out = network_service.adequacy(session, registry=registry, plan_id=plan_id, start=start, end=end)
    audit.record(session, actor=actor_for(user, request), at=clock.now(), action="search",
                 record_type="network_adequacy", record_id=None, member_id=None, purpose="network_adequacy")
    return out


# --- claims meet authorizations ---------------------------------------------------------------------

@router.post("/claims/authorization-check", response_model=ClaimAnswer,
             summary="Is a billed line covered by an authorization? Consumes its units and says what remains")
def claim_check(body: ClaimLineIn, request: Request, user: Claims, session: SessionDep, clock: ClockDep,
                registry: RegistryDep, store: StoreDep) -> ClaimAnswer:
    return claims_service.check(session, registry=registry, clock=clock, store=store, cmd=body,
                                submitter=submitter_for(user), actor=actor_for(user, request))


@router.get("/requests/{authorization_id}/utilization", response_model=UtilizationOut,
            summary="Authorized units used and remaining, line by line, with the claims that used them")
def utilization(authorization_id: str, request: Request, user: Reading, session: SessionDep,
                clock: ClockDep) -> UtilizationOut:
    req = _request(session, user, authorization_id)
    checks = claims_service.utilization(session, req)
    audit.record(session, actor=actor_for(user, request), at=clock.now(), action="read",
                 record_type="authorization_request", record_id=authorization_id,
                 member_id=req.member.member_id if req.member else None, purpose="payment")
    return UtilizationOut(
        authorization_id=req.authorization_id, status=req.status,
        lines=[UtilizationLine(sequence=ln.sequence, code=ln.code, decision=ln.decision,
                               approved_units=ln.approved_units, used_units=ln.used_units,
                               remaining_units=max((ln.approved_units or 0) - ln.used_units, 0)
                               if ln.approved_units is not None else None,
                               approved_from=ln.approved_from, approved_to=ln.approved_to) for ln in req.lines],
        claims=[{"claim_id": c.claim_id, "line_number": c.line_number, "units": c.units_applied,
                 "from_date": c.from_date, "to_date": c.to_date, "checked_at": c.checked_at} for c in checks])
