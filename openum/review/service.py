"""Clinical review use cases: queue, claim, evaluate, decide, pend, refer; automation approves only."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from openum.audit.service import Actor
from openum.auth.models import User
from openum.errors import Conflict, DomainError, NotFound
from openum.intake.history import change_status, record_event
from openum.intake.models import AuthorizationRequest
from openum.intake.status import DECIDED_STATUSES, OPEN_STATUSES, Status
from openum.packs.loader import PlanPack
from openum.review import authority, routing
from openum.review.authority import Action
from openum.review.criteria.automation import AutoAction, automatic_decision
from openum.review.criteria.engine import evaluate as run_policy
from openum.review.criteria.schema import MedicalPolicy
from openum.review.criteria.selection import policy_for
from openum.review.facts import case_facts, merged
from openum.review.models import CareInvolvement, CriteriaEvaluation, Decision, WorkItem
from openum.review.routing_schema import RoutingFile
from openum.vocabulary import Urgency

AUTOMATION = Actor(None, "automation", "automation", None, None, "system")
PROVIDER_ONLY = {"no_prior_authorization", "late_notification", "no_clinical_documentation"}
MEMBER_ISSUED = {"service_excluded", "benefit_exhausted", "member_ineligible"}


class NotReviewable(DomainError):
    code = "not_reviewable"
    http_status = 409


def routing_file(pack: PlanPack) -> RoutingFile | None:
    files = pack.sections.get("routing", {})
    return next(iter(files.values()), None)


def policies(pack: PlanPack) -> list[MedicalPolicy]:
    return [p for f in pack.sections.get("policies", {}).values() for p in f.policies]


def category_of(pack: PlanPack, req: AuthorizationRequest) -> str | None:
    """The request's review category: its first listed service's category."""
    for ln in req.lines:
        svc = pack.service(ln.code)
        if svc is not None:
            return svc.category
    return None


def _service_day(req: AuthorizationRequest, now: datetime, pack: PlanPack) -> date:
    days = [ln.from_date for ln in req.lines if ln.from_date]
    return min(days) if days else pack.calendar.local(now).date()


def _decision_due(session: Session, req: AuthorizationRequest) -> datetime | None:
    from openum.deadlines.models import Deadline

    return session.scalar(select(Deadline.due_at).where(
        Deadline.request_pk == req.id, Deadline.obligation == "decision", Deadline.state.in_(("open", "breached"))))


def work_item(session: Session, req: AuthorizationRequest) -> WorkItem | None:
    """The request's open review item; quality-of-care flags are separate work on the same request."""
    return session.scalars(select(WorkItem).where(WorkItem.request_pk == req.id, WorkItem.state != "done",
                                                  WorkItem.category.is_distinct_from("quality_of_care"))
                           .order_by(WorkItem.id.desc()).limit(1)).one_or_none()


def sync_item(session: Session, *, pack: PlanPack, req: AuthorizationRequest, now: datetime,
              queue: str | None = None, post_stabilization: bool = False) -> WorkItem | None:
    """Keep the request's work item in step with its status: queued, waiting, or done."""
    item = work_item(session, req)
    status = Status(req.status)
    if status not in OPEN_STATUSES or status is Status.RECEIVED:
        if item is not None:
            item.state, item.assignee_user_id = "done", item.assignee_user_id
        return item
    if item is None:
        rf = routing_file(pack)
        cats = {c for ln in req.lines if (svc := pack.service(ln.code)) and (c := svc.category)}
        if queue is None and rf is not None:
            route = routing.choose(rf, pack.calendar, categories=cats, lob=req.line_of_business,
                                   urgency=Urgency(req.urgency), setting=req.setting, at=now,
                                   post_stabilization=post_stabilization)
            queue, after_hours, reason = route.queue, route.after_hours, route.reason
        else:
            queue, after_hours, reason = queue or "nurse", False, "assigned"
        minutes = rf.post_stabilization_minutes if rf else 30
        item = WorkItem(request_pk=req.id, queue=queue, category=category_of(pack, req),
                        line_of_business=req.line_of_business, urgency=req.urgency, state="open",
                        after_hours=after_hours, post_stabilization=post_stabilization,
                        answer_by=now + timedelta(minutes=minutes) if post_stabilization else None,
                        created_at=now, reason=reason)
        session.add(item)
    item.state = "waiting" if status is Status.PENDED_FOR_INFORMATION else "open"
    item.due_at = _decision_due(session, req)
    session.flush()
    return item


def _lines_with_policy(pack: PlanPack, req: AuthorizationRequest, day: date) -> list[tuple[Any, MedicalPolicy | None]]:
    pols = policies(pack)
    diagnoses = [d.code for d in req.diagnoses]
    from openum.vocabulary import RequestKind

    return [(ln, policy_for(pols, ln.code, day, diagnoses, RequestKind(req.kind))) for ln in req.lines]


