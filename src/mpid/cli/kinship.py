"""`mpid kinship CASE.json`: likelihoods and LRs of a kinship case, in the case's own structure."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from mpid.formats.refcase import KINSHIP_CATEGORIES, RefcaseError, load_refcase
from mpid.formats.refcase_results import direct_match_results, kinship_results


def _fmt(x: float | None) -> str:
    if x is None:
        return "—"
    if x == 0:
        return "0"
    return f"{x:.6g}"


def kinship(
    case_file: Path = typer.Argument(..., help="A case in the refcase JSON schema (tests/refcases/README.md)."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON in the case's 'expected' layout."),
) -> None:
    """Compute the likelihood of every hypothesis and the LRs of a kinship or direct-match case."""
    try:
        case = load_refcase(case_file)
        if case.category in KINSHIP_CATEGORIES:
            result = kinship_results(case)
        elif case.category == "direct_match":
            result = direct_match_results(case)
        else:
            raise RefcaseError("category", f"{case.category!r} cases are computed by `mpid match`", str(case_file))
    except (RefcaseError, ValueError, KeyError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(f"error: cannot read {case_file}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        json.dump({"case_id": case.case_id, "category": case.category, "expected": result}, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    console = Console()
    console.print(f"[bold]{case.case_id}[/] ({case.category}, {len(case.markers)} markers, θ = {case.theta})")
    if "lr" in result:
        for lr in result["lr"]:
            total = lr["total"]
            log10 = lr["log10_total"]
            console.print(
                f"LR {lr['numerator']} : {lr['denominator']} = {_fmt(total)}"
                + (f"  (log10 {log10:.4f})" if log10 is not None else "")
            )
        table = Table("marker", *[f"LR {lr['numerator']}:{lr['denominator']}" for lr in result["lr"]])
        for m in case.marker_names:
            table.add_row(m, *[_fmt(lr["per_marker"][m]) for lr in result["lr"]])
        console.print(table)
    else:
        table = Table("sample 1", "sample 2", "markers", "mismatches", "LR", "log10 LR")
        for p in result["pairs"]:
            lg = p["log10_lr_total"]
            table.add_row(
                p["sample1"], p["sample2"], str(len(p["markers_compared"])), str(p["n_mismatches"]),
                _fmt(p["lr_total"]), "—" if lg is None or math.isnan(lg) else f"{lg:.3f}",
            )
        console.print(table)
        if "mergePM" in result:
            for rep, members in result["mergePM"]["groups"].items():
                console.print(f"individual {rep}: {', '.join(members)}")


def register(app: typer.Typer) -> None:
    """Add `kinship` to the CLI."""
    app.command("kinship")(kinship)
