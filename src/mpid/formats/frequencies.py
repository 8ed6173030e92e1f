"""Allele frequency tables: the layouts published by labs, journals and STRidER.

:func:`parse_frequency_table` returns one :class:`FrequencyTableData` per population in the
file. Loci are folded to canonical names (``Penta_D``/``Penta D``→``PENTA_D``, ``vWA``→``VWA``)
and alleles to canonical strings (``10.0``→``10``). An empty cell means "not observed" and
gives no entry; frequencies are kept as written (no renormalisation, zeros kept) and alleles
are listed in numeric order. Layouts
(``kind``), detected from the content when ``kind="auto"``:

* ``long``: CSV ``marker,allele,frequency`` (optional ``n`` and ``population`` columns), as in
  ``src/mpid/genetics/data``;
* ``wide``: alleles as rows, loci as columns (comma, semicolon or tab; BOM; first header cell
  ``Allele``, ``STR`` or ``Marker``). A row labelled ``N`` gives sample sizes wherever it is;
  an ``Allele`` spacer row and statistic rows (``Hobs``, ``H_obs``, ``Hexp``, ``PI``, ``PPE``,
  ``PD``, ``PIC``, ``HWE``...) are skipped;
* ``stacked``: strvalidator's ``Database, N, Allele, <loci>`` with several databases stacked;
* ``familias``: a marker-name line, then ``allele<TAB>frequency`` lines (norSTR), no N;
* ``strider_csv``: STRidER blocks (marker line; ``Allele,<populations>``; a row with an empty
  first cell holding N; allele rows), one table per population, named after it;
* ``strider_xml``: STRidER XML (``<marker><name>``, ``<origin name n>``, ``<frequency
  allele>``), read with defusedxml; markers without origins are skipped.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

from mpid.formats._common import allele_or_error, locus_or_error, read_text, table_rows
from mpid.formats._xml import XMLNode, load_xml_tree, with_element
from mpid.formats.errors import (
    AlleleParseError,
    BadFrequencyError,
    BadValueError,
    FormatError,
    MalformedFileError,
    MissingColumnError,
)
from mpid.formats.types import FrequencyTableData
from mpid.genetics.alleles import allele_sort_key

__all__ = ["FREQUENCY_TABLE_KINDS", "STATISTIC_ROW_LABELS", "parse_frequency_table"]

FREQUENCY_TABLE_KINDS = ("long", "wide", "stacked", "familias", "strider_csv", "strider_xml")

# First-column labels of summary rows under journal tables; compared case-insensitively
# after removing spaces, dots, hyphens and underscores.
STATISTIC_ROW_LABELS = frozenset({
    "HOBS", "HO", "HEXP", "HE", "H", "HET", "HETEROZYGOSITY", "PI", "TPI", "PPE", "PE", "PD", "DP",
    "PM", "MP", "PIC", "HWE", "HWEP", "P", "PVALUE", "PHWE", "GD", "NA", "TOTAL", "SUM",
})

_ALLELE_HEADERS = ("ALLELE", "STR", "MARKER", "LOCUS", "ALLELES")


def parse_frequency_table(path: str | os.PathLike[str], kind: str = "auto") -> list[FrequencyTableData]:
    """Read an allele frequency file into one table per population (layout detected or given)."""
    source = str(path)
    if kind != "auto" and kind not in FREQUENCY_TABLE_KINDS:
        raise BadValueError(
            source, f"unknown frequency table kind {kind!r}: expected auto, " + ", ".join(FREQUENCY_TABLE_KINDS)
        )
    if kind == "strider_xml":
        tables = _parse_strider_xml(source)
    else:
        text = read_text(source)
        if kind == "auto":
            kind = _detect(source, text)
        if kind == "strider_xml":
            tables = _parse_strider_xml(source)
        else:
            parser: Callable[[str, str], list[FrequencyTableData]] = {
                "long": _parse_long,
                "wide": _parse_wide,
                "stacked": _parse_stacked,
                "familias": _parse_familias_file,
                "strider_csv": _parse_strider_csv,
            }[kind]
            tables = parser(source, text)
    if not tables:
        raise MalformedFileError(source, f"no allele frequencies found (read as {kind})")
    return tables


# ---------------------------------------------------------------- detection and shared helpers


def _rows(source: str, text: str) -> list[tuple[int, list[str]]]:
    return [(n, [c.strip() for c in cells]) for n, cells in table_rows(source, text)]


def _nonblank(rows: list[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    return [(n, cells) for n, cells in rows if any(cells)]


def _label(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch not in " ._-")


def _detect(source: str, text: str) -> str:
    head = text.lstrip()
    if head.startswith("<"):
        return "strider_xml"
    rows = _nonblank(_rows(source, text))
    if not rows:
        raise MalformedFileError(source, "empty file: no frequency table")
    header = [_label(c) for c in rows[0][1]]
    if {"MARKER", "ALLELE", "FREQUENCY"} <= set(header):
        return "long"
    if header[:1] == ["DATABASE"] and "ALLELE" in header:
        return "stacked"
    second = rows[1][1] if len(rows) > 1 else []
    if sum(1 for c in rows[0][1] if c) == 1 and second[:1] and _label(second[0]) == "ALLELE":
        return "strider_csv"
    if header[:1] and header[0] in _ALLELE_HEADERS:
        return "wide"
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and len(lines[0].split("\t")) == 1 and len(lines[1].split()) == 2:
        return "familias"
    raise MalformedFileError(
        source,
        "unrecognised frequency table layout: expected a 'marker,allele,frequency' header, an "
        "'Allele'/'STR' column of alleles, a 'Database' column, STRidER blocks or marker/allele lines",
        line=rows[0][0],
    )


def _frequency(source: str, text: str, *, line: int | None, field: str | None) -> float:
    try:
        value = float(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)
    except ValueError:
        raise BadFrequencyError(source, f"frequency {text!r} is not a number", line=line, field=field) from None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise BadFrequencyError(source, f"frequency {text!r} is not between 0 and 1", line=line, field=field)
    return value


def _sample_size(source: str, text: str, *, line: int | None, field: str | None) -> int | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or value != int(value):
        raise BadFrequencyError(
            source, f"sample size {text!r} is not a whole number", line=line, field=field
        )
    return int(value)


class _TableBuilder:
    """Accumulates frequencies per (population, locus), refusing an allele given twice."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.tables: dict[str, dict[str, dict[str, float]]] = {}
        self.sizes: dict[str, dict[str, int | None]] = {}

    def locus(self, population: str, locus: str, size: int | None = None) -> None:
        self.tables.setdefault(population, {}).setdefault(locus, {})
        sizes = self.sizes.setdefault(population, {})
        if size is not None or locus not in sizes:
            sizes[locus] = size

    def add(self, population: str, locus: str, allele: str, freq: float, *, line: int | None,
            field: str | None) -> None:
        self.locus(population, locus)
        alleles = self.tables[population][locus]
        if allele in alleles:
            raise MalformedFileError(
                self.source, f"allele {allele!r} is given twice at {locus}", line=line, field=field
            )
        alleles[allele] = freq

    def result(self) -> list[FrequencyTableData]:
        """One table per population; markers without any frequency are left out."""
        out = []
        for name, markers in self.tables.items():
            kept = {
                m: dict(sorted(a.items(), key=lambda item: allele_sort_key(item[0])))
                for m, a in markers.items()
                if a
            }
            if not kept:
                continue
            out.append(FrequencyTableData(
                name=name,
                markers=kept,
                sample_sizes={m: self.sizes[name].get(m) for m in kept},
                source_path=self.source,
            ))
        return out


