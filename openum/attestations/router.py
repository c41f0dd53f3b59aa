"""Attestation endpoints: read the statements, sign your own, report who is missing this year's."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from openum.attestations import service
from openum.attestations.models import Attestation, CommitteeMembership
from openum.attestations.service import Committee, Kind
from openum.auth.models import User
from openum.auth.permissions import Permission
from openum.web.deps import ClockDep, SessionDep, require

router = APIRouter(prefix="/api/v1", tags=["attestations"])


Signing = Annotated[User, Depends(require(Permission.ATTESTATION_RECORD))]
Reporting = Annotated[User, Depends(require(Permission.ATTESTATION_REPORT))]
Seating = Annotated[User, Depends(require(Permission.COMMITTEE_MANAGE))]


class StatementOut(BaseModel):
    kind: Kind
    version: str
    title: str
    text: str
    sha256: str


class AttestationIn(BaseModel):
    kind: Kind
    statement_version: Annotated[str, Field(max_length=20)]
    agree: Annotated[Literal[True], Field(description="true: the signer agrees to the statement's text")]


class AttestationOut(BaseModel):
    id: int
    kind: str
    year: int
    statement_version: str
    statement_sha256: str
    attested_at: datetime


class MissingOut(BaseModel):
    user_id: int
    username: str
    full_name: str
    role: str
    kind: Kind
    reason: str


class ReportOut(BaseModel):
    year: int
    required: int
    signed: int
    missing: list[MissingOut]


class MembershipIn(BaseModel):
    username: Annotated[str, Field(min_length=1, max_length=100)]
    committee: Committee
    joined_on: date
    left_on: date | None = None


class MembershipOut(BaseModel):
    id: int
    user_id: int
    committee: str
    joined_on: date
    left_on: date | None


@router.get("/attestations/statements", response_model=list[StatementOut],
            summary="The current text of each statement")
def statements(_: Signing) -> list[StatementOut]:
    return [StatementOut(kind=s.kind, version=s.version, title=s.title, text=s.text, sha256=s.sha256)
            for s in service.STATEMENTS.values()]


@router.post("/attestations", status_code=201, response_model=AttestationOut,
             summary="Sign a statement for this year (your own signature only)")
def sign(body: AttestationIn, request: Request, user: Signing, session: SessionDep,
         clock: ClockDep) -> Attestation:
    return service.record(session, user=user, kind=body.kind, version=body.statement_version,
                          at=clock.now(), source_ip=request.client.host if request.client else None)


@router.get("/attestations/mine", response_model=list[AttestationOut], summary="Your signed statements")
def mine(user: Signing, session: SessionDep) -> list[Attestation]:
    return list(session.scalars(select(Attestation).where(Attestation.user_id == user.id)
                                .order_by(Attestation.year.desc(), Attestation.kind)))


@router.get("/attestations/report", response_model=ReportOut,
            summary="Statements owed for a year and who has not signed them")
def report(_: Reporting, session: SessionDep, clock: ClockDep,
           year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> ReportOut:
    year = year or service.year_of(clock.now())
    owed, gaps = service.missing(session, year)
    return ReportOut(year=year, required=owed, signed=owed - len(gaps), missing=[
        MissingOut(user_id=m.user.id, username=m.user.username, full_name=m.user.full_name,
                   role=m.user.role, kind=m.kind, reason=m.reason) for m in gaps])


@router.get("/committee-memberships", response_model=list[MembershipOut], summary="Committee seats")
def memberships(_: Reporting, session: SessionDep) -> list[CommitteeMembership]:
    return list(session.scalars(select(CommitteeMembership).order_by(CommitteeMembership.id)))


@router.post("/committee-memberships", status_code=201, response_model=MembershipOut,
             summary="Seat a user on a committee (Q/UAC, PAC)")
def add_membership(body: MembershipIn, user: Seating, session: SessionDep,
                   clock: ClockDep) -> CommitteeMembership:
    return service.add_membership(session, username=body.username, committee=body.committee,
                                  joined_on=body.joined_on, left_on=body.left_on, by=user, at=clock.now())
