"""Time arithmetic: end of day, DST, business days, and properties checked with hypothesis."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clockkit import LA, NY, allways, et, medi_cal, medi_cal_calendar, pt, pt_eod
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from openum.deadlines.arithmetic import due_after, end_of_day
from openum.deadlines.calendar import BusinessCalendar
from openum.deadlines.engine import due_times, find
from openum.deadlines.events import DecisionMade, ProviderVerbalNoticeSent
from openum.deadlines.model import NoClockRule
from openum.deadlines.schema import Outcome, Span, Unit

CAL = medi_cal_calendar()


def test_end_of_day_on_dst_days() -> None:
    # 8 Mar 2026 has 23 hours in California, 1 Nov 2026 has 25; the last instant is still 23:59:59.
    for day in (date(2026, 3, 8), date(2026, 11, 1)):
        local = end_of_day(day, LA).astimezone(LA)
        assert (local.date(), local.time()) == (day, time(23, 59, 59, 999999))
    assert end_of_day(date(2026, 3, 8), LA) == datetime(
        2026, 3, 9, 6, 59, 59, 999999, tzinfo=UTC
    )  # PDT = UTC-7
    assert end_of_day(date(2026, 11, 1), LA) == datetime(
        2026, 11, 2, 7, 59, 59, 999999, tzinfo=UTC
    )  # PST = UTC-8


def test_calendar_days_count_dates_not_hours() -> None:
    # 1 calendar day after Sat 7 Mar 23:30 PST is the end of Sun 8 Mar, not 24 hours later.
    assert due_after(
        pt(2026, 3, 7, 23, 30), Span(amount=1, unit=Unit.CALENDAR_DAYS), CAL
    ) == pt_eod(2026, 3, 8)
    # Zero days: the end of the same local day.
    assert due_after(pt(2026, 3, 7, 1), Span(amount=0, unit=Unit.CALENDAR_DAYS), CAL) == pt_eod(
        2026, 3, 7
    )


def test_local_date_not_utc_date_is_day_zero() -> None:
    # Thu 26 Mar 23:00 PDT is already Fri 06:00 UTC; day 0 is the local Thursday.
    start = pt(2026, 3, 26, 23)
    assert due_after(start, Span(amount=1, unit=Unit.BUSINESS_DAYS), CAL) == pt_eod(
        2026, 3, 27
    )  # Fri
    assert due_after(start, Span(amount=1, unit=Unit.CALENDAR_DAYS), CAL) == pt_eod(2026, 3, 27)


def test_business_day_from_a_holiday_starts_next_business_day() -> None:
    assert due_after(pt(2026, 3, 31, 12), Span(amount=1, unit=Unit.BUSINESS_DAYS), CAL) == pt_eod(
        2026, 4, 1
    )


def test_seventy_two_hours_is_72_real_hours_in_both_directions() -> None:
    spring = pt(2026, 3, 6, 10)
    fall = et(2026, 10, 30, 10)
    for start in (spring, fall):
        due = due_after(start, Span(amount=72, unit=Unit.HOURS), CAL)
        assert due - start == timedelta(hours=72)
    assert due_after(spring, Span(amount=72, unit=Unit.HOURS), CAL).astimezone(LA).hour == 11
    assert due_after(fall, Span(amount=72, unit=Unit.HOURS), CAL).astimezone(NY).hour == 9


# --- properties ----------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20), timezones=st.just(UTC)
)


@given(
    start=instants,
    n=st.integers(min_value=0, max_value=40),
    holidays=st.sets(
        st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 3, 31)), max_size=40
    ),
    weekend=st.sets(st.integers(min_value=0, max_value=6), max_size=3),
    zone=st.sampled_from([LA, NY, ZoneInfo("Europe/London"), ZoneInfo("Australia/Sydney")]),
)
def test_business_days_match_counting_one_by_one(start, n, holidays, weekend, zone) -> None:  # type: ignore[no-untyped-def]
    cal = BusinessCalendar(zone, frozenset(weekend), frozenset(holidays), time(8), time(17))
    day = start.astimezone(zone).date()
    counted = 0
    while counted < n:  # walk the calendar a day at a time, counting the open days
        day += timedelta(days=1)
        if day.weekday() not in weekend and day not in holidays:
            counted += 1
    due = due_after(start, Span(amount=n, unit=Unit.BUSINESS_DAYS), cal)
    assert due == end_of_day(day, zone)
    assert due.astimezone(zone).time() == time(23, 59, 59, 999999)


@given(
    start=instants,
    hours=st.integers(min_value=0, max_value=24 * 30),
    zone=st.sampled_from([LA, NY, ZoneInfo("Europe/London")]),
)
def test_hours_are_real_elapsed_time(start, hours, zone) -> None:  # type: ignore[no-untyped-def]
    cal = BusinessCalendar(zone, frozenset({5, 6}), frozenset(), time(8), time(17))
    assert due_after(
        start.astimezone(zone), Span(amount=hours, unit=Unit.HOURS), cal
    ) - start == timedelta(hours=hours)


REQUESTS = [
    (kind, urgency)
    for kind in ("pre_service", "concurrent", "post_service", "reconsideration")
    for urgency in ("urgent", "non_urgent")
]
PACKS = {
    "medi-cal": [
        medi_cal(),
        medi_cal("partnership-medi-cal/clocks/partnership-um-program.yaml"),
        medi_cal("partnership-medi-cal/clocks/federal-medicaid-managed-care.yaml"),
    ],
    "commercial": [
        allways(),
        allways("allways-commercial/clocks/allways-massachusetts.yaml"),
        allways("allways-commercial/clocks/federal-erisa-ncqa.yaml"),
    ],
}


def _run(pack, lob, request, received, decision_after, verbal_after, outcome):  # type: ignore[no-untyped-def]
    events = []
    if decision_after is not None:
        decided = received + decision_after
        events.append(DecisionMade(decided, outcome))
        if verbal_after is not None:
            events.append(ProviderVerbalNoticeSent(decided + verbal_after))
    return due_times(
        pack=pack,
        line_of_business=lob,
        kind=request[0],
        urgency=request[1],
        received_at=received,
        events=events,
    )


event_gaps = st.none() | st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))


@settings(max_examples=300, deadline=None)
@given(
    lob=st.sampled_from(sorted(PACKS)),
    which=st.integers(0, 2),
    request=st.sampled_from(REQUESTS),
    received=instants,
    decision_after=event_gaps,
    verbal_after=event_gaps,
    outcome=st.sampled_from(list(Outcome)),
)
def test_no_due_time_before_receipt(
    lob, which, request, received, decision_after, verbal_after, outcome
) -> None:  # type: ignore[no-untyped-def]
    try:
        results = _run(
            PACKS[lob][which], lob, request, received, decision_after, verbal_after, outcome
        )
    except NoClockRule:
        assume(False)
        return
    for d in results:
        for candidate in (d, *d.all_layers):
            assert candidate.due_at is None or candidate.due_at >= received


@settings(max_examples=300, deadline=None)
@given(
    lob=st.sampled_from(sorted(PACKS)),
    which=st.integers(1, 2),
    request=st.sampled_from(REQUESTS),
    received=instants,
    decision_after=event_gaps,
    verbal_after=event_gaps,
    outcome=st.sampled_from(list(Outcome)),
)
def test_adding_a_layer_never_makes_a_due_time_later(
    lob, which, request, received, decision_after, verbal_after, outcome
) -> None:  # type: ignore[no-untyped-def]
    try:
        fewer = _run(
            PACKS[lob][which], lob, request, received, decision_after, verbal_after, outcome
        )
    except NoClockRule:
        assume(False)
        return
    more = _run(PACKS[lob][0], lob, request, received, decision_after, verbal_after, outcome)
    for d in fewer:
        if d.due_at is None:
            continue
        counterpart = find(more, d.obligation, d.outcome)
        assert counterpart is not None and counterpart.due_at is not None
        assert counterpart.due_at <= d.due_at
