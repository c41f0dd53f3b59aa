"""Reconsideration and appeal use cases: file, expedite, extend, decide, effectuate, go outside.

Every change to the original request goes through the allowed-transitions table
(openum.intake.history.change_status) and, for an overturn, records a Decision row like any other
decision; the appeal keeps its own append-only history, deadlines and notices.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.appeals import clocks, filing, independence, letters
from openum.appeals.clocks import AppealTimeline, CaseDue
from openum.appeals.models import Appeal, AppealDeadline, AppealEvent, AppealEvidence, ExternalReview, ReviewerProfile
from openum.appeals.schema import AppealLine, AppealsFile, ExternalKind, ExternalLevel
from openum.audit.service import Actor
from openum.auth.models import User
from openum.auth.permissions import Role
from openum.deadlines import service as deadlines
from openum.deadlines.events import ExtensionTaken
from openum.deadlines.schema import Party
from openum.errors import DomainError, NotFound
from openum.intake import filetypes
from openum.intake.history import change_status, record_event
from openum.intake.models import AuthorizationRequest
from openum.intake.status import Status
from openum.intake.storage import AttachmentStore
from openum.notification.letters.schema import LetterType
from openum.notification.models import Notice
from openum.packs.loader import PlanPack
from openum.packs.registry import PackRegistry
from openum.review import authority
from openum.review import service as review
from openum.review.authority import Action, AuthorityExceeded
from openum.review.models import CareInvolvement, Decision
from openum.vocabulary import RequestKind, Urgency

ADVERSE_ACTIONS = (Action.DENY_MEDICAL_NECESSITY.value, Action.DENY_ADMINISTRATIVE.value,
                   Action.PARTIAL_APPROVE.value)
ADVERSE_LETTERS = (LetterType.MEDICAL_NECESSITY_DENIAL.value, LetterType.PARTIAL_APPROVAL.value,
                   LetterType.ADMINISTRATIVE_DENIAL_MEMBER.value, LetterType.ADMINISTRATIVE_DENIAL_PROVIDER.value)
APPEALABLE = (Status.DENIED.value, Status.PARTIALLY_APPROVED.value)
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024


class AppealRefused(DomainError):
    """A reconsideration or appeal rule refuses the operation; `rule` names it."""

    code = "appeal_refused"
    http_status = 409

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{message} [rule: {rule}]", details=[{"rule": rule, "msg": message}])
        self.rule = rule


# ---------------------------------------------------------------- pack configuration and look-ups

def config(pack: PlanPack) -> AppealsFile:
    files = pack.sections.get("appeals", {})
    return next(iter(files.values()), AppealsFile())


def line_config(pack: PlanPack, lob: str) -> AppealLine | None:
    return config(pack).line(lob)


def pack_of(registry: PackRegistry, req: AuthorizationRequest) -> PlanPack:
    return deadlines.pack_for(registry, req)


def _local(pack: PlanPack, at: datetime) -> date:
    return pack.calendar.local(at).date()


def get(session: Session, appeal_id: int) -> tuple[Appeal, AuthorizationRequest]:
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound(f"no appeal {appeal_id}")
    req = session.get(AuthorizationRequest, appeal.request_pk)
    assert req is not None
    return appeal, req


def adverse_decision(session: Session, req: AuthorizationRequest) -> Decision | None:
    """The latest adverse decision on the request (the one an appeal looks at again)."""
    return session.scalars(select(Decision).where(Decision.request_pk == req.id,
                                                  Decision.action.in_(ADVERSE_ACTIONS))
                           .order_by(Decision.id.desc()).limit(1)).one_or_none()


def notice_date(session: Session, pack: PlanPack, req: AuthorizationRequest, decision: Decision | None) -> date:
    """The date of the adverse notice the appeal window counts from: the date printed on the first
    member letter of the adverse decision, else the decision's date on the plan's calendar."""
    since = decision.decided_at if decision is not None else None
    q = select(Notice).where(Notice.request_pk == req.id, Notice.obligation == "member_written",
                             Notice.letter_type.in_(ADVERSE_LETTERS)).order_by(Notice.id)
    for notice in session.scalars(q):
        if since is None or notice.created_at >= since:
            letter_date = (notice.context or {}).get("letter_date")
            if letter_date:
                return date.fromisoformat(str(letter_date))
    if decision is not None:
        return _local(pack, decision.decided_at)
    denied = [e.at for e in req.events if e.type == "status_changed" and e.to_status in APPEALABLE]
    return _local(pack, denied[-1] if denied else req.received_at)


def prior_deciders(session: Session, req: AuthorizationRequest) -> dict[int, str]:
    """Users who made the adverse decision under appeal, or upheld it on reconsideration."""
    out: dict[int, str] = {}
    for d in session.scalars(select(Decision).where(Decision.request_pk == req.id,
                                                    Decision.action.in_(ADVERSE_ACTIONS))):
        if d.decided_by_user_id is not None:
            out[d.decided_by_user_id] = f"{d.decided_by}, {d.action.replace('_', ' ')}"
    for a in session.scalars(select(Appeal).where(Appeal.request_pk == req.id, Appeal.level == "reconsideration",
                                                  Appeal.outcome == "upheld")):
        if a.decided_by_user_id is not None:
            out.setdefault(a.decided_by_user_id, f"{a.decided_by}, upheld the denial on reconsideration")
    return out


def supervisors(session: Session) -> dict[int, int | None]:
    return dict(session.execute(select(ReviewerProfile.user_id, ReviewerProfile.supervisor_user_id)).tuples().all())


def profile(session: Session, user_id: int) -> ReviewerProfile | None:
    return session.get(ReviewerProfile, user_id)


def _event(appeal: Appeal, *, at: datetime, type: str, actor: Actor, reason: str | None = None,
           data: dict[str, Any] | None = None) -> AppealEvent:
    ev = AppealEvent(at=at, type=type, actor_user_id=actor.user_id, actor=actor.username, reason=reason,
                     data=data or {})
    appeal.events.append(ev)
    return ev


def _store_document(session: Session, store: AttachmentStore, appeal: Appeal, *, kind: str, filename: str,
                    content_type: str | None, data: bytes, description: str | None, at: datetime,
                    user_id: int | None) -> AppealEvidence:
    if len(data) > MAX_EVIDENCE_BYTES:
        raise DomainError(f"{filename} is larger than {MAX_EVIDENCE_BYTES} bytes")
    found = filetypes.check(content_type, data, name=filename, loc=["body", "evidence"])
    digest, key = store.put(data)
    row = AppealEvidence(kind=kind, description=description, filename=filename, content_type=found, size=len(data),
                         sha256=digest, storage_key=key, received_at=at, uploaded_by_user_id=user_id)
    appeal.evidence.append(row)
    return row


def _decode(content: str, filename: str) -> bytes:
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DomainError(f"{filename}: content_base64 is not valid base64",
                          details=[{"loc": ["body", "evidence"], "msg": "invalid base64"}]) from exc


def add_evidence(session: Session, *, store: AttachmentStore, appeal: Appeal, req: AuthorizationRequest,
                 actor: Actor, now: datetime, kind: str, filename: str, content_type: str | None, data: bytes,
                 description: str | None = None, signed_on: date | None = None) -> AppealEvidence:
    """New evidence for the reviewer, or the member's written consent (which may come after filing)."""
    if appeal.status != "open":
        raise AppealRefused("appeal-not-open", f"this {appeal.level} is {appeal.status}; nothing can be added")
    row = _store_document(session, store, appeal, kind=kind, filename=filename, content_type=content_type,
                          data=data, description=description, at=now, user_id=actor.user_id)
    if kind == "consent":
        appeal.consent_received_at, appeal.consent_signed_on = now, signed_on
    _event(appeal, at=now, type="evidence_added", actor=actor, reason=f"{kind}: {filename}",
           data={"sha256": row.sha256, "size": row.size, "kind": kind})
    record_event(req, at=now, type=f"{appeal.level}_evidence_added", actor=actor, reason=f"{kind}: {filename}",
                 data={"appeal_id": appeal.id})
    session.flush()
    return row


