"""PAS 2.2.1 request-bundle rules that fhir.resources cannot check ($submit and $inquire)."""

from __future__ import annotations

from typing import Any

from openum.fhir import codes as c
from openum.fhir.elements import ext_codes, references
from openum.fhir.outcome import Issue
from openum.fhir.parse import BundleView, Entry

_REQUESTORS = ("Organization", "Practitioner", "PractitionerRole")


def bundle_shell(raw: dict[str, Any], *, need_identifier: bool) -> list[Issue]:
    """Bundle-level rules shared by every PAS bundle: collection, timestamp, full entries."""
    issues = []
    if raw.get("type") != "collection":
        issues.append(Issue(f"Bundle.type must be 'collection' (got {raw.get('type')!r})",
                            "Bundle.type", code="value"))
    ident = raw.get("identifier")
    if need_identifier and not (isinstance(ident, dict) and ident.get("value")):
        issues.append(Issue("Bundle.identifier (the submitter's transaction identifier) is required",
                            "Bundle.identifier", code="required"))
    if not raw.get("timestamp"):
        issues.append(Issue("Bundle.timestamp is required", "Bundle.timestamp", code="required"))
    entries = raw.get("entry")
    if not isinstance(entries, list) or not entries:
        issues.append(Issue("the Bundle has no entries: its first entry must be the Claim "
                            "(or ClaimResponse), followed by the resources it references",
                            "Bundle.entry", code="required"))
        return issues
    for i, e in enumerate(entries):
        at = f"Bundle.entry[{i}]"
        if not isinstance(e, dict):
            issues.append(Issue("an entry must be an object", at, code="structure"))
            continue
        if not e.get("fullUrl"):
            issues.append(Issue("entry.fullUrl is required", f"{at}.fullUrl", code="required"))
        if "resource" not in e:
            issues.append(Issue("entry.resource is required", f"{at}.resource", code="required"))
        for banned in ("request", "response", "search"):
            if banned in e:
                issues.append(Issue(f"entry.{banned} is not allowed in a PAS Bundle",
                                    f"{at}.{banned}", code="structure"))
    return issues


def _points_to(view: BundleView, claim: Entry, element: Any, path: str, types: tuple[str, ...],
               label: str) -> list[Issue]:
    ref = element.get("reference") if isinstance(element, dict) else None
    if not ref:
        return [Issue(f"{label} is required", path, code="required")]
    target = view.resolve(ref, claim)
    if target is not None and target.type not in types:
        return [Issue(f"{label} must reference {' or '.join(types)}, not {target.type}", path,
                      code="value")]
    return []  # an unresolved reference is reported once, by the reference walk


def _claim(view: BundleView, claim: Entry, *, inquiry: bool) -> list[Issue]:
    raw, at = claim.raw, "Bundle.entry[0].resource"
    issues = []
    if raw.get("use") != "preauthorization":
        issues.append(Issue(f"Claim.use must be 'preauthorization' (got {raw.get('use')!r})",
                            f"{at}.use", code="value"))
    if raw.get("status") != "active":
        issues.append(Issue(f"Claim.status must be 'active' (got {raw.get('status')!r})",
                            f"{at}.status", code="value"))
    if not raw.get("identifier"):
        issues.append(Issue("Claim.identifier is required", f"{at}.identifier", code="required"))
    profiles = set((raw.get("meta") or {}).get("profile") or [])
    if inquiry and profiles & {c.PROFILE_CLAIM, c.PROFILE_CLAIM_UPDATE}:
        issues.append(Issue("this Claim is a request, not an inquiry: send it to Claim/$submit",
                            f"{at}.meta.profile", code="value"))
    if not inquiry and c.PROFILE_CLAIM_INQUIRY in profiles:
        issues.append(Issue("this Claim is an inquiry: send it to Claim/$inquire",
                            f"{at}.meta.profile", code="value"))
    issues += _points_to(view, claim, raw.get("patient"), f"{at}.patient", ("Patient",), "Claim.patient")
    issues += _points_to(view, claim, raw.get("insurer"), f"{at}.insurer", ("Organization",),
                         "Claim.insurer")
    issues += _points_to(view, claim, raw.get("provider"), f"{at}.provider", _REQUESTORS,
                         "Claim.provider")
    issues += _insurance(view, claim, at)
    if not inquiry:
        issues += _items(raw, at)
    for i, rel in enumerate(raw.get("related") or []):
        if isinstance(rel, dict) and rel.get("claim"):
            issues += _points_to(view, claim, rel["claim"], f"{at}.related[{i}].claim", ("Claim",),
                                 "Claim.related.claim (the request being updated)")
    for i, dx in enumerate(raw.get("diagnosis") or []):
        if isinstance(dx, dict) and "diagnosisCodeableConcept" not in dx:
            issues.append(Issue("PAS diagnoses are codes (diagnosisCodeableConcept)",
                                f"{at}.diagnosis[{i}]", code="value"))
    for path, ref in references(raw, at):
        if view.resolve(ref, claim) is None:
            issues.append(Issue(f"{ref} is not in the Bundle: every resource the Claim references "
                                "must be included", path, code="not-found"))
    return issues


