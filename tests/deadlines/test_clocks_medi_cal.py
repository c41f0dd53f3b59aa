"""Golden tests: Partnership's Medi-Cal table (seed 001) and the federal Medicaid layer, by hand.

Calendar: America/Los_Angeles, Mon-Fri 08:00-17:00, holidays incl. Cesar Chavez Day (Tue
2026-03-31), Veterans Day (Wed 2026-11-11), Thanksgiving and the day after (26-27 Nov 2026).
DST starts Sun 2026-03-08 and ends Sun 2026-11-01. Day clocks end at 23:59:59.999999 local.
"""

from __future__ import annotations

import pytest
from clockkit import (
    MEDI_CAL_PLAN,
    MEDICAID_FEDERAL,
    get,
    medi_cal,
    pt,
    pt_eod,
    run,
)
from clockkit import due as due_of

from openum.deadlines.engine import adverse_determination_at
from openum.deadlines.events import DecisionMade, ExtensionTaken, ProviderVerbalNoticeSent
from openum.deadlines.model import DueStatus, ExtensionRefused
from openum.deadlines.schema import Outcome, Party

PLAN = medi_cal(MEDI_CAL_PLAN)
FEDERAL = medi_cal(MEDICAID_FEDERAL)
BOTH = medi_cal()
LOB = "medi-cal"


def plan(kind: str, urgency: str, received, *events):  # type: ignore[no-untyped-def]
    return run(PLAN, LOB, kind, urgency, received, *events)


# --- Row "Urgent concurrent review": 72 h decision, 72 h notification, once to 14 days ---------


def test_urgent_concurrent_across_spring_forward() -> None:
    r = plan("concurrent", "urgent", pt(2026, 3, 6, 10))
    # Fri 10:00 PST + 72 real hours; Sun 8 Mar loses an hour, so the wall clock reads 11:00 PDT.
    assert due_of(r, "decision") == pt(2026, 3, 9, 11)
    assert due_of(r, "provider_written") == pt(2026, 3, 9, 11)  # "72 hours of receipt of request"
    # "reviewed within 24 hours of notification of admission": Sat 10:00 PST.
    assert due_of(r, "review") == pt(2026, 3, 7, 10)
    # Member letter is 2 business days after a decision that has not happened: no time yet.
    member = get(r, "member_written")
    assert member.due_at is None and member.status is DueStatus.PENDING_START


def test_urgent_concurrent_member_letter_after_decision() -> None:
    r = plan(
        "concurrent", "urgent", pt(2026, 3, 6, 10), DecisionMade(pt(2026, 3, 9, 9), Outcome.DENIAL)
    )
    # Decided Mon 9 Mar: business day 1 = Tue 10, day 2 = Wed 11 -> end of Wed 11 Mar.
    assert due_of(r, "member_written") == pt_eod(2026, 3, 11)
    assert get(r, "decision").on_time is True


def test_urgent_concurrent_extension_once_to_14_days_from_receipt() -> None:
    ext = ExtensionTaken(pt(2026, 3, 7, 12), "records from the hospital", Party.PLAN)
    r = plan("concurrent", "urgent", pt(2026, 3, 6, 10), ext)
    # "extended one time up to 14 calendar days from receipt": 6 Mar + 14 = Fri 20 Mar, end of day.
    assert due_of(r, "decision") == pt_eod(2026, 3, 20)
    # The notification clock ran from receipt with the decision, so it moves with it.
    assert due_of(r, "provider_written") == pt_eod(2026, 3, 20)
    assert get(r, "decision").extensions == 1


def test_urgent_concurrent_second_extension_refused() -> None:
    first = ExtensionTaken(pt(2026, 3, 7, 12), "records", Party.PLAN)
    second = ExtensionTaken(pt(2026, 3, 12, 12), "more records", Party.PLAN)
    with pytest.raises(ExtensionRefused) as err:
        plan("concurrent", "urgent", pt(2026, 3, 6, 10), first, second)
    assert err.value.rule_id == "urgent-concurrent" and "at most 1" in err.value.reason


