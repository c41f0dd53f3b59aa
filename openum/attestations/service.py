"""Who must sign which statement each year, recording a signature, and who has not signed yet.

Seed 001 (Partnership UM program): employees who make utilization-related decisions and those who
supervise them sign, each year, that UM decisions rest only on appropriateness of care and coverage
and that no one is rewarded for denials; Q/UAC and PAC members sign a confidentiality statement;
Q/UAC members sign a conflict-of-interest statement.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openum.attestations.models import Attestation, CommitteeMembership
from openum.auth.models import User
from openum.auth.permissions import Role
from openum.errors import Conflict, DomainError, NotFound, PermissionDenied


class Kind(StrEnum):
    NO_INCENTIVE = "no_incentive"
    CONFIDENTIALITY = "confidentiality"
    CONFLICT_OF_INTEREST = "conflict_of_interest"


class Committee(StrEnum):
    QUAC = "quac"  # Quality / Utilization Advisory Committee
    PAC = "pac"  # Physician Advisory Committee


@dataclass(frozen=True)
class Statement:
    kind: Kind
    version: str
    title: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


STATEMENTS: dict[Kind, Statement] = {s.kind: s for s in (
    Statement(Kind.NO_INCENTIVE, "2026.1", "Affirmation of UM decision making",
              "I affirm that utilization management decision making is based only on the appropriateness "
              "of care and service and the existence of coverage. I am not rewarded for issuing denials of "
              "coverage or service, and no financial incentive encourages me to make decisions that result "
              "in under-utilization or to create barriers to care and service."),
    Statement(Kind.CONFIDENTIALITY, "2026.1", "Statement of confidentiality",
              "I will keep confidential all provider and member information I see in committee work, "
              "including minutes, agendas, quality, peer review and UM reports and any correspondence "
              "naming a provider or member; I will use and disclose protected health information only as "
              "my committee role requires and as HIPAA and state privacy law allow."),
    Statement(Kind.CONFLICT_OF_INTEREST, "2026.1", "Statement of conflict of interest",
              "I will not vote on or render a decision about the appropriateness of care or service, or "
              "about an event or finding under quality evaluation, in which I was personally involved, and "
              "I will disclose any such involvement or other conflict of interest before the committee "
              "considers the matter."),
)}

# Roles that make UM decisions or supervise those who do (external reviewers attest to their own
# independent review organization, not to the plan).
DECISION_ROLES: frozenset[str] = frozenset({
    Role.UM_NURSE, Role.BH_NURSE, Role.PHARMACY_TECHNICIAN, Role.CLINICAL_PHARMACIST,
    Role.PHYSICIAN_REVIEWER, Role.BH_CLINICAL_DIRECTOR, Role.UM_MANAGER})
COMMITTEE_STATEMENTS: dict[Committee, frozenset[Kind]] = {
    Committee.QUAC: frozenset({Kind.CONFIDENTIALITY, Kind.CONFLICT_OF_INTEREST}),
    Committee.PAC: frozenset({Kind.CONFIDENTIALITY}),
}


class StatementOutdated(DomainError):
    code = "statement_outdated"
    http_status = 409


def year_of(at: datetime) -> int:
    """The attestation year: the calendar year of the signature in UTC."""
    return at.astimezone(UTC).year


@dataclass(frozen=True)
class Missing:
    user: User
    kind: Kind
    reason: str


def required(session: Session, year: int) -> dict[tuple[int, Kind], tuple[User, str]]:
    """Every (active user, statement) owed for `year`, with the reason it is owed."""
    owed: dict[tuple[int, Kind], tuple[User, str]] = {}
    users = {u.id: u for u in session.scalars(select(User).where(User.active.is_(True)))}
    for u in users.values():
        if u.role in DECISION_ROLES:
            owed[(u.id, Kind.NO_INCENTIVE)] = (u, f"role {u.role} makes or supervises UM decisions")
    first, last = date(year, 1, 1), date(year, 12, 31)
    seats = session.scalars(select(CommitteeMembership).where(
        CommitteeMembership.joined_on <= last,
        or_(CommitteeMembership.left_on.is_(None), CommitteeMembership.left_on >= first),
    ).order_by(CommitteeMembership.id))
    for seat in seats:
        member = users.get(seat.user_id)
        if member is None:
            continue
        for kind in sorted(COMMITTEE_STATEMENTS[Committee(seat.committee)]):
            owed.setdefault((member.id, kind), (member, f"member of the {seat.committee.upper()} committee"))
    return owed


def missing(session: Session, year: int) -> tuple[int, list[Missing]]:
    """How many statements are owed for `year`, and those not signed, by username then kind."""
    owed = required(session, year)
    signed = {(uid, kind) for uid, kind in session.execute(
        select(Attestation.user_id, Attestation.kind).where(Attestation.year == year))}
    out = [Missing(u, kind, why) for (uid, kind), (u, why) in owed.items() if (uid, kind.value) not in signed]
    return len(owed), sorted(out, key=lambda m: (m.user.username, m.kind.value))


def record(session: Session, *, user: User, kind: Kind, version: str, at: datetime,
           source_ip: str | None) -> Attestation:
    """The signer's own attestation of the current statement for this year; once per year."""
    if user.role == Role.PROVIDER_OFFICE:
        raise PermissionDenied("attestations are signed by plan staff, not provider offices")
    statement = STATEMENTS[kind]
    if version != statement.version:
        raise StatementOutdated(f"statement version {version!r} is not the current one "
                                f"({statement.version}); read the current text and sign that")
    year = year_of(at)
    dup = Conflict(f"{user.username} already signed the {kind.value} statement for {year}")
    if session.scalar(select(Attestation.id).where(Attestation.user_id == user.id, Attestation.kind == kind,
                                                   Attestation.year == year)) is not None:
        raise dup
    att = Attestation(user_id=user.id, kind=kind.value, year=year, statement_version=statement.version,
                      statement_sha256=statement.sha256, attested_at=at, source_ip=source_ip)
    try:
        with session.begin_nested():  # a simultaneous second signature meets the unique constraint
            session.add(att)
    except IntegrityError:
        raise dup from None
    return att


def add_membership(session: Session, *, username: str, committee: Committee, joined_on: date,
                   left_on: date | None, by: User, at: datetime) -> CommitteeMembership:
    """Seat a user on a committee for a period."""
    member = session.scalars(select(User).where(User.username == username)).one_or_none()
    if member is None:
        raise NotFound(f"no user {username!r}")
    if left_on is not None and left_on < joined_on:
        raise DomainError("left_on is before joined_on", details=[{"loc": ["body", "left_on"],
                                                                   "msg": "before joined_on"}])
    seat = CommitteeMembership(user_id=member.id, committee=committee.value, joined_on=joined_on,
                               left_on=left_on, recorded_by_user_id=by.id, recorded_at=at)
    session.add(seat)
    session.flush()
    return seat
