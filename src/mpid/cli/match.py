"""`mpid match CASE.json`: pairwise LRs, exclusions and (with --joint) joint identification of a DVI case."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from mpid.cli._case import compute_case, print_case_json
from mpid.formats.refcase import Refcase, RefcaseError
from mpid.formats.refcase_results import json_number
from mpid.genetics.likelihood import marker_likelihood
from mpid.matching.search import RemainsProfile, pairwise_matrices
from mpid.matching.tables import FamilyInput


def dvi_pairwise_results(case: Refcase) -> dict[str, Any]:
    """``pairwise_lr``, ``exclusion_matrix``, ``baseline_loglik`` and ``pairings_default`` of a DVI case."""
    fams: list[FamilyInput] = []
    mp_sex: dict[str, int] = {}
    for fam in case.families:
        refs = {p: case.genotypes[p] for p in fam.pedigree.labels if p in case.genotypes and p not in fam.missing}
        for mp in fam.missing:
            fams.append(FamilyInput(fam.name, fam.pedigree, mp, refs))
            mp_sex[mp] = int(fam.pedigree.sex[fam.pedigree.index(mp)])
    victims = [RemainsProfile(v, case.genotypes.get(v, {}), sex) for v, sex in case.victims.items()]
    lr, excl = pairwise_matrices(victims, fams, case.markers)
    missing = [f.missing for f in fams]
    pairwise = {
        v.remains_id: {m: json_number(float(lr[i, j])) for j, m in enumerate(missing)} for i, v in enumerate(victims)
    }
    exclusions = {
        v.remains_id: {m: (None if math.isnan(excl[i, j]) else int(excl[i, j])) for j, m in enumerate(missing)}
        for i, v in enumerate(victims)
    }

    def ln_total(liks: list[float]) -> float | None:
        return None if any(x == 0 for x in liks) else math.fsum(math.log(x) for x in liks)

    from mpid.genetics.pedigree import Pedigree

    baseline_v = {}
    for v, sex in case.victims.items():
        single = Pedigree.from_records([{"id": v, "father": None, "mother": None, "sex": sex}])
        g = case.genotypes.get(v, {})
        baseline_v[v] = ln_total(
            [marker_likelihood(single, m, {v: g[m.name]}) if m.name in g else 1.0 for m in case.markers]
        )
    baseline_f = {}
    for fam in case.families:
        liks = []
        for m in case.markers:
            at = {p: g[m.name] for p, g in case.genotypes.items() if p in fam.pedigree.labels and m.name in g}
            liks.append(marker_likelihood(fam.pedigree, m, at))
        baseline_f[fam.name] = ln_total(liks)
    pairings = {
        v: ["*"] + [m for m in missing if not (sex and mp_sex[m] and mp_sex[m] != sex)]
        for v, sex in case.victims.items()
    }
    return {
        "pairwise_lr": pairwise,
        "exclusion_matrix": exclusions,
        "baseline_loglik": {"victims": baseline_v, "families": baseline_f},
        "pairings_default": pairings,
    }


def match(
    case_file: Path | None = typer.Argument(
        None, help="A DVI case in the refcase JSON schema (category 'dvi'); without it, match the register."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON in the case's 'expected' layout."),
    joint: bool = typer.Option(
        False, "--joint", help="Also solve jointly (a case: joint table, marginals, undisputed, dviSolve; the "
        "register: re-association, then joint identification of the individuals with age evidence)."
    ),
    database: str | None = typer.Option(None, "--database", help="Register URL (default: MPID_DATABASE_URL, SQLite)."),
    threshold: float = typer.Option(1e3, "--threshold", help="Report candidates with LR at least this."),
    prior: float | None = typer.Option(None, "--prior", help="Prior probability (default 1 / missing persons)."),
    engine: str = typer.Option("local", "--engine", help="local (numba threads) or dask."),
    direct: bool = typer.Option(False, "--direct", help="Also match remains to remains (re-association)."),
) -> None:
    """Blind matching: every victim of a DVI case (or every remains of the register) against every missing person."""
    if case_file is None:
        _match_register(database, threshold, prior, engine, direct, as_json, joint)
        return

    def compute(case: Refcase) -> dict[str, Any]:
        if case.category != "dvi":
            raise RefcaseError("category", f"`mpid match` takes 'dvi' cases; use `mpid kinship` for {case.category!r}",
                               str(case_file))
        result = dvi_pairwise_results(case)
        if joint:
            from mpid.formats.refcase_results import joint_results

            result.update(joint_results(case))
        return result

    case, result = compute_case(case_file, compute)
    if as_json:
        print_case_json(case, result)
        return
    console = Console()
    missing = [m for f in case.families for m in f.missing]
    console.print(f"[bold]{case.case_id}[/]: {len(case.victims)} victims × {len(missing)} missing persons")
    table = Table("victim", *missing)
    for v, row in result["pairwise_lr"].items():
        table.add_row(v, *["—" if row[m] is None else f"{row[m]:.3g}" for m in missing])
    console.print(table)


def _match_register(database: str | None, threshold: float, prior: float | None, engine: str, direct: bool,
                    as_json: bool, joint: bool = False) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from mpid.registry.db import make_engine, make_session_factory, session_scope
    from mpid.registry.settings import resolve_database_url
    from mpid.services.matching import MatchSettings, build_problem, run_direct_matching, run_matching

    settings = MatchSettings(threshold_lr=threshold, prior=prior, engine=engine)
    factory = make_session_factory(make_engine(resolve_database_url(database)))
    console = Console(stderr=True)
    try:
        with session_scope(factory) as session:
            n_missing = len(build_problem(session, settings).families)
        with session_scope(factory) as session:
            with Progress(
                TextColumn("blind search"), BarColumn(), MofNCompleteColumn(), TextColumn("missing persons"),
                TimeElapsedColumn(), console=console, disable=as_json,
            ) as bar:
                task = bar.add_task("search", total=n_missing)
                run = run_matching(session, settings, started_by="cli", progress=lambda k: bar.advance(task, k))
            summary = {"blind": {"run": run.id, **run.summary}}
            if direct or joint:
                drun = run_direct_matching(session, settings, started_by="cli")
                summary["direct"] = {"run": drun.id, **drun.summary}
            if joint:
                from mpid.matching.anthropology import AgeEvidence
                from mpid.services.scenario import run_joint_identification

                outcome = run_joint_identification(session, settings, drun, run, started_by="cli",
                                                   estimate_dropout=True, age_evidence=AgeEvidence())
                summary["joint"] = {"run": outcome.run_id, "n_individuals": outcome.n_individuals,
                                    "n_candidates": outcome.n_candidates, "n_identified": outcome.n_identified,
                                    "n_components_not_exact": outcome.n_components_not_exact,
                                    "prior": outcome.prior}
    except (LookupError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        json.dump(summary, sys.stdout, indent=1, default=str)
        sys.stdout.write("\n")
        return
    out = Console()
    b = summary["blind"]
    out.print(f"match run {b['run']}: {b['n_candidates']} candidates from {b['n_pairs']:,} pairs; "
              f"{b['cases_moved_to_candidate']} cases moved to 'candidate match'")
    if direct or joint:
        d = summary["direct"]
        out.print(f"re-association run {d['run']}: {d['n_same_person_pairs']} same-person pairs, "
                  f"{d['n_individuals']} individuals")
    if joint:
        j = summary["joint"]
        out.print(f"joint run {j['run']}: {j['n_individuals']} individuals, {j['n_identified']} identified "
                  f"at the policy (prior {j['prior']:.3g})")


def register(app: typer.Typer) -> None:
    """Add `match` to the CLI (case files; matching over the register is `mpid run-match`)."""
    app.command("match")(match)