# ---------------------------------------------------------------------------------- clocks

def notices_of(session: Session, appeal: Appeal) -> list[tuple[str, Notice]]:
    """(purpose, notice) for every notice written for this appeal."""
    ids: dict[int, str] = {}
    for ev in appeal.events:
        if ev.type == "notices_written":
            for nid in ev.data.get("notice_ids", []):
                ids[int(nid)] = str(ev.data.get("purpose"))
    if not ids:
        return []
    rows = session.scalars(select(Notice).where(Notice.id.in_(ids)).order_by(Notice.id)).all()
    return [(ids[n.id], n) for n in rows]


def timeline(session: Session, appeal: Appeal) -> AppealTimeline:
    changes = tuple((e.at, Urgency(str(e.data["urgency"])), e.reason or "") for e in appeal.events
                    if e.type == "urgency_changed")
    exts = tuple((e.at, e.reason or "", Party(str(e.data.get("requested_by", "plan")))) for e in appeal.events
                 if e.type == "extension_taken")
    decided = next(((e.at, str(e.data["outcome"])) for e in appeal.events if e.type == "decided"), None)
    names = {v: k for k, v in clocks.RESOLUTION_NOTICES[appeal.level].items()}
    delivered = tuple((n.delivered_at, names[n.obligation]) for purpose, n in notices_of(session, appeal)
                      if purpose == "resolution" and n.delivered_at is not None and n.obligation in names)
    initial = Urgency(appeal.urgency_requested)
    if any(e.type == "expedite_refused_at_filing" for e in appeal.events):
        initial = Urgency.NON_URGENT  # never ran on the expedited clock
    return AppealTimeline(appeal.level, appeal.line_of_business, appeal.received_at, initial, appeal.service_class,
                          changes, exts, decided, delivered)


def _first_delivery(notices: list[tuple[str, Notice]], purpose: str, after: datetime | None = None) -> datetime | None:
    times = [n.delivered_at for p, n in notices if p == purpose and n.delivered_at is not None
             and n.letter_type is not None and (after is None or n.created_at >= after)]
    return min(times) if times else None


def compute(session: Session, pack: PlanPack, appeal: Appeal) -> list[CaseDue]:
    """Every due time of the appeal: the engine's, then the appeal's own obligations."""
    due = clocks.engine_due(pack, timeline(session, appeal))
    line = line_config(pack, appeal.line_of_business)
    notices = notices_of(session, appeal)
    if line is not None and appeal.level == "appeal":
        if line.acknowledgment is not None and appeal.status != "dismissed":
            due.append(CaseDue("acknowledgment", clocks.span_due(pack, appeal.received_at, line.acknowledgment),
                               line.acknowledgment.citation, clock=clocks.words(line.acknowledgment, "receipt"),
                               met_at=_first_delivery(notices, "acknowledgment")))
        refusal = next((e for e in appeal.events if e.type in ("expedite_refused", "expedite_refused_at_filing")), None)
        if refusal is not None and line.expedite_refusal_notice is not None:
            span = line.expedite_refusal_notice
            due.append(CaseDue("expedite_refusal_notice", clocks.span_due(pack, refusal.at, span), span.citation,
                               clock=clocks.words(span, "the refusal"),
                               met_at=_first_delivery(notices, "downgrade")))
        ext = [e for e in appeal.events if e.type == "extension_taken"]
        if ext and line.extension_notice is not None:
            span = line.extension_notice
            due.append(CaseDue("extension_notice", clocks.span_due(pack, ext[-1].at, span), span.citation,
                               clock=clocks.words(span, "the extension"),
                               met_at=_first_delivery(notices, "extension", after=ext[-1].at)))
    if appeal.effectuation_due_at is not None:
        due.append(CaseDue("effectuation", appeal.effectuation_due_at,
                           str((appeal.checks or {}).get("effectuation_citation", "")),
                           clock=(appeal.checks or {}).get("effectuation_clock"), met_at=appeal.effectuated_at))
    for ext_review in session.scalars(select(ExternalReview).where(ExternalReview.appeal_pk == appeal.id)):
        if ext_review.forward_due_at is not None:
            due.append(CaseDue(f"forward_{ext_review.kind}"[:30], ext_review.forward_due_at, ext_review.citation,
                               met_at=ext_review.forwarded_at))
        if ext_review.effectuation_due_at is not None:
            due.append(CaseDue(f"effectuate_{ext_review.kind}"[:30], ext_review.effectuation_due_at,
                               ext_review.citation, met_at=ext_review.effectuated_at))
    return due


def decision_due(due: list[CaseDue]) -> datetime | None:
    return next((d.due_at for d in due if d.obligation == "decision"), None)


def refresh(session: Session, *, pack: PlanPack, appeal: Appeal, now: datetime) -> list[CaseDue]:
    """Recompute the appeal's due times and bring its deadline rows in line with them."""
    session.flush()
    due = compute(session, pack, appeal)
    rows = {(r.obligation, r.outcome): r for r in session.scalars(
        select(AppealDeadline).where(AppealDeadline.appeal_pk == appeal.id))}
    seen = set()
    for d in due:
        seen.add(d.key)
        row = rows.get(d.key)
        if row is None:
            row = AppealDeadline(appeal_pk=appeal.id, obligation=d.obligation, outcome=d.outcome, state="open")
            session.add(row)
        row.due_at, row.due_status, row.citation = d.due_at, d.status, d.citation
        row.layer_id, row.rule_id, row.rule, row.clock = d.layer_id, d.rule_id, d.rule, d.clock
        row.met_at = d.met_at
        if d.met_at is not None:
            row.state, row.breached_at = "met", None
        elif appeal.status == "withdrawn":
            row.state = "moot"
        elif d.due_at is not None and now > d.due_at:
            row.state, row.breached_at = "breached", d.due_at
        else:
            row.state = "open"
    for key, row in rows.items():
        if key not in seen and row.state == "open":
            row.state = "moot"
    appeal.decision_due_at = decision_due(due)
    return due


