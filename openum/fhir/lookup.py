"""Finding requests a PAS message speaks about: by Claim identifier, authorization ID or example."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from openum.auth.models import User
from openum.fhir import codes as c
from openum.fhir.echo import RECEIVED_EVENT, claim_marker
from openum.fhir.elements import codes, extensions, to_date
from openum.fhir.parse import BundleView, Entry
from openum.fhir.people import member, npi_of
from openum.intake import access
from openum.intake.models import AuthorizationRequest, RequestEvent, ServiceLine

JSON = dict[str, Any]
MAX_MATCHES = 50


def authorization_refs(claim: JSON) -> list[str]:
    """Authorization IDs the Claim quotes: insurance.preAuthRef, related.reference, item numbers."""
    refs = [str(r) for ins in claim.get("insurance") or [] for r in (ins or {}).get("preAuthRef") or []]
    refs += [str(rel["reference"]["value"]) for rel in claim.get("related") or []
             if isinstance((rel or {}).get("reference"), dict) and rel["reference"].get("value")]
    refs += [str(e["valueString"]) for item in claim.get("item") or []
             for e in extensions(item, c.EXT_AUTHORIZATION_NUMBER) if e.get("valueString")]
    return refs


def by_claim(session: Session, user: User, identifiers: Iterable[Any],
             auth_ids: Iterable[str]) -> AuthorizationRequest | None:
    """The newest request the user may see that came as a Claim with one of these identifiers."""
    markers = [m for m in (claim_marker(i) for i in identifiers if isinstance(i, dict)) if m]
    if markers:
        found = session.scalars(
            select(AuthorizationRequest)
            .join(RequestEvent, RequestEvent.request_pk == AuthorizationRequest.id)
            .where(RequestEvent.type == RECEIVED_EVENT, RequestEvent.reason.in_(markers),
                   access.visibility(user))
            .order_by(AuthorizationRequest.id.desc()).limit(1)).first()
        if found is not None:
            return found
    ids = [i for i in auth_ids if i]
    if not ids:
        return None
    return session.scalars(select(AuthorizationRequest).where(
        AuthorizationRequest.authorization_id.in_(ids), access.visibility(user))
        .order_by(AuthorizationRequest.id.desc()).limit(1)).first()


@dataclass(frozen=True)
class Example:
    """What an inquiry asks for: any request matching every criterion given."""

    member_id: str | None
    npi: str | None
    codes: list[str]
    start: date | None
    end: date | None
    auth_ids: list[str]


def example(view: BundleView, claim: Entry) -> Example:
    """The criteria of a PAS inquiry Claim (query by example)."""
    member_ref, _ = member(view, claim)
    provider = view.resolve((claim.raw.get("provider") or {}).get("reference"), claim)
    items = [i for i in claim.raw.get("item") or [] if isinstance(i, dict)]
    starts, ends = [], []
    for item in items:
        period = item.get("servicedPeriod") or {}
        starts.append(to_date(item.get("servicedDate")) or to_date(period.get("start")))
        ends.append(to_date(item.get("servicedDate")) or to_date(period.get("end")))
    billable = claim.raw.get("billablePeriod") or {}
    starts.append(to_date(billable.get("start")))
    ends.append(to_date(billable.get("end")))
    return Example(
        member_id=member_ref.get("member_id"), npi=npi_of(view, provider),
        codes=sorted({x.upper() for i in items for x in codes(i.get("productOrService"))}),
        start=min((d for d in starts if d), default=None), end=max((d for d in ends if d), default=None),
        auth_ids=authorization_refs(claim.raw))


def matching(session: Session, user: User, ex: Example) -> list[AuthorizationRequest]:
    """Requests the user may see that match the example, newest first."""
    q = select(AuthorizationRequest).where(access.visibility(user))
    if ex.auth_ids:
        q = q.where(AuthorizationRequest.authorization_id.in_(ex.auth_ids))
    if ex.member_id:
        # member_reference holds the ID as sent, so members unknown to the directory match too.
        q = q.where(func.upper(AuthorizationRequest.member_reference["member_id"].as_string())
                    == ex.member_id.upper())
    if ex.npi:
        q = q.where(or_(AuthorizationRequest.requesting_npi == ex.npi,
                        AuthorizationRequest.servicing_npi == ex.npi,
                        AuthorizationRequest.facility_npi == ex.npi))
    if ex.codes or ex.start or ex.end:
        lines = select(ServiceLine.request_pk)
        if ex.codes:
            lines = lines.where(ServiceLine.code.in_(ex.codes))
        if ex.end:
            lines = lines.where(ServiceLine.from_date <= ex.end)
        if ex.start:
            lines = lines.where(func.coalesce(ServiceLine.to_date, ServiceLine.from_date) >= ex.start)
        q = q.where(AuthorizationRequest.id.in_(lines))
    return list(session.scalars(q.order_by(AuthorizationRequest.received_at.desc(),
                                           AuthorizationRequest.id.desc()).limit(MAX_MATCHES)))
