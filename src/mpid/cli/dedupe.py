"""`mpid dedupe`: find the reports that describe the same missing person."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.console import Console

__all__ = ["dedupe", "register", "review_app"]

if TYPE_CHECKING:
    from mpid.linkage.review import ReviewQueue

T = TypeVar("T")
_console = Console(stderr=True, soft_wrap=True)


def dedupe(
    input_csv: Path | None = typer.Argument(
        None, metavar="INPUT.csv", help="Report list: record_id, source, family_name, given_name, patronymic, "
        "sex, birth_date, birth_place, missing_date, missing_place (UTF-8)."),
    out: Path | None = typer.Option(None, "--out", "-o", metavar="CLUSTERS.csv",
                                    help="Where to write record_id, person_id."),
    threshold: float | None = typer.Option(
        None, "--threshold", "-t", min=0.0, max=1.0,
        help="Match probability at or above which two reports are merged (default 0.7)."),
    model_out: Path | None = typer.Option(
        None, "--model-out", help="Where to save the trained model (Splink settings JSON); "
        "default: next to --out as <name>.model.json."),
    model_in: Path | None = typer.Option(
        None, "--model", help="Use this trained model (JSON from an earlier run) instead of training."),
    pairs_out: Path | None = typer.Option(
        None, "--pairs-out", help="Also write the candidate pairs (probability >= 0.2) with their fields."),
    queue: Path | None = typer.Option(
        None, "--queue", metavar="QUEUE.json",
        help="Also write a review queue of the uncertain pairs, for `mpid dedupe-review`."),
    use_register: bool = typer.Option(
        False, "--register", help="Deduplicate the register's reports and feed the review queue."),
    database_url: str | None = typer.Option(
        None, "--database-url", help="With --register: the register (default: $MPID_DATABASE_URL or the SQLite file)."),
    seed: int = typer.Option(42, help="Seed of the random sampling used to estimate u."),
) -> None:
    """Cluster reports of the same person written by different agencies, scripts and spellings."""
    from mpid.linkage.model import DEFAULT_THRESHOLD, deduplicate
    from mpid.linkage.records import ReportFileError, read_reports_csv, write_clusters_csv

    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        logging.getLogger("splink").setLevel(logging.ERROR)  # its training notes are for --verbose
    probability = DEFAULT_THRESHOLD if threshold is None else threshold
    if use_register:
        _dedupe_register(probability, seed, database_url, queue)
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
    if queue is not None:
        from mpid.linkage.review import JsonFileReviewStore, ReviewQueue, candidates_from_predictions

        store = JsonFileReviewStore(queue, dict(zip(result.clusters["record_id"], result.clusters["person_id"],
                                                    strict=True)))
        queued = ReviewQueue(store).propose(candidates_from_predictions(result.pairs, records=records))
        _console.print(f"{queued} uncertain pairs queued for review in {queue}", highlight=False)
    persons = result.clusters["person_id"].nunique()
    _console.print(
        f"{len(records)} reports → {persons} persons ({len(records) - persons} merged) at p ≥ {probability:g} "
        f"in {time.perf_counter() - started:.1f} s; clusters in {out}, model in {model_path}", highlight=False)


def _dedupe_register(threshold: float, seed: int, database_url: str | None, queue: Path | None) -> None:
    """Run on the register's reports and put the candidate pairs in the review queue."""
    try:
        from mpid.services.dedupe import dedupe_register
    except ImportError as error:
        _console.print(f"[red]error:[/red] --register needs the register ({error})", highlight=False)
        raise typer.Exit(2) from None
    with _console.status("deduplicating the register") as status:
        summary = dedupe_register(database_url=database_url, threshold=threshold, seed=seed, queue_path=queue,
                                  progress=lambda message: status.update(message))
    _console.print(str(summary), highlight=False)


review_app = typer.Typer(help="Review the duplicate pairs of a `mpid dedupe --queue` run: accept, reject, undo.",
                         no_args_is_help=True)
_QUEUE = typer.Argument(..., metavar="QUEUE.json",
                        help="Queue written by `mpid dedupe --queue`, or `register` for the register's queue.")
_DATABASE = typer.Option(None, "--database-url", help="For the register's queue (default: $MPID_DATABASE_URL).")
_REGISTER_QUEUE = typer.Option(None, "--register-queue", help="The register's queue file, if not the default.")
_ACTOR = typer.Option(..., "--by", help="Who decides (recorded with the decision).")


