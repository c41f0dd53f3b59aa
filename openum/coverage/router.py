"""POST /api/v1/coverage/check: "do I need an auth?", the question providers ask most."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from openum.audit import service as audit
from openum.auth.models import User
from openum.auth.permissions import Permission
from openum.coverage import rules, service
from openum.directory import service as directory
from openum.directory.models import Organization
from openum.errors import DomainError
from openum.packs.schema import Setting
from openum.web.deps import ClockDep, RegistryDep, SessionDep, actor_for, require

router = APIRouter(prefix="/api/v1/coverage", tags=["coverage"])


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, Field(min_length=4, max_length=20)]
    units: Annotated[int, Field(ge=1, le=100000)] = 1


class CoverageCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan_id: str | None = None
    member_id: Annotated[str, Field(min_length=1, max_length=32)]
    line_of_business: str | None = None
    services: Annotated[list[CodeIn], Field(min_length=1, max_length=50)]
    servicing_provider_npi: Annotated[str | None, Field(max_length=10)] = None
    date_of_service: date
    setting: Setting | None = None


@router.post("/check", summary="Is an authorization needed, and is the service covered?")
def check(body: CoverageCheck, request: Request, session: SessionDep, clock: ClockDep,
          registry: RegistryDep,
          user: Annotated[User, Depends(require(Permission.COVERAGE_CHECK))]) -> dict[str, Any]:
    plan_id = body.plan_id
    if plan_id is None and user.organization_id:
        org = session.get(Organization, user.organization_id)
        plan_id = org.plan_id if org else None
    if plan_id is None:
        plans = directory.plans_with_member(session, member_id=body.member_id)
        plan_id = plans[0] if len(plans) == 1 else None
    if plan_id is None or plan_id not in registry.plan_ids():
        raise DomainError("cannot tell which plan to check: give plan_id",
                          details=[{"loc": ["body", "plan_id"], "msg": f"one of {registry.plan_ids()}"}])
    now = clock.now()
    pack = registry.in_force(plan_id, now)
    if body.line_of_business and pack.line_of_business(body.line_of_business) is None:
        raise DomainError(f"unknown line of business {body.line_of_business!r}",
                          details=[{"loc": ["body", "line_of_business"], "msg": "unknown"}])
    answer = service.check(session, pack=pack, member_id=body.member_id,
                           codes=[rules.LineQuery(c.code, c.units) for c in body.services],
                           servicing_npi=body.servicing_provider_npi, day=body.date_of_service,
                           line_of_business=body.line_of_business, setting=body.setting)
    audit.record(session, actor=actor_for(user, request), at=now, action="read",
                 record_type="coverage_check", record_id=None, member_id=body.member_id,
                 purpose="eligibility_and_benefits")
    return service.to_dict(answer)
