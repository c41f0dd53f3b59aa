"""R4 backport Subscriptions on the PAS topic: a pended PAS request, decided by a nurse through the
REST API, reaches the subscriber's rest-hook listener on loopback as a full-resource notification."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openum.clock import FrozenClock
from openum.fhir import response_profile, subscriptions
from openum.fhir.outcome import FhirError
from openum.fhir.response_profile import PAS_TOPIC
from tests.conftest import Database
from tests.fhir.bundles import pas_bundle
from tests.fhir.conftest import Fhir
from tests.test_review import KNEE_MET

H = Callable[[str], dict[str, str]]


class Listener:
    """A rest-hook endpoint on loopback: records every POST; answers `codes` in turn, then 200."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.codes: list[int] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                owner.received.append(json.loads(body))
                owner.headers.append(dict(self.headers.items()))
                self.send_response(owner.codes.pop(0) if owner.codes else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


def subscription(endpoint: str, value: str = "2547517799", name: str = "org-identifier",
                 **channel: Any) -> dict[str, Any]:
    return {"resourceType": "Subscription", "status": "requested",
            "reason": "PAS answers for our organization", "criteria": PAS_TOPIC,
            "_criteria": {"extension": [{"url": subscriptions.EXT_FILTER, "valueString": f"{name}={value}"}]},
            "channel": {"type": "rest-hook", "endpoint": endpoint, "payload": "application/fhir+json",
                        "_payload": {"extension": [{"url": subscriptions.EXT_CONTENT, "valueCode": "full-resource"}]},
                        **channel}}


def _pended(fhir: Fhir, ident: str = "sub-1") -> str:
    r = fhir.submit(pas_bundle(ident=ident))
    assert r.status_code == 200, r.text
    return str(r.json()["entry"][0]["resource"]["preAuthRef"])


def _nurse_approves(client: TestClient, headers: H, aid: str) -> None:
    items = client.get("/api/v1/queues/mine", headers=headers("nurse")).json()
    item = next(i for i in items if i["authorization_id"] == aid)
    assert client.post(f"/api/v1/work-items/{item['id']}/claim", headers=headers("nurse")).status_code == 200
    ev = client.post(f"/api/v1/requests/{aid}/evaluations", json=KNEE_MET, headers=headers("nurse"))
    assert ev.status_code in (200, 201), ev.text
    r = client.post(f"/api/v1/requests/{aid}/decision", headers=headers("nurse"),
                    json={"action": "approve", "reason": "Criteria met on the submitted clinical facts."})
    assert r.status_code == 200, r.text


def _codes(bundle: dict[str, Any]) -> list[str]:
    cr = bundle["entry"][0]["resource"]
    out = []
    for it in cr["item"]:
        ext = it["adjudication"][0]["extension"][0]["extension"]
        out += [x["valueCodeableConcept"]["coding"][0]["code"] for x in ext if x["url"].endswith("Code")]
    return out


def test_round_trip_pended_then_nurse_approves_then_listener_gets_the_answer(
        fhir: Fhir, app_client: TestClient, headers: H, db: Database, clock: FrozenClock,
        listener: Listener) -> None:
    created = fhir.post("Subscription", subscription(listener.url, header=["Authorization: Bearer hook-secret"]))
    assert created.status_code == 201, created.text
    sub = created.json()
    assert sub["status"] == "active" and created.headers["location"] == f"/fhir/Subscription/{sub['id']}"
    aid = _pended(fhir)
    assert listener.received == []
    _nurse_approves(app_client, headers, aid)
    assert listener.received == []  # queued in the decision's transaction; delivered by the worker

    result = subscriptions.deliver_due(db.factory, now=clock.now())
    assert (result.delivered, result.failed) == (1, 0)
    [note] = listener.received
    assert listener.headers[0]["Authorization"] == "Bearer hook-secret"
    assert listener.headers[0]["Content-Type"] == "application/fhir+json"
    assert response_profile.check_notification(note) == []
    status = note["entry"][0]["resource"]
    params = {p["name"]: p for p in status["parameter"]}
    assert params["subscription"]["valueReference"]["reference"] == f"Subscription/{sub['id']}"
    assert params["topic"]["valueCanonical"] == PAS_TOPIC
    assert params["type"]["valueCode"] == "event-notification"
    focus = next(p for p in params["notification-event"]["part"] if p["name"] == "focus")
    answer = next(e["resource"] for e in note["entry"] if e["fullUrl"] == focus["valueReference"]["reference"])
    cr = answer["entry"][0]["resource"]
    assert cr["preAuthRef"] == aid and _codes(answer) == ["A1"]
    assert cr["identifier"] == [{"system": "urn:trnorg:2547517799", "value": "claim-sub-1"}]  # echoed
    assert cr["extension"][0]["extension"][0] == {"url": "wasHumanReviewedFlag", "valueBoolean": True}
    assert response_profile.check_response(answer, strict=True) == []
    # Delivered once: a second run has nothing to do.
    assert subscriptions.deliver_due(db.factory, now=clock.now()).delivered == 0


def test_failed_delivery_is_retried_with_backoff(
        fhir: Fhir, app_client: TestClient, headers: H, db: Database, clock: FrozenClock,
        listener: Listener) -> None:
    assert fhir.post("Subscription", subscription(listener.url, name="orgIdentifier")).status_code == 201
    aid = _pended(fhir, "sub-2")
    _nurse_approves(app_client, headers, aid)
    listener.codes = [503]
    first = subscriptions.deliver_due(db.factory, now=clock.now())
    assert (first.delivered, first.failed) == (0, 1)
    with db.factory() as s:
        row = s.scalars(select(subscriptions.SubscriptionDelivery)).one()
        assert row.status == "failed" and row.attempts == 1 and "503" in (row.last_error or "")
    assert subscriptions.deliver_due(db.factory, now=clock.now()).delivered == 0  # not due yet
    again = subscriptions.deliver_due(db.factory, now=clock.now() + timedelta(minutes=2))
    assert again.delivered == 1 and len(listener.received) == 2
    assert listener.received[0] == listener.received[1]  # the same notification, re-sent


def test_other_organizations_and_portal_requests_notify_nobody(
        fhir: Fhir, app_client: TestClient, headers: H, db: Database, clock: FrozenClock,
        listener: Listener) -> None:
    # provider-awh-2 works at another office: its subscription hears nothing of provider-awh's requests.
    other = fhir.post("Subscription", subscription(listener.url, value="1298369574"), user="provider-awh-2")
    assert other.status_code == 201, other.text
    aid = _pended(fhir, "sub-3")
    _nurse_approves(app_client, headers, aid)
    assert subscriptions.deliver_due(db.factory, now=clock.now()).delivered == 0
    assert listener.received == []


def test_subscription_refusals_name_the_problem(fhir: Fhir) -> None:
    # Another organization's identifier.
    r = fhir.post("Subscription", subscription("http://127.0.0.1:9/x", value="1298369574"))
    assert r.status_code == 403 and "not your organization" in r.text
    bad = subscription("ftp://example.org/x")
    bad["criteria"] = "http://example.org/SubscriptionTopic/other"
    bad["channel"]["type"] = "websocket"
    del bad["_criteria"]
    r = fhir.post("Subscription", bad)
    assert r.status_code == 422
    where = [i["expression"][0] for i in r.json()["issue"]]
    assert where == ["Subscription.criteria", "Subscription.criteria", "Subscription.channel.type",
                     "Subscription.channel.endpoint"]
    id_only = subscription("http://127.0.0.1:9/x")
    id_only["channel"]["_payload"]["extension"][0]["valueCode"] = "id-only"
    r = fhir.post("Subscription", id_only)
    assert r.status_code == 422 and "full-resource" in r.text
    # Staff accounts belong to no provider organization.
    r = fhir.post("Subscription", subscription("http://127.0.0.1:9/x"), user="intake")
    assert r.status_code == 403


def test_read_search_and_delete(fhir: Fhir, app_client: TestClient, headers: H) -> None:
    sub = fhir.post("Subscription", subscription("http://127.0.0.1:9/x", value="charles-river-primary-care")).json()
    h = headers("provider-awh")
    got = app_client.get(f"/fhir/Subscription/{sub['id']}", headers=h)
    assert got.status_code == 200 and got.json()["channel"]["endpoint"] == "http://127.0.0.1:9/x"
    assert app_client.get(f"/fhir/Subscription/{sub['id']}", headers=headers("provider-awh-2")).status_code == 404
    assert app_client.get("/fhir/Subscription", headers=h).json()["total"] == 1
    assert app_client.delete(f"/fhir/Subscription/{sub['id']}", headers=h).status_code == 204
    assert app_client.get(f"/fhir/Subscription/{sub['id']}", headers=h).status_code == 404
    assert app_client.get("/fhir/Subscription", headers=h).json()["total"] == 0


def test_the_ig_example_subscription_parses() -> None:
    from tests.fhir.bundles import IG, load

    example = load(IG / "Subscription-PASSubscriptionExample.json")
    parsed = subscriptions.parse(example, allow_http=True)
    assert parsed.filter_value == "1234567893"
    assert parsed.endpoint == "http://example.org/send-me-subscription-notifications"
    with pytest.raises(FhirError, match="https"):  # production accepts https endpoints only
        subscriptions.parse(example, allow_http=False)
