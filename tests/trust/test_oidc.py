"""Bearer tokens from an external OpenID Connect provider are accepted beside local accounts."""

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import delete, select

from openum.auth import oidc
from openum.auth.models import User
from openum.clock import FrozenClock
from openum.errors import AuthenticationFailed
from tests.conftest import Database
from tests.trust.conftest import MakeClient

ISSUER = "https://login.example-plan.org/realms/staff"
AUDIENCE = "openum-api"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return _key()


@pytest.fixture(scope="module")
def jwks(signing_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key()))
    return {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}


@pytest.fixture
def jwks_file(tmp_path: Path, jwks: dict[str, Any]) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks))
    return path


def _env(jwks_file: Path, **more: str) -> dict[str, str]:
    return {"OPENUM_OIDC_ISSUER": ISSUER, "OPENUM_OIDC_AUDIENCE": AUDIENCE,
            "OPENUM_OIDC_JWKS_FILE": str(jwks_file), **more}


def _token(key: rsa.RSAPrivateKey, clock: FrozenClock, *, kid: str = "k1", **claims: Any) -> str:
    now = int(clock.now().timestamp())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "b9c1-staff-0042", "iat": now, "exp": now + 300,
            "preferred_username": "nurse", "openum_role": "um_nurse", **claims}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


def _me(client: Any, token: str) -> Any:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_oidc_token_is_accepted_beside_local_tokens(make_client: MakeClient, jwks_file: Path,
                                                    signing_key: rsa.RSAPrivateKey, clock: FrozenClock,
                                                    headers: Any) -> None:
    client = make_client(environ=_env(jwks_file))
    r = _me(client, _token(signing_key, clock))
    assert r.status_code == 200, r.text
    assert r.json()["username"] == "nurse" and r.json()["role"] == "um_nurse"
    # A list-valued role claim, and the email claim when there is no preferred_username.
    r = _me(client, _token(signing_key, clock, preferred_username=None, email="manager",
                           openum_role=["staff", "um_manager"]))
    assert r.status_code == 200 and r.json()["username"] == "manager"
    # Local accounts keep working, and their own errors are unchanged.
    assert client.get("/api/v1/me", headers=headers("physician")).status_code == 200
    # Permissions are the local account's: a nurse may not manage users.
    users = client.get("/api/v1/users", headers={"Authorization": f"Bearer {_token(signing_key, clock)}"})
    assert users.status_code == 403


@pytest.mark.parametrize("case", ["other_key", "wrong_audience", "expired", "wrong_issuer", "unknown_kid",
                                  "role_mismatch", "no_local_account", "hs256_with_public_key", "none_alg"])
def test_bad_oidc_tokens_are_refused(make_client: MakeClient, jwks_file: Path, jwks: dict[str, Any],
                                     signing_key: rsa.RSAPrivateKey, clock: FrozenClock, case: str) -> None:
    client = make_client(environ=_env(jwks_file))
    token = {
        "other_key": lambda: _token(_key(), clock),
        "wrong_audience": lambda: _token(signing_key, clock, aud="some-other-app"),
        "expired": lambda: _token(signing_key, clock, iat=int(clock.now().timestamp()) - 7200,
                                  exp=int(clock.now().timestamp()) - 3600),
        "wrong_issuer": lambda: _token(signing_key, clock, iss="https://evil.example.com"),
        "unknown_kid": lambda: _token(signing_key, clock, kid="k2"),
        "role_mismatch": lambda: _token(signing_key, clock, openum_role="um_manager"),
        "no_local_account": lambda: _token(signing_key, clock, preferred_username="stranger"),
        # Algorithm confusion: the public key used as an HMAC secret must not verify.
        "hs256_with_public_key": lambda: jwt.encode(
            {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "preferred_username": "nurse", "openum_role": "um_nurse",
             "iat": int(clock.now().timestamp()), "exp": int(clock.now().timestamp()) + 300},
            json.dumps(jwks["keys"][0]).encode() + b"-padding-to-make-it-long-enough", algorithm="HS256"),
        "none_alg": lambda: jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "preferred_username": "nurse",
                                        "openum_role": "um_nurse"}, None, algorithm="none"),
    }[case]()
    r = _me(client, token)
    assert r.status_code == 401, (case, r.text)
    assert r.headers["www-authenticate"] == "Bearer"


def test_expiry_is_judged_by_the_service_clock(make_client: MakeClient, jwks_file: Path,
                                               signing_key: rsa.RSAPrivateKey, clock: FrozenClock) -> None:
    client = make_client(environ=_env(jwks_file))
    token = _token(signing_key, clock)
    assert _me(client, token).status_code == 200
    clock.advance(timedelta(minutes=10))  # past exp (5 minutes) and the one-minute leeway
    r = _me(client, token)
    assert r.status_code == 401 and "expired" in r.json()["error"]["message"]


