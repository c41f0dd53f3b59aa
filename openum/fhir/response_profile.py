"""PAS 2.2.1 response rules: the checker every answer we build (and the IG's own examples) passes."""

from __future__ import annotations

from typing import Any

from openum.fhir import codes as c
from openum.fhir.elements import codes, codings, extensions, same_system
from openum.fhir.outcome import Issue
from openum.fhir.parse import BundleView, Entry, index
from openum.fhir.profile import bundle_shell

_DISPLAY_OWNER = {v.casefold(): k for k, v in c.REVIEW_ACTION_DISPLAY.items()}


def _review_actions(adjudications: Any, at: str) -> tuple[list[str], list[Issue]]:
    found, issues = [], []
    for j, adj in enumerate(adjudications or []):
        here = f"{at}.adjudication[{j}]"
        if "submitted" not in codes((adj or {}).get("category"), c.ADJUDICATION):
            issues.append(Issue("adjudication.category must be 'submitted'", f"{here}.category",
                                code="value"))
        for action in extensions(adj, c.EXT_REVIEW_ACTION):
            for coding in [x for e in extensions(action, c.EXT_REVIEW_ACTION_CODE)
                           for x in codings(e.get("valueCodeableConcept"))]:
                code, display = str(coding.get("code")), coding.get("display")
                where = f"{here}.extension('{c.EXT_REVIEW_ACTION}')"
                if not same_system(coding.get("system"), c.X12_REVIEW_ACTION) or code not in set(c.ReviewAction):
                    issues.append(Issue(f"review action {code!r} is not an X12 306 code PAS uses",
                                        where, code="code-invalid"))
                    continue
                owner = _DISPLAY_OWNER.get(str(display).casefold()) if display else None
                if owner is not None and owner != code:
                    issues.append(Issue(f"review action {code} is labelled {display!r}, which is "
                                        f"the label of {owner.value}", where, code="value"))
                found.append(code)
    return found, issues


def _claim_response(view: BundleView, e: Entry, *, strict: bool,
                    request_sequences: list[int] | None) -> list[Issue]:
    raw, at = e.raw, f"Bundle.entry[{e.index}].resource"
    issues = []
    for key, want in (("status", "active"), ("use", "preauthorization")):
        if raw.get(key) != want:
            issues.append(Issue(f"ClaimResponse.{key} must be {want!r}", f"{at}.{key}", code="value"))
    for key in ("type", "created", "patient", "insurer"):
        if not raw.get(key):
            issues.append(Issue(f"ClaimResponse.{key} is required", f"{at}.{key}", code="required"))
    outcome = raw.get("outcome")
    if outcome not in ("complete", "partial", "error"):
        issues.append(Issue(f"outcome must be complete, partial or error (got {outcome!r}; a pend "
                            "is the review action A4, not 'queued')", f"{at}.outcome", code="value"))
    if outcome == "error" and not raw.get("error"):
        issues.append(Issue("outcome 'error' needs at least one error", f"{at}.error", code="required"))
    must_resolve = ["patient", "insurer"] + (["requestor"] if strict else [])
    for key in must_resolve:
        ref = (raw.get(key) or {}).get("reference")
        if ref and view.resolve(ref) is None:
            issues.append(Issue(f"{ref} is not in the Bundle", f"{at}.{key}", code="not-found"))
    issues += _reviewer(raw, at, strict=strict)
    actions, more = _items_out(raw, at, strict=strict, request_sequences=request_sequences)
    issues += more
    notes = raw.get("processNote") or []
    for k, note in enumerate(notes):
        if not isinstance(note, dict) or note.get("number") is None or not note.get("text"):
            issues.append(Issue("processNote needs number and text", f"{at}.processNote[{k}]",
                                code="required"))
    if strict:
        if not raw.get("preAuthRef"):
            issues.append(Issue("preAuthRef (the authorization ID) is required", f"{at}.preAuthRef",
                                code="required"))
        if outcome != "error" and not raw.get("item"):
            issues.append(Issue("every requested item needs an answer", f"{at}.item", code="required"))
        if {"A3", "CT"} & set(actions) and not notes:
            issues.append(Issue("a denial or contact-payer answer must say why in processNote",
                                f"{at}.processNote", code="required"))
        for k, ref in enumerate(raw.get("communicationRequest") or []):
            target = view.resolve((ref or {}).get("reference"))
            if target is None or target.type != "CommunicationRequest":
                issues.append(Issue("communicationRequest must point to a CommunicationRequest in "
                                    "the Bundle", f"{at}.communicationRequest[{k}]", code="not-found"))
    return issues


def _reviewer(raw: dict[str, Any], at: str, *, strict: bool) -> list[Issue]:
    reviewers = extensions(raw, c.EXT_REVIEWER)
    where = f"{at}.extension('{c.EXT_REVIEWER}')"
    if not reviewers:
        return [Issue("the claimResponseReviewer extension is required", where, code="required")] \
            if strict else []
    flags = [x for x in extensions(reviewers[0], "wasHumanReviewedFlag")
             if isinstance(x.get("valueBoolean"), bool)]
    if len(flags) != 1:
        return [Issue("claimResponseReviewer needs exactly one wasHumanReviewedFlag (boolean)", where,
                      code="required")]
    return []


