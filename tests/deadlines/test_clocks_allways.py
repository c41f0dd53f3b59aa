"""Golden tests: AllWays' Massachusetts table (seed 004) and the ERISA/NCQA layer, by hand.

Calendar: America/New_York, Mon-Fri 08:00-18:00, Massachusetts holidays incl. MLK Day (Mon 19 Jan
2026), Patriots' Day (Mon 20 Apr), Juneteenth (Fri 19 Jun), 3 Jul, Columbus Day (Mon 12 Oct),
Veterans Day (Wed 11 Nov), Thanksgiving (Thu 26 Nov; Fri 27 is a business day), Christmas and
1 Jan 2027. DST starts Sun 2026-03-08, ends Sun 2026-11-01. Day clocks end at 23:59:59.999999.
"""

from __future__ import annotations

import pytest
from clockkit import ALLWAYS_MA, ERISA, allways, et, et_eod, get, run
from clockkit import due as due_of

from openum.deadlines.events import (
    DecisionMade,
    ExtensionTaken,
    InformationReceived,
    InformationRequested,
    ProviderVerbalNoticeSent,
)
from openum.deadlines.model import DueStatus, ExtensionRefused
from openum.deadlines.schema import Outcome, Party

MA = allways(ALLWAYS_MA)
FED = allways(ERISA)
BOTH = allways()


def ma(kind: str, urgency: str, received, *events):  # type: ignore[no-untyped-def]
    return run(MA, "commercial", kind, urgency, received, *events)


def fed(kind: str, urgency: str, received, *events):  # type: ignore[no-untyped-def]
    return run(FED, "commercial", kind, urgency, received, *events)


# --- Row "Pre-service/Initial Determination, non-urgent" ----------------------------------------


def test_pre_service_non_urgent_two_business_days_skips_patriots_day() -> None:
    r = ma("pre_service", "non_urgent", et(2026, 4, 17, 10))
    # Complete at receipt (Fri 17 Apr). Mon 20 is Patriots' Day: Tue 21 (1), Wed 22 (2).
    assert due_of(r, "decision") == et_eod(2026, 4, 22)
    # Verbal notice: 24 h after the decision, never past 14 days from receipt (Fri 1 May): the cap
    # is all that is known before the decision.
    verbal = get(r, "provider_verbal")
    assert verbal.due_at == et_eod(2026, 5, 1) and verbal.status is DueStatus.PROVISIONAL


def test_pre_service_non_urgent_incomplete_then_capped_at_14_days() -> None:
    asked = InformationRequested(et(2026, 4, 20, 9))
    pending = ma("pre_service", "non_urgent", et(2026, 4, 17, 10), asked)
    # Still waiting: "no later than 14 calendar days after receipt" = end of Fri 1 May, provisional.
    assert due_of(pending, "decision") == et_eod(2026, 5, 1)
    assert get(pending, "decision").status is DueStatus.PROVISIONAL
    late = ma(
        "pre_service",
        "non_urgent",
        et(2026, 4, 17, 10),
        asked,
        InformationReceived(et(2026, 4, 30, 11)),
    )
    # Complete Thu 30 Apr: 2 business days = Mon 4 May, but the cap (Fri 1 May) is earlier.
    assert due_of(late, "decision") == et_eod(2026, 5, 1)
    early = ma(
        "pre_service",
        "non_urgent",
        et(2026, 4, 17, 10),
        asked,
        InformationReceived(et(2026, 4, 21, 11)),
    )
    # Complete Tue 21 Apr: Wed 22 (1), Thu 23 (2).
    assert due_of(early, "decision") == et_eod(2026, 4, 23)
    assert get(early, "decision").status is DueStatus.FINAL


