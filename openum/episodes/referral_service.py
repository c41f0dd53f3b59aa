"""PCP referrals to specialists: who may refer, what needs none, in network recorded, out of network to
prior authorization (through intake), and whether the PCP notified the plan in time."""

from __future__ import annotations

from sqlalchemy.orm import Session

from openum.audit import service as audit
from openum.clock import Clock
from openum.coverage import rules as coverage_rules
from openum.directory import service as directory
from openum.episodes import referral_rules
from openum.episodes.common import resolve_plan, section
from openum.episodes.models import Referral
from openum.episodes.pack_schema import ReferralsFile
from openum.episodes.schemas import ReferralIn
from openum.errors import DomainError, NotFound
from openum.intake import service as intake
from openum.intake.schemas import MemberRef, ServiceLineIn, SubmitRequest, Submitter
from openum.intake.storage import AttachmentStore
from openum.packs.registry import PackRegistry
from openum.packs.schema import Setting
from openum.vocabulary import RequestKind


class ReferralRefused(DomainError):
    code = "referral_refused"
    http_status = 422


def refer(session: Session, *, registry: PackRegistry, clock: Clock, store: AttachmentStore, cmd: ReferralIn,
          submitter: Submitter, actor: audit.Actor) -> Referral:
    now = clock.now()
    plan_id = resolve_plan(session, registry, plan_id=cmd.plan_id, organization_id=submitter.organization_id,
                           member_id=cmd.member_id)
    pack = registry.in_force(plan_id, now)
    rules = section(pack, "referrals", ReferralsFile)
    member = directory.find_member(session, plan_id=plan_id, member_id=cmd.member_id)
    if member is None:
        raise NotFound(f"no member {cmd.member_id} in {pack.manifest.plan.name}")
    today = pack.calendar.local(now).date()
    day = cmd.first_visit_date or today
    mfacts = directory.member_facts(member)
    elig = coverage_rules.eligibility(mfacts, day, None)
    if not elig.eligible:
        raise ReferralRefused(f"member {cmd.member_id} is {elig.reason}",
                              details=[{"rule": "member-eligible", "msg": elig.reason}])
    lob = elig.line_of_business or pack.manifest.lines_of_business[0].id
    lob_def = pack.line_of_business(lob)
    specialist = directory.find_provider(session, plan_id=plan_id, npi=cmd.specialist_npi)
    net = coverage_rules.network(directory.provider_facts(specialist) if specialist else None, cmd.specialist_npi,
                                 day, lob, mfacts, pack)
    specialty = cmd.specialty or (specialist.specialty if specialist else None)
    setting = cmd.setting.value if cmd.setting else None
    facts = referral_rules.ReferralFacts(
        plan_product=member.plan_product,
        categories=frozenset(svc.category for c in cmd.service_codes if (svc := pack.service(c))),
        specialty=specialty, codes=frozenset(c.upper() for c in cmd.service_codes), diagnoses=tuple(cmd.diagnoses),
        setting=setting, purpose=cmd.purpose, specialist_in_network=net.in_network)
    notes: list[str] = list(net.notes)
    exemption = referral_rules.exemption(rules, facts)
    status = "recorded"
    if lob_def is not None and not lob_def.referrals_required:
        status, exemption = "not_required", (f"line-of-business-{lob}", f"{lob} needs no referrals")
    elif exemption is not None:
        status = "not_required"
    if status != "not_required" and rules.pcp_only and not referral_rules.is_pcp(cmd.referring_provider_npi,
                                                                                   member.pcp_npi):
        raise ReferralRefused(
            f"only the member's PCP ({member.pcp_npi or 'none on file'}) may refer to a specialist; "
            f"{cmd.referring_provider_npi} is not",
            details=[{"rule": "pcp-only", "loc": ["body", "referring_provider_npi"], "msg": rules.citation}])
    if exemption is not None:
        notes.append(f"no referral needed: {exemption[1]}")
    timing = referral_rules.timing(rules.notification_window, notified_on=today, first_visit=cmd.first_visit_date)
    if timing.timely is False:
        notes.append(f"the PCP notified the plan on {today.isoformat()}, after the window that closed on "
                     f"{timing.window_until}: payment is subject to denial")
    request_pk = None
    if status == "recorded" and not net.in_network and rules.out_of_network_requires_prior_authorization:
        if not cmd.service_codes:
            raise DomainError("an out-of-network referral goes to prior authorization: give the service codes",
                              details=[{"loc": ["body", "service_codes"], "msg": "required out of network"}])
        sub = SubmitRequest(
            plan_id=plan_id, line_of_business=lob, kind=RequestKind.PRE_SERVICE,
            member=MemberRef(member_id=cmd.member_id),
            requesting_provider_npi=cmd.referring_provider_npi, servicing_provider_npi=cmd.specialist_npi,
            setting=cmd.setting or Setting.OFFICE,
            service_lines=[ServiceLineIn(code=c, units=cmd.visits or 1, from_date=day) for c in cmd.service_codes],
            diagnoses=cmd.diagnoses, clinical_indications=cmd.clinical_indications or cmd.reason,
            attachments=cmd.attachments)
        result = intake.submit(session, registry=registry, clock=clock, store=store, cmd=sub, submitter=submitter,
                               source_ip=actor.source_ip)
        request_pk = result.request.id
        status = "prior_authorization_required"
        notes.append(f"out-of-network specialist: sent to prior authorization as {result.request.authorization_id}")
    ref = Referral(
        plan_id=plan_id, line_of_business=lob, member_pk=member.id, referring_npi=cmd.referring_provider_npi,
        specialist_npi=cmd.specialist_npi, specialist_provider_id=specialist.id if specialist else None,
        specialty=specialty, purpose=cmd.purpose, service_codes=[c.upper() for c in cmd.service_codes],
        diagnoses=list(cmd.diagnoses), reason=cmd.reason, visits=cmd.visits, first_visit_date=cmd.first_visit_date,
        notified_at=now, notified_on=today, window_until=timing.window_until,
        notified_before_first_visit=timing.before_first_visit, timely=timing.timely, status=status,
        exemption=exemption[0] if exemption else None, in_network=net.in_network, request_pk=request_pk,
        submitter_organization_id=submitter.organization_id,
        servicing_organization_id=specialist.organization_id if specialist else None,
        created_by=actor.username, notes=notes)
    session.add(ref)
    session.flush()
    audit.record(session, actor=actor, at=now, action="create", record_type="referral", record_id=str(ref.id),
                 member_id=cmd.member_id, purpose="referral_management")
    return ref