def evaluate(session: Session, *, pack: PlanPack, req: AuthorizationRequest, added: dict[str, Any] | None,
             by: str, now: datetime, automatic: bool = False) -> list[CriteriaEvaluation]:
    """Apply the policy in force to every line; record each criterion's result and evidence."""
    day = _service_day(req, now, pack)
    facts = merged(req.clinical_facts, added)
    out = []
    for line, policy in _lines_with_policy(pack, req, day):
        if policy is None:
            continue
        ev = run_policy(policy, case_facts(req, line, facts, day))
        row = CriteriaEvaluation(
            request_pk=req.id, line_sequence=line.sequence, policy_id=ev.policy_id,
            policy_version=ev.policy_version, outcome=ev.outcome.value,
            results=[{**asdict(r), "result": r.result.value,
                      "evidence": [asdict(e) for e in r.evidence]} for r in ev.results],
            missing_facts=[asdict(m) for m in ev.missing_facts], facts=facts, evaluated_at=now,
            evaluated_by=by, automatic=automatic)
        session.add(row)
        out.append(row)
    session.flush()
    return out


def latest_evaluations(session: Session, req: AuthorizationRequest) -> dict[int, CriteriaEvaluation]:
    rows = session.scalars(select(CriteriaEvaluation).where(CriteriaEvaluation.request_pk == req.id)
                           .order_by(CriteriaEvaluation.id)).all()
    return {r.line_sequence: r for r in rows}


def criteria_outcome(session: Session, req: AuthorizationRequest) -> str | None:
    """criteria_met only when every line has a met evaluation; else the weakest line's outcome."""
    evals = latest_evaluations(session, req)
    if not evals or len(evals) < len(req.lines):
        return None if not evals else "criteria_not_evaluated_for_every_line"
    outcomes = {e.outcome for e in evals.values()}
    for o in ("criteria_not_met", "insufficient_information"):
        if o in outcomes:
            return o
    return "criteria_met"


def try_automation(session: Session, *, pack: PlanPack, req: AuthorizationRequest, now: datetime) -> bool:
    """Approve automatically when every line's policy is met and allows it; never anything else."""
    day = _service_day(req, now, pack)
    lines = _lines_with_policy(pack, req, day)
    if not lines or any(p is None for _, p in lines):
        return False
    evals = evaluate(session, pack=pack, req=req, added=None, by="automation", now=now, automatic=True)
    decisions = []
    for (_, policy), row in zip(lines, evals, strict=True):
        assert policy is not None
        ev = run_policy(policy, case_facts(req, next(ln for ln in req.lines if ln.sequence == row.line_sequence),
                                           merged(req.clinical_facts, None), day))
        decisions.append(automatic_decision(ev, policy=policy, line_of_business=req.line_of_business))
    if not all(d.action is AutoAction.APPROVE for d in decisions):
        return False
    for ln in req.lines:
        ln.decision, ln.approved_units = "approved", ln.units
        ln.approved_from, ln.approved_to = ln.from_date, ln.to_date or ln.from_date
    reason = "criteria met: " + "; ".join(f"{e.policy_id} v{e.policy_version}" for e in evals)
    change_status(req, Status.APPROVED, at=now, actor=AUTOMATION, reason=f"approved automatically, {reason}",
                  data={"automatic": True, "evaluations": [e.id for e in evals]})
    req.determination = {"basis": "criteria_met", "automatic": True, "decided_by": "automation",
                         "policies": [{"id": e.policy_id, "version": e.policy_version} for e in evals]}
    session.add(Decision(request_pk=req.id, decided_at=now, decided_by="automation", role="automation",
                         action=Action.APPROVE.value, basis="criteria_met", policy_id=evals[0].policy_id,
                         policy_version=evals[0].policy_version, reason=reason, automatic=True,
                         lines=[{"sequence": ln.sequence, "decision": "approved", "units": ln.units}
                                for ln in req.lines]))
    return True


def _reviewer(pack: PlanPack, user: User) -> authority.Reviewer:
    return authority.Reviewer(user.username, pack.role(user.role), tuple(user.credentials or ()))


def _involved(session: Session, user: User, req: AuthorizationRequest) -> bool:
    return req.member_pk is not None and session.scalar(select(CareInvolvement.id).where(
        CareInvolvement.user_id == user.id, CareInvolvement.member_pk == req.member_pk)) is not None


def _own_item(session: Session, req: AuthorizationRequest, user: User, now: datetime) -> WorkItem | None:
    item = work_item(session, req)
    if item is not None and item.assignee_user_id not in (None, user.id):
        owner = session.get(User, item.assignee_user_id)
        raise Conflict(f"this request is claimed by {owner.username if owner else 'another reviewer'}; "
                       "ask a supervisor to reassign it")
    return item