def test_urgent_extension_after_deadline_refused() -> None:
    # Deadline Mon 9 Mar 11:00 PDT; the notice at 12:00 is an hour late.
    late = ExtensionTaken(pt(2026, 3, 9, 12), "records", Party.PLAN)
    with pytest.raises(ExtensionRefused, match="after the deadline"):
        plan("concurrent", "urgent", pt(2026, 3, 6, 10), late)


# --- Row "Urgent pre-service" ------------------------------------------------------------------


def test_urgent_pre_service_across_fall_back() -> None:
    r = plan("pre_service", "urgent", pt(2026, 10, 30, 10))
    # Fri 10:00 PDT + 72 real hours; Sun 1 Nov repeats an hour, so the wall clock reads 09:00 PST.
    assert due_of(r, "decision") == pt(2026, 11, 2, 9)
    assert due_of(r, "provider_written") == pt(2026, 11, 2, 9)
    assert get(r, "decision").citation.endswith("row 'Urgent pre-service'")


def test_urgent_pre_service_member_letter_skips_veterans_day() -> None:
    r = plan(
        "pre_service",
        "urgent",
        pt(2026, 11, 7, 10),
        DecisionMade(pt(2026, 11, 9, 16), Outcome.APPROVAL),
    )
    # Decided Mon 9 Nov: day 1 = Tue 10, Wed 11 is Veterans Day, day 2 = Thu 12 Nov.
    assert due_of(r, "member_written") == pt_eod(2026, 11, 12)


def test_urgent_pre_service_extension_by_member() -> None:
    ext = ExtensionTaken(pt(2026, 10, 31, 9), "member asked", Party.MEMBER)
    r = plan("pre_service", "urgent", pt(2026, 10, 30, 10), ext)
    # 30 Oct + 14 calendar days = Fri 13 Nov, end of day (PST by then).
    assert due_of(r, "decision") == pt_eod(2026, 11, 13)


# --- Row "Non-urgent pre-service": 5 business days, notify 24 h after, twice 14 days (28) ------


def test_non_urgent_pre_service_skips_cesar_chavez_day() -> None:
    r = plan("pre_service", "non_urgent", pt(2026, 3, 26, 10))
    # Received Thu 26 Mar in hours. Business days: Fri 27 (1), Mon 30 (2), Tue 31 is Cesar Chavez
    # Day, Wed 1 Apr (3), Thu 2 (4), Fri 3 (5) -> end of Fri 3 Apr.
    assert due_of(r, "decision") == pt_eod(2026, 4, 3)
    assert get(r, "provider_written").status is DueStatus.PENDING_START


def test_non_urgent_after_hours_starts_next_business_day() -> None:
    r = plan("pre_service", "non_urgent", pt(2026, 3, 27, 18, 30))
    # Fri 18:30 is after closing (17:00): counts from Mon 30 Mar 08:00. Then Tue 31 holiday,
    # Wed 1 (1), Thu 2 (2), Fri 3 (3), Mon 6 (4), Tue 7 (5) -> end of Tue 7 Apr.
    assert due_of(r, "decision") == pt_eod(2026, 4, 7)


@pytest.mark.parametrize("received", [pt(2026, 3, 28, 11), pt(2026, 3, 30, 7, 0)])
def test_non_urgent_weekend_or_early_receipt_counts_from_opening(received) -> None:  # type: ignore[no-untyped-def]
    # Saturday, or Monday before 08:00: both count from Mon 30 Mar 08:00 -> Tue 7 Apr as above.
    assert due_of(plan("pre_service", "non_urgent", received), "decision") == pt_eod(2026, 4, 7)


def test_non_urgent_receipt_one_minute_before_closing_counts_that_day() -> None:
    r = plan("pre_service", "non_urgent", pt(2026, 3, 27, 16, 59))
    # Fri 16:59 is in hours: Mon 30 (1), Wed 1 (2), Thu 2 (3), Fri 3 (4), Mon 6 Apr (5).
    assert due_of(r, "decision") == pt_eod(2026, 4, 6)


