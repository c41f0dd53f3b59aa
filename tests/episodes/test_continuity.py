"""Every out-of-network / continuity-of-care condition (domain section 7, seed 004) at and beyond its
boundary date, from directory-shaped facts and the packs' windows; then the endpoint, letters of
agreement and the network-adequacy counts against the real directory."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openum.coverage.rules import MemberFacts, ProviderFacts, SpanFact
from openum.episodes import continuity
from openum.episodes.common import section
from openum.episodes.continuity import ClinicalFacts, Pregnancy
from openum.episodes.pack_schema import NetworkAccessFile
from openum.packs.registry import PackRegistry
from tests.episodes.conftest import H, ok, submit
from tests.episodes.test_episode_journey import DOC
from tests.factories import AWH_KNEE, body, line

D = date
# AllWays directory (SCENARIOS.md): Doyle (PCP) and Quinn (radiation oncology) left on 30 Sep 2026,
# Goldberg (OB/GYN) on 31 Aug 2026; Whitman (neurosurgery) was never in network.
DOYLE = ProviderFacts("1186032086", [SpanFact("commercial", D(2012, 1, 1), D(2026, 9, 30))], D(2026, 9, 30), True)
QUINN = ProviderFacts("1521854913", [SpanFact("commercial", D(2011, 6, 1), D(2026, 9, 30))], D(2026, 9, 30), False)
GOLDBERG = ProviderFacts("1821416215", [SpanFact("commercial", D(2013, 4, 1), D(2026, 8, 31))], D(2026, 8, 31), False)
WHITMAN = ProviderFacts("2001304114", [], None, False)
KELLY = MemberFacts("AWH200110", D(1962, 1, 25), [SpanFact("commercial", D(2018, 1, 1), None)], "1186032086")
LEVINE = MemberFacts("AWH200112", D(1993, 3, 8), [SpanFact("commercial", D(2019, 1, 1), None)], "2547517799")
SHAH = MemberFacts("AWH200108", D(1995, 5, 5), [SpanFact("qhp", D(2026, 11, 1), None)], "1298369574")  # new member


def _eval(registry: PackRegistry, *, provider: ProviderFacts, member: MemberFacts, on: date,
          facts: ClinicalFacts = ClinicalFacts(), asked_on: date = D(2026, 11, 18), count: int | None = None,
          plan: str = "allways-commercial") -> dict[str, continuity.Condition]:
    pack = registry.versions(plan)[-1]
    ev = continuity.evaluate(
        service_date=on, provider=provider, provider_in_network=False, facility=False, member=member,
        line_of_business=member.eligibility[0].line_of_business, facts=facts, in_network_with_specialty=count,
        needed_specialty="Neurological Surgery" if count is not None else None, coc=pack.continuity,
        access=section(pack, "network_access", NetworkAccessFile), calendar=pack.calendar, asked_on=asked_on)
    return {c.id: c for c in ev.conditions}


def _status(conds: dict[str, continuity.Condition], cid: str) -> str:
    return conds[cid].status


@pytest.mark.parametrize(("on", "status"), [(D(2026, 10, 30), "met"), (D(2026, 10, 31), "not_met")])
def test_pcp_for_30_days_after_termination(registry: PackRegistry, on: date, status: str) -> None:
    # "A member chooses to continue with his or her PCP for up to 30 days after the provider's termination":
    # left 30 Sep -> through 30 Oct.
    conds = _eval(registry, provider=DOYLE, member=KELLY, on=on)
    assert _status(conds, "pcp_after_termination") == status
    assert conds["pcp_after_termination"].covered_until == D(2026, 10, 30)


@pytest.mark.parametrize(("on", "status"), [(D(2027, 9, 30), "met"), (D(2027, 10, 1), "not_met")])
def test_medi_cal_pcp_window_is_twelve_months(registry: PackRegistry, on: date, status: str) -> None:
    hale = ProviderFacts("1141707533", [SpanFact("medi-cal", D(2012, 4, 1), D(2026, 9, 30))], D(2026, 9, 30), True)
    soto = MemberFacts("PHC100111", D(1990, 10, 10), [SpanFact("medi-cal", D(2019, 9, 1), None)], "1141707533")
    conds = _eval(registry, provider=hale, member=soto, on=on, plan="partnership-medi-cal")
    assert _status(conds, "pcp_after_termination") == status  # 30 Sep 2026 + 365 days = 30 Sep 2027


@pytest.mark.parametrize(("on", "status"), [(D(2026, 12, 29), "met"), (D(2026, 12, 30), "not_met")])
def test_active_treatment_for_90_days_after_termination(registry: PackRegistry, on: date, status: str) -> None:
    # "active treatment for a chronic or acute medical condition ... up to 90 days": 30 Sep + 90 = 29 Dec.
    facts = ClinicalFacts(active_treatment=True, treatment_started_on=D(2026, 8, 1))
    assert _status(_eval(registry, provider=QUINN, member=KELLY, on=on, facts=facts),
                   "active_treatment_after_termination") == status
    later = ClinicalFacts(active_treatment=True, treatment_started_on=D(2026, 10, 5))
    assert _status(_eval(registry, provider=QUINN, member=KELLY, on=on, facts=later),
                   "active_treatment_after_termination") == "not_applicable"


# Goldberg left on 31 Aug. An expected delivery date of 1 Mar 2027 puts 31 Aug at 280 - 182 = 98 days,
# 14 weeks 0 days: the first day of the second trimester. 2 Mar 2027 puts it at 13 weeks 6 days.
@pytest.mark.parametrize(("edd", "visit", "on", "status"), [
    (D(2027, 3, 1), D(2027, 4, 12), D(2027, 4, 12), "met"),       # through the first post-partum visit
    (D(2027, 3, 1), D(2027, 4, 12), D(2027, 4, 13), "not_met"),   # the day after it
    (D(2027, 3, 2), D(2027, 4, 12), D(2026, 12, 1), "not_met"),   # first trimester when the provider left
    (D(2027, 3, 1), None, D(2027, 5, 24), "met"),                 # visit unknown: delivery + 84 days (ACOG)
    (D(2027, 3, 1), None, D(2027, 5, 25), "not_met"),
])
def test_pregnancy_second_or_third_trimester_through_the_postpartum_visit(
    registry: PackRegistry, edd: date, visit: date | None, on: date, status: str
) -> None:
    facts = ClinicalFacts(pregnancy=Pregnancy(edd, visit))
    conds = _eval(registry, provider=GOLDBERG, member=LEVINE, on=on, facts=facts)
    assert _status(conds, "pregnancy_after_termination") == status, conds["pregnancy_after_termination"].reason


@pytest.mark.parametrize(("death", "on", "status", "open_ended"), [
    (D(2027, 1, 10), D(2027, 1, 10), "met", False), (D(2027, 1, 10), D(2027, 1, 11), "not_met", False),
    (None, D(2028, 6, 1), "met", True),
])
def test_terminal_illness_through_death(registry: PackRegistry, death: date | None, on: date, status: str,
                                        open_ended: bool) -> None:
    facts = ClinicalFacts(terminal_illness=True, date_of_death=death)
    cond = _eval(registry, provider=QUINN, member=KELLY, on=on, facts=facts)["terminal_illness_after_termination"]
    assert (cond.status, cond.open_ended) == (status, open_ended)


@pytest.mark.parametrize(("on", "status"), [(D(2026, 12, 1), "met"), (D(2026, 12, 2), "not_met")])
def test_new_member_ongoing_treatment_for_30_days(registry: PackRegistry, on: date, status: str) -> None:
    # Transition of care: "an ongoing course of treatment ... for up to 30 days": enrolled 1 Nov -> 1 Dec.
    conds = _eval(registry, provider=WHITMAN, member=SHAH, on=on, facts=ClinicalFacts(ongoing_course_of_treatment=True))
    assert _status(conds, "new_member_ongoing_treatment") == status
    no_facts = _eval(registry, provider=WHITMAN, member=SHAH, on=on)
    assert _status(no_facts, "new_member_ongoing_treatment") == "not_applicable"


@pytest.mark.parametrize(("asked", "on", "status"), [
    (D(2026, 12, 1), D(2027, 3, 1), "met"),             # asked within 30 days of enrolling; through the visit
    (D(2026, 12, 1), D(2027, 3, 2), "not_met"),         # the day after the post-partum visit
    (D(2026, 12, 2), D(2027, 1, 5), "not_applicable"),  # asked on day 31: no longer newly enrolled
])
def test_new_member_pregnancy(registry: PackRegistry, asked: date, on: date, status: str) -> None:
    # 1 Nov 2026 at 28 weeks 0 days (third trimester): expected delivery 1 Nov + 84 days = 24 Jan 2027.
    facts = ClinicalFacts(pregnancy=Pregnancy(D(2027, 1, 24), D(2027, 3, 1)))
    conds = _eval(registry, provider=WHITMAN, member=SHAH, on=on, facts=facts, asked_on=asked)
    assert _status(conds, "new_member_pregnancy") == status


@pytest.mark.parametrize(("asked", "on", "status"), [
    (D(2026, 12, 1), D(2027, 2, 1), "met"), (D(2026, 12, 1), D(2027, 2, 2), "not_met"),
    (D(2026, 12, 2), D(2027, 1, 5), "not_applicable"),
])
def test_new_member_terminal_illness(registry: PackRegistry, asked: date, on: date, status: str) -> None:
    facts = ClinicalFacts(terminal_illness=True, date_of_death=D(2027, 2, 1))
    conds = _eval(registry, provider=WHITMAN, member=SHAH, on=on, facts=facts, asked_on=asked)
    assert _status(conds, "new_member_terminal_illness") == status


@pytest.mark.parametrize(("miles", "minutes", "status"), [
    (30, None, "not_met"), (30.5, None, "met"), (None, 60, "not_met"), (None, 61, "met"), (12, 75, "met"),
])
def test_distance_and_travel(registry: PackRegistry, miles: float | None, minutes: int | None, status: str) -> None:
    # AllWays specialist standard (pack choice): 30 miles or 60 minutes; at the standard is available.
    facts = ClinicalFacts(nearest_in_network_miles=miles, nearest_in_network_minutes=minutes)
    assert _status(_eval(registry, provider=WHITMAN, member=LEVINE, on=D(2026, 12, 1), facts=facts),
                   "distance_travel") == status


@pytest.mark.parametrize(("plan", "member", "appointment", "status"), [
    # AllWays (pack choice): 30 calendar days from the request on 18 Nov -> 18 Dec.
    ("allways-commercial", LEVINE, D(2026, 12, 18), "not_met"),
    ("allways-commercial", LEVINE, D(2026, 12, 19), "met"),
    # Medi-Cal: 15 business days (28 CCR 1300.67.2.2) from Wed 18 Nov: 19, 20, 23, 24, 25, (26-27
    # Thanksgiving closed), 30 Nov, 1, 2, 3, 4, 7, 8, 9, 10, 11 Dec -> Fri 11 Dec.
    ("partnership-medi-cal", MemberFacts("PHC100101", D(1968, 4, 12), [SpanFact("medi-cal", D(2020, 1, 1), None)],
                                         "1588139984"), D(2026, 12, 11), "not_met"),
    ("partnership-medi-cal", MemberFacts("PHC100101", D(1968, 4, 12), [SpanFact("medi-cal", D(2020, 1, 1), None)],
                                         "1588139984"), D(2026, 12, 12), "met"),
])
def test_delay_in_access_to_an_in_network_provider(registry: PackRegistry, plan: str, member: MemberFacts,
                                                   appointment: date, status: str) -> None:
    facts = ClinicalFacts(earliest_in_network_appointment=appointment)
    assert _status(_eval(registry, provider=WHITMAN, member=member, on=D(2027, 1, 5), facts=facts, plan=plan),
                   "access_delay") == status
    mine = ClinicalFacts(earliest_in_network_appointment=appointment, delay_attributable_to_member=True)
    assert _status(_eval(registry, provider=WHITMAN, member=member, on=D(2027, 1, 5), facts=mine, plan=plan),
                   "access_delay") == "not_met"


def test_expertise_and_related_services(registry: PackRegistry) -> None:
    none_in_network = _eval(registry, provider=WHITMAN, member=LEVINE, on=D(2026, 12, 1), count=0)
    expertise = none_in_network["no_in_network_expertise"]
    assert (expertise.status, expertise.open_ended) == ("met", True)
    assert _status(_eval(registry, provider=WHITMAN, member=LEVINE, on=D(2026, 12, 1), count=1),
                   "no_in_network_expertise") == "not_met"
    both = ClinicalFacts(pcp_determined_unnecessary_risk=True, related_services_unavailable_in_network=True)
    one = ClinicalFacts(pcp_determined_unnecessary_risk=True)
    assert _status(_eval(registry, provider=WHITMAN, member=LEVINE, on=D(2026, 12, 1), facts=both),
                   "related_services_not_in_network") == "met"
    assert _status(_eval(registry, provider=WHITMAN, member=LEVINE, on=D(2026, 12, 1), facts=one),
                   "related_services_not_in_network") == "not_met"


def _oon(member: str, dos: str, npi: str = "2001304114", code: str = "99214") -> dict[str, Any]:
    return body(AWH_KNEE, member={"member_id": member}, servicing_provider_npi=npi, facility_npi=None,
                setting="office", requested_length_of_stay=None, admission_date=None, diagnoses=["C61"],
                service_lines=[line(code, from_date=dos)], attachments=DOC)


def test_continuity_endpoint_letters_of_agreement_and_adequacy(app_client: TestClient, headers: H) -> None:
    c = app_client
    # Expertise against the directory: Quinn, the plan's only radiation oncologist, is in network through
    # 30 Sep 2026. Asked for a service on 30 Sep, one is available; on 1 Oct, none is.
    on_sep30 = submit(c, headers, _oon("AWH200111", "2026-09-30"), "provider-awh")["authorization_id"]
    on_oct1 = submit(c, headers, _oon("AWH200101", "2026-10-01"), "provider-awh")["authorization_id"]
    facts = {"needed_specialty": "Radiation Oncology"}
    a = ok(c.post(f"/api/v1/requests/{on_sep30}/continuity-of-care", json=facts, headers=headers("nurse")))
    b = ok(c.post(f"/api/v1/requests/{on_oct1}/continuity-of-care", json=facts, headers=headers("nurse")))
    expertise = {x["authorization_id"]: next(k for k in x["conditions"] if k["id"] == "no_in_network_expertise")
                 for x in (a, b)}
    assert (expertise[on_sep30]["status"], expertise[on_oct1]["status"]) == ("not_met", "met")
    assert (a["eligible"], b["eligible"], b["basis"], b["open_ended"]) == (False, True, "no_in_network_expertise", True)
    assert b["provider_status"] == "out_of_network" and b["letter_of_agreement"] == {
        "required": True, "recorded": False, "status": None}
    # Active treatment with the terminated oncologist, asked on 18 Nov for 15 Dec: within 90 days.
    quinn = submit(c, headers, _oon("AWH200111", "2026-12-15", npi="1521854913"), "provider-awh")["authorization_id"]
    q = ok(c.post(f"/api/v1/requests/{quinn}/continuity-of-care", headers=headers("nurse"),
                  json={"active_treatment": True, "treatment_started_on": "2026-09-01"}))
    active = next(k for k in q["conditions"] if k["id"] == "active_treatment_after_termination")
    assert (q["provider_status"], q["basis"], active["covered_until"]) == (
        "terminated", "active_treatment_after_termination", "2026-12-29")
    # With Quinn gone the plan has no radiation oncologist left in network: that condition is open-ended.
    assert q["open_ended"] is True and q["covered_until"] is None
    # "A letter of agreement is required for each unique authorization": one, and only one.
    loa = {"terms": "Office visits at the plan's fee schedule; results to the PCP.",
           "rate_basis": "100% of fee schedule", "effective_from": "2026-10-01", "status": "signed"}
    ok(c.post(f"/api/v1/requests/{on_oct1}/letter-of-agreement", json=loa, headers=headers("nurse")), 201)
    path = f"/api/v1/requests/{on_oct1}/letter-of-agreement"
    assert c.post(path, json=loa, headers=headers("nurse")).status_code == 409
    assert ok(c.get(path, headers=headers("provider-awh")))["status"] == "signed"
    in_network = submit(c, headers, _oon("AWH200102", "2026-12-15", npi="1226468613"),
                        "provider-awh")["authorization_id"]
    assert c.post(f"/api/v1/requests/{in_network}/letter-of-agreement", json=loa,
                  headers=headers("nurse")).status_code == 409
    # Out-of-network requests counted by service and area for network-adequacy review.
    report = ok(c.get("/api/v1/network-adequacy/out-of-network", headers=headers("manager"), params={
        "plan_id": "allways-commercial", "received_from": "2026-11-18", "received_to": "2026-11-18"}))
    assert report["out_of_network_requests"] == 3
    assert report["by_service"] == [{"category": "office_visit", "code": "99214", "count": 3}]
    assert sum(r["count"] for r in report["by_area"]) == 3
    assert c.get("/api/v1/network-adequacy/out-of-network", headers=headers("nurse"), params={
        "plan_id": "allways-commercial", "received_from": "2026-11-18", "received_to": "2026-11-18"}).status_code == 403


def test_boundary_helpers() -> None:
    # 14 weeks 0 days is the second trimester; 13 weeks 6 days the first; 28 weeks 0 days the third.
    edd = D(2027, 3, 1)
    days = (97, 98, 195, 196)
    assert [continuity.trimester(Pregnancy(edd), edd - timedelta(days=280 - d)) for d in days] == [1, 2, 2, 3]
    gap = MemberFacts("X", D(1990, 1, 1), [SpanFact("qhp", D(2025, 1, 1), D(2025, 12, 31)),
                                          SpanFact("qhp", D(2026, 1, 1), None)], None)
    assert continuity.enrollment_start(gap, D(2026, 6, 1)) == D(2025, 1, 1)  # adjacent spans: one enrollment
