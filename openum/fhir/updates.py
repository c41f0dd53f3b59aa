"""PAS updates (PASClaimUpdate) and cancels (certificationType 3) of a request we already hold."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from openum.audit import service as audit
from openum.auth.models import User
from openum.fhir import codes as c
from openum.fhir.echo import UPDATE_EVENT
from openum.fhir.elements import codes, ext_codes, extensions
from openum.fhir.lookup import authorization_refs, by_claim
from openum.fhir.mapping import CLAIM, cancelled
from openum.fhir.outcome import FhirError, Issue
from openum.fhir.parse import BundleView, Entry
from openum.intake import history
from openum.intake.models import AuthorizationRequest
from openum.intake.status import OPEN_STATUSES, Status

JSON = dict[str, Any]


class Kind(StrEnum):
    """What a $submit bundle asks for."""

    NEW = "new"
    UPDATE = "update"
    CANCEL = "cancel"


def classify(claim: Entry) -> Kind:
    """A cancel cancels every item; an update points to the request it changes; else it is new."""
    items = [i for i in claim.raw.get("item") or [] if isinstance(i, dict)]
    if items and all(cancelled(i) for i in items):
        return Kind.CANCEL
    if any((rel or {}).get("claim") for rel in claim.raw.get("related") or []):
        return Kind.UPDATE
    return Kind.NEW


def original(session: Session, user: User, view: BundleView, claim: Entry) -> AuthorizationRequest:
    """The request an update or cancel is about, found by the original Claim's identifiers."""
    identifiers: list[Any] = []
    for rel in claim.raw.get("related") or []:
        prior = view.resolve(((rel or {}).get("claim") or {}).get("reference"), claim)
        if prior is not None:
            identifiers += prior.raw.get("identifier") or []
    # An X12-style cancel repeats the original trace number on the cancelling Claim itself.
    identifiers += claim.raw.get("identifier") or []
    found = by_claim(session, user, identifiers, authorization_refs(claim.raw))
    if found is None:
        where = f"{CLAIM}.related[0].claim" if claim.raw.get("related") else f"{CLAIM}.identifier"
        raise FhirError(422, [Issue(
            "the request being updated or cancelled is unknown: no request you may see came as a "
            "Claim with these identifiers or quotes these authorization numbers", where,
            code="not-found")])
    return found


def _final(req: AuthorizationRequest, action: str) -> FhirError:
    status = Status(req.status)
    hint = ("ask for reconsideration or appeal instead (certificationType 1 or 2)"
            if status is Status.DENIED else "contact the plan, or submit a new request")
    return FhirError(422, [Issue(f"authorization {req.authorization_id} is {status.value}: it cannot "
                                 f"be {action}; {hint}", f"{CLAIM}.related", code="business-rule")])


def cancel(session: Session, req: AuthorizationRequest, *, at: datetime, actor: audit.Actor) -> bool:
    """Withdraw an open request; True if this call changed it (a repeated cancel changes nothing)."""
    status = Status(req.status)
    if status in (Status.WITHDRAWN, Status.VOIDED):
        return False
    if status not in OPEN_STATUSES:
        raise _final(req, "cancelled")
    history.change_status(req, Status.WITHDRAWN, at=at, actor=actor,
                         reason="cancelled by the requesting provider (PAS certificationType 3)")
    return True


def _changes(claim: Entry) -> JSON:
    """The items an update adds, changes and cancels (by Claim sequence) and their codes."""
    out: JSON = {"added": [], "changed": [], "cancelled": []}
    for item in claim.raw.get("item") or []:
        if not isinstance(item, dict):
            continue
        found = codes(item.get("productOrService"))
        entry = {"sequence": item.get("sequence"), "code": found[0] if found else None}
        mode = next((e.get("valueCode") for e in extensions(item, c.EXT_INFO_CHANGED)), None)
        if cancelled(item):
            out["cancelled"].append(entry)
        elif mode in ("added", "changed"):
            out[mode].append(entry)
    return out


def update(req: AuthorizationRequest, claim: Entry, *, bundle_key: str, at: datetime,
           actor: audit.Actor) -> bool:
    """Record an update on the request's history; True if it was new (not a re-sent bundle)."""
    if Status(req.status) is Status.DENIED or Status(req.status) not in OPEN_STATUSES | {
            Status.APPROVED, Status.PARTIALLY_APPROVED}:
        raise _final(req, "updated")
    if any(e.type == UPDATE_EVENT and e.data.get("bundle") == bundle_key for e in req.events):
        return False
    changes = _changes(claim)
    summary = ", ".join(f"{len(v)} {k}" for k, v in changes.items() if v) or "no item flagged"
    cert = sorted({x for i in claim.raw.get("item") or []
                   for x in ext_codes(i, c.EXT_CERTIFICATION_TYPE, c.X12_CERTIFICATION_TYPE)})
    # The service lines stay as received: applying changed lines is a reviewer's step for now.
    history.record_event(req, at=at, type=UPDATE_EVENT, actor=actor,
                        reason=f"PAS update received ({summary}); service lines unchanged until "
                               "a reviewer applies it",
                        data={"bundle": bundle_key, "certification_types": cert,
                              "claim_identifiers": claim.raw.get("identifier") or [], **changes})
    return True
