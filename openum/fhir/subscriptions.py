"""R4 backport Subscriptions on the PAS topic: pended answers become final answers.

A provider organization subscribes (rest-hook, full-resource) with a filter naming its organization
identifier. When a person decides a request that organization submitted by PAS, `on_decision` writes
one delivery row per active subscription into this module's own outbox, in the decision's own
transaction, holding the notification Bundle (type history: SubscriptionStatus Parameters first,
then the full PAS response Bundle). `deliver_due` POSTs due rows under a lease and retries failures
with backoff, like the notice outbox (openum.notification.service.deliver_due).

The notice outbox is not reused: its rows are letters to a member or provider with a regulatory
due time and a rendered document; a webhook to a subscriber's endpoint has none of these, and its
payload is the FHIR JSON itself.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from sqlalchemy import ForeignKey, Index, Integer, String, Text, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from openum.db import Base, JSONType, UTCDateTime, transaction
from openum.directory.models import Organization, Provider
from openum.fhir.outcome import FhirError, Issue
from openum.fhir.response_profile import PAS_TOPIC
from openum.intake.models import AuthorizationRequest
from openum.vocabulary import Channel

log = logging.getLogger("openum.fhir.subscriptions")
JSON = dict[str, Any]

BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport"
EXT_FILTER = f"{BACKPORT}/StructureDefinition/backport-filter-criteria"
EXT_CONTENT = f"{BACKPORT}/StructureDefinition/backport-payload-content"
PROFILE_SUBSCRIPTION = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-subscription"
PROFILE_NOTIFICATION = f"{BACKPORT}/StructureDefinition/backport-subscription-notification-r4"
PROFILE_STATUS = f"{BACKPORT}/StructureDefinition/backport-subscription-status-r4"
FILTER_NAMES = ("org-identifier", "orgIdentifier")
RETRY_BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
MAX_ATTEMPTS = 10
LEASE = timedelta(minutes=2)
TIMEOUT = 10.0


class FhirSubscription(Base):
    """One organization's subscription to the PAS topic."""

    __tablename__ = "fhir_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64), index=True)
    filter_value: Mapped[str] = mapped_column(String(100))
    endpoint: Mapped[str] = mapped_column(Text)
    headers: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | error | off
    events: Mapped[int] = mapped_column(Integer, default=0)  # events-since-subscription-start
    resource: Mapped[JSON] = mapped_column(JSONType)  # as submitted, for GET
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SubscriptionDelivery(Base):
    """One notification owed to one subscriber: the outbox row."""

    __tablename__ = "fhir_subscription_deliveries"
    __table_args__ = (Index("ix_fhir_subscription_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[str] = mapped_column(
        ForeignKey("fhir_subscriptions.id", ondelete="CASCADE"), index=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("authorization_requests.id", ondelete="CASCADE"),
                                            index=True)
    event_number: Mapped[int] = mapped_column(Integer)
    payload: Mapped[JSON] = mapped_column(JSONType)
    # pending -> sending -> delivered | failed (retried) | abandoned (after MAX_ATTEMPTS)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- the Subscription resource a client sends ---------------------------------------------------

def _ext_value(element: Any, url: str, key: str) -> Any:
    for ext in (element or {}).get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == url:
            return ext.get(key)
    return None


def filter_value(sub: JSON) -> str | None:
    """The organization identifier the subscription filters on (either spelling; `system|value` ok)."""
    candidates = [_ext_value(sub.get("_criteria"), EXT_FILTER, "valueString")]
    criteria = sub.get("criteria")
    if isinstance(criteria, str) and "?" in criteria:
        candidates.append(criteria.split("?", 1)[1])
    for text in candidates:
        if not isinstance(text, str):
            continue
        for name, value in parse_qsl(text, keep_blank_values=True):
            if name in FILTER_NAMES and value:
                return value.rsplit("|", 1)[-1].strip()
    return None


@dataclass(frozen=True)
class Parsed:
    endpoint: str
    filter_value: str
    headers: list[str]


def parse(sub: Any, *, allow_http: bool) -> Parsed:
    """The subscription's settings, or one refusal naming every problem."""
    if not isinstance(sub, dict) or sub.get("resourceType") != "Subscription":
        raise FhirError(400, [Issue("expected a Subscription resource", "Subscription", code="structure")])
    issues: list[Issue] = []
    criteria = sub.get("criteria")
    if not isinstance(criteria, str) or criteria.split("?", 1)[0] != PAS_TOPIC:
        issues.append(Issue(f"criteria must be the PAS topic {PAS_TOPIC}", "Subscription.criteria",
                            code="value"))
    value = filter_value(sub)
    if value is None:
        issues.append(Issue("a PAS subscription filters on the submitter's organization: "
                            "_criteria backport-filter-criteria 'org-identifier=...' (or 'orgIdentifier=...')",
                            "Subscription.criteria", code="required"))
    channel: JSON = sub["channel"] if isinstance(sub.get("channel"), dict) else {}
    if channel.get("type") != "rest-hook":
        issues.append(Issue("only channel.type 'rest-hook' is supported", "Subscription.channel.type",
                            code="not-supported"))
    endpoint = channel.get("endpoint")
    parts = urlsplit(endpoint) if isinstance(endpoint, str) else None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts is None or parts.scheme not in schemes or not parts.hostname:
        issues.append(Issue(f"channel.endpoint must be an absolute {' or '.join(schemes)} URL",
                            "Subscription.channel.endpoint", code="value"))
    payload = channel.get("payload")
    if payload is not None and "json" not in str(payload):
        issues.append(Issue("channel.payload must be application/fhir+json", "Subscription.channel.payload",
                            code="not-supported"))
    content = _ext_value(channel.get("_payload"), EXT_CONTENT, "valueCode")
    if content not in (None, "full-resource"):
        issues.append(Issue(f"PAS notifications are full-resource, not {content!r}",
                            "Subscription.channel.payload", code="not-supported"))
    headers = channel.get("header") or []
    if not isinstance(headers, list) or not all(isinstance(h, str) and ":" in h for h in headers):
        issues.append(Issue("channel.header entries are 'Name: value' strings", "Subscription.channel.header",
                            code="value"))
        headers = []
    if issues:
        raise FhirError(422, issues)
    assert isinstance(endpoint, str) and value is not None
    return Parsed(endpoint, value, list(headers))


def identifies(session: Session, organization_id: str, value: str) -> bool:
    """Whether `value` names this organization: its id, tax ID, or the NPI of one of its providers."""
    org = session.get(Organization, organization_id)
    if org is None:
        return False
    digits = "".join(ch for ch in value if ch.isdigit())
    if value == org.id or (org.tax_id and digits and digits == "".join(ch for ch in org.tax_id if ch.isdigit())):
        return True
    found = session.scalar(select(Provider.id).where(Provider.organization_id == organization_id,
                                                     Provider.npi == value).limit(1))
    return found is not None


def represent(sub: FhirSubscription) -> JSON:
    """The Subscription as we hold it: what was sent, with our id and status."""
    out = {**sub.resource, "id": sub.id, "status": sub.status}
    out.setdefault("meta", {"profile": [PROFILE_SUBSCRIPTION]})
    return out


def create(session: Session, *, organization_id: str, parsed: Parsed, resource: JSON, user_id: int | None,
           now: datetime) -> FhirSubscription:
    sub = FhirSubscription(id=str(uuid.uuid4()), organization_id=organization_id,
                           filter_value=parsed.filter_value, endpoint=parsed.endpoint, headers=parsed.headers,
                           status="active", events=0,
                           resource={k: v for k, v in resource.items() if k not in ("id", "status")},
                           created_by_user_id=user_id, created_at=now)
    session.add(sub)
    session.flush()
    return sub


# --- notifications ---------------------------------------------------------------------------

def notification(sub: FhirSubscription, response_bundle: JSON, *, event_number: int, now: datetime) -> JSON:
    """The backport notification Bundle: SubscriptionStatus Parameters, then the full resource."""
    focus_url = f"urn:uuid:{response_bundle.get('id') or uuid.uuid4()}"
    status = {
        "resourceType": "Parameters", "id": str(uuid.uuid4()), "meta": {"profile": [PROFILE_STATUS]},
        "parameter": [
            {"name": "subscription", "valueReference": {"reference": f"Subscription/{sub.id}"}},
            {"name": "topic", "valueCanonical": PAS_TOPIC},
            {"name": "status", "valueCode": "active"},
            {"name": "type", "valueCode": "event-notification"},
            {"name": "events-since-subscription-start", "valueString": str(event_number)},
            {"name": "notification-event", "part": [
                {"name": "event-number", "valueString": str(event_number)},
                {"name": "timestamp", "valueInstant": now.isoformat()},
                {"name": "focus", "valueReference": {"reference": focus_url}}]},
        ]}
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "meta": {"profile": [PROFILE_NOTIFICATION]},
            "type": "history", "timestamp": now.isoformat(),
            "entry": [{"fullUrl": f"urn:uuid:{status['id']}", "resource": status,
                       "request": {"method": "GET", "url": f"Subscription/{sub.id}/$status"},
                       "response": {"status": "200"}},
                      {"fullUrl": focus_url, "resource": response_bundle,
                       "request": {"method": "POST", "url": "Claim/$submit"},
                       "response": {"status": "200"}}]}


