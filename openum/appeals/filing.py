"""Rules applied when an appeal is filed and while it waits. Pure: no database.

Filing window: pack.yaml `appeal_filing_days` calendar days counted from the date of the adverse
notice (day 0); an appeal received, on the plan's calendar, on or before the last day is on time
(42 CFR 438.402(c)(2)(ii) and 422.582(b): 60 days; 29 CFR 2560.503-1(h)(3)(i): 180 days). A late
appeal is handled as appeals/appeals.yaml `late_filing` says: accepted and flagged, accepted with a
stated good cause where the pack allows, or dismissed with a written notice.

Expedite: a treating practitioner's statement that the standard time frame could seriously
jeopardize the member makes the appeal expedited where the pack says it binds (438.410(a),
422.584(c)(2)(ii), 2560.503-1(m)(1)(ii)); a member's own request waits for the plan's decision and
runs on the expedited clock meanwhile; an appeal about payment for services already received is
never expedited (422.584(a); 2560.503-1(m)(1): urgent care claims are pre-service). A refusal
moves the appeal to the standard clock counted from receipt, with notice.

Continuation of benefits (438.420): asked within pack.yaml `continuation_request_days` of the
notice, on a timely appeal of a decision that ends or reduces a service already authorized.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from openum.appeals.schema import AppealLine, Continuation, LateFilingHandling
from openum.vocabulary import RequestKind, Urgency


@dataclass(frozen=True)
class FilingVerdict:
    late: bool
    handling: str | None  # None (on time) | accepted_late | good_cause | dismissed
    message: str
    citation: str | None = None

    @property
    def dismissed(self) -> bool:
        return self.handling == "dismissed"


def filing_deadline(notice_date: date, days: int | None) -> date | None:
    """The last day to appeal, or None where the pack sets no window."""
    return notice_date + timedelta(days=days) if days else None


def judge_filing(received_on: date, deadline: date | None, line: AppealLine | None,
                 good_cause: str | None) -> FilingVerdict:
    """On time, or late and handled per the pack."""
    if deadline is None or received_on <= deadline:
        return FilingVerdict(False, None, "filed within the appeal window")
    days_late = (received_on - deadline).days
    if line is None:
        return FilingVerdict(True, "accepted_late", f"filed {days_late} day(s) after {deadline.isoformat()}; "
                             "the pack sets no late-filing rule, so it is accepted and flagged")
    policy = line.late_filing
    if good_cause and policy.good_cause_extends:
        return FilingVerdict(True, "good_cause", f"filed {days_late} day(s) late; accepted for the good cause "
                             f"stated: {good_cause}", policy.citation)
    if policy.handling == LateFilingHandling.DISMISS:
        return FilingVerdict(True, "dismissed", f"filed {days_late} day(s) after the last day to appeal "
                             f"({deadline.isoformat()}); dismissed", policy.citation)
    return FilingVerdict(True, "accepted_late", f"filed {days_late} day(s) after the last day to appeal "
                         f"({deadline.isoformat()}); accepted and flagged late", policy.citation)


def consent_required(appellant: str, *, urgent: bool, line: AppealLine | None) -> bool:
    """Whether the member's written consent must be on file before the appeal is decided."""
    if appellant == "member" or line is None:
        return False
    policy = line.consent
    if appellant == "provider":
        return policy.provider and not (urgent and policy.waived_for_expedited_provider)
    return policy.representative


@dataclass(frozen=True)
class ExpediteVerdict:
    urgency: Urgency
    status: str | None  # None (standard asked) | pending | granted | refused
    reason: str | None
    rule: str | None = None


def expedite_at_filing(requested: Urgency, *, practitioner_asserted: bool, service_class: str | None,
                       line: AppealLine | None) -> ExpediteVerdict:
    """How an expedite request stands the moment the appeal is filed."""
    if requested is not Urgency.URGENT:
        return ExpediteVerdict(Urgency.NON_URGENT, None, None)
    if service_class == "post_service":
        return ExpediteVerdict(
            Urgency.NON_URGENT, "refused",
            "an appeal about payment for services already received is never expedited (42 CFR 422.584(a); "
            "29 CFR 2560.503-1(m)(1)); it is decided on the standard clock",
            "payment-appeals-not-expedited")
    if practitioner_asserted and (line is None or line.practitioner_expedite_binding):
        cite = f" ({line.expedite_citation})" if line and line.expedite_citation else ""
        return ExpediteVerdict(
            Urgency.URGENT, "granted",
            "the treating practitioner indicates that the standard time frame could seriously jeopardize the "
            f"member's life, health or ability to regain maximum function{cite}", "practitioner-request-binding")
    return ExpediteVerdict(Urgency.URGENT, "pending", "the member asked for an expedited appeal; the plan decides "
                           "whether the standard time frame could seriously jeopardize the member; until then "
                           "the expedited clock runs")


@dataclass(frozen=True)
class ContinuationVerdict:
    granted: bool
    rule: str
    message: str
    citation: str | None = None


def judge_continuation(*, request_kind: str, notice_date: date | None, asked_on: date, window_days: int | None,
                       policy: Continuation | None, appeal_late: bool) -> ContinuationVerdict:
    """Whether benefits continue while the appeal is pending."""
    if policy is None or not window_days:
        return ContinuationVerdict(False, "continuation-not-offered",
                                   "this line of business has no continuation of benefits during an appeal")
    if RequestKind(request_kind) not in policy.applies_to:
        return ContinuationVerdict(False, "continuation-needs-ongoing-service",
                                   "benefits continue only when the decision ends or reduces a service already "
                                   f"authorized ({', '.join(k.value for k in policy.applies_to)} requests)",
                                   policy.citation)
    if appeal_late:
        return ContinuationVerdict(False, "continuation-needs-timely-appeal",
                                   "benefits continue only on an appeal filed on time", policy.citation)
    last = notice_date + timedelta(days=window_days) if notice_date else None
    if last is not None and asked_on > last:
        return ContinuationVerdict(False, "continuation-asked-too-late",
                                   f"asked on {asked_on.isoformat()}, after the last day ({last.isoformat()}: "
                                   f"{window_days} days from the notice)", policy.citation)
    return ContinuationVerdict(True, "continuation-granted",
                               f"asked within {window_days} days of the notice: the service continues until the "
                               "appeal is resolved; if the denial is upheld the member may have to pay for it",
                               policy.citation)
