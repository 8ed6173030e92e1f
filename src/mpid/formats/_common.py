"""Helpers shared by the importers: reading text files, locus and allele checks, genotype rules."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from mpid.formats.errors import AlleleParseError, BadValueError, EmptyLocusError, FormatError
from mpid.formats.types import Genotype, SingleAlleleRule
from mpid.genetics.alleles import AlleleError, allele_sort_key, canonical_locus, parse_allele

__all__ = [
    "IGNORED_ALLELE_TEXTS",
    "check_single_allele_rule",
    "locus_or_error",
    "make_genotype",
    "read_text",
    "allele_or_error",
]

# Cells that mean "nothing called" in lab exports.
IGNORED_ALLELE_TEXTS = frozenset({"", "?", "NA", "N/A", "NAN", "-"})


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a text file whatever its BOM (UTF-8, UTF-16) or legacy encoding (cp1252, latin-1)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FormatError(str(path), f"cannot read file: {exc.strerror or exc}") from None
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
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def check_single_allele_rule(path: str, single_allele: str) -> None:
    """Refuse an unknown ``single_allele`` argument early, naming the allowed values."""
    if single_allele not in ("homozygote", "partial"):
        raise BadValueError(
            path, f"single_allele must be 'homozygote' or 'partial', not {single_allele!r}"
        )


def locus_or_error(path: str, name: str, *, line: int | None = None, element: str | None = None,
                   field: str | None = None) -> str:
    """Canonical locus name, or an :class:`EmptyLocusError` naming where the empty name was."""
    try:
        return canonical_locus(name)
    except AlleleError:
        raise EmptyLocusError(path, "empty locus name", line=line, element=element, field=field) from None


def allele_or_error(path: str, text: str, *, line: int | None = None, element: str | None = None,
                    field: str | None = None) -> str:
    """Canonical allele string, or an :class:`AlleleParseError` quoting the value."""
    try:
        return parse_allele(text)
    except AlleleError as exc:
        reason = str(exc)
        if reason.startswith("microvariant with more than one decimal"):
            msg = f"allele {text.strip()!r} has more than one decimal"
        else:
            msg = f"allele {text.strip()!r} is not a valid allele call"
        raise AlleleParseError(path, msg, line=line, element=element, field=field) from None


def make_genotype(alleles: Iterable[str], single_allele: SingleAlleleRule) -> Genotype:
    """Apply the homozygote rule (see :mod:`mpid.formats.types`) to the calls seen at one locus."""
    calls = list(alleles)
    distinct = sorted(set(calls), key=allele_sort_key)
    if not distinct:
        return ()
    if len(distinct) == 1:
        # Written twice: the lab called a homozygote. Written once: the rule decides.
        if len(calls) > 1 or single_allele == "homozygote":
            return (distinct[0], distinct[0])
        return (distinct[0], None)
    return tuple(distinct)
