"""Helpers the episode, retrospective, referral, network and claims services share."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from openum.auth.models import User
from openum.auth.permissions import Role
from openum.directory import service as directory
from openum.directory.models import Organization
from openum.errors import DomainError, NotFound
from openum.intake.schemas import Submitter
from openum.packs.loader import PlanPack
from openum.packs.registry import PackRegistry
from openum.vocabulary import Channel

M = TypeVar("M", bound=BaseModel)


class PackSectionMissing(DomainError):
    code = "pack_section_missing"
    http_status = 422


def section(pack: PlanPack, name: str, cls: type[M]) -> M:
    """The pack's one file in a section folder (admissions/, retrospective/ ...)."""
    files = pack.sections.get(name, {})
    found = next((f for f in files.values() if isinstance(f, cls)), None)
    if found is None:
        raise PackSectionMissing(f"plan pack {pack.plan_id} {pack.version} has no {name}/ section")
    return found


def resolve_plan(session: Session, registry: PackRegistry, *, plan_id: str | None,
                 organization_id: str | None, member_id: str | None) -> str:
    """The plan a call is about: named, the caller's organization's, or the only one the member is in."""
    if plan_id:
        if plan_id not in registry.plan_ids():
            raise DomainError(f"unknown plan_id {plan_id!r}",
                              details=[{"loc": ["body", "plan_id"], "msg": f"one of {registry.plan_ids()}"}])
        return plan_id
    if organization_id:
        org = session.get(Organization, organization_id)
        if org is not None and org.plan_id in registry.plan_ids():
            return org.plan_id
    if member_id:
        plans = [p for p in directory.plans_with_member(session, member_id=member_id) if p in registry.plan_ids()]
        if len(plans) == 1:
            return plans[0]
    if len(registry.plan_ids()) == 1:
        return registry.plan_ids()[0]
    raise DomainError("cannot tell which plan this is for: give plan_id",
                      details=[{"loc": ["body", "plan_id"], "msg": f"one of {registry.plan_ids()}"}])


def submitter_for(user: User) -> Submitter:
    channel = Channel.PORTAL if user.role == Role.PROVIDER_OFFICE else Channel.API
    return Submitter(user_id=user.id, username=user.username, role=user.role,
                     organization_id=user.organization_id, channel=channel)


def ensure_organization(user: User, what: str, *organizations: str | None) -> None:
    """Provider offices see only their own organization's records; others get a 404, not a 403."""
    if user.role == Role.PROVIDER_OFFICE and user.organization_id not in organizations:
        raise NotFound(f"no {what}")
