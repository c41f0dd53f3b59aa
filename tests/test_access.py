"""Every endpoint checks the caller's role; the documented matrix is the one enforced."""

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from openum.auth.permissions import MATRIX, Permission, Role
from openum.settings import REPO_ROOT
from openum.web.routes import api_routes

# Every API route and the permission it needs; a new route must be added here to pass.
ROUTES: dict[tuple[str, str], Permission | None] = {
    ("POST", "/api/v1/requests"): Permission.REQUEST_SUBMIT,
    ("GET", "/api/v1/requests/{authorization_id}"): Permission.REQUEST_READ,
    ("GET", "/api/v1/requests"): Permission.REQUEST_SEARCH,
    ("POST", "/api/v1/requests/{authorization_id}/documents"): Permission.REQUEST_ADD_DOCUMENT,
    ("POST", "/api/v1/requests/{authorization_id}/corrections"): Permission.REQUEST_CORRECT,
    ("POST", "/api/v1/coverage/check"): Permission.COVERAGE_CHECK,
    ("GET", "/api/v1/timeliness/preview"): Permission.TIMELINESS_PREVIEW,
    ("GET", "/api/v1/packs"): Permission.PACK_READ,
    ("GET", "/api/v1/users"): Permission.USER_MANAGE,
    ("POST", "/api/v1/users"): Permission.USER_MANAGE,
    ("GET", "/api/v1/me"): None,
    ("GET", "/api/v1/roles"): None,
    ("GET", "/api/v1/queues/mine"): Permission.REVIEW_WORK,
    ("GET", "/api/v1/queues/{queue}"): Permission.REVIEW_WORK,
    ("POST", "/api/v1/work-items/{item_id}/claim"): Permission.REVIEW_WORK,
    ("POST", "/api/v1/work-items/{item_id}/release"): Permission.REVIEW_WORK,
    ("POST", "/api/v1/work-items/{item_id}/reassign"): Permission.QUEUE_SUPERVISE,
    ("GET", "/api/v1/supervisor/workload"): Permission.QUEUE_SUPERVISE,
    ("GET", "/api/v1/supervisor/at-risk"): Permission.QUEUE_SUPERVISE,
    ("GET", "/api/v1/supervisor/breached"): Permission.QUEUE_SUPERVISE,
    ("POST", "/api/v1/requests/{authorization_id}/evaluations"): Permission.REVIEW_WORK,
    ("GET", "/api/v1/requests/{authorization_id}/evaluations"): Permission.REVIEW_WORK,
    ("POST", "/api/v1/requests/{authorization_id}/decision"): Permission.REVIEW_DECIDE,
    ("POST", "/api/v1/requests/{authorization_id}/pend"): Permission.REVIEW_WORK,
    ("POST", "/api/v1/requests/{authorization_id}/refer"): Permission.REVIEW_WORK,
    ("POST", "/api/v1/requests/{authorization_id}/notes"): Permission.REVIEW_WORK,
    ("POST", "/api/v1/requests/{authorization_id}/extensions"): Permission.REVIEW_WORK,
    ("POST", "/api/v1/requests/{authorization_id}/urgency"): Permission.REVIEW_WORK,
    ("POST", "/api/v1/requests/{authorization_id}/peer-to-peer"): Permission.REVIEW_WORK,
    ("PATCH", "/api/v1/peer-to-peer/{p2p_id}"): Permission.REVIEW_WORK,
    ("POST", "/api/v1/requests/{authorization_id}/criteria-disclosures"): Permission.CRITERIA_DISCLOSE,
    ("POST", "/api/v1/care-involvements"): Permission.QUEUE_SUPERVISE,
    ("POST", "/api/v1/requests/{authorization_id}/reconsiderations"): Permission.APPEAL_FILE,
    ("POST", "/api/v1/requests/{authorization_id}/appeals"): Permission.APPEAL_FILE,
    ("GET", "/api/v1/requests/{authorization_id}/appeals"): Permission.APPEAL_READ,
    ("GET", "/api/v1/appeals"): Permission.APPEAL_READ,
    ("GET", "/api/v1/appeals/{appeal_id}"): Permission.APPEAL_READ,
    ("POST", "/api/v1/appeals/{appeal_id}/evidence"): Permission.APPEAL_FILE,
    ("POST", "/api/v1/appeals/{appeal_id}/expedite"): Permission.APPEAL_MANAGE,
    ("POST", "/api/v1/appeals/{appeal_id}/extensions"): Permission.APPEAL_MANAGE,
    ("POST", "/api/v1/appeals/{appeal_id}/decision"): Permission.APPEAL_DECIDE,
    ("POST", "/api/v1/appeals/{appeal_id}/effectuation"): Permission.APPEAL_MANAGE,
    ("POST", "/api/v1/appeals/{appeal_id}/continuation"): Permission.APPEAL_FILE,
    ("GET", "/api/v1/appeals/{appeal_id}/file"): Permission.APPEAL_READ,
    ("GET", "/api/v1/appeals/{appeal_id}/file.pdf"): Permission.APPEAL_READ,
    ("POST", "/api/v1/appeals/{appeal_id}/external-reviews"): Permission.APPEAL_FILE,
    ("PATCH", "/api/v1/external-reviews/{review_id}"): Permission.APPEAL_MANAGE,
    ("PUT", "/api/v1/reviewer-profiles/{username}"): Permission.QUEUE_SUPERVISE,
    ("GET", "/api/v1/reviewer-profiles/{username}"): Permission.QUEUE_SUPERVISE,
    ("GET", "/api/v1/policies/overdue"): Permission.QUEUE_SUPERVISE,
    ("GET", "/api/v1/notices/{notice_id}/document"): Permission.REQUEST_READ,
    ("POST", "/api/v1/notices/{notice_id}/call"): Permission.REVIEW_WORK,
    ("GET", "/api/v1/attestations/statements"): Permission.ATTESTATION_RECORD,
    ("POST", "/api/v1/attestations"): Permission.ATTESTATION_RECORD,
    ("GET", "/api/v1/attestations/mine"): Permission.ATTESTATION_RECORD,
    ("GET", "/api/v1/attestations/report"): Permission.ATTESTATION_REPORT,
    ("GET", "/api/v1/committee-memberships"): Permission.ATTESTATION_REPORT,
    ("POST", "/api/v1/committee-memberships"): Permission.COMMITTEE_MANAGE,
    ("POST", "/fhir/Claim/$submit"): Permission.REQUEST_SUBMIT,
    ("POST", "/fhir/Claim/$inquire"): Permission.REQUEST_READ,
    ("POST", "/fhir/Subscription"): Permission.REQUEST_SUBMIT,
    ("GET", "/fhir/Subscription"): Permission.REQUEST_SUBMIT,
    ("GET", "/fhir/Subscription/{subscription_id}"): Permission.REQUEST_SUBMIT,
    ("DELETE", "/fhir/Subscription/{subscription_id}"): Permission.REQUEST_SUBMIT,
    ("POST", "/fhir/Questionnaire/$questionnaire-package"): Permission.COVERAGE_CHECK,
    ("POST", "/cds-services/{service_id}"): Permission.COVERAGE_CHECK,
    ("POST", "/x12/278"): Permission.REQUEST_SUBMIT,
    ("POST", "/api/v1/smart-clients"): Permission.USER_MANAGE,
    # Episodes, retrospective review, referrals, out-of-network exceptions, claims (openum/episodes).
    ("POST", "/api/v1/episodes"): Permission.REQUEST_SUBMIT,
    ("GET", "/api/v1/episodes"): Permission.REQUEST_SEARCH,
    ("GET", "/api/v1/episodes/{episode_id}"): Permission.REQUEST_READ,
    ("POST", "/api/v1/episodes/{episode_id}/continued-stay"): Permission.REQUEST_SUBMIT,
    ("POST", "/api/v1/episodes/{episode_id}/level-of-care"): Permission.REQUEST_SUBMIT,
    ("POST", "/api/v1/episodes/{episode_id}/estimate"): Permission.EPISODE_MANAGE,
    ("POST", "/api/v1/episodes/{episode_id}/discharge"): Permission.EPISODE_MANAGE,
    ("POST", "/api/v1/episodes/{episode_id}/discharge-needs"): Permission.EPISODE_MANAGE,
    ("PATCH", "/api/v1/episodes/{episode_id}/discharge-needs/{need_id}"): Permission.EPISODE_MANAGE,
    ("POST", "/api/v1/episodes/{episode_id}/care-referrals"): Permission.EPISODE_MANAGE,
    ("POST", "/api/v1/episodes/{episode_id}/quality-flags"): Permission.EPISODE_MANAGE,
    ("POST", "/api/v1/episodes/{episode_id}/quality-flags/{flag_id}/resolve"): Permission.EPISODE_MANAGE,
    ("POST", "/api/v1/retrospective-reviews"): Permission.REQUEST_SUBMIT,
    ("GET", "/api/v1/retrospective-reviews/{authorization_id}"): Permission.REQUEST_READ,
    ("POST", "/api/v1/referrals"): Permission.REQUEST_SUBMIT,
    ("GET", "/api/v1/referrals"): Permission.REQUEST_SEARCH,
    ("GET", "/api/v1/referrals/{referral_id}"): Permission.REQUEST_READ,
    ("POST", "/api/v1/requests/{authorization_id}/continuity-of-care"): Permission.NETWORK_EXCEPTION,
    ("POST", "/api/v1/requests/{authorization_id}/letter-of-agreement"): Permission.NETWORK_EXCEPTION,
    ("GET", "/api/v1/requests/{authorization_id}/letter-of-agreement"): Permission.REQUEST_READ,
    ("GET", "/api/v1/network-adequacy/out-of-network"): Permission.NETWORK_ADEQUACY,
    ("POST", "/api/v1/claims/authorization-check"): Permission.CLAIMS_CHECK,
    ("GET", "/api/v1/requests/{authorization_id}/utilization"): Permission.REQUEST_READ,
}
PUBLIC = {("POST", "/api/v1/auth/token"), ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/fhir/metadata"),
          ("GET", "/cds-services"), ("POST", "/fhir/auth/token")}
