"""The standard interfaces' routers: PAS Subscriptions, DTR, CRD (CDS Hooks), X12 278, SMART.

`install(app)` includes them and keeps the FHIR catch-all (`/fhir/{path:path}`, which answers unknown
paths with a FHIR 404) after them, so it does not shadow /fhir/Subscription and the rest.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI


def install(app: FastAPI) -> None:
    """Include the standards routers; the FHIR catch-all stays last so it does not shadow them."""
    from openum.fhir.router import router as pas_router

    for router in _routers():
        app.include_router(router)
    routes = app.router.routes
    # The PAS router (whose last route is the catch-all) moves behind ours: FastAPI keeps an included
    # router as one entry (original_router); older versions copy its routes in.
    last = [r for r in routes if getattr(r, "original_router", None) is pas_router
            or getattr(r, "path", None) == "/fhir/{path:path}"]
    for r in last:
        routes.remove(r)
        routes.append(r)
    changed = getattr(app.router, "_mark_routes_changed", None)
    if changed is not None:
        changed()


def _routers() -> list[APIRouter]:
    from openum.fhir.crd import router as crd_router
    from openum.fhir.dtr_router import router as dtr_router
    from openum.fhir.smart import router as smart_router
    from openum.fhir.subscription_router import router as subscription_router
    from openum.x12.router import router as x12_router

    return [subscription_router, dtr_router, crd_router, x12_router, smart_router]
