"""The FastAPI application factory."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import Engine

from openum import __version__
from openum.clock import Clock
from openum.db import make_engine, make_session_factory
from openum.intake.storage import AttachmentStore
from openum.packs.registry import PackRegistry
from openum.settings import Settings, get_settings
from openum.web import errors, observability, security


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    registry: PackRegistry | None = None,
    engine: Engine | None = None,
) -> FastAPI:
    """Build the service; tests pass their own clock, packs and engine."""
    settings = settings or get_settings()
    app = FastAPI(
        title="OpenUM",
        version=__version__,
        description="Utilization management for health plans: intake, coverage, clocks, review.",
        debug=settings.debug,
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    app.state.session_factory = make_session_factory(app.state.engine)
    app.state.clock = clock or settings.clock()
    app.state.registry = registry or PackRegistry.from_dir(settings.packs_dir)
    app.state.store = AttachmentStore(settings.storage_dir)

    errors.install(app)
    security.install(app, settings)
    observability.install(app)

    from openum.attestations.router import router as attestations_router
    from openum.auth.router import router as auth_router
    from openum.coverage.router import router as coverage_router
    from openum.deadlines.router import router as deadlines_router
    from openum.fhir.router import router as fhir_router
    from openum.intake.router import router as intake_router
    from openum.notification.router import router as notices_router
    from openum.packs.router import router as packs_router
    from openum.review.router import router as review_router

    for r in (auth_router, intake_router, coverage_router, deadlines_router, packs_router, review_router,
              notices_router, fhir_router):
        app.include_router(r)
    app.include_router(attestations_router)

    from openum.ui import install

    install(app)

    from openum.fhir.interfaces import install as install_standards

    install_standards(app)  # PAS subscriptions, DTR, CRD, X12 278, SMART (FHIR catch-all kept last)

    from openum.appeals.router import router as appeals_router
    app.include_router(appeals_router)

    from openum.episodes.router import router as episodes_router
    app.include_router(episodes_router)

    @app.get("/healthz", tags=["ops"], summary="Liveness")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", tags=["ops"], summary="Readiness: database reachable, packs loaded")
    def readyz() -> dict[str, Any]:
        with app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ready", "plans": app.state.registry.plan_ids()}

    return app
