"""Coverage discovery against the database: load the facts, apply the pure rules."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from enum import Enum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openum.coverage import rules
from openum.directory import service as directory
from openum.directory.models import Member, Provider
from openum.intake.models import AuthorizationRequest, ServiceLine
from openum.intake.status import Status
from openum.packs.loader import PlanPack
from openum.packs.schema import Setting


def _period_start(period: str, day: date) -> date:
    return date(1900, 1, 1) if period == "lifetime" else date(day.year, 1, 1)


def benefit_used(
    session: Session, *, pack: PlanPack, member: Member | None, day: date, limit_ids: set[str]
) -> dict[str, int]:
    """Units of each named benefit limit already used: paid claims plus approved, unused auths."""
    if member is None:
        return {}
    used: dict[str, int] = {}
    for limit in pack.catalog.benefit_limits:
        if limit.id not in limit_ids:
            continue
        start = _period_start(limit.period, day)
        end = date(day.year, 12, 31) if limit.period != "lifetime" else date(9999, 12, 31)
        paid = sum(a.used for a in member.accumulators
                   if a.benefit_limit == limit.id and a.period_start == start)
        codes = [s.code for s in pack.catalog.services if s.benefit_limit == limit.id]
        authorized = session.scalar(
            select(func.coalesce(func.sum(ServiceLine.approved_units - ServiceLine.used_units), 0))
            .join(AuthorizationRequest, AuthorizationRequest.id == ServiceLine.request_pk)
            .where(
                AuthorizationRequest.member_pk == member.id,
                AuthorizationRequest.status.in_([Status.APPROVED, Status.PARTIALLY_APPROVED]),
                ServiceLine.code.in_(codes),
                ServiceLine.approved_units.is_not(None),
                ServiceLine.from_date >= start,
                ServiceLine.from_date <= end,
            )
        ) if codes else 0
        used[limit.id] = paid + int(authorized or 0)
    return used


def check(
    session: Session,
    *,
    pack: PlanPack,
    member_id: str | None,
    codes: list[rules.LineQuery],
    servicing_npi: str | None,
    day: date,
    line_of_business: str | None = None,
    setting: Setting | None = None,
) -> rules.CoverageAnswer:
    """Eligibility, network, authorization requirement and benefit limits for one date."""
    member = directory.find_member(session, plan_id=pack.plan_id, member_id=member_id) if member_id else None
    provider = (directory.find_provider(session, plan_id=pack.plan_id, npi=servicing_npi)
                if servicing_npi else None)
    return decide(session, pack=pack, member=member, provider=provider, npi=servicing_npi,
                  codes=codes, day=day, line_of_business=line_of_business, setting=setting)


def decide(
    session: Session,
    *,
    pack: PlanPack,
    member: Member | None,
    provider: Provider | None,
    npi: str | None,
    codes: list[rules.LineQuery],
    day: date,
    line_of_business: str | None,
    setting: Setting | None,
) -> rules.CoverageAnswer:
    """The coverage answer for parties already loaded (intake has them in hand)."""
    limits = {svc.benefit_limit for q in codes if (svc := pack.service(q.code)) and svc.benefit_limit}
    return rules.decide(
        pack,
        day=day,
        member=directory.member_facts(member) if member else None,
        provider=directory.provider_facts(provider) if provider else None,
        npi=npi,
        lob_hint=line_of_business,
        queries=codes,
        setting=setting,
        benefit_used=benefit_used(session, pack=pack, member=member, day=day, limit_ids=limits),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def to_dict(answer: rules.CoverageAnswer) -> dict[str, Any]:
    """A JSON-ready snapshot of the answer, as stored on a request and returned by the API."""
    return _jsonable(asdict(answer))  # type: ignore[no-any-return]
