"""Turning "N hours / calendar days / business days after an instant" into a UTC instant.

Hours are real elapsed hours from the exact instant (72 hours is 72 hours even across a DST
change). Days are counted on the plan's wall calendar: the day of the start instant is day 0,
and the due time is the last instant of day N in the plan's time zone (or its closing time when a
rule says end_of_business_day). "N business days" counts only days the plan's calendar marks as
business days; a start on a weekend or holiday makes the next business day day 1.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from openum.deadlines.calendar import BusinessCalendar
from openum.deadlines.schema import Span, Unit

_TICK = timedelta(microseconds=1)


def utc(at: datetime) -> datetime:
    """The same instant in UTC; refuses naive datetimes."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware instant")
    return at.astimezone(UTC)


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The last microsecond of `day` on the wall clock of `tz`, in UTC."""
    # Counting back from the next local midnight keeps 23- and 25-hour DST days right.
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return next_midnight.astimezone(UTC) - _TICK


def due_day(start: datetime, span: Span, cal: BusinessCalendar) -> date:
    """The plan-local date a day-unit span ends on."""
    day = cal.local(start).date()
    if span.unit is Unit.CALENDAR_DAYS:
        return day + timedelta(days=span.amount)
    if span.unit is Unit.BUSINESS_DAYS:
        return cal.add_business_days(day, span.amount)
    raise ValueError("hours have no due day")


def due_after(
    start: datetime, span: Span, cal: BusinessCalendar, *, end_of_business_day: bool = False
) -> datetime:
    """The due instant (UTC) of `span` counted from `start`."""
    if span.unit is Unit.HOURS:
        # Aware arithmetic in a named zone is wall-clock arithmetic; UTC keeps it real time.
        return utc(start) + timedelta(hours=span.amount)
    day = due_day(start, span, cal)
    if end_of_business_day:
        return utc(cal.end_of_business(day))
    return end_of_day(day, cal.time_zone)


def shift_wall_days(at: datetime, days: int, cal: BusinessCalendar) -> datetime:
    """`at` moved by whole days on the plan's wall clock (same local time, `days` later)."""
    local = cal.local(at).replace(tzinfo=None) + timedelta(days=days)
    return utc(local.replace(tzinfo=cal.time_zone))


def local_days_between(earlier: datetime, later: datetime, cal: BusinessCalendar) -> int:
    """How many plan-local dates `later` is after `earlier`."""
    return (cal.local(later).date() - cal.local(earlier).date()).days
