"""Business errors and malformed input become clear JSON answers here, and only here."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

from openum.errors import DomainError

log = logging.getLogger("openum.web")


def _problem(status: int, code: str, message: str, details: list[dict[str, Any]]) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(status_code=status, headers=headers,
                        content={"error": {"code": code, "message": message, "details": details}})


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return _problem(exc.http_status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": [str(p) for p in err["loc"]], "location": ".".join(str(p) for p in err["loc"]),
             "msg": err["msg"], "type": err["type"]}
            for err in exc.errors()
        ]
        return _problem(422, "malformed_request",
                        f"the request has {len(details)} problem(s); each is listed with its location",
                        details)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _out_of_range(_: Request, exc: Exception) -> JSONResponse:
        # Only input can produce these (an id or number the database cannot hold); nothing was written.
        return _problem(422, "value_out_of_range",
                        "a number in the request is outside the range the service stores", [])

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _problem(500, "internal_error", "an internal error occurred; it has been logged", [])