def _table_name(source: str) -> str:
    return Path(source).stem


def _loci_from_header(source: str, line: int, header: list[str], start: int) -> list[tuple[int, str, str]]:
    loci: list[tuple[int, str, str]] = []
    seen: dict[str, str] = {}
    for idx in range(start, len(header)):
        name = header[idx]
        if not name:
            continue
        locus = locus_or_error(source, name, line=line, field=name)
        if locus in seen:
            raise MalformedFileError(
                source, f"locus {name!r} appears twice in the header (also as {seen[locus]!r})", line=line
            )
        seen[locus] = name
        loci.append((idx, name, locus))
    return loci


# ---------------------------------------------------------------- layouts


def _parse_long(source: str, text: str) -> list[FrequencyTableData]:
    rows = _nonblank(_rows(source, text))
    if not rows:
        raise MalformedFileError(source, "empty file: no frequency table")
    line, header = rows[0]
    labels = [_label(c) for c in header]
    idx = {}
    for column in ("MARKER", "ALLELE", "FREQUENCY"):
        if column not in labels:
            raise MissingColumnError(source, f"missing column {column.lower()!r}", line=line)
        idx[column] = labels.index(column)
    n_idx = labels.index("N") if "N" in labels else None
    pop_idx = labels.index("POPULATION") if "POPULATION" in labels else None
    builder = _TableBuilder(source)
    default = _table_name(source)
    for line, cells in rows[1:]:
        def cell(i: int | None, cells: list[str] = cells) -> str:
            return cells[i] if i is not None and i < len(cells) else ""

        population = cell(pop_idx) or default
        locus = locus_or_error(source, cell(idx["MARKER"]), line=line, field=header[idx["MARKER"]])
        freq_text = cell(idx["FREQUENCY"])
        size = _sample_size(source, cell(n_idx), line=line, field="n") if n_idx is not None else None
        builder.locus(population, locus, size)
        if not freq_text:
            continue
        allele = _allele(source, cell(idx["ALLELE"]), line, header[idx["ALLELE"]])
        freq = _frequency(source, freq_text, line=line, field=header[idx["FREQUENCY"]])
        builder.add(population, locus, allele, freq, line=line, field=header[idx["ALLELE"]])
    return builder.result()


