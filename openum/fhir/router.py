"""FHIR R4 endpoints under /fhir: the CapabilityStatement, PAS Claim/$submit and Claim/$inquire."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openum.audit import service as audit
from openum.auth.models import User
from openum.auth.permissions import Permission
from openum.clock import Clock
from openum.deadlines import service as deadlines
from openum.errors import DomainError
from openum.fhir import (
    capability,
    lookup,
    mapping,
    parse,
    people,
    profile,
    response,
    response_profile,
    updates,
)
from openum.fhir.echo import RECEIVED_EVENT, claim_marker, from_history, to_event_data
from openum.fhir.outcome import FhirError, Issue, fhir_json, from_domain, refusal
from openum.intake import access, history
from openum.intake import service as intake
from openum.intake.models import AuthorizationRequest
from openum.intake.schemas import RequestOut, Submitter
from openum.intake.storage import AttachmentStore
from openum.intake.views import represent
from openum.packs.registry import PackRegistry
from openum.vocabulary import Channel
from openum.web.deps import ClockDep, RegistryDep, SessionDep, StoreDep, actor_for, require

log = logging.getLogger("openum.fhir")
CHANNEL = Channel.FHIR_PAS.value


class FhirRoute(APIRoute):
    """Every answer here is FHIR: refusals become one OperationOutcome, failures a bare 5xx."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                # The session dependency commits after the response is sent and never sees an
                # exception caught here, so the work of a refused or failed call is undone now.
                session: Session | None = getattr(request.state, "fhir_session", None)
                if session is not None:
                    await run_in_threadpool(session.rollback)
                if isinstance(exc, FhirError):
                    return refusal(exc)
                if isinstance(exc, DomainError):
                    return refusal(from_domain(exc))
                log.exception("unhandled error on %s %s", request.method, request.url.path)
                return Response(status_code=500)

        return route


def negotiate(request: Request) -> None:
    """Refuse a caller that accepts no JSON: this server speaks application/fhir+json only."""
    fmt = (request.query_params.get("_format") or "").lower()
    accept = (request.headers.get("accept") or "*/*").lower()
    if fmt and "json" not in fmt:
        raise FhirError(406, [Issue(f"_format {fmt!r} is not supported: use json", code="not-supported")])
    if not any(t in accept for t in ("json", "*/*", "application/*")):
        raise FhirError(406, [Issue(f"cannot answer in {accept}: only application/fhir+json",
                                    code="not-supported")])


router = APIRouter(prefix="/fhir", tags=["fhir"], route_class=FhirRoute,
                   dependencies=[Depends(negotiate)])


def fhir_session(request: Request, session: SessionDep) -> Session:
    """The request's session, remembered so a refusal can roll it back."""
    request.state.fhir_session = session
    return session


async def fhir_body(request: Request) -> dict[str, Any]:
    """The JSON body, read whatever Content-Type FastAPI would have insisted on."""
    return parse.read_json(await request.body(), request.headers.get("content-type"))


FhirSession = Annotated[Session, Depends(fhir_session)]
Body = Annotated[dict[str, Any], Depends(fhir_body)]
Submitting = Annotated[User, Depends(require(Permission.REQUEST_SUBMIT))]
Reading = Annotated[User, Depends(require(Permission.REQUEST_READ))]


def _request_bundle(body: dict[str, Any], *, inquiry: bool) -> parse.BundleView:
    """The request bundle, or a refusal naming every structural and profile problem at once."""
    raw = parse.unwrap_bundle(body)
    view, structural = parse.bundle(raw)
    rules: list[Issue] = []
    if raw.get("resourceType") == "Bundle":
        rules = profile.check_request(view, inquiry=inquiry)
        first = next((e for e in view.entries if e.index == 0), None)
        if first is None or first.type != "Claim":
            rules += response_profile.misdirected(raw)
    seen = {i.expression for i in structural}
    issues = structural + [i for i in rules if i.expression not in seen]
    if issues:
        raise FhirError(400 if structural else 422, issues)
    return view


def _plan_name(registry: PackRegistry, plan_id: str) -> str:
    """The insurer's name in answers: the plan's name in its newest pack."""
    return registry.versions(plan_id)[-1].manifest.plan.name


def _audit(session: Session, actor: audit.Actor, req: AuthorizationRequest, action: str,
           at: datetime, purpose: str) -> None:
    """One audit row for one request disclosed or changed through this channel."""
    audit.record(session, actor=actor, at=at, action=action, record_type="authorization_request",
                 record_id=req.authorization_id, member_id=req.member_reference.get("member_id"),
                 purpose=purpose)


@router.get("/metadata", summary="CapabilityStatement (FHIR R4, Da Vinci PAS 2.2.1)")
def metadata(request: Request, clock: ClockDep) -> Response:
    """Public: clients read it before they sign in."""
    return fhir_json(capability.statement(f"{str(request.base_url).rstrip('/')}/fhir", clock.now()))


