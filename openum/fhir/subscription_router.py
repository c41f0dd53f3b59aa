"""FHIR Subscription endpoints (R4 backport, PAS topic): create, search, read, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select

from openum.auth.models import User
from openum.auth.permissions import Permission
from openum.fhir import subscriptions as subs
from openum.fhir.outcome import FhirError, Issue, fhir_json
from openum.fhir.router import Body, FhirRoute, FhirSession, negotiate
from openum.web.deps import ClockDep, require

router = APIRouter(prefix="/fhir", tags=["fhir"], route_class=FhirRoute, dependencies=[Depends(negotiate)])
Subscribing = Annotated[User, Depends(require(Permission.REQUEST_SUBMIT))]


def _organization(user: User) -> str:
    if not user.organization_id:
        raise FhirError(403, [Issue("only a provider organization's account may subscribe to PAS "
                                    "notifications", code="forbidden")])
    return user.organization_id


def _own(session: FhirSession, user: User, sub_id: str) -> subs.FhirSubscription:
    sub = session.get(subs.FhirSubscription, sub_id)
    if sub is None or sub.organization_id != user.organization_id or sub.status == "off":
        raise FhirError(404, [Issue(f"no Subscription/{sub_id} for this organization", code="not-found")])
    return sub


@router.post("/Subscription", summary="Subscribe to PAS notifications (R4 backport, rest-hook)")
def create_subscription(request: Request, user: Subscribing, body: Body, session: FhirSession,
                        clock: ClockDep) -> Response:
    allow_http = request.app.state.settings.env != "production"
    parsed = subs.parse(body, allow_http=allow_http)
    org = _organization(user)
    if not subs.identifies(session, org, parsed.filter_value):
        raise FhirError(403, [Issue(f"organization identifier {parsed.filter_value!r} is not your "
                                    "organization's (its id, tax ID or one of its NPIs)",
                                    "Subscription.criteria", code="forbidden")])
    sub = subs.create(session, organization_id=org, parsed=parsed, resource=body, user_id=user.id,
                      now=clock.now())
    session.commit()
    return fhir_json(subs.represent(sub), status=201, headers={"Location": f"/fhir/Subscription/{sub.id}"})


@router.get("/Subscription", summary="This organization's PAS subscriptions (searchset)")
def list_subscriptions(user: Subscribing, session: FhirSession) -> Response:
    rows = session.scalars(select(subs.FhirSubscription).where(
        subs.FhirSubscription.organization_id == (user.organization_id or ""),
        subs.FhirSubscription.status != "off").order_by(subs.FhirSubscription.created_at)).all()
    return fhir_json({"resourceType": "Bundle", "type": "searchset", "total": len(rows),
                      "entry": [{"fullUrl": f"Subscription/{s.id}", "resource": subs.represent(s)}
                                for s in rows]})


@router.get("/Subscription/{subscription_id}", summary="Read a PAS subscription")
def read_subscription(subscription_id: str, user: Subscribing, session: FhirSession) -> Response:
    return fhir_json(subs.represent(_own(session, user, subscription_id)))


@router.delete("/Subscription/{subscription_id}", summary="End a PAS subscription")
def delete_subscription(subscription_id: str, user: Subscribing, session: FhirSession) -> Response:
    sub = _own(session, user, subscription_id)
    sub.status = "off"
    session.commit()
    return Response(status_code=204)
