"""`mpid dedupe`: find the reports that describe the same missing person."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import typer
from rich.console import Console

__all__ = ["dedupe", "register"]

_console = Console(stderr=True, soft_wrap=True)


def dedupe(
    input_csv: Path | None = typer.Argument(
        None, metavar="INPUT.csv", help="Report list: record_id, source, family_name, given_name, patronymic, "
        "sex, birth_date, birth_place, missing_date, missing_place (UTF-8)."),
    out: Path | None = typer.Option(None, "--out", "-o", metavar="CLUSTERS.csv",
                                    help="Where to write record_id, person_id."),
    threshold: float | None = typer.Option(
        None, "--threshold", "-t", min=0.0, max=1.0,
        help="Match probability at or above which two reports are merged (default 0.8)."),
    model_out: Path | None = typer.Option(
        None, "--model-out", help="Where to save the trained model (Splink settings JSON); "
        "default: next to --out as <name>.model.json."),
    model_in: Path | None = typer.Option(
        None, "--model", help="Use this trained model (JSON from an earlier run) instead of training."),
    pairs_out: Path | None = typer.Option(
        None, "--pairs-out", help="Also write the candidate pairs (probability >= 0.2) with their fields."),
    use_register: bool = typer.Option(
        False, "--register", help="Deduplicate the register's reports and feed the review queue."),
    seed: int = typer.Option(42, help="Seed of the random sampling used to estimate u."),
) -> None:
    """Cluster reports of the same person written by different agencies, scripts and spellings."""
    from mpid.linkage.model import DEFAULT_THRESHOLD, deduplicate
    from mpid.linkage.records import ReportFileError, read_reports_csv, write_clusters_csv

    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        logging.getLogger("splink").setLevel(logging.ERROR)  # its training notes are for --verbose
    probability = DEFAULT_THRESHOLD if threshold is None else threshold
    if use_register:
        _dedupe_register(probability, seed)
        return
    if input_csv is None or out is None:
        _console.print("[red]error:[/red] give INPUT.csv and --out CLUSTERS.csv (or --register)")
        raise typer.Exit(2)
    started = time.perf_counter()
    try:
        records = read_reports_csv(input_csv)
    except ReportFileError as error:
        _console.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(2) from None
    settings = None
    if model_in is not None:
        try:
            settings = json.loads(model_in.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            _console.print(f"[red]error:[/red] {model_in}: cannot read the model ({error})", highlight=False)
            raise typer.Exit(2) from None
    with _console.status("deduplicating") as status:
        result = deduplicate(records, threshold=probability, settings=settings, seed=seed,
                             progress=lambda message: status.update(message))
    out.parent.mkdir(parents=True, exist_ok=True)
    write_clusters_csv(out, result.clusters)
    model_path = model_out or out.with_name(out.stem + ".model.json")
    model_path.write_text(json.dumps(result.settings, indent=2, ensure_ascii=False), encoding="utf-8")
    if pairs_out is not None:
        result.pairs.to_csv(pairs_out, index=False, encoding="utf-8")
    persons = result.clusters["person_id"].nunique()
    _console.print(
        f"{len(records)} reports → {persons} persons ({len(records) - persons} merged) at p ≥ {probability:g} "
        f"in {time.perf_counter() - started:.1f} s; clusters in {out}, model in {model_path}", highlight=False)


def _dedupe_register(threshold: float, seed: int) -> None:
    """Run on the register's reports and put the candidate pairs in the review queue."""
    try:
        from mpid.services.dedupe import dedupe_register
    except ImportError as error:
        _console.print(f"[red]error:[/red] --register needs the register ({error})", highlight=False)
        raise typer.Exit(2) from None
    with _console.status("deduplicating the register") as status:
        summary = dedupe_register(threshold=threshold, seed=seed, progress=lambda message: status.update(message))
    _console.print(str(summary), highlight=False)


def register(app: typer.Typer) -> None:
    """Add the `dedupe` command to the mpid CLI."""
    app.command("dedupe")(dedupe)
