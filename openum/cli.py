"""The `openum` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from openum.settings import get_settings

app = typer.Typer(help="OpenUM: utilization management for health plans.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
pack_app = typer.Typer(help="Plan packs.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
users_app = typer.Typer(help="Local accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(pack_app, name="pack")
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
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