def deemed_exhausted(appeal: Appeal, line: AppealLine | None, now: datetime) -> bool:
    """An appeal not decided by its deadline counts as exhausted where the pack says so."""
    return (appeal.level == "appeal" and appeal.status == "open" and line is not None
            and line.deemed_exhaustion_citation is not None and appeal.decision_due_at is not None
            and now > appeal.decision_due_at)


# ---------------------------------------------------------------------------------- filing

def _open(session: Session, req: AuthorizationRequest, level: str) -> list[Appeal]:
    return list(session.scalars(select(Appeal).where(Appeal.request_pk == req.id, Appeal.level == level)))


def _received(now: datetime, given: datetime | None, req: AuthorizationRequest) -> datetime:
    if given is None:
        return now
    if given.tzinfo is None:
        raise DomainError("received_at must include a time zone offset",
                          details=[{"loc": ["body", "received_at"], "msg": "naive datetime"}])
    if given > now or given < req.received_at:
        raise DomainError("received_at must be between the request's receipt and now",
                          details=[{"loc": ["body", "received_at"], "msg": "out of range"}])
    return given


def file_reconsideration(session: Session, *, registry: PackRegistry, store: AttachmentStore,
                         req: AuthorizationRequest, actor: Actor, now: datetime, body: Any) -> Appeal:
    """A provider asks for an informal peer review of a prospective or concurrent medical-necessity denial."""
    pack = pack_of(registry, req)
    policy = config(pack).reconsideration
    if not policy.offered:
        raise AppealRefused("reconsideration-not-offered", f"{pack.manifest.plan.name} offers no reconsideration; "
                            "the member or provider may appeal")
    if RequestKind(req.kind) not in policy.kinds:
        raise AppealRefused("reconsideration-prospective-or-concurrent-only",
                            f"reconsideration is offered for {', '.join(k.value for k in policy.kinds)} denials, "
                            f"not {req.kind}; the member or provider may appeal")
    if req.status not in APPEALABLE or (req.determination or {}).get("basis") != "medical_necessity":
        raise AppealRefused("reconsideration-needs-medical-necessity-denial",
                            "reconsideration looks again at a medical-necessity denial; this request is "
                            f"{req.status} ({(req.determination or {}).get('basis', 'no determination')})")
    existing = _open(session, req, "reconsideration")
    if any(a.status == "open" for a in existing):
        raise AppealRefused("reconsideration-already-open", "a reconsideration of this denial is already open")
    if _open(session, req, "appeal"):
        raise AppealRefused("appeal-already-filed", "an appeal of this denial has been filed; reconsideration is "
                            "an informal step before it, not after it")
    received = _received(now, body.received_at, req)
    decision = adverse_decision(session, req)
    appeal = Appeal(request_pk=req.id, level="reconsideration", plan_id=req.plan_id,
                    line_of_business=req.line_of_business, status="open", appellant="provider",
                    appellant_name=body.requester_name, appellant_contact=body.requester_contact,
                    filed_by_user_id=actor.user_id, channel=body.channel, received_at=received,
                    statement=body.statement, original_decision_pk=decision.id if decision else None,
                    original_basis=(req.determination or {}).get("basis"), service_class=None,
                    notice_date=notice_date(session, pack, req, decision),
                    urgency_requested=req.urgency, urgency=req.urgency, created_at=now)
    session.add(appeal)
    session.flush()
    _event(appeal, at=received, type="filed", actor=actor, reason=body.statement,
           data={"level": "reconsideration", "requester": body.requester_name, "citation": policy.citation})
    for doc in body.evidence:
        _store_document(session, store, appeal, kind="new_evidence", filename=doc.filename,
                        content_type=doc.content_type, data=_decode(doc.content_base64, doc.filename),
                        description=doc.description, at=received, user_id=actor.user_id)
    record_event(req, at=now, type="reconsideration_requested", actor=actor,
                 reason=f"by {body.requester_name}: {body.statement}", data={"appeal_id": appeal.id})
    refresh(session, pack=pack, appeal=appeal, now=now)
    return appeal