def _plan_name(session: Session, req: AuthorizationRequest, registry: Any) -> str:
    if registry is not None:
        return str(registry.versions(req.plan_id)[-1].manifest.plan.name)
    from openum.packs.models import PackVersion

    row = session.scalars(select(PackVersion).where(PackVersion.plan_id == req.plan_id)).first()
    return str(getattr(row, "plan_name", None) or req.plan_id)


def response_bundle(session: Session, req: AuthorizationRequest, now: datetime, registry: Any = None) -> JSON:
    """The full PAS response Bundle for the request as it stands, echoing its original Claim."""
    from openum.fhir import response
    from openum.fhir.echo import from_history
    from openum.intake.views import represent as represent_request

    out = represent_request(session, req, [])
    echo, parties = from_history(out.history)
    return response.build(out, plan_name=_plan_name(session, req, registry), now=now, echo=echo,
                          parties=parties)


def on_decision(session: Session, req: AuthorizationRequest, now: datetime, *, registry: Any = None) -> int:
    """Queue a notification for each subscriber of the submitting organization (same transaction)."""
    if req.channel != Channel.FHIR_PAS.value or not req.submitter_organization_id:
        return 0
    subs = session.scalars(select(FhirSubscription).where(
        FhirSubscription.organization_id == req.submitter_organization_id,
        FhirSubscription.status.in_(("active", "error"))).order_by(FhirSubscription.created_at)).all()
    if not subs:
        return 0
    session.flush()
    bundle = response_bundle(session, req, now, registry)
    for sub in subs:
        sub.events += 1
        session.add(SubscriptionDelivery(
            subscription_id=sub.id, request_pk=req.id, event_number=sub.events,
            payload=notification(sub, bundle, event_number=sub.events, now=now), status="pending",
            attempts=0, next_attempt_at=now, created_at=now))
    session.flush()
    return len(subs)


