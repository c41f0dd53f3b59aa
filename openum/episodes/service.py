"""Episodes of care: admission notifications, continued stays, level-of-care changes, discharge
planning, quality flags. Every authorization goes through intake.service.submit and every status
change through intake.history; this module links them into an episode and adds the stay's facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.audit import service as audit
from openum.clock import Clock
from openum.deadlines import service as deadlines
from openum.directory import service as directory
from openum.episodes import stay
from openum.episodes.common import resolve_plan, section
from openum.episodes.models import CareReferral, DischargeNeed, Episode, EpisodeAuthorization, QualityFlag
from openum.episodes.pack_schema import AdmissionsFile, AdmissionType, LateNotice, LevelOfCare
from openum.episodes.schemas import (
    AdmissionIn,
    CareReferralIn,
    ContinuedStayIn,
    DischargeIn,
    EstimateIn,
    LevelChangeIn,
    NeedIn,
    NeedUpdate,
    QualityFlagIn,
)
from openum.errors import Conflict, DomainError, NotFound
from openum.intake import service as intake
from openum.intake.history import change_status, record_event
from openum.intake.models import AuthorizationRequest
from openum.intake.schemas import (
    AttachmentIn,
    ClinicalFacts,
    MemberRef,
    ServiceLineIn,
    SubmitRequest,
    Submitter,
)
from openum.intake.status import OPEN_STATUSES, Status
from openum.intake.storage import AttachmentStore
from openum.notification import service as notices
from openum.notification.models import Notice
from openum.packs.loader import PlanPack
from openum.packs.registry import PackRegistry
from openum.packs.schema import Setting
from openum.review import service as review
from openum.review.authority import Action
from openum.review.criteria.selection import AmbiguousPolicyError, policy_for
from openum.review.models import Decision, WorkItem
from openum.vocabulary import RequestKind, Urgency

NEED_FLOW = {
    "identified": {"in_progress", "arranged", "completed", "cancelled"},
    "in_progress": {"arranged", "completed", "cancelled"},
    "arranged": {"in_progress", "completed", "cancelled"},
    "completed": set(),
    "cancelled": set(),
}
_CLOSABLE = OPEN_STATUSES | {Status.APPROVED, Status.PARTIALLY_APPROVED}
AUTOMATION = review.AUTOMATION


def rules(pack: PlanPack) -> AdmissionsFile:
    return section(pack, "admissions", AdmissionsFile)


def pack_of(registry: PackRegistry, episode: Episode) -> PlanPack:
    return registry.version(episode.plan_id, episode.pack_version)


def get(session: Session, episode_id: int) -> Episode:
    ep = session.get(Episode, episode_id)
    if ep is None:
        raise NotFound(f"no episode {episode_id}")
    return ep


def requests_of(session: Session, episode: Episode) -> dict[int, AuthorizationRequest]:
    pks = [a.request_pk for a in episode.authorizations]
    if not pks:
        return {}
    return {r.id: r for r in session.scalars(select(AuthorizationRequest).where(AuthorizationRequest.id.in_(pks)))}


def _level(adm: AdmissionsFile, level_id: str) -> LevelOfCare:
    level = adm.level(level_id)
    if level is None:
        raise DomainError(f"unknown level of care {level_id!r}",
                          details=[{"loc": ["body", "level_of_care"],
                                    "msg": f"one of {[lv.id for lv in adm.levels_of_care]}"}])
    return level


def _estimate(pack: PlanPack, level: LevelOfCare, req: AuthorizationRequest,
              day: date) -> tuple[int | None, str | None]:
    """Estimated length of stay: the admission's medical policy day limit, else the level's pack default."""
    pols = review.policies(pack)
    dx = [d.code for d in req.diagnoses]
    for ln in req.lines:
        try:
            policy = policy_for(pols, ln.code, day, dx, RequestKind(req.kind))
        except AmbiguousPolicyError:
            continue
        days = stay.policy_days(policy)
        if policy is not None and days:
            return days, f"medical policy {policy.id} v{policy.version}: {days} days"
    if level.estimated_length_of_stay:
        return level.estimated_length_of_stay, f"admissions/ level {level.id} default"
    return None, None


def _units_and_dates(level: LevelOfCare, units: int, start: date) -> tuple[date, date | None]:
    return start, (start + timedelta(days=units - 1) if level.unit == "days" else None)


def _notification_request(*, episode_plan: str, lob: str | None, kind: RequestKind, urgency: Urgency,
                          member_id: str, requesting: str, servicing: str, facility: str, level: LevelOfCare,
                          units: int, start: date, admission_date: date, diagnoses: list[str],
                          clinical_indications: str | None, pertinent_history: str | None,
                          attachments: list[AttachmentIn], clinical_facts: ClinicalFacts | None) -> SubmitRequest:
    frm, to = _units_and_dates(level, units, start)
    inpatient_like = level.unit == "days" and level.setting in (Setting.INPATIENT, Setting.SNF)
    return SubmitRequest(
        plan_id=episode_plan, line_of_business=lob, kind=kind, urgency=urgency,
        member=MemberRef(member_id=member_id), requesting_provider_npi=requesting,
        servicing_provider_npi=servicing, facility_npi=facility, setting=level.setting,
        service_lines=[ServiceLineIn(code=level.code, units=units, from_date=frm, to_date=to)],
        diagnoses=diagnoses, requested_length_of_stay=units if inpatient_like else None,
        admission_date=admission_date if inpatient_like else None,
        clinical_indications=clinical_indications, pertinent_history=pertinent_history,
        attachments=attachments, clinical_facts=clinical_facts,
    )


def _deny_late_notification(session: Session, *, registry: PackRegistry, req: AuthorizationRequest,
                            now: datetime, due: datetime, tz: object) -> None:
    """Provider-only administrative denial for a required notification received late (seed 004)."""
    reason = (f"Required notification was due by {due.astimezone(tz):%Y-%m-%d %H:%M %Z} and was received "  # type: ignore[arg-type]
              f"{now.astimezone(tz):%Y-%m-%d %H:%M %Z}: administrative denial to the provider; "  # type: ignore[arg-type]
              "the member is held harmless")
    for ln in req.lines:
        ln.decision, ln.approved_units = "denied", 0
    change_status(req, Status.DENIED, at=now, actor=AUTOMATION, reason=reason,
                  data={"automatic": True, "rule": "late_notification"})
    req.determination = {"basis": "administrative", "category": "late_notification", "member_issued": False,
                         "decided_by": "notification rules", "automatic": True, "reason": reason}
    session.add(Decision(request_pk=req.id, decided_at=now, decided_by="notification rules", role="automation",
                         action=Action.DENY_ADMINISTRATIVE.value, basis="administrative",
                         administrative_category="late_notification", member_issued=False, reason=reason,
                         automatic=True, lines=[{"sequence": ln.sequence, "code": ln.code,
                                                 "requested_units": ln.units, "decision": "denied",
                                                 "approved_units": 0} for ln in req.lines]))
    session.flush()
    notices.create_for_decision(session, registry=registry, req=req, now=now)


def _after_submit(session: Session, *, registry: PackRegistry, pack: PlanPack, req: AuthorizationRequest,
                  now: datetime, required: bool, due: datetime | None) -> bool | None:
    """Apply the pack's rule to a late required notification; return whether it was late."""
    if not required or due is None:
        return None
    late = now > due
    rule = rules(pack).notification
    if late:
        if rule.late is LateNotice.ADMINISTRATIVE_DENIAL and Status(req.status) in OPEN_STATUSES:
            _deny_late_notification(session, registry=registry, req=req, now=now, due=due,
                                    tz=pack.calendar.time_zone)
        else:
            record_event(req, at=now, type="notification_late", actor=AUTOMATION,
                         reason=f"required notification was due by {due.isoformat()}: late; a provider-only "
                                "administrative denial (late_notification) is open to the reviewer",
                         data={"due_at": due.isoformat(), "rule": rule.late.value})
            item = review.work_item(session, req)
            if item is not None:
                item.reason = f"LATE NOTIFICATION (due {due.isoformat()}); {item.reason or ''}".strip()
    deadlines.refresh(session, registry=registry, req=req)
    review.sync_item(session, pack=pack, req=req, now=now)
    return late


