"""`openum x12 import FILE`: a 278 request file through the one intake; the 278 response printed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

x12_app = typer.Typer(help="X12 278 (005010X217) prior authorization.", no_args_is_help=True)


@x12_app.command("import")
def import_278(
    file: Annotated[Path, typer.Argument(help="A 278 request interchange", exists=True, dir_okay=False)],
    user: Annotated[str, typer.Option(help="Account the requests are received as (e.g. a provider office)")],
    out: Annotated[Path | None, typer.Option(help="Write the 278 response here instead of stdout")] = None,
) -> None:
    """Receive each 278 request in FILE and write the 278 response."""
    import openum.models  # noqa: F401  (every table)
    from openum.audit.service import Actor
    from openum.auth.models import User
    from openum.db import make_engine, make_session_factory, transaction
    from openum.intake.storage import AttachmentStore
    from openum.packs.registry import PackRegistry
    from openum.settings import get_settings
    from openum.x12 import service
    from openum.x12.segments import X12Error

    settings = get_settings()
    factory = make_session_factory(make_engine(settings.database_url))
    registry = PackRegistry.from_dir(settings.packs_dir)
    try:
        with transaction(factory) as session:
            account = session.query(User).filter_by(username=user, active=True).one_or_none()
            if account is None:
                typer.echo(f"no active account {user!r}", err=True)
                raise typer.Exit(2)
            actor = Actor(account.id, account.username, account.role, account.organization_id, None, "x12_278")
            answered = service.receive(session, registry=registry, clock=settings.clock(),
                                       store=AttachmentStore(settings.storage_dir), user=account,
                                       text=file.read_text(encoding="utf-8", errors="replace"), actor=actor)
    except X12Error as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(1) from None
    if out:
        out.write_text(answered.text)
        typer.echo(f"{len(answered.authorization_ids)} request(s): {', '.join(answered.authorization_ids)}", err=True)
    else:
        typer.echo(answered.text, nl=False)
