"""Load a pack's directory files (synthetic members and providers) into the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.directory.models import (
    BenefitAccumulator,
    EligibilitySpan,
    Member,
    NetworkSpan,
    Organization,
    Provider,
)
from openum.directory.schema import DirectoryFile
from openum.packs.loader import PlanPack
from openum.packs.models import PackVersion


def record_pack_version(session: Session, pack: PlanPack, now: datetime) -> None:
    """Remember each pack version and its approval the first time this database sees it."""
    exists = session.scalar(select(PackVersion.id).where(
        PackVersion.plan_id == pack.plan_id, PackVersion.version == pack.version))
    if exists is None:
        a = pack.manifest.approval
        session.add(PackVersion(plan_id=pack.plan_id, version=pack.version,
                                effective_from=pack.manifest.effective_from, approved_by=a.approved_by,
                                approved_at=a.approved_at, committee=a.committee,
                                content_hash=pack.content_hash, first_loaded_at=now))


def load_directory(
    session: Session, pack: PlanPack, *, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Insert or replace the pack's organizations, providers and members; return counts."""
    counts = {"organizations": 0, "providers": 0, "members": 0}
    files: dict[str, DirectoryFile] = pack.sections.get("directory", {})
    for directory in files.values():
        for o in directory.organizations:
            org = session.get(Organization, o.id) or Organization(id=o.id)
            org.plan_id, org.name, org.tax_id = pack.plan_id, o.name, o.tax_id
            session.add(org)
            counts["organizations"] += 1
        session.flush()
        for p in directory.providers:
            prov = session.scalars(select(Provider).where(
                Provider.plan_id == pack.plan_id, Provider.npi == p.npi)).one_or_none() or Provider(
                plan_id=pack.plan_id, npi=p.npi)
            prov.kind, prov.name, prov.specialty = p.kind.value, p.name, p.specialty
            prov.facility_type, prov.organization_id, prov.is_pcp = p.facility_type, p.organization, p.is_pcp
            prov.terminated_on, prov.phone, prov.fax, prov.email = p.terminated_on, p.phone, p.fax, p.email
            prov.network = [NetworkSpan(line_of_business=s.line_of_business, start=s.start, end=s.end)
                            for s in p.network]
            session.add(prov)
            counts["providers"] += 1
        for i, m in enumerate(directory.members):
            mem = session.scalars(select(Member).where(
                Member.plan_id == pack.plan_id, Member.member_id == m.id)).one_or_none() or Member(
                plan_id=pack.plan_id, member_id=m.id)
            mem.first_name, mem.last_name, mem.birth_date, mem.sex = m.first_name, m.last_name, m.birth_date, m.sex
            mem.language, mem.large_print, mem.phone = m.language, m.large_print, m.phone
            mem.address_line1, mem.city = m.address.line1, m.address.city
            mem.state, mem.postal_code = m.address.state, m.address.postal_code
            mem.pcp_npi, mem.plan_product = m.pcp_npi, m.plan_product
            mem.eligibility = [EligibilitySpan(line_of_business=s.line_of_business, start=s.start, end=s.end)
                               for s in m.eligibility]
            mem.accumulators = [BenefitAccumulator(benefit_limit=a.benefit_limit, period_start=a.period_start,
                                                   used=a.used) for a in m.accumulators]
            session.add(mem)
            counts["members"] += 1
            if progress:
                progress(i + 1)
    session.flush()
    return counts
