"""REST endpoints for clinical review: queues, claims, evaluations, decisions and the rest."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from openum.audit import service as audit
from openum.auth.models import User
from openum.auth.permissions import Permission
from openum.deadlines import engine
from openum.deadlines import service as deadlines
from openum.deadlines.models import Deadline, DeadlineAlert
from openum.directory.models import Member
from openum.errors import DomainError, NotFound
from openum.fhir import subscriptions
from openum.intake import access
from openum.intake import service as intake
from openum.intake.history import record_event
from openum.intake.models import AuthorizationRequest
from openum.intake.schemas import ClinicalFacts, RequestOut
from openum.intake.views import represent
from openum.notification import service as notices
from openum.notification.letters.schema import LetterType
from openum.packs.registry import PackRegistry
from openum.review import service
from openum.review.models import CareInvolvement, CriteriaDisclosure, CriteriaEvaluation, PeerToPeer, WorkItem
from openum.review.schemas import (
    DecisionIn,
    DisclosureIn,
    EvaluationOut,
    ExtensionIn,
    InvolvementIn,
    NoteIn,
    PeerToPeerIn,
    PeerToPeerUpdate,
    PendIn,
    ReassignIn,
    ReferIn,
    UrgencyIn,
    WorkItemOut,
)
from openum.web.deps import ClockDep, RegistryDep, SessionDep, actor_for, require

router = APIRouter(prefix="/api/v1", tags=["review"])
Working = Annotated[User, Depends(require(Permission.REVIEW_WORK))]
Deciding = Annotated[User, Depends(require(Permission.REVIEW_DECIDE))]
Supervising = Annotated[User, Depends(require(Permission.QUEUE_SUPERVISE))]
Disclosing = Annotated[User, Depends(require(Permission.CRITERIA_DISCLOSE))]


def _load(session: Session, user: User, authorization_id: str) -> AuthorizationRequest:
    req = intake.get_request(session, authorization_id=authorization_id)
    access.ensure_visible(user, req)
    return req


def _after_change(session: Session, request: Request, req: AuthorizationRequest, now: datetime) -> RequestOut:
    """Every review action ends here: clocks recomputed, queue item in step, PHI write audited."""
    registry: PackRegistry = request.app.state.registry
    session.flush()
    due = deadlines.refresh(session, registry=registry, req=req)
    service.sync_item(session, pack=deadlines.pack_for(registry, req), req=req, now=now)
    user_actor = request.state.actor
    audit.record(session, actor=user_actor, at=now, action="update", record_type="authorization_request",
                 record_id=req.authorization_id, member_id=req.member.member_id if req.member else None,
                 purpose="utilization_review")
    return represent(session, req, deadlines.to_out(due, now))


def _queues_for(registry: PackRegistry, role: str) -> ColumnElement[bool]:
    """Items in the queues this role works, plan by plan (queue ids repeat across plans)."""
    clauses = []
    for pack in registry.all():
        rf = service.routing_file(pack)
        if rf is None:
            continue
        queues = [q.id for q in rf.queues if role in q.roles]
        lobs = [lob.id for lob in pack.manifest.lines_of_business]
        if queues:
            clauses.append(and_(WorkItem.queue.in_(queues), WorkItem.line_of_business.in_(lobs)))
    return or_(*clauses) if clauses else WorkItem.id < 0


def _member_id(req: AuthorizationRequest) -> str | None:
    return req.member.member_id if req.member is not None else None


def _items_out(session: Session, items: list[WorkItem]) -> list[WorkItemOut]:
    reqs = {r.id: r for r in session.scalars(select(AuthorizationRequest).where(
        AuthorizationRequest.id.in_({i.request_pk for i in items})))}
    users = {u.id: u.username for u in session.scalars(select(User).where(
        User.id.in_({i.assignee_user_id for i in items if i.assignee_user_id})))}
    return [WorkItemOut(
        id=i.id, authorization_id=reqs[i.request_pk].authorization_id, queue=i.queue, category=i.category,
        line_of_business=i.line_of_business, urgency=i.urgency, status=reqs[i.request_pk].status,
        due_at=i.due_at, state=i.state, assignee=users.get(i.assignee_user_id or -1),
        after_hours=i.after_hours, post_stabilization=i.post_stabilization, answer_by=i.answer_by,
        member_id=_member_id(reqs[i.request_pk]),
        codes=[ln.code for ln in reqs[i.request_pk].lines]) for i in items]


@router.get("/queues/mine", response_model=list[WorkItemOut], summary="My queue, earliest due first")
def my_queue(session: SessionDep, registry: RegistryDep, user: Working,
             limit: Annotated[int, Query(ge=1, le=500)] = 50,
             include_waiting: bool = False) -> list[WorkItemOut]:
    states = ["open", "waiting"] if include_waiting else ["open"]
    q = (select(WorkItem).where(WorkItem.state.in_(states),
                                or_(WorkItem.assignee_user_id == user.id,
                                    and_(WorkItem.assignee_user_id.is_(None), _queues_for(registry, user.role))))
         .order_by(WorkItem.due_at.asc().nulls_last(), WorkItem.id).limit(limit))
    return _items_out(session, list(session.scalars(q)))


@router.get("/queues/{queue}", response_model=list[WorkItemOut], summary="One queue, earliest due first")
def one_queue(queue: str, session: SessionDep, user: Working,
              limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[WorkItemOut]:
    q = (select(WorkItem).where(WorkItem.state == "open", WorkItem.queue == queue)
         .order_by(WorkItem.due_at.asc().nulls_last(), WorkItem.id).limit(limit))
    return _items_out(session, list(session.scalars(q)))


@router.post("/work-items/{item_id}/claim", response_model=WorkItemOut, summary="Claim (one owner at a time)")
def claim(item_id: int, session: SessionDep, clock: ClockDep, user: Working) -> WorkItemOut:
    return _items_out(session, [service.claim(session, item_id=item_id, user=user, now=clock.now())])[0]


@router.post("/work-items/{item_id}/release", response_model=WorkItemOut, summary="Put back in the queue")
def release(item_id: int, session: SessionDep, user: Working) -> WorkItemOut:
    return _items_out(session, [service.release(session, item_id=item_id, user=user)])[0]


@router.post("/work-items/{item_id}/reassign", response_model=WorkItemOut, summary="Supervisor reassigns")
def reassign(item_id: int, body: ReassignIn, session: SessionDep, clock: ClockDep,
             _: Supervising) -> WorkItemOut:
    to = session.scalars(select(User).where(User.username == body.to_username)).one_or_none()
    if to is None:
        raise NotFound(f"no user {body.to_username}")
    return _items_out(session, [service.reassign(session, item_id=item_id, to_user=to, now=clock.now())])[0]


@router.get("/supervisor/workload", summary="Open work by reviewer and by queue")
def workload(session: SessionDep, _: Supervising) -> dict[str, Any]:
    by_user = session.execute(select(User.username, func.count()).join(WorkItem, WorkItem.assignee_user_id == User.id)
                              .where(WorkItem.state.in_(("open", "waiting"))).group_by(User.username)).all()
    by_queue = session.execute(select(WorkItem.queue, WorkItem.line_of_business, func.count())
                               .where(WorkItem.state == "open", WorkItem.assignee_user_id.is_(None))
                               .group_by(WorkItem.queue, WorkItem.line_of_business)).all()
    return {"by_reviewer": {u: n for u, n in by_user},
            "unassigned_by_queue": [{"queue": q, "line_of_business": lob, "count": n} for q, lob, n in by_queue]}


@router.get("/supervisor/at-risk", response_model=list[WorkItemOut], summary="Open items past an escalation point")
def at_risk(session: SessionDep, _: Supervising) -> list[WorkItemOut]:
    escalated = select(DeadlineAlert.request_pk).where(DeadlineAlert.kind == "escalation")
    q = (select(WorkItem).where(WorkItem.state.in_(("open", "waiting")), WorkItem.request_pk.in_(escalated))
         .order_by(WorkItem.due_at.asc().nulls_last()))
    return _items_out(session, list(session.scalars(q)))


@router.get("/supervisor/breached", summary="Every deadline that passed unmet")
def breached(session: SessionDep, _: Supervising) -> list[dict[str, Any]]:
    rows = session.execute(select(Deadline, AuthorizationRequest.authorization_id)
                           .join(AuthorizationRequest, AuthorizationRequest.id == Deadline.request_pk)
                           .where(Deadline.breached_at.is_not(None)).order_by(Deadline.breached_at)).all()
    return [{"authorization_id": aid, "obligation": d.obligation, "outcome": d.outcome, "due_at": d.due_at,
             "breached_at": d.breached_at, "met_at": d.met_at, "citation": d.citation} for d, aid in rows]


@router.post("/requests/{authorization_id}/evaluations", response_model=list[EvaluationOut],
             summary="Apply the policy in force to the request, with facts the reviewer adds")
def evaluate(authorization_id: str, body: ClinicalFacts, request: Request, session: SessionDep,
             clock: ClockDep, registry: RegistryDep, user: Working) -> list[CriteriaEvaluation]:
    facts = body.model_dump(mode="json", exclude_none=True)
    req = _load(session, user, authorization_id)
    pack = deadlines.pack_for(registry, req)
    rows = service.evaluate(session, pack=pack, req=req, added=facts, by=user.username, now=clock.now())
    if not rows:
        raise DomainError("no medical policy applies to these services: refer to a board-certified "
                          "specialist or external review", details=[{"loc": ["service_lines"], "msg": "no criteria"}])
    record_event(req, at=clock.now(), type="criteria_evaluated", actor=actor_for(user, request),
                 reason=", ".join(f"{r.policy_id} v{r.policy_version}: {r.outcome}" for r in rows))
    audit.record(session, actor=actor_for(user, request), at=clock.now(), action="update",
                 record_type="criteria_evaluation", record_id=req.authorization_id,
                 member_id=req.member.member_id if req.member else None, purpose="utilization_review")
    return rows


@router.get("/requests/{authorization_id}/evaluations", response_model=list[EvaluationOut],
            summary="Every criteria evaluation recorded on the request")
def evaluations(authorization_id: str, session: SessionDep, user: Working) -> list[CriteriaEvaluation]:
    req = _load(session, user, authorization_id)
    return list(session.scalars(select(CriteriaEvaluation).where(CriteriaEvaluation.request_pk == req.id)
                                .order_by(CriteriaEvaluation.id)))


def _with_actor(request: Request, user: User) -> Any:
    request.state.actor = actor_for(user, request)
    return request.state.actor


@router.post("/requests/{authorization_id}/decision", response_model=RequestOut,
             summary="Decide: approve, partially approve, deny (authority enforced)")
def decide(authorization_id: str, body: DecisionIn, request: Request, session: SessionDep, clock: ClockDep,
           registry: RegistryDep, user: Deciding) -> RequestOut:
    req = _load(session, user, authorization_id)
    now = clock.now()
    service.decide(session, pack=deadlines.pack_for(registry, req), req=req, user=user,
                   actor=_with_actor(request, user), now=now, action=body.action, reason=body.reason,
                   lines=[ln.model_dump(mode="json") for ln in body.lines], rationale=body.rationale,
                   alternatives=body.alternatives, override_reason=body.override_reason,
                   administrative_category=body.administrative_category)
    session.flush()
    # The notices are written in the decision's own transaction: a letter that lacks a required
    # element refuses the decision itself.
    notices.create_for_decision(session, registry=registry, req=req, now=now)
    subscriptions.on_decision(session, req, now, registry=registry)  # PAS subscribers, same transaction
    return _after_change(session, request, req, now)


@router.post("/requests/{authorization_id}/pend", response_model=RequestOut, summary="Ask for information")
def pend(authorization_id: str, body: PendIn, request: Request, session: SessionDep, clock: ClockDep,
         registry: RegistryDep, user: Working) -> RequestOut:
    req = _load(session, user, authorization_id)
    now = clock.now()
    if body.due_by.tzinfo is None or body.due_by <= now:
        raise DomainError("due_by must be a future time with a UTC offset",
                          details=[{"loc": ["body", "due_by"], "msg": "past or naive"}])
    service.pend(session, req=req, user=user, actor=_with_actor(request, user), now=now, what=body.what,
                 why=body.why, due_by=body.due_by)
    session.flush()
    pack = deadlines.pack_for(registry, req)
    notices.create_for_event(session, registry=registry, req=req, now=now,
                             letter_type=LetterType.REQUEST_FOR_INFORMATION, due_at=None,
                             information_needed=(body.what,), information_reason=body.why,
                             response_due_date=body.due_by.astimezone(pack.calendar.time_zone).date())
    return _after_change(session, request, req, now)


@router.post("/requests/{authorization_id}/refer", response_model=RequestOut,
             summary="Refer up (physician, pharmacist) or out (specialist, external review)")
def refer(authorization_id: str, body: ReferIn, request: Request, session: SessionDep, clock: ClockDep,
          registry: RegistryDep, user: Working) -> RequestOut:
    req = _load(session, user, authorization_id)
    now = clock.now()
    service.refer(session, pack=deadlines.pack_for(registry, req), req=req, user=user,
                  actor=_with_actor(request, user), now=now, to=body.to, reason=body.reason)
    return _after_change(session, request, req, now)


@router.post("/requests/{authorization_id}/notes", response_model=RequestOut, summary="Add a review note")
def note(authorization_id: str, body: NoteIn, request: Request, session: SessionDep, clock: ClockDep,
         user: Working) -> RequestOut:
    req = _load(session, user, authorization_id)
    now = clock.now()
    record_event(req, at=now, type="note", actor=_with_actor(request, user), reason=body.text)
    return _after_change(session, request, req, now)


@router.post("/requests/{authorization_id}/extensions", response_model=RequestOut,
             summary="Take an extension of the decision clock (refused past the deadline or the count)")
def extend(authorization_id: str, body: ExtensionIn, request: Request, session: SessionDep, clock: ClockDep,
           registry: RegistryDep, user: Working) -> RequestOut:
    from openum.deadlines.events import ExtensionTaken
    from openum.deadlines.schema import Party

    req = _load(session, user, authorization_id)
    now = clock.now()
    at = body.notice_sent_at or now
    # The engine refuses (ExtensionRefused, naming the rule) before anything is recorded.
    engine.due_times(pack=deadlines.pack_for(registry, req), line_of_business=req.line_of_business, kind=req.kind,
                     urgency=deadlines.initial_urgency(req), received_at=req.received_at,
                     events=[*deadlines.clock_events(req),
                             ExtensionTaken(at=at, reason=body.reason, requested_by=Party(body.requested_by))])
    original = next((d.due_at for d in deadlines.compute(registry, req) if d.obligation.value == "decision"), None)
    record_event(req, at=at, type="extension_taken", actor=_with_actor(request, user), reason=body.reason,
                 data={"requested_by": body.requested_by})
    session.flush()
    pack = deadlines.pack_for(registry, req)
    extended = next((d.due_at for d in deadlines.compute(registry, req) if d.obligation.value == "decision"), None)
    # The extension notice must reach the member before the original deadline (42 CFR 438.210(d)(1)(ii)).
    notices.create_for_event(session, registry=registry, req=req, now=now,
                             letter_type=LetterType.EXTENSION_NOTICE, due_at=original, specific_reason=body.reason,
                             decision_due_date=pack.calendar.local(extended).date() if extended else None)
    return _after_change(session, request, req, now)


@router.post("/requests/{authorization_id}/urgency", response_model=RequestOut,
             summary="Change urgency (a refused expedite becomes standard, with notice)")
def change_urgency(authorization_id: str, body: UrgencyIn, request: Request, session: SessionDep,
                   clock: ClockDep, registry: RegistryDep, user: Working) -> RequestOut:
    req = _load(session, user, authorization_id)
    now = clock.now()
    if body.urgency == req.urgency:
        raise DomainError(f"the request is already {req.urgency}")
    record_event(req, at=now, type="urgency_changed", actor=_with_actor(request, user), reason=body.reason,
                 data={"from": req.urgency, "urgency": body.urgency,
                       "notice_required": "oral then written" if body.urgency == "non_urgent" else None})
    req.urgency = body.urgency
    if body.urgency == "non_urgent":
        # A refused expedite: decided on the standard clock, with written notice of why (42 CFR 438.410(c)).
        session.flush()
        pack = deadlines.pack_for(registry, req)
        due = next((d.due_at for d in deadlines.compute(registry, req) if d.obligation.value == "decision"), None)
        notices.create_for_event(session, registry=registry, req=req, now=now,
                                 letter_type=LetterType.URGENCY_DOWNGRADE_NOTICE, due_at=None,
                                 specific_reason=body.reason,
                                 decision_due_date=due.astimezone(pack.calendar.time_zone).date() if due else None)
    return _after_change(session, request, req, now)


@router.get("/policies/overdue", summary="Medical policies in force that are past their annual review")
def overdue(registry: RegistryDep, clock: ClockDep, _: Supervising) -> list[dict[str, Any]]:
    from openum.review.criteria.governance import overdue_policies

    out = []
    for pack in registry.all():
        today = pack.calendar.local(clock.now()).date()
        for p in overdue_policies(service.policies(pack), today):
            out.append({"plan_id": pack.plan_id, "pack_version": pack.version, "policy_id": p.id,
                        "version": p.version, "title": p.title, "next_review_date": p.next_review_date,
                        "days_overdue": (today - p.next_review_date).days})
    return out


@router.post("/care-involvements", status_code=201, summary="Record a reviewer's involvement in a member's care")
def involvement(body: InvolvementIn, session: SessionDep, clock: ClockDep, _: Supervising) -> dict[str, Any]:
    user = session.scalars(select(User).where(User.username == body.username)).one_or_none()
    member = session.scalars(select(Member).where(Member.member_id == body.member_id,
                                                  Member.plan_id == body.plan_id)).one_or_none()
    if user is None or member is None:
        raise NotFound("unknown user or member")
    session.add(CareInvolvement(user_id=user.id, member_pk=member.id, recorded_at=clock.now(), reason=body.reason))
    return {"username": user.username, "member_id": member.member_id, "recorded": True}


@router.post("/requests/{authorization_id}/peer-to-peer", status_code=201, summary="Offer a peer-to-peer")
def offer_p2p(authorization_id: str, body: PeerToPeerIn, request: Request, session: SessionDep,
              clock: ClockDep, user: Working) -> dict[str, Any]:
    req = _load(session, user, authorization_id)
    now = clock.now()
    p2p = PeerToPeer(request_pk=req.id, status="scheduled" if body.scheduled_for else "offered", offered_at=now,
                     timing=body.timing, physician_user_id=user.id, practitioner_name=body.practitioner_name,
                     practitioner_phone=body.practitioner_phone, scheduled_for=body.scheduled_for)
    session.add(p2p)
    record_event(req, at=now, type="peer_to_peer_offered", actor=actor_for(user, request),
                 reason=f"{body.timing}: {body.practitioner_name or 'treating practitioner'}")
    session.flush()
    return {"id": p2p.id, "status": p2p.status}


@router.patch("/peer-to-peer/{p2p_id}", summary="Schedule or record a peer-to-peer")
def update_p2p(p2p_id: int, body: PeerToPeerUpdate, request: Request, session: SessionDep, clock: ClockDep,
               user: Working) -> dict[str, Any]:
    p2p = session.get(PeerToPeer, p2p_id)
    if p2p is None:
        raise NotFound(f"no peer-to-peer {p2p_id}")
    req = session.get(AuthorizationRequest, p2p.request_pk)
    assert req is not None
    access.ensure_visible(user, req)
    p2p.status = body.status
    p2p.scheduled_for = body.scheduled_for or p2p.scheduled_for
    if body.status == "completed":
        p2p.held_at, p2p.notes, p2p.outcome = clock.now(), body.notes, body.outcome
    record_event(req, at=clock.now(), type=f"peer_to_peer_{body.status}", actor=actor_for(user, request),
                 reason=body.notes)
    return {"id": p2p.id, "status": p2p.status, "held_at": p2p.held_at, "outcome": p2p.outcome}


@router.post("/requests/{authorization_id}/criteria-disclosures", status_code=201,
             summary="Give a practitioner or member the criteria behind a decision, with this case's results")
def disclose(authorization_id: str, body: DisclosureIn, request: Request, session: SessionDep, clock: ClockDep,
             registry: RegistryDep, user: Disclosing) -> dict[str, Any]:
    req = _load(session, user, authorization_id)
    now = clock.now()
    pack = deadlines.pack_for(registry, req)
    evals = service.latest_evaluations(session, req)
    pols = {p.id: p for p in service.policies(pack)}
    content = {"authorization_id": req.authorization_id, "policies": [{
        "policy_id": e.policy_id, "version": e.policy_version, "title": pols[e.policy_id].title
        if e.policy_id in pols else None, "source": pols[e.policy_id].source if e.policy_id in pols else None,
        "outcome": e.outcome,
        "criteria": [{"id": r["criterion_id"], "text": r["text"], "result": r["result"],
                      "evidence": r["evidence"]} for r in e.results if r.get("text")]} for e in evals.values()]}
    row = CriteriaDisclosure(request_pk=req.id, requested_at=now, requester_kind=body.requester_kind,
                             requester_name=body.requester_name, channel=body.channel, answered_at=now,
                             answered_by=user.username, content=content)
    session.add(row)
    record_event(req, at=now, type="criteria_disclosed", actor=actor_for(user, request),
                 reason=f"to {body.requester_kind} {body.requester_name} by {body.channel}")
    audit.record(session, actor=actor_for(user, request), at=now, action="export", record_type="criteria_disclosure",
                 record_id=req.authorization_id, member_id=req.member.member_id if req.member else None,
                 purpose="criteria_disclosure")
    return {"answered_at": now, "channel": body.channel, **content}