def _insurance(view: BundleView, claim: Entry, at: str) -> list[Issue]:
    focal = [(i, ins) for i, ins in enumerate(claim.raw.get("insurance") or [])
             if isinstance(ins, dict) and ins.get("focal") is True]
    if not focal:
        return [Issue("a focal insurance (insurance.focal = true) with its Coverage is required",
                      f"{at}.insurance", code="required")]
    i, ins = focal[0]
    return _points_to(view, claim, ins.get("coverage"), f"{at}.insurance[{i}].coverage",
                      ("Coverage",), "the focal insurance.coverage")


def _items(raw: dict[str, Any], at: str) -> list[Issue]:
    items = raw.get("item") or []
    if not items:
        return [Issue("at least one item (the service requested) is required", f"{at}.item",
                      code="required")]
    issues, seen = [], set()
    for i, item in enumerate(items):
        here = f"{at}.item[{i}]"
        if not isinstance(item, dict):
            continue
        seq = item.get("sequence")
        if seq in seen:
            issues.append(Issue(f"item.sequence {seq} is used twice", f"{here}.sequence", code="value"))
        seen.add(seq)
        if not item.get("category"):
            issues.append(Issue("item.category (X12 1365 service type) is required",
                                f"{here}.category", code="required"))
        if not ext_codes(item, c.EXT_REQUEST_TYPE, c.X12_REQUEST_TYPE):
            issues.append(Issue("the requestType extension (X12 1525, UM01) is required",
                                f"{here}.extension('{c.EXT_REQUEST_TYPE}')", code="required"))
        cert = ext_codes(item, c.EXT_CERTIFICATION_TYPE, c.X12_CERTIFICATION_TYPE)
        if not cert:
            issues.append(Issue("the certificationType extension (X12 1322, UM02) is required",
                                f"{here}.extension('{c.EXT_CERTIFICATION_TYPE}')", code="required"))
        elif cert[0] not in c.CERTIFICATION_TYPES:
            issues.append(Issue(f"certificationType {cert[0]!r} is not an X12 1322 code "
                                f"({', '.join(sorted(c.CERTIFICATION_TYPES))})",
                                f"{here}.extension('{c.EXT_CERTIFICATION_TYPE}')", code="code-invalid"))
    return issues


def check_request(view: BundleView, *, inquiry: bool = False) -> list[Issue]:
    """Every PAS request-bundle (or inquiry-bundle) rule the Bundle breaks, with its location."""
    issues = bundle_shell(view.raw, need_identifier=True)
    first = next((e for e in view.entries if e.index == 0), None)
    if first is None:
        return issues
    if first.type != "Claim":
        issues.append(Issue(f"the first entry must be the Claim, not a {first.type}",
                            "Bundle.entry[0].resource", code="structure"))
        return issues
    return issues + _claim(view, first, inquiry=inquiry)