def test_non_urgent_notifications_after_decision() -> None:
    decided = DecisionMade(pt(2026, 4, 3, 16), Outcome.DENIAL)
    r = plan("pre_service", "non_urgent", pt(2026, 3, 26, 10), decided)
    # "24 hours of determination date": Fri 16:00 + 24 h = Sat 4 Apr 16:00.
    assert due_of(r, "provider_written") == pt(2026, 4, 4, 16)
    # Member letter: Mon 6 (1), Tue 7 (2) -> end of Tue 7 Apr.
    assert due_of(r, "member_written") == pt_eod(2026, 4, 7)


def test_non_urgent_two_extensions_then_refused() -> None:
    received = pt(2026, 3, 26, 10)  # decision due end of Fri 3 Apr (above)
    one = ExtensionTaken(pt(2026, 4, 1, 9), "specialist consult", Party.PROVIDER)
    two = ExtensionTaken(pt(2026, 4, 10, 9), "imaging", Party.PLAN)
    r1 = plan("pre_service", "non_urgent", received, one)
    # First: 3 Apr + 14 = 17 Apr, within 26 Mar + 28 = 23 Apr -> end of Fri 17 Apr.
    assert due_of(r1, "decision") == pt_eod(2026, 4, 17)
    r2 = plan("pre_service", "non_urgent", received, one, two)
    # Second: 17 Apr + 14 = 1 May, but "28 days total from receipt" caps it at Thu 23 Apr.
    assert due_of(r2, "decision") == pt_eod(2026, 4, 23)
    three = ExtensionTaken(pt(2026, 4, 20, 9), "again", Party.PLAN)
    with pytest.raises(ExtensionRefused, match="at most 2"):
        plan("pre_service", "non_urgent", received, one, two, three)


def test_extension_shorter_than_allowed() -> None:
    ext = ExtensionTaken(pt(2026, 4, 1, 9), "short", Party.PLAN, until=pt(2026, 4, 10, 12))
    r = plan("pre_service", "non_urgent", pt(2026, 3, 26, 10), ext)
    assert due_of(r, "decision") == pt(2026, 4, 10, 12)  # the plan asked for less than 14 days


# --- Non-urgent concurrent (SNF): timed as non-urgent pre-service, reviewed within 24 h ---------


def test_non_urgent_concurrent_over_thanksgiving() -> None:
    r = plan("concurrent", "non_urgent", pt(2026, 11, 25, 16))
    # Wed 16:00, in hours. Review: Thu 26 Nov 16:00 (hours ignore holidays).
    assert due_of(r, "review") == pt(2026, 11, 26, 16)
    # Thu 26 and Fri 27 closed: Mon 30 (1), Tue 1 Dec (2), Wed 2 (3), Thu 3 (4), Fri 4 Dec (5).
    assert due_of(r, "decision") == pt_eod(2026, 12, 4)


def test_non_urgent_concurrent_after_hours_before_thanksgiving() -> None:
    r = plan("concurrent", "non_urgent", pt(2026, 11, 25, 17, 30))
    # After hours Wed; Thu-Sun closed -> counts from Mon 30 Nov 08:00. Review Tue 1 Dec 08:00.
    assert due_of(r, "review") == pt(2026, 12, 1, 8)
    # Tue 1 (1), Wed 2 (2), Thu 3 (3), Fri 4 (4), Mon 7 Dec (5).
    assert due_of(r, "decision") == pt_eod(2026, 12, 7)


# --- Row "Post-service": 30 calendar days, notification within 30 days, no extension -----------


def test_post_service_thirty_days_across_fall_back() -> None:
    r = plan("post_service", "non_urgent", pt(2026, 10, 14, 15))
    # 14 Oct + 30 calendar days = 13 Nov (17 days to 31 Oct, 13 more), end of day PST.
    assert due_of(r, "decision") == pt_eod(2026, 11, 13)
    # Provider notice is "24 hours of decision, no longer than 30 days": before the decision the cap
    # is the latest it can be.
    notice = get(r, "provider_written")
    assert notice.due_at == pt_eod(2026, 11, 13) and notice.status is DueStatus.PROVISIONAL