def file_appeal(session: Session, *, registry: PackRegistry, store: AttachmentStore, req: AuthorizationRequest,
                user: User, actor: Actor, now: datetime, body: Any) -> Appeal:
    """A member (or a provider or representative for the member) appeals an adverse determination."""
    pack = pack_of(registry, req)
    if req.status not in APPEALABLE:
        raise AppealRefused("nothing-to-appeal", f"request {req.authorization_id} is {req.status}: there is no "
                            "adverse determination to appeal")
    previous = _open(session, req, "appeal")
    if any(a.status == "open" for a in previous):
        raise AppealRefused("appeal-already-open", "an appeal of this determination is already open")
    if any(a.status == "decided" for a in previous):
        raise AppealRefused("appeal-already-decided", "the plan has decided the appeal of this determination; "
                            "the next level is outside the plan (external review, State Fair Hearing)")
    if user.role == Role.PROVIDER_OFFICE and body.appellant != "provider":
        raise AppealRefused("provider-files-as-provider", "a provider office files an appeal as the provider, "
                            "on the member's behalf")
    lob = pack.line_of_business(req.line_of_business)
    line = line_config(pack, req.line_of_business)
    received = _received(now, body.received_at, req)
    decision = adverse_decision(session, req)
    notice = notice_date(session, pack, req, decision)
    deadline = filing.filing_deadline(notice, lob.appeal_filing_days if lob else None)
    verdict = filing.judge_filing(_local(pack, received), deadline, line, body.good_cause)
    service_class = "post_service" if req.kind == RequestKind.POST_SERVICE.value else None
    expedite = filing.expedite_at_filing(Urgency(body.urgency), practitioner_asserted=body.practitioner_attests_urgency,
                                         service_class=service_class, line=line)
    appeal = Appeal(
        request_pk=req.id, level="appeal", plan_id=req.plan_id, line_of_business=req.line_of_business,
        status="open", appellant=body.appellant, appellant_name=body.appellant_name,
        appellant_contact=body.appellant_contact, filed_by_user_id=user.id, channel=body.channel,
        received_at=received, statement=body.statement, original_decision_pk=decision.id if decision else None,
        original_basis=(req.determination or {}).get("basis"), service_class=service_class, notice_date=notice,
        filing_deadline=deadline, late=verdict.late, late_handling=verdict.handling, good_cause=body.good_cause,
        consent_required=filing.consent_required(body.appellant, urgent=expedite.urgency is Urgency.URGENT, line=line),
        urgency_requested=body.urgency, urgency=expedite.urgency.value,
        practitioner_asserted_urgency=body.practitioner_attests_urgency, urgency_basis=body.urgency_basis,
        expedite_status=expedite.status, expedite_reason=expedite.reason, created_at=now)
    session.add(appeal)
    session.flush()
    _event(appeal, at=received, type="filed", actor=actor, reason=body.statement,
           data={"appellant": body.appellant, "late": verdict.late, "late_handling": verdict.handling,
                 "filing": verdict.message, "filing_citation": verdict.citation, "urgency": body.urgency,
                 "expedite": expedite.status, "expedite_rule": expedite.rule})
    if body.consent is not None:
        doc = body.consent.document
        _store_document(session, store, appeal, kind="consent", filename=doc.filename, content_type=doc.content_type,
                        data=_decode(doc.content_base64, doc.filename), description=doc.description, at=received,
                        user_id=user.id)
        appeal.consent_received_at, appeal.consent_signed_on = received, body.consent.signed_on
    for doc in body.evidence:
        _store_document(session, store, appeal, kind="new_evidence", filename=doc.filename,
                        content_type=doc.content_type, data=_decode(doc.content_base64, doc.filename),
                        description=doc.description, at=received, user_id=user.id)
    if expedite.status == "refused":
        _event(appeal, at=received, type="expedite_refused_at_filing", actor=actor, reason=expedite.reason,
               data={"rule": expedite.rule})
    record_event(req, at=now, type="appeal_filed", actor=actor,
                 reason=f"{body.appellant} {body.appellant_name}: {verdict.message}",
                 data={"appeal_id": appeal.id, "urgency": appeal.urgency, "late": verdict.late})
    if verdict.dismissed:
        _dismiss(session, pack=pack, req=req, appeal=appeal, actor=actor, now=now, reason=verdict.message)
        return appeal
    due = refresh(session, pack=pack, appeal=appeal, now=now)
    obligations = {"member_written": letters.ACKNOWLEDGMENT}
    if appeal.appellant == "provider":
        obligations["provider_written"] = letters.ACKNOWLEDGMENT
    ack_due = next((d.due_at for d in due if d.obligation == "acknowledgment"), None)
    letters.send(session, pack=pack, req=req, appeal=appeal, actor=actor, now=now, purpose="acknowledgment",
                 letter_type=LetterType.APPEAL_ACKNOWLEDGMENT,
                 ctx=letters.acknowledgment(session, pack, req, appeal, now, decision_due(due)),
                 obligations=obligations, due={letters.ACKNOWLEDGMENT: ack_due})
    if expedite.status == "refused":
        _downgrade_notice(session, pack=pack, req=req, appeal=appeal, actor=actor, now=now,
                          reason=expedite.reason or "")
    if body.continue_benefits:
        request_continuation(session, registry=registry, appeal=appeal, req=req, actor=actor, now=now,
                             asked_at=received)
    refresh(session, pack=pack, appeal=appeal, now=now)
    return appeal


def _dismiss(session: Session, *, pack: PlanPack, req: AuthorizationRequest, appeal: Appeal, actor: Actor,
             now: datetime, reason: str) -> None:
    """A late appeal the pack dismisses: closed at once, with a written notice saying why."""
    appeal.status, appeal.outcome, appeal.decided_at = "dismissed", "dismissed", now
    appeal.decided_by, appeal.decision_reason = actor.username, f"Your appeal was dismissed: it was {reason}."
    appeal.resolution_notice_date = _local(pack, now)
    _event(appeal, at=now, type="decided", actor=actor, reason=reason, data={"outcome": "dismissed"})
    record_event(req, at=now, type="appeal_dismissed", actor=actor, reason=reason, data={"appeal_id": appeal.id})
    due = refresh(session, pack=pack, appeal=appeal, now=now)
    names = clocks.RESOLUTION_NOTICES["appeal"]
    ctx = letters.resolution(session, pack, req, appeal, now, credential=None, specialty=None)
    letters.send(session, pack=pack, req=req, appeal=appeal, actor=actor, now=now, purpose="resolution",
                 letter_type=LetterType.APPEAL_RESOLUTION, ctx=ctx,
                 obligations={"member_written": names["member_written"]},
                 due={names["member_written"]: _notice_due(due, "member_written", adverse=True)})
    refresh(session, pack=pack, appeal=appeal, now=now)


def _notice_due(due: list[CaseDue], obligation: str, *, adverse: bool) -> datetime | None:
    wanted = "denial" if adverse else "approval"
    return next((d.due_at for d in due if d.obligation == obligation and d.outcome in (wanted, "any")), None)


def _downgrade_notice(session: Session, *, pack: PlanPack, req: AuthorizationRequest, appeal: Appeal, actor: Actor,
                      now: datetime, reason: str) -> None:
    due = refresh(session, pack=pack, appeal=appeal, now=now)
    ctx = letters.downgrade(session, pack, req, appeal, now, reason, decision_due(due))
    notice_due = next((d.due_at for d in due if d.obligation == "expedite_refusal_notice"), None)
    obligations = {"member_written": letters.DOWNGRADE}
    if appeal.appellant == "provider" or appeal.practitioner_asserted_urgency:
        obligations["provider_written"] = letters.DOWNGRADE
    letters.send(session, pack=pack, req=req, appeal=appeal, actor=actor, now=now, purpose="downgrade",
                 letter_type=LetterType.URGENCY_DOWNGRADE_NOTICE, ctx=ctx, obligations=obligations,
                 due={letters.DOWNGRADE: notice_due})


# ------------------------------------------------------------------------- while it is open

def _must_be_open(appeal: Appeal) -> None:
    if appeal.status != "open":
        raise AppealRefused("appeal-not-open", f"this {appeal.level} is {appeal.status}")


def decide_expedite(session: Session, *, registry: PackRegistry, appeal: Appeal, req: AuthorizationRequest,
                    actor: Actor, now: datetime, granted: bool, reason: str) -> None:
    """Grant or refuse a member's request for an expedited appeal; a refusal moves it to the
    standard clock (still counted from receipt) with written notice."""
    _must_be_open(appeal)
    if appeal.level != "appeal" or appeal.expedite_status != "pending":
        raise AppealRefused("expedite-not-pending", "there is no expedite request waiting for a decision "
                            f"(expedite: {appeal.expedite_status or 'not asked'})")
    pack = pack_of(registry, req)
    if granted:
        appeal.expedite_status, appeal.expedite_reason = "granted", reason
        _event(appeal, at=now, type="expedite_granted", actor=actor, reason=reason)
        record_event(req, at=now, type="appeal_expedite_granted", actor=actor, reason=reason,
                     data={"appeal_id": appeal.id})
        refresh(session, pack=pack, appeal=appeal, now=now)
        return
    appeal.expedite_status, appeal.expedite_reason, appeal.urgency = "refused", reason, Urgency.NON_URGENT.value
    _event(appeal, at=now, type="expedite_refused", actor=actor, reason=reason)
    _event(appeal, at=now, type="urgency_changed", actor=actor, reason=reason,
           data={"from": Urgency.URGENT.value, "urgency": Urgency.NON_URGENT.value,
                 "notice_required": "oral then written"})
    appeal.consent_required = filing.consent_required(appeal.appellant, urgent=False,
                                                      line=line_config(pack, appeal.line_of_business))
    record_event(req, at=now, type="appeal_expedite_refused", actor=actor, reason=reason,
                 data={"appeal_id": appeal.id})
    _downgrade_notice(session, pack=pack, req=req, appeal=appeal, actor=actor, now=now, reason=reason)
    refresh(session, pack=pack, appeal=appeal, now=now)


