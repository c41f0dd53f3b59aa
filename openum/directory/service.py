"""Look-ups in the directory tables, returned as the plain facts the rules work on."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.coverage.rules import MemberFacts, ProviderFacts, SpanFact
from openum.directory.models import Member, Provider


def find_member(session: Session, *, plan_id: str, member_id: str) -> Member | None:
    """The member with this plan member ID."""
    return session.scalars(
        select(Member).where(Member.plan_id == plan_id, Member.member_id == member_id.strip())
    ).one_or_none()


def plans_with_member(session: Session, *, member_id: str) -> list[str]:
    """Plan ids that have a member with this ID."""
    return list(session.scalars(select(Member.plan_id).where(Member.member_id == member_id.strip())))


def find_provider(session: Session, *, plan_id: str, npi: str) -> Provider | None:
    """The practitioner or facility with this NPI in the plan's directory."""
    return session.scalars(
        select(Provider).where(Provider.plan_id == plan_id, Provider.npi == npi.strip())
    ).one_or_none()


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
