"""The intake command every channel calls, and the status changes every later step uses."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select, text
from sqlalchemy.orm import Session

from openum.audit import service as audit
from openum.clock import Clock
from openum.coverage import rules as coverage_rules
from openum.coverage import service as coverage
from openum.deadlines import service as deadlines
from openum.deadlines.model import DueTime
from openum.directory import service as directory
from openum.directory.models import Member, Organization
from openum.errors import Conflict, DomainError, NotFound
from openum.intake import filetypes, outcome
from openum.intake.history import change_status, record_event
from openum.intake.models import (
    Attachment,
    AuthorizationRequest,
    Diagnosis,
    ServiceLine,
)
from openum.intake.schemas import MemberRef, ServiceLineIn, SubmitRequest, Submitter
from openum.intake.status import OPEN_STATUSES, Status
from openum.intake.storage import AttachmentStore
from openum.notification import service as notices
from openum.packs.loader import PlanPack
from openum.packs.registry import PackRegistry
from openum.packs.schema import Setting
from openum.review import service as review
from openum.validation import icd10
from openum.validation import rules as validation
from openum.vocabulary import RequestKind, Urgency

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread on calls


class MalformedInput(DomainError):
    code = "malformed_input"
    http_status = 422


class PlanUnknown(DomainError):
    code = "plan_unknown"
    http_status = 422


@dataclass(frozen=True)
class Submitted:
    request: AuthorizationRequest
    duplicate: bool
    due: list[DueTime] | None = None


def new_authorization_id(prefix: str, received: datetime) -> str:
    """A short ID staff can read over the phone: plan prefix, receipt date, 7 random characters."""
    tail = "".join(secrets.choice(_ALPHABET) for _ in range(7))
    return f"{prefix}-{received:%y%m%d}-{tail}"


def _resolve_plan(
    session: Session, registry: PackRegistry, cmd: SubmitRequest, sub: Submitter,
    members: list[Member],
) -> str:
    if cmd.plan_id:
        if cmd.plan_id not in registry.plan_ids():
            raise PlanUnknown(f"unknown plan_id {cmd.plan_id!r}", details=[{"loc": ["plan_id"],
                              "msg": f"known plans: {registry.plan_ids()}"}])
        return cmd.plan_id
    if sub.organization_id:
        org = session.get(Organization, sub.organization_id)
        if org is not None:
            return org.plan_id
    if cmd.line_of_business:
        plan = registry.plan_for_line_of_business(cmd.line_of_business)
        if plan:
            return plan
    if len(members) == 1:
        return members[0].plan_id
    if len(registry.plan_ids()) == 1:
        return registry.plan_ids()[0]
    raise PlanUnknown("cannot tell which plan this request is for: give plan_id",
                      details=[{"loc": ["plan_id"], "msg": "required when the member ID does not "
                                "identify one plan"}])


def _decode_attachments(cmd: SubmitRequest) -> list[bytes]:
    out, errors = [], []
    for i, att in enumerate(cmd.attachments):
        try:
            out.append(base64.b64decode(att.content_base64, validate=True))
        except (binascii.Error, ValueError):
            errors.append({"loc": ["attachments", i, "content_base64"], "msg": "not valid base64"})
    if errors:
        raise MalformedInput("attachment content could not be decoded", details=errors)
    for i, (att, data) in enumerate(zip(cmd.attachments, out, strict=True)):
        filetypes.check(att.content_type, data, name=att.filename, loc=["attachments", i])
    return out


def _fingerprint(plan_id: str, submitter_key: str, cmd: SubmitRequest) -> str:
    if not cmd.member.member_id or not cmd.service_lines or any(
        not ln.code or not ln.from_date for ln in cmd.service_lines
    ):
        return uuid.uuid4().hex  # too little to recognise a repeat: never treated as one
    lines = sorted(f"{ln.code}|{ln.from_date}|{ln.to_date}" for ln in cmd.service_lines)
    raw = "\n".join([plan_id, submitter_key, cmd.member.member_id.upper(), *lines])
    return hashlib.sha256(raw.encode()).hexdigest()


def _find_duplicate(
    session: Session, *, submitter_key: str, idempotency_key: str | None, fingerprint: str,
    since: datetime,
) -> AuthorizationRequest | None:
    by_key = and_(AuthorizationRequest.submitter_key == submitter_key,
                  AuthorizationRequest.idempotency_key == idempotency_key)
    by_content = and_(AuthorizationRequest.dedup_fingerprint == fingerprint,
                      AuthorizationRequest.received_at >= since,
                      AuthorizationRequest.status.not_in([Status.WITHDRAWN, Status.VOIDED]))
    candidates = session.scalars(select(AuthorizationRequest).where(
        or_(by_key, by_content) if idempotency_key else by_content
    ).order_by(AuthorizationRequest.id)).all()
    if idempotency_key:
        found = next((c for c in candidates if c.idempotency_key == idempotency_key
                      and c.submitter_key == submitter_key), None)
        if found is not None:
            if found.dedup_fingerprint != fingerprint and len(fingerprint) == 64 and \
                    len(found.dedup_fingerprint) == 64:
                raise Conflict("this Idempotency-Key was already used for a different request",
                               details=[{"loc": ["header", "Idempotency-Key"],
                                         "msg": f"first used for {found.authorization_id}"}])
            return found
    return next((c for c in candidates if c.dedup_fingerprint == fingerprint), None)


def _date_of_service(cmd: SubmitRequest, today: date) -> date:
    dates = [ln.from_date for ln in cmd.service_lines if ln.from_date]
    if cmd.admission_date:
        dates.append(cmd.admission_date)
    return min(dates) if dates else today


def _names_match(member: Member, ref: MemberRef) -> bool:
    for attr in ("first_name", "last_name"):
        given = getattr(ref, attr)
        if given and given.strip().lower() != str(getattr(member, attr)).lower():
            return False
    given_dob = ref.birth_date
    return not (given_dob and given_dob != member.birth_date)


def _code_system(pack: PlanPack, ln: ServiceLineIn) -> str:
    """The code system as sent, else the catalog's for a listed code."""
    if ln.code_system:
        return ln.code_system.value
    svc = pack.service(ln.code) if ln.code else None
    return svc.system.value if svc else ""


