"""Coverage discovery on both reference packs: every outcome, answered from the packs' own rules.

Expected answers come from the seeds: seed 004 (AllWays) delegates high-tech imaging to eviCore
except during an ER, observation, surgical day care or inpatient stay, and sleep to SMS; observation
is a required notification; out-of-network non-emergent services need prior authorization; PCPs
stay covered 30 days after leaving the network. Seed 001 (Partnership) carves outpatient pharmacy
out to Medi-Cal Rx and specialty mental health to the county; seeds 000/001: EPSDT members under
21 get a medical-necessity review instead of an administrative denial.
"""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

Check = Callable[..., dict[str, Any]]


@pytest.fixture
def check(app_client: TestClient, headers: Callable[[str], dict[str, str]]) -> Check:
    def _check(member: str, codes: list[str] | list[tuple[str, int]], day: str = "2026-12-01",
               npi: str | None = None, setting: str | None = None, user: str = "intake") -> dict[str, Any]:
        services = [{"code": c, "units": 1} if isinstance(c, str) else {"code": c[0], "units": c[1]}
                    for c in codes]
        body: dict[str, Any] = {"member_id": member, "services": services, "date_of_service": day}
        if npi:
            body["servicing_provider_npi"] = npi
        if setting:
            body["setting"] = setting
        r = app_client.post("/api/v1/coverage/check", json=body, headers=headers(user))
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    return _check


# Partnership HealthPlan of California (Medi-Cal). PCP 1588139984 is in network.
PHC_PCP = "1588139984"


def test_office_visit_needs_no_authorization(check: Check) -> None:
    a = check("PHC100101", ["99213"], npi=PHC_PCP)
    assert a["outcome"] == "no_authorization_needed"
    assert a["member"]["eligible"] and a["member"]["line_of_business"] == "medi-cal"
    assert a["provider"]["in_network"]


def test_elective_knee_replacement_needs_prior_authorization(check: Check) -> None:
    a = check("PHC100101", ["27447"], npi="1472940554")
    assert a["outcome"] == "authorization_required"
    assert a["lines"][0]["requirement"] == "prior_auth"


def test_emergent_admission_is_a_required_notification(check: Check) -> None:
    assert check("PHC100101", ["0120"], npi="2714751361")["outcome"] == "notification_required"


def test_excluded_service_is_a_member_issued_administrative_denial(check: Check) -> None:
    a = check("PHC100101", ["17380"], npi=PHC_PCP)
    assert a["outcome"] == "administrative_denial"
    assert a["denial_reason"] == "service_excluded"
    assert a["member_issued"] is True


def test_epsdt_child_gets_medical_necessity_review_not_a_denial(check: Check) -> None:
    # PHC100103 was born 2016-05-20: 10 years old, under Medi-Cal's EPSDT age of 21.
    a = check("PHC100103", ["17380"], npi="2987973098")
    assert a["outcome"] == "medical_necessity_review"
    assert "EPSDT" in a["lines"][0]["notes"][0]


def test_epsdt_ends_at_21(check: Check) -> None:
    # PHC100104 was born 2005-12-15: 20 on 2025-12-14... and 21 from 2026-12-15.
    assert check("PHC100104", ["17380"], day="2026-12-14", npi=PHC_PCP)["outcome"] == "medical_necessity_review"
    assert check("PHC100104", ["17380"], day="2026-12-15", npi=PHC_PCP)["outcome"] == "administrative_denial"


def test_exhausted_therapy_benefit(check: Check) -> None:
    # Partnership's rehab therapy limit is 24 visits a calendar year; PHC100113 has used 24.
    a = check("PHC100113", ["97110"], npi="2616987162")
    assert a["outcome"] == "administrative_denial" and a["denial_reason"] == "benefit_exhausted"
    assert a["lines"][0]["benefit"]["remaining"] == 0
    # A new calendar year starts a new count.
    assert check("PHC100113", ["97110"], day="2027-01-04", npi="2616987162")["outcome"] == "authorization_required"


def test_exhausted_benefit_for_a_child_goes_to_review(check: Check) -> None:
    assert check("PHC100121", ["97110"], npi="2616987162")["outcome"] == "medical_necessity_review"


def test_partly_used_benefit_reports_what_remains(check: Check) -> None:
    a = check("PHC100114", [("97110", 20)], npi="2616987162")  # 10 of 24 used
    assert a["lines"][0]["benefit"]["remaining"] == 14
    assert a["lines"][0]["benefit"]["requested_exceeds_remaining"] is True
    assert a["outcome"] == "authorization_required"


def test_pharmacy_is_carved_out_to_medi_cal_rx(check: Check) -> None:
    a = check("PHC100101", ["00088221905"], npi=PHC_PCP)
    assert a["outcome"] == "not_plan_responsibility"
    assert "Medi-Cal Rx" in a["lines"][0]["carve_out"]["name"]


def test_specialty_mental_health_is_carved_out_to_the_county(check: Check) -> None:
    a = check("PHC100101", ["H0036"], npi="2273177842")
    assert a["outcome"] == "not_plan_responsibility"
    assert a["lines"][0]["carve_out"]["id"] == "county-behavioral-health-plan"