def take_extension(session: Session, *, registry: PackRegistry, appeal: Appeal, req: AuthorizationRequest,
                   actor: Actor, now: datetime, reason: str, requested_by: str) -> None:
    """Extend the resolution clock where the rules allow it (the engine names a refusing rule)."""
    _must_be_open(appeal)
    pack = pack_of(registry, req)
    # Raises ExtensionRefused (409, naming layer, rule and citation) before anything is recorded.
    clocks.engine_due(pack, timeline(session, appeal), extra=[ExtensionTaken(now, reason, Party(requested_by))])
    _event(appeal, at=now, type="extension_taken", actor=actor, reason=reason, data={"requested_by": requested_by})
    record_event(req, at=now, type=f"{appeal.level}_extension_taken", actor=actor, reason=reason,
                 data={"appeal_id": appeal.id, "requested_by": requested_by})
    due = refresh(session, pack=pack, appeal=appeal, now=now)
    if appeal.level == "appeal":
        notice_due = next((d.due_at for d in due if d.obligation == "extension_notice"), None)
        letters.send(session, pack=pack, req=req, appeal=appeal, actor=actor, now=now, purpose="extension",
                     letter_type=LetterType.EXTENSION_NOTICE,
                     ctx=letters.extension(session, pack, req, appeal, now, reason, decision_due(due)),
                     obligations={"member_written": letters.EXTENSION, "provider_written": letters.EXTENSION},
                     due={letters.EXTENSION: notice_due})
        refresh(session, pack=pack, appeal=appeal, now=now)


def request_continuation(session: Session, *, registry: PackRegistry, appeal: Appeal, req: AuthorizationRequest,
                         actor: Actor, now: datetime, asked_at: datetime | None = None) -> filing.ContinuationVerdict:
    """Record a request that benefits continue during the appeal, and whether they do."""
    _must_be_open(appeal)
    if appeal.level != "appeal":
        raise AppealRefused("continuation-during-appeal-only", "benefits continue during an appeal, "
                            "not a reconsideration")
    if appeal.continuation_requested_at is not None:
        raise AppealRefused("continuation-already-requested", "continuation was already asked for on this appeal")
    pack = pack_of(registry, req)
    asked = asked_at or now
    lob = pack.line_of_business(req.line_of_business)
    line = line_config(pack, req.line_of_business)
    verdict = filing.judge_continuation(request_kind=req.kind, notice_date=appeal.notice_date,
                                        asked_on=_local(pack, asked),
                                        window_days=lob.continuation_request_days if lob else None,
                                        policy=line.continuation if line else None, appeal_late=appeal.late)
    appeal.continuation_requested_at = asked
    appeal.continuation_status = "granted" if verdict.granted else "refused"
    appeal.continuation_note = f"{verdict.message} [rule: {verdict.rule}]" + (
        f" ({verdict.citation})" if verdict.citation else "")
    _event(appeal, at=now, type="continuation_requested", actor=actor, reason=appeal.continuation_note,
           data={"granted": verdict.granted, "rule": verdict.rule})
    record_event(req, at=now, type="continuation_of_benefits", actor=actor, reason=appeal.continuation_note,
                 data={"appeal_id": appeal.id, "granted": verdict.granted})
    return verdict


# ---------------------------------------------------------------------------------- decision

@dataclass(frozen=True)
class _Applied:
    decision: Decision | None
    lines: list[dict[str, Any]]


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


def apply_to_request(session: Session, *, req: AuthorizationRequest, outcome: str, lines: list[dict[str, Any]],
                     actor: Actor, now: datetime, basis: str, reason: str, rationale: str | None,
                     user: User | None, role: str, credential: str | None, ref: dict[str, Any]) -> _Applied:
    """Put an overturn (whole or partial) into the original authorization: lines, status, a Decision."""
    by_seq = {int(ln["sequence"]): ln for ln in lines}
    before = {ln.sequence: ln.approved_units or 0 for ln in req.lines}
    recorded: list[dict[str, Any]] = []
    for ln in req.lines:
        given = by_seq.get(ln.sequence, {})
        if outcome == "overturned":
            units = int(given.get("approved_units") or ln.units)
        else:
            units = int(given.get("approved_units", ln.approved_units or 0))
        if units > ln.units:
            raise DomainError(f"line {ln.sequence}: {units} units is more than the {ln.units} requested")
        if units < (ln.approved_units or 0):
            raise AppealRefused("appeal-cannot-reduce", f"line {ln.sequence}: an appeal outcome cannot give fewer "
                                f"units ({units}) than already approved ({ln.approved_units})")
        ln.approved_units = units
        ln.decision = "approved" if units >= ln.units else ("denied" if units == 0 else "modified")
        if units:
            ln.approved_from = _date(given.get("approved_from")) or ln.approved_from or ln.from_date
            ln.approved_to = _date(given.get("approved_to")) or ln.approved_to or ln.to_date or ln.from_date
        recorded.append({"sequence": ln.sequence, "code": ln.code, "requested_units": ln.units,
                         "decision": ln.decision, "approved_units": ln.approved_units})
    all_given = all(r["decision"] == "approved" for r in recorded)
    if not any(r["approved_units"] > before.get(r["sequence"], 0) for r in recorded):
        raise DomainError("the outcome must approve more than the denial did",
                          details=[{"loc": ["body", "lines"], "msg": "no line approves more units"}])
    if outcome == "partially_overturned" and all_given:
        raise DomainError("a partial overturn must leave part of the denial in place; this approves everything "
                          "(use overturned)", details=[{"loc": ["body", "lines"], "msg": "nothing left denied"}])
    target = Status.APPROVED if all_given else Status.PARTIALLY_APPROVED
    action = Action.APPROVE if all_given else Action.PARTIAL_APPROVE
    label = f"{ref.get('level', 'appeal')} {outcome.replace('_', ' ')}"
    if req.status != target.value:
        change_status(req, target, at=now, actor=actor, reason=f"{label}: {reason}", data={**ref, "basis": basis})
    else:
        record_event(req, at=now, type="lines_changed", actor=actor, reason=f"{label}: {reason}",
                     data={**ref, "lines": recorded})
    decision = Decision(request_pk=req.id, decided_at=now, decided_by_user_id=user.id if user else None,
                        decided_by=(user.full_name or user.username) if user else actor.username, role=role,
                        credential=credential, action=action.value, basis=basis, reason=reason, rationale=rationale,
                        automatic=False, lines=recorded)
    session.add(decision)
    req.determination = {"basis": basis, "decided_by": decision.decided_by, "credential": credential,
                         "automatic": False, "reason": reason, "rationale": rationale, **ref,
                         "previous": req.determination}
    session.flush()
    return _Applied(decision, recorded)