def admit(session: Session, *, registry: PackRegistry, clock: Clock, store: AttachmentStore,
          cmd: AdmissionIn, submitter: Submitter, actor: audit.Actor,
          idempotency_key: str | None = None) -> Episode:
    """Record an admission notice: link the prior authorization, or submit the notification."""
    now = clock.now()
    if cmd.admitted_at > now + timedelta(minutes=5):
        raise DomainError("admitted_at is in the future", details=[{"loc": ["body", "admitted_at"], "msg": "future"}])
    member_id = cmd.member.member_id
    if not member_id:
        raise DomainError("member.member_id is required", details=[{"loc": ["body", "member", "member_id"],
                                                                   "msg": "missing"}])
    plan_id = resolve_plan(session, registry, plan_id=cmd.plan_id, organization_id=submitter.organization_id,
                           member_id=member_id)
    pack = registry.in_force(plan_id, now)
    adm = rules(pack)
    level = _level(adm, cmd.level_of_care) if cmd.level_of_care else adm.default_level(cmd.admission_type)
    if level is None:
        raise DomainError(f"no default level of care for a {cmd.admission_type.value} admission: give level_of_care")
    member = directory.find_member(session, plan_id=plan_id, member_id=member_id)
    if member is None:
        raise NotFound(f"no member {member_id} in {pack.manifest.plan.name}")
    cal = pack.calendar
    admission_date = cal.local(cmd.admitted_at).date()
    rule = adm.notification
    required = cmd.admission_type in rule.required_for
    due = stay.notification_due(cal, cmd.admitted_at, business_days=rule.business_days_after_admission,
                                end_of_business_day=rule.end_of_business_day).astimezone(UTC) if required else None
    docs = any(a.kind == "clinical_documentation" for a in cmd.attachments)
    facility = directory.find_provider(session, plan_id=plan_id, npi=cmd.facility_npi)

    if cmd.authorization_id:
        req = intake.get_request(session, authorization_id=cmd.authorization_id)
        if req.plan_id != plan_id or req.member_pk != member.id:
            raise NotFound(f"no authorization {cmd.authorization_id} for member {member_id}")
        if req.status not in (Status.APPROVED.value, Status.PARTIALLY_APPROVED.value):
            raise Conflict(f"authorization {req.authorization_id} is {req.status}; an elective admission is "
                           "linked to an approved authorization, or notified without one")
        if session.scalar(select(EpisodeAuthorization.id).where(EpisodeAuthorization.request_pk == req.id)):
            raise Conflict(f"authorization {req.authorization_id} already belongs to an episode")
        role = "admission"
        record_event(req, at=now, type="admission_notified", actor=actor,
                     reason=f"{cmd.admission_type.value} admission on {admission_date.isoformat()} "
                            f"at {cmd.facility_npi}",
                     data={"admitted_at": cmd.admitted_at.isoformat(), "level_of_care": level.id})
        late = (now > due) if due else None
        if late:
            record_event(req, at=now, type="notification_late", actor=AUTOMATION,
                         reason=f"admission notice was due by {due.isoformat()}" if due else None,
                         data={"due_at": due.isoformat() if due else None})
        units = req.requested_length_of_stay
        frm, to = admission_date, (admission_date + timedelta(days=units - 1) if units else None)
    else:
        units = cmd.requested_length_of_stay or 1
        if level.unit == "hours":
            units = 24 * (cmd.requested_length_of_stay or 1)
        sub = _notification_request(
            episode_plan=plan_id, lob=None, kind=RequestKind.NOTIFICATION, urgency=Urgency.URGENT,
            member_id=member_id, requesting=cmd.requesting_provider_npi or cmd.facility_npi,
            servicing=cmd.facility_npi, facility=cmd.facility_npi, level=level, units=units,
            start=admission_date, admission_date=admission_date, diagnoses=cmd.diagnoses,
            clinical_indications=cmd.clinical_indications, pertinent_history=cmd.pertinent_history,
            attachments=cmd.attachments, clinical_facts=cmd.clinical_facts)
        result = intake.submit(session, registry=registry, clock=clock, store=store, cmd=sub,
                               submitter=submitter, idempotency_key=idempotency_key, source_ip=actor.source_ip)
        req = result.request
        if result.duplicate:
            link = session.scalars(select(EpisodeAuthorization).where(
                EpisodeAuthorization.request_pk == req.id)).one_or_none()
            if link is not None:
                return get(session, link.episode_pk)
        role = "notification"
        late = _after_submit(session, registry=registry, pack=pack, req=req, now=now, required=required, due=due)
        frm, to = _units_and_dates(level, units, admission_date)

    est, source = _estimate(pack, level, req, admission_date)
    episode = Episode(
        plan_id=plan_id, pack_version=pack.version, line_of_business=req.line_of_business, member=member,
        facility_npi=cmd.facility_npi, facility_id=facility.id if facility else None,
        attending_npi=cmd.attending_provider_npi, submitter_organization_id=submitter.organization_id,
        servicing_organization_id=facility.organization_id if facility else req.servicing_organization_id,
        admission_type=cmd.admission_type.value, level_of_care=level.id, level_started_on=admission_date,
        admitted_at=cmd.admitted_at.astimezone(UTC), admission_date=admission_date, estimated_length_of_stay=est,
        estimated_los_source=source, status="active", discharge_planning_started_at=now, created_at=now)
    episode.authorizations.append(EpisodeAuthorization(
        request_pk=req.id, role=role, level_of_care=level.id, units_requested=units, from_date=frm, to_date=to,
        linked_at=now, notified_at=now, notification_required=required, notification_due_at=due,
        notification_late=late, clinical_documentation_received=docs or any(
            a.kind == "clinical_documentation" for a in req.attachments)))
    session.add(episode)
    session.flush()
    audit.record(session, actor=actor, at=now, action="create", record_type="episode", record_id=str(episode.id),
                 member_id=member_id, purpose="utilization_review")
    return episode


