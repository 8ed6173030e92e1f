"""`mpid demo`: the whole job end to end on a simulated scenario, checked against its ground truth.

simulate → register → import (real import paths) → deduplicate → blind search → re-association →
joint identification → summary → check against truth → demo users and the web app.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = ["DEMO_MUTATION", "demo_command", "register", "run_demo"]

# The lab's mutation model for every marker (the scenario's lab/dvi.fam declares the same).
DEMO_MUTATION: dict[str, dict[str, Any]] = {
    sex: {"model": "stepwise", "rate": 0.001, "rate2": 1e-6, "range": 0.1} for sex in ("female", "male")
}
EVALUATION_JSON = "evaluation.json"
USERS_JSON = "demo-users.json"


class _Steps:
    """A progress bar per step, and the time each step took."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.seconds: dict[str, float] = {}
        self.bars = Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=console)

    def __enter__(self) -> _Steps:
        self.bars.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.__exit__(*exc)  # type: ignore[arg-type]

    def run(self, name: str, func: Callable[[Callable[[int, int], None]], Any], total: int = 1) -> Any:
        task: TaskID = self.bars.add_task(name, total=total)

        def tick(done: int, of: int) -> None:
            self.bars.update(task, completed=done, total=max(of, 1))

        started = time.perf_counter()
        result = func(tick)
        self.seconds[name] = time.perf_counter() - started
        done = self.bars.tasks[[t.id for t in self.bars.tasks].index(task)]
        self.bars.update(task, completed=done.total,
                         description=f"{name} ({self.seconds[name]:.1f} s)")
        return result


_SCENARIO_OUTPUTS = ("lab", "registers", "truth", "families.json", "sites.csv", "remains_samples.csv",
                     "scenario.json", EVALUATION_JSON, USERS_JSON, "lr_distribution.png")


def _clear_previous_scenario(workdir: Path) -> None:
    """Remove what an earlier demo wrote (only if DIR holds a scenario), so no stale batch file is imported."""
    import shutil

    if not (workdir / "scenario.json").is_file():
        return
    for name in _SCENARIO_OUTPUTS:
        path = workdir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


STOP_POINTS = ("blind-search",)


