"""Out-of-network exceptions and continuity of care against the directory, letters of agreement, and
out-of-network request counts for network-adequacy review."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openum.audit import service as audit
from openum.coverage import rules as coverage_rules
from openum.deadlines import service as deadlines
from openum.directory import service as directory
from openum.directory.models import Member, NetworkSpan, Provider
from openum.episodes import continuity
from openum.episodes.common import section
from openum.episodes.models import LetterOfAgreement, OutOfNetworkException
from openum.episodes.pack_schema import NetworkAccessFile
from openum.episodes.schemas import ContinuityIn, LetterOfAgreementIn
from openum.errors import Conflict, DomainError
from openum.intake.history import record_event
from openum.intake.models import AuthorizationRequest
from openum.intake.status import Status
from openum.packs.registry import PackRegistry


def _service_date(req: AuthorizationRequest) -> date:
    days = [ln.from_date for ln in req.lines if ln.from_date]
    if req.admission_date:
        days.append(req.admission_date)
    if not days:
        raise DomainError(f"request {req.authorization_id} has no date of service")
    return min(days)


def _provider(session: Session, req: AuthorizationRequest) -> tuple[Provider | None, str | None, bool]:
    """The out-of-network party: the servicing practitioner, else the facility."""
    if req.servicing_npi:
        return (session.get(Provider, req.servicing_provider_id) if req.servicing_provider_id else None,
                req.servicing_npi, False)
    return (session.get(Provider, req.facility_id) if req.facility_id else None, req.facility_npi, True)


def in_network_count(session: Session, *, plan_id: str, specialty: str, lob: str, on: date,
                     excluding: str | None) -> int:
    """In-network providers of a specialty on a date, from the directory."""
    q = (select(func.count(func.distinct(Provider.id))).join(NetworkSpan, NetworkSpan.provider_id == Provider.id)
         .where(Provider.plan_id == plan_id, func.lower(Provider.specialty) == specialty.strip().lower(),
                NetworkSpan.line_of_business == lob, NetworkSpan.start <= on,
                (NetworkSpan.end.is_(None)) | (NetworkSpan.end >= on),
                (Provider.terminated_on.is_(None)) | (Provider.terminated_on >= on)))
    if excluding:
        q = q.where(Provider.npi != excluding)
    return int(session.scalar(q) or 0)


def loa_of(session: Session, req: AuthorizationRequest) -> LetterOfAgreement | None:
    return session.scalars(select(LetterOfAgreement).where(LetterOfAgreement.request_pk == req.id)).one_or_none()


def evaluate(session: Session, *, registry: PackRegistry, req: AuthorizationRequest, cmd: ContinuityIn,
             now: datetime, actor: audit.Actor) -> tuple[continuity.Evaluation, OutOfNetworkException, str | None]:
    """Every out-of-network and continuity-of-care condition for the request, recorded on it."""
    pack = deadlines.pack_for(registry, req)
    access = section(pack, "network_access", NetworkAccessFile)
    member: Member | None = req.member
    if member is None:
        raise DomainError(f"request {req.authorization_id} has no member on file")
    day = _service_date(req)
    provider, npi, facility = _provider(session, req)
    mfacts = directory.member_facts(member)
    pfacts = directory.provider_facts(provider) if provider else None
    net = coverage_rules.network(pfacts, npi, day, req.line_of_business, mfacts, pack)
    specialty = cmd.needed_specialty or (provider.specialty if provider else None)
    count = in_network_count(session, plan_id=req.plan_id, specialty=specialty, lob=req.line_of_business, on=day,
                             excluding=npi) if specialty else None
    preg = continuity.Pregnancy(cmd.pregnancy.expected_delivery_date, cmd.pregnancy.first_postpartum_visit_date) \
        if cmd.pregnancy else None
    facts = continuity.ClinicalFacts(**{**cmd.model_dump(exclude={"pregnancy", "needed_specialty"}), "pregnancy": preg})
    ev = continuity.evaluate(
        service_date=day, provider=pfacts, provider_in_network=net.status == "in_network", facility=facility,
        member=mfacts, line_of_business=req.line_of_business, facts=facts, in_network_with_specialty=count,
        needed_specialty=specialty, coc=pack.continuity, access=access, calendar=pack.calendar,
        asked_on=pack.calendar.local(now).date())
    row = OutOfNetworkException(
        request_pk=req.id, evaluated_at=now, evaluated_by=actor.username, facts=cmd.model_dump(mode="json"),
        conditions=[{**asdict(c), "covered_until": c.covered_until.isoformat() if c.covered_until else None}
                    for c in ev.conditions],
        eligible=ev.eligible, basis=ev.basis, covered_until=ev.covered_until, open_ended=ev.open_ended)
    session.add(row)
    until = "open-ended" if ev.open_ended else (ev.covered_until.isoformat() if ev.covered_until else None)
    record_event(req, at=now, type="continuity_of_care_evaluated", actor=actor,
                 reason=(f"out-of-network exception applies: {ev.basis}" + (f", covered {until}" if until else "")
                         if ev.eligible else "no out-of-network or continuity-of-care condition is met"),
                 data={"basis": ev.basis, "covered_until": until, "provider_status": ev.provider_status,
                       "met": [c.id for c in ev.met]})
    session.flush()
    audit.record(session, actor=actor, at=now, action="update", record_type="authorization_request",
                 record_id=req.authorization_id, member_id=member.member_id, purpose="utilization_review")
    return ev, row, npi


def is_out_of_network(req: AuthorizationRequest) -> bool:
    provider = (req.coverage or {}).get("provider") or {}
    return provider.get("in_network") is False


def record_loa(session: Session, *, registry: PackRegistry, req: AuthorizationRequest, cmd: LetterOfAgreementIn,
               now: datetime, actor: audit.Actor) -> LetterOfAgreement:
    """One letter of agreement for each unique out-of-network authorization (seed 004)."""
    if not is_out_of_network(req):
        raise Conflict(f"request {req.authorization_id} is with an in-network provider: no letter of agreement")
    if loa_of(session, req) is not None:
        raise Conflict(f"a letter of agreement is already recorded for {req.authorization_id}")
    if cmd.effective_to is not None and cmd.effective_to < cmd.effective_from:
        raise DomainError("effective_to is before effective_from")
    provider, npi, _ = _provider(session, req)
    loa = LetterOfAgreement(request_pk=req.id, provider_npi=npi or "",
                            provider_name=provider.name if provider else None,
                            terms=cmd.terms, rate_basis=cmd.rate_basis, effective_from=cmd.effective_from,
                            effective_to=cmd.effective_to, status=cmd.status, recorded_at=now,
                            recorded_by=actor.username)
    session.add(loa)
    record_event(req, at=now, type="letter_of_agreement", actor=actor,
                 reason=f"letter of agreement with {npi} ({cmd.status}): {cmd.rate_basis}",
                 data={"provider_npi": npi, "status": cmd.status})
    session.flush()
    audit.record(session, actor=actor, at=now, action="update", record_type="authorization_request",
                 record_id=req.authorization_id, member_id=req.member.member_id if req.member else None,
                 purpose="contracting")
    return loa


def _area(member: Member | None, how: str) -> str:
    if member is None:
        return "unknown"
    if how == "postal_code":
        return member.postal_code
    if how == "postal_prefix":
        return member.postal_code[:3]
    return f"{member.city}, {member.state}"


def adequacy(session: Session, *, registry: PackRegistry, plan_id: str, start: datetime, end: datetime) -> dict:  # type: ignore[type-arg]
    """Out-of-network requests received in [start, end), counted by service and by the member's area."""
    pack = registry.versions(plan_id)[-1]
    how = section(pack, "network_access", NetworkAccessFile).adequacy_area
    reqs = session.scalars(select(AuthorizationRequest).where(
        AuthorizationRequest.plan_id == plan_id, AuthorizationRequest.received_at >= start,
        AuthorizationRequest.received_at < end,
        AuthorizationRequest.status.not_in([Status.WITHDRAWN.value, Status.VOIDED.value]))).all()
    by_service: Counter[tuple[str, str]] = Counter()
    by_area: Counter[str] = Counter()
    both: Counter[tuple[str, str, str]] = Counter()
    npis: dict[tuple[str, str, str], set[str]] = {}
    total = 0
    for r in reqs:
        if not is_out_of_network(r):
            continue
        total += 1
        area = _area(r.member, how)
        by_area[area] += 1
        for ln in r.lines:
            svc = pack.service(ln.code)
            cat = svc.category if svc else "unlisted"
            by_service[(cat, ln.code)] += 1
            both[(cat, ln.code, area)] += 1
            npis.setdefault((cat, ln.code, area), set()).add(r.servicing_npi or r.facility_npi or "")
    return {
        "plan_id": plan_id, "from": start, "to": end, "area": how, "out_of_network_requests": total,
        "by_service": [{"category": c, "code": code, "count": n} for (c, code), n in sorted(by_service.items())],
        "by_area": [{"area": a, "count": n} for a, n in sorted(by_area.items())],
        "by_service_and_area": [{"category": c, "code": code, "area": a, "count": n,
                                 "providers": sorted(npis[(c, code, a)])}
                                for (c, code, a), n in sorted(both.items())],
    }
