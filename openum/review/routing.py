"""Which queue a request's review belongs in: pure rules over the pack's routing file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from openum.deadlines.calendar import BusinessCalendar
from openum.review.routing_schema import Match, RoutingFile
from openum.vocabulary import Urgency

BEHAVIORAL = {"behavioral_health", "sud_residential"}


@dataclass(frozen=True)
class Route:
    queue: str
    after_hours: bool
    post_stabilization: bool
    reason: str


def _matches(m: Match, *, categories: set[str], lob: str, urgency: Urgency, setting: str | None) -> bool:
    return ((m.categories is None or bool(categories & set(m.categories)))
            and (m.lines_of_business is None or lob in m.lines_of_business)
            and (m.urgency is None or m.urgency == urgency)
            and (m.settings is None or setting in m.settings))


def choose(
    routing: RoutingFile, calendar: BusinessCalendar, *, categories: set[str], lob: str,
    urgency: Urgency, setting: str | None, at: datetime, post_stabilization: bool = False,
) -> Route:
    """The first matching rule's queue; urgent work after hours goes to the on-call roster."""
    kw = {"categories": categories, "lob": lob, "urgency": urgency, "setting": setting}
    local = calendar.local(at)
    closed = not calendar.is_business_hours(at)
    bh_vendor = (routing.after_hours.bh_vendor_from is not None and calendar.is_business_day(local.date())
                 and local.time() >= routing.after_hours.bh_vendor_from)
    if (closed or (bh_vendor and categories & BEHAVIORAL)) and (urgency is Urgency.URGENT or post_stabilization):
        for rule in routing.after_hours.rules:
            if _matches(rule.match, **kw):  # type: ignore[arg-type]
                return Route(rule.queue, True, post_stabilization, "urgent request outside business hours")
    for rule in routing.rules:
        if _matches(rule.match, **kw):  # type: ignore[arg-type]
            return Route(rule.queue, False, post_stabilization, "routing rule")
    return Route(routing.rules[-1].queue, False, post_stabilization, "default queue")
