"""Out-of-network exceptions and continuity of care (domain section 7, seed 004), evaluated from data.

Pure: the caller passes the provider and member facts from the directory, the clinical facts from the
request, and the pack's windows (continuity.yaml) and access standards (network_access/). Each
condition answers met / not met / not applicable with its reason and how long coverage runs, so a
reviewer (and a test) sees exactly which boundary decided.

Boundaries, day by day:

* terminated provider: the provider was in network through `terminated_on`; "up to 30 days after the
  termination" covers services through terminated_on + 30, and not the day after.
* new member: the window counts from the first day of the member's current continuous enrollment;
  "for up to 30 days" covers through enrollment start + 30 (as openum/coverage/rules.py counts it).
* pregnancy: gestational age on a date is 280 days minus the days to the expected delivery date; the
  second trimester starts at 14 weeks 0 days (day 98), the third at 28 weeks 0 days (day 196). The
  trimester is judged on the termination date (or enrollment start), and coverage runs through the
  first post-partum visit: its date when known, else the expected delivery date plus the pack's
  postpartum days.
* terminal illness: through the date of death when known; open-ended while the member lives.
* distance and travel: met only when the nearest in-network provider is farther than the standard
  (miles or minutes); exactly at the standard is available.
* appointment delay: met only when the earliest in-network appointment is later than the standard
  (counted in business days where the pack says so), and the delay is not the member's.
* expertise: met when the directory holds no in-network provider of the needed specialty on the date;
  open-ended "for as long as [the plan] is unable to provide the medically necessary covered services
  in-network".
* related services: met when the PCP determined that receiving the services separately would be an
  unnecessary risk and not all related services are available in network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from openum.coverage.rules import MemberFacts, ProviderFacts
from openum.deadlines.calendar import BusinessCalendar
from openum.episodes.pack_schema import NetworkAccessFile
from openum.packs.schema import ContinuityOfCare

SECOND_TRIMESTER_DAY = 98  # 14 weeks 0 days
THIRD_TRIMESTER_DAY = 196  # 28 weeks 0 days
TERM_DAYS = 280


@dataclass(frozen=True)
class Pregnancy:
    expected_delivery_date: date
    first_postpartum_visit_date: date | None = None


@dataclass(frozen=True)
class ClinicalFacts:
    """What the request (or the reviewer) tells about the member's care with this provider."""

    active_treatment: bool = False
    treatment_started_on: date | None = None
    pregnancy: Pregnancy | None = None
    terminal_illness: bool = False
    date_of_death: date | None = None
    ongoing_course_of_treatment: bool = False
    was_members_pcp: bool = False
    nearest_in_network_miles: float | None = None
    nearest_in_network_minutes: int | None = None
    earliest_in_network_appointment: date | None = None
    delay_attributable_to_member: bool = False
    pcp_determined_unnecessary_risk: bool = False
    related_services_unavailable_in_network: bool = False


@dataclass(frozen=True)
class Condition:
    id: str
    group: str  # terminated_provider | new_member | other
    status: str  # met | not_met | not_applicable
    reason: str
    covered_until: date | None = None
    open_ended: bool = False


@dataclass
class Evaluation:
    service_date: date
    provider_status: str  # in_network | terminated | out_of_network
    provider_type: str
    enrollment_start: date | None
    conditions: list[Condition] = field(default_factory=list)

    @property
    def met(self) -> list[Condition]:
        return [c for c in self.conditions if c.status == "met"]

    @property
    def eligible(self) -> bool:
        return bool(self.met)

    @property
    def basis(self) -> str | None:
        return self.met[0].id if self.met else None

    @property
    def open_ended(self) -> bool:
        return any(c.open_ended for c in self.met)

    @property
    def covered_until(self) -> date | None:
        if not self.met or self.open_ended:
            return None
        return max(c.covered_until for c in self.met if c.covered_until is not None)