def run_demo(preset: str, seed: int, workdir: Path, console: Console, until: str | None = None) -> dict[str, Any]:
    """Everything but serving; returns the summary (also written to WORKDIR/evaluation.json).

    ``until="blind-search"`` stops after blind search (a scale run: simulate, import, deduplicate and
    search, with the time of each step; no re-association, joint step or check against the truth).
    """
    from sqlalchemy import func, select

    from mpid.registry.db import make_engine, make_session_factory
    from mpid.registry.migrate import upgrade_database
    from mpid.registry.models import CaseStatus, Donor, MissingPerson, Profile, Remains, Report, Sample
    from mpid.services.evaluation import evaluate
    from mpid.services.matching import MatchSettings, run_direct_matching, run_matching
    from mpid.services.scenario import (
        deduplicate_register,
        load_scenario,
        run_joint_identification,
        scenario_files,
    )
    from mpid.simulate.scenario import write_scenario

    logging.getLogger("splink").setLevel(logging.ERROR)
    workdir.mkdir(parents=True, exist_ok=True)
    _clear_previous_scenario(workdir)
    db_path = workdir / "mpid.sqlite"
    for stale in (db_path, db_path.with_name(db_path.name + "-wal"), db_path.with_name(db_path.name + "-shm")):
        stale.unlink(missing_ok=True)
    settings = MatchSettings(threshold_lr=100.0, mutation=DEMO_MUTATION)
    out: dict[str, Any] = {"preset": preset, "seed": seed, "workdir": str(workdir)}
    with _Steps(console) as steps:
        def simulate(tick: Callable[[int, int], None]) -> Any:
            return write_scenario(preset, seed, workdir, progress=lambda _phase, d, n: tick(d, n))

        steps.run("simulate scenario", simulate)
        engine = make_engine(f"sqlite:///{db_path}")
        steps.run("create register", lambda tick: upgrade_database(engine))

        def load(tick: Callable[[int, int], None]) -> Any:
            return load_scenario(engine, workdir, progress=lambda _step, d, n: tick(d, n))

        loaded = steps.run("import files", load)
        out["imported"] = loaded.steps
        files = scenario_files(workdir)

        def dedupe(tick: Callable[[int, int], None]) -> Any:
            marks = iter(range(1, 10))
            return deduplicate_register(engine, files.registers, progress=lambda _m: tick(next(marks, 9), 5))

        out["deduplication"] = steps.run("deduplicate agency lists", dedupe)
        factory = make_session_factory(engine)

        def blind(tick: Callable[[int, int], None]) -> Any:
            done = [0]
            with factory() as session, session.begin():
                n = session.scalar(select(func.count()).select_from(MissingPerson)) or 1

                def progress(k: int) -> None:
                    done[0] += k
                    tick(done[0], n)

                run = run_matching(session, settings, started_by="mpid demo", progress=progress)
                return run.id, dict(run.summary), dict(run.inputs)

        blind_id, blind_summary, blind_inputs = steps.run("blind search", blind)
        if until == "blind-search":
            out["times"] = dict(steps.seconds)
            out["register"] = {"missing persons with references": blind_inputs.get("n_missing"),
                               "remains with a profile": blind_inputs.get("n_remains"),
                               "pairs searched": blind_summary.get("n_pairs"),
                               "candidates (blind, LR ≥ 10²)": blind_summary.get("n_candidates")}
            out["blind_run"] = blind_id
            (workdir / EVALUATION_JSON).write_text(json.dumps({"demo": out}, indent=2, ensure_ascii=False,
                                                              default=str), encoding="utf-8")
            engine.dispose()
            return out

        def direct(tick: Callable[[int, int], None]) -> Any:
            with factory() as session, session.begin():
                run = run_direct_matching(session, settings, started_by="mpid demo")
                return run.id, {k: v for k, v in run.summary.items() if k != "groups"}

        direct_id, direct_summary = steps.run("re-association (direct)", direct)

        def joint(tick: Callable[[int, int], None]) -> Any:
            from mpid.matching.anthropology import AgeEvidence
            from mpid.registry.models import MatchRun

            with factory() as session, session.begin():
                return run_joint_identification(session, settings, session.get(MatchRun, direct_id),
                                                session.get(MatchRun, blind_id), started_by="mpid demo",
                                                estimate_dropout=True, age_evidence=AgeEvidence(),
                                                progress=tick)

        try:
            outcome = steps.run("joint identification", joint)
            out["joint"] = outcome.__dict__
        except ImportError as exc:  # the joint modules are optional
            out["joint"] = {"not_run": str(exc)}
        if "not_run" not in out["joint"] and (workdir / "followup" / "references.csv").exists():
            blind_id, blind_summary = _follow_up(steps, factory, engine, workdir, settings, direct_id,
                                                 (blind_id, blind_summary), out)
        out["times"] = dict(steps.seconds)
        with factory() as session:
            count = lambda q: session.scalar(select(func.count()).select_from(q)) or 0  # noqa: E731
            out["register"] = {
                "agency reports": count(select(Report).subquery()),
                "cases": count(select(MissingPerson).where(MissingPerson.status != CaseStatus.MERGED_DUPLICATE)
                               .subquery()),
                "cases merged as duplicates": count(
                    select(MissingPerson).where(MissingPerson.status == CaseStatus.MERGED_DUPLICATE).subquery()),
                "references (donors)": count(select(Donor).subquery()),
                "missing persons with references": blind_inputs.get("n_missing"),
                "remains": count(select(Remains).subquery()),
                "remains with a profile": count(select(Sample.remains_id).join(Profile, Profile.sample_id == Sample.id)
                                                .where(Sample.remains_id.is_not(None)).distinct().subquery()),
                "individuals after re-association": direct_summary.get("n_individuals"),
                "candidates (blind, LR ≥ 10²)": blind_summary.get("n_candidates"),
                "identified (joint, policy)": out["joint"].get("n_identified"),
            }
            if "follow_up" in out:
                fu = out["follow_up"]
                out["register"]["identified before follow-up"] = fu["first_joint"].get("n_identified")
                out["register"]["families asked for more references"] = fu["families_asked"]
                out["register"]["references given at follow-up"] = fu["donors"]
        out["blind_run"], out["direct_run"] = blind_id, direct_id
        # The demo's check reads the stored candidates; `mpid evaluate DIR` recomputes every pair for the plot.
        report = steps.run("check against truth", lambda tick: evaluate(workdir, engine=engine, all_pairs=False))
    out["times"] = dict(steps.seconds)
    out["evaluation"] = {k: v for k, v in report.items() if k not in ("true_identifications", "missed",
                                                                       "false_identifications")}
    out["evaluation"]["false_identifications"] = report["false_identifications"]
    (workdir / EVALUATION_JSON).write_text(json.dumps({**report, "demo": {k: v for k, v in out.items()
                                                                         if k != "evaluation"}},
                                                      indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    engine.dispose()
    return out


def _follow_up(steps: Any, factory: Any, engine: Any, workdir: Path, settings: Any, direct_id: int,
               blind: tuple[int, dict[str, Any]], out: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Ask the families of the undecided for more references, import what they give, search and decide again."""
    from datetime import date

    from mpid.matching.anthropology import AgeEvidence
    from mpid.registry.models import MatchRun
    from mpid.services.matching import run_matching
    from mpid.services.reference_requests import reference_requests
    from mpid.services.scenario import collect_followup_references, run_joint_identification

    def ask(tick: Callable[[int, int], None]) -> Any:
        with factory() as session:
            requests = reference_requests(session)
        counts = collect_followup_references(engine, workdir, requests, consent_on=date.today())
        return requests, counts

    requests, counts = steps.run("follow-up references", ask)
    out["follow_up"] = {"first_joint": dict(out["joint"]), **counts}
    if not counts["donors"]:
        return blind

    def search(tick: Callable[[int, int], None]) -> Any:
        with factory() as session, session.begin():
            run = run_matching(session, settings, started_by="mpid demo (follow-up)")
            return run.id, dict(run.summary)

    blind_id, blind_summary = steps.run("blind search (follow-up)", search)

    def joint(tick: Callable[[int, int], None]) -> Any:
        with factory() as session, session.begin():
            return run_joint_identification(session, settings, session.get(MatchRun, direct_id),
                                            session.get(MatchRun, blind_id), started_by="mpid demo (follow-up)",
                                            estimate_dropout=True, age_evidence=AgeEvidence(), progress=tick)

    out["joint"] = steps.run("joint identification (follow-up)", joint).__dict__
    return blind_id, blind_summary


def print_summary(out: dict[str, Any], console: Console) -> None:
    """The register, the times and the check against the truth, as tables."""
    table = Table(title=f"mpid demo: preset {out['preset']} (seed {out['seed']}) in {out['workdir']}")
    table.add_column("register")
    table.add_column("count", justify="right")
    for name, value in out["register"].items():
        if value is not None:
            table.add_row(name, f"{value:,}" if isinstance(value, int) else str(value))
    dd = out.get("deduplication") or {}
    table.add_row("agency reports deduplicated", f"{dd.get('reports', 0):,} → {dd.get('cases_merged', 0):,} merged")
    console.print(table)
    times = Table(title="time per step")
    times.add_column("step")
    times.add_column("seconds", justify="right")
    for name, seconds in out["times"].items():
        times.add_row(name, f"{seconds:.1f}")
    times.add_row("total", f"{sum(out['times'].values()):.1f}")
    console.print(times)
    if "evaluation" not in out:
        return
    ev = out["evaluation"]
    check = Table(title=f"check against the ground truth (decided by {ev['policy']['decided_by']}; "
                        f"posterior ≥ {ev['policy']['identify_posterior']:.2%}, LR ≥ {ev['policy']['identify_lr']:g}, "
                        f"prior {ev['policy']['prior']:.3g})")
    check.add_column("what")
    check.add_column("value", justify="right")
    n_true = round((ev["true_positive_rate"] or 0) * ev["recovered_missing"])
    check.add_row("recovered missing persons (on the lists)", f"{ev['recovered_missing']:,}")
    check.add_row("true identifications", f"{n_true:,}")
    check.add_row("false identifications", f"{ev['false_positive_count']:,}")
    for reason, n in ev["missed_by_reason"].items():
        check.add_row(f"missed: {reason}", f"{n:,}")
    el = ev["identification_rate_eligible"]
    if el["n"]:
        check.add_row("identified among those with a parent, a child or two siblings typed",
                      f"{el['identified']:,} / {el['n']:,} = {el['rate']:.1%}")
    for stage, fig in ev.get("stages", {}).items():
        rate = fig.get("rate_eligible")
        check.add_row(f"  {stage}: true / false / eligible rate",
                      f"{fig['true_identifications']} / {fig['false_identifications']} / "
                      f"{'—' if rate is None else f'{rate:.1%}'}")
    check.add_row("plot of log10 LR (candidates; every pair: mpid evaluate)", str(ev.get("plot", "—")))
    console.print(check)


_DEMO_USERS = (
    ("case.officer", "case_officer", None),
    ("liaison", "family_liaison", None),
    ("field", "field_officer", None),
    ("analyst", "dna_analyst", None),
    ("reviewer1", "reviewer", None),
    ("reviewer2", "reviewer", None),
    ("partner", "partner_agency", "icrc"),
    ("admin", "administrator", None),
)


def create_demo_users(db_path: Path) -> list[dict[str, str]]:
    """One synthetic account per role (two reviewers), with random passwords; returns them."""
    from mpid.registry.db import make_engine, make_session_factory
    from mpid.security.auth import create_user

    engine = make_engine(f"sqlite:///{db_path}")
    users = []
    with make_session_factory(engine)() as session, session.begin():
        for username, role, agency in _DEMO_USERS:
            password = f"demo-{secrets.token_urlsafe(9)}"
            create_user(session, username, password, role, agency=agency, display_name=f"Demo {role}")
            users.append({"username": username, "password": password, "role": role, **({"agency": agency}
                                                                                       if agency else {})})
    engine.dispose()
    return users


def demo_command(
    preset: str = typer.Option("azerbaijan", "--preset", "-p", help="Scenario preset: small, azerbaijan or balkans."),
    seed: int = typer.Option(1, "--seed", "-s", min=0, help="Random seed of the scenario."),
    workdir: Path = typer.Option(Path("demo-work"), "--workdir", "-w",
                                 help="Directory for the scenario, its truth and the register mpid.sqlite."),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the web app with demo users at the end."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface the web app listens on."),
    port: int = typer.Option(8000, "--port", help="TCP port of the web app."),
    until: str | None = typer.Option(None, "--until", help="Stop after this step (blind-search: a scale run, "
                                     "without re-association, joint step, truth check or serving)."),
) -> None:
    """Run the whole job on a simulated scenario, check it against the truth, then serve the web app."""
    from mpid.simulate.scenario import PRESETS

    if preset not in PRESETS:
        raise typer.BadParameter(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}",
                                 param_hint="--preset")
    if until is not None and until not in STOP_POINTS:
        raise typer.BadParameter(f"unknown step {until!r}; choose one of {', '.join(STOP_POINTS)}",
                                 param_hint="--until")
    console = Console()
    out = run_demo(preset, seed, workdir, console, until=until)
    print_summary(out, console)
    if until is not None:
        console.print(f"stopped after {until}; register: {workdir / 'mpid.sqlite'}")
        return
    console.print(f"register: {workdir / 'mpid.sqlite'}; truth: {workdir / 'truth'}; "
                  f"figures: {workdir / EVALUATION_JSON} (again with: mpid evaluate {workdir})")
    if not serve:
        return
    try:
        import uvicorn

        from mpid.web import WebSettings, create_app
    except ImportError as exc:
        console.print(f"the web app (mpid.web) is not available yet ({exc}); stopping here.")
        return
    users = create_demo_users(workdir / "mpid.sqlite")
    (workdir / USERS_JSON).write_text(json.dumps(users, indent=2), encoding="utf-8")
    accounts = Table(title="demo users (synthetic; also in " + str(workdir / USERS_JSON) + ")")
    for column in ("username", "password", "role"):
        accounts.add_column(column)
    for u in users:
        accounts.add_row(u["username"], u["password"], u["role"] + (f" ({u['agency']})" if "agency" in u else ""))
    console.print(accounts)
    app = create_app(WebSettings.from_environment(f"sqlite:///{(workdir / 'mpid.sqlite').resolve()}"))
    console.print(f"log in at http://{host}:{port}/ (family portal: /inquiry); Ctrl-C stops the server")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def register(app: typer.Typer) -> None:
    """Add `mpid demo` to the mpid CLI."""
    app.command("demo")(demo_command)