def claim(session: Session, *, item_id: int, user: User, now: datetime) -> WorkItem:
    """Take a work item; when two reviewers claim at once exactly one wins."""
    result = session.execute(update(WorkItem).where(
        WorkItem.id == item_id, WorkItem.assignee_user_id.is_(None), WorkItem.state != "done",
    ).values(assignee_user_id=user.id, claimed_at=now).execution_options(synchronize_session=False))
    won = cast(CursorResult[Any], result).rowcount
    item = session.get(WorkItem, item_id, populate_existing=True)
    if item is None:
        raise NotFound(f"no work item {item_id}")
    if won != 1 and item.assignee_user_id != user.id:
        raise Conflict(f"work item {item_id} is already claimed")
    return item


def release(session: Session, *, item_id: int, user: User) -> WorkItem:
    item = session.get(WorkItem, item_id)
    if item is None:
        raise NotFound(f"no work item {item_id}")
    if item.assignee_user_id != user.id:
        raise Conflict("only the reviewer who claimed an item can release it")
    item.assignee_user_id, item.claimed_at = None, None
    return item


def reassign(session: Session, *, item_id: int, to_user: User, now: datetime) -> WorkItem:
    item = session.get(WorkItem, item_id)
    if item is None:
        raise NotFound(f"no work item {item_id}")
    item.assignee_user_id, item.claimed_at = to_user.id, now
    return item


def decide(
    session: Session, *, pack: PlanPack, req: AuthorizationRequest, user: User, actor: Actor, now: datetime,
    action: Action, reason: str, lines: list[dict[str, Any]] | None = None, rationale: str | None = None,
    alternatives: str | None = None, override_reason: str | None = None,
    administrative_category: str | None = None,
) -> Decision:
    """Record a reviewer's decision after checking their authority; update lines and status."""
    if Status(req.status) not in OPEN_STATUSES:
        raise NotReviewable(f"request {req.authorization_id} is {req.status}; it cannot be decided")
    item = _own_item(session, req, user, now)
    outcome = criteria_outcome(session, req)
    authority.check(action, reviewer=_reviewer(pack, user), category=category_of(pack, req),
                    today=pack.calendar.local(now).date(), criteria_outcome=outcome,
                    override_reason=override_reason, involved_in_care=_involved(session, user, req))
    by_seq = {int(ln["sequence"]): ln for ln in (lines or [])}
    recorded = []
    for ln in req.lines:
        given = by_seq.get(ln.sequence, {})
        if action is Action.APPROVE:
            ln.decision, ln.approved_units = "approved", int(given.get("approved_units", ln.units))
        elif action is Action.PARTIAL_APPROVE:
            units = int(given.get("approved_units", ln.units))
            ln.decision = "approved" if units >= ln.units else ("denied" if units == 0 else "modified")
            ln.approved_units = units
        else:
            ln.decision, ln.approved_units = "denied", 0
        if ln.approved_units:
            ln.approved_from = _date(given.get("approved_from")) or ln.from_date
            ln.approved_to = _date(given.get("approved_to")) or ln.to_date or ln.from_date
        recorded.append({"sequence": ln.sequence, "code": ln.code, "requested_units": ln.units,
                         "decision": ln.decision, "approved_units": ln.approved_units})
    if action is Action.PARTIAL_APPROVE and all(r["decision"] == "approved" for r in recorded):
        raise DomainError("a partial approval must give fewer units than requested on at least one line",
                          details=[{"loc": ["body", "lines"], "msg": "nothing was reduced"}])
    target = {Action.APPROVE: Status.APPROVED, Action.PARTIAL_APPROVE: Status.PARTIALLY_APPROVED}.get(
        action, Status.DENIED)
    basis = {Action.APPROVE: "criteria_met" if outcome == "criteria_met" else "override",
             Action.PARTIAL_APPROVE: "medical_necessity", Action.DENY_MEDICAL_NECESSITY: "medical_necessity",
             Action.DENY_ADMINISTRATIVE: "administrative"}[action]
    member_issued = None
    if action is Action.DENY_ADMINISTRATIVE:
        if administrative_category not in PROVIDER_ONLY | MEMBER_ISSUED:
            raise DomainError("an administrative denial needs its category",
                              details=[{"loc": ["body", "administrative_category"],
                                        "msg": f"one of {sorted(PROVIDER_ONLY | MEMBER_ISSUED)}"}])
        member_issued = administrative_category in MEMBER_ISSUED
    evals = latest_evaluations(session, req)
    first = next(iter(evals.values()), None)
    role = pack.role(user.role)
    credential = next((str(c.get("type")) for c in (user.credentials or [])
                       if role and str(c.get("type")) in role.credentials), None)
    decision = Decision(
        request_pk=req.id, decided_at=now, decided_by_user_id=user.id, decided_by=user.full_name or user.username,
        role=user.role, credential=credential, action=action.value, basis=basis,
        administrative_category=administrative_category, member_issued=member_issued,
        policy_id=first.policy_id if first else None, policy_version=first.policy_version if first else None,
        reason=reason, rationale=rationale, alternatives=alternatives, override_reason=override_reason,
        automatic=False, lines=recorded)
    session.add(decision)
    change_status(req, target, at=now, actor=actor, reason=reason,
                  data={"action": action.value, "basis": basis, "credential": credential,
                        "policy": f"{decision.policy_id} v{decision.policy_version}" if first else None})
    req.determination = {"basis": basis, "category": administrative_category, "member_issued": member_issued,
                         "decided_by": decision.decided_by, "credential": credential, "automatic": False,
                         "reason": reason, "rationale": rationale, "alternatives": alternatives,
                         "override_reason": override_reason,
                         "policies": [{"id": e.policy_id, "version": e.policy_version, "outcome": e.outcome}
                                      for e in evals.values()]}
    if item is not None:
        item.state = "done"
    session.flush()
    return decision


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def pend(session: Session, *, req: AuthorizationRequest, user: User, actor: Actor, now: datetime,
         what: str, why: str, due_by: datetime) -> None:
    """Ask the provider for information; the clock keeps running and the item waits until due_by."""
    if Status(req.status) not in OPEN_STATUSES:
        raise NotReviewable(f"request {req.authorization_id} is {req.status}")
    _own_item(session, req, user, now)
    req.missing_items = [*req.missing_items, {"field": "information_request", "code": "requested",
                                              "message": f"{what} (why: {why}; send by {due_by.isoformat()})"}]
    change_status(req, Status.PENDED_FOR_INFORMATION, at=now, actor=actor, reason=f"information requested: {what}",
                  data={"what": what, "why": why, "due_by": due_by.isoformat()})
    item = work_item(session, req)
    if item is not None:
        item.state, item.waiting_until = "waiting", due_by