# Unknown FHIR paths answer a FHIR 404 OperationOutcome to everyone.
FALLBACK = {(m, "/fhir/{path:path}") for m in ("GET", "POST", "PUT", "PATCH", "DELETE")}
DEMO_USER_FOR_ROLE = {
    Role.ADMIN: "admin", Role.INTAKE_COORDINATOR: "intake", Role.UM_NURSE: "nurse",
    Role.BH_NURSE: "bhnurse", Role.PHARMACY_TECHNICIAN: "pharmtech",
    Role.CLINICAL_PHARMACIST: "pharmacist", Role.PHYSICIAN_REVIEWER: "physician",
    Role.BH_CLINICAL_DIRECTOR: "bhdirector", Role.EXTERNAL_REVIEWER: "external",
    Role.UM_MANAGER: "manager", Role.MEMBER_SERVICES: "memberservices",
    Role.COMPLIANCE: "compliance", Role.PROVIDER_OFFICE: "provider-awh",
}


def test_documented_matrix_matches_the_code() -> None:
    doc = (REPO_ROOT / "docs" / "access.md").read_text()
    header = next(line for line in doc.splitlines() if line.startswith("| role |"))
    columns = [c.strip() for c in header.strip("|").split("|")][1:]
    for role in Role:
        row = next(line for line in doc.splitlines() if line.startswith(f"| {role.value} |"))
        cells = [c.strip() for c in row.strip("|").split("|")][1:]
        documented = {Permission(col) for col, cell in zip(columns, cells, strict=True) if cell == "yes"}
        assert documented == set(MATRIX[role]), role


