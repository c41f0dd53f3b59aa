"""Security headers on every answer; no-store on anything that may carry PHI; no stack traces."""

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.trust.conftest import MakeClient

H = Callable[[str], dict[str, str]]
ALWAYS = {"content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy"}


def _has_security_headers(r: object) -> None:
    headers = r.headers  # type: ignore[attr-defined]
    assert {k.lower() for k in headers} >= ALWAYS
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self';" in headers["content-security-policy"] or \
        headers["content-security-policy"].count("script-src 'self'") == 1


def test_headers_on_api_answers_of_every_kind(app_client: TestClient, headers: H) -> None:
    answers = [
        app_client.get("/healthz"),
        app_client.get("/api/v1/me", headers=headers("nurse")),
        app_client.get("/api/v1/me"),  # 401
        app_client.get("/api/v1/users", headers=headers("nurse")),  # 403
        app_client.get("/api/v1/requests/AWH-261118-NOPE000", headers=headers("nurse")),  # 404
        app_client.post("/api/v1/requests", json={"kind": 7}, headers=headers("nurse")),  # 422
        app_client.get("/fhir/metadata"),
        app_client.get("/no/such/page"),
    ]
    for r in answers:
        _has_security_headers(r)
        # OPENUM_ENV=test is not development: browsers are told to use HTTPS only.
        assert r.headers["strict-transport-security"].startswith("max-age=")
    assert [r.status_code for r in answers[:6]] == [200, 200, 401, 403, 404, 422]
    me = answers[1]
    assert me.headers["cache-control"] == "no-store"
    assert answers[6].headers["cache-control"] == "no-store"  # FHIR answers too
    assert "no-store" not in answers[0].headers.get("cache-control", "")


def test_page_csp_allows_only_self_hosted_scripts(app_client: TestClient) -> None:
    csp = app_client.get("/healthz").headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp
    # The interactive API docs load Swagger UI from its CDN: their policy says so, and only theirs.
    docs = app_client.get("/docs")
    assert docs.status_code == 200 and "cdn.jsdelivr.net" in docs.headers["content-security-policy"]


def test_no_hsts_in_development(make_client: MakeClient) -> None:
    client = make_client(env="development", environ={"OPENUM_LOG_FORMAT": "text"})  # keep pytest's logging
    r = client.get("/healthz")
    _has_security_headers(r)
    assert "strict-transport-security" not in r.headers


def _boom_route(app: FastAPI) -> None:
    def boom() -> None:
        raise RuntimeError("secret detail: member AWH200101 at /var/lib/openum")

    app.add_api_route("/api/v1/boom", boom, methods=["GET"])


def test_server_errors_carry_headers_and_no_detail(make_client: MakeClient, headers: H) -> None:
    client = make_client(raise_server_exceptions=False, setup=_boom_route)
    r = client.get("/api/v1/boom")
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "internal_error",
                                  "message": "an internal error occurred; it has been logged", "details": []}}
    assert "AWH200101" not in r.text and "Traceback" not in r.text
    _has_security_headers(r)
    assert r.headers["cache-control"] == "no-store"


def _failing_commit_route(app: FastAPI) -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from openum.web.deps import SessionDep

    def refuse(_: Session) -> None:
        raise RuntimeError("the database refused the commit")

    def write(session: SessionDep) -> dict[str, bool]:
        event.listen(session, "before_commit", refuse)
        return {"stored": True}

    app.add_api_route("/api/v1/failing-write", write, methods=["POST"], status_code=201)


def test_no_success_is_answered_before_the_commit(make_client: MakeClient) -> None:
    """The session commits before the answer is sent (deps.SessionDep, scope="function"): a failed commit is a 500."""
    client = make_client(raise_server_exceptions=False, setup=_failing_commit_route)
    r = client.post("/api/v1/failing-write")
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "internal_error"
