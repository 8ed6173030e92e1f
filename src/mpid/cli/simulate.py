"""`mpid simulate`: write a synthetic scenario (families, graves, lab files, registers, ground truth)."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = ["register", "simulate_command"]


def simulate_command(
    preset: str = typer.Option("small", "--preset", "-p", help="Scenario preset: small, azerbaijan or balkans."),
    seed: int = typer.Option(1, "--seed", "-s", min=0, help="Random seed: the same seed gives identical files."),
    out: Path = typer.Option(..., "--out", "-o", help="Directory to write the scenario to (created)."),
) -> None:
    """Simulate a scenario and write its lab files, registers, sites, samples and ground truth to OUT."""
    from mpid.simulate.scenario import PRESETS, write_scenario

    if preset not in PRESETS:
        raise typer.BadParameter(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}",
                                 param_hint="--preset")
    console = Console(stderr=True)
    started = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=True) as bars:
        tasks: dict[str, TaskID] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bars.add_task(phase, total=total)
            bars.update(tasks[phase], completed=done, total=total)

        summary = write_scenario(preset, seed, out, progress=progress)
    elapsed = time.perf_counter() - started
    table = Table(title=f"scenario {summary.preset} (seed {summary.seed}) in {out}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, value in summary.counts().items():
        table.add_row(name.replace("_", " "), f"{value:,}")
    for phase, seconds in summary.seconds.items():
        table.add_row(f"time: {phase.replace('_', ' ')}", f"{seconds:.1f} s")
    table.add_row("time: total", f"{elapsed:.1f} s")
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add the `simulate` command to the `mpid` application."""
    app.command("simulate")(simulate_command)
