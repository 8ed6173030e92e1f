"""The review queue: a case officer accepts or rejects the duplicate pairs the model proposes.

The model (:mod:`mpid.linkage.model`) only proposes; a person decides. Accepting a pair
merges the two missing-person cases: every report of the absorbed case moves to the kept
case and keeps its own source, date and reporter, so the merge loses no provenance and can
be undone. Rejecting a pair records that the two reports are different people, and the pair
is never proposed again. The service works over a small storage protocol
(:class:`ReviewStore`) so the same logic serves the register database and the in-memory store
used by the command line and the tests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import pandas as pd

__all__ = [
    "CandidatePair",
    "InMemoryReviewStore",
    "JsonFileReviewStore",
    "Merge",
    "PairStatus",
    "ReviewError",
    "ReviewQueue",
    "ReviewStore",
    "candidates_from_predictions",
    "pair_key",
]

logger = logging.getLogger(__name__)

# Fields shown side by side: (label, column of the prepared record in Splink's output).
SIDE_BY_SIDE = (
    ("family name", "fam_key"), ("given name", "given_key"), ("patronymic", "pat_key"), ("sex", "sex"),
    ("birth year", "b_year"), ("birth month", "b_month"), ("birth day", "b_day"), ("birth place", "bp_key"),
    ("missing year", "m_year"), ("missing place", "mp_key"), ("source", "source"),
)


# The report fields as written, shown side by side when the input reports are at hand.
ORIGINAL_FIELDS = ("source", "family_name", "given_name", "patronymic", "sex", "birth_date", "birth_place",
                   "missing_date", "missing_place")


class PairStatus:
    """Where a candidate pair stands."""

    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class ReviewError(ValueError):
    """A decision that cannot be taken (unknown pair, already decided, merge already undone...)."""


def pair_key(record_a: str, record_b: str) -> str:
    """Stable identifier of an unordered pair of reports."""
    low, high = sorted((record_a, record_b))
    return "pair-" + hashlib.sha1(f"{low}\x1f{high}".encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class CandidatePair:
    """Two reports the model thinks may be one person, with the evidence side by side."""

    pair_id: str
    record_id_l: str
    record_id_r: str
    match_weight: float
    match_probability: float
    fields: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    status: str = PairStatus.OPEN
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    merge_id: str | None = None


@dataclass(frozen=True, slots=True)
class Merge:
    """One accepted merge: which reports moved from which case to which, by whom, and if undone."""

    merge_id: str
    pair_id: str
    kept_person_id: str
    absorbed_person_id: str
    moved_report_ids: tuple[str, ...]
    decided_by: str
    decided_at: dt.datetime
    undone_by: str | None = None
    undone_at: dt.datetime | None = None


class ReviewStore(Protocol):
    """What the review queue needs from storage (the register, or memory)."""

    def person_of(self, report_id: str) -> str:
        """The missing-person case a report belongs to now."""
        ...

    def reports_of(self, person_id: str) -> list[str]:
        """The reports of a case."""
        ...

    def kept_case(self, person_a: str, person_b: str) -> tuple[str, str]:
        """Which of two cases survives a merge and which is absorbed: (kept, absorbed)."""
        ...

    def merge_cases(self, absorbed: str, kept: str, actor: str, reason: str) -> tuple[str, ...]:
        """Move every report of case ``absorbed`` to case ``kept``; return the moved report ids.

        The reports keep their own source and provenance; the store records where they came from.
        """
        ...

    def split_cases(self, merge: Merge, actor: str) -> None:
        """Undo a merge: the reports it moved go back to the absorbed case."""
        ...

    def get_pair(self, pair_id: str) -> CandidatePair | None:
        """A candidate pair by id, or None."""
        ...

    def save_pair(self, pair: CandidatePair) -> None:
        """Insert or replace a candidate pair."""
        ...

    def open_pairs(self) -> list[CandidatePair]:
        """Every pair still waiting for a decision."""
        ...

    def get_merge(self, merge_id: str) -> Merge | None:
        """A merge by id, or None."""
        ...

    def save_merge(self, merge: Merge) -> None:
        """Insert or replace a merge."""
        ...


class InMemoryReviewStore:
    """A :class:`ReviewStore` in dictionaries: for the command line on CSV files and for tests."""

    def __init__(self, person_of_report: Mapping[str, str]) -> None:
        self._person_of = dict(person_of_report)
        self._pairs: dict[str, CandidatePair] = {}
        self._merges: dict[str, Merge] = {}

    def person_of(self, report_id: str) -> str:
        """The case a report belongs to."""
        try:
            return self._person_of[report_id]
        except KeyError:
            raise ReviewError(f"unknown report {report_id!r}") from None

    def reports_of(self, person_id: str) -> list[str]:
        """The reports of a case, sorted."""
        return sorted(r for r, p in self._person_of.items() if p == person_id)

    def kept_case(self, person_a: str, person_b: str) -> tuple[str, str]:
        """The case with the smaller id is kept."""
        low, high = sorted((person_a, person_b))
        return low, high

    def merge_cases(self, absorbed: str, kept: str, actor: str, reason: str) -> tuple[str, ...]:
        """Move the reports of one case to another."""
        moved = tuple(self.reports_of(absorbed))
        for report_id in moved:
            self._person_of[report_id] = kept
        return moved

    def split_cases(self, merge: Merge, actor: str) -> None:
        """Move a merge's reports back."""
        for report_id in merge.moved_report_ids:
            self._person_of[report_id] = merge.absorbed_person_id

    def get_pair(self, pair_id: str) -> CandidatePair | None:
        """A pair by id."""
        return self._pairs.get(pair_id)

    def save_pair(self, pair: CandidatePair) -> None:
        """Store a pair."""
        self._pairs[pair.pair_id] = pair

    def open_pairs(self) -> list[CandidatePair]:
        """Pairs waiting for a decision."""
        return [p for p in self._pairs.values() if p.status == PairStatus.OPEN]

    def get_merge(self, merge_id: str) -> Merge | None:
        """A merge by id."""
        return self._merges.get(merge_id)

    def save_merge(self, merge: Merge) -> None:
        """Store a merge."""
        self._merges[merge.merge_id] = merge


