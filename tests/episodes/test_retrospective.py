"""Retrospective review windows on both reference packs, late-but-reviewed requests, the review period."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openum.clock import FrozenClock
from openum.deadlines.schema import ClockFile
from openum.episodes import windows
from openum.episodes.common import section
from openum.episodes.pack_schema import RetrospectiveFile
from openum.packs.registry import PackRegistry
from tests.episodes.conftest import H, due, ok
from tests.episodes.test_episode_journey import at
from tests.factories import AWH_KNEE, PHC_KNEE, body, line


def _rules(registry: PackRegistry, plan: str) -> tuple[RetrospectiveFile, Any]:
    pack = registry.versions(plan)[-1]
    return section(pack, "retrospective", RetrospectiveFile), pack.calendar


@pytest.mark.parametrize(("received", "late", "days_late"), [
    # Seed 001: "within 15 business days of the date of service". Mon 2 Nov 2026: business days 3, 4, 5, 6,
    # 9, 10, (11 Veterans Day closed), 12, 13, 16, 17, 18, 19, 20, 23, 24 -> the 15th is Tue 24 Nov.
    (date(2026, 11, 24), False, 0),
    (date(2026, 11, 25), True, 1),
])
def test_medi_cal_fifteen_business_days_from_the_date_of_service(
    registry: PackRegistry, received: date, late: bool, days_late: int
) -> None:
    rules, cal = _rules(registry, "partnership-medi-cal")
    w = windows.evaluate(rules, cal, date_of_service=date(2026, 11, 2), received_on=received)
    assert (w.basis.value, w.timely_until) == ("date_of_service", date(2026, 11, 24))
    assert (w.late, w.days_late) == (late, days_late)
    assert w.reviewable and w.reviewable_until == date(2027, 11, 2)


@pytest.mark.parametrize(("field", "trigger", "until"), [
    # "or within 60 calendar days of either a denial from the primary insurance carrier or retrospective
    # eligibility": 5 Oct + 60 days = 4 Dec; 1 Oct + 60 days = 30 Nov.
    ("primary_insurer_denial", date(2026, 10, 5), date(2026, 12, 4)),
    ("retroactive_eligibility", date(2026, 10, 1), date(2026, 11, 30)),
])
def test_medi_cal_sixty_days_from_a_denial_or_retroactive_eligibility(
    registry: PackRegistry, field: str, trigger: date, until: date
) -> None:
    rules, cal = _rules(registry, "partnership-medi-cal")
    on_time = windows.evaluate(rules, cal, date_of_service=date(2026, 8, 3), received_on=until, **{field: trigger})
    assert (on_time.basis.value, on_time.timely_until, on_time.late) == (field, until, False)
    # The date-of-service window (15 business days from 3 Aug) closed long before: the later window counts.
    assert min(e.ends for e in on_time.windows) < until
    a_day_late = windows.evaluate(rules, cal, date_of_service=date(2026, 8, 3),
                                  received_on=date.fromordinal(until.toordinal() + 1), **{field: trigger})
    assert (a_day_late.late, a_day_late.days_late) == (True, 1)


def test_one_year_review_period(registry: PackRegistry) -> None:
    rules, cal = _rules(registry, "partnership-medi-cal")
    # "up to one year after services are rendered": 24 Nov 2025 is reviewable through 24 Nov 2026.
    last = windows.evaluate(rules, cal, date_of_service=date(2025, 11, 24), received_on=date(2026, 11, 24))
    after = windows.evaluate(rules, cal, date_of_service=date(2025, 11, 24), received_on=date(2026, 11, 25))
    assert (last.reviewable_until, last.reviewable, last.late) == (date(2026, 11, 24), True, True)
    assert after.reviewable is False
    assert windows.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


def test_allways_window_is_pack_data(registry: PackRegistry) -> None:
    rules, cal = _rules(registry, "allways-commercial")
    # Pack choice (seed 004 gives none): 90 calendar days. 20 Aug + 90 days = 18 Nov.
    w = windows.evaluate(rules, cal, date_of_service=date(2026, 8, 20), received_on=date(2026, 11, 18))
    assert (w.timely_until, w.late) == (date(2026, 11, 18), False)
    late = windows.evaluate(rules, cal, date_of_service=date(2026, 8, 20), received_on=date(2026, 11, 19))
    assert late.days_late == 1


@pytest.mark.parametrize(("plan", "days"), [("partnership-medi-cal", 30), ("allways-commercial", 14)])
def test_completion_limit_matches_the_clock_rule(registry: PackRegistry, plan: str, days: int) -> None:
    # The pack's completion figure and the clocks/ rule that times post-service requests must agree.
    pack = registry.versions(plan)[-1]
    assert section(pack, "retrospective", RetrospectiveFile).completion_calendar_days == days
    rules = [r for f in pack.sections["clocks"].values() if isinstance(f, ClockFile) and f.kind.value == "plan_policy"
             for r in f.rules if "post_service" in [k.value for k in r.kinds]]
    outer = rules[0].decision.cap or rules[0].decision
    assert (outer.amount, outer.unit.value) == (days, "calendar_days")


def _mri(member: str, dos: str) -> dict[str, Any]:
    return body(PHC_KNEE, member={"member_id": member}, setting="outpatient", servicing_provider_npi="1866283603",
                facility_npi=None, requested_length_of_stay=None, admission_date=None, diagnoses=["M54.16"],
                service_lines=[line("72148", from_date=dos, pos="22")],
                clinical_indications="Lumbar radiculopathy; MRI done before authorization was obtained.")


def _retro(client: TestClient, headers: H, request: dict[str, Any], reason: str, user: str, **kw: Any) -> Any:
    return client.post("/api/v1/retrospective-reviews", headers=headers(user),
                       json={"request": request, "reason": reason, **kw})


def test_medi_cal_late_tar_is_accepted_flagged_and_reviewed(
    app_client: TestClient, headers: H, clock: FrozenClock
) -> None:
    c = app_client
    at(clock, "2026-11-24T10:00:00-08:00")
    timely = ok(_retro(c, headers, _mri("PHC100101", "2026-11-02"), "provider_unaware_authorization_required",
                       "provider-phc"), 201)
    assert (timely["late"], timely["timely_until"], timely["status"]) == (False, "2026-11-24", "in_clinical_review")
    at(clock, "2026-11-25T10:00:00-08:00")
    late = ok(_retro(c, headers, _mri("PHC100105", "2026-11-02"), "provider_unaware_authorization_required",
                     "provider-phc"), 201)
    # "TARs submitted beyond these timeframes are considered late but will still be reviewed."
    assert (late["late"], late["days_late"]) == (True, 1)
    assert (late["status"], late["provider_status"]) == ("in_clinical_review", "M")
    # "All retrospective reviews are completed within 30 calendar days of receipt": Wed 25 Nov is day 0,
    # day 30 is Fri 25 Dec, ending 23:59:59.999999 PST = 2026-12-26T07:59:59.999999Z.
    assert late["completion_due_at"].startswith("2026-12-26T07:59:59.999999")
    assert due(late, "decision").startswith("2026-12-26T07:59:59.999999")
    item = next(i for i in ok(c.get("/api/v1/queues/mine", headers=headers("nurse")))
                if i["authorization_id"] == late["authorization_id"])
    assert item["queue"] == "nurse"
    history = ok(c.get(f"/api/v1/requests/{late['authorization_id']}", headers=headers("nurse")))["history"]
    assert next(h for h in history if h["type"] == "retrospective_late")["data"]["timely_until"] == "2026-11-24"
    # Retroactive eligibility gives 60 days from the State's decision instead.
    retro = ok(_retro(c, headers, _mri("PHC100107", "2026-08-03"), "retroactive_eligibility", "provider-phc",
                      retro_eligibility_date="2026-10-01"), 201)
    assert (retro["window_basis"], retro["timely_until"]) == ("retroactive_eligibility", "2026-11-30")
    assert retro["late"] is False
    # A year and a day after the service: not reviewable, closed on receipt with its reason.
    old = ok(_retro(c, headers, _mri("PHC100116", "2025-11-24"), "provider_unaware_authorization_required",
                    "provider-phc"), 201)
    assert (old["reviewable"], old["reviewable_until"], old["status"], old["provider_status"]) == (
        False, "2026-11-24", "closed", "C")
    assert _retro(c, headers, _mri("PHC100118", "2026-11-20"), "no_such_reason", "provider-phc").status_code == 400
    got = ok(c.get(f"/api/v1/retrospective-reviews/{late['authorization_id']}", headers=headers("provider-phc")))
    assert got["late"] is True
    assert c.get(f"/api/v1/retrospective-reviews/{late['authorization_id']}",
                 headers=headers("provider-phc-2")).status_code == 404


def test_allways_late_retrospective_request_is_still_reviewed(
    app_client: TestClient, headers: H, clock: FrozenClock
) -> None:
    c = app_client
    knee = body(AWH_KNEE, service_lines=[line("27447", from_date="2026-08-20", pos="21")], admission_date="2026-08-20")
    # Wed 18 Nov, the 90th day after 20 Aug: on time.
    on_time = ok(_retro(c, headers, knee, "concurrent_review_not_performed", "provider-awh"), 201)
    assert (on_time["late"], on_time["timely_until"]) == (False, "2026-11-18")
    at(clock, "2026-11-19T12:00:00-05:00")
    late = ok(_retro(c, headers, body(knee, member={"member_id": "AWH200102"}), "concurrent_review_not_performed",
                     "provider-awh"), 201)
    assert (late["late"], late["days_late"], late["status"]) == (True, 1, "in_clinical_review")
    # Seed 004, row 'Retrospective Review': 2 business days after all information (complete on receipt, Thu
    # 19 Nov: Fri 20, Mon 23), never later than 14 calendar days: end of Mon 23 Nov ET.
    assert late["completion_due_at"].startswith("2026-11-24T04:59:59.999999")