def _ensure_active(episode: Episode) -> None:
    if episode.status != "active":
        raise Conflict(f"episode {episode.id} is {episode.status}")


def certification(session: Session, pack: PlanPack, episode: Episode,
                  reqs: dict[int, AuthorizationRequest] | None = None) -> stay.Certification:
    adm = rules(pack)
    level = adm.level(episode.level_of_care)
    reqs = reqs if reqs is not None else requests_of(session, episode)
    facts = [stay.AuthFacts(
        level_of_care=a.level_of_care, status=reqs[a.request_pk].status,
        requested_length_of_stay=reqs[a.request_pk].requested_length_of_stay,
        lines=[stay.LineFacts(ln.code, ln.decision, ln.approved_units, ln.approved_from, ln.approved_to)
               for ln in reqs[a.request_pk].lines]) for a in episode.authorizations]
    if level is None:
        return stay.Certification(0, None)
    return stay.certification(facts, level=level.id, level_code=level.code, unit=level.unit,
                              level_started_on=episode.level_started_on)


def continued_stay(session: Session, *, registry: PackRegistry, clock: Clock, store: AttachmentStore,
                   episode: Episode, cmd: ContinuedStayIn, submitter: Submitter, actor: audit.Actor,
                   idempotency_key: str | None = None) -> EpisodeAuthorization:
    """Ask for more days at the current level: a concurrent request through intake, linked to the episode."""
    now = clock.now()
    _ensure_active(episode)
    pack = pack_of(registry, episode)
    level = _level(rules(pack), episode.level_of_care)
    reqs = requests_of(session, episode)
    cert = certification(session, pack, episode, reqs)
    start = cmd.from_date or ((cert.through + timedelta(days=1)) if cert.through else
                              max(episode.level_started_on, pack.calendar.local(now).date()))
    first = reqs[episode.authorizations[0].request_pk]
    sub = _notification_request(
        episode_plan=episode.plan_id, lob=episode.line_of_business, kind=RequestKind.CONCURRENT,
        urgency=level.concurrent_urgency, member_id=episode.member.member_id,
        requesting=cmd.requesting_provider_npi or episode.facility_npi, servicing=episode.facility_npi,
        facility=episode.facility_npi, level=level, units=cmd.units, start=start,
        admission_date=episode.admission_date, diagnoses=cmd.diagnoses or [d.code for d in first.diagnoses],
        clinical_indications=cmd.clinical_indications, pertinent_history=cmd.pertinent_history,
        attachments=cmd.attachments, clinical_facts=cmd.clinical_facts)
    result = intake.submit(session, registry=registry, clock=clock, store=store, cmd=sub, submitter=submitter,
                           idempotency_key=idempotency_key, source_ip=actor.source_ip)
    req = result.request
    existing = session.scalars(select(EpisodeAuthorization).where(
        EpisodeAuthorization.request_pk == req.id)).one_or_none()
    if existing is not None:
        return existing
    frm, to = _units_and_dates(level, cmd.units, start)
    link = EpisodeAuthorization(request_pk=req.id, role="continued_stay", level_of_care=level.id,
                                units_requested=cmd.units, from_date=frm, to_date=to, linked_at=now)
    episode.authorizations.append(link)
    record_event(req, at=now, type="episode_linked", actor=actor,
                 reason=f"continued stay in episode {episode.id} ({level.name})",
                 data={"episode_id": episode.id, "level_of_care": level.id})
    session.flush()
    audit.record(session, actor=actor, at=now, action="create", record_type="episode", record_id=str(episode.id),
                 member_id=episode.member.member_id, purpose="utilization_review")
    return link


