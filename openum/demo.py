"""Demo data: the reference packs' directories and one user per role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.auth import service as auth
from openum.auth.models import User
from openum.auth.permissions import Role
from openum.clock import Clock
from openum.directory.loader import load_directory, record_pack_version
from openum.directory.schema import DirectoryFile
from openum.packs.registry import PackRegistry

DEMO_PASSWORD = "openum-demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    full_name: str
    title: str
    organization_index: tuple[str, int] | None = None  # (plan id, index into its organizations)
    credentials: tuple[tuple[str, str], ...] = ()


DEMO_USERS = [
    DemoUser("admin", Role.ADMIN, "Ada Admin", "IT administrator"),
    DemoUser("intake", Role.INTAKE_COORDINATOR, "Ines Intake", "UM data coordinator"),
    DemoUser("nurse", Role.UM_NURSE, "Nora Nurse, RN", "UM nurse reviewer", credentials=(("RN", "2027-12-31"),)),
    DemoUser("bhnurse", Role.BH_NURSE, "Ben Behavioral, RN", "Behavioral health nurse",
             credentials=(("RN", "2027-12-31"), ("asam", "2027-06-30"))),
    DemoUser("pharmtech", Role.PHARMACY_TECHNICIAN, "Pat Tech, CPhT", "Pharmacy technician",
             credentials=(("CPhT", "2027-12-31"),)),
    DemoUser("pharmacist", Role.CLINICAL_PHARMACIST, "Phil Pharm, PharmD", "Clinical pharmacist",
             credentials=(("PharmD", "2027-12-31"),)),
    DemoUser("physician", Role.PHYSICIAN_REVIEWER, "Dr. Maya Medina, MD", "Physician reviewer",
             credentials=(("MD", "2027-12-31"),)),
    DemoUser("bhdirector", Role.BH_CLINICAL_DIRECTOR, "Dr. Omar Ortiz, PsyD", "BH clinical director",
             credentials=(("PsyD", "2027-12-31"),)),
    DemoUser("manager", Role.UM_MANAGER, "Mona Manager, RN", "UM manager", credentials=(("RN", "2027-12-31"),)),
    DemoUser("memberservices", Role.MEMBER_SERVICES, "Mel Services", "Member services representative"),
    DemoUser("compliance", Role.COMPLIANCE, "Cora Compliance", "Compliance analyst"),
    DemoUser("external", Role.EXTERNAL_REVIEWER, "Dr. Eli External, MD", "External reviewer (IRO)",
             credentials=(("MD", "2027-12-31"),)),
    DemoUser("provider-phc", Role.PROVIDER_OFFICE, "Paula Portal", "Front office",
             organization_index=("partnership-medi-cal", 0)),
    DemoUser("provider-phc-2", Role.PROVIDER_OFFICE, "Quinn Other", "Front office",
             organization_index=("partnership-medi-cal", 1)),
    DemoUser("provider-awh", Role.PROVIDER_OFFICE, "Alex Allways", "Referral coordinator",
             organization_index=("allways-commercial", 0)),
    DemoUser("provider-awh-2", Role.PROVIDER_OFFICE, "Avery Other", "Referral coordinator",
             organization_index=("allways-commercial", 1)),
]


def _organization(registry: PackRegistry, plan_id: str, index: int) -> str | None:
    if plan_id not in registry.plan_ids():
        return None
    files: dict[str, DirectoryFile] = registry.versions(plan_id)[-1].sections.get("directory", {})
    orgs = [o.id for f in files.values() for o in f.organizations]
    return orgs[index] if index < len(orgs) else None


def load(
    session: Session, registry: PackRegistry, clock: Clock, *,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Load every pack's directory and the demo users; safe to run twice."""
    totals = {"organizations": 0, "providers": 0, "members": 0, "users": 0}
    now = clock.now()
    for pack in registry.all():
        record_pack_version(session, pack, now)
    for plan_id in registry.plan_ids():
        pack = registry.versions(plan_id)[-1]
        if progress:
            progress(f"directory of {plan_id} ({pack.version})")
        for k, v in load_directory(session, pack).items():
            totals[k] += v
    for u in DEMO_USERS:
        if session.scalar(select(User.id).where(User.username == u.username)) is not None:
            continue
        org = _organization(registry, *u.organization_index) if u.organization_index else None
        if u.organization_index and org is None:
            continue
        auth.create_user(session, username=u.username, password=DEMO_PASSWORD, role=u.role,
                         full_name=u.full_name, title=u.title, organization_id=org, now=now,
                         credentials=[{"type": t, "expires_on": d} for t, d in u.credentials])
        totals["users"] += 1
    return totals
