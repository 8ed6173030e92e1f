"""`mpid evaluate DIR`: accuracy of a demo run against the scenario's ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["evaluate_command", "register"]


def evaluate_command(
    directory: Path = typer.Argument(..., metavar="DIR", help="A directory left by `mpid demo --no-serve`."),
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
    no_plot: bool = typer.Option(False, "--no-plot", help="Do not draw the log10 LR plot."),
    candidates_only: bool = typer.Option(
        False, "--candidates-only", help="LR distribution from the stored candidates only (fast; no recomputation "
        "of every pair)."),
) -> None:
    """True and false identifications, missed ones with reasons, rates and the log10 LR distribution."""
    from mpid.services.evaluation import evaluate

    err = Console(stderr=True)
    if not (directory / "mpid.sqlite").is_file() or not (directory / "truth").is_dir():
        err.print(f"[red]error:[/red] {directory} has no mpid.sqlite and truth/ (run mpid demo --no-serve first)")
        raise typer.Exit(2)
    try:
        report = evaluate(directory, plot=not no_plot, all_pairs=not candidates_only)
    except LookupError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        return
    console = Console()
    pol = report["policy"]
    table = Table(title=f"{directory}: decided by {pol['decided_by']} (posterior ≥ {pol['identify_posterior']:.2%}, "
                        f"LR ≥ {pol['identify_lr']:g}, prior {pol['prior']:.3g})")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("recovered missing persons (on the lists)", f"{report['recovered_missing']:,}")
    table.add_row("true identifications", f"{len(report['true_identifications']):,}")
    table.add_row("false identifications", f"{report['false_positive_count']:,}")
    tpr = report["true_positive_rate"]
    table.add_row("true-positive rate", "—" if tpr is None else f"{tpr:.1%}")
    for reason, n in report["missed_by_reason"].items():
        table.add_row(f"missed: {reason}", f"{n:,}")
    el = report["identification_rate_eligible"]
    if el["n"]:
        table.add_row("rate with a parent, a child or two siblings typed",
                      f"{el['identified']} / {el['n']} = {el['rate']:.1%}")
    for kind, fig in report["by_references"].items():
        table.add_row(f"  references: {kind}", f"{fig['identified']} / {fig['n']}")
    for part in ("true_pairs", "false_pairs"):
        d = report["lr_distribution"][part]
        if "median" in d:
            table.add_row(f"log10 LR, {part.replace('_', ' ')}",
                          f"n {d['n']:,}; median {d['median']}; 5–95 % {d['p5']}…{d['p95']}; max {d['max']}")
    if report.get("plot"):
        table.add_row("plot", report["plot"])
    console.print(table)
    for item in report["false_identifications"]:
        console.print(f"false: remains {item['remains']} → case {item['case_code']} "
                      f"(is {item['true_person_id']}, claimed {item['claimed_person_id']})")


def register(app: typer.Typer) -> None:
    """Add `mpid evaluate`."""
    app.command("evaluate")(evaluate_command)
