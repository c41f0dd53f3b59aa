"""Service Authorization Reports for a provider office (seed 004): per member, per authorization, aggregate."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from openum.audit import service as audit
from openum.auth.models import User
from openum.directory.models import Member
from openum.intake import access
from openum.intake.models import AuthorizationRequest
from openum.intake.status import Status, provider_status

MAX_ROWS = 2000


@dataclass(frozen=True)
class ReportRow:
    """One service line of one request: the decision, days/visits and the dates approved."""

    authorization_id: str
    received_at: datetime
    member_id: str | None
    member_name: str
    status_code: str
    code: str
    requested_units: int
    decision: str | None
    approved_units: int | None
    approved_from: date | None
    approved_to: date | None
    servicing_npi: str | None
    line_of_business: str


def rows(session: Session, user: User, *, member_id: str | None = None,
         authorization_id: str | None = None) -> list[ReportRow]:
    """Report lines for requests the user's organization submitted or services, and nothing else."""
    q = select(AuthorizationRequest).where(access.visibility(user))
    if member_id:
        q = q.join(Member, Member.id == AuthorizationRequest.member_pk).where(Member.member_id == member_id)
    if authorization_id:
        q = q.where(AuthorizationRequest.authorization_id == authorization_id)
    reqs = session.scalars(q.order_by(AuthorizationRequest.received_at.desc()).limit(MAX_ROWS)).unique().all()
    out = []
    for r in reqs:
        code = provider_status(Status(r.status)).value
        name = f"{r.member.first_name} {r.member.last_name}" if r.member else "(member not found)"
        for ln in r.lines:
            out.append(ReportRow(r.authorization_id, r.received_at, r.member.member_id if r.member else None, name,
                                 code, ln.code, ln.units, ln.decision, ln.approved_units, ln.approved_from,
                                 ln.approved_to, r.servicing_npi, r.line_of_business))
    return out


def audit_report(session: Session, actor: audit.Actor, at: datetime, member_id: str | None,
                 authorization_id: str | None) -> None:
    audit.record(session, actor=actor, at=at, action="read", record_type="authorization_report",
                 record_id=authorization_id, member_id=member_id, purpose="provider_report")


def aggregate(report: list[ReportRow]) -> dict[str, object]:
    """Counts by A/C/D/P/M (per request) and by code, and units requested against approved."""
    by_request = {r.authorization_id: r.status_code for r in report}
    return {"requests": len(by_request), "by_status": Counter(by_request.values()),
            "by_code": Counter(r.code for r in report),
            "units_requested": sum(r.requested_units for r in report),
            "units_approved": sum(r.approved_units or 0 for r in report)}


def _cell(value: object) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def to_csv(report: list[ReportRow]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["authorization_id", "received_at", "member_id", "member_name", "status", "code",
                "requested_units", "decision", "approved_units", "approved_from", "approved_to", "servicing_npi"])
    for r in report:
        w.writerow([_cell(v) for v in (r.authorization_id, r.received_at.isoformat(), r.member_id, r.member_name,
                                       r.status_code, r.code, r.requested_units, r.decision, r.approved_units,
                                       r.approved_from, r.approved_to, r.servicing_npi)])
    return buf.getvalue()
