"""`mpid status`: what the register holds; `mpid db`: its schema (migrations)."""

from __future__ import annotations

import json
import sys

import typer

__all__ = ["DATABASE_OPTION", "open_register", "register"]

DATABASE_OPTION = typer.Option(
    None,
    "--database",
    "--database-url",
    metavar="URL",
    help="Database URL (default: $MPID_DATABASE_URL, else the SQLite file in the user data directory).",
)


def open_register(database: str | None):  # type: ignore[no-untyped-def]
    """An engine on the register, its schema created if the database is empty; exits on a schema mismatch."""
    from mpid.registry.db import make_engine
    from mpid.registry.migrate import SchemaOutOfDateError, prepare_database
    from mpid.registry.settings import resolve_database_url

    engine = make_engine(resolve_database_url(database))
    try:
        prepare_database(engine)
    except SchemaOutOfDateError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    return engine


def status(
    database: str | None = DATABASE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Counts of every entity in the register, and of cases by status and region."""
    from mpid.registry.db import session_scope
    from mpid.services.statistics import register_counts

    engine = open_register(database)
    try:
        with session_scope(engine) as session:
            counts = register_counts(session)
    finally:
        engine.dispose()
    if as_json:
        json.dump(counts.as_dict(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    entities = Table(title="Register", show_header=True)
    entities.add_column("entity")
    entities.add_column("count", justify="right")
    for name, n in counts.entities.items():
        entities.add_row(name.replace("_", " "), str(n))
    cases = Table(title="Cases by status", show_header=True)
    cases.add_column("status")
    cases.add_column("cases", justify="right")
    for name, n in counts.cases_by_status.items():
        cases.add_row(name.replace("_", " "), str(n))
    console.print(entities)
    console.print(cases)


db_app = typer.Typer(help="The register's schema: upgrade, current revision.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(
    database: str | None = DATABASE_OPTION,
    revision: str = typer.Option("head", "--revision", help="Target revision."),
) -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    from mpid.registry.db import make_engine
    from mpid.registry.migrate import current_revision, upgrade_database
    from mpid.registry.settings import resolve_database_url

    engine = make_engine(resolve_database_url(database))
    try:
        upgrade_database(engine, revision)
        typer.echo(f"register schema at {current_revision(engine)}")
    finally:
        engine.dispose()


@db_app.command("current")
def db_current(database: str | None = DATABASE_OPTION) -> None:
    """Print the database's revision and the newest one this code knows."""
    from mpid.registry.db import make_engine
    from mpid.registry.migrate import current_revision, head_revision
    from mpid.registry.settings import resolve_database_url

    engine = make_engine(resolve_database_url(database))
    try:
        typer.echo(f"database: {current_revision(engine) or 'empty'}; code: {head_revision()}")
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    """Add `mpid status` and `mpid db`."""
    app.command("status")(status)
    app.add_typer(db_app, name="db")
