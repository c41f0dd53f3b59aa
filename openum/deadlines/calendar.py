"""A plan's business calendar: weekends, holidays and opening hours in the plan's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: ZoneInfo
    weekend: frozenset[int]  # date.weekday() numbers: Monday is 0
    holidays: frozenset[date]
    opens: time
    closes: time

    def local(self, at: datetime) -> datetime:
        """The instant seen on the plan's wall clock."""
        if at.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware instant")
        return at.astimezone(self.time_zone)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def add_business_days(self, day: date, n: int) -> date:
        """The n-th business day after `day` (n >= 0; n == 0 returns `day`)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        for _ in range(n):
            day = self.next_business_day(day)
        return day

    def is_business_hours(self, at: datetime) -> bool:
        local = self.local(at)
        return self.is_business_day(local.date()) and self.opens <= local.time() < self.closes

    def start_of_business(self, day: date) -> datetime:
        return datetime.combine(day, self.opens, tzinfo=self.time_zone)

    def end_of_business(self, day: date) -> datetime:
        return datetime.combine(day, self.closes, tzinfo=self.time_zone)

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself during business hours, else the next time the plan opens."""
        local = self.local(at)
        if self.is_business_hours(local):
            return local
        day = local.date()
        if self.is_business_day(day) and local.time() < self.opens:
            return self.start_of_business(day)
        return self.start_of_business(self.next_business_day(day))