def _allele(source: str, text: str, line: int | None, field: str | None) -> str:
    if not text:
        raise AlleleParseError(source, "empty allele", line=line, field=field)
    return allele_or_error(source, text, line=line, field=field)


def _wide_rows(
    source: str, builder: _TableBuilder, population: str, rows: list[tuple[int, list[str]]],
    loci: list[tuple[int, str, str]], label_idx: int,
) -> None:
    """Read allele rows of a wide table; N, spacer and statistic rows are recognised by their label."""
    for _, _, locus in loci:
        builder.locus(population, locus)
    for line, cells in rows:
        label = cells[label_idx] if label_idx < len(cells) else ""
        key = _label(label)
        if key == "N":
            for idx, name, locus in loci:
                size = _sample_size(source, cells[idx] if idx < len(cells) else "", line=line, field=name)
                builder.locus(population, locus, size)
            continue
        if key in ("ALLELE", "ALLELES") or not any(c for i, c in enumerate(cells) if i != label_idx):
            continue
        if key in STATISTIC_ROW_LABELS:
            continue
        allele = _allele(source, label, line, "Allele")
        for idx, name, locus in loci:
            value = cells[idx] if idx < len(cells) else ""
            if value:
                builder.add(population, locus, allele, _frequency(source, value, line=line, field=name),
                            line=line, field=name)


def _parse_wide(source: str, text: str) -> list[FrequencyTableData]:
    rows = _nonblank(_rows(source, text))
    if not rows:
        raise MalformedFileError(source, "empty file: no frequency table")
    line, header = rows[0]
    if _label(header[0]) not in _ALLELE_HEADERS:
        raise MissingColumnError(
            source, f"first column must hold the alleles ('Allele' or 'STR'), found {header[0]!r}", line=line
        )
    loci = _loci_from_header(source, line, header, 1)
    if not loci:
        raise MissingColumnError(source, "no locus columns after the allele column", line=line)
    builder = _TableBuilder(source)
    _wide_rows(source, builder, _table_name(source), rows[1:], loci, 0)
    return builder.result()


def _parse_stacked(source: str, text: str) -> list[FrequencyTableData]:
    rows = _nonblank(_rows(source, text))
    line, header = rows[0]
    labels = [_label(c) for c in header]
    for column in ("DATABASE", "ALLELE"):
        if column not in labels:
            raise MissingColumnError(source, f"missing column {column.title()!r}", line=line)
    db_idx, allele_idx = labels.index("DATABASE"), labels.index("ALLELE")
    n_idx = labels.index("N") if "N" in labels else None
    skip = {db_idx, allele_idx} | ({n_idx} if n_idx is not None else set())
    loci = [entry for entry in _loci_from_header(source, line, header, 0) if entry[0] not in skip]
    builder = _TableBuilder(source)
    for line, cells in rows[1:]:
        name = cells[db_idx] if db_idx < len(cells) else ""
        if not name:
            raise BadValueError(source, "empty database name", line=line, field=header[db_idx])
        size = None
        if n_idx is not None:
            size = _sample_size(source, cells[n_idx] if n_idx < len(cells) else "", line=line, field=header[n_idx])
        for _, _, locus in loci:
            builder.locus(name, locus, size)
        allele = _allele(source, cells[allele_idx] if allele_idx < len(cells) else "", line, header[allele_idx])
        for idx, column, locus in loci:
            value = cells[idx] if idx < len(cells) else ""
            if value:
                builder.add(name, locus, allele, _frequency(source, value, line=line, field=column),
                            line=line, field=column)
    return builder.result()


