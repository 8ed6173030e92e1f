"""Deduplication of the register: the linkage model over every report, the candidates to review.

`mpid dedupe --register` reads the register's reports, scores them with the model of
:mod:`mpid.linkage.model` and puts every candidate pair whose reports are still on different
cases into the review queue (:class:`mpid.linkage.review.ReviewQueue`); nothing is merged until a
case officer accepts. Accepting merges the two cases with the register's own
:func:`mpid.services.intake.merge_duplicate` (every report moves with its provenance and the case
records where it came from); undoing moves the reports back and returns the absorbed case to the
status it had. The register has no table for candidate pairs yet, so the queue's pairs and
decisions are kept in a JSON file beside it (:func:`default_queue_path`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import platformdirs
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mpid.linkage.model import DEFAULT_THRESHOLD, INPUT_COLUMNS, deduplicate, parse_partial_date
from mpid.linkage.review import (
    CandidatePair,
    JsonFileReviewStore,
    Merge,
    ReviewError,
    ReviewQueue,
    candidates_from_predictions,
)
from mpid.registry.db import make_engine, session_scope
from mpid.registry.errors import RegisterError
from mpid.registry.models import CaseStatusEvent, MissingPerson, Report
from mpid.registry.models.enums import CaseStatus, Sex
from mpid.registry.settings import resolve_database_url
from mpid.services.intake import merge_duplicate

__all__ = [
    "DedupeSummary",
    "RegisterReviewStore",
    "dedupe_register",
    "default_queue_path",
    "open_register_queue",
    "register_reports_frame",
    "report_key",
]

log = logging.getLogger(__name__)

_SEX_LABELS = {Sex.MALE: "M", Sex.FEMALE: "F"}


def default_queue_path() -> Path:
    """Where the register's review queue is kept: ``dedupe-review-queue.json`` in the user's data directory."""
    return Path(platformdirs.user_data_dir("mpid", appauthor=False)) / "dedupe-review-queue.json"


def report_key(report: Report) -> str:
    """The record id a register report has in the deduplication (``report-<id>``)."""
    return f"report-{report.id}"


def _report_id(key: str) -> int:
    try:
        return int(key.removeprefix("report-"))
    except ValueError:
        raise ReviewError(f"{key!r} is not a register report") from None


def _split_name(name_original: str, patronymic: str | None) -> tuple[str, str]:
    """Family and given name from the name as registered ("family given patronymic")."""
    name = (name_original or "").strip()
    if patronymic and name.endswith(patronymic.strip()):
        name = name[: -len(patronymic.strip())].strip()
    words = name.split()
    return (words[0], " ".join(words[1:])) if words else ("", "")


def _date_text(original: str | None) -> str:
    """A date as written by the source if the linkage reads it, else empty."""
    if not original:
        return ""
    try:
        parse_partial_date(original)
    except ValueError:
        return ""
    return original.strip()


def register_reports_frame(session: Session) -> pd.DataFrame:
    """Every report of the register as a row of the deduplication input (one per report).

    Family and given name are split from the registered name (first word = family name); the
    date and place of disappearance are those of the report's case.
    """
    rows = []
    reports = session.scalars(select(Report).order_by(Report.id))
    for report in reports:
        case = report.missing_person
        family, given = _split_name(report.name_original, report.patronymic_original)
        missing_date = case.disappeared_on.isoformat() if case.disappeared_on else ""
        rows.append({
            "record_id": report_key(report),
            "source": report.source_agency,
            "family_name": family,
            "given_name": given,
            "patronymic": report.patronymic_original or "",
            "sex": _SEX_LABELS.get(report.sex_reported, ""),
            "birth_date": _date_text(report.birth_date_original),
            "birth_place": str((report.details or {}).get("birth_place") or ""),
            "missing_date": missing_date,
            "missing_place": case.disappearance_place or "",
        })
    return pd.DataFrame(rows, columns=list(INPUT_COLUMNS), dtype=object)


class RegisterReviewStore:
    """A :class:`mpid.linkage.review.ReviewStore` on the register (cases, reports) and a queue file."""

    def __init__(self, session: Session, queue_path: Path | str) -> None:
        self.session = session
        path = Path(queue_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._queue = JsonFileReviewStore(path) if path.exists() else JsonFileReviewStore(path, {})

    def _report(self, key: str) -> Report:
        report = self.session.get(Report, _report_id(key))
        if report is None:
            raise ReviewError(f"no report {key!r} in the register")
        return report

    def _case(self, case_code: str) -> MissingPerson:
        case = self.session.scalars(select(MissingPerson).where(MissingPerson.case_code == case_code)).first()
        if case is None:
            raise ReviewError(f"no case {case_code!r} in the register")
        return case

    def person_of(self, report_id: str) -> str:
        """The case code a report belongs to now."""
        return self._report(report_id).missing_person.case_code

    def reports_of(self, person_id: str) -> list[str]:
        """The report keys of a case."""
        return [report_key(report) for report in self._case(person_id).reports]

    def kept_case(self, person_a: str, person_b: str) -> tuple[str, str]:
        """The case with a reference family survives, else the older one: (kept, absorbed)."""
        case_a, case_b = self._case(person_a), self._case(person_b)
        if (case_b.pedigree_person is not None) > (case_a.pedigree_person is not None) or (
                (case_b.pedigree_person is not None) == (case_a.pedigree_person is not None) and case_b.id < case_a.id):
            case_a, case_b = case_b, case_a
        return case_a.case_code, case_b.case_code

    def merge_cases(self, absorbed: str, kept: str, actor: str, reason: str) -> tuple[str, ...]:
        """Merge with the register's own merge: reports move with their provenance."""
        moved = tuple(self.reports_of(absorbed))
        try:
            merge_duplicate(self.session, self._case(absorbed), self._case(kept), actor=actor, reason=reason)
        except RegisterError as error:  # two pedigrees, a survivor that is itself merged...
            raise ReviewError(str(error)) from None
        return moved

    def split_cases(self, merge: Merge, actor: str) -> None:
        """Move the merge's reports back and give the absorbed case its status before the merge."""
        absorbed, kept = self._case(merge.absorbed_person_id), self._case(merge.kept_person_id)
        for key in merge.moved_report_ids:
            report = self._report(key)
            report.missing_person_id = absorbed.id
            provenance = dict(report.provenance or {})
            provenance.pop("merged_from_case", None)
            report.provenance = provenance
        merged_event = self.session.scalars(
            select(CaseStatusEvent).where(CaseStatusEvent.missing_person_id == absorbed.id,
                                          CaseStatusEvent.to_status == CaseStatus.MERGED_DUPLICATE)
            .order_by(CaseStatusEvent.id.desc())).first()
        previous = merged_event.from_status if merged_event and merged_event.from_status else CaseStatus.REPORTED
        # Undoing a merge is the one way out of merged_duplicate; it is recorded like any move.
        self.session.add(CaseStatusEvent(missing_person_id=absorbed.id, from_status=absorbed.status,
                                         to_status=previous, actor=actor,
                                         reason=f"merge into {kept.case_code} undone in review ({merge.merge_id})"))
        absorbed.status = previous
        absorbed.merged_into_id = None
        self.session.flush()
        self.session.expire(absorbed, ["reports"])
        self.session.expire(kept, ["reports"])

    def get_pair(self, pair_id: str) -> CandidatePair | None:
        """A candidate pair of the queue file."""
        return self._queue.get_pair(pair_id)

    def save_pair(self, pair: CandidatePair) -> None:
        """Store a pair in the queue file."""
        self._queue.save_pair(pair)

    def open_pairs(self) -> list[CandidatePair]:
        """Pairs waiting for a decision."""
        return self._queue.open_pairs()

    def get_merge(self, merge_id: str) -> Merge | None:
        """A merge recorded in the queue file."""
        return self._queue.get_merge(merge_id)

    def save_merge(self, merge: Merge) -> None:
        """Record a merge in the queue file."""
        self._queue.save_merge(merge)