def refer(session: Session, *, pack: PlanPack, req: AuthorizationRequest, user: User, actor: Actor,
          now: datetime, to: str, reason: str) -> WorkItem:
    """Send the request up (nurse to physician, technician to pharmacist) or out for specialist review."""
    if Status(req.status) not in OPEN_STATUSES:
        raise NotReviewable(f"request {req.authorization_id} is {req.status}")
    item = _own_item(session, req, user, now)
    rf = routing_file(pack)
    queues = {q.id: q for q in (rf.queues if rf else [])}
    target = to
    if to == "next":
        current = queues.get(item.queue) if item else None
        if current is None or current.escalates_to is None:
            raise DomainError("this queue has no next level; name the queue to refer to")
        target = current.escalates_to
    if target not in queues:
        raise DomainError(f"unknown queue {target!r}",
                          details=[{"loc": ["body", "to"], "msg": f"one of {sorted(queues)}"}])
    physician = any(r in ("physician_reviewer", "bh_clinical_director", "external_reviewer")
                    for r in queues[target].roles)
    if physician and req.status != Status.IN_PHYSICIAN_REVIEW.value:
        change_status(req, Status.IN_PHYSICIAN_REVIEW, at=now, actor=actor, reason=f"referred: {reason}",
                      data={"queue": target})
    else:
        record_event(req, at=now, type="referred", actor=actor, reason=reason, data={"queue": target})
    if item is not None:
        item.state = "done"
    session.flush()
    new = WorkItem(request_pk=req.id, queue=target, category=category_of(pack, req),
                   line_of_business=req.line_of_business, urgency=req.urgency, state="open",
                   due_at=_decision_due(session, req), created_at=now, reason=reason)
    session.add(new)
    session.flush()
    return new


def expire_pends(session: Session, *, now: datetime) -> int:
    """Items whose information request went unanswered return to the queue, to decide on what is in hand."""
    n = 0
    for item in session.scalars(select(WorkItem).where(WorkItem.state == "waiting", WorkItem.waiting_until <= now)
                                .with_for_update(skip_locked=True)):
        req = session.get(AuthorizationRequest, item.request_pk)
        if req is not None and req.status == Status.PENDED_FOR_INFORMATION.value:
            change_status(req, Status.IN_CLINICAL_REVIEW, at=now, actor=AUTOMATION,
                          reason="no answer by the date asked: decide on the information at hand")
        item.state, item.waiting_until = "open", None
        n += 1
    return n


DECIDED = DECIDED_STATUSES
