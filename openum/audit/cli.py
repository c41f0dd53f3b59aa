"""`openum audit verify` and `openum audit export`: the chain check and the compliance extract."""

from __future__ import annotations

import csv
import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console

audit_app = typer.Typer(help="PHI audit trail: verify the hash chain, export for compliance.",
                        no_args_is_help=True)
console = Console(stderr=True)
FIELDS = ("id", "at", "user_id", "username", "role", "organization_id", "action", "record_type",
          "record_id", "member_id", "purpose", "source_ip", "channel", "prev_hash", "hash")


class Format(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


@contextmanager
def _factory() -> Iterator[Any]:
    """A session factory on the configured database, its connections closed afterwards."""
    from openum.db import make_engine, make_session_factory
    from openum.settings import get_settings

    engine = make_engine(get_settings().database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def parse_bound(value: str, *, end: bool) -> datetime:
    """A date (a whole UTC day; the end bound includes that day) or an ISO datetime with offset."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        at = datetime.fromisoformat(value)
        if at.tzinfo is None:
            raise typer.BadParameter(f"{value!r} needs a UTC offset, e.g. 2026-11-20T16:30:00-08:00") from None
        return at
    start = datetime.combine(day, time.min, UTC)
    return start + timedelta(days=1) if end else start


@audit_app.command("verify")
def verify() -> None:
    """Walk the whole chain; print OK, or each broken row's id and problem (exit code 1)."""
    from sqlalchemy import func, select

    from openum.audit.models import AuditEvent
    from openum.audit.service import verify as verify_chain

    with _factory() as factory, factory() as session:
        total = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        breaks = verify_chain(session)
    if not breaks:
        typer.echo(f"OK: {total} audit rows, hash chain intact")
        return
    for b in breaks:
        typer.echo(f"BROKEN row {b.event_id}: {b.problem}")
    typer.echo(f"{len(breaks)} problem(s) in {total} audit rows")
    raise typer.Exit(1)


def _row(e: Any) -> dict[str, Any]:
    out = {f: getattr(e, f) for f in FIELDS}
    out["at"] = e.at.isoformat()
    return out


def write_rows(rows: Any, out: TextIO, fmt: Format) -> int:
    """Write audit rows as CSV (with a header) or JSON lines; the count written."""
    n = 0
    writer = csv.DictWriter(out, fieldnames=FIELDS) if fmt is Format.CSV else None
    if writer is not None:
        writer.writeheader()
    for e in rows:
        row = _row(e)
        if writer is not None:
            writer.writerow(row)
        else:
            out.write(json.dumps(row) + "\n")
        n += 1
    return n


@audit_app.command("export")
def export(
    file: Annotated[Path, typer.Argument(help="Output file, or - for standard output")],
    from_: Annotated[str, typer.Option("--from", help="First day (UTC) or ISO datetime with offset")],
    to: Annotated[str, typer.Option("--to", help="Last day, included (UTC), or ISO datetime (excluded)")],
    fmt: Annotated[Format, typer.Option("--format", help="csv or jsonl")] = Format.CSV,
) -> None:
    """Write the audit rows recorded in a period, hashes included; the export is itself audited."""
    from sqlalchemy import select

    from openum.audit import service as audit
    from openum.audit.models import AuditEvent
    from openum.db import transaction
    from openum.settings import get_settings

    start, end = parse_bound(from_, end=False), parse_bound(to, end=True)
    if end <= start:
        raise typer.BadParameter("--to must be after --from")
    query = select(AuditEvent).where(AuditEvent.at >= start, AuditEvent.at < end).order_by(AuditEvent.id)
    with _factory() as factory, transaction(factory) as session:
        rows = session.scalars(query).yield_per(1000)
        if str(file) == "-":
            n = write_rows(rows, sys.stdout, fmt)
        else:
            with file.open("w", newline="", encoding="utf-8") as out:
                n = write_rows(rows, out, fmt)
        audit.record(session, actor=audit.Actor(None, f"cli:{getpass.getuser()}", "cli", None,
                                                None, "cli"),
                     at=get_settings().clock().now(), action="export", record_type="audit_events", record_id=None,
                     member_id=None, purpose="compliance_audit")
    console.print(f"exported {n} audit rows from {start.isoformat()} to {end.isoformat()} ({fmt.value})")
