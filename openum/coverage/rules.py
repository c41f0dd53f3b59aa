"""Pure coverage rules over plain data: no database, so every branch is easy to test."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from openum.packs.loader import PlanPack
from openum.packs.schema import Requirement, Setting


class LineOutcome(StrEnum):
    NO_AUTHORIZATION_NEEDED = "no_authorization_needed"
    NOTIFICATION_REQUESTED = "notification_requested"
    NOT_PLAN_RESPONSIBILITY = "not_plan_responsibility"
    DELEGATED = "delegated"
    NOTIFICATION_REQUIRED = "notification_required"
    AUTHORIZATION_REQUIRED = "authorization_required"
    MEDICAL_NECESSITY_REVIEW = "medical_necessity_review"
    ADMINISTRATIVE_DENIAL = "administrative_denial"


# Most demanding first: the request's overall answer is its most demanding line.
_PRIORITY = [
    LineOutcome.ADMINISTRATIVE_DENIAL,
    LineOutcome.MEDICAL_NECESSITY_REVIEW,
    LineOutcome.AUTHORIZATION_REQUIRED,
    LineOutcome.NOTIFICATION_REQUIRED,
    LineOutcome.DELEGATED,
    LineOutcome.NOT_PLAN_RESPONSIBILITY,
    LineOutcome.NOTIFICATION_REQUESTED,
    LineOutcome.NO_AUTHORIZATION_NEEDED,
]


class DenialReason(StrEnum):
    MEMBER_INELIGIBLE = "member_ineligible"
    SERVICE_EXCLUDED = "service_excluded"
    BENEFIT_EXHAUSTED = "benefit_exhausted"


@dataclass(frozen=True)
class SpanFact:
    line_of_business: str
    start: date
    end: date | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class MemberFacts:
    member_id: str
    birth_date: date
    eligibility: list[SpanFact]
    pcp_npi: str | None
    plan_product: str | None = None

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


@dataclass(frozen=True)
class ProviderFacts:
    npi: str
    network: list[SpanFact]
    terminated_on: date | None
    is_pcp: bool


@dataclass(frozen=True)
class LineQuery:
    code: str
    units: int = 1


@dataclass
class NetworkAnswer:
    npi: str | None
    found: bool
    in_network: bool
    status: str  # in_network | out_of_network | terminated | continuity_of_care | unknown
    terminated_on: date | None = None
    continuity_basis: str | None = None
    continuity_until: date | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class EligibilityAnswer:
    found: bool
    eligible: bool
    line_of_business: str | None
    age: int | None
    span_start: date | None = None
    span_end: date | None = None
    reason: str | None = None


@dataclass
class LineAnswer:
    code: str
    units: int
    description: str | None
    category: str | None
    listed: bool
    requirement: Requirement
    outcome: LineOutcome
    delegated_to: dict[str, str | None] | None = None
    carve_out: dict[str, str | None] | None = None
    benefit: dict[str, object] | None = None
    denial_reason: DenialReason | None = None
    member_issued: bool | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class CoverageAnswer:
    plan_id: str
    pack_version: str
    date_of_service: date
    member: EligibilityAnswer
    provider: NetworkAnswer
    lines: list[LineAnswer]
    outcome: LineOutcome
    denial_reason: DenialReason | None = None
    member_issued: bool | None = None
    messages: list[str] = field(default_factory=list)


def eligibility(member: MemberFacts | None, day: date, lob_hint: str | None) -> EligibilityAnswer:
    """Is the member enrolled on the date of service, and in which line of business?"""
    if member is None:
        return EligibilityAnswer(found=False, eligible=False, line_of_business=lob_hint, age=None,
                                 reason="member not found in the plan's enrollment")
    age = member.age_on(day)
    spans = [s for s in member.eligibility if s.covers(day)]
    if lob_hint is not None:
        spans = [s for s in spans if s.line_of_business == lob_hint]
    if not spans:
        last = max(member.eligibility, key=lambda s: s.start, default=None)
        return EligibilityAnswer(
            found=True, eligible=False, age=age,
            line_of_business=lob_hint or (last.line_of_business if last else None),
            reason=f"not enrolled on {day.isoformat()}"
            + (f" in {lob_hint}" if lob_hint else ""),
        )
    span = spans[0]
    return EligibilityAnswer(found=True, eligible=True, line_of_business=span.line_of_business,
                             age=age, span_start=span.start, span_end=span.end)


def network(
    provider: ProviderFacts | None,
    npi: str | None,
    day: date,
    lob: str | None,
    member: MemberFacts | None,
    pack: PlanPack,
) -> NetworkAnswer:
    """Network status on the date, with the continuity-of-care windows of the pack."""
    if provider is None:
        return NetworkAnswer(npi=npi, found=False, in_network=False,
                             status="unknown" if npi is None else "out_of_network",
                             notes=[] if npi is None else [f"NPI {npi} is not in the plan's directory"])
    spans = [s for s in provider.network if lob is None or s.line_of_business == lob]
    if provider.terminated_on is not None and day > provider.terminated_on:
        coc = pack.continuity
        if member is not None and member.pcp_npi == provider.npi:
            until = provider.terminated_on + timedelta(days=coc.pcp_after_termination_days)
            if day <= until:
                return NetworkAnswer(
                    npi=provider.npi, found=True, in_network=True, status="continuity_of_care",
                    terminated_on=provider.terminated_on, continuity_basis="pcp_after_termination",
                    continuity_until=until,
                    notes=[f"the member's PCP left the network on {provider.terminated_on}; "
                           f"covered as in network through {until} (continuity of care)"],
                )
        active_until = provider.terminated_on + timedelta(days=coc.active_treatment_after_termination_days)
        notes = [f"provider left the network on {provider.terminated_on}"]
        if day <= active_until:
            notes.append(f"continuity of care may apply through {active_until} for a member in "
                         "active treatment, pregnancy or terminal illness: request it for review")
        return NetworkAnswer(npi=provider.npi, found=True, in_network=False, status="terminated",
                             terminated_on=provider.terminated_on, notes=notes)
    if any(s.covers(day) for s in spans):
        return NetworkAnswer(npi=provider.npi, found=True, in_network=True, status="in_network",
                             terminated_on=provider.terminated_on)
    notes = ["not a participating provider on the date of service"]
    if member is not None and lob is not None:
        starts = [s.start for s in member.eligibility if s.line_of_business == lob and s.covers(day)]
        if starts and (day - starts[0]).days <= pack.continuity.new_member_days:
            notes.append("the member enrolled within the continuity-of-care window for new members: "
                         "an ongoing course of treatment may be covered on review")
    return NetworkAnswer(npi=provider.npi, found=True, in_network=False, status="out_of_network",
                         notes=notes)


def _benefit(pack: PlanPack, limit_id: str, used: int, requested: int) -> dict[str, object]:
    limit = next(b for b in pack.catalog.benefit_limits if b.id == limit_id)
    remaining = max(limit.quantity - used, 0)
    return {"id": limit.id, "description": limit.description, "quantity": limit.quantity,
            "unit": limit.unit, "period": limit.period, "used": used, "remaining": remaining,
            "exhausted": remaining == 0, "requested_exceeds_remaining": requested > remaining}


def line(
    pack: PlanPack,
    q: LineQuery,
    *,
    lob: str,
    age: int | None,
    setting: Setting | None,
    in_network: bool,
    benefit_used: int,
) -> LineAnswer:
    """The answer for one service code."""
    svc = pack.service(q.code)
    lob_def = pack.line_of_business(lob)
    requirement = pack.requirement(q.code, lob)
    ans = LineAnswer(code=q.code.upper(), units=q.units, description=svc.description if svc else None,
                     category=svc.category if svc else None, listed=svc is not None,
                     requirement=requirement, outcome=LineOutcome.NO_AUTHORIZATION_NEEDED)
    epsdt = (lob_def is not None and lob_def.epsdt_under_age is not None and age is not None
             and age < lob_def.epsdt_under_age)

    if svc is not None and svc.carve_out is not None:
        carve = next(c for c in pack.catalog.carve_outs if c.id == svc.carve_out)
        ans.carve_out = {"id": carve.id, "name": carve.name, "instructions": carve.instructions,
                         "contact": carve.contact}
        ans.outcome = LineOutcome.NOT_PLAN_RESPONSIBILITY
        return ans

    outside_benefit: DenialReason | None = None
    if requirement is Requirement.EXCLUDED:
        outside_benefit = DenialReason.SERVICE_EXCLUDED
    elif svc is not None and svc.benefit_limit is not None:
        ans.benefit = _benefit(pack, svc.benefit_limit, benefit_used, q.units)
        if ans.benefit["exhausted"]:
            outside_benefit = DenialReason.BENEFIT_EXHAUSTED
    if outside_benefit is not None:
        if epsdt:
            ans.outcome = LineOutcome.MEDICAL_NECESSITY_REVIEW
            ans.notes.append(f"outside the benefit plan ({outside_benefit.value}), but the member is "
                             f"under {lob_def.epsdt_under_age if lob_def else ''}: EPSDT requires a "
                             "medical-necessity review instead of an administrative denial")
        else:
            ans.outcome = LineOutcome.ADMINISTRATIVE_DENIAL
            ans.denial_reason = outside_benefit
            ans.member_issued = True
        return ans

    if svc is not None and svc.delegate is not None:
        delegate = next(d for d in pack.delegates.delegates if d.id == svc.delegate)
        if setting is not None and setting in delegate.no_authorization_in_settings:
            ans.requirement = Requirement.NONE
            ans.notes.append(f"not subject to authorization when rendered in the {setting.value} setting")
        elif setting is None or setting not in delegate.not_delegated_in_settings:
            ans.delegated_to = {"id": delegate.id, "name": delegate.name,
                                "phone": delegate.contact.phone if delegate.contact else None,
                                "website": delegate.contact.website if delegate.contact else None}
            ans.outcome = LineOutcome.DELEGATED
            return ans

    # Non-emergent services from a provider outside the network need prior authorization.
    if not in_network and setting is not Setting.EMERGENCY and ans.requirement in (
        Requirement.NONE, Requirement.REQUESTED_NOTIFICATION
    ):
        ans.requirement = Requirement.PRIOR_AUTH
        ans.notes.append("out-of-network provider: prior authorization required")

    ans.outcome = {
        Requirement.PRIOR_AUTH: LineOutcome.AUTHORIZATION_REQUIRED,
        Requirement.REQUIRED_NOTIFICATION: LineOutcome.NOTIFICATION_REQUIRED,
        Requirement.REQUESTED_NOTIFICATION: LineOutcome.NOTIFICATION_REQUESTED,
        Requirement.NONE: LineOutcome.NO_AUTHORIZATION_NEEDED,
    }[ans.requirement]
    if ans.benefit and ans.benefit["requested_exceeds_remaining"]:
        ans.notes.append(f"only {ans.benefit['remaining']} {ans.benefit['unit']} remain this period")
    return ans


def overall(lines: list[LineAnswer]) -> LineOutcome:
    """The most demanding line decides what the request as a whole needs."""
    outcomes = {ln.outcome for ln in lines}
    return next((o for o in _PRIORITY if o in outcomes), LineOutcome.NO_AUTHORIZATION_NEEDED)


def decide(
    pack: PlanPack,
    *,
    day: date,
    member: MemberFacts | None,
    provider: ProviderFacts | None,
    npi: str | None,
    lob_hint: str | None,
    queries: list[LineQuery],
    setting: Setting | None,
    benefit_used: dict[str, int],
) -> CoverageAnswer:
    """Answer "is an authorization needed, and is this covered?" for one date of service."""
    elig = eligibility(member, day, lob_hint)
    lob = elig.line_of_business or lob_hint or pack.manifest.lines_of_business[0].id
    net = network(provider, npi, day, lob, member, pack)
    def used(code: str) -> int:
        svc = pack.service(code)
        return benefit_used.get(svc.benefit_limit, 0) if svc and svc.benefit_limit else 0

    lines = [
        line(pack, q, lob=lob, age=elig.age, setting=setting, in_network=net.in_network, benefit_used=used(q.code))
        for q in queries
    ]
    answer = CoverageAnswer(plan_id=pack.plan_id, pack_version=pack.version, date_of_service=day,
                            member=elig, provider=net, lines=lines, outcome=overall(lines))
    if elig.found and not elig.eligible:
        answer.outcome = LineOutcome.ADMINISTRATIVE_DENIAL
        answer.denial_reason = DenialReason.MEMBER_INELIGIBLE
        answer.member_issued = True
        answer.messages.append(f"member {member.member_id if member else ''} is {elig.reason}")
    elif answer.outcome is LineOutcome.ADMINISTRATIVE_DENIAL:
        denied = next(ln for ln in lines if ln.outcome is LineOutcome.ADMINISTRATIVE_DENIAL)
        answer.denial_reason = denied.denial_reason
        answer.member_issued = denied.member_issued
    answer.messages.extend(net.notes)
    return answer
