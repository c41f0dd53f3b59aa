"""Does a billed claim line fall under an authorization? Pure: the candidates come from the caller.

A line is covered by an authorized line when the code is the same, the billing provider is the
authorization's servicing provider or facility, the billed dates lie within the approved dates, and
enough approved units remain. When nothing fits, the closest authorized line says why: another code,
another provider, dates after expiry (or before the start), or units used up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Candidate:
    line_pk: int
    request_pk: int
    authorization_id: str
    status: str
    code: str
    npis: frozenset[str]
    decision: str | None
    approved_units: int
    used_units: int
    approved_from: date | None
    approved_to: date | None

    @property
    def remaining(self) -> int:
        return max(self.approved_units - self.used_units, 0)

    @property
    def usable(self) -> bool:
        return self.status in ("approved", "partially_approved") and self.decision in ("approved", "modified") \
            and self.approved_units > 0

    def covers_dates(self, start: date, end: date) -> bool:
        return (self.approved_from is None or self.approved_from <= start) and \
            (self.approved_to is None or end <= self.approved_to)


@dataclass(frozen=True)
class Billed:
    code: str
    npi: str
    from_date: date
    to_date: date
    units: int


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    authorization_id: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "authorization_id": self.authorization_id}


@dataclass(frozen=True)
class Match:
    candidates: list[Candidate]  # lines that fit except perhaps for units, best first
    reasons: list[Reason]


def match(cands: Sequence[Candidate], b: Billed) -> Match:
    usable = [c for c in cands if c.usable]
    fits = [c for c in usable if c.code == b.code and b.npi in c.npis and c.covers_dates(b.from_date, b.to_date)]
    if fits:
        # The authorization that expires first is used first; among equals, the older one.
        fits.sort(key=lambda c: (c.approved_to or date.max, c.line_pk))
        if any(c.remaining >= b.units for c in fits):
            return Match([c for c in fits if c.remaining >= b.units], [])
        most = max(c.remaining for c in fits)
        best = max(fits, key=lambda c: c.remaining)
        return Match([], [Reason("units_exhausted", f"{b.units} unit(s) billed but only {most} of the "
                                 f"{best.approved_units} authorized remain", best.authorization_id)])
    reasons: list[Reason] = []
    for c in usable:
        same_code, same_npi, dates = c.code == b.code, b.npi in c.npis, c.covers_dates(b.from_date, b.to_date)
        if same_code and same_npi and not dates:
            started = c.approved_from is None or b.from_date >= c.approved_from
            if c.approved_to is not None and b.to_date > c.approved_to and started:
                reasons.append(Reason("after_expiry", f"billed through {b.to_date}, after the authorization "
                                      f"expired on {c.approved_to}", c.authorization_id))
            else:
                reasons.append(Reason("dates_outside", f"billed {b.from_date}..{b.to_date}, outside the authorized "
                                      f"{c.approved_from}..{c.approved_to}", c.authorization_id))
        elif same_code and dates and not same_npi:
            reasons.append(Reason("provider_mismatch", f"authorized for another provider "
                                  f"({', '.join(sorted(c.npis))}), billed by {b.npi}", c.authorization_id))
        elif same_npi and dates and not same_code:
            reasons.append(Reason("code_mismatch", f"billed {b.code}, but {c.code} was authorized",
                                  c.authorization_id))
    order = ["after_expiry", "code_mismatch", "provider_mismatch", "dates_outside"]
    reasons.sort(key=lambda r: order.index(r.code))
    denied = [c for c in cands if c.code == b.code and c.status == "denied"]
    if not reasons and denied:
        reasons.append(Reason("authorization_denied", f"the authorization for {b.code} was denied",
                              denied[0].authorization_id))
    return Match([], reasons)
