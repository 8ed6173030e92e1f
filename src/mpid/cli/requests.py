"""`mpid requests`: which families to ask for more reference samples after joint identification, and why."""

from __future__ import annotations

import json
import sys

import typer

from mpid.cli.status import DATABASE_OPTION, open_register

__all__ = ["register"]


def requests(
    database: str | None = DATABASE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the requests as JSON."),
) -> None:
    """The relatives to ask for a sample, per missing person left undecided by the newest joint identification."""
    from mpid.registry.db import session_scope
    from mpid.services.reference_requests import latest_joint_run, reference_requests

    engine = open_register(database)
    try:
        with session_scope(engine) as session:
            run = latest_joint_run(session)
            found = reference_requests(session, run) if run is not None else []
            run_id = run.id if run is not None else None
    finally:
        engine.dispose()
    if run_id is None:
        typer.echo("error: the register has no finished joint identification (run `mpid match --joint`)", err=True)
        raise typer.Exit(1)
    if as_json:
        json.dump({"joint_run": run_id, "requests": [r.to_json() for r in found]}, sys.stdout, indent=2,
                  ensure_ascii=False)
        sys.stdout.write("\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Reference requests after joint run {run_id}: {len(found)} missing persons, "
                        f"{len({r.family for r in found})} families")
    for column in ("case", "family", "ask for", "why"):
        table.add_column(column)
    for r in found:
        table.add_row(r.case_code, r.family, ", ".join(r.wanted), "; ".join(r.reasons))
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add `mpid requests`."""
    app.command("requests")(requests)
