"""When a call or message must be returned, on the plan's business calendar (seed 001)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from openum.deadlines.calendar import BusinessCalendar

SEED_RULE = ("Seed 001, Communication Services: calls received after normal business hours are returned on "
             "the next business day; calls received after midnight on Monday - Friday are returned on the "
             "same business day.")


@dataclass(frozen=True)
class CallbackDue:
    due_at: datetime  # UTC: close of business on the day the callback is owed
    reason: str


def callback_due(calendar: BusinessCalendar, received_at: datetime) -> CallbackDue:
    """Close of the same business day if received on a business day before closing, else the next one.

    A message left after midnight (before opening) on a business day is returned that same day; one left
    after closing, on a weekend or on a holiday is returned on the next business day.
    """
    local = calendar.local(received_at)
    today = local.date()
    if calendar.is_business_day(today) and local.time() < calendar.opens:
        day, why = today, "received after midnight on a business day: returned the same business day"
    elif calendar.is_business_day(today) and local.time() < calendar.closes:
        day, why = today, "received during business hours: returned the same business day"
    else:
        day = calendar.next_business_day(today)
        why = ("received after business hours" if calendar.is_business_day(today)
               else "received on a weekend or holiday") + ": returned the next business day"
    return CallbackDue(calendar.end_of_business(day).astimezone(UTC), why)
