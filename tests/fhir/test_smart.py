"""SMART Backend Services: a registered client signs a JWT (RS384 or ES384), gets a bearer token,
and sees only its own organization's requests."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient

from openum.clock import FrozenClock
from openum.fhir.smart import ASSERTION_TYPE
from tests.fhir.bundles import pas_bundle

H = Callable[[str], dict[str, str]]
TOKEN_URL = "http://testserver/fhir/auth/token"


class Client:
    def __init__(self, client_id: str, alg: str) -> None:
        self.client_id, self.alg, self.kid = client_id, alg, f"{client_id}-key-1"
        self.key: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048) if alg == "RS384" \
            else ec.generate_private_key(ec.SECP384R1())
        algo: Any = jwt.algorithms.RSAAlgorithm if alg == "RS384" else jwt.algorithms.ECAlgorithm
        self.jwk = {**json.loads(algo.to_jwk(self.key.public_key())), "kid": self.kid, "alg": alg}

    def assertion(self, clock: FrozenClock, **changes: Any) -> str:
        now = clock.now()
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": TOKEN_URL,
                  "exp": int((now + timedelta(minutes=4)).timestamp()), "jti": uuid.uuid4().hex, **changes}
        return jwt.encode(claims, self.key, algorithm=self.alg, headers={"kid": self.kid})


def _register(app: TestClient, headers: H, org: str, alg: str = "RS384") -> Client:
    c = Client(f"ehr-{uuid.uuid4().hex[:8]}", alg)
    r = app.post("/api/v1/smart-clients", headers=headers("admin"),
                 json={"client_id": c.client_id, "name": f"EHR of {org}", "organization_id": org,
                       "jwks": {"keys": [c.jwk]}})
    assert r.status_code == 201, r.text
    return c


def _token(app: TestClient, assertion: str, scope: str = "system/*.read system/Claim.write") -> Any:
    return app.post("/fhir/auth/token", data={"grant_type": "client_credentials", "scope": scope,
                                              "client_assertion_type": ASSERTION_TYPE,
                                              "client_assertion": assertion})


def test_client_credentials_token_sees_only_its_organization(
        app_client: TestClient, headers: H, clock: FrozenClock) -> None:
    ours = _register(app_client, headers, "charles-river-primary-care", "RS384")
    theirs = _register(app_client, headers, "merrimack-valley-family-medicine", "ES384")
    r = _token(app_client, ours.assertion(clock))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 300 and r.headers["cache-control"] == "no-store"
    mine = {"Authorization": f"Bearer {body['access_token']}", "Content-Type": "application/fhir+json"}
    sub = app_client.post("/fhir/Claim/$submit", content=json.dumps(pas_bundle(ident="smart-1")), headers=mine)
    assert sub.status_code == 200, sub.text
    aid = sub.json()["entry"][0]["resource"]["preAuthRef"]
    assert app_client.get(f"/api/v1/requests/{aid}", headers=mine).status_code == 200
    other = _token(app_client, theirs.assertion(clock))
    assert other.status_code == 200, other.text
    h2 = {"Authorization": f"Bearer {other.json()['access_token']}"}
    assert app_client.get(f"/api/v1/requests/{aid}", headers=h2).status_code in (403, 404)
    listed = app_client.get("/api/v1/requests", headers=h2)
    assert listed.status_code == 200 and aid not in listed.text


@pytest.mark.parametrize(("change", "error", "words"), [
    ({"aud": "http://elsewhere/token"}, "invalid_client", "aud"),
    ({"exp": 0}, "invalid_client", "expired"),
    ({"exp": None}, "invalid_client", "5 minutes"),  # None: an hour ahead, set below
    ({"sub": "someone-else"}, "invalid_client", "sub"),
    ({"iss": "unknown-client", "sub": "unknown-client"}, "invalid_client", "unknown client"),
])
def test_bad_assertions_are_refused_saying_why(app_client: TestClient, headers: H, clock: FrozenClock,
                                                change: dict[str, Any], error: str, words: str) -> None:
    c = _register(app_client, headers, "charles-river-primary-care")
    if change.get("exp") is None and "exp" in change:
        change = {"exp": int((clock.now() + timedelta(hours=1)).timestamp())}
    elif change.get("exp") == 0:
        change = {"exp": int((clock.now() - timedelta(minutes=1)).timestamp())}
    r = _token(app_client, c.assertion(clock, **change))
    assert r.status_code == 401 and r.json()["error"] == error and words in r.json()["error_description"], r.text


def test_replay_wrong_alg_grant_and_scope(app_client: TestClient, headers: H, clock: FrozenClock) -> None:
    c = _register(app_client, headers, "charles-river-primary-care", "ES384")
    once = c.assertion(clock)
    assert _token(app_client, once).status_code == 200
    again = _token(app_client, once)
    assert again.status_code == 401 and "already used" in again.json()["error_description"]
    hs = jwt.encode({"iss": c.client_id, "sub": c.client_id, "aud": TOKEN_URL, "jti": "x",
                     "exp": int((clock.now() + timedelta(minutes=2)).timestamp())}, "secret-secret-secret-secret-32",
                    algorithm="HS256")
    assert "RS384" in _token(app_client, hs).json()["error_description"]
    r = app_client.post("/fhir/auth/token", data={"grant_type": "password"})
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    assert _token(app_client, c.assertion(clock), scope="user/*.read").json()["error"] == "invalid_scope"


def test_registration_is_for_administrators_and_refuses_private_keys(
        app_client: TestClient, headers: H) -> None:
    c = Client("ehr-private", "RS384")
    private = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(c.key))
    body = {"client_id": "ehr-private", "name": "x", "organization_id": "charles-river-primary-care",
            "jwks": {"keys": [private]}}
    assert app_client.post("/api/v1/smart-clients", headers=headers("provider-awh"), json=body).status_code == 403
    r = app_client.post("/api/v1/smart-clients", headers=headers("admin"), json=body)
    assert r.status_code in (400, 422) and "public key" in r.text
