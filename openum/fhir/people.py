"""Who a PAS Claim is about and from: member, providers by NPI, plan, and the parties answered."""

from __future__ import annotations

import uuid
from typing import Any

from openum.fhir import codes as c
from openum.fhir.echo import Parties, Party
from openum.fhir.elements import codes, same_system, to_date
from openum.fhir.parse import BundleView, Entry
from openum.packs.registry import PackRegistry

JSON = dict[str, Any]
CLAIM = "Bundle.entry[0].resource"


def npi_of(view: BundleView, entry: Entry | None) -> str | None:
    """The NPI of an Organization, Practitioner or PractitionerRole (via its practitioner)."""
    if entry is None:
        return None
    for ident in entry.raw.get("identifier") or []:
        if isinstance(ident, dict) and same_system(ident.get("system"), c.NPI) and ident.get("value"):
            return str(ident["value"])
    if entry.type == "PractitionerRole":
        for key in ("practitioner", "organization"):
            found = npi_of(view, view.resolve((entry.raw.get(key) or {}).get("reference"), entry))
            if found:
                return found
    return None


def _has_type(ident: Any, code: str) -> bool:
    return code in codes((ident or {}).get("type"), c.IDENTIFIER_TYPE)


def member(view: BundleView, claim: Entry) -> tuple[JSON, dict[str, str]]:
    """The member reference (ID, name, birth date) and where the ID was found."""
    patient = view.resolve((claim.raw.get("patient") or {}).get("reference"), claim)
    coverage = focal_coverage(view, claim)
    p_raw = patient.raw if patient else {}
    cov_raw = coverage.raw if coverage else {}
    p_at = f"Bundle.entry[{patient.index}].resource" if patient and patient.index is not None else CLAIM
    c_at = f"Bundle.entry[{coverage.index}].resource" if coverage and coverage.index is not None else CLAIM
    candidates: list[tuple[Any, str]] = []
    for i, ident in enumerate(cov_raw.get("identifier") or []):
        if _has_type(ident, "MB"):
            candidates.append((ident.get("value"), f"{c_at}.identifier[{i}]"))
    for i, ident in enumerate(p_raw.get("identifier") or []):
        if _has_type(ident, "MB"):
            candidates.append((ident.get("value"), f"{p_at}.identifier[{i}]"))
    # The subscriber ID identifies the patient only when the patient is the subscriber.
    if "self" in codes(cov_raw.get("relationship")) or not cov_raw.get("relationship"):
        candidates.append((cov_raw.get("subscriberId"), f"{c_at}.subscriberId"))
    for i, ident in enumerate(p_raw.get("identifier") or []):
        candidates.append(((ident or {}).get("value"), f"{p_at}.identifier[{i}]"))
    member_id, where = next(((v, w) for v, w in candidates if v), (None, f"{p_at}.identifier"))
    name = next((n for n in p_raw.get("name") or [] if isinstance(n, dict)), {})
    out: JSON = {"member_id": member_id, "last_name": name.get("family"),
                 "first_name": (name.get("given") or [None])[0],
                 "birth_date": p_raw.get("birthDate") if to_date(p_raw.get("birthDate")) else None}
    return ({k: v for k, v in out.items() if v},
            {"member.member_id": where, "member.last_name": f"{p_at}.name",
             "member.first_name": f"{p_at}.name", "member.birth_date": f"{p_at}.birthDate"})


def focal_coverage(view: BundleView, claim: Entry) -> Entry | None:
    for ins in claim.raw.get("insurance") or []:
        if isinstance(ins, dict) and ins.get("focal") is True:
            return view.resolve((ins.get("coverage") or {}).get("reference"), claim)
    return None


def care_team(view: BundleView, claim: Entry) -> tuple[str | None, str | None]:
    """(servicing NPI, facility NPI): people serve, organizations (or role FA) are facilities."""
    servicing = facility = None
    teams = sorted((t for t in claim.raw.get("careTeam") or [] if isinstance(t, dict)),
                   key=lambda t: t.get("sequence") or 0)
    for team in teams:
        entry = view.resolve((team.get("provider") or {}).get("reference"), claim)
        npi = npi_of(view, entry)
        if entry is None or npi is None:
            continue
        is_facility = "FA" in codes(team.get("role")) or entry.type == "Organization"
        if is_facility and facility is None:
            facility = npi
        elif not is_facility and servicing is None:
            servicing = npi
    return servicing, facility


def plan_hint(view: BundleView, claim: Entry, registry: PackRegistry) -> str | None:
    """The plan named by the insurer: its OpenUM plan identifier or its name."""
    insurer = view.resolve((claim.raw.get("insurer") or {}).get("reference"), claim)
    if insurer is None:
        return None
    for ident in insurer.raw.get("identifier") or []:
        if isinstance(ident, dict) and ident.get("value") in registry.plan_ids():
            return str(ident["value"])
    name = str(insurer.raw.get("name") or "").casefold()
    for plan_id in registry.plan_ids():
        plan = registry.versions(plan_id)[-1].manifest.plan
        if name and name in (plan.name.casefold(), plan.short_name.casefold()):
            return plan_id
    return None


def _party(view: BundleView, claim: Entry, key: str) -> Party:
    entry = view.resolve((claim.raw.get(key) or {}).get("reference"), claim)
    assert entry is not None  # the profile rules refused a Bundle without it
    raw = {k: v for k, v in entry.raw.items() if k != "text"}  # the narrative is the sender's
    # A contained party has no fullUrl of its own: give it a stable one.
    key = f"{entry.type}/{raw.get('id')}"
    url = entry.full_url or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}"
    return Party(url, raw)


def parties(view: BundleView, claim: Entry) -> Parties:
    """The patient, insurer and requestor as the bundle sent them (the answer repeats them)."""
    return Parties(_party(view, claim, "patient"), _party(view, claim, "insurer"),
                   _party(view, claim, "provider"))