def gestational_days(pregnancy: Pregnancy, on: date) -> int:
    return TERM_DAYS - (pregnancy.expected_delivery_date - on).days


def trimester(pregnancy: Pregnancy, on: date) -> int:
    days = gestational_days(pregnancy, on)
    if days < 0:
        return 0  # not yet pregnant on that date
    if days < SECOND_TRIMESTER_DAY:
        return 1
    return 2 if days < THIRD_TRIMESTER_DAY else 3


def postpartum_until(pregnancy: Pregnancy, access: NetworkAccessFile) -> date:
    return pregnancy.first_postpartum_visit_date or (
        pregnancy.expected_delivery_date + timedelta(days=access.postpartum_visit_days_after_delivery))


def enrollment_start(member: MemberFacts, on: date) -> date | None:
    """First day of the continuous enrollment that covers `on` (adjacent spans are one enrollment)."""
    spans = sorted(member.eligibility, key=lambda s: s.start)
    current = next((s for s in spans if s.covers(on)), None)
    if current is None:
        return None
    start = current.start
    for s in reversed(spans):
        if s.start < start and s.end is not None and s.end >= start - timedelta(days=1):
            start = s.start
    return start


def provider_type(provider: ProviderFacts | None, *, facility: bool) -> str:
    if facility:
        return "hospital"
    if provider is not None and provider.is_pcp:
        return "pcp"
    return "specialist"


def _window(cid: str, group: str, *, applies: bool, why_not: str, start: date, until: date | None,
            on: date, what: str, open_ended: bool = False) -> Condition:
    if not applies:
        return Condition(cid, group, "not_applicable", why_not)
    if open_ended and until is None:
        return Condition(cid, group, "met", f"{what}: covered while it lasts (open-ended)", None, True)
    assert until is not None
    if on <= until:
        return Condition(cid, group, "met", f"{what}: covered through {until.isoformat()} "
                         f"(counted from {start.isoformat()})", until)
    return Condition(cid, group, "not_met", f"{what}: the window ended on {until.isoformat()}, "
                     f"before the date of service {on.isoformat()}", until)


def _pregnancy(cid: str, group: str, facts: ClinicalFacts, judged_on: date, on: date,
               coc: ContinuityOfCare, access: NetworkAccessFile, what: str) -> Condition:
    preg = facts.pregnancy
    if preg is None or not coc.pregnancy_through_postpartum:
        return Condition(cid, group, "not_applicable",
                         "no pregnancy on file" if preg is None else "the plan's pack gives no pregnancy continuity")
    tri = trimester(preg, judged_on)
    weeks, days = divmod(gestational_days(preg, judged_on), 7)
    if tri == 0:
        return Condition(cid, group, "not_applicable", f"not yet pregnant on {judged_on.isoformat()}")
    if tri < 2:
        return Condition(cid, group, "not_met", f"{what}: {weeks} weeks {days} days pregnant on "
                         f"{judged_on.isoformat()} (first trimester); the second trimester starts at 14 weeks")
    return _window(cid, group, applies=True, why_not="", start=judged_on, until=postpartum_until(preg, access),
                   on=on, what=f"{what} ({'second' if tri == 2 else 'third'} trimester on "
                               f"{judged_on.isoformat()}), through the first post-partum visit")


def _terminal(cid: str, group: str, facts: ClinicalFacts, start: date, on: date, coc: ContinuityOfCare,
              what: str) -> Condition:
    if not facts.terminal_illness or not coc.terminal_illness_through_death:
        return Condition(cid, group, "not_applicable", "no terminal illness on file" if not facts.terminal_illness
                         else "the plan's pack gives no terminal-illness continuity")
    if facts.date_of_death is not None:
        return _window(cid, group, applies=True, why_not="", start=start, until=facts.date_of_death, on=on,
                       what=f"{what}, through the time of death")
    return _window(cid, group, applies=True, why_not="", start=start, until=None, on=on,
                   what=f"{what}, through the time of death", open_ended=True)