def change_level(session: Session, *, registry: PackRegistry, clock: Clock, store: AttachmentStore,
                 episode: Episode, cmd: LevelChangeIn, submitter: Submitter,
                 actor: audit.Actor) -> EpisodeAuthorization:
    """A new level of care: the old level's authorizations are closed and a new, linked one is opened."""
    now = clock.now()
    _ensure_active(episode)
    pack = pack_of(registry, episode)
    adm = rules(pack)
    new_level = _level(adm, cmd.level_of_care)
    if new_level.id == episode.level_of_care:
        raise DomainError(f"the episode is already at {new_level.id}")
    cal = pack.calendar
    changed_on = cal.local(cmd.changed_at).date()
    if changed_on < episode.admission_date or cmd.changed_at > now + timedelta(minutes=5):
        raise DomainError("changed_at must fall between the admission and now",
                          details=[{"loc": ["body", "changed_at"], "msg": "out of range"}])
    reqs = requests_of(session, episode)
    old_level = episode.level_of_care
    closing = [reqs[a.request_pk] for a in episode.authorizations
               if a.level_of_care == old_level and Status(reqs[a.request_pk].status) in _CLOSABLE]
    first = reqs[episode.authorizations[0].request_pk]
    units = cmd.units or (1 if new_level.unit != "hours" else 24)
    rule = adm.notification
    # A change to inpatient is an admission the facility must notify like an emergent one.
    kind_of_admission = next((t for t in new_level.admission_types if t is not AdmissionType.ELECTIVE),
                             AdmissionType.EMERGENT)
    required = kind_of_admission in rule.required_for
    due = stay.notification_due(cal, cmd.changed_at, business_days=rule.business_days_after_admission,
                                end_of_business_day=rule.end_of_business_day).astimezone(UTC) if required else None
    sub = _notification_request(
        episode_plan=episode.plan_id, lob=episode.line_of_business, kind=RequestKind.NOTIFICATION,
        urgency=Urgency.URGENT, member_id=episode.member.member_id, requesting=episode.facility_npi,
        servicing=episode.facility_npi, facility=episode.facility_npi, level=new_level, units=units,
        start=changed_on, admission_date=changed_on, diagnoses=cmd.diagnoses or [d.code for d in first.diagnoses],
        clinical_indications=cmd.clinical_indications, pertinent_history=None, attachments=cmd.attachments,
        clinical_facts=cmd.clinical_facts)
    result = intake.submit(session, registry=registry, clock=clock, store=store, cmd=sub, submitter=submitter,
                           source_ip=actor.source_ip)
    new_req = result.request
    old_ids = [r.authorization_id for r in closing]
    for old in closing:
        change_status(old, Status.CLOSED, at=now, actor=actor,
                      reason=f"level of care changed from {old_level} to {new_level.id} on {changed_on.isoformat()}: "
                             f"replaced by {new_req.authorization_id} ({cmd.reason})",
                      data={"reason": "level_of_care_change", "replaced_by": new_req.authorization_id,
                            "from_level": old_level, "to_level": new_level.id})
        session.flush()
        deadlines.refresh(session, registry=registry, req=old)
        review.sync_item(session, pack=pack, req=old, now=now)
    record_event(new_req, at=now, type="level_of_care_changed", actor=actor,
                 reason=f"{old_level} to {new_level.id} on {changed_on.isoformat()}; replaces "
                        f"{', '.join(old_ids) or 'no open authorization'}",
                 data={"replaces": old_ids, "from_level": old_level, "to_level": new_level.id,
                       "episode_id": episode.id})
    late = _after_submit(session, registry=registry, pack=pack, req=new_req, now=now, required=required, due=due)
    frm, to = _units_and_dates(new_level, units, changed_on)
    link = EpisodeAuthorization(
        request_pk=new_req.id, role="level_of_care_change", level_of_care=new_level.id, units_requested=units,
        from_date=frm, to_date=to, supersedes_request_pk=closing[-1].id if closing else None, linked_at=now,
        notified_at=now, notification_required=required, notification_due_at=due, notification_late=late,
        clinical_documentation_received=any(a.kind == "clinical_documentation" for a in new_req.attachments))
    episode.authorizations.append(link)
    episode.level_of_care, episode.level_started_on = new_level.id, changed_on
    episode.estimated_length_of_stay, episode.estimated_los_source = _estimate(pack, new_level, new_req, changed_on)
    session.flush()
    audit.record(session, actor=actor, at=now, action="update", record_type="episode", record_id=str(episode.id),
                 member_id=episode.member.member_id, purpose="utilization_review")
    return link


