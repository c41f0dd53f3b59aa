"""POST /x12/278: an X12 278 request interchange in, the 278 response interchange out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from openum.auth.models import User
from openum.auth.permissions import Permission
from openum.web.deps import ClockDep, RegistryDep, SessionDep, StoreDep, actor_for, require
from openum.x12 import service
from openum.x12.segments import X12Error

router = APIRouter(prefix="/x12", tags=["x12"])
MEDIA_TYPE = "application/edi-x12"


async def interchange_text(request: Request) -> str:
    """The raw body as text, whatever Content-Type it came with (X12 is ASCII; Latin-1 tolerated)."""
    raw = await request.body()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


@router.post("/278", summary="X12 278 (005010X217): request in, response out, through the one intake",
             response_class=Response,
             openapi_extra={"requestBody": {"content": {MEDIA_TYPE: {"schema": {"type": "string"}},
                                                        "text/plain": {"schema": {"type": "string"}}},
                                            "required": True}})
def x12_278(request: Request, user: Annotated[User, Depends(require(Permission.REQUEST_SUBMIT))],
            text: Annotated[str, Depends(interchange_text)], session: SessionDep, clock: ClockDep,
            registry: RegistryDep, store: StoreDep) -> Response:
    """Refused (400, one line per defect, naming the segment) before anything is received."""
    try:
        answered = service.receive(session, registry=registry, clock=clock, store=store, user=user, text=text,
                                   actor=actor_for(user, request, "x12_278"),
                                   source_ip=request.client.host if request.client else None)
    except X12Error as exc:
        session.rollback()
        return Response("\n".join(exc.problems) + "\n", status_code=400, media_type="text/plain")
    session.commit()  # before answering: a promised authorization ID must exist
    return Response(answered.text, media_type=MEDIA_TYPE,
                    headers={"X-Authorization-Ids": ",".join(answered.authorization_ids)})
