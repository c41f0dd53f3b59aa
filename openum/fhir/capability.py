"""The CapabilityStatement served at /fhir/metadata: FHIR R4, Da Vinci PAS 2.2.1 operations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from openum import __version__
from openum.fhir import codes as c


def statement(base_url: str, now: datetime) -> dict[str, Any]:
    """What this server does: Claim/$submit and Claim/$inquire of PAS, JSON only, bearer tokens."""
    return {
        "resourceType": "CapabilityStatement",
        "id": "openum-pas",
        "url": f"{base_url}/metadata",
        "name": "OpenUMPriorAuthorization",
        "title": "OpenUM Prior Authorization Support (Da Vinci PAS) server",
        "status": "active",
        "experimental": False,
        "date": now.date().isoformat(),
        "publisher": "OpenUM",
        "kind": "instance",
        "software": {"name": "OpenUM", "version": __version__},
        "implementation": {"description": "OpenUM FHIR boundary", "url": base_url},
        "fhirVersion": c.FHIR_VERSION,
        "format": [c.MEDIA_TYPE, "json"],
        "implementationGuide": [f"{c.IG_CANONICAL}|2.2.1"],
        "rest": [{
            "mode": "server",
            "documentation": "Send application/fhir+json. Refusals answer 4xx with one "
                             "OperationOutcome naming every problem; 5xx carries none.",
            "security": {
                "cors": False,
                "service": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "OAuth"}]}],
                "description": "Bearer token from POST /api/v1/auth/token. Submitting needs "
                               "request.submit; inquiring needs request.read. Provider "
                               "organizations see only their own requests.",
            },
            "resource": [
                {"type": "Claim",
                 "supportedProfile": [c.PROFILE_CLAIM, c.PROFILE_CLAIM_UPDATE, c.PROFILE_CLAIM_INQUIRY],
                 "operation": [{"name": "submit", "definition": c.OP_SUBMIT},
                               {"name": "inquire", "definition": c.OP_INQUIRE}]},
                {"type": "ClaimResponse",
                 "supportedProfile": [c.PROFILE_CLAIM_RESPONSE, c.PROFILE_CLAIM_INQUIRY_RESPONSE]},
                {"type": "Bundle",
                 "supportedProfile": [c.PROFILE_REQUEST_BUNDLE, c.PROFILE_INQUIRY_REQUEST_BUNDLE,
                                      c.PROFILE_RESPONSE_BUNDLE, c.PROFILE_INQUIRY_RESPONSE_BUNDLE]},
            ],
        }],
    }