@router.post("/Claim/$submit", summary="PAS: submit, update or cancel a prior authorization request")
def submit(request: Request, user: Submitting, body: Body, session: FhirSession, clock: ClockDep,
           registry: RegistryDep, store: StoreDep) -> Response:
    """Every accepted bundle lands in the one intake and is answered with a PAS Response Bundle."""
    view = _request_bundle(body, inquiry=False)
    claim = view.entries[0]
    now = clock.now()
    actor = actor_for(user, request, CHANNEL)
    kind = updates.classify(claim)
    if kind is updates.Kind.NEW:
        mapped = mapping.to_submit(view, registry)
        out = _receive(request, user, mapped, session, clock, registry, store)
        echo, items = mapped.echo, None
    else:
        out = _change(session, user, view, kind, actor=actor, now=now, registry=registry)
        items = response.answers(out, from_history(out.history)[0])
        echo = mapping.echo(view, claim, mapping.item_sequences(claim))
    bundle = response.build(out, plan_name=_plan_name(registry, out.plan_id), now=now, echo=echo,
                            parties=people.parties(view, claim), items=items,
                            answering=view.raw.get("identifier"))
    session.commit()  # before answering: a promised authorization ID must exist
    return fhir_json(bundle)


def _receive(request: Request, user: User, mapped: mapping.Mapped, session: Session,
             clock: Clock, registry: PackRegistry, store: AttachmentStore) -> RequestOut:
    """A new request through the one intake command; a re-sent bundle finds the first one."""
    result = intake.submit(
        session, registry=registry, clock=clock, store=store, cmd=mapped.cmd,
        submitter=Submitter(user_id=user.id, username=user.username, role=user.role,
                            organization_id=user.organization_id, channel=Channel.FHIR_PAS),
        idempotency_key=mapped.idempotency_key,
        source_ip=request.client.host if request.client else None)
    req = result.request
    access.ensure_visible(user, req)
    actor = actor_for(user, request, CHANNEL)
    if result.duplicate:
        _audit(session, actor, req, "read", clock.now(), "treatment_request")
    else:
        ident = mapped.echo.identifiers[0] if mapped.echo.identifiers else {}
        history.record_event(req, at=req.received_at, type=RECEIVED_EVENT, actor=actor,
                            reason=claim_marker(ident) or "PAS Claim",
                            data=to_event_data(mapped.echo, mapped.parties))
        session.flush()
    return represent(session, req, [])


def _change(session: Session, user: User, view: parse.BundleView, kind: updates.Kind, *,
            actor: audit.Actor, now: datetime, registry: PackRegistry) -> RequestOut:
    """An update or cancel applied to the request it names."""
    claim = view.entries[0]
    req = updates.original(session, user, view, claim)
    if kind is updates.Kind.CANCEL:
        changed = updates.cancel(session, req, at=now, actor=actor)
    else:
        changed = updates.update(req, claim, bundle_key=mapping.idempotency_key(view.raw),
                                 at=now, actor=actor)
    session.flush()
    if changed and kind is updates.Kind.CANCEL:
        deadlines.refresh(session, registry=registry, req=req)  # a withdrawn request has no clocks
    _audit(session, actor, req, "update" if changed else "read", now, "treatment_request")
    return represent(session, req, [])


@router.post("/Claim/$inquire", summary="PAS: find prior authorizations by example")
def inquire(request: Request, user: Reading, body: Body, session: FhirSession, clock: ClockDep,
            registry: RegistryDep) -> Response:
    """Parameters with one inquiry response Bundle per matching request the caller may see."""
    view = _request_bundle(body, inquiry=True)
    example = lookup.example(view, view.entries[0])
    if not (example.member_id or example.auth_ids):
        raise FhirError(422, [Issue("an inquiry needs the patient's member identifier or an "
                                    "authorization number", f"{mapping.CLAIM}.patient",
                                    code="required")])
    now = clock.now()
    actor = actor_for(user, request, CHANNEL)
    found = lookup.matching(session, user, example)
    params = []
    for req in found:
        out = represent(session, req, [])
        echo, parties = from_history(out.history)
        params.append({"name": "responseBundle", "resource": response.build(
            out, plan_name=_plan_name(registry, out.plan_id), now=now, echo=echo, parties=parties,
            inquiry=True, answering=view.raw.get("identifier"))})
    audit.record(session, actor=actor, at=now, action="search", record_type="authorization_request",
                 record_id=None, member_id=example.member_id, purpose="utilization_review")
    for req in found:
        _audit(session, actor, req, "read", now, "utilization_review")
    session.commit()
    return fhir_json({"resourceType": "Parameters", "parameter": params})


@router.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                  include_in_schema=False)
def unsupported(path: str) -> Response:
    """Anything else under /fhir: a FHIR 404, not the API's JSON error."""
    raise FhirError(404, [Issue(f"/fhir/{path} is not supported here: this server offers metadata, "
                                "Claim/$submit and Claim/$inquire", code="not-supported")])
