"""Operations: Prometheus metrics at /metrics, and one JSON log line per request (no PHI)."""

from __future__ import annotations

import hmac
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from openum.web.security import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("openum.request")
_JSON_HANDLER = "openum-json"
# Fields a log call may add with `extra=`; anything else stays out of the line.
_EXTRA_FIELDS = ("method", "route", "status", "duration_ms", "user", "request_id")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the request fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage(),
        }
        out.update({k: getattr(record, k) for k in _EXTRA_FIELDS if hasattr(record, k)})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a record is emitted (process managers and tests swap it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def configure_logging(level: str | int = "INFO") -> None:
    """JSON lines on stderr for every logger, uvicorn's included; its access log (full URLs) off."""
    handler = _Stderr()
    handler.set_name(_JSON_HANDLER)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if h.get_name() != _JSON_HANDLER] + [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "gunicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    # Access lines carry query strings (member IDs): our request line replaces them.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("gunicorn.access").disabled = True


class DatabaseGauges(Collector):
    """Computed on each scrape: open work by queue, escalated open deadlines, breaches so far."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        from openum.deadlines.models import Deadline
        from openum.review.models import WorkItem

        up = GaugeMetricFamily("openum_metrics_database_up", "1 when the gauges below could be read")
        queues = GaugeMetricFamily("openum_work_items_open", "Work items waiting or pended, by queue",
                                   labels=["queue", "state"])
        at_risk = GaugeMetricFamily("openum_deadlines_at_risk",
                                    "Open deadlines past an escalation point, by obligation",
                                    labels=["obligation"])
        breaches = CounterMetricFamily("openum_deadline_breaches", "Deadlines that passed unmet",
                                       labels=["obligation"])
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(select(WorkItem.queue, WorkItem.state, func.count())
                                    .where(WorkItem.state.in_(("open", "waiting")))
                                    .group_by(WorkItem.queue, WorkItem.state)).all()
                risk = conn.execute(select(Deadline.obligation, func.count())
                                    .where(Deadline.state == "open", Deadline.escalation_level > 0)
                                    .group_by(Deadline.obligation)).all()
                breached = conn.execute(select(Deadline.obligation, func.count())
                                        .where(Deadline.state == "breached")
                                        .group_by(Deadline.obligation)).all()
        except Exception:
            logging.getLogger("openum.metrics").exception("database gauges unavailable")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for queue, state, n in rows:
            queues.add_metric([queue, state], n)
        for obligation, n in risk:
            at_risk.add_metric([obligation], n)
        for obligation, n in breached:
            breaches.add_metric([obligation], n)
        yield from (up, queues, at_risk, breaches)


def _multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


class RequestMetrics:
    """Times each request by route template (never the raw path) and logs one line for it."""

    def __init__(self, app: ASGIApp, *, latency: Histogram) -> None:
        self.app = app
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            elapsed = time.perf_counter() - start
            template = getattr(scope.get("route"), "path", None)
            # Inside a mounted sub-application (the /ui pages) the template is relative to the mount.
            route = f"{scope.get('root_path', '')}{template}" if template else "other"
            method = scope.get("method", "")
            self.latency.labels(method, route, str(status)).observe(elapsed)
            state = scope.get("state") or {}
            who = state.get("openum.principal")
            log.info("request", extra={
                "method": method, "route": route, "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "user": who if who and not who.startswith("ip:") else None,
            })


def install(app: FastAPI) -> None:
    """Add the request timer and log line, and GET /metrics (guarded by OPENUM_METRICS_TOKEN if set)."""
    settings = app.state.settings
    if settings.env != "test" and os.environ.get("OPENUM_LOG_FORMAT", "json") == "json":
        configure_logging(os.environ.get("OPENUM_LOG_LEVEL", "INFO").upper())
    multiproc = _multiprocess_dir()
    registry = CollectorRegistry()
    if multiproc:  # several worker processes: each writes its samples under this directory
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry, path=multiproc)  # type: ignore[no-untyped-call]
    latency = Histogram("openum_http_request_duration_seconds", "Request latency by route",
                        ["method", "route", "status"], registry=None if multiproc else registry,
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
    registry.register(DatabaseGauges(app.state.engine))
    app.state.metrics_registry = registry
    app.add_middleware(RequestMetrics, latency=latency)
    token = os.environ.get("OPENUM_METRICS_TOKEN")

    async def metrics(request: Request) -> Response:
        if token:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), token.encode()):
                return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return Response(await run_in_threadpool(generate_latest, registry), media_type=CONTENT_TYPE_LATEST)

    app.add_route("/metrics", metrics, methods=["GET"], include_in_schema=False)

