"""The pages act through the very functions behind the REST endpoints: same rules, clocks, notices, audit.

`call` fills an endpoint function's parameters the way FastAPI's dependencies would (request, session,
clock, registry, store, settings, the signed-in user), so a page keeps working when an endpoint gains a
dependency. The page has already checked the caller's permission (`openum.ui.session.requires`) with
the same matrix the endpoint's own dependency uses.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from openum.auth import router as auth_api
from openum.auth.models import User
from openum.auth.permissions import Role
from openum.coverage import router as coverage_api
from openum.deadlines import service as deadlines
from openum.intake import access
from openum.intake import router as intake_api
from openum.intake import service as intake
from openum.intake.schemas import ClinicalFacts, RequestOut, SubmitRequest, SubmitResult, Submitter
from openum.intake.views import represent
from openum.notification import router as notices_api
from openum.review import router as review_api
from openum.review import schemas as rs
from openum.vocabulary import Channel

T = TypeVar("T")
USER_PARAMETERS = ("user", "_")


def call(endpoint: Callable[..., T], request: Request, session: Session, user: User, **given: Any) -> T:
    """Run an endpoint function with its dependencies supplied from this page request."""
    st = request.app.state
    pool = {"request": request, "session": session, "clock": st.clock, "registry": st.registry,
            "store": st.store, "settings": st.settings}
    args: dict[str, Any] = {}
    for name, param in inspect.signature(endpoint).parameters.items():
        if name in given:
            args[name] = given[name]
        elif name in pool:
            args[name] = pool[name]
        elif name in USER_PARAMETERS:
            args[name] = user
        elif param.default is inspect.Parameter.empty:
            raise TypeError(f"{endpoint.__name__}: the page gives no value for {name!r}")
    return endpoint(**args)


def submit(request: Request, session: Session, user: User, cmd: SubmitRequest, channel: Channel,
           idempotency_key: str | None) -> SubmitResult:
    """The intake command every channel uses; the page names its channel (portal, fax, manual, phone)."""
    if user.role == Role.PROVIDER_OFFICE:
        channel = Channel.PORTAL
    st = request.app.state
    result = intake.submit(
        session, registry=st.registry, clock=st.clock, store=st.store, cmd=cmd,
        submitter=Submitter(user_id=user.id, username=user.username, role=user.role,
                            organization_id=user.organization_id, channel=channel),
        idempotency_key=idempotency_key, source_ip=request.client.host if request.client else None)
    req = result.request
    access.ensure_visible(user, req)
    now = st.clock.now()
    due = deadlines.to_out(result.due if result.due is not None else deadlines.compute(st.registry, req), now)
    out = represent(session, req, due)
    return SubmitResult(authorization_id=req.authorization_id, status=req.status,
                        provider_status=out.provider_status, duplicate=result.duplicate,
                        missing_items=out.missing_items, request=out)


def get_request(request: Request, session: Session, user: User, aid: str) -> RequestOut:
    """GET /api/v1/requests/{id}: visibility checked (404), the read audited."""
    return call(intake_api.get_one, request, session, user, authorization_id=aid)


def search(request: Request, session: Session, user: User, **filters: Any) -> intake_api.SearchPage:
    """GET /api/v1/requests: only the caller's visible requests; the search audited."""
    return call(intake_api.search, request, session, user, **filters)


def add_document(request: Request, session: Session, user: User, aid: str, file: UploadFile,
                 kind: str) -> intake_api.DocumentAdded:
    return call(intake_api.add_document, request, session, user, authorization_id=aid, file=file, kind=kind)


def coverage_check(request: Request, session: Session, user: User,
                   body: coverage_api.CoverageCheck) -> dict[str, Any]:
    return call(coverage_api.check, request, session, user, body=body)


def my_queue(request: Request, session: Session, user: User) -> list[rs.WorkItemOut]:
    return call(review_api.my_queue, request, session, user, limit=200, include_waiting=True)


def one_queue(request: Request, session: Session, user: User, queue: str) -> list[rs.WorkItemOut]:
    return call(review_api.one_queue, request, session, user, queue=queue, limit=200)


def claim(request: Request, session: Session, user: User, item_id: int) -> rs.WorkItemOut:
    return call(review_api.claim, request, session, user, item_id=item_id)


def release(request: Request, session: Session, user: User, item_id: int) -> rs.WorkItemOut:
    return call(review_api.release, request, session, user, item_id=item_id)


def reassign(request: Request, session: Session, user: User, item_id: int, to: str) -> rs.WorkItemOut:
    return call(review_api.reassign, request, session, user, item_id=item_id, body=rs.ReassignIn(to_username=to))