def test_pre_service_non_urgent_notices() -> None:
    events = (
        DecisionMade(et(2026, 4, 22, 15), Outcome.APPROVAL),
        ProviderVerbalNoticeSent(et(2026, 4, 23, 15)),
    )
    r = ma("pre_service", "non_urgent", et(2026, 4, 17, 10), *events)
    assert due_of(r, "provider_verbal") == et(2026, 4, 23, 15)  # Wed 15:00 + 24 h
    assert get(r, "provider_verbal").on_time is True  # met exactly at the due instant
    # Written approval: 2 business days after the verbal notice on Thu 23: Fri 24 (1), Mon 27 (2).
    assert due_of(r, "provider_written", "approval") == et_eod(2026, 4, 27)
    assert due_of(r, "member_written", "approval") == et_eod(2026, 4, 27)
    assert get(r, "provider_written").outcome is Outcome.APPROVAL


def test_pre_service_non_urgent_denial_letter_and_verbal_capped() -> None:
    events = (
        DecisionMade(et(2026, 5, 1, 10), Outcome.DENIAL),
        ProviderVerbalNoticeSent(et(2026, 5, 1, 11)),
    )
    r = ma("pre_service", "non_urgent", et(2026, 4, 17, 10), *events)
    # Verbal: Fri 10:00 + 24 h = Sat 2 May 10:00, capped at end of Fri 1 May (14 days).
    assert due_of(r, "provider_verbal") == et_eod(2026, 5, 1)
    # Written denial: 1 business day after Fri = Mon 4 May, but "no later than 14 calendar days".
    assert due_of(r, "member_written", "denial") == et_eod(2026, 5, 1)


def test_pre_service_non_urgent_extension_refused() -> None:
    ext = ExtensionTaken(et(2026, 4, 20, 9), "records", Party.PLAN)
    with pytest.raises(ExtensionRefused, match="allows no extension"):
        ma("pre_service", "non_urgent", et(2026, 4, 17, 10), ext)


# --- Row "Pre-service/Initial Determination, urgent care" ---------------------------------------


def test_pre_service_urgent_72_hours_across_spring_forward() -> None:
    r = ma("pre_service", "urgent", et(2026, 3, 6, 14))
    # Fri 14:00 EST = 19:00 UTC; + 72 h = Mon 19:00 UTC = 15:00 EDT.
    assert due_of(r, "decision") == et(2026, 3, 9, 15)
    assert due_of(r, "provider_verbal") == et(2026, 3, 9, 15)  # the 72-hour cap, provisional


def test_pre_service_urgent_verbal_capped_at_72_hours() -> None:
    r = ma(
        "pre_service",
        "urgent",
        et(2026, 3, 6, 14),
        DecisionMade(et(2026, 3, 8, 20), Outcome.APPROVAL),
    )
    # 24 h after Sun 20:00 is Mon 20:00, past "72 hours from receipt" (Mon 15:00 EDT).
    assert due_of(r, "provider_verbal") == et(2026, 3, 9, 15)


def test_pre_service_urgent_written_approval() -> None:
    events = (
        DecisionMade(et(2026, 3, 8, 20), Outcome.APPROVAL),
        ProviderVerbalNoticeSent(et(2026, 3, 9, 10)),
    )
    r = ma("pre_service", "urgent", et(2026, 3, 6, 14), *events)
    # Two business days after Mon 9 Mar: Tue 10 (1), Wed 11 (2).
    assert due_of(r, "member_written", "approval") == et_eod(2026, 3, 11)


@pytest.mark.parametrize(
    ("verbal", "expected", "why"),
    [
        (
            et(2026, 1, 16, 9),
            et_eod(2026, 1, 19),
            "Fri before MLK Day: 1 bd = Tue 20, 3 cd = Mon 19",
        ),
        (et(2026, 3, 10, 9), et_eod(2026, 3, 11), "Tue: 1 bd = Wed 11, 3 cd = Fri 13"),
        (et(2026, 3, 14, 9), et_eod(2026, 3, 16), "Sat: 1 bd = Mon 16, 3 cd = Tue 17"),
    ],
)
def test_pre_service_urgent_written_denial_lesser_of(verbal, expected, why) -> None:  # type: ignore[no-untyped-def]
    received = et(verbal.year, verbal.month, verbal.day - 2, 9)
    events = (DecisionMade(verbal, Outcome.DENIAL), ProviderVerbalNoticeSent(verbal))
    r = ma("pre_service", "urgent", received, *events)
    assert due_of(r, "provider_written", "denial") == expected, why
    assert due_of(r, "member_written", "denial") == expected, why