def _reviewer(pack: PlanPack, user: User) -> authority.Reviewer:
    return authority.Reviewer(user.username, pack.role(user.role), tuple(user.credentials or ()))


def _credential(pack: PlanPack, user: User) -> str | None:
    role = pack.role(user.role)
    return next((str(c.get("type")) for c in (user.credentials or [])
                 if role and str(c.get("type")) in role.credentials), None)


def _involved(session: Session, user: User, req: AuthorizationRequest) -> bool:
    return req.member_pk is not None and session.scalar(select(CareInvolvement.id).where(
        CareInvolvement.user_id == user.id, CareInvolvement.member_pk == req.member_pk)) is not None


def check_reviewer(session: Session, *, pack: PlanPack, appeal: Appeal, req: AuthorizationRequest, user: User,
                   outcome: str, rationale: str | None, reason: str, now: datetime) -> dict[str, Any]:
    """Every rule on who may decide this reconsideration or appeal this way; what was checked."""
    checks: dict[str, Any] = {}
    role = pack.role(user.role)
    if appeal.level == "reconsideration":
        if role is None or not role.may_deny_medical_necessity:
            raise AuthorityExceeded("reconsideration-physician-only",
                                    f"{user.username}: a reconsideration is a clinical peer review conducted by a "
                                    "physician reviewer (seed 004)")
    else:
        independence.check_independent(user.id, user.username, prior_deciders(session, req), supervisors(session))
        checks["independent_of"] = sorted(prior_deciders(session, req).values())
    medical = appeal.original_basis != "administrative"
    if outcome == "overturned":
        action = Action.APPROVE
    elif outcome == "partially_overturned":
        action = Action.PARTIAL_APPROVE
    else:
        action = Action.DENY_MEDICAL_NECESSITY if medical else Action.DENY_ADMINISTRATIVE
    authority.check(action, reviewer=_reviewer(pack, user), category=review.category_of(pack, req),
                    today=_local(pack, now), criteria_outcome=review.criteria_outcome(session, req),
                    override_reason=rationale or reason, involved_in_care=_involved(session, user, req))
    checks["authority"] = action.value
    if appeal.level == "appeal" and medical and outcome in ("upheld", "partially_overturned"):
        prof = profile(session, user.id)
        services = [(ln.code, (svc.category if (svc := pack.service(ln.code)) else None)) for ln in req.lines]
        checks["expertise"] = independence.check_expertise(user.username, prof.specialty if prof else None,
                                                           config(pack).specialties, services)
    return checks


def decide(session: Session, *, registry: PackRegistry, appeal: Appeal, req: AuthorizationRequest, user: User,
           actor: Actor, now: datetime, outcome: str, reason: str, rationale: str | None,
           lines: list[dict[str, Any]]) -> Appeal:
    """Decide a reconsideration or appeal: rules checked, the request updated, notices written."""
    _must_be_open(appeal)
    pack = pack_of(registry, req)
    if appeal.level == "reconsideration" and outcome == "partially_overturned":
        raise AppealRefused("reconsideration-upheld-or-overturned", "a reconsideration is upheld or overturned")
    if appeal.level == "appeal" and appeal.consent_required and appeal.consent_received_at is None:
        line = line_config(pack, appeal.line_of_business)
        raise AppealRefused("member-consent-required", f"{appeal.appellant_name} appeals on the member's behalf: the "
                            "member's written consent must be on file first"
                            + (f" ({line.consent.citation})" if line else ""))
    checks = check_reviewer(session, pack=pack, appeal=appeal, req=req, user=user, outcome=outcome,
                            rationale=rationale, reason=reason, now=now)
    credential = _credential(pack, user)
    prof = profile(session, user.id)
    appeal.outcome, appeal.decided_at, appeal.decided_by_user_id = outcome, now, user.id
    appeal.decided_by = user.full_name or user.username
    appeal.reviewer_role, appeal.reviewer_credential = user.role, credential
    appeal.reviewer_specialty = prof.specialty if prof else None
    appeal.decision_reason, appeal.rationale, appeal.status = reason, rationale, "decided"
    appeal.resolution_notice_date = _local(pack, now)
    ref = {"level": appeal.level, "appeal_id": appeal.id}
    if outcome in ("overturned", "partially_overturned"):
        applied = apply_to_request(session, req=req, outcome=outcome, lines=lines, actor=actor, now=now,
                                   basis=f"{'reconsideration' if appeal.level == 'reconsideration' else 'appeal'}_"
                                         f"{'overturned' if outcome == 'overturned' else 'partial'}",
                                   reason=reason, rationale=rationale, user=user, role=user.role,
                                   credential=credential, ref=ref)
        appeal.decision_pk = applied.decision.id if applied.decision else None
        appeal.decision_lines = applied.lines
        line = line_config(pack, appeal.line_of_business)
        if appeal.level == "appeal" and line is not None and line.effectuation is not None:
            clock = line.effectuation.for_urgency(appeal.urgency == Urgency.URGENT.value)
            start = now if clock.start == "decision" else appeal.received_at
            appeal.effectuation_due_at = clocks.span_due(pack, start, clock)
            checks["effectuation_citation"] = clock.citation
            checks["effectuation_clock"] = clocks.words(clock, "the overturn" if clock.start == "decision"
                                                        else "receipt of the appeal")
    else:
        record_event(req, at=now, type=f"{appeal.level}_upheld", actor=actor, reason=reason, data=ref)
        appeal.decision_lines = [{"sequence": ln.sequence, "code": ln.code, "decision": ln.decision,
                                  "approved_units": ln.approved_units} for ln in req.lines]
    appeal.checks = checks
    _event(appeal, at=now, type="decided", actor=actor, reason=reason, data={"outcome": outcome, "checks": checks})
    if appeal.continuation_status == "granted":
        appeal.continuation_status, appeal.continuation_ended_at = "ended", now
        appeal.continuation_note = (appeal.continuation_note or "") + (
            f"; ended {now.isoformat()}: the appeal was {outcome.replace('_', ' ')}"
            + ("; the member may have to pay for services received while it was pending (42 CFR 438.420(d))"
               if outcome != "overturned" else ""))
    session.flush()
    deadlines.refresh(session, registry=registry, req=req)
    review.sync_item(session, pack=pack, req=req, now=now)
    _resolution_notices(session, pack=pack, req=req, appeal=appeal, actor=actor, now=now, credential=credential)
    if appeal.level == "appeal" and outcome in ("upheld", "partially_overturned"):
        _auto_forward(session, pack=pack, appeal=appeal, req=req, actor=actor, now=now, why="upheld")
    refresh(session, pack=pack, appeal=appeal, now=now)
    return appeal


