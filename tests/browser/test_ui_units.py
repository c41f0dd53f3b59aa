"""Fast checks of the UI without a browser: callback due times, sessions, CSRF, isolation, endpoint wiring."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from openum.packs.registry import PackRegistry
from openum.ui import api
from openum.ui.callbacks import callback_due
from tests.factories import AWH_KNEE

H = Callable[[str], dict[str, str]]


@pytest.mark.parametrize(("plan", "received", "due"), [
    # AllWays, Eastern, 08:00-18:00. After midnight on a weekday: the same business day.
    ("allways-commercial", datetime(2026, 11, 18, 6, 30, tzinfo=UTC), datetime(2026, 11, 18, 23, 0, tzinfo=UTC)),
    # During business hours: the same business day.
    ("allways-commercial", datetime(2026, 11, 18, 17, 0, tzinfo=UTC), datetime(2026, 11, 18, 23, 0, tzinfo=UTC)),
    # Tuesday 19:30 after closing: Wednesday.
    ("allways-commercial", datetime(2026, 11, 18, 0, 30, tzinfo=UTC), datetime(2026, 11, 18, 23, 0, tzinfo=UTC)),
    # Friday evening and Saturday: Monday.
    ("allways-commercial", datetime(2026, 11, 14, 0, 30, tzinfo=UTC), datetime(2026, 11, 16, 23, 0, tzinfo=UTC)),
    ("allways-commercial", datetime(2026, 11, 14, 15, 0, tzinfo=UTC), datetime(2026, 11, 16, 23, 0, tzinfo=UTC)),
    # After midnight on Thanksgiving (a weekday, not a business day): the next business day, Friday in MA.
    ("allways-commercial", datetime(2026, 11, 26, 7, 0, tzinfo=UTC), datetime(2026, 11, 27, 23, 0, tzinfo=UTC)),
    # Partnership, Pacific, closes 17:00; the day after Thanksgiving is a California holiday: Monday.
    ("partnership-medi-cal", datetime(2026, 11, 18, 8, 45, tzinfo=UTC), datetime(2026, 11, 19, 1, 0, tzinfo=UTC)),
    ("partnership-medi-cal", datetime(2026, 11, 26, 10, 0, tzinfo=UTC), datetime(2026, 12, 1, 1, 0, tzinfo=UTC)),
])
def test_callback_due_follows_seed_001_on_the_plan_calendar(registry: PackRegistry, plan: str, received: datetime,
                                                           due: datetime) -> None:
    calendar = registry.versions(plan)[-1].calendar
    assert callback_due(calendar, received).due_at == due


def test_every_endpoint_the_pages_call_can_be_supplied() -> None:
    """A new required dependency on an endpoint fails here, not in a user's browser."""
    supplied = {"request", "session", "clock", "registry", "store", "settings", *api.USER_PARAMETERS}
    given = {"authorization_id", "body", "item_id", "p2p_id", "notice_id", "queue", "file", "kind"}
    for endpoint in api.ENDPOINTS:
        required = {n for n, p in inspect.signature(endpoint).parameters.items()
                    if p.default is inspect.Parameter.empty}
        assert required <= supplied | given, (endpoint.__name__, required - supplied - given)


def _sign_in(client: TestClient, username: str) -> str:
    page = client.get("/ui/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = client.post("/ui/login", data={"username": username, "password": "openum-demo",
                                       "csrf_token": token.group(1)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("openum_session="))
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Max-Age=" in cookie
    home = client.get(r.headers["location"])
    found = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert found
    return found.group(1)


def test_sign_in_needs_its_form_token_and_posts_need_the_session_token(app_client: TestClient) -> None:
    refused = app_client.post("/ui/login", data={"username": "nurse", "password": "openum-demo",
                                                 "csrf_token": "guess"}, follow_redirects=False)
    assert refused.status_code == 403 and "openum_session" not in refused.headers.get("set-cookie", "")
    token = _sign_in(app_client, "memberservices")
    call = {"plan_id": "allways-commercial", "caller_name": "A caller", "callback_number": "555-0100",
            "subject": "status", "staff_name": "Mel", "staff_title": "Rep"}
    assert app_client.post("/ui/member-services/calls", data=call, follow_redirects=False).status_code == 403
    assert app_client.post("/ui/member-services/calls", data={**call, "csrf_token": "x" * 64},
                           follow_redirects=False).status_code == 403
    ok = app_client.post("/ui/member-services/calls", data={**call, "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303
    assert app_client.get("/ui/queue", follow_redirects=False).status_code == 403  # member services: no review


def test_pages_need_a_session_and_the_role(app_client: TestClient) -> None:
    r = app_client.get("/ui/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/ui/login?next=")
    assert app_client.get("/", follow_redirects=False).headers["location"] == "/ui/"
    _sign_in(app_client, "admin")
    assert app_client.get("/ui/requests", follow_redirects=False).status_code == 403  # IT admins read no PHI


def test_another_organization_gets_404_from_every_page(app_client: TestClient, headers: H) -> None:
    r = app_client.post("/api/v1/requests", json=AWH_KNEE, headers=headers("provider-awh"))
    aid = r.json()["authorization_id"]
    _sign_in(app_client, "provider-awh-2")
    for path in (f"/ui/portal/requests/{aid}", f"/ui/requests/{aid}/documents/1", f"/ui/requests/{aid}"):
        assert app_client.get(path).status_code == 404, path
    assert aid not in app_client.get("/ui/portal").text
    assert aid not in app_client.get("/ui/portal/reports?format=csv").text


def test_manager_corrects_receipt_and_records_involvement(app_client: TestClient, headers: H) -> None:
    aid = app_client.post("/api/v1/requests", json=AWH_KNEE, headers=headers("provider-awh")).json()["authorization_id"]
    token = _sign_in(app_client, "manager")
    r = app_client.post(f"/ui/requests/{aid}/correction", follow_redirects=False, data={
        "csrf_token": token, "corrected_received_at": "2026-11-18T08:15", "reason": "fax log shows 08:15 receipt"})
    assert r.status_code == 303 and "msg=corrected" in r.headers["location"]
    r = app_client.post(f"/ui/requests/{aid}/involvement", follow_redirects=False, data={
        "csrf_token": token, "username": "physician", "reason": "saw the member in clinic"})
    assert r.status_code == 303 and "msg=involvement" in r.headers["location"]
    case = app_client.get(f"/ui/requests/{aid}").text
    assert "Receipt corrected" in case and "corrected to Wed 18 Nov 2026, 08:15 EST" in case
    refused = app_client.post(f"/ui/requests/{aid}/correction", data={
        "csrf_token": token, "corrected_received_at": "not a time", "reason": "typo here"})
    assert refused.status_code == 400 and "not a date and time" in refused.text