# --- Row "Concurrent Review, urgent" ------------------------------------------------------------


def test_concurrent_urgent_24_hours_across_fall_back() -> None:
    r = ma("concurrent", "urgent", et(2026, 10, 31, 22))
    # Sat 22:00 EDT = Sun 02:00 UTC; + 24 h = Mon 02:00 UTC = Sun 1 Nov 21:00 EST.
    assert due_of(r, "decision") == et(2026, 11, 1, 21)
    assert due_of(r, "provider_verbal") == et(2026, 11, 1, 21)  # 24 h of receipt, not of decision
    assert get(r, "provider_verbal").status is DueStatus.FINAL


@pytest.mark.parametrize(
    ("verbal", "outcome", "expected", "why"),
    [
        (
            et(2026, 11, 1, 20),
            Outcome.APPROVAL,
            et_eod(2026, 11, 2),
            "approval: 1 bd after Sun = Mon 2",
        ),
        (
            et(2026, 11, 10, 17),
            Outcome.DENIAL,
            et_eod(2026, 11, 12),
            "Tue: Wed 11 closed, 1 bd = Thu 12; 3 cd = Fri 13",
        ),
        (
            et(2026, 10, 9, 12),
            Outcome.DENIAL,
            et_eod(2026, 10, 12),
            "Fri before Columbus Day: 1 bd = Tue 13, 3 cd = Mon 12",
        ),
        (
            et(2026, 11, 25, 12),
            Outcome.DENIAL,
            et_eod(2026, 11, 27),
            "Wed before Thanksgiving: 1 bd = Fri 27, 3 cd = Sat 28",
        ),
    ],
)
def test_concurrent_urgent_written(verbal, outcome, expected, why) -> None:  # type: ignore[no-untyped-def]
    events = (DecisionMade(verbal, outcome), ProviderVerbalNoticeSent(verbal))
    r = ma("concurrent", "urgent", verbal, *events)
    assert due_of(r, "provider_written", outcome.value) == expected, why


# --- Row "Concurrent, non-urgent" ---------------------------------------------------------------


def test_concurrent_non_urgent_one_business_day_over_christmas() -> None:
    r = ma("concurrent", "non_urgent", et(2026, 12, 24, 11))
    # Thu 24 Dec; Fri 25 closed; 1 business day = Mon 28 Dec.
    assert due_of(r, "decision") == et_eod(2026, 12, 28)


def test_concurrent_non_urgent_verbal_split_by_outcome() -> None:
    approve = ma(
        "concurrent",
        "non_urgent",
        et(2026, 12, 24, 11),
        DecisionMade(et(2026, 12, 28, 16), Outcome.APPROVAL),
    )
    # Approval: within 1 business day of the decision -> end of Tue 29 Dec.
    assert due_of(approve, "provider_verbal") == et_eod(2026, 12, 29)
    deny = ma(
        "concurrent",
        "non_urgent",
        et(2026, 12, 24, 11),
        DecisionMade(et(2026, 12, 28, 16), Outcome.DENIAL),
    )
    # Denial: within 24 hours of the decision -> Tue 29 Dec 16:00.
    assert due_of(deny, "provider_verbal") == et(2026, 12, 29, 16)


def test_concurrent_non_urgent_written_denial_over_new_year() -> None:
    events = (
        DecisionMade(et(2026, 12, 31, 9), Outcome.DENIAL),
        ProviderVerbalNoticeSent(et(2026, 12, 31, 10)),
    )
    r = ma("concurrent", "non_urgent", et(2026, 12, 24, 11), *events)
    # Thu 31 Dec: 1 bd skips Fri 1 Jan -> Mon 4 Jan; 3 calendar days -> Sun 3 Jan. Lesser: 3 Jan.
    assert due_of(r, "member_written", "denial") == et_eod(2027, 1, 3)


