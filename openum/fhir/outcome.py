"""Problems found in a FHIR exchange, and the one OperationOutcome every 4xx answer carries."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi.responses import Response

from openum.errors import DomainError
from openum.fhir.codes import MEDIA_TYPE

# FHIR issue-type codes for the HTTP answers we give.
_CODE_FOR_STATUS = {401: "login", 403: "forbidden", 404: "not-found", 406: "not-supported",
                    409: "conflict", 413: "too-costly", 415: "not-supported", 422: "processing"}


@dataclass(frozen=True)
class Issue:
    """One problem, where it is (a FHIRPath expression) and what kind it is (FHIR issue-type)."""

    diagnostics: str
    expression: str | None = None
    code: str = "invalid"
    severity: str = "error"

    def to_fhir(self) -> dict[str, Any]:
        """The OperationOutcome.issue element."""
        out: dict[str, Any] = {"severity": self.severity, "code": self.code,
                               "diagnostics": self.diagnostics}
        if self.expression:
            out["expression"] = [self.expression]
        return out


class FhirError(Exception):
    """A refusal: the HTTP status and every problem found, answered as one OperationOutcome."""

    def __init__(self, status: int, issues: list[Issue]) -> None:
        super().__init__("; ".join(i.diagnostics for i in issues))
        self.status = status
        self.issues = issues


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    """The OperationOutcome resource listing the issues."""
    return {"resourceType": "OperationOutcome", "issue": [i.to_fhir() for i in issues]}


def fhir_json(content: Mapping[str, Any], status: int = 200,
              headers: dict[str, str] | None = None) -> Response:
    """A response in the FHIR JSON media type."""
    body = json.dumps(content, ensure_ascii=False, separators=(",", ":"), default=str)
    return Response(body.encode(), status_code=status, headers=headers,
                    media_type=f"{MEDIA_TYPE}; charset=utf-8")


def refusal(exc: FhirError) -> Response:
    """The 4xx answer for a refusal; 401 also names the scheme to use."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return fhir_json(operation_outcome(exc.issues), exc.status, headers)


def from_domain(exc: DomainError) -> FhirError:
    """A business error of the core, restated as a FHIR refusal."""
    code = _CODE_FOR_STATUS.get(exc.http_status, "processing")
    if exc.code in ("illegal_transition", "immutable_field"):
        code = "business-rule"
    issues = [Issue(exc.message, code=code)]
    for d in exc.details:
        # The core names its own fields, not FHIR elements: keep them in the text, not expression.
        where = ".".join(str(p) for p in d.get("loc", []))
        issues.append(Issue(f"{where}: {d.get('msg', '')}" if where else str(d.get("msg", "")),
                            code=code))
    return FhirError(exc.http_status, issues)