def set_estimate(session: Session, *, episode: Episode, cmd: EstimateIn, now: datetime, actor: audit.Actor) -> None:
    """The nurse assigns the estimated length of stay (seed 004: 'assignment of ... estimated length of stay')."""
    episode.estimated_length_of_stay = cmd.estimated_length_of_stay
    episode.estimated_los_source = f"assigned by {actor.username} on {now.date().isoformat()}: {cmd.reason}"
    audit.record(session, actor=actor, at=now, action="update", record_type="episode", record_id=str(episode.id),
                 member_id=episode.member.member_id, purpose="utilization_review")


def discharge(session: Session, *, registry: PackRegistry, episode: Episode, cmd: DischargeIn, now: datetime,
              actor: audit.Actor) -> None:
    _ensure_active(episode)
    pack = pack_of(registry, episode)
    adm = rules(pack)
    if cmd.disposition not in adm.discharge_dispositions:
        raise DomainError(f"unknown disposition {cmd.disposition!r}",
                          details=[{"loc": ["body", "disposition"], "msg": f"one of {adm.discharge_dispositions}"}])
    today = pack.calendar.local(now).date()
    if not episode.admission_date <= cmd.discharge_date <= today:
        raise DomainError("the discharge date must fall between the admission date and today",
                          details=[{"loc": ["body", "discharge_date"], "msg": "out of range"}])
    episode.status, episode.discharge_date = "discharged", cmd.discharge_date
    episode.discharge_disposition, episode.discharged_at = cmd.disposition, now
    reqs = requests_of(session, episode)
    last = reqs[episode.authorizations[-1].request_pk]
    record_event(last, at=now, type="discharged", actor=actor,
                 reason=f"discharged {cmd.discharge_date.isoformat()} to {cmd.disposition}"
                        + (f": {cmd.note}" if cmd.note else ""),
                 data={"episode_id": episode.id, "disposition": cmd.disposition})
    audit.record(session, actor=actor, at=now, action="update", record_type="episode", record_id=str(episode.id),
                 member_id=episode.member.member_id, purpose="discharge_planning")


