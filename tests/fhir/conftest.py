"""Fixtures for the FHIR boundary: a client that speaks application/fhir+json."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

FHIR_JSON = "application/fhir+json"


class Fhir:
    """POST and GET FHIR JSON as a demo user."""

    def __init__(self, client: TestClient, headers: Callable[[str], dict[str, str]]) -> None:
        self.client, self.headers = client, headers

    def post(self, path: str, body: dict[str, Any], user: str | None = "provider-awh",
             content_type: str = FHIR_JSON) -> Response:
        h = self.headers(user) if user else {}
        h["Content-Type"] = content_type
        answer: Response = self.client.post(f"/fhir/{path}", content=json.dumps(body), headers=h)
        return answer

    def submit(self, body: dict[str, Any], user: str | None = "provider-awh") -> Response:
        return self.post("Claim/$submit", body, user)

    def inquire(self, body: dict[str, Any], user: str | None = "provider-awh") -> Response:
        return self.post("Claim/$inquire", body, user)


@pytest.fixture
def fhir(app_client: TestClient, headers: Callable[[str], dict[str, str]]) -> Fhir:
    return Fhir(app_client, headers)
