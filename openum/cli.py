"""The `openum` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openum.audit.cli import audit_app
from openum.settings import get_settings
from openum.x12.cli import x12_app

app = typer.Typer(help="OpenUM: utilization management for health plans.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
pack_app = typer.Typer(help="Plan packs.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
users_app = typer.Typer(help="Local accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(pack_app, name="pack")
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(x12_app, name="x12")
console = Console()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="API processes")] = 1,
) -> None:
    """Run the API service."""
    import uvicorn

    console.print(f"OpenUM on http://{host}:{port}  (API docs at /docs)")
    uvicorn.run("openum.web.main:app", host=host, port=port, workers=workers, log_level="info")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply schema migrations."""
    from openum.dbmigrate import upgrade

    url = get_settings().database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    with console.status("migrating database"):
        upgrade(url, revision)
    console.print(f"[green]database at {revision}[/green]")


@pack_app.command("check")
def pack_check(folder: Path) -> None:
    """Validate a plan pack folder without starting anything."""
    from openum.packs.loader import PackLoadError, load_pack

    try:
        pack = load_pack(folder)
    except PackLoadError as exc:
        console.print(f"[red]{folder}: {len(exc.errors)} error(s)[/red]")
        for err in exc.errors:
            console.print(f"  {err}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    m = pack.manifest
    console.print(f"[green]OK[/green] {m.plan.name} ({pack.plan_id}) version {pack.version}, "
                  f"effective {m.effective_from}, approved by {m.approval.approved_by} on "
                  f"{m.approval.approved_at}")
    console.print(f"   {len(pack.catalog.services)} services, {len(m.lines_of_business)} lines of "
                  f"business, {len(pack.calendar.holidays)} holidays, sections: "
                  + ", ".join(f"{k}={len(v)}" for k, v in pack.sections.items()))


@demo_app.command("load")
def demo_load() -> None:
    """Load the reference packs' directories and one user per role."""
    from openum.clock import SystemClock
    from openum.db import make_engine, make_session_factory, transaction
    from openum.demo import DEMO_PASSWORD, load
    from openum.packs.registry import PackRegistry

    settings = get_settings()
    registry = PackRegistry.from_dir(settings.packs_dir)
    factory = make_session_factory(make_engine(settings.database_url))
    with console.status("loading demo data") as status, transaction(factory) as session:
        totals = load(session, registry, SystemClock(),
                      progress=lambda msg: status.update(f"loading {msg}"))
    console.print(f"[green]loaded[/green] {totals}; demo password for every user: {DEMO_PASSWORD}")


@app.command()
def clocks(
    line_of_business: Annotated[str, typer.Argument(help="e.g. medi-cal, commercial, qhp")],
    kind: Annotated[str, typer.Option(help="pre_service, concurrent, post_service, ...")] = "pre_service",
    urgency: Annotated[str, typer.Option(help="urgent or non_urgent")] = "non_urgent",
    received_at: Annotated[str | None, typer.Option(help="ISO 8601 with offset; default now")] = None,
) -> None:
    """Every due time, with its citation, for a request received at a given time."""
    from datetime import datetime

    from openum.clock import SystemClock
    from openum.deadlines import engine
    from openum.packs.registry import PackRegistry

    registry = PackRegistry.from_dir(get_settings().packs_dir)
    at = datetime.fromisoformat(received_at) if received_at else SystemClock().now()
    if at.tzinfo is None:
        console.print("[red]--received-at needs a UTC offset, e.g. 2026-11-20T16:30:00-08:00[/red]")
        raise typer.Exit(2)
    plan = registry.plan_for_line_of_business(line_of_business)
    if plan is None:
        console.print(f"[red]no plan pack has line of business {line_of_business!r}[/red]")
        raise typer.Exit(2)
    pack = registry.in_force(plan, at)
    p = engine.preview(pack=pack, line_of_business=line_of_business, kind=kind, urgency=urgency,
                       received_at=at)
    tz = pack.calendar.time_zone
    table = Table("obligation", "due (plan time)", "status", "clock", "layer", "citation",
                  title=f"{pack.manifest.plan.name}: {line_of_business} {kind} {urgency}, "
                        f"received {at.astimezone(tz):%a %Y-%m-%d %H:%M %Z}")
    for d in p.due_times:
        due = d.due_at.astimezone(tz).strftime("%a %Y-%m-%d %H:%M %Z") if d.due_at else "after its start"
        table.add_row(d.obligation.value + (f" ({d.outcome.value})" if d.outcome else ""), due,
                      d.status.value, d.clock, d.layer_id, d.citation)
    console.print(table)
    for e in p.extensions:
        latest = e.latest_decision_due.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if e.latest_decision_due else "-"
        console.print(f"extension ({e.layer_id}): up to {e.max_count}, latest decision {latest}; {e.citation}")


@app.command()
def worker(
    interval: Annotated[float, typer.Option(help="Seconds between scans")] = 5.0,
    batch: Annotated[int, typer.Option(help="Deadline rows per transaction")] = 200,
    once: Annotated[bool, typer.Option(help="Scan once and exit")] = False,
) -> None:
    """Raise escalations and record breaches from the deadline rows (and, later, deliver notices)."""
    import logging

    from openum.db import make_engine, make_session_factory
    from openum.deadlines.worker import run
    from openum.packs.registry import PackRegistry

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = get_settings()
    factory = make_session_factory(make_engine(settings.database_url))
    from openum.intake.storage import AttachmentStore
    from openum.notification.channels import from_settings
    from openum.notification.service import deliver_due

    registry = PackRegistry.from_dir(settings.packs_dir)
    clock = settings.clock()
    channels, store = from_settings(settings), AttachmentStore(settings.storage_dir)
    from openum.fhir.subscriptions import deliver_due as deliver_subscriptions

    run(factory, registry=registry, clock=clock, interval=interval, batch=batch, once=once,
        deliver=lambda: (deliver_due(factory, registry=registry, now=clock.now(), channels=channels, store=store),
                         deliver_subscriptions(factory, now=clock.now())))


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[str, typer.Option(help="System role, e.g. um_nurse")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    full_name: Annotated[str, typer.Option(help="Name shown in history and letters")] = "",
    title: Annotated[str | None, typer.Option()] = None,
    organization: Annotated[str | None, typer.Option(help="Provider organization id")] = None,
) -> None:
    """Add a local account."""
    from openum.auth.service import create_user
    from openum.clock import SystemClock
    from openum.db import make_engine, make_session_factory, transaction
    from openum.errors import DomainError

    factory = make_session_factory(make_engine(get_settings().database_url))
    try:
        with transaction(factory) as session:
            create_user(session, username=username, password=password, role=role,
                        full_name=full_name or username, title=title, organization_id=organization,
                        now=SystemClock().now())
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    console.print(f"[green]added[/green] {username} ({role})")


@users_app.command("list")
def users_list() -> None:
    """List local accounts."""
    from sqlalchemy import select

    from openum.auth.models import User
    from openum.db import make_engine, make_session_factory, transaction

    factory = make_session_factory(make_engine(get_settings().database_url))
    table = Table("username", "role", "organization", "name", "active")
    with transaction(factory) as session:
        for u in session.scalars(select(User).order_by(User.username)):
            table.add_row(u.username, u.role, u.organization_id or "", u.full_name, str(u.active))
    console.print(table)


if __name__ == "__main__":
    app()
