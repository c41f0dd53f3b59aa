"""Claims meet authorizations: covered lines consume units, mismatches say why (and can open a
retrospective review), and two claims racing for the last units cannot both win."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from openum.intake.models import AuthorizationRequest, ServiceLine
from tests.conftest import Database
from tests.episodes.conftest import H, ok, submit
from tests.factories import AWH_KNEE, body

PT = "1948939495"  # Erin Walsh, PT (in network)


def _approved_pt(client: TestClient, headers: H, units: int) -> str:
    """AllWays outpatient PT (97110) for AWH200114, 7 Dec 2026 to 7 Mar 2027, approved for `units` units."""
    req = body(AWH_KNEE, member={"member_id": "AWH200114"}, servicing_provider_npi=PT, facility_npi=None,
               setting="outpatient", requested_length_of_stay=None, admission_date=None, diagnoses=["M17.11"],
               service_lines=[{"code": "97110", "units": units, "from_date": "2026-12-07", "to_date": "2027-03-07",
                               "place_of_service": "11"}])
    aid = submit(client, headers, req, "provider-awh")["authorization_id"]
    status = ok(client.get(f"/api/v1/requests/{aid}", headers=headers("nurse")))["status"]
    if status != "approved":
        ok(client.post(f"/api/v1/requests/{aid}/decision", headers=headers("nurse"), json={
            "action": "approve", "reason": "Therapy plan of care reviewed.",
            "override_reason": "Post-operative knee rehabilitation; plan of care attached."}))
    return aid


def _claim(client: TestClient, headers: H, claims: str, claim_id: str, **kw: Any) -> Any:
    payload = {"claim_id": claim_id, "line_number": 1, "member_id": "AWH200114", "servicing_provider_npi": PT,
               "code": "97110", "from_date": "2026-12-10", "units": 4, **kw}
    return client.post("/api/v1/claims/authorization-check", json=payload, headers=headers(claims))


def test_claim_lines_against_the_authorization(app_client: TestClient, headers: H, claims_user: str) -> None:
    c = app_client
    aid = _approved_pt(c, headers, 12)
    covered = ok(_claim(c, headers, claims_user, "CLM-1"))
    assert (covered["covered"], covered["outcome"], covered["authorization_id"]) == (True, "covered", aid)
    assert (covered["units_applied"], covered["used_units"], covered["remaining_units"]) == (4, 4, 8)
    # The claims system retries the same line: the answer is replayed, nothing consumed twice.
    again = ok(_claim(c, headers, claims_user, "CLM-1"))
    assert (again["replayed"], again["remaining_units"]) == (True, 8)

    def why(**kw: Any) -> dict[str, Any]:
        return ok(_claim(c, headers, claims_user, f"CLM-{kw.pop('n')}", **kw))

    other_code = why(n=2, code="97112", open_retrospective_review=True, diagnoses=["M17.11"])
    assert (other_code["covered"], other_code["reasons"][0]["code"]) == (False, "code_mismatch")
    assert other_code["reasons"][0]["authorization_id"] == aid
    retro = ok(c.get(f"/api/v1/retrospective-reviews/{other_code['retrospective_authorization_id']}",
                     headers=headers("nurse")))
    assert (retro["reason"], retro["original_authorization_id"]) == ("billed_code_differs", aid)
    assert why(n=3, servicing_provider_npi="1226468613")["reasons"][0]["code"] == "provider_mismatch"
    expired = why(n=4, from_date="2027-03-10")
    assert expired["reasons"][0]["code"] == "after_expiry" and "2027-03-07" in expired["reasons"][0]["message"]
    too_many = why(n=5, units=9)
    assert too_many["reasons"][0]["code"] == "units_exhausted" and "only 8" in too_many["reasons"][0]["message"]
    # Units used and remaining show on the authorization.
    use = ok(c.get(f"/api/v1/requests/{aid}/utilization", headers=headers("provider-awh")))
    assert (use["lines"][0]["approved_units"], use["lines"][0]["used_units"], use["lines"][0]["remaining_units"]) == (
        12, 4, 8)
    assert [x["claim_id"] for x in use["claims"]] == ["CLM-1"]
    # No authorization at all: the code's requirement says what follows.
    no_notice = why(n=6, member_id="AWH200106", servicing_provider_npi="1579906599", code="0120")
    assert (no_notice["reasons"][0]["code"], no_notice["member_held_harmless"]) == ("notification_missing", True)
    free = why(n=7, member_id="AWH200101", servicing_provider_npi="2547517799", code="99213", units=1)
    assert (free["covered"], free["outcome"]) == (True, "no_authorization_required")
    unaware = why(n=8, member_id="AWH200102", servicing_provider_npi="1226468613", code="27447", units=1,
                  open_retrospective_review=True, diagnoses=["M17.11"])
    assert unaware["reasons"][0]["code"] == "no_authorization" and unaware["member_held_harmless"] is True
    retro2 = ok(c.get(f"/api/v1/retrospective-reviews/{unaware['retrospective_authorization_id']}",
                      headers=headers("nurse")))
    assert retro2["reason"] == "provider_unaware_authorization_required"
    # Only the claims system asks.
    assert _claim(c, headers, "nurse", "CLM-9").status_code == 403


def test_two_claims_racing_for_the_last_units(app_client: TestClient, headers: H, claims_user: str,
                                             db: Database) -> None:
    c = app_client
    aid = _approved_pt(c, headers, 10)
    ok(_claim(c, headers, claims_user, "CLM-A"))  # 4 of 10 used: 6 remain
    results: list[dict[str, Any]] = []
    barrier = threading.Barrier(2)
    h = headers(claims_user)

    def go(claim_id: str) -> None:
        payload = {"claim_id": claim_id, "line_number": 1, "member_id": "AWH200114", "servicing_provider_npi": PT,
                   "code": "97110", "from_date": "2026-12-11", "units": 4}
        barrier.wait()
        results.append(c.post("/api/v1/claims/authorization-check", json=payload, headers=h).json())

    threads = [threading.Thread(target=go, args=(f"CLM-{x}",)) for x in ("B", "C")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 6 remain and each asks for 4: exactly one wins; the other is told only 2 remain.
    assert sorted(r["outcome"] for r in results) == ["covered", "mismatch"]
    loser = next(r for r in results if r["outcome"] == "mismatch")
    assert loser["reasons"][0]["code"] == "units_exhausted" and "only 2" in loser["reasons"][0]["message"]
    with db.factory() as s:
        used = s.scalar(select(ServiceLine.used_units).join(AuthorizationRequest).where(
            AuthorizationRequest.authorization_id == aid))
    assert used == 8