def _parse_familias_file(source: str, text: str) -> list[FrequencyTableData]:
    builder = _TableBuilder(source)
    name = _table_name(source)
    locus: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            locus = None
            continue
        parts = [p.strip() for p in (line.split("\t") if "\t" in line else line.split())]
        if locus is not None and len(parts) == 2 and _is_number(parts[1]):
            allele = _allele(source, parts[0], number, "allele")
            freq = _frequency(source, parts[1], line=number, field="frequency")
            builder.add(name, locus, allele, freq, line=number, field="allele")
            continue
        if "\t" in line:
            raise MalformedFileError(source, f"expected 'allele<TAB>frequency', found {line!r}", line=number)
        locus = locus_or_error(source, line, line=number, field="marker")
        if locus in builder.tables.get(name, {}):
            raise MalformedFileError(source, f"marker {line!r} appears twice", line=number)
        builder.locus(name, locus)
    return builder.result()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _parse_strider_csv(source: str, text: str) -> list[FrequencyTableData]:
    rows = _rows(source, text)
    builder = _TableBuilder(source)
    i = 0
    while i < len(rows):
        line, cells = rows[i]
        if not any(cells):
            i += 1
            continue
        marker_name = cells[0]
        if sum(1 for c in cells if c) != 1 or not marker_name:
            raise MalformedFileError(
                source, f"expected a marker name line starting a STRidER block, found {','.join(cells)!r}",
                line=line,
            )
        locus = locus_or_error(source, marker_name, line=line, field="marker")
        i += 1
        while i < len(rows) and not any(rows[i][1]):
            i += 1
        if i >= len(rows) or _label(rows[i][1][0]) != "ALLELE":
            raise MalformedFileError(
                source, f"marker {marker_name} is not followed by an 'Allele,<populations>' line",
                line=rows[i][0] if i < len(rows) else line,
            )
        header = rows[i][1]
        populations = [(k, p) for k, p in enumerate(header) if k > 0 and p]
        i += 1
        block: list[tuple[int, list[str]]] = []
        while i < len(rows):
            row_line, row = rows[i]
            if any(row) and row[0] and sum(1 for c in row if c) == 1 and i + 1 < len(rows) and \
                    _next_is_allele_header(rows, i + 1):
                break
            if any(row):
                block.append((row_line, row))
            i += 1
        for line_no, row in block:
            if row[0] == "":
                for k, population in populations:
                    size = _sample_size(source, row[k] if k < len(row) else "", line=line_no, field=population)
                    builder.locus(population, locus, size)
                continue
            if sum(1 for c in row if c) == 1 and not _is_number(row[0]):
                raise MalformedFileError(
                    source, f"marker {row[0]} is not followed by an 'Allele,<populations>' line", line=line_no
                )
            allele = _allele(source, row[0], line_no, "Allele")
            for k, population in populations:
                value = row[k] if k < len(row) else ""
                if value:
                    builder.add(population, locus, allele, _frequency(source, value, line=line_no,
                                                                      field=population),
                                line=line_no, field=population)
    return builder.result()


def _next_is_allele_header(rows: list[tuple[int, list[str]]], j: int) -> bool:
    while j < len(rows) and not any(rows[j][1]):
        j += 1
    return j < len(rows) and _label(rows[j][1][0]) == "ALLELE"


def _parse_strider_xml(source: str) -> list[FrequencyTableData]:
    root = load_xml_tree(source)
    if root.tag != "frequencies":
        raise MalformedFileError(
            source, f"root element is {root.tag}, expected frequencies", line=root.line, element=root.path
        )
    builder = _TableBuilder(source)
    for marker in root.all("marker"):
        name_node = marker.first("name")
        if name_node is None or not name_node.text:
            raise MalformedFileError(source, "marker without a name", line=marker.line, element=marker.path)
        origins = marker.all("origin")
        if not origins:
            continue
        try:
            locus = locus_or_error(source, name_node.text)
        except FormatError as exc:
            raise with_element(name_node, exc) from None
        for origin in origins:
            _strider_origin(source, builder, locus, origin)
    return builder.result()


def _strider_origin(source: str, builder: _TableBuilder, locus: str, origin: XMLNode) -> None:
    population = origin.attrs.get("name", "").strip()
    if not population:
        raise MalformedFileError(source, "origin without a name attribute", line=origin.line, element=origin.path)
    try:
        size = _sample_size(source, origin.attrs.get("n", "").strip(), line=None, field="n")
    except FormatError as exc:
        raise with_element(origin, exc) from None
    builder.locus(population, locus, size)
    for node in origin.all("frequency"):
        try:
            allele_text = node.attrs.get("allele", "").strip()
            if not allele_text:
                raise AlleleParseError(source, "frequency without an allele attribute")
            allele = allele_or_error(source, allele_text, field="allele")
            freq = _frequency(source, node.text, line=None, field=None)
            builder.add(population, locus, allele, freq, line=None, field=None)
        except FormatError as exc:
            raise with_element(node, exc) from None
