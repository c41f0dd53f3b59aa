"""DTR endpoint: Questionnaire/$questionnaire-package (the questionnaires live in openum.fhir.dtr)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from openum.auth.models import User
from openum.auth.permissions import Permission
from openum.fhir.dtr import package
from openum.fhir.outcome import FhirError, Issue, fhir_json
from openum.fhir.router import Body, FhirRoute, FhirSession, negotiate
from openum.web.deps import ClockDep, RegistryDep, require

router = APIRouter(prefix="/fhir", tags=["fhir"], route_class=FhirRoute, dependencies=[Depends(negotiate)])
Reading = Annotated[User, Depends(require(Permission.COVERAGE_CHECK))]


@router.post("/Questionnaire/$questionnaire-package",
             summary="DTR: the Questionnaires of the medical policies that apply to the orders")
def questionnaire_package(request: Request, user: Reading, body: Body, session: FhirSession,
                          clock: ClockDep, registry: RegistryDep) -> Response:
    if body.get("resourceType") != "Parameters":
        raise FhirError(400, [Issue("expected a Parameters resource", "Parameters", code="structure")])
    return fhir_json(package(session, registry, body, clock.now()))