def test_every_route_is_listed(app_client: TestClient) -> None:
    routes = {(m, r.path) for r in api_routes(app_client.app.routes) for m in r.methods}  # type: ignore[attr-defined]
    assert len(routes) > 20
    unlisted = {r for r in routes if r not in ROUTES and r not in PUBLIC and r not in FALLBACK}
    assert not unlisted, f"routes without a documented permission: {unlisted}"


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    url = path.replace("{authorization_id}", "AWH-261118-XXXXXXX").replace("{queue}", "nurse")
    url = re.sub(r"\{[a-z_]+\}", "999999", url)  # any other id: one that does not exist
    if method == "GET":
        return client.get(url, headers=headers).status_code
    return client.request(method, url, headers=headers, json={}).status_code


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
def test_anonymous_callers_are_refused(app_client: TestClient, method: str, path: str) -> None:
    assert _call(app_client, method, path, {}) == 401


@pytest.mark.parametrize(("method", "path"), sorted(k for k, v in ROUTES.items() if v))
def test_roles_without_the_permission_are_refused(
    app_client: TestClient, headers: Callable[[str], dict[str, str]], method: str, path: str
) -> None:
    permission = ROUTES[(method, path)]
    for role, username in DEMO_USER_FOR_ROLE.items():
        status = _call(app_client, method, path, headers(username))
        if permission in MATRIX[role]:
            assert status != 403, (role, status)
        else:
            assert status == 403, (role, status)


def test_expired_token_is_refused(app_client: TestClient, headers: Callable[[str], dict[str, str]],
                                  clock) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    h = headers("nurse")
    assert app_client.get("/api/v1/me", headers=h).status_code == 200
    clock.advance(timedelta(minutes=61))
    r = app_client.get("/api/v1/me", headers=h)
    assert r.status_code == 401
    assert "expired" in r.json()["error"]["message"]