def evaluate(
    *,
    service_date: date,
    provider: ProviderFacts | None,
    provider_in_network: bool,
    facility: bool,
    member: MemberFacts,
    line_of_business: str,
    facts: ClinicalFacts,
    in_network_with_specialty: int | None,
    needed_specialty: str | None,
    coc: ContinuityOfCare,
    access: NetworkAccessFile,
    calendar: BusinessCalendar,
    asked_on: date,
) -> Evaluation:
    """Every condition of domain section 7 for one out-of-network (or terminated) provider and date."""
    on = service_date
    terminated = provider is not None and provider.terminated_on is not None and on > provider.terminated_on
    status = "in_network" if provider_in_network and not terminated else ("terminated" if terminated
                                                                            else "out_of_network")
    ptype = provider_type(provider, facility=facility)
    start = enrollment_start(member, on)
    ev = Evaluation(service_date=on, provider_status=status, provider_type=ptype, enrollment_start=start)
    out = ev.conditions

    # --- A provider who left the network ---
    term = provider.terminated_on if provider is not None and terminated else None
    why = "the provider was not terminated from the network before the date of service"
    is_pcp = provider is not None and member.pcp_npi == provider.npi
    out.append(_window("pcp_after_termination", "terminated_provider", applies=term is not None and is_pcp,
                       why_not=why if term is None else "the provider is not the member's PCP",
                       start=term or on, until=term + timedelta(days=coc.pcp_after_termination_days) if term else None,
                       on=on, what=f"the member's PCP left the network on {term}; up to "
                                   f"{coc.pcp_after_termination_days} days"))
    started_before = facts.treatment_started_on is None or term is None or facts.treatment_started_on <= term
    out.append(_window("active_treatment_after_termination", "terminated_provider",
                       applies=term is not None and facts.active_treatment and started_before,
                       why_not=why if term is None else ("no active treatment with this provider on file"
                                                         if not facts.active_treatment else
                                                         "the treatment started after the provider left the network"),
                       start=term or on,
                       until=term + timedelta(days=coc.active_treatment_after_termination_days) if term else None,
                       on=on, what=f"active treatment with a provider who left the network on {term}; up to "
                                   f"{coc.active_treatment_after_termination_days} days"))
    if term is None:
        out.append(Condition("pregnancy_after_termination", "terminated_provider", "not_applicable", why))
        out.append(Condition("terminal_illness_after_termination", "terminated_provider", "not_applicable", why))
    else:
        out.append(_pregnancy("pregnancy_after_termination", "terminated_provider", facts, term, on, coc, access,
                              "pregnant when the provider left the network"))
        out.append(_terminal("terminal_illness_after_termination", "terminated_provider", facts, term, on, coc,
                             "terminal illness treated by the provider who left the network"))

    # --- A newly enrolled member ---
    # Ongoing treatment or the PCP: up to N days from enrollment. Pregnancy and terminal illness: the
    # member asks while newly enrolled (within those N days), and coverage then runs through the first
    # post-partum visit or the time of death.
    if start is None:
        for cid in ("new_member_ongoing_treatment", "new_member_pregnancy", "new_member_terminal_illness"):
            out.append(Condition(cid, "new_member", "not_applicable",
                                 "the member is not enrolled on the date of service"))
    else:
        ongoing = facts.ongoing_course_of_treatment or facts.was_members_pcp or is_pcp
        out.append(_window("new_member_ongoing_treatment", "new_member", applies=ongoing,
                           why_not="no ongoing course of treatment with this provider, and not the member's PCP",
                           start=start, until=start + timedelta(days=coc.new_member_days), on=on,
                           what=f"new member (enrolled {start.isoformat()}) in an ongoing course of treatment "
                                f"or with their primary care practitioner; up to {coc.new_member_days} days"))
        newly = (asked_on - start).days <= coc.new_member_days
        not_new = (f"the member enrolled on {start.isoformat()}, more than {coc.new_member_days} days before "
                   f"asking on {asked_on.isoformat()}: not a newly enrolled member")
        if newly:
            out.append(_pregnancy("new_member_pregnancy", "new_member", facts, start, on, coc, access,
                                  "pregnant when newly enrolled"))
            out.append(_terminal("new_member_terminal_illness", "new_member", facts, start, on, coc,
                                 "newly enrolled with a terminal illness"))
        else:
            out.append(Condition("new_member_pregnancy", "new_member", "not_applicable", not_new))
            out.append(Condition("new_member_terminal_illness", "new_member", "not_applicable", not_new))

    # --- Other coverage conditions (any out-of-network request) ---
    travel = access.travel_for(ptype)
    if travel is None or (facts.nearest_in_network_miles is None and facts.nearest_in_network_minutes is None):
        out.append(Condition("distance_travel", "other", "not_applicable",
                             "no distance or travel time to the nearest in-network provider on file"))
    else:
        far = []
        miles, minutes = facts.nearest_in_network_miles, facts.nearest_in_network_minutes
        if miles is not None and miles > travel.max_miles:
            far.append(f"{miles:g} miles away (standard {travel.max_miles:g})")
        if minutes is not None and minutes > travel.max_minutes:
            far.append(f"{minutes} minutes away (standard {travel.max_minutes})")
        out.append(Condition("distance_travel", "other", "met" if far else "not_met",
                             f"nearest in-network {ptype} is " + " and ".join(far) if far else
                             f"an in-network {ptype} is within {travel.max_miles:g} miles / "
                             f"{travel.max_minutes} minutes", open_ended=bool(far)))
    wait = access.wait_for(ptype)
    appt = facts.earliest_in_network_appointment
    if wait is None or appt is None:
        out.append(Condition("access_delay", "other", "not_applicable",
                             "no earliest in-network appointment date on file"))
    elif facts.delay_attributable_to_member:
        out.append(Condition("access_delay", "other", "not_met", "the delay is attributable to the member"))
    else:
        limit = (calendar.add_business_days(asked_on, wait.max_days) if wait.business_days
                 else asked_on + timedelta(days=wait.max_days))
        unit = "business days" if wait.business_days else "days"
        late = appt > limit
        out.append(Condition("access_delay", "other", "met" if late else "not_met",
                             f"earliest in-network {ptype} appointment {appt.isoformat()} is "
                             + (f"after {limit.isoformat()} ({wait.max_days} {unit} from {asked_on.isoformat()}): "
                                "waiting would interrupt access" if late else
                                f"within {wait.max_days} {unit} of {asked_on.isoformat()}"),
                             open_ended=late))
    if in_network_with_specialty is None or not needed_specialty:
        out.append(Condition("no_in_network_expertise", "other", "not_applicable", "no specialty named"))
    elif in_network_with_specialty == 0:
        out.append(Condition("no_in_network_expertise", "other", "met",
                             f"no in-network provider of {needed_specialty} on {on.isoformat()}: covered for as "
                             "long as the plan cannot provide the service in network", open_ended=True))
    else:
        out.append(Condition("no_in_network_expertise", "other", "not_met",
                             f"{in_network_with_specialty} in-network provider(s) of {needed_specialty} on "
                             f"{on.isoformat()}"))
    if facts.pcp_determined_unnecessary_risk and facts.related_services_unavailable_in_network:
        out.append(Condition("related_services_not_in_network", "other", "met",
                             "the PCP determined that receiving the services separately would be an unnecessary "
                             "risk, and not all related services are available in network", open_ended=True))
    elif facts.pcp_determined_unnecessary_risk or facts.related_services_unavailable_in_network:
        out.append(Condition("related_services_not_in_network", "other", "not_met",
                             "both a PCP determination of unnecessary risk and related services unavailable in "
                             "network are needed"))
    else:
        out.append(Condition("related_services_not_in_network", "other", "not_applicable",
                             "no PCP determination about related services on file"))
    return ev