def add_need(session: Session, *, registry: PackRegistry, episode: Episode, cmd: NeedIn, now: datetime,
             actor: audit.Actor) -> DischargeNeed:
    adm = rules(pack_of(registry, episode))
    if cmd.need not in adm.discharge_needs:
        raise DomainError(f"unknown discharge need {cmd.need!r}",
                          details=[{"loc": ["body", "need"], "msg": f"one of {adm.discharge_needs}"}])
    need = DischargeNeed(need=cmd.need, description=cmd.description, owner=cmd.owner, due_date=cmd.due_date,
                         status="identified", created_at=now, created_by=actor.username, updated_at=now,
                         history=[{"at": now.isoformat(), "by": actor.username, "status": "identified",
                                   "owner": cmd.owner, "due_date": cmd.due_date.isoformat()}])
    episode.needs.append(need)
    session.flush()
    audit.record(session, actor=actor, at=now, action="update", record_type="episode", record_id=str(episode.id),
                 member_id=episode.member.member_id, purpose="discharge_planning")
    return need


def update_need(session: Session, *, episode: Episode, need_id: int, cmd: NeedUpdate, now: datetime,
                actor: audit.Actor) -> DischargeNeed:
    need = next((n for n in episode.needs if n.id == need_id), None)
    if need is None:
        raise NotFound(f"no discharge need {need_id} in episode {episode.id}")
    if cmd.status and cmd.status != need.status:
        if cmd.status not in NEED_FLOW[need.status]:
            raise DomainError(f"a {need.status} need cannot become {cmd.status}",
                              details=[{"loc": ["body", "status"],
                                        "msg": f"allowed: {sorted(NEED_FLOW[need.status])}"}])
        need.status = cmd.status
        if cmd.status == "completed":
            need.completed_at = now
    need.owner = cmd.owner or need.owner
    need.due_date = cmd.due_date or need.due_date
    need.updated_at = now
    need.history = [*need.history, {"at": now.isoformat(), "by": actor.username, "status": need.status,
                                    "owner": need.owner, "due_date": need.due_date.isoformat(),
                                    "note": cmd.note}]
    audit.record(session, actor=actor, at=now, action="update", record_type="episode", record_id=str(episode.id),
                 member_id=episode.member.member_id, purpose="discharge_planning")
    return need