def workload(request: Request, session: Session, user: User) -> dict[str, Any]:
    return call(review_api.workload, request, session, user)


def at_risk(request: Request, session: Session, user: User) -> list[rs.WorkItemOut]:
    return call(review_api.at_risk, request, session, user)


def breached(request: Request, session: Session, user: User) -> list[dict[str, Any]]:
    return call(review_api.breached, request, session, user)


def evaluate(request: Request, session: Session, user: User, aid: str, facts: dict[str, Any]) -> list[Any]:
    return call(review_api.evaluate, request, session, user, authorization_id=aid,
                body=ClinicalFacts.model_validate(facts))


def act_on(endpoint: Callable[..., T], request: Request, session: Session, user: User, aid: str, body: Any) -> T:
    """A review action on one request (decision, pend, refer, note, extension, urgency, disclosure...)."""
    return call(endpoint, request, session, user, authorization_id=aid, body=body)


def decide(request: Request, session: Session, user: User, aid: str, body: rs.DecisionIn) -> RequestOut:
    return act_on(review_api.decide, request, session, user, aid, body)


def pend(request: Request, session: Session, user: User, aid: str, body: rs.PendIn) -> RequestOut:
    return act_on(review_api.pend, request, session, user, aid, body)


def refer(request: Request, session: Session, user: User, aid: str, body: rs.ReferIn) -> RequestOut:
    return act_on(review_api.refer, request, session, user, aid, body)


def note(request: Request, session: Session, user: User, aid: str, body: rs.NoteIn) -> RequestOut:
    return act_on(review_api.note, request, session, user, aid, body)


def extend(request: Request, session: Session, user: User, aid: str, body: rs.ExtensionIn) -> RequestOut:
    return act_on(review_api.extend, request, session, user, aid, body)


def change_urgency(request: Request, session: Session, user: User, aid: str, body: rs.UrgencyIn) -> RequestOut:
    return act_on(review_api.change_urgency, request, session, user, aid, body)


def offer_p2p(request: Request, session: Session, user: User, aid: str, body: rs.PeerToPeerIn) -> dict[str, Any]:
    return act_on(review_api.offer_p2p, request, session, user, aid, body)


def update_p2p(request: Request, session: Session, user: User, p2p_id: int,
               body: rs.PeerToPeerUpdate) -> dict[str, Any]:
    return call(review_api.update_p2p, request, session, user, p2p_id=p2p_id, body=body)


def disclose(request: Request, session: Session, user: User, aid: str, body: rs.DisclosureIn) -> dict[str, Any]:
    return act_on(review_api.disclose, request, session, user, aid, body)


def correct_receipt(request: Request, session: Session, user: User, aid: str,
                    body: intake_api.ReceiptCorrection) -> RequestOut:
    """POST .../corrections: a new receipt time recorded as an event, never an edit."""
    return act_on(intake_api.correct_receipt, request, session, user, aid, body)


def record_involvement(request: Request, session: Session, user: User, body: rs.InvolvementIn) -> dict[str, Any]:
    """POST /api/v1/care-involvements: this reviewer may no longer decide for this member."""
    return call(review_api.involvement, request, session, user, body=body)


def notice_document(request: Request, session: Session, user: User, notice_id: int) -> Response:
    """GET /api/v1/notices/{id}/document: the letter as sent; providers get only their own."""
    return call(notices_api.document, request, session, user, notice_id=notice_id)


def log_notice_call(request: Request, session: Session, user: User, notice_id: int,
                    body: notices_api.CallLog) -> dict[str, Any]:
    return call(notices_api.log_call, request, session, user, notice_id=notice_id, body=body)


def list_users(request: Request, session: Session, user: User) -> list[User]:
    return call(auth_api.list_users, request, session, user)


def add_user(request: Request, session: Session, user: User, body: auth_api.UserIn) -> User:
    return call(auth_api.add_user, request, session, user, body=body)


ENDPOINTS: tuple[Callable[..., Any], ...] = (
    intake_api.get_one, intake_api.search, intake_api.add_document, coverage_api.check, review_api.my_queue,
    review_api.one_queue, review_api.claim, review_api.release, review_api.reassign, review_api.workload,
    review_api.at_risk, review_api.breached, review_api.evaluate, review_api.decide, review_api.pend,
    review_api.refer, review_api.note, review_api.extend, review_api.change_urgency, review_api.offer_p2p,
    review_api.update_p2p, review_api.disclose, notices_api.document, notices_api.log_call,
    auth_api.list_users, auth_api.add_user, intake_api.correct_receipt, review_api.involvement,
)
