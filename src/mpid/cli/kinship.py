"""`mpid kinship CASE.json`: likelihoods and LRs of a kinship case, in the case's own structure."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from mpid.cli._case import compute_case, print_case_json
from mpid.formats.refcase import KINSHIP_CATEGORIES, Refcase, RefcaseError
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

    def compute(case: Refcase) -> dict[str, Any]:
        if case.category in KINSHIP_CATEGORIES:
            return kinship_results(case)
        if case.category == "direct_match":
            return direct_match_results(case)
        raise RefcaseError("category", f"{case.category!r} cases are computed by `mpid match`", str(case_file))

    case, result = compute_case(case_file, compute)
    if as_json:
        print_case_json(case, result)
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