def test_concurrent_non_urgent_information_late_hits_cap() -> None:
    events = (InformationRequested(et(2026, 12, 28, 9)), InformationReceived(et(2027, 1, 7, 10)))
    r = ma("concurrent", "non_urgent", et(2026, 12, 24, 11), *events)
    # Complete Thu 7 Jan -> 1 bd = Fri 8 Jan; cap 24 Dec + 14 = Thu 7 Jan wins.
    assert due_of(r, "decision") == et_eod(2027, 1, 7)


# --- Row "Retrospective Review" -----------------------------------------------------------------


def test_retrospective_two_business_days_and_14_day_letters() -> None:
    r = ma("post_service", "non_urgent", et(2026, 6, 18, 10))
    # Thu 18 Jun; Fri 19 is Juneteenth: Mon 22 (1), Tue 23 (2).
    assert due_of(r, "decision") == et_eod(2026, 6, 23)
    # Written approval and denial: 14 calendar days after receipt = Thu 2 Jul, known now.
    for outcome in ("approval", "denial"):
        letter = get(r, "member_written", outcome)
        assert letter.due_at == et_eod(2026, 7, 2) and letter.status is DueStatus.FINAL
    assert all(d.obligation.value != "provider_verbal" for d in r)  # "N/A"


def test_retrospective_information_late_capped() -> None:
    events = (InformationRequested(et(2026, 6, 16, 9)), InformationReceived(et(2026, 6, 26, 9)))
    r = ma("post_service", "urgent", et(2026, 6, 15, 10), *events)
    # Complete Fri 26 Jun -> Mon 29 (1), Tue 30 (2); cap 15 Jun + 14 = Mon 29 Jun wins.
    assert due_of(r, "decision") == et_eod(2026, 6, 29)


# --- Row "Reconsideration of Adverse Determination" ---------------------------------------------


def test_reconsideration_one_business_day_over_independence_day() -> None:
    r = ma("reconsideration", "urgent", et(2026, 7, 2, 16))
    # Thu 2 Jul; Fri 3 Jul closed (Independence Day observed): 1 bd = Mon 6 Jul.
    assert due_of(r, "decision") == et_eod(2026, 7, 6)
    assert due_of(r, "provider_verbal") == et_eod(2026, 7, 6)
    events = (
        DecisionMade(et(2026, 7, 6, 9), Outcome.DENIAL),
        ProviderVerbalNoticeSent(et(2026, 7, 6, 10)),
    )
    r = ma("reconsideration", "non_urgent", et(2026, 7, 2, 16), *events)
    # Strictest written denial row: 1 bd (Tue 7) or 3 cd (Thu 9): Tue 7 Jul.
    assert due_of(r, "member_written", "denial") == et_eod(2026, 7, 7)


# --- ERISA / NCQA layer ------------------------------------------------------------------------


def test_erisa_pre_service_15_days() -> None:
    r = fed("pre_service", "non_urgent", et(2026, 2, 2, 9))
    # Mon 2 Feb + 15 = Tue 17 Feb.
    assert due_of(r, "decision") == et_eod(2026, 2, 17)
    assert due_of(r, "member_written") == et_eod(2026, 2, 17)


def test_erisa_pre_service_extension_by_plan_only_and_once() -> None:
    received = et(2026, 2, 2, 9)
    one = ExtensionTaken(et(2026, 2, 10, 9), "independent review needed", Party.PLAN)
    r = fed("pre_service", "non_urgent", received, one)
    # 17 Feb + 15 = Wed 4 Mar; the written notice moves with it.
    assert due_of(r, "decision") == et_eod(2026, 3, 4)
    assert due_of(r, "member_written") == et_eod(2026, 3, 4)
    with pytest.raises(ExtensionRefused, match="member is not allowed"):
        fed(
            "pre_service",
            "non_urgent",
            received,
            ExtensionTaken(et(2026, 2, 10, 9), "x", Party.MEMBER),
        )
    with pytest.raises(ExtensionRefused, match="at most 1"):
        fed(
            "pre_service",
            "non_urgent",
            received,
            one,
            ExtensionTaken(et(2026, 2, 20, 9), "x", Party.PLAN),
        )