def _resolution_notices(session: Session, *, pack: PlanPack, req: AuthorizationRequest, appeal: Appeal, actor: Actor,
                        now: datetime, credential: str | None) -> None:
    due = refresh(session, pack=pack, appeal=appeal, now=now)
    adverse = appeal.outcome != "overturned"
    names = clocks.RESOLUTION_NOTICES[appeal.level]
    ctx = letters.resolution(session, pack, req, appeal, now, credential=credential,
                             specialty=appeal.reviewer_specialty)
    if appeal.level == "reconsideration":
        # Seed 004: the result is given to the provider by phone, then in writing "according to the type
        # of request": the decision letter of the request as it now stands.
        letter_type = LetterType.MEDICAL_NECESSITY_DENIAL if adverse else LetterType.APPROVAL
        obligations = dict(names)
    else:
        letter_type = LetterType.APPEAL_RESOLUTION
        obligations = {k: v for k, v in names.items()
                       if k != "provider_verbal" or appeal.urgency == Urgency.URGENT.value}
    notice_due = {names[k]: _notice_due(due, k, adverse=adverse) for k in obligations}
    letters.send(session, pack=pack, req=req, appeal=appeal, actor=actor, now=now, purpose="resolution",
                 letter_type=letter_type, ctx=ctx, obligations=obligations, due=notice_due)


def record_effectuation(session: Session, *, registry: PackRegistry, appeal: Appeal, req: AuthorizationRequest,
                        actor: Actor, now: datetime, at: datetime | None, note: str) -> None:
    """The overturn was put into effect (authorization issued, service arranged)."""
    if appeal.outcome not in ("overturned", "partially_overturned"):
        raise AppealRefused("nothing-to-effectuate", f"this {appeal.level} was not overturned")
    if appeal.effectuated_at is not None:
        raise AppealRefused("already-effectuated", f"effectuated at {appeal.effectuated_at.isoformat()}")
    when = at or now
    if when.tzinfo is None or when > now or (appeal.decided_at and when < appeal.decided_at):
        raise DomainError("effectuated_at must be an aware time between the decision and now")
    appeal.effectuated_at, appeal.effectuation_note = when, note
    _event(appeal, at=now, type="effectuated", actor=actor, reason=note, data={"at": when.isoformat()})
    record_event(req, at=now, type=f"{appeal.level}_effectuated", actor=actor, reason=note,
                 data={"appeal_id": appeal.id, "effectuated_at": when.isoformat(),
                       "due_at": appeal.effectuation_due_at.isoformat() if appeal.effectuation_due_at else None})
    refresh(session, pack=pack_of(registry, req), appeal=appeal, now=now)


# ------------------------------------------------------------------------- beyond the plan

def _external_deadline(pack: PlanPack, level: ExternalLevel, appeal: Appeal, req: AuthorizationRequest) -> date | None:
    days = level.request_within_days
    if days is None and level.kind is ExternalKind.STATE_FAIR_HEARING:
        lob = pack.line_of_business(req.line_of_business)
        days = lob.state_fair_hearing_days if lob else None
    start = appeal.resolution_notice_date or (_local(pack, appeal.decision_due_at) if appeal.decision_due_at else None)
    return filing.filing_deadline(start, days) if start else None


def _auto_forward(session: Session, *, pack: PlanPack, appeal: Appeal, req: AuthorizationRequest, actor: Actor,
                  now: datetime, why: str) -> ExternalReview | None:
    """Medicare Advantage: an upheld (or undecided in time) denial goes to the IRE without being asked.

    Returns the new record, or None when the line has no automatic level or it was already forwarded.
    """
    line = line_config(pack, appeal.line_of_business)
    level = next((lv for lv in (line.external if line else []) if lv.automatic_on_upheld), None)
    if level is None:
        return None
    existing = session.scalars(select(ExternalReview).where(ExternalReview.appeal_pk == appeal.id,
                                                            ExternalReview.kind == level.kind.value)).first()
    if existing is not None:
        return None
    urgent = appeal.urgency == Urgency.URGENT.value
    span = (level.forward_within_expedited or level.forward_within) if urgent else level.forward_within
    assert span is not None
    start = now if span.start == "decision" else appeal.received_at
    row = ExternalReview(appeal_pk=appeal.id, kind=level.kind.value, body=level.name, requested_by="plan",
                         automatic=True, requested_at=now, filing_deadline=None, late=False, expedited=urgent,
                         forward_due_at=clocks.span_due(pack, start, span), forwarded_at=now,
                         citation=f"{level.citation}; forwarding: {span.citation}", created_at=now,
                         outcome="pending", notes=f"forwarded automatically: the appeal was {why}")
    session.add(row)
    session.flush()
    _event(appeal, at=now, type="forwarded", actor=actor, reason=row.notes,
           data={"external_review_id": row.id, "kind": row.kind,
                 "forward_due_at": clocks.span_due(pack, start, span).isoformat()})
    record_event(req, at=now, type="external_review_forwarded", actor=actor, reason=f"{level.name}: {row.notes}",
                 data={"appeal_id": appeal.id, "external_review_id": row.id})
    return row


