"""Helpers shared by the importers: reading text files, locus and allele checks, genotype rules."""

from __future__ import annotations

import csv
import functools
import io
import os
import re
from collections.abc import Iterable
from pathlib import Path

from mpid.formats.errors import AlleleParseError, BadValueError, EmptyLocusError, FormatError, MalformedFileError
from mpid.formats.types import Genotype, SingleAlleleRule
from mpid.genetics.alleles import AlleleError, allele_sort_key, canonical_locus, parse_allele

__all__ = [
    "IGNORED_ALLELE_TEXTS",
    "check_single_allele_rule",
    "locus_or_error",
    "make_genotype",
    "read_text",
    "allele_or_error",
    "table_rows",
]

# Cells that mean "nothing called" in lab exports.
IGNORED_ALLELE_TEXTS = frozenset({"", "?", "NA", "N/A", "NAN", "-"})


def read_text(path: str | os.PathLike[str], encoding: str | None = None) -> str:
    """Read a text file: UTF-8 (BOM or not), UTF-16 with BOM, else cp1251 or cp1252 by a heuristic.

    Legacy files are guessed: when most non-ASCII bytes stand next to other non-ASCII bytes
    (whole words, as in Russian text) the file is read as cp1251, otherwise as cp1252 (Latin
    text with an accented letter here and there). Pass ``encoding`` to skip the guess.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FormatError(str(path), f"cannot read file: {exc.strerror or exc}") from None
    if encoding is not None:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise FormatError(str(path), f"cannot decode file as {encoding}: {exc}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise FormatError(str(path), "file starts with a UTF-16 BOM but is not UTF-16 text") from None
    if b"\x00" in data:
        raise FormatError(str(path), "binary file: contains NUL bytes, expected text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    high = [i for i, byte in enumerate(data) if byte >= 0x80]
    paired = sum(1 for i in high if (i > 0 and data[i - 1] >= 0x80) or (i + 1 < len(data) and data[i + 1] >= 0x80))
    codec = "cp1251" if high and paired / len(high) > 0.5 else "cp1252"
    return data.decode(codec, errors="replace")


def table_rows(source: str, text: str) -> list[tuple[int, list[str]]]:
    """Split delimited text into (line number, cells); tab, semicolon or comma from the first line.

    Tab-delimited text (lab exports) is split on tabs only, with quotes around a whole cell
    removed: a stray quote in a sample name cannot swallow the following lines. Comma and
    semicolon files follow CSV quoting (STRidER quotes names such as ``"Penta D"``).
    """
    first = next((line for line in text.split("\n") if line.strip()), "")
    if "\t" in first:
        rows = []
        for number, line in enumerate(text.split("\n"), start=1):
            cells = line.removesuffix("\r").split("\t")
            rows.append((number, [_unquote_cell(c) for c in cells]))
        return rows
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        start = 1
        for cells in reader:
            rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise MalformedFileError(source, f"unreadable table: {exc}", line=reader.line_num) from None
    return rows


def _unquote_cell(cell: str) -> str:
    if len(cell) >= 2 and cell[0] == '"' and cell[-1] == '"':
        return cell[1:-1].replace('""', '"')
    return cell


def check_single_allele_rule(path: str, single_allele: str) -> None:
    """Refuse an unknown ``single_allele`` argument early, naming the allowed values."""
    if single_allele not in ("homozygote", "partial"):
        raise BadValueError(
            path, f"single_allele must be 'homozygote' or 'partial', not {single_allele!r}"
        )


@functools.lru_cache(maxsize=8192)
def _canonical_locus_or_none(name: str) -> str | None:
    try:
        return canonical_locus(name)
    except AlleleError:
        return None


def locus_or_error(path: str, name: str, *, line: int | None = None, element: str | None = None,
                   field: str | None = None) -> str:
    """Canonical locus name, or an :class:`EmptyLocusError` naming where the empty name was."""
    locus = _canonical_locus_or_none(name)
    if locus is None:
        raise EmptyLocusError(path, "empty locus name", line=line, element=element, field=field)
    return locus


_ALLELE_SHAPE = re.compile(r"^\s*(?:[<>]\s*)?\d{1,4}(?:\.\d+)?\s*$")
_ALLELE_WORDS = frozenset({"X", "Y", "OL", "OFF-LADDER"})


@functools.lru_cache(maxsize=8192)
def _allele_or_problem(text: str) -> tuple[str | None, str]:
    """(canonical allele, "") or (None, what is wrong); cached because lab files repeat alleles."""
    if not (_ALLELE_SHAPE.match(text) or text.strip().upper() in _ALLELE_WORDS):
        return None, "is not a valid allele call"
    try:
        return parse_allele(text), ""
    except ValueError as exc:  # AlleleError is a ValueError
        if str(exc).startswith("microvariant with more than one decimal"):
            return None, "has more than one decimal"
        return None, "is not a valid allele call"


def allele_or_error(path: str, text: str, *, line: int | None = None, element: str | None = None,
                    field: str | None = None) -> str:
    """Canonical allele string, or an :class:`AlleleParseError` quoting the value.

    Only plain repeat numbers (up to 4 digits, optional decimals, optional ``<``/``>``) and
    ``X``, ``Y``, ``OL`` are accepted: exponents (``1e3``), ``inf`` and ``nan`` are refused.
    """
    allele, problem = _allele_or_problem(text)
    if allele is not None:
        return allele
    shown = text.strip()
    if len(shown) > 40:
        shown = shown[:37] + "..."
    raise AlleleParseError(path, f"allele {shown!r} {problem}", line=line, element=element, field=field)


def make_genotype(alleles: Iterable[str], single_allele: SingleAlleleRule) -> Genotype:
    """Apply the homozygote rule (see :mod:`mpid.formats.types`) to the calls seen at one locus."""
    calls = list(alleles)
    if len(calls) == 2 and calls[0] != calls[1]:  # the common case, no set needed
        return tuple(sorted(calls, key=allele_sort_key))
    distinct = sorted(set(calls), key=allele_sort_key)
    if not distinct:
        return ()
    if len(distinct) == 1:
        # Written twice: the lab called a homozygote. Written once: the rule decides.
        if len(calls) > 1 or single_allele == "homozygote":
            return (distinct[0], distinct[0])
        return (distinct[0], None)
    return tuple(distinct)