def _time_text(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _time_value(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


class JsonFileReviewStore(InMemoryReviewStore):
    """A :class:`ReviewStore` kept in one JSON file: the queue of a CSV run (``mpid dedupe --queue``).

    Every change is written back at once (to a temporary file, then renamed), so an officer's
    decisions survive between commands.
    """

    def __init__(self, path: Path | str, person_of_report: Mapping[str, str] | None = None) -> None:
        self.path = Path(path)
        if person_of_report is not None:
            super().__init__(person_of_report)
            self._save()
            return
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            super().__init__(document["person_of_report"])
            for item in document["pairs"]:
                pair = CandidatePair(**{**item, "fields": {k: tuple(v) for k, v in item["fields"].items()},
                                        "decided_at": _time_value(item["decided_at"])})
                self._pairs[pair.pair_id] = pair
            for item in document["merges"]:
                merge = Merge(**{**item, "moved_report_ids": tuple(item["moved_report_ids"]),
                                 "decided_at": _time_value(item["decided_at"]),
                                 "undone_at": _time_value(item["undone_at"])})
                self._merges[merge.merge_id] = merge
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ReviewError(f"{self.path}: not a review queue file ({error})") from None

    def _save(self) -> None:
        document = {
            "person_of_report": self._person_of,
            "pairs": [{**{name: getattr(p, name) for name in CandidatePair.__slots__},
                       "fields": {k: list(v) for k, v in p.fields.items()},
                       "decided_at": _time_text(p.decided_at)} for p in self._pairs.values()],
            "merges": [{**{name: getattr(m, name) for name in Merge.__slots__},
                        "moved_report_ids": list(m.moved_report_ids), "decided_at": _time_text(m.decided_at),
                        "undone_at": _time_text(m.undone_at)} for m in self._merges.values()],
        }
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(temporary, self.path)

    def merge_cases(self, absorbed: str, kept: str, actor: str, reason: str) -> tuple[str, ...]:
        """Move the reports of one case to another and save."""
        moved = super().merge_cases(absorbed, kept, actor, reason)
        self._save()
        return moved

    def split_cases(self, merge: Merge, actor: str) -> None:
        """Move a merge's reports back and save."""
        super().split_cases(merge, actor)
        self._save()

    def save_pair(self, pair: CandidatePair) -> None:
        """Store a pair and save."""
        super().save_pair(pair)
        self._save()

    def save_merge(self, merge: Merge) -> None:
        """Store a merge and save."""
        super().save_merge(merge)
        self._save()

    def clusters(self) -> list[tuple[str, str]]:
        """(record_id, person_id) for every report, in the order they were loaded."""
        return list(self._person_of.items())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def candidates_from_predictions(pairs: pd.DataFrame, *, floor: float = 0.2,
                                records: pd.DataFrame | None = None) -> list[CandidatePair]:
    """Candidate pairs from the model's scored pairs (``DedupeResult.pairs``) at or above floor.

    With ``records`` (the input reports) the fields side by side are the reports as the agencies
    wrote them; without, the normalised keys the model compared.
    """
    originals: dict[str, dict[str, object]] = {}
    if records is not None:
        originals = {str(row["record_id"]): row for row in records.to_dict("records")}
    candidates = []
    for row in pairs.loc[pairs["match_probability"] >= floor].to_dict("records"):
        left, right = str(row["record_id_l"]), str(row["record_id_r"])
        if left in originals and right in originals:
            fields = {column.replace("_", " "): (_text(originals[left].get(column)),
                                                 _text(originals[right].get(column)))
                      for column in ORIGINAL_FIELDS}
        else:
            fields = {label: (_text(row.get(f"{column}_l")), _text(row.get(f"{column}_r")))
                      for label, column in SIDE_BY_SIDE if f"{column}_l" in row}
        candidates.append(CandidatePair(pair_key(left, right), left, right, float(row["match_weight"]),
                                        float(row["match_probability"]), fields))
    return candidates


class ReviewQueue:
    """Propose, accept (merge), reject and undo, over a :class:`ReviewStore`."""

    def __init__(self, store: ReviewStore) -> None:
        self.store = store

    def propose(self, candidates: Iterable[CandidatePair]) -> int:
        """Queue new candidate pairs; skip those already decided or already in one case. Returns the count."""
        added = 0
        for candidate in candidates:
            existing = self.store.get_pair(candidate.pair_id)
            if existing is not None:
                if existing.status == PairStatus.OPEN:
                    self.store.save_pair(replace(existing, match_weight=candidate.match_weight,
                                                 match_probability=candidate.match_probability,
                                                 fields=candidate.fields))
                continue  # decided pairs (a rejection above all) are never proposed again
            if self.store.person_of(candidate.record_id_l) == self.store.person_of(candidate.record_id_r):
                continue
            self.store.save_pair(candidate)
            added += 1
        logger.info("%d candidate pairs queued for review", added)
        return added

    def pending(self, limit: int | None = None) -> list[CandidatePair]:
        """Open pairs, strongest evidence first, skipping pairs whose reports are already one case."""
        open_pairs = [p for p in self.store.open_pairs()
                      if self.store.person_of(p.record_id_l) != self.store.person_of(p.record_id_r)]
        open_pairs.sort(key=lambda p: (-p.match_weight, p.pair_id))
        return open_pairs[:limit] if limit is not None else open_pairs

    def _open_pair(self, pair_id: str) -> CandidatePair:
        pair = self.store.get_pair(pair_id)
        if pair is None:
            raise ReviewError(f"no candidate pair {pair_id!r}")
        if pair.status != PairStatus.OPEN:
            raise ReviewError(f"pair {pair_id!r} was already {pair.status}")
        return pair

    def accept(self, pair_id: str, actor: str) -> Merge:
        """Merge the two reports' cases: the store chooses the kept case, which receives every report."""
        pair = self._open_pair(pair_id)
        person_l = self.store.person_of(pair.record_id_l)
        person_r = self.store.person_of(pair.record_id_r)
        if person_l == person_r:
            raise ReviewError(f"the reports of {pair_id!r} are already one case ({person_l})")
        kept, absorbed = self.store.kept_case(person_l, person_r)
        at = _now()
        moved = self.store.merge_cases(absorbed, kept, actor,
                                       f"duplicate accepted in review ({pair_id}, weight {pair.match_weight:.1f})")
        merge = Merge("merge-" + hashlib.sha1(f"{pair_id}{at.isoformat()}".encode()).hexdigest()[:16], pair_id,
                      kept, absorbed, moved, actor, at)
        self.store.save_merge(merge)
        self.store.save_pair(replace(pair, status=PairStatus.ACCEPTED, decided_by=actor, decided_at=at,
                                     merge_id=merge.merge_id))
        logger.info("%s merged %s into %s (%d reports) accepting %s", actor, absorbed, kept, len(moved), pair_id)
        return merge

    def reject(self, pair_id: str, actor: str) -> CandidatePair:
        """Record that the two reports are different people; the pair will not be proposed again."""
        pair = self._open_pair(pair_id)
        decided = replace(pair, status=PairStatus.REJECTED, decided_by=actor, decided_at=_now())
        self.store.save_pair(decided)
        logger.info("%s rejected %s", actor, pair_id)
        return decided

    def undo(self, merge_id: str, actor: str) -> Merge:
        """Reverse a merge: the moved reports go back to their case and the pair is open again."""
        merge = self.store.get_merge(merge_id)
        if merge is None:
            raise ReviewError(f"no merge {merge_id!r}")
        if merge.undone_at is not None:
            raise ReviewError(f"merge {merge_id!r} was already undone")
        self.store.split_cases(merge, actor)
        undone = replace(merge, undone_by=actor, undone_at=_now())
        self.store.save_merge(undone)
        pair = self.store.get_pair(merge.pair_id)
        if pair is not None:
            self.store.save_pair(replace(pair, status=PairStatus.OPEN, decided_by=None, decided_at=None,
                                         merge_id=None))
        logger.info("%s undid merge %s", actor, merge_id)
        return undone
