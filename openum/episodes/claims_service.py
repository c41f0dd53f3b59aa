"""Claims meet authorizations: is a billed line covered, consume its units, say what remains.

Units are taken with one conditional UPDATE (`used_units + n <= approved_units`), so two claims racing
for the last units cannot both succeed: on PostgreSQL the second waits for the first's row lock and
then re-checks the condition against the committed value; on SQLite writers are serialized.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openum.audit import service as audit
from openum.clock import Clock
from openum.coverage import rules as coverage_rules
from openum.directory import service as directory
from openum.episodes import matching, retro_service
from openum.episodes.common import resolve_plan
from openum.episodes.models import ClaimCheck
from openum.episodes.schemas import ClaimAnswer, ClaimLineIn
from openum.errors import Conflict
from openum.intake.models import AuthorizationRequest, ServiceLine
from openum.intake.schemas import MemberRef, ServiceLineIn, SubmitRequest, Submitter
from openum.intake.storage import AttachmentStore
from openum.packs.registry import PackRegistry
from openum.packs.schema import Requirement

# Which retrospective reason a mismatch opens (pack reason ids shared by both reference packs).
RETRO_REASON = {
    "code_mismatch": "billed_code_differs",
    "after_expiry": "service_after_authorization_expired",
    "no_authorization": "provider_unaware_authorization_required",
    "provider_mismatch": "provider_unaware_authorization_required",
    "units_exhausted": "provider_unaware_authorization_required",
    "dates_outside": "provider_unaware_authorization_required",
}


def _answer(row: ClaimCheck, line: ServiceLine | None, aid: str | None, retro_aid: str | None,
            replayed: bool = False, held_harmless: bool | None = None) -> ClaimAnswer:
    return ClaimAnswer(
        claim_id=row.claim_id, line_number=row.line_number,
        covered=row.outcome in ("covered", "no_authorization_required"),
        outcome=row.outcome, authorization_id=aid, line_sequence=line.sequence if line else None,
        units_applied=row.units_applied, approved_units=line.approved_units if line else None,
        used_units=line.used_units if line else None, remaining_units=row.remaining_units, reasons=row.reasons,
        member_held_harmless=held_harmless, retrospective_authorization_id=retro_aid, replayed=replayed)


def _candidates(session: Session, *, plan_id: str, member_pk: int) -> list[matching.Candidate]:
    rows = session.execute(
        select(ServiceLine, AuthorizationRequest.authorization_id, AuthorizationRequest.status,
               AuthorizationRequest.servicing_npi, AuthorizationRequest.facility_npi)
        .join(AuthorizationRequest, AuthorizationRequest.id == ServiceLine.request_pk)
        .where(AuthorizationRequest.plan_id == plan_id, AuthorizationRequest.member_pk == member_pk)
    ).all()
    return [matching.Candidate(
        line_pk=ln.id, request_pk=ln.request_pk, authorization_id=aid, status=status, code=ln.code,
        npis=frozenset(n for n in (serv, fac) if n), decision=ln.decision, approved_units=ln.approved_units or 0,
        used_units=ln.used_units or 0, approved_from=ln.approved_from, approved_to=ln.approved_to)
        for ln, aid, status, serv, fac in rows]


def _consume(session: Session, line_pk: int, units: int) -> bool:
    result = cast(CursorResult[Any], session.execute(
        update(ServiceLine)
        .where(ServiceLine.id == line_pk, ServiceLine.used_units + units <= ServiceLine.approved_units)
        .values(used_units=ServiceLine.used_units + units)
        .execution_options(synchronize_session=False)))
    return bool(result.rowcount == 1)


def check(session: Session, *, registry: PackRegistry, clock: Clock, store: AttachmentStore, cmd: ClaimLineIn,
          submitter: Submitter, actor: audit.Actor) -> ClaimAnswer:
    now = clock.now()
    plan_id = resolve_plan(session, registry, plan_id=cmd.plan_id, organization_id=None, member_id=cmd.member_id)
    key = f"{plan_id}:{cmd.claim_id}:{cmd.line_number}"
    done = session.scalars(select(ClaimCheck).where(ClaimCheck.consumption_key == key)).one_or_none()
    if done is not None:
        line = session.get(ServiceLine, done.line_pk) if done.line_pk else None
        req = session.get(AuthorizationRequest, done.request_pk) if done.request_pk else None
        return _answer(done, line, req.authorization_id if req else None, None, replayed=True)
    pack = registry.in_force(plan_id, now)
    to_date = cmd.to_date or cmd.from_date
    billed = matching.Billed(cmd.code, cmd.servicing_provider_npi, cmd.from_date, to_date, cmd.units)
    member = directory.find_member(session, plan_id=plan_id, member_id=cmd.member_id)
    outcome, reasons = "mismatch", []
    chosen: matching.Candidate | None = None
    held_harmless: bool | None = None
    if member is None:
        reasons = [matching.Reason("member_not_found", f"no member {cmd.member_id} in {pack.manifest.plan.name}")]
    else:
        found = matching.match(_candidates(session, plan_id=plan_id, member_pk=member.id), billed)
        for cand in found.candidates:
            if _consume(session, cand.line_pk, cmd.units):
                chosen, outcome = cand, "covered"
                break
        if found.candidates and chosen is None:
            # Another claim took the units between reading and consuming.
            line = session.get(ServiceLine, found.candidates[0].line_pk, populate_existing=True)
            left = max((line.approved_units or 0) - line.used_units, 0) if line else 0
            reasons = [matching.Reason("units_exhausted", f"{cmd.units} unit(s) billed but only {left} remain",
                                       found.candidates[0].authorization_id)]
        elif chosen is None:
            reasons = list(found.reasons)
        if chosen is None and not reasons:
            lob = coverage_rules.eligibility(directory.member_facts(member), cmd.from_date, None).line_of_business \
                or pack.manifest.lines_of_business[0].id
            need = pack.requirement(cmd.code, lob)
            if need in (Requirement.NONE, Requirement.REQUESTED_NOTIFICATION):
                outcome = "no_authorization_required"
                reasons = [matching.Reason("no_authorization_required",
                                           f"{cmd.code} needs no authorization for {lob}")]
            elif need is Requirement.REQUIRED_NOTIFICATION:
                held_harmless = True
                reasons = [matching.Reason("notification_missing",
                                           "required notification was not made: administrative denial to the "
                                           "provider; the member is held harmless")]
            else:
                held_harmless = True
                reasons = [matching.Reason("no_authorization",
                                           f"{cmd.code} needs prior authorization and none is on file: "
                                           "administrative denial to the provider; the member is held harmless")]
    line = session.get(ServiceLine, chosen.line_pk, populate_existing=True) if chosen else None
    retro_aid = None
    retro_pk = None
    if chosen is None and member is not None and cmd.open_retrospective_review and reasons \
            and reasons[0].code in RETRO_REASON:
        original = session.scalars(select(AuthorizationRequest).where(
            AuthorizationRequest.authorization_id == reasons[0].authorization_id)).one_or_none() \
            if reasons[0].authorization_id else None
        sub = SubmitRequest(
            plan_id=plan_id, member=MemberRef(member_id=cmd.member_id),
            requesting_provider_npi=cmd.servicing_provider_npi, servicing_provider_npi=cmd.servicing_provider_npi,
            service_lines=[ServiceLineIn(code=cmd.code, units=cmd.units, from_date=cmd.from_date, to_date=to_date)],
            diagnoses=cmd.diagnoses,
            clinical_indications=f"Opened from claim {cmd.claim_id} line {cmd.line_number}: {reasons[0].message}")
        req, _, _ = retro_service.submit(session, registry=registry, clock=clock, store=store, cmd=sub,
                                         reason=RETRO_REASON[reasons[0].code], submitter=submitter, actor=actor,
                                         original=original)
        retro_aid, retro_pk = req.authorization_id, req.id
    remaining = max((line.approved_units or 0) - line.used_units, 0) if line else None
    row = ClaimCheck(
        plan_id=plan_id, claim_id=cmd.claim_id, line_number=cmd.line_number,
        consumption_key=key if chosen else None, member_id=cmd.member_id, servicing_npi=cmd.servicing_provider_npi,
        code=cmd.code, from_date=cmd.from_date, to_date=to_date, units=cmd.units, outcome=outcome,
        reasons=[r.as_dict() for r in reasons], request_pk=chosen.request_pk if chosen else None,
        line_pk=chosen.line_pk if chosen else None, units_applied=cmd.units if chosen else 0,
        remaining_units=remaining, retrospective_request_pk=retro_pk, checked_at=now, checked_by=actor.username)
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"claim {cmd.claim_id} line {cmd.line_number} is being checked by another call") from exc
    audit.record(session, actor=actor, at=now, action="update" if chosen else "read",
                 record_type="authorization_request", record_id=chosen.authorization_id if chosen else None,
                 member_id=cmd.member_id, purpose="payment")
    return _answer(row, line, chosen.authorization_id if chosen else None, retro_aid, held_harmless=held_harmless)


def utilization(session: Session, req: AuthorizationRequest) -> list[ClaimCheck]:
    return list(session.scalars(select(ClaimCheck).where(ClaimCheck.request_pk == req.id).order_by(ClaimCheck.id)))
