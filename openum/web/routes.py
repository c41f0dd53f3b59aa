"""Every API route of an app, including those of included routers, whatever FastAPI's version."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi.routing import APIRoute


def api_routes(routes: Iterable[Any]) -> list[APIRoute]:
    out: list[APIRoute] = []
    for r in routes:
        if isinstance(r, APIRoute):
            out.append(r)
        elif hasattr(r, "original_router"):  # FastAPI >= 0.150 keeps included routers as objects
            out.extend(api_routes(r.original_router.routes))
    return out
