"""PCP-to-specialist referral rules, pure: exemptions, who may refer, the notification window.

Notification window (seed 004): "notify ... before the initial recommended specialty visit and no
later than 90 days after the initial specialty visit". A notice on the day of the first visit counts
as before it; one on day 90 after the visit is on time; day 91 is late ("payment is subject to
denial"). A referral with no visit date yet is, by definition, notified before the visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from openum.episodes.pack_schema import Exemption, NotificationWindow, ReferralsFile


@dataclass(frozen=True)
class ReferralFacts:
    plan_product: str | None
    categories: frozenset[str]
    specialty: str | None
    codes: frozenset[str]
    diagnoses: tuple[str, ...]
    setting: str | None
    purpose: str | None
    specialist_in_network: bool


def _matches(ex: Exemption, f: ReferralFacts) -> bool:
    spec = (f.specialty or "").strip().lower()
    hit = (bool(set(ex.categories) & f.categories)
           or (bool(spec) and spec in {s.lower() for s in ex.specialties})
           or bool({c.upper() for c in ex.codes} & f.codes)
           or any(d.replace(".", "").upper().startswith(p.replace(".", "").upper())
                  for d in f.diagnoses for p in ex.diagnosis_prefixes)
           or (f.setting is not None and f.setting in {s.value for s in ex.settings}))
    if not hit:
        return False
    if ex.purposes is not None and f.purpose not in ex.purposes:
        return False
    return not (ex.network_only and not f.specialist_in_network)


def exemption(rules: ReferralsFile, f: ReferralFacts) -> tuple[str, str] | None:
    """(id, why) when the service needs no referral, else None."""
    if f.plan_product and f.plan_product.upper() in {p.upper() for p in rules.exempt_plan_products}:
        return f"plan-product-{f.plan_product.lower()}", f"{f.plan_product} members need no referral"
    ex = next((e for e in rules.no_referral_needed if _matches(e, f)), None)
    return (ex.id, ex.description) if ex else None


@dataclass(frozen=True)
class Timing:
    window_until: date | None
    before_first_visit: bool | None
    timely: bool | None


def timing(window: NotificationWindow | None, *, notified_on: date, first_visit: date | None) -> Timing:
    if window is None:
        return Timing(None, None if first_visit is None else notified_on <= first_visit, None)
    if first_visit is None:
        return Timing(None, True, True)
    until = first_visit + timedelta(days=window.days_after_first_visit)
    return Timing(until, notified_on <= first_visit, notified_on <= until)


def is_pcp(referring_npi: str, member_pcp_npi: str | None) -> bool:
    """Seed 004: "The AllWays Health Partners PCP is the only provider authorized to make referrals"."""
    return member_pcp_npi is not None and referring_npi == member_pcp_npi
