"""File writers of a scenario: lab files through :mod:`mpid.formats`, plain CSV/JSON/XLSX for the rest.

Every writer is deterministic (no clocks, fixed ZIP timestamps) so that the same seed gives
byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "CsvStream",
    "JsonArrayStream",
    "ProfileTableStream",
    "XlsxStream",
    "write_csv",
    "write_profiles_cmf",
    "write_profiles_genemapper",
]

_FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def write_profiles_genemapper(records: Iterable[Any], path: str | os.PathLike[str]) -> None:
    """A GeneMapper genotype table (tab-delimited, a row per sample × marker) via :mod:`mpid.formats`."""
    from mpid.formats.genemapper import write_genemapper

    write_genemapper(records, path)


def write_profiles_cmf(records: Iterable[Any], path: str | os.PathLike[str], *, source_lab: str,
                       destination: str, submitted_at: dt.datetime, kit: str, batch_id: str) -> None:
    """A CODIS CMF 3.2 import file via :mod:`mpid.formats` (fixed submission time: reproducible)."""
    from mpid.formats.cmf import write_cmf

    write_cmf(records, path, source_lab=source_lab, destination=destination, submitted_at=submitted_at,
              kit=kit, batch_id=batch_id, default_category="Unidentified Human (Remains)")


class CsvStream:
    """A CSV file written row by row (UTF-8, LF line ends, header first: ``header`` or the column keys)."""

    def __init__(self, path: str | os.PathLike[str], columns: Sequence[str], *, append: bool = False,
                 delimiter: str = ",", header: Sequence[str] | None = None) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.columns = tuple(columns)
        self._handle: TextIO = open(path, "a" if append else "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._handle, delimiter=delimiter, lineterminator="\n")
        if not append:
            self._writer.writerow(header or self.columns)
        self.rows = 0

    def write(self, row: dict[str, Any]) -> None:
        """Append one row (missing keys → empty, None → empty)."""
        self._writer.writerow(["" if row.get(c) is None else row[c] for c in self.columns])
        self.rows += 1

    def close(self) -> None:
        """Flush and close the file."""
        self._handle.close()


def write_csv(path: str | os.PathLike[str], columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> int:
    """Write a whole CSV file; returns the number of data rows."""
    stream = CsvStream(path, columns)
    for row in rows:
        stream.write(row)
    stream.close()
    return stream.rows


class ProfileTableStream:
    """A GeneMapper-layout table (``Sample Name, Marker, Allele 1, Allele 2``) written profile by profile."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._stream = CsvStream(path, ("Sample Name", "Marker", "Allele 1", "Allele 2"), delimiter="\t")

    def write(self, sample_id: str, profile: dict[str, tuple[str | None, ...]]) -> None:
        """Append one profile, a row per locus (None → empty cell)."""
        for locus, alleles in profile.items():
            first, second = (alleles + (None, None))[:2]
            self._stream.write({"Sample Name": sample_id, "Marker": locus, "Allele 1": first, "Allele 2": second})

    def close(self) -> None:
        """Close the file."""
        self._stream.close()


class JsonArrayStream:
    """A JSON array written element by element (one element per line, UTF-8, keys as given)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._handle: TextIO = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        self._handle.write("[")
        self.count = 0

    def write(self, item: Any) -> None:
        """Append one element."""
        self._handle.write(",\n" if self.count else "\n")
        self._handle.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        self.count += 1

    def close(self) -> None:
        """Close the array and the file."""
        self._handle.write("\n]\n")
        self._handle.close()


class XlsxStream:
    """An XLSX sheet written row by row (openpyxl write-only), saved with fixed timestamps."""

    def __init__(self, path: str | os.PathLike[str], columns: Sequence[str], sheet_title: str,
                 header: Sequence[str] | None = None) -> None:
        from openpyxl import Workbook

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(path)
        self.columns = tuple(columns)
        self._book = Workbook(write_only=True)
        fixed = dt.datetime(2000, 1, 1)
        self._book.properties.created = fixed
        self._book.properties.modified = fixed
        self._book.properties.creator = "mpid simulate"
        self._sheet = self._book.create_sheet(sheet_title[:31])
        self._sheet.append(list(header or self.columns))
        self.rows = 0

    def write(self, row: dict[str, Any]) -> None:
        """Append one row (text cells; None → empty)."""
        self._sheet.append([None if row.get(c) in (None, "") else str(row[c]) for c in self.columns])
        self.rows += 1

    def close(self) -> None:
        """Save the workbook, then rewrite the ZIP with fixed timestamps and metadata."""
        buffer = io.BytesIO()
        self._book.save(buffer)
        _write_deterministic_zip(buffer.getvalue(), self.path)


def _write_deterministic_zip(data: bytes, path: Path) -> None:
    """Copy a ZIP archive entry by entry with fixed dates (and fixed document properties)."""
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _fix_core_properties(content)
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)


def _fix_core_properties(content: bytes) -> bytes:
    """Replace the created/modified stamps openpyxl sets from the clock."""
    import re

    text = content.decode("utf-8")
    text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", r"\g<1>2000-01-01T00:00:00Z\g<2>",
                  text)
    return text.encode("utf-8")