def submit(
    session: Session,
    *,
    registry: PackRegistry,
    clock: Clock,
    store: AttachmentStore,
    cmd: SubmitRequest,
    submitter: Submitter,
    idempotency_key: str | None = None,
    source_ip: str | None = None,
) -> Submitted:
    """Receive a request from any channel: an authorization ID now, whatever happens next."""
    received_at = clock.now()
    payloads = _decode_attachments(cmd)
    # One look-up of the member ID serves both choosing the plan and the coverage rules.
    members = directory.members_by_id(session, member_id=cmd.member.member_id) if cmd.member.member_id else []
    plan_id = _resolve_plan(session, registry, cmd, submitter, members)
    pack = registry.in_force(plan_id, received_at)
    actor = audit.Actor(submitter.user_id, submitter.username, submitter.role,
                        submitter.organization_id, source_ip, submitter.channel.value)
    submitter_key = f"org:{submitter.organization_id}" if submitter.organization_id \
        else f"user:{submitter.user_id or submitter.username}"
    fingerprint = _fingerprint(plan_id, submitter_key, cmd)

    if session.get_bind().dialect.name == "postgresql":
        # Serialize look-alike submissions so two racing copies cannot both be created.
        lock_key = int(hashlib.sha256((idempotency_key or fingerprint).encode()).hexdigest()[:15], 16)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key})
    window = timedelta(hours=pack.manifest.intake.duplicate_window_hours)
    existing = _find_duplicate(session, submitter_key=submitter_key, idempotency_key=idempotency_key,
                               fingerprint=fingerprint, since=received_at - window)
    if existing is not None:
        return Submitted(existing, True)

    today = received_at.astimezone(pack.calendar.time_zone).date()
    dos = _date_of_service(cmd, today)
    member = next((m for m in members if m.plan_id == plan_id), None)
    providers = directory.find_providers(session, plan_id=plan_id, npis=[
        n for n in (cmd.requesting_provider_npi, cmd.servicing_provider_npi, cmd.facility_npi) if n])
    requester = providers.get(cmd.requesting_provider_npi or "")
    servicing = providers.get(cmd.servicing_provider_npi or "")
    facility = providers.get(cmd.facility_npi or "")
    lob_hint = cmd.line_of_business if cmd.line_of_business and pack.line_of_business(
        cmd.line_of_business) else None

    answer = coverage.decide(
        session, pack=pack, member=member, provider=servicing or facility,
        npi=cmd.servicing_provider_npi or cmd.facility_npi,
        codes=[coverage_rules.LineQuery(ln.code, ln.units) for ln in cmd.service_lines if ln.code],
        day=dos, line_of_business=lob_hint, setting=cmd.setting,
    ) if cmd.service_lines else None
    lob = (answer.member.line_of_business if answer and answer.member.line_of_business
           else lob_hint or pack.manifest.lines_of_business[0].id)
    requester_network = None
    if requester is not None:
        requester_network = coverage_rules.network(
            directory.provider_facts(requester), requester.npi, dos, lob,
            directory.member_facts(member) if member else None, pack).in_network

    findings = validation.check(cmd, pack, validation.Context(
        member_found=member is not None,
        member_name_matches=member is None or _names_match(member, cmd.member),
        requester_found=requester is not None,
        requester_in_network=requester_network,
        attachment_kinds=frozenset(a.kind for a in cmd.attachments),
    ))
    if cmd.line_of_business and lob_hint is None:
        findings.add("line_of_business", "invalid",
                     f"unknown line of business {cmd.line_of_business!r} for {pack.manifest.plan.name}")

    urgency = cmd.urgency
    if cmd.urgency_asserted_by_practitioner:
        urgency = Urgency.URGENT  # the treating practitioner's assertion is honoured (seed 001)
    if cmd.post_stabilization:
        urgency = Urgency.URGENT  # post-stabilization calls are answered within 30 minutes, 24/7
    if cmd.kind is RequestKind.CONCURRENT and (cmd.setting is Setting.INPATIENT):
        urgency = Urgency.URGENT  # inpatient concurrent review is always urgent (seed 004)

    # 32^7 IDs a day per plan: a clash is left to the unique constraint rather than paying a
    # look-up on every submission; the caller's retry with its Idempotency-Key is then safe.
    auth_id = new_authorization_id(pack.manifest.plan.authorization_prefix, received_at)

    servicing_org = (servicing.organization_id if servicing else None) or \
        (facility.organization_id if facility else None)
    req = AuthorizationRequest(
        authorization_id=auth_id, plan_id=plan_id, pack_version=pack.version,
        channel=submitter.channel.value, received_at=received_at,
        submitted_by_user_id=submitter.user_id, submitter_organization_id=submitter.organization_id,
        submitter_key=submitter_key, idempotency_key=idempotency_key, dedup_fingerprint=fingerprint,
        kind=cmd.kind.value, urgency=urgency.value,
        urgency_asserted_by_practitioner=cmd.urgency_asserted_by_practitioner,
        urgency_basis=cmd.urgency_basis, post_stabilization=cmd.post_stabilization, line_of_business=lob,
        setting=cmd.setting.value if cmd.setting else None,
        member=member,
        member_reference=cmd.member.model_dump(mode="json"),
        requesting_npi=cmd.requesting_provider_npi,
        requesting_provider_id=requester.id if requester else None,
        servicing_npi=cmd.servicing_provider_npi,
        servicing_provider_id=servicing.id if servicing else None,
        facility_npi=cmd.facility_npi, facility_id=facility.id if facility else None,
        servicing_organization_id=servicing_org,
        requested_length_of_stay=cmd.requested_length_of_stay, admission_date=cmd.admission_date,
        proposed_procedure_date=cmd.proposed_procedure_date,
        clinical_indications=cmd.clinical_indications, pertinent_history=cmd.pertinent_history,
        clinical_facts=cmd.clinical_facts.model_dump(mode="json") if cmd.clinical_facts else None,
        status=Status.RECEIVED.value, status_reason="received",
        missing_items=[m.model_dump() for m in findings.missing],
        coverage=coverage.to_dict(answer) if answer else {},
        attachments=[],
    )
    answers = {ln.code: ln for ln in answer.lines} if answer else {}
    for i, ln in enumerate(cmd.service_lines, start=1):
        la = answers.get(ln.code or "")
        req.lines.append(ServiceLine(
            sequence=i, code=ln.code or "", code_system=_code_system(pack, ln),
            modifiers=list(ln.modifiers), units=ln.units, from_date=ln.from_date, to_date=ln.to_date,
            place_of_service=ln.place_of_service,
            requirement=la.requirement.value if la else None,
            delegated_to=la.delegated_to["id"] if la and la.delegated_to else None,
        ))
    for i, code in enumerate(cmd.diagnoses, start=1):
        req.diagnoses.append(Diagnosis(sequence=i, code=icd10.normalize(code),
                                       description=icd10.description(code)))
    for att, data in zip(cmd.attachments, payloads, strict=True):
        digest, key = store.put(data)
        req.attachments.append(Attachment(kind=att.kind, filename=att.filename,
                                          content_type=att.content_type, size=len(data), sha256=digest,
                                          storage_key=key, received_at=received_at,
                                          uploaded_by_user_id=submitter.user_id))
    record_event(req, at=received_at, type="received", actor=actor,
                 reason=f"received by {submitter.channel.value}", to_status=Status.RECEIVED.value,
                 data={"pack_version": pack.version, "warnings": findings.warnings})
    routing = outcome.route(answer, findings.missing)
    change_status(req, routing.status, at=received_at, actor=actor, reason=routing.reason)
    req.determination = routing.determination
    session.add(req)
    session.flush()
    if routing.status is Status.IN_CLINICAL_REVIEW:
        # Complete and met requests may be approved here and now; nothing else is decided by machine.
        review.try_automation(session, pack=pack, req=req, now=received_at)
    if req.status in (Status.APPROVED.value, Status.DENIED.value):
        session.flush()
        notices.create_for_decision(session, registry=registry, req=req, now=received_at)
    due = deadlines.refresh(session, registry=registry, req=req)
    review.sync_item(session, pack=pack, req=req, now=received_at, post_stabilization=cmd.post_stabilization)
    audit.record(session, actor=actor, at=received_at, action="create",
                 record_type="authorization_request", record_id=auth_id,
                 member_id=cmd.member.member_id, purpose="treatment_request")
    return Submitted(req, False, due)


def information_received(
    session: Session, *, req: AuthorizationRequest, at: datetime, actor: audit.Actor
) -> None:
    """Strike the missing documents a new attachment supplies; resume review when none remain."""
    kinds = {a.kind for a in req.attachments}
    still = [m for m in req.missing_items
             if not (m["code"] == "missing_document" and m["field"].split(".")[-1] in kinds)]
    if len(still) == len(req.missing_items):
        return
    req.missing_items = still
    if not still and req.status == Status.PENDED_FOR_INFORMATION.value:
        change_status(req, Status.IN_CLINICAL_REVIEW, at=at, actor=actor,
                      reason="all missing information received")


def get_request(session: Session, *, authorization_id: str) -> AuthorizationRequest:
    """The request with this authorization ID, or NotFound."""
    req = session.scalars(select(AuthorizationRequest).where(
        AuthorizationRequest.authorization_id == authorization_id)).one_or_none()
    if req is None:
        raise NotFound(f"no authorization request {authorization_id}")
    return req


def is_open(req: AuthorizationRequest) -> bool:
    return Status(req.status) in OPEN_STATUSES