def test_erisa_pre_service_pause_then_extension() -> None:
    events = (InformationRequested(et(2026, 2, 6, 10)), InformationReceived(et(2026, 2, 20, 14)))
    r = fed("pre_service", "non_urgent", et(2026, 2, 2, 9), *events)
    # Tolled from Fri 6 Feb to Fri 20 Feb: 14 days -> 17 Feb + 14 = 3 Mar; the request was the one
    # extension, so + 15 = Wed 18 Mar (EDT by then).
    assert due_of(r, "decision") == et_eod(2026, 3, 18)
    assert get(r, "decision").extensions == 1
    with pytest.raises(ExtensionRefused, match="at most 1"):
        fed(
            "pre_service",
            "non_urgent",
            et(2026, 2, 2, 9),
            *events,
            ExtensionTaken(et(2026, 3, 1, 9), "x", Party.PLAN),
        )


def test_erisa_pre_service_pause_unanswered_is_paused_with_latest_bound() -> None:
    r = fed(
        "pre_service", "non_urgent", et(2026, 2, 2, 9), InformationRequested(et(2026, 2, 6, 10))
    )
    decision = get(r, "decision")
    # Claimant has 45 days: to 23 Mar. Tolled 45 days: 17 Feb + 45 = 3 Apr; + 15 = Sat 18 Apr.
    assert decision.status is DueStatus.PAUSED and decision.due_at == et_eod(2026, 4, 18)
    assert get(r, "member_written").status is DueStatus.PAUSED


def test_erisa_pause_answer_after_window_counts_window_only() -> None:
    events = (InformationRequested(et(2026, 2, 6, 10)), InformationReceived(et(2026, 4, 1, 9)))
    r = fed("pre_service", "non_urgent", et(2026, 2, 2, 9), *events)
    assert due_of(r, "decision") == et_eod(2026, 4, 18)  # as above, but no longer paused
    assert get(r, "decision").status is DueStatus.FINAL


def test_erisa_request_after_deadline_does_not_toll() -> None:
    events = (InformationRequested(et(2026, 2, 18, 10)), InformationReceived(et(2026, 2, 25, 9)))
    assert due_of(
        fed("pre_service", "non_urgent", et(2026, 2, 2, 9), *events), "decision"
    ) == et_eod(2026, 2, 17)


def test_erisa_urgent_incomplete_claim() -> None:
    received = et(2026, 3, 2, 9)
    assert due_of(fed("pre_service", "urgent", received), "decision") == et(2026, 3, 5, 9)  # + 72 h
    asked = InformationRequested(et(2026, 3, 2, 15))
    answered = fed(
        "pre_service", "urgent", received, asked, InformationReceived(et(2026, 3, 3, 10))
    )
    # 48 hours after the answer (Tue 10:00) = Thu 5 Mar 10:00.
    assert due_of(answered, "decision") == et(2026, 3, 5, 10)
    silent = fed("pre_service", "urgent", received, asked)
    # Claimant window: Mon 15:00 + 48 h = Wed 15:00; then 48 h = Fri 6 Mar 15:00; paused.
    assert due_of(silent, "decision") == et(2026, 3, 6, 15)
    assert get(silent, "decision").status is DueStatus.PAUSED
    late = fed("pre_service", "urgent", received, InformationRequested(et(2026, 3, 3, 10)))
    # Asked 25 hours after receipt, past the 24 hours: no tolling, 72 h stands.
    assert due_of(late, "decision") == et(2026, 3, 5, 9)


def test_erisa_urgent_written_within_3_days_and_no_extension() -> None:
    r = fed(
        "pre_service",
        "urgent",
        et(2026, 3, 6, 12),
        DecisionMade(et(2026, 3, 6, 18), Outcome.DENIAL),
    )
    assert due_of(r, "member_written") == et_eod(2026, 3, 9)  # Fri 6 + 3 = Mon 9
    with pytest.raises(ExtensionRefused):
        fed(
            "pre_service",
            "urgent",
            et(2026, 3, 6, 12),
            ExtensionTaken(et(2026, 3, 6, 13), "x", Party.PLAN),
        )


