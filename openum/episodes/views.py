"""The representation of an episode: the stay's figures, each authorization with its clocks, the plan."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.deadlines import service as deadlines
from openum.episodes import service, stay
from openum.episodes.models import Episode, EpisodeAuthorization
from openum.episodes.schemas import (
    CareReferralOut,
    EpisodeAuthorizationOut,
    EpisodeOut,
    NeedOut,
    NotificationOut,
    QualityFlagOut,
)
from openum.intake.models import AuthorizationRequest
from openum.intake.status import Status, provider_status
from openum.packs.registry import PackRegistry
from openum.review.models import WorkItem


def _notification(link: EpisodeAuthorization) -> NotificationOut | None:
    if link.notified_at is None:
        return None
    return NotificationOut(required=link.notification_required, received_at=link.notified_at,
                           due_at=link.notification_due_at, late=link.notification_late,
                           clinical_documentation_received=link.clinical_documentation_received)


def _liability(link: EpisodeAuthorization, req: AuthorizationRequest) -> str:
    if req.status not in ("denied", "partially_approved"):
        return "none"
    if service.provider_only(req):
        return "held_harmless"
    return "member_notified" if link.member_liability_from else "pending_member_notice"


def represent(session: Session, registry: PackRegistry, episode: Episode, now: datetime) -> EpisodeOut:
    pack = service.pack_of(registry, episode)
    adm = service.rules(pack)
    level = adm.level(episode.level_of_care)
    reqs = service.requests_of(session, episode)
    service.refresh_liability(session, episode, reqs)
    service.heal_quality_items(session, episode)
    cert = service.certification(session, pack, episode, reqs)
    today = pack.calendar.local(now).date()
    figs = stay.figures(admission_date=episode.admission_date, today=today, discharge_date=episode.discharge_date,
                        estimated_length_of_stay=episode.estimated_length_of_stay, certified=cert,
                        level_started_on=episode.level_started_on)
    by_pk = {r.id: r.authorization_id for r in reqs.values()}
    auths = []
    for link in episode.authorizations:
        req = reqs[link.request_pk]
        approved = [ln.approved_units for ln in req.lines if ln.approved_units is not None]
        auths.append(EpisodeAuthorizationOut(
            authorization_id=req.authorization_id, role=link.role, level_of_care=link.level_of_care,
            kind=req.kind, urgency=req.urgency, status=req.status,
            provider_status=provider_status(Status(req.status)).value, status_reason=req.status_reason,
            units_requested=link.units_requested, units_approved=sum(approved) if approved else None,
            from_date=link.from_date, to_date=link.to_date,
            supersedes=by_pk.get(link.supersedes_request_pk) if link.supersedes_request_pk else None,
            notification=_notification(link), member_liability=_liability(link, req),
            member_liability_from=link.member_liability_from,
            due_times=deadlines.to_out(deadlines.compute(registry, req), now)))
    liable = [a.member_liability_from for a in episode.authorizations if a.member_liability_from]
    first = episode.authorizations[0]
    items = {w.id: w for w in session.scalars(select(WorkItem).where(
        WorkItem.id.in_([f.work_item_id for f in episode.quality_flags if f.work_item_id])))} \
        if episode.quality_flags else {}
    programs = {p.id: p.name for p in adm.care_referral_programs}
    facility = episode.facility_npi
    return EpisodeOut(
        id=episode.id, plan_id=episode.plan_id, line_of_business=episode.line_of_business, status=episode.status,
        member={"member_id": episode.member.member_id, "first_name": episode.member.first_name,
                "last_name": episode.member.last_name},
        facility={"npi": facility, "organization_id": episode.servicing_organization_id},
        admission_type=episode.admission_type, level_of_care=episode.level_of_care,
        level_of_care_name=level.name if level else None, level_started_on=episode.level_started_on,
        unit=level.unit if level else "days", admitted_at=episode.admitted_at, admission_date=episode.admission_date,
        notification=_notification(first) or NotificationOut(required=False, received_at=None, due_at=None,
                                                             late=None, clinical_documentation_received=None),
        estimated_length_of_stay=episode.estimated_length_of_stay, estimated_los_source=episode.estimated_los_source,
        certified_units=cert.units, certified_through=cert.through, next_review_date=figs.next_review_date,
        length_of_stay=figs.length_of_stay, days_beyond_estimate=figs.days_beyond_estimate,
        discharge_date=episode.discharge_date, discharge_disposition=episode.discharge_disposition,
        discharge_planning_started_at=episode.discharge_planning_started_at,
        member_liability={
            "until_member_notified": adm.member_liability_until_member_notified,
            "liable_from": min(liable) if liable else None,
            "pending_member_notice": [reqs[a.request_pk].authorization_id for a in episode.authorizations
                                      if _liability(a, reqs[a.request_pk]) == "pending_member_notice"],
        },
        authorizations=auths,
        discharge_needs=[NeedOut(id=n.id, need=n.need, description=n.description, owner=n.owner,
                                 due_date=n.due_date, status=n.status, created_at=n.created_at,
                                 completed_at=n.completed_at, history=n.history,
                                 overdue=n.status not in ("completed", "cancelled") and n.due_date < today)
                         for n in episode.needs],
        care_referrals=[CareReferralOut(id=r.id, program=r.program, program_name=programs.get(r.program),
                                        reason=r.reason, referred_at=r.referred_at, referred_by=r.referred_by,
                                        status=r.status) for r in episode.care_referrals],
        quality_flags=[QualityFlagOut(id=f.id, category=f.category, condition=f.condition, description=f.description,
                                      flagged_at=f.flagged_at, flagged_by=f.flagged_by,
                                      queue=items[f.work_item_id].queue if f.work_item_id in items else None,
                                      work_item_id=f.work_item_id, status=f.status, resolution=f.resolution,
                                      resolved_at=f.resolved_at, resolved_by=f.resolved_by,
                                      work_item_state=items[f.work_item_id].state if f.work_item_id in items else None)
                       for f in episode.quality_flags],
    )
