"""Everything the case view shows about one request, read through the API's functions and tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.auth.models import User
from openum.auth.permissions import Permission, allows
from openum.deadlines import service as deadlines
from openum.deadlines.models import Deadline
from openum.directory import service as directory
from openum.directory.models import EligibilitySpan, Member, Provider
from openum.intake import service as intake
from openum.intake.models import AuthorizationRequest
from openum.intake.schemas import DueTimeOut, RequestOut
from openum.notification.models import Notice
from openum.packs.loader import PlanPack
from openum.packs.schema import ReviewerRole
from openum.review import service as review
from openum.review.criteria.schema import MedicalPolicy
from openum.review.criteria.selection import policy_for
from openum.review.facts import merged
from openum.review.models import CriteriaEvaluation, Decision, PeerToPeer, WorkItem
from openum.review.service import MEMBER_ISSUED, PROVIDER_ONLY
from openum.ui import api, forms


@dataclass
class Clock:
    """A due time with where its risk zone starts (the pack's escalation point)."""

    due: DueTimeOut
    risk_at: datetime | None


@dataclass
class CaseFile:
    out: RequestOut
    req: AuthorizationRequest
    pack: PlanPack
    tz: str
    member: Member | None
    eligibility: list[EligibilitySpan]
    providers: dict[str, Provider]
    prior: list[Any]
    evaluations: list[tuple[CriteriaEvaluation, MedicalPolicy | None]]
    fact_fields: list[forms.FactField]
    facts: dict[str, Any]
    item: WorkItem | None
    item_owner: str | None
    peer_to_peer: list[PeerToPeer]
    decisions: list[Decision]
    queues: list[tuple[str, str]]
    authority: ReviewerRole | None
    clocks: list[Clock] = field(default_factory=list)
    can: dict[str, bool] = field(default_factory=dict)
    admin_categories: list[str] = field(default_factory=list)
    reviewers: list[User] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def notices(session: Session, req: AuthorizationRequest, user: User) -> list[Notice]:
    """The request's notices; a provider office sees only those addressed to providers."""
    q = select(Notice).where(Notice.request_pk == req.id).order_by(Notice.id)
    if user.role == "provider_office":
        q = q.where(Notice.recipient == "provider")
    return list(session.scalars(q))


def reviewers(session: Session) -> list[User]:
    """Active users whose role works review queues (reassignment targets)."""
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
    return [u for u in users if allows(u.role, Permission.REVIEW_WORK)]


def risk_point(pack: PlanPack, started: datetime | None, due: datetime | None) -> datetime | None:
    """When a running clock enters its risk zone: the pack's next-to-last escalation fraction."""
    if started is None or due is None or due <= started:
        return None
    fractions = pack.manifest.timeliness.escalation_fractions
    fraction = fractions[-2] if len(fractions) > 1 else fractions[0]
    return started + (due - started) * fraction


def _policies(pack: PlanPack, req: AuthorizationRequest, evals: list[CriteriaEvaluation]) -> list[MedicalPolicy]:
    every = review.policies(pack)
    chosen = [p for e in evals for p in every if p.id == e.policy_id and p.version == e.policy_version]
    if chosen:
        return chosen
    day = min((ln.from_date for ln in req.lines if ln.from_date), default=None)
    if day is None:
        return []
    dx = [d.code for d in req.diagnoses]
    found = [policy_for(every, ln.code, day, dx) for ln in req.lines]
    return [p for p in found if p is not None]


def _permissions(user: User, pack: PlanPack) -> dict[str, bool]:
    role = pack.role(user.role)
    work = allows(user.role, Permission.REVIEW_WORK)
    decide = allows(user.role, Permission.REVIEW_DECIDE) and role is not None
    return {
        "work": work, "decide": decide, "supervise": allows(user.role, Permission.QUEUE_SUPERVISE),
        "document": allows(user.role, Permission.REQUEST_ADD_DOCUMENT),
        "disclose": allows(user.role, Permission.CRITERIA_DISCLOSE),
        "correct": allows(user.role, Permission.REQUEST_CORRECT),
        "approve": decide and bool(role and role.may_approve),
        "modify": decide and bool(role and role.may_modify),
        "deny_mn": decide and bool(role and role.may_deny_medical_necessity),
        "deny_admin": decide and bool(role and role.may_deny_administrative),
    }


def load(request: Request, session: Session, user: User, aid: str, *, full: bool = True) -> CaseFile:
    """Read the request as the API does (visibility checked, read audited) and gather its context."""
    out = api.get_request(request, session, user, aid)
    req = intake.get_request(session, authorization_id=aid)
    registry = request.app.state.registry
    pack = deadlines.pack_for(registry, req)
    member = req.member
    npis = [n for n in (req.requesting_npi, req.servicing_npi, req.facility_npi) if n]
    evals = list(review.latest_evaluations(session, req).values())
    policies = _policies(pack, req, evals)
    by_key = {(p.id, p.version): p for p in policies}
    facts = merged(req.clinical_facts, evals[-1].facts if evals else None)
    item = review.work_item(session, req)
    owner = session.get(User, item.assignee_user_id) if item and item.assignee_user_id else None
    rf = review.routing_file(pack)
    started = session.scalar(select(Deadline.clock_started_at).where(Deadline.request_pk == req.id).limit(1))
    prior = []
    if full and member is not None and allows(user.role, Permission.REQUEST_SEARCH):
        prior = [h for h in api.search(request, session, user, member_id=member.member_id, limit=25).items
                 if h.authorization_id != aid]
    return CaseFile(
        out=out, req=req, pack=pack, tz=str(pack.calendar.time_zone), member=member,
        eligibility=sorted(member.eligibility, key=lambda s: s.start) if member else [],
        providers=directory.find_providers(session, plan_id=req.plan_id, npis=npis),
        prior=prior, evaluations=[(e, by_key.get((e.policy_id, e.policy_version))) for e in evals],
        fact_fields=forms.fact_fields(policies), facts=facts, item=item,
        item_owner=owner.username if owner else None,
        peer_to_peer=list(session.scalars(select(PeerToPeer).where(PeerToPeer.request_pk == req.id)
                                          .order_by(PeerToPeer.id))),
        decisions=list(session.scalars(select(Decision).where(Decision.request_pk == req.id)
                                       .order_by(Decision.id))),
        queues=[(q.id, q.name) for q in (rf.queues if rf else [])],
        authority=pack.role(user.role),
        clocks=[Clock(d, risk_point(pack, started, d.due_at) if d.status not in ("met", "met_late") else None)
                for d in out.due_times],
        can=_permissions(user, pack), admin_categories=sorted(PROVIDER_ONLY | MEMBER_ISSUED),
        reviewers=reviewers(session) if allows(user.role, Permission.QUEUE_SUPERVISE) else [],
        notices=notices(session, req, user),
    )