def test_erisa_concurrent() -> None:
    # Urgent: 24 h across fall back: Sat 22:00 EDT -> Sun 21:00 EST.
    assert due_of(fed("concurrent", "urgent", et(2026, 10, 31, 22)), "decision") == et(
        2026, 11, 1, 21
    )
    # Non-urgent: treated as pre-service, 15 days: Sat 31 Oct + 15 = Sun 15 Nov.
    assert due_of(fed("concurrent", "non_urgent", et(2026, 10, 31, 22)), "decision") == et_eod(
        2026, 11, 15
    )


def test_erisa_post_service_30_days_extension_and_pause() -> None:
    received = et(2026, 1, 30, 12)
    # 30 Jan + 30 = Sun 1 Mar.
    assert due_of(fed("post_service", "non_urgent", received), "decision") == et_eod(2026, 3, 1)
    ext = fed(
        "post_service", "non_urgent", received, ExtensionTaken(et(2026, 2, 27, 9), "x", Party.PLAN)
    )
    assert due_of(ext, "decision") == et_eod(2026, 3, 16)  # 1 Mar + 15
    paused = fed(
        "post_service",
        "non_urgent",
        received,
        InformationRequested(et(2026, 2, 2, 9)),
        InformationReceived(et(2026, 2, 12, 9)),
    )
    # Tolled 10 days -> 11 Mar, then + 15 -> Thu 26 Mar.
    assert due_of(paused, "decision") == et_eod(2026, 3, 26)


# --- Both layers --------------------------------------------------------------------------------


def test_layers_massachusetts_cap_beats_erisa_pause() -> None:
    events = (InformationRequested(et(2026, 2, 3, 9)), InformationReceived(et(2026, 2, 20, 9)))
    r = run(BOTH, "qhp", "pre_service", "non_urgent", et(2026, 2, 2, 9), *events)
    decision = get(r, "decision")
    # MA: complete Fri 20 Feb -> Tue 24 Feb, but capped at 2 Feb + 14 = Mon 16 Feb.
    # ERISA: tolled 17 days -> 6 Mar, + 15 -> 21 Mar. Earliest: 16 Feb, from the MA layer.
    assert decision.due_at == et_eod(2026, 2, 16) and decision.layer_id == "allways-massachusetts"
    assert {d.layer_id: d.due_at for d in decision.all_layers}["federal-erisa-ncqa"] == et_eod(
        2026, 3, 21
    )


def test_layers_extension_refused_by_massachusetts() -> None:
    with pytest.raises(ExtensionRefused) as err:
        run(
            BOTH,
            "commercial",
            "pre_service",
            "non_urgent",
            et(2026, 2, 2, 9),
            ExtensionTaken(et(2026, 2, 3, 9), "beyond our control", Party.PLAN),
        )
    assert err.value.layer_id == "allways-massachusetts"


def test_layers_member_approval_letter_bounded_by_erisa() -> None:
    received = et(2026, 2, 2, 9)
    before = run(BOTH, "commercial", "pre_service", "non_urgent", received)
    letter = get(before, "member_written", "approval")
    # MA waits for the verbal notice; ERISA's 15 days (Tue 17 Feb) is known: provisional.
    assert letter.due_at == et_eod(2026, 2, 17) and letter.status is DueStatus.PROVISIONAL
    events = (
        DecisionMade(et(2026, 2, 16, 9), Outcome.APPROVAL),
        ProviderVerbalNoticeSent(et(2026, 2, 16, 10)),
    )
    after = run(BOTH, "commercial", "pre_service", "non_urgent", received, *events)
    letter = get(after, "member_written", "approval")
    # MA: Tue 17 (1), Wed 18 (2); ERISA: 17 Feb. ERISA wins and is now final.
    assert letter.due_at == et_eod(2026, 2, 17) and letter.status is DueStatus.FINAL
    assert letter.layer_id == "federal-erisa-ncqa"
