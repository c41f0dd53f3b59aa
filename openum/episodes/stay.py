"""Pure arithmetic of an episode: notification due times, certified days, length of stay.

Conventions (what the tests check):

* Days of care are counted by midnights: a member admitted on the 14th and discharged on the 17th
  stayed 3 days (14th, 15th, 16th); the day of discharge is not a day of care.
* Certified days run from the day the current level of care started: 2 certified days from the 14th
  cover the 14th and the 15th, so the certification runs *through* the 15th, and the next
  continued-stay review is due on that last certified day, before the stay outruns its certification.
* "By the end of the next business day": the admission's date on the plan's calendar is day 0; the
  due time is the end of the first business day after it (an admission on a Saturday or a holiday is
  due at the end of the following business day), at 23:59:59.999999 local unless the pack says the
  plan's closing time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from openum.deadlines.calendar import BusinessCalendar
from openum.review.criteria.leaves import LimitCriterion
from openum.review.criteria.schema import MedicalPolicy

APPROVED = frozenset({"approved", "partially_approved"})


def notification_due(cal: BusinessCalendar, admitted_at: datetime, *, business_days: int,
                     end_of_business_day: bool) -> datetime:
    """When the provider's notice of an admission is due."""
    day = cal.local(admitted_at).date()
    due_day = cal.add_business_days(day, business_days) if business_days else day
    if end_of_business_day:
        return cal.end_of_business(due_day)
    return datetime.combine(due_day, time.max, tzinfo=cal.time_zone)


def policy_days(policy: MedicalPolicy | None) -> int | None:
    """The day limit a medical policy sets (its `limit` criteria's max_days), if any."""
    if policy is None:
        return None
    days = [leaf.max_days for leaf in policy.leaves() if isinstance(leaf, LimitCriterion) and leaf.max_days]
    return min(days) if days else None


@dataclass(frozen=True)
class LineFacts:
    code: str
    decision: str | None
    approved_units: int | None
    approved_from: date | None
    approved_to: date | None


@dataclass(frozen=True)
class AuthFacts:
    """What certification needs to know of one authorization linked to the episode."""

    level_of_care: str
    status: str
    requested_length_of_stay: int | None
    lines: Sequence[LineFacts]


@dataclass(frozen=True)
class Certification:
    units: int
    through: date | None


def certification(auths: Iterable[AuthFacts], *, level: str, level_code: str, unit: str,
                  level_started_on: date) -> Certification:
    """Units certified at the current level of care, and the last day they cover.

    Lines billed under the level's code carry the certified units. An approved admission whose
    lines are procedures (an elective surgery) certifies the length of stay it asked for.
    """
    units = 0
    last: date | None = None
    for a in auths:
        if a.level_of_care != level or a.status not in APPROVED:
            continue
        coded = [ln for ln in a.lines if ln.code == level_code and ln.approved_units]
        if coded:
            units += sum(int(ln.approved_units or 0) for ln in coded)
            ends = [d for ln in coded if (d := ln.approved_to or ln.approved_from) is not None]
            if ends:
                last = max([*ends, *([last] if last else [])])
        elif unit == "days" and a.requested_length_of_stay and any(
                ln.decision in ("approved", "modified") for ln in a.lines):
            units += a.requested_length_of_stay
    if unit == "days":
        return Certification(units, level_started_on + timedelta(days=units - 1) if units else None)
    return Certification(units, last)


@dataclass(frozen=True)
class StayFigures:
    length_of_stay: int
    days_beyond_estimate: int | None
    next_review_date: date | None


def figures(*, admission_date: date, today: date, discharge_date: date | None,
            estimated_length_of_stay: int | None, certified: Certification,
            level_started_on: date) -> StayFigures:
    """Running length of stay, days beyond the estimate, and when the next review is due."""
    end = discharge_date or today
    los = max(0, (end - admission_date).days)
    beyond = max(0, los - estimated_length_of_stay) if estimated_length_of_stay is not None else None
    if discharge_date is not None:
        nxt = None
    elif certified.through is not None:
        nxt = certified.through
    else:
        # Nothing certified yet at this level: the admission itself is under review now.
        nxt = max(level_started_on, today)
    return StayFigures(los, beyond, nxt)
