"""GeneMapper / GeneMapper ID-X genotype tables: import and export.

Two layouts are read, detected from the header:

* **long** (the usual "Genotypes table" export): one row per sample × marker, with a sample
  column (``Sample Name``, ``Sample.Name``), a ``Marker`` column and ``Allele 1..n`` columns.
  Space, dot, underscore or no separator before the number are all accepted (``Allele 1``,
  ``Allele.1``, ``Allele_1``, ``Allele1``), as R's ``read.table`` rewrites headers with dots.
  Other columns (``Size``, ``Height``, ``Dye``, ``ADO``, ``Remark``...) are ignored.
* **wide**: one row per sample, ``Sample File, Sample Name`` followed by ``<marker>, Height``
  column pairs whose cells are comma-separated lists (``12, 13, 14, , , ``).

Cells ``""``, ``?``, ``NA``, ``N/A`` and ``-`` mean "no call" and are skipped; ``OL`` is kept as
``"OL"``. Tab is the delimiter when the header holds one, else comma or semicolon. CRLF, a
UTF-8 or UTF-16 BOM and a missing final newline are fine. Allelic ladders, positive and
negative controls are returned like any sample (a negative control has no loci); the caller
decides what to keep. When a sample shows the same marker twice (a second injection further
down the file), the second set of rows becomes a second record with the same ``sample_id``.
The homozygote rule is the one described in :mod:`mpid.formats.types`.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mpid.formats._common import (
    IGNORED_ALLELE_TEXTS,
    allele_or_error,
    check_single_allele_rule,
    locus_or_error,
    make_genotype,
    read_text,
    table_rows,
)
from mpid.formats.errors import BadValueError, EmptyLocusError, MalformedFileError, MissingColumnError
from mpid.formats.types import Genotype, ProfileRecord, SingleAlleleRule
from mpid.genetics.alleles import display_locus

__all__ = ["parse_genemapper", "write_genemapper"]

_SAMPLE_HEADERS = ("sample name", "sample.name", "sample_name", "samplename", "sample", "sample id")
_MARKER_HEADERS = ("marker", "locus", "marker name")
_KIT_HEADERS = ("panel", "kit")
_RUN_HEADERS = ("run name", "run.name", "run")
_WIDE_NON_MARKER = frozenset({"", "sample file", "panel", "run name", "comment"})


def parse_genemapper(
    path: str | os.PathLike[str],
    *,
    sample_column: str | None = None,
    marker_column: str | None = None,
    allele_prefix: str | None = None,
    single_allele: SingleAlleleRule = "homozygote",
) -> list[ProfileRecord]:
    """Read a GeneMapper genotype table (long or wide layout) into one record per sample."""
    source = str(path)
    check_single_allele_rule(source, single_allele)
    rows = _read_rows(source)
    if not rows:
        raise MalformedFileError(source, "empty file: no header line")
    header_line, header = rows[0]
    names = [h.strip() for h in header]
    lowered = [h.lower() for h in names]

    sample_idx = _find_column(source, header_line, names, lowered, sample_column, _SAMPLE_HEADERS, "sample")
    if marker_column is None and not any(h in _MARKER_HEADERS for h in lowered) and "height" in lowered:
        return _parse_wide(source, rows, names, sample_idx, single_allele)
    marker_idx = _find_column(source, header_line, names, lowered, marker_column, _MARKER_HEADERS, "marker")
    allele_cols = _allele_columns(names, allele_prefix)
    if not allele_cols:
        prefix = allele_prefix or "Allele"
        raise MissingColumnError(
            source, f"no allele columns: expected '{prefix} 1', '{prefix}.1' or '{prefix}1'", line=header_line
        )
    kit_idx = _optional_column(lowered, _KIT_HEADERS)
    run_idx = _optional_column(lowered, _RUN_HEADERS)

    builder = _RecordBuilder(source, single_allele)
    for line, cells in rows[1:]:
        if not any(c.strip() for c in cells):
            continue
        sample = _cell(cells, sample_idx)
        marker = _cell(cells, marker_idx)
        calls: list[str] = []
        for col, label in allele_cols:
            text = _cell(cells, col)
            if text.upper() in IGNORED_ALLELE_TEXTS:
                continue
            calls.append(allele_or_error(source, text, line=line, field=label))
        if not sample:
            raise BadValueError(source, "empty sample name", line=line, field=names[sample_idx])
        if not marker:
            if calls:
                raise EmptyLocusError(source, "empty marker name", line=line, field=names[marker_idx])
            continue
        locus = locus_or_error(source, marker, line=line, field=names[marker_idx])
        builder.add(sample, locus, calls, line, kit=_cell(cells, kit_idx), run=_cell(cells, run_idx))
    return builder.records()


def write_genemapper(
    records: Iterable[ProfileRecord], path: str | os.PathLike[str], *, with_kit_and_run: bool = False
) -> None:
    """Write records as a tab-delimited ``Sample Name, Marker, Allele 1..n`` table (LF line ends).

    ``with_kit_and_run=True`` adds ``Panel`` and ``Run Name`` columns from ``kit`` and ``run``.
    """
    records = list(records)
    width = max([2] + [len(g) for r in records for g in r.loci.values()])
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    extra = ["Panel", "Run Name"] if with_kit_and_run else []
    writer.writerow(["Sample Name", "Marker"] + [f"Allele {i}" for i in range(1, width + 1)] + extra)
    for record in records:
        if not record.sample_id.strip() or any(ch in record.sample_id for ch in "\t\r\n"):
            raise BadValueError(str(path), f"sample_id {record.sample_id!r} is empty or holds a tab or line break")
        tail = [record.kit or "", record.run or ""] if with_kit_and_run else []
        for locus, genotype in record.loci.items():
            cells = [a if a is not None else "" for a in genotype]
            writer.writerow([record.sample_id, display_locus(locus)] + cells + [""] * (width - len(cells)) + tail)
    Path(path).write_text(out.getvalue(), encoding="utf-8", newline="")


@dataclass
class _Occurrence:
    """The calls of one sample seen so far (one injection)."""

    kit: str | None
    run: str | None
    loci: dict[str, Genotype] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)


class _RecordBuilder:
    """Collects calls per sample, starting a new record when a sample repeats a marker."""

    def __init__(self, source: str, single_allele: SingleAlleleRule) -> None:
        self.source = source
        self.single_allele = single_allele
        self.order: list[tuple[str, int]] = []
        self.by_sample: dict[str, list[_Occurrence]] = {}

    def add(
        self, sample: str, locus: str, calls: list[str], line: int, *, kit: str = "", run: str = ""
    ) -> None:
        occurrences = self.by_sample.setdefault(sample, [])
        target = next((occ for occ in occurrences if locus not in occ.seen), None)
        if target is None:
            target = _Occurrence(kit or None, run or None)
            occurrences.append(target)
            self.order.append((sample, len(occurrences) - 1))
        target.seen.add(locus)
        genotype = make_genotype(calls, self.single_allele)
        if genotype:
            target.loci[locus] = genotype
            target.lines[locus] = line

    def records(self) -> list[ProfileRecord]:
        result = []
        for sample, k in self.order:
            occ = self.by_sample[sample][k]
            result.append(ProfileRecord(
                sample_id=sample, loci=occ.loci, source_path=self.source, source_lines=occ.lines,
                kit=occ.kit, run=occ.run,
            ))
        return result


def _read_rows(source: str) -> list[tuple[int, list[str]]]:
    rows = table_rows(source, read_text(source))
    while rows and not any(c.strip() for c in rows[0][1]):
        rows.pop(0)
    return rows


def _find_column(
    source: str, line: int, names: list[str], lowered: list[str], wanted: str | None,
    defaults: tuple[str, ...], what: str,
) -> int:
    if wanted is not None:
        if wanted.strip().lower() in lowered:
            return lowered.index(wanted.strip().lower())
        raise MissingColumnError(source, f"missing {what} column {wanted!r}", line=line)
    for candidate in defaults:
        if candidate in lowered:
            return lowered.index(candidate)
    raise MissingColumnError(
        source, f"missing {what} column: expected one of " + ", ".join(repr(d.title()) for d in defaults[:2]),
        line=line,
    )


def _optional_column(lowered: list[str], candidates: tuple[str, ...]) -> int | None:
    for candidate in candidates:
        if candidate in lowered:
            return lowered.index(candidate)
    return None


def _allele_columns(names: list[str], prefix: str | None) -> list[tuple[int, str]]:
    pattern = re.compile(rf"^{re.escape(prefix or 'Allele')}[\s._]?(\d+)$", re.IGNORECASE)
    found = []
    for idx, name in enumerate(names):
        m = pattern.match(name)
        if m:
            found.append((int(m.group(1)), idx, name))
    return [(idx, name) for _, idx, name in sorted(found)]


def _cell(cells: list[str], idx: int | None) -> str:
    if idx is None or idx >= len(cells):
        return ""
    return cells[idx].strip()


def _parse_wide(
    source: str, rows: list[tuple[int, list[str]]], names: list[str], sample_idx: int,
    single_allele: SingleAlleleRule,
) -> list[ProfileRecord]:
    header_line = rows[0][0]
    marker_cols: list[tuple[int, str, str]] = []
    for idx, name in enumerate(names):
        if idx == sample_idx or name.lower() in _WIDE_NON_MARKER or name.lower().startswith("height"):
            continue
        marker_cols.append((idx, name, locus_or_error(source, name, line=header_line, field=name)))
    if not marker_cols:
        raise MissingColumnError(
            source, "no marker columns in the one-row-per-sample layout", line=header_line
        )
    builder = _RecordBuilder(source, single_allele)
    for line, cells in rows[1:]:
        if not any(c.strip() for c in cells):
            continue
        sample = _cell(cells, sample_idx)
        if not sample:
            raise BadValueError(source, "empty sample name", line=line, field=names[sample_idx])
        for idx, name, locus in marker_cols:
            calls = [
                allele_or_error(source, part, line=line, field=name)
                for part in (p.strip() for p in _cell(cells, idx).split(","))
                if part.upper() not in IGNORED_ALLELE_TEXTS
            ]
            builder.add(sample, locus, calls, line)
    return builder.records()