def test_eligibility_ends_on_the_last_covered_day(check: Check) -> None:
    # PHC100108's Medi-Cal ended 2026-06-30.
    assert check("PHC100108", ["99213"], day="2026-06-30", npi=PHC_PCP)["member"]["eligible"] is True
    a = check("PHC100108", ["99213"], day="2026-07-01", npi=PHC_PCP)
    assert a["outcome"] == "administrative_denial" and a["denial_reason"] == "member_ineligible"


def test_eligibility_gap(check: Check) -> None:
    # PHC100110: covered to 2025-12-31, again from 2026-03-01.
    assert check("PHC100110", ["99213"], day="2026-02-15", npi=PHC_PCP)["denial_reason"] == "member_ineligible"
    assert check("PHC100110", ["99213"], day="2026-03-01", npi=PHC_PCP)["outcome"] == "no_authorization_needed"


def test_terminated_pcp_continuity_window_is_12_months_on_medi_cal(check: Check) -> None:
    # Robert Hale (1141707533) left the network 2026-09-30; he is PHC100111's PCP. Medi-Cal
    # continuity of care lasts up to 12 months (DHCS APL 23-022), 365 days in the pack.
    inside = check("PHC100111", ["99213"], day="2027-09-30", npi="1141707533")
    assert inside["provider"]["status"] == "continuity_of_care"
    assert inside["outcome"] == "no_authorization_needed"
    beyond = check("PHC100111", ["99213"], day="2027-10-01", npi="1141707533")
    assert beyond["provider"]["status"] == "terminated"
    assert beyond["outcome"] == "authorization_required"


def test_out_of_network_non_emergent_needs_prior_authorization(check: Check) -> None:
    a = check("PHC100101", ["99213"], npi="1571784721")
    assert a["provider"]["status"] == "out_of_network"
    assert a["outcome"] == "authorization_required"
    er = check("PHC100101", ["99285"], npi="1571784721", setting="emergency")
    assert er["outcome"] == "no_authorization_needed"


# AllWays Health Partners (Massachusetts commercial and QHP).


def test_high_tech_imaging_is_delegated_to_evicore(check: Check) -> None:
    a = check("AWH200101", ["72148"], npi="1940692563")
    assert a["outcome"] == "delegated"
    assert a["lines"][0]["delegated_to"]["id"] == "evicore"


def test_imaging_during_an_inpatient_stay_needs_no_authorization(check: Check) -> None:
    a = check("AWH200101", ["72148"], npi="1579906599", setting="inpatient")
    assert a["outcome"] == "no_authorization_needed"


def test_sleep_therapy_is_delegated_to_sms(check: Check) -> None:
    assert check("AWH200101", ["E0601"], npi="1506045412")["lines"][0]["delegated_to"]["id"] == \
        "sleep-management-solutions"


def test_sud_residential_is_delegated_to_optum(check: Check) -> None:
    assert check("AWH200101", ["H0018"], npi="1129110288")["lines"][0]["delegated_to"]["id"] == "optum"


def test_observation_is_a_required_notification(check: Check) -> None:
    assert check("AWH200101", ["G0378"], npi="1579906599")["outcome"] == "notification_required"


def test_maternity_is_a_requested_notification(check: Check) -> None:
    assert check("AWH200104", ["59400"], npi="1133017560")["outcome"] == "notification_requested"


def test_commercial_child_gets_no_epsdt_exception(check: Check) -> None:
    # AWH200118 is 16, but EPSDT is a Medicaid rule: commercial exclusions stand.
    a = check("AWH200118", ["17380"], npi="1737028385")
    assert a["outcome"] == "administrative_denial" and a["denial_reason"] == "service_excluded"


def test_commercial_therapy_benefit_exhausted(check: Check) -> None:
    # AllWays allows 60 rehab visits a calendar year; AWH200113 has used 60.
    a = check("AWH200113", ["97110"], npi="1948939495")
    assert a["denial_reason"] == "benefit_exhausted"


def test_commercial_member_ineligible_after_termination(check: Check) -> None:
    assert check("AWH200107", ["99213"], npi="2547517799")["denial_reason"] == "member_ineligible"


def test_commercial_terminated_pcp_continuity(check: Check) -> None:
    # Patricia Doyle (1186032086) left 2026-09-30; she is AWH200110's PCP.
    assert check("AWH200110", ["99213"], day="2026-10-30", npi="1186032086")["provider"]["status"] == \
        "continuity_of_care"
    assert check("AWH200110", ["99213"], day="2026-10-31", npi="1186032086")["outcome"] == \
        "authorization_required"


def test_unknown_plan_member_is_a_clear_error(app_client: TestClient,
                                              headers: Callable[[str], dict[str, str]]) -> None:
    r = app_client.post("/api/v1/coverage/check", headers=headers("intake"),
                        json={"member_id": "NOPE", "services": [{"code": "99213"}],
                              "date_of_service": "2026-12-01"})
    assert r.status_code == 400
    assert r.json()["error"]["details"][0]["loc"] == ["body", "plan_id"]


def test_malformed_check_lists_every_problem(app_client: TestClient,
                                             headers: Callable[[str], dict[str, str]]) -> None:
    r = app_client.post("/api/v1/coverage/check", headers=headers("intake"),
                        json={"services": [{"code": "99213", "units": 0}], "date_of_service": "soon"})
    assert r.status_code == 422
    locations = {d["location"] for d in r.json()["error"]["details"]}
    assert {"body.member_id", "body.services.0.units", "body.date_of_service"} <= locations