def _items_out(raw: dict[str, Any], at: str, *, strict: bool,
               request_sequences: list[int] | None) -> tuple[list[str], list[Issue]]:
    issues: list[Issue] = []
    actions: list[str] = []
    sequences: list[int] = []
    modified: list[tuple[int, int]] = []
    for i, item in enumerate(raw.get("item") or []):
        here = f"{at}.item[{i}]"
        seq = (item or {}).get("itemSequence")
        if not isinstance(seq, int) or seq < 1:
            issues.append(Issue("item.itemSequence must echo Claim.item.sequence", f"{here}.itemSequence",
                                code="required"))
        elif seq in sequences:
            issues.append(Issue(f"itemSequence {seq} is answered twice", f"{here}.itemSequence",
                                code="value"))
        else:
            sequences.append(seq)
        found, more = _review_actions((item or {}).get("adjudication"), here)
        issues += more
        if len(found) != 1:
            issues.append(Issue(f"each item needs exactly one review action (found {len(found)})",
                                f"{here}.adjudication", code="required"))
        actions += found
        if "A6" in found and isinstance(seq, int):
            modified.append((i, seq))
    added = {s for a in raw.get("addItem") or [] for s in (a or {}).get("itemSequence") or []}
    for k, a in enumerate(raw.get("addItem") or []):
        if not (a or {}).get("itemSequence"):
            issues.append(Issue("addItem.itemSequence is required", f"{at}.addItem[{k}].itemSequence",
                                code="required"))
    for i, seq in modified:
        if seq not in added:
            issues.append(Issue(f"item {seq} is modified (A6): the authorized detail belongs in an "
                                "addItem for it", f"{at}.item[{i}]", code="required"))
    if strict and request_sequences is not None and sorted(sequences) != sorted(request_sequences):
        issues.append(Issue(f"itemSequence values {sorted(sequences)} do not echo the Claim's "
                            f"{sorted(request_sequences)}", f"{at}.item", code="value"))
    return actions, issues


def check_response(bundle: dict[str, Any], *, inquiry: bool = False, strict: bool = False,
                   request_sequences: list[int] | None = None) -> list[Issue]:
    """Every PAS response-bundle rule broken; `strict` adds what OpenUM promises on top."""
    if bundle.get("resourceType") != "Bundle":
        return [Issue("expected a Bundle", "Bundle.resourceType", code="structure")]
    issues = bundle_shell(bundle, need_identifier=False)
    view = index(bundle)
    responses = [e for e in view.entries if e.type == "ClaimResponse"]
    if view.entries and (responses or not inquiry) and view.entries[0].type != "ClaimResponse":
        issues.append(Issue(f"the first entry must be the ClaimResponse, not a {view.entries[0].type}",
                            "Bundle.entry[0].resource", code="structure"))
    if not inquiry and len(responses) != 1:
        issues.append(Issue(f"a PAS response bundle holds exactly one ClaimResponse "
                            f"(found {len(responses)})", "Bundle.entry", code="structure"))
    for e in responses:
        issues += _claim_response(view, e, strict=strict, request_sequences=request_sequences)
    return issues


# --- subscription notifications (the payload a pended answer will later be delivered in) ------

PAS_TOPIC = f"{c.PAS}/SubscriptionTopic/PASSubscriptionTopic"


def check_notification(bundle: dict[str, Any]) -> list[Issue]:
    """R4 backport notification rules PAS adds: full-resource payloads carrying the response."""
    if bundle.get("type") != "history":
        return [Issue("a subscription notification is a Bundle of type 'history'", "Bundle.type",
                      code="value")]
    view = index(bundle)
    status = next((e for e in view.entries if e.index == 0), None)
    if status is None or status.type != "Parameters":
        return [Issue("the first entry must be the subscription status Parameters",
                      "Bundle.entry[0].resource", code="structure")]
    issues = []
    params = [p for p in status.raw.get("parameter") or [] if isinstance(p, dict)]
    topic = next((p.get("valueCanonical") for p in params if p.get("name") == "topic"), None)
    if topic is not None and topic != PAS_TOPIC:
        issues.append(Issue(f"topic {topic!r} is not the PAS topic", "Bundle.entry[0].resource.parameter",
                            code="value"))
    for k, p in enumerate(params):
        if p.get("name") != "notification-event":
            continue
        for part in p.get("part") or []:
            if (part or {}).get("name") != "focus":
                continue
            ref = (part.get("valueReference") or {}).get("reference")
            at = f"Bundle.entry[0].resource.parameter[{k}]"
            target = view.resolve(ref)
            if target is None:
                issues.append(Issue(f"the focus {ref} is not in the notification: PAS requires "
                                    "full-resource payloads (the PAS response Bundle itself), not "
                                    "id-only", at, code="required"))
            elif target.type == "Bundle":
                issues += [Issue(i.diagnostics, f"Bundle.entry[{target.index}].resource"
                                 f"{(i.expression or '')[len('Bundle'):]}", i.code)
                           for i in check_response(target.raw)]
    return issues


def misdirected(bundle: dict[str, Any]) -> list[Issue]:
    """A response or notification sent where a request belongs: its own defects, named too."""
    if bundle.get("type") == "history":
        return check_notification(bundle)
    if any(e.type == "ClaimResponse" for e in index(bundle).entries):
        return [Issue(f"as a PAS response bundle: {i.diagnostics}", i.expression, i.code)
                for i in check_response(bundle)]
    return []
