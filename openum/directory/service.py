"""Look-ups in the directory tables, returned as the plain facts the rules work on."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from openum.coverage.rules import MemberFacts, ProviderFacts, SpanFact
from openum.directory.models import Member, Provider


def find_member(session: Session, *, plan_id: str, member_id: str) -> Member | None:
    """The member with this plan member ID."""
    return session.scalars(
        select(Member)
        .options(joinedload(Member.eligibility), joinedload(Member.accumulators))
        .where(Member.plan_id == plan_id, Member.member_id == member_id.strip())
    ).unique().one_or_none()


def plans_with_member(session: Session, *, member_id: str) -> list[str]:
    """Plan ids that have a member with this ID."""
    return [m.plan_id for m in members_by_id(session, member_id=member_id)]


def members_by_id(session: Session, *, member_id: str) -> list[Member]:
    """Every plan's member with this ID, eligibility and accumulators loaded, in one round trip."""
    return list(session.scalars(
        select(Member)
        .options(joinedload(Member.eligibility), joinedload(Member.accumulators))
        .where(Member.member_id == member_id.strip())
    ).unique())


def find_provider(session: Session, *, plan_id: str, npi: str) -> Provider | None:
    """The practitioner or facility with this NPI in the plan's directory."""
    return session.scalars(
        select(Provider).where(Provider.plan_id == plan_id, Provider.npi == npi.strip())
    ).one_or_none()


def find_providers(session: Session, *, plan_id: str, npis: list[str]) -> dict[str, Provider]:
    """Several providers by NPI, with their network spans, in one round trip."""
    wanted = {n.strip() for n in npis if n}
    if not wanted:
        return {}
    rows = session.scalars(
        select(Provider).options(joinedload(Provider.network))
        .where(Provider.plan_id == plan_id, Provider.npi.in_(wanted))
    ).unique().all()
    return {p.npi: p for p in rows}


def member_facts(member: Member) -> MemberFacts:
    return MemberFacts(
        member_id=member.member_id,
        birth_date=member.birth_date,
        eligibility=[SpanFact(s.line_of_business, s.start, s.end) for s in member.eligibility],
        pcp_npi=member.pcp_npi,
        plan_product=member.plan_product,
    )


def provider_facts(provider: Provider) -> ProviderFacts:
    return ProviderFacts(
        npi=provider.npi,
        network=[SpanFact(s.line_of_business, s.start, s.end) for s in provider.network],
        terminated_on=provider.terminated_on,
        is_pcp=provider.is_pcp,
    )