def test_post_service_provider_notice_capped_at_30_days() -> None:
    r = plan(
        "post_service",
        "urgent",
        pt(2026, 10, 14, 15),
        DecisionMade(pt(2026, 11, 13, 20), Outcome.DENIAL),
    )
    # 24 h after Fri 20:00 would be Sat 14 Nov 20:00, but the 30-day cap ends Fri 13 Nov.
    assert due_of(r, "provider_written") == pt_eod(2026, 11, 13)
    # Member letter: Mon 16 (1), Tue 17 Nov (2).
    assert due_of(r, "member_written") == pt_eod(2026, 11, 17)


def test_post_service_no_after_hours_shift() -> None:
    # Received Saturday: the post-service row has no after-hours rule; 17 Oct + 30 = Mon 16 Nov.
    assert due_of(plan("post_service", "non_urgent", pt(2026, 10, 17, 11)), "decision") == pt_eod(
        2026, 11, 16
    )


def test_post_service_extension_refused() -> None:
    ext = ExtensionTaken(pt(2026, 10, 20, 9), "records", Party.PLAN)
    with pytest.raises(ExtensionRefused, match="allows no extension"):
        plan("post_service", "non_urgent", pt(2026, 10, 14, 15), ext)


# --- Federal Medicaid layer (42 CFR 438.210(d)) -------------------------------------------------


def test_federal_standard_seven_days_from_2026() -> None:
    r = run(FEDERAL, LOB, "pre_service", "non_urgent", pt(2026, 3, 26, 10))
    # Thu 26 Mar + 7 calendar days = Thu 2 Apr, end of day.
    assert due_of(r, "decision") == pt_eod(2026, 4, 2)
    assert due_of(r, "member_written", "denial") == pt_eod(2026, 4, 2)
    assert get(r, "decision").missed_is_adverse_determination
    assert adverse_determination_at(r) == pt_eod(2026, 4, 2)  # 438.404(c)(5)


def test_federal_standard_fourteen_days_before_2026() -> None:
    r = run(FEDERAL, LOB, "concurrent", "non_urgent", pt(2025, 12, 29, 9))
    # Mon 29 Dec 2025 + 14 = Mon 12 Jan 2026.
    assert due_of(r, "decision") == pt_eod(2026, 1, 12)


def test_federal_rule_chosen_by_local_receipt_date() -> None:
    # 31 Dec 2025 23:30 in California is already 1 Jan 2026 in UTC; the local date governs: 14 days.
    r = run(FEDERAL, LOB, "pre_service", "non_urgent", pt(2025, 12, 31, 23, 30))
    assert due_of(r, "decision") == pt_eod(2026, 1, 14)


def test_federal_extension_once_by_provider() -> None:
    received = pt(2026, 3, 26, 10)
    one = ExtensionTaken(pt(2026, 4, 1, 9), "provider asked", Party.PROVIDER)
    # 2 Apr + 14 additional calendar days = Thu 16 Apr.
    assert due_of(
        run(FEDERAL, LOB, "pre_service", "non_urgent", received, one), "decision"
    ) == pt_eod(2026, 4, 16)
    two = ExtensionTaken(pt(2026, 4, 10, 9), "again", Party.PLAN)
    with pytest.raises(ExtensionRefused) as err:
        run(FEDERAL, LOB, "pre_service", "non_urgent", received, one, two)
    assert err.value.citation == "42 CFR 438.210(d)(1)(ii)"


def test_federal_extension_after_seven_days_refused() -> None:
    late = ExtensionTaken(pt(2026, 4, 3, 0, 1), "late", Party.PLAN)  # a minute into day 8
    with pytest.raises(ExtensionRefused, match="after the deadline"):
        run(FEDERAL, LOB, "pre_service", "non_urgent", pt(2026, 3, 26, 10), late)