@contextmanager
def _open_queue(path: Path, database_url: str | None = None, register_queue: Path | None = None
                ) -> Iterator[ReviewQueue]:
    """The queue of a CSV run (a JSON file), or of the register when path is `register`."""
    from mpid.linkage.review import JsonFileReviewStore, ReviewError, ReviewQueue

    if str(path) == "register":
        from mpid.registry.db import make_engine, session_scope
        from mpid.registry.settings import resolve_database_url
        from mpid.services.dedupe import open_register_queue

        with session_scope(make_engine(resolve_database_url(database_url))) as session:
            yield open_register_queue(session, register_queue)
        return
    try:
        queue = ReviewQueue(JsonFileReviewStore(path))
    except ReviewError as error:
        _console.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(2) from None
    yield queue


def _decide(action: Callable[..., T], *arguments: str) -> T:
    from mpid.linkage.review import ReviewError

    try:
        return action(*arguments)
    except ReviewError as error:
        _console.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(1) from None


@review_app.command("list")
def review_list(queue: Path = _QUEUE, limit: int = typer.Option(20, help="How many pairs to show."),
                database_url: str | None = _DATABASE, register_queue: Path | None = _REGISTER_QUEUE) -> None:
    """Show the open pairs, strongest evidence first, with their fields side by side."""
    from rich.table import Table

    with _open_queue(queue, database_url, register_queue) as review:
        pending = review.pending()
    out = Console(soft_wrap=True)
    for pair in pending[:limit]:
        table = Table(title=f"{pair.pair_id}  weight {pair.match_weight:.1f}  p = {pair.match_probability:.3f}",
                      title_justify="left")
        table.add_column("field")
        table.add_column(pair.record_id_l)
        table.add_column(pair.record_id_r)
        for label, (left, right) in pair.fields.items():
            table.add_row(label, left, right)
        out.print(table)
    out.print(f"{len(pending)} open pairs")


@review_app.command("accept")
def review_accept(queue: Path = _QUEUE, pair_id: str = typer.Argument(...), actor: str = _ACTOR,
                  database_url: str | None = _DATABASE, register_queue: Path | None = _REGISTER_QUEUE) -> None:
    """Merge the two reports' cases (every report kept, undoable)."""
    with _open_queue(queue, database_url, register_queue) as review:
        merge = _decide(review.accept, pair_id, actor)
    Console().print(f"{merge.merge_id}: {merge.absorbed_person_id} merged into {merge.kept_person_id} "
                    f"({len(merge.moved_report_ids)} reports moved)", highlight=False)


@review_app.command("reject")
def review_reject(queue: Path = _QUEUE, pair_id: str = typer.Argument(...), actor: str = _ACTOR,
                  database_url: str | None = _DATABASE, register_queue: Path | None = _REGISTER_QUEUE) -> None:
    """Record that the two reports are different people; the pair is not proposed again."""
    with _open_queue(queue, database_url, register_queue) as review:
        _decide(review.reject, pair_id, actor)
    Console().print(f"{pair_id} rejected", highlight=False)


@review_app.command("undo")
def review_undo(queue: Path = _QUEUE, merge_id: str = typer.Argument(...), actor: str = _ACTOR,
                database_url: str | None = _DATABASE, register_queue: Path | None = _REGISTER_QUEUE) -> None:
    """Reverse a merge: the moved reports return to their case and the pair is open again."""
    with _open_queue(queue, database_url, register_queue) as review:
        merge = _decide(review.undo, merge_id, actor)
    Console().print(f"{merge.merge_id} undone", highlight=False)


@review_app.command("export")
def review_export(queue: Path = _QUEUE, out: Path = typer.Option(..., "--out", "-o", metavar="CLUSTERS.csv")) -> None:
    """Write record_id, person_id as they stand after the decisions."""
    from mpid.linkage.records import write_clusters_csv

    with _open_queue(queue) as review:
        write_clusters_csv(out, review.store.clusters())


def register(app: typer.Typer) -> None:
    """Add `dedupe` and `dedupe-review` to the mpid CLI."""
    app.command("dedupe")(dedupe)
    app.add_typer(review_app, name="dedupe-review")