def request_external(session: Session, *, registry: PackRegistry, appeal: Appeal, req: AuthorizationRequest,
                     actor: Actor, now: datetime, body: Any) -> ExternalReview:
    """The member (or someone for them) asks for a review outside the plan."""
    pack = pack_of(registry, req)
    line = line_config(pack, appeal.line_of_business)
    level = line.level(body.kind) if line else None
    if appeal.level != "appeal":
        raise AppealRefused("external-review-after-appeal", "external levels follow the plan's appeal, not a "
                            "reconsideration")
    if level is None:
        offered = ", ".join(lv.kind.value for lv in (line.external if line else [])) or "none"
        raise AppealRefused("external-level-not-offered", f"{body.kind} is not a level for "
                            f"{appeal.line_of_business} (offered: {offered})")
    if appeal.outcome == "overturned":
        raise AppealRefused("nothing-to-review", "the appeal was decided in the member's favor")
    exhausted = appeal.status in ("decided", "dismissed") or deemed_exhausted(appeal, line, now)
    if level.requires_exhaustion and not exhausted:
        raise AppealRefused("appeal-not-exhausted", f"{level.name} follows the plan's appeal decision; the appeal "
                            "is still open and within its time frame")
    if session.scalars(select(ExternalReview).where(ExternalReview.appeal_pk == appeal.id,
                                                    ExternalReview.kind == level.kind.value,
                                                    ExternalReview.outcome == "pending")).first():
        raise AppealRefused("external-review-already-pending", f"a {level.name} is already pending")
    asked = body.requested_at or now
    if asked.tzinfo is None or asked > now:
        raise DomainError("requested_at must be an aware time no later than now")
    deadline = _external_deadline(pack, level, appeal, req)
    late = deadline is not None and _local(pack, asked) > deadline
    row = ExternalReview(appeal_pk=appeal.id, kind=level.kind.value, body=level.name, requested_by=body.requested_by,
                         automatic=False, requested_at=asked, filing_deadline=deadline, late=late,
                         expedited=body.expedited, case_reference=body.case_reference, outcome="pending",
                         citation=level.citation, created_at=now)
    if body.continue_benefits:
        lob = pack.line_of_business(req.line_of_business)
        verdict = filing.judge_continuation(
            request_kind=req.kind, notice_date=appeal.resolution_notice_date, asked_on=_local(pack, asked),
            window_days=lob.continuation_request_days if lob and level.continuation else None,
            policy=line.continuation if line else None, appeal_late=False)
        row.continuation_requested = True
        row.continuation_status = "granted" if verdict.granted else "refused"
        row.notes = f"continuation: {verdict.message} [rule: {verdict.rule}]"
    session.add(row)
    session.flush()
    _event(appeal, at=now, type="external_review_requested", actor=actor,
           reason=f"{level.name}" + (" (late)" if late else ""),
           data={"external_review_id": row.id, "kind": row.kind, "late": late,
                 "filing_deadline": deadline.isoformat() if deadline else None})
    record_event(req, at=now, type="external_review_requested", actor=actor, reason=level.name,
                 data={"appeal_id": appeal.id, "external_review_id": row.id})
    refresh(session, pack=pack, appeal=appeal, now=now)
    return row


def update_external(session: Session, *, registry: PackRegistry, row: ExternalReview, appeal: Appeal,
                    req: AuthorizationRequest, user: User, actor: Actor, now: datetime, body: Any) -> ExternalReview:
    """Record forwarding, the outside body's decision and, for a reversal, its effectuation."""
    pack = pack_of(registry, req)
    for name in ("forwarded_at", "decided_at", "effectuated_at"):
        value = getattr(body, name)
        if value is not None and (value.tzinfo is None or value > now):
            raise DomainError(f"{name} must be an aware time no later than now")
    if body.forwarded_at is not None:
        row.forwarded_at = body.forwarded_at
    if body.case_reference is not None:
        row.case_reference = body.case_reference
    if body.notes is not None:
        row.notes = body.notes
    if body.outcome is not None and body.outcome != row.outcome:
        if row.outcome != "pending":
            raise AppealRefused("external-outcome-final", f"the {row.body} outcome ({row.outcome}) is recorded")
        row.outcome, row.decided_at = body.outcome, body.decided_at or now
        if body.outcome in ("overturned", "partially_overturned"):
            line = line_config(pack, appeal.line_of_business)
            level = line.level(row.kind) if line else None
            apply_to_request(session, req=req, outcome=body.outcome, lines=[ln.model_dump(mode="json")
                                                                          for ln in body.lines],
                             actor=actor, now=now, basis="external_review_reversed",
                             reason=f"{row.body} reversed the denial" + (f": {body.notes}" if body.notes else ""),
                             rationale=body.notes, user=None, role=row.kind, credential=None,
                             ref={"level": row.kind, "appeal_id": appeal.id, "external_review_id": row.id})
            if level is not None and level.effectuation is not None:
                clock = level.effectuation.for_urgency(row.expedited)
                row.effectuation_due_at = clocks.span_due(pack, now, clock)
            session.flush()
            deadlines.refresh(session, registry=registry, req=req)
        _event(appeal, at=now, type="external_review_decided", actor=actor, reason=f"{row.body}: {row.outcome}",
               data={"external_review_id": row.id, "outcome": row.outcome})
        record_event(req, at=now, type="external_review_decided", actor=actor, reason=f"{row.body}: {row.outcome}",
                     data={"appeal_id": appeal.id, "external_review_id": row.id})
    if body.effectuated_at is not None:
        if row.outcome not in ("overturned", "partially_overturned"):
            raise AppealRefused("nothing-to-effectuate", f"the {row.body} did not reverse the denial")
        row.effectuated_at = body.effectuated_at
        _event(appeal, at=now, type="external_review_effectuated", actor=actor, reason=row.body,
               data={"external_review_id": row.id})
    refresh(session, pack=pack, appeal=appeal, now=now)
    return row


# ------------------------------------------------------------------------- reviewer profiles

def set_profile(session: Session, *, user: User, specialty: str | None, supervisor: User | None, now: datetime,
                by: User) -> ReviewerProfile:
    """Record a reviewer's specialty and supervisor; a reporting line may not loop."""
    if supervisor is not None:
        if supervisor.id == user.id:
            raise DomainError("a reviewer cannot supervise themselves")
        chain = independence.reporting_line(supervisor.id, supervisors(session))
        if user.id in chain:
            raise DomainError(f"{supervisor.username} already reports (up the line) to {user.username}: "
                              "that would make a loop")
    row = session.get(ReviewerProfile, user.id) or ReviewerProfile(user_id=user.id)
    row.specialty, row.supervisor_user_id = specialty, supervisor.id if supervisor else None
    row.updated_at, row.updated_by_user_id = now, by.id
    session.add(row)
    session.flush()
    return row


# ------------------------------------------------------------------------------- the scanner

def scan(session: Session, *, registry: PackRegistry, now: datetime) -> dict[str, int]:
    """Bring open appeals' deadline rows up to date (breaches, delivered notices) and forward to the
    IRE any Medicare Advantage appeal not decided in time (a failure to decide is an affirmation)."""
    counts = {"appeals": 0, "breaches": 0, "forwarded": 0}
    system = Actor(None, "openum-worker", "system", None, None, "worker")
    q = select(Appeal).where(Appeal.id.in_(select(AppealDeadline.appeal_pk).where(AppealDeadline.state == "open")))
    for appeal in session.scalars(q):
        req = session.get(AuthorizationRequest, appeal.request_pk)
        assert req is not None
        pack = pack_of(registry, req)
        before = {r.id for r in session.scalars(select(AppealDeadline).where(
            AppealDeadline.appeal_pk == appeal.id, AppealDeadline.state == "breached"))}
        refresh(session, pack=pack, appeal=appeal, now=now)
        session.flush()
        after = {r.id for r in session.scalars(select(AppealDeadline).where(
            AppealDeadline.appeal_pk == appeal.id, AppealDeadline.state == "breached"))}
        counts["appeals"] += 1
        counts["breaches"] += len(after - before)
        if (appeal.level == "appeal" and appeal.status == "open" and appeal.decision_due_at is not None
                and now > appeal.decision_due_at
                and _auto_forward(session, pack=pack, appeal=appeal, req=req, actor=system, now=now,
                                  why="not decided by its deadline") is not None):
            counts["forwarded"] += 1
    return counts
