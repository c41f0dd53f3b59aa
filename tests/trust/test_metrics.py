"""GET /metrics: request latency by route, and gauges read from the database on each scrape."""

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from openum.clock import FrozenClock
from openum.deadlines.models import Deadline
from openum.deadlines.worker import scan_once
from openum.packs.registry import PackRegistry
from openum.review.models import WorkItem
from tests.conftest import Database
from tests.factories import AWH_KNEE, PHC_KNEE, body, line
from tests.trust.conftest import MakeClient

H = Callable[[str], dict[str, str]]


def _samples(client: TestClient, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(r.text) for s in fam.samples}


def test_metrics_expose_latency_and_database_gauges(app_client: TestClient, headers: H, db: Database,
                                                    clock: FrozenClock, registry: PackRegistry) -> None:
    later = [line("27447", "2026-12-21", pos="21")]
    for payload, user in ((body(AWH_KNEE, urgency="urgent"), "provider-awh"),
                          (body(AWH_KNEE, service_lines=later), "provider-awh"), (PHC_KNEE, "provider-phc")):
        assert app_client.post("/api/v1/requests", json=payload, headers=headers(user)).status_code == 201
    app_client.get("/api/v1/requests/AWH-000000-0000000", headers=headers("nurse"))
    # 60 hours on: the urgent clock (72 hours) is escalated; a standard one (by Friday night) breached.
    clock.advance(timedelta(hours=60))
    scan_once(db.factory, registry=registry, clock=clock)

    m = _samples(app_client)
    with db.factory() as s:
        queues = {q: n for q, n in s.execute(select(WorkItem.queue, func.count())
                                             .where(WorkItem.state == "open").group_by(WorkItem.queue))}
        at_risk = s.scalar(select(func.count()).select_from(Deadline).where(
            Deadline.state == "open", Deadline.escalation_level > 0))
        breached = s.scalar(select(func.count()).select_from(Deadline).where(Deadline.state == "breached"))
    assert queues and at_risk and breached, (queues, at_risk, breached)
    assert m[("openum_metrics_database_up", ())] == 1
    for queue, n in queues.items():
        assert m[("openum_work_items_open", (("queue", queue), ("state", "open")))] == n
    assert sum(v for (name, _), v in m.items() if name == "openum_deadlines_at_risk") == at_risk
    assert sum(v for (name, _), v in m.items() if name == "openum_deadline_breaches_total") == breached

    # Latency by route template: the authorization ID in the path never becomes a label.
    submits = m[("openum_http_request_duration_seconds_count",
                 (("method", "POST"), ("route", "/api/v1/requests"), ("status", "201")))]
    assert submits == 3
    assert ("openum_http_request_duration_seconds_count",
            (("method", "GET"), ("route", "/api/v1/requests/{authorization_id}"), ("status", "404"))) in m
    assert not any("AWH-000000" in str(labels) for _, labels in m)


def test_metrics_token_when_configured(make_client: MakeClient) -> None:
    client = make_client(environ={"OPENUM_METRICS_TOKEN": "scrape-secret-123"})
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert _samples(client, Authorization="Bearer scrape-secret-123")[("openum_metrics_database_up", ())] == 1


def test_request_log_line_has_no_phi(app_client: TestClient, headers: H, caplog) -> None:  # type: ignore[no-untyped-def]
    import json
    import logging

    from openum.web.observability import JsonFormatter

    caplog.set_level(logging.INFO, logger="openum.request")
    app_client.get("/api/v1/requests", params={"member_id": "AWH200101"}, headers=headers("nurse"))
    records = [r for r in caplog.records if r.name == "openum.request"]
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["method"] == "GET" and line["route"] == "/api/v1/requests" and line["status"] == 200
    assert line["user"].startswith("user:") and line["duration_ms"] >= 0
    assert "AWH200101" not in json.dumps(line)