def add_care_referral(session: Session, *, registry: PackRegistry, episode: Episode, cmd: CareReferralIn,
                      now: datetime, actor: audit.Actor) -> CareReferral:
    adm = rules(pack_of(registry, episode))
    programs = {p.id for p in adm.care_referral_programs}
    if cmd.program not in programs:
        raise DomainError(f"unknown program {cmd.program!r}",
                          details=[{"loc": ["body", "program"], "msg": f"one of {sorted(programs)}"}])
    ref = CareReferral(program=cmd.program, reason=cmd.reason, referred_at=now, referred_by=actor.username,
                       status="referred")
    episode.care_referrals.append(ref)
    reqs = requests_of(session, episode)
    record_event(reqs[episode.authorizations[-1].request_pk], at=now, type="care_referral", actor=actor,
                 reason=f"referred to {cmd.program}: {cmd.reason}", data={"episode_id": episode.id})
    session.flush()
    audit.record(session, actor=actor, at=now, action="update", record_type="episode", record_id=str(episode.id),
                 member_id=episode.member.member_id, purpose="care_coordination")
    return ref


def flag_quality(session: Session, *, registry: PackRegistry, episode: Episode, cmd: QualityFlagIn, now: datetime,
                 actor: audit.Actor) -> QualityFlag:
    """A potential quality-of-care concern, sent to the quality review queue as a work item."""
    pack = pack_of(registry, episode)
    adm = rules(pack)
    cats = {c.id for c in adm.quality_flags}
    if cmd.category not in cats:
        raise DomainError(f"unknown quality flag category {cmd.category!r}",
                          details=[{"loc": ["body", "category"], "msg": f"one of {sorted(cats)}"}])
    rf = review.routing_file(pack)
    if rf is None or adm.quality_queue not in {q.id for q in rf.queues}:
        raise DomainError(f"the plan's routing has no {adm.quality_queue!r} queue")
    reqs = requests_of(session, episode)
    target = _quality_target(session, episode, reqs)
    text = f"{cmd.category}" + (f" ({cmd.condition})" if cmd.condition else "") + f": {cmd.description}"
    item = WorkItem(request_pk=target.id, queue=adm.quality_queue, category=QUALITY_CATEGORY,
                    line_of_business=episode.line_of_business, urgency=Urgency.NON_URGENT.value, state="open",
                    due_at=None, created_at=now, reason=f"episode {episode.id}: {text}")
    session.add(item)
    session.flush()
    if Status(target.status) in OPEN_STATUSES:
        _keep_review_item_on_top(session, target, item)
    flag = QualityFlag(request_pk=target.id, work_item_id=item.id, category=cmd.category, condition=cmd.condition,
                       description=cmd.description, flagged_at=now, flagged_by=actor.username, status="open")
    episode.quality_flags.append(flag)
    record_event(target, at=now, type="quality_flag", actor=actor, reason=text,
                 data={"episode_id": episode.id, "queue": adm.quality_queue, "work_item_id": item.id})
    session.flush()
    audit.record(session, actor=actor, at=now, action="update", record_type="episode", record_id=str(episode.id),
                 member_id=episode.member.member_id, purpose="quality_review")
    return flag