# --- delivery --------------------------------------------------------------------------------

@dataclass
class DeliveryResult:
    delivered: int = 0
    failed: int = 0


Post = Callable[[str, bytes, dict[str, str]], int]


def _http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
        return client.post(url, content=body, headers=headers).status_code


def deliver_due(factory: sessionmaker[Session], *, now: datetime, post: Post | None = None,
                batch: int = 50) -> DeliveryResult:
    """POST due notifications: claim under a lease, send, record delivery or schedule a retry."""
    post = post or _http_post
    result = DeliveryResult()
    with transaction(factory) as session:
        q = (select(SubscriptionDelivery)
             .where(SubscriptionDelivery.status.in_(("pending", "failed", "sending")),
                    or_(SubscriptionDelivery.next_attempt_at <= now, SubscriptionDelivery.lease_until <= now))
             .where(or_(SubscriptionDelivery.status != "sending", SubscriptionDelivery.lease_until <= now))
             .order_by(SubscriptionDelivery.id).limit(batch))
        if session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        claimed = []
        for pending in session.scalars(q):
            pending.status, pending.lease_until = "sending", now + LEASE
            pending.attempts += 1
            claimed.append(pending.id)
    for row_id in claimed:
        with transaction(factory) as session:
            row = session.get(SubscriptionDelivery, row_id)
            assert row is not None
            sub = session.get(FhirSubscription, row.subscription_id)
            if sub is None or sub.status == "off":
                row.status, row.lease_until, row.last_error = "abandoned", None, "subscription is off"
                continue
            headers = {"Content-Type": "application/fhir+json"}
            for h in sub.headers or []:
                name, _, value = h.partition(":")
                headers[name.strip()] = value.strip()
            error: str | None = None
            try:
                code = post(sub.endpoint, json.dumps(row.payload).encode(), headers)
                if not 200 <= code < 300:
                    error = f"endpoint answered HTTP {code}"
            except (httpx.HTTPError, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            row.lease_until = None
            if error is None:
                row.status, row.delivered_at, row.last_error = "delivered", now, None
                if sub.status == "error":
                    sub.status = "active"
                result.delivered += 1
                continue
            row.last_error = error
            result.failed += 1
            log.warning("subscription notification %s to %s failed: %s", row.id, sub.endpoint, error)
            if row.attempts >= MAX_ATTEMPTS:
                row.status, row.next_attempt_at = "abandoned", None
            else:
                row.status = "failed"
                row.next_attempt_at = now + RETRY_BACKOFF[min(row.attempts - 1, len(RETRY_BACKOFF) - 1)]
            sub.status = "error"
    return result
