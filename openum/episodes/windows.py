"""Retrospective review windows: is a post-service request on time, and is the service still reviewable?

* A window "within N business days of the date of service" ends on the N-th business day after that
  date on the plan's calendar; "within N calendar days" of a date ends N days after it. A request
  received on the last day is on time.
* Every window whose basis applies is counted (the date of service always; a primary insurer's denial
  or a retroactive eligibility decision when the request gives its date) and the latest end wins: the
  provider has until the most generous window closes.
* A request received after every window is late: accepted, flagged late, still reviewed (when the
  pack says so).
* "Up to one year after services are rendered": the review period ends on the same calendar date
  N months after the date of service (29 February rolls back to 28 February).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from openum.deadlines.calendar import BusinessCalendar
from openum.episodes.pack_schema import RetrospectiveFile, SubmissionWindow, WindowBasis


@dataclass(frozen=True)
class WindowEnd:
    basis: WindowBasis
    starts: date
    ends: date
    citation: str


@dataclass(frozen=True)
class WindowResult:
    received_on: date
    windows: list[WindowEnd]
    basis: WindowBasis
    timely_until: date
    late: bool
    days_late: int
    reviewable_until: date
    reviewable: bool


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, d))
        except ValueError:
            continue
    raise ValueError(f"cannot add {months} months to {day}")  # pragma: no cover


def window_end(cal: BusinessCalendar, window: SubmissionWindow, start: date) -> date:
    if window.unit == "business_days":
        return cal.add_business_days(start, window.amount)
    return start + timedelta(days=window.amount)


def evaluate(rules: RetrospectiveFile, cal: BusinessCalendar, *, date_of_service: date, received_on: date,
             primary_insurer_denial: date | None = None, retroactive_eligibility: date | None = None) -> WindowResult:
    """The submission windows that apply, whether the request is late, and the review period."""
    starts = {WindowBasis.DATE_OF_SERVICE: date_of_service,
              WindowBasis.PRIMARY_INSURER_DENIAL: primary_insurer_denial,
              WindowBasis.RETROACTIVE_ELIGIBILITY: retroactive_eligibility}
    ends = [WindowEnd(w.basis, start, window_end(cal, w, start), w.citation)
            for w in rules.submission_windows if (start := starts[w.basis]) is not None]
    best = max(ends, key=lambda e: e.ends)
    late = received_on > best.ends
    reviewable_until = add_months(date_of_service, rules.reviewable_months)
    return WindowResult(received_on=received_on, windows=ends, basis=best.basis, timely_until=best.ends,
                        late=late, days_late=(received_on - best.ends).days if late else 0,
                        reviewable_until=reviewable_until, reviewable=received_on <= reviewable_until)