QUALITY_CATEGORY = "quality_of_care"


def _quality_target(session: Session, episode: Episode,
                    reqs: dict[int, AuthorizationRequest]) -> AuthorizationRequest:
    """The request a quality work item hangs on: the episode's first decided one, else its first.

    review.service keeps one review item per request (the newest not done), so a quality item is kept
    off requests still in review where it can; see _keep_review_item_on_top and heal_quality_items.
    """
    decided = [reqs[a.request_pk] for a in episode.authorizations
               if Status(reqs[a.request_pk].status) not in OPEN_STATUSES]
    return decided[0] if decided else reqs[episode.authorizations[0].request_pk]


def _keep_review_item_on_top(session: Session, req: AuthorizationRequest, quality: WorkItem) -> None:
    """The request is still in review: re-file its review item after the quality item, so that
    review.service.work_item (the newest item not done) keeps finding the review item."""
    review_item = session.scalars(select(WorkItem).where(
        WorkItem.request_pk == req.id, WorkItem.state != "done", WorkItem.id != quality.id,
        WorkItem.category.is_distinct_from(QUALITY_CATEGORY)).order_by(WorkItem.id.desc()).limit(1)).one_or_none()
    if review_item is None:
        return
    fields = ("request_pk", "queue", "category", "line_of_business", "urgency", "due_at", "state",
              "assignee_user_id", "claimed_at", "waiting_until", "after_hours", "post_stabilization", "answer_by",
              "created_at", "reason")
    copy = WorkItem(**{f: getattr(review_item, f) for f in fields})
    session.delete(review_item)
    session.flush()
    session.add(copy)
    session.flush()


def heal_quality_items(session: Session, episode: Episode) -> None:
    """A decision on the request a quality item hangs on closes every item of that request
    (review.service.sync_item): an unresolved flag's item goes back to its queue."""
    ids = [f.work_item_id for f in episode.quality_flags if f.status == "open" and f.work_item_id]
    if not ids:
        return
    for item in session.scalars(select(WorkItem).where(WorkItem.id.in_(ids), WorkItem.state == "done")):
        item.state = "open"


def resolve_quality_flag(session: Session, *, episode: Episode, flag_id: int, resolution: str, now: datetime,
                         actor: audit.Actor) -> QualityFlag:
    flag = next((f for f in episode.quality_flags if f.id == flag_id), None)
    if flag is None:
        raise NotFound(f"no quality flag {flag_id} in episode {episode.id}")
    if flag.status != "open":
        raise Conflict(f"quality flag {flag_id} is already {flag.status}")
    flag.status, flag.resolved_at, flag.resolved_by, flag.resolution = "resolved", now, actor.username, resolution
    item = session.get(WorkItem, flag.work_item_id) if flag.work_item_id else None
    if item is not None:
        item.state = "done"
    req = session.get(AuthorizationRequest, flag.request_pk)
    if req is not None:
        record_event(req, at=now, type="quality_flag_resolved", actor=actor, reason=resolution,
                     data={"episode_id": episode.id, "flag_id": flag.id})
    audit.record(session, actor=actor, at=now, action="update", record_type="episode", record_id=str(episode.id),
                 member_id=episode.member.member_id, purpose="quality_review")
    return flag


def provider_only(req: AuthorizationRequest) -> bool:
    det = req.determination or {}
    return det.get("basis") == "administrative" and det.get("member_issued") is False


def refresh_liability(session: Session, episode: Episode, reqs: dict[int, AuthorizationRequest]) -> None:
    """Record when the member became liable: the delivery of the member's notice of an adverse decision."""
    for link in episode.authorizations:
        req = reqs[link.request_pk]
        if link.member_liability_from is not None or req.status not in ("denied", "partially_approved"):
            continue
        if provider_only(req):
            continue
        delivered = session.scalar(select(Notice.delivered_at).where(
            Notice.request_pk == req.id, Notice.recipient == "member", Notice.status == "delivered")
            .order_by(Notice.delivered_at).limit(1))
        if delivered is not None:
            link.member_liability_from = delivered