def test_without_oidc_configuration_rs256_tokens_are_refused(make_client: MakeClient,
                                                             signing_key: rsa.RSAPrivateKey,
                                                             clock: FrozenClock) -> None:
    client = make_client()
    assert _me(client, _token(signing_key, clock)).status_code == 401


@pytest.fixture
def jwks_server(jwks: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            if self.path == "/realms/staff/.well-known/openid-configuration":
                payload = {"issuer": ISSUER, "jwks_uri": f"http://127.0.0.1:{port}/certs"}
            elif self.path == "/certs":
                payload = jwks
            else:
                self.send_response(404)
                self.end_headers()
                return
            raw = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", hits
    server.shutdown()


def test_keys_are_fetched_from_a_jwks_url_and_cached(make_client: MakeClient, jwks_server: tuple[str, list[str]],
                                                     signing_key: rsa.RSAPrivateKey, clock: FrozenClock) -> None:
    base, hits = jwks_server
    client = make_client(environ={"OPENUM_OIDC_ISSUER": ISSUER, "OPENUM_OIDC_AUDIENCE": AUDIENCE,
                                  "OPENUM_OIDC_JWKS_URL": f"{base}/certs"})
    for _ in range(3):
        assert _me(client, _token(signing_key, clock)).status_code == 200
    assert hits == ["/certs"]  # fetched once, then served from the cache


def test_discovery_document_names_the_jwks(jwks_server: tuple[str, list[str]], signing_key: rsa.RSAPrivateKey,
                                           clock: FrozenClock) -> None:
    base, hits = jwks_server
    issuer = f"{base}/realms/staff"
    provider = oidc.OidcProvider(oidc.OidcSettings(issuer=issuer, audience=AUDIENCE))
    claims = provider.claims(_token(signing_key, clock, iss=issuer), now=clock.now())
    assert claims["preferred_username"] == "nurse"
    assert hits == ["/realms/staff/.well-known/openid-configuration", "/certs"]


def test_rotated_key_is_picked_up(tmp_path: Path, signing_key: rsa.RSAPrivateKey, clock: FrozenClock) -> None:
    fetched: list[dict[str, Any]] = []
    new_key = _key()
    keysets = [
        {"keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key())), "kid": "k1"}]},
        {"keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(new_key.public_key())), "kid": "k2"}]},
    ]
    t = [0.0]

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(keysets[min(len(fetched), 1)])
        return fetched[-1]

    p = oidc.OidcProvider(oidc.OidcSettings(issuer=ISSUER, audience=AUDIENCE, jwks_url="http://idp/certs"),
                          fetch=fetch, monotonic=lambda: t[0])
    assert p.claims(_token(signing_key, clock), now=clock.now())["sub"]
    with pytest.raises(AuthenticationFailed):  # an unknown key right after a fetch: no refetch storm
        p.claims(_token(new_key, clock, kid="k2"), now=clock.now())
    t[0] = 120.0
    assert p.claims(_token(new_key, clock, kid="k2"), now=clock.now())["sub"]
    assert len(fetched) == 2


def test_half_configured_provider_fails_at_start(make_client: MakeClient) -> None:
    with pytest.raises(ValueError, match="AUDIENCE"):
        make_client(environ={"OPENUM_OIDC_ISSUER": ISSUER})


def test_just_in_time_provisioning_when_enabled(make_client: MakeClient, jwks_file: Path, db: Database,
                                                signing_key: rsa.RSAPrivateKey, clock: FrozenClock) -> None:
    client = make_client(environ=_env(jwks_file, OPENUM_OIDC_JIT_PROVISIONING="true"))
    try:
        _provision(client, db, signing_key, clock)
    finally:  # users outlive a test on PostgreSQL: leave the demo accounts as they were
        with db.engine.begin() as conn:
            conn.execute(delete(User).where(User.username == "new.reviewer@plan.org"))


def _provision(client: Any, db: Database, signing_key: rsa.RSAPrivateKey, clock: FrozenClock) -> None:
    token = _token(signing_key, clock, preferred_username="new.reviewer@plan.org", name="New Reviewer",
                   openum_role="physician_reviewer")
    r = _me(client, token)
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "physician_reviewer" and r.json()["full_name"] == "New Reviewer"
    assert _me(client, token).json()["id"] == r.json()["id"]  # the same account next time
    with db.factory() as s:
        user = s.scalars(select(User).where(User.username == "new.reviewer@plan.org")).one()
        assert user.password_hash  # an unguessable password: no local sign-in
    bad = _token(signing_key, clock, preferred_username="someone@plan.org", openum_role="superuser")
    assert _me(client, bad).status_code == 401
