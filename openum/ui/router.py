"""The browser UI: server-rendered pages under /ui, static files under /ui/static, `/` redirects.

The pages live in a sub-application mounted at /ui that shares the API's state (database, clock,
packs, attachment store), so `/api/v1` stays the list of API routes and the pages answer HTML
(sign-in redirects and error pages) rather than the API's JSON problems. Security headers (CSP
without inline script or style) come from openum.web.security, around the whole service.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.routing import Route

from openum.errors import DomainError
from openum.ui import (
    pages_admin,
    pages_auth,
    pages_case,
    pages_intake,
    pages_members,
    pages_portal,
    pages_queue,
)
from openum.ui.rendering import render
from openum.ui.session import CsrfRejected, PageForbidden, SignInRequired

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)
for _module in (pages_auth, pages_intake, pages_case, pages_queue, pages_portal, pages_members, pages_admin):
    router.include_router(_module.router)

def _root(_: Request) -> Response:
    return RedirectResponse("/ui/", status_code=307)


root_routes = [Route("/", _root, methods=["GET", "HEAD"], include_in_schema=False)]


def _error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render(request, "error.html", {"title": title, "detail": message}, status_code=status)


def _handlers(ui: FastAPI) -> None:
    @ui.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": exc.next_url})
        return RedirectResponse(exc.next_url, status_code=303)

    @ui.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> HTMLResponse:
        return _error_page(request, 403, "Not available to your role", exc.message)

    @ui.exception_handler(CsrfRejected)
    async def _csrf(request: Request, _: CsrfRejected) -> HTMLResponse:
        return _error_page(request, 403, "Form expired", "This form could not be verified (missing or stale "
                           "security token). Go back, reload the page and try again.")

    @ui.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> HTMLResponse:
        title = "Not found" if exc.http_status == 404 else "Could not complete the request"
        return _error_page(request, exc.http_status, title, exc.message)

    @ui.exception_handler(404)
    async def _missing(request: Request, _: Exception) -> HTMLResponse:
        return _error_page(request, 404, "Not found", "There is no page at this address.")


def install(app: FastAPI) -> None:
    """Mount the pages at /ui (sharing the app's state), static files at /ui/static, and `/`."""
    import openum.ui.models  # noqa: F401  (the call-log table joins the metadata)

    ui = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, debug=app.debug)
    ui.state = app.state
    ui.mount("/static", StaticFiles(directory=STATIC), name="static")
    ui.include_router(router)
    _handlers(ui)
    app.mount("/ui", ui)
    app.router.routes.extend(root_routes)
