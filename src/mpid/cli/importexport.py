"""`mpid import KIND FILE` and `mpid export KIND FILE`: exchange files with labs, agencies and tools."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path

import typer

from mpid.cli.status import DATABASE_OPTION, open_register

__all__ = ["register"]


class ImportKind(StrEnum):
    """What an import file holds."""

    genemapper = "genemapper"
    cmf = "cmf"
    familias = "familias"
    frequencies = "frequencies"
    register = "register"
    refcase = "refcase"


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def import_command(
    kind: ImportKind = typer.Argument(..., help="genemapper | cmf | familias | frequencies | register | refcase"),
    file: Path = typer.Argument(..., help="The file to import."),
    database: str | None = DATABASE_OPTION,
    category: str | None = typer.Option(
        None, "--category", help="genemapper/cmf: 'remains' or 'reference' for samples new to the register."
    ),
    lab: str | None = typer.Option(None, "--lab", help="Lab of profiles that do not name one."),
    kit: str | None = typer.Option(None, "--kit", help="Kit of profiles that do not name one."),
    run: str | None = typer.Option(None, "--run", help="Run (batch) of profiles that do not name one."),
    single_allele: str = typer.Option(
        "homozygote", "--single-allele", help="A single allele call is a 'homozygote' or 'partial'."
    ),
    table_name: str | None = typer.Option(None, "--table-name", help="Name to store a frequency table under."),
    frequency_kind: str = typer.Option("auto", "--frequency-layout", help="frequencies: layout (default: detect)."),
    prefix: str = typer.Option("", "--prefix", help="familias/refcase: prefix of generated bar codes and codes."),
    agency: str | None = typer.Option(None, "--agency", help="register: agency of rows without a source column."),
    mapping: Path | None = typer.Option(
        None, "--mapping", help='register: JSON file {"column header": "field", ...}.', exists=True, dir_okay=False
    ),
    consent_date: str | None = typer.Option(
        None, "--consent-date", help="Record identification consent of new donors on this date (YYYY-MM-DD)."
    ),
    actor: str | None = typer.Option(None, "--actor", help="Who imports (recorded with the batch)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Import FILE into the register: whole or not at all; a file imported before changes nothing."""
    from mpid.formats.errors import FormatError
    from mpid.registry.errors import RegisterError
    from mpid.services.importing import ImportOptions, import_file

    try:
        consent_on = date.fromisoformat(consent_date) if consent_date else None
    except ValueError:
        _fail(f"--consent-date {consent_date!r} is not YYYY-MM-DD", 2)
    column_mapping = None
    if mapping is not None:
        try:
            column_mapping = json.loads(mapping.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            _fail(f"{mapping}: not a JSON mapping: {exc}", 2)
    options = ImportOptions(
        category=category,
        lab=lab,
        kit=kit,
        run=run,
        single_allele=single_allele,
        table_name=table_name,
        frequency_kind=frequency_kind,
        barcode_prefix=prefix,
        mapping=column_mapping,
        source_agency=agency,
        consent_given_on=consent_on,
        actor=actor,
    )
    engine = open_register(database)
    try:
        result = import_file(engine, kind.value, file, options)
    except (FormatError, RegisterError) as exc:
        _fail(str(exc))
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps({**result.__dict__, "counts": result.counts}, indent=2))
    elif result.already_imported:
        typer.echo(f"{file}: imported before (batch {result.batch_id}); nothing changed")
    else:
        summary = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in result.counts.items()) or "nothing"
        typer.echo(f"{file}: imported as batch {result.batch_id}: {summary}")


def export_command(
    kind: ImportKind = typer.Argument(..., help="genemapper | cmf | familias | frequencies | register | refcase"),
    file: Path = typer.Argument(..., help="The file to write."),
    database: str | None = DATABASE_OPTION,
    table_name: str | None = typer.Option(None, "--table-name", help="Frequency table (default: the newest)."),
    source_lab: str = typer.Option("MPID", "--source-lab", help="cmf: SOURCELAB."),
    destination: str = typer.Option("MPID", "--destination", help="cmf: DESTINATIONORI."),
) -> None:
    """Write the register's profiles, pedigrees, tables or reports to FILE in the KIND format."""
    from mpid.formats.errors import FormatError
    from mpid.registry.errors import RegisterError
    from mpid.services.exporting import ExportOptions, export_file

    engine = open_register(database)
    try:
        counts = export_file(
            engine,
            kind.value,
            file,
            ExportOptions(table_name=table_name, source_lab=source_lab, destination=destination),
        )
    except (FormatError, RegisterError) as exc:
        _fail(str(exc))
    finally:
        engine.dispose()
    summary = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items())
    typer.echo(f"{file}: written ({summary})")


def register(app: typer.Typer) -> None:
    """Add `mpid import` and `mpid export`."""
    app.command("import")(import_command)
    app.command("export")(export_command)