@dataclass(frozen=True, slots=True)
class DedupeSummary:
    """What a run over the register found."""

    reports: int
    persons_found: int
    cases: int
    pairs_queued: int
    pairs_open: int
    queue_path: Path
    threshold: float

    def __str__(self) -> str:
        return (f"{self.reports} reports on {self.cases} cases look like {self.persons_found} persons "
                f"(p ≥ {self.threshold:g}); {self.pairs_queued} new candidate pairs queued, "
                f"{self.pairs_open} open for review in {self.queue_path}")


def dedupe_register(
    engine: Engine | None = None,
    *,
    database_url: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    seed: int = 42,
    queue_path: Path | str | None = None,
    progress: Callable[[str], None] | None = None,
) -> DedupeSummary:
    """Score the register's reports and queue the candidate duplicate pairs for review (no merge)."""
    engine = engine or make_engine(resolve_database_url(database_url))
    path = Path(queue_path) if queue_path is not None else default_queue_path()
    with session_scope(engine) as session:
        frame = register_reports_frame(session)
        cases = len({report.missing_person_id for report in session.scalars(select(Report))})
        if len(frame) < 2:
            queue = ReviewQueue(RegisterReviewStore(session, path))
            return DedupeSummary(len(frame), len(frame), cases, 0, len(queue.pending()), path, threshold)
        result = deduplicate(frame, threshold=threshold, seed=seed, progress=progress)
        queue = ReviewQueue(RegisterReviewStore(session, path))
        queued = queue.propose(candidates_from_predictions(result.pairs, records=frame))
        summary = DedupeSummary(len(frame), int(result.clusters["person_id"].nunique()), cases, queued,
                                len(queue.pending()), path, threshold)
    log.info("%s", summary)
    return summary


def open_register_queue(session: Session, queue_path: Path | str | None = None) -> ReviewQueue:
    """The review queue on the register, for accepting, rejecting and undoing."""
    return ReviewQueue(RegisterReviewStore(session, queue_path or default_queue_path()))