def test_federal_expedited_72_hours_and_who_may_extend() -> None:
    received = pt(2026, 3, 7, 20)  # Sat 20:00 PST = Sun 04:00 UTC
    r = run(FEDERAL, LOB, "pre_service", "urgent", received)
    # + 72 h = Wed 04:00 UTC = Tue 10 Mar 21:00 PDT.
    assert due_of(r, "decision") == pt(2026, 3, 10, 21)
    with pytest.raises(ExtensionRefused, match="provider is not allowed"):
        run(
            FEDERAL,
            LOB,
            "pre_service",
            "urgent",
            received,
            ExtensionTaken(pt(2026, 3, 8, 9), "x", Party.PROVIDER),
        )
    ext = run(
        FEDERAL,
        LOB,
        "pre_service",
        "urgent",
        received,
        ExtensionTaken(pt(2026, 3, 8, 9), "x", Party.MEMBER),
    )
    # Due Tue 10 Mar 21:00 + 14 calendar days -> end of Tue 24 Mar.
    assert due_of(ext, "decision") == pt_eod(2026, 3, 24)


# --- Both layers: the earliest wins, the other stays visible ------------------------------------


def test_layers_earliest_decision_wins() -> None:
    r = run(BOTH, LOB, "pre_service", "non_urgent", pt(2026, 3, 27, 18, 30))
    decision = get(r, "decision")
    # Plan: Tue 7 Apr (after hours, Cesar Chavez Day). Federal: 27 Mar + 7 = Fri 3 Apr: it wins.
    assert decision.due_at == pt_eod(2026, 4, 3)
    assert decision.layer_id == "federal-medicaid-managed-care"
    assert {d.layer_id: d.due_at for d in decision.all_layers} == {
        "federal-medicaid-managed-care": pt_eod(2026, 4, 3),
        "partnership-um-program": pt_eod(2026, 4, 7),
    }


def test_layers_member_letter_earliest_of_federal_and_dhcs() -> None:
    decided = DecisionMade(pt(2026, 4, 2, 15), Outcome.DENIAL)
    r = run(BOTH, LOB, "pre_service", "non_urgent", pt(2026, 3, 26, 10), decided)
    # Federal: denial notice within the 7 days (end of Thu 2 Apr); DHCS: 2 business days after the
    # decision (Fri 3, Mon 6 Apr). The federal one is earlier.
    letter = get(r, "member_written", "denial")
    assert (
        letter.due_at == pt_eod(2026, 4, 2) and letter.layer_id == "federal-medicaid-managed-care"
    )


def test_layers_second_extension_refused_by_federal_floor() -> None:
    received = pt(2026, 3, 26, 10)
    one = ExtensionTaken(pt(2026, 4, 1, 9), "consult", Party.PROVIDER)
    r = run(BOTH, LOB, "pre_service", "non_urgent", received, one)
    # Federal 2 Apr + 14 = 16 Apr; plan 3 Apr + 14 = 17 Apr. Earliest: 16 Apr.
    assert due_of(r, "decision") == pt_eod(2026, 4, 16)
    two = ExtensionTaken(pt(2026, 4, 10, 9), "imaging", Party.PLAN)
    with pytest.raises(ExtensionRefused) as err:
        run(BOTH, LOB, "pre_service", "non_urgent", received, one, two)
    assert err.value.layer_id == "federal-medicaid-managed-care"


def test_layers_post_service_only_plan_layer() -> None:
    r = run(BOTH, LOB, "post_service", "non_urgent", pt(2026, 10, 14, 15))
    assert [d.layer_id for d in get(r, "decision").all_layers] == ["partnership-um-program"]
    assert adverse_determination_at(r) is None


def test_verbal_notice_event_is_ignored_where_no_rule_uses_it() -> None:
    events = (
        DecisionMade(pt(2026, 3, 9, 9), Outcome.APPROVAL),
        ProviderVerbalNoticeSent(pt(2026, 3, 9, 10)),
    )
    r = run(BOTH, LOB, "concurrent", "urgent", pt(2026, 3, 6, 10), *events)
    assert due_of(r, "member_written") == pt_eod(2026, 3, 11)  # Tue 10 (1), Wed 11 (2)
