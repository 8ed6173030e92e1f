"""Read and check agency report lists (CSV) and write the person clusters back.

The input has the columns of :data:`mpid.linkage.model.INPUT_COLUMNS`, UTF-8, any field but
``record_id`` may be empty, dates as ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``. A problem is
reported as :class:`ReportFileError` naming the file, the line and the field, so the agency
that sent the list can correct it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from mpid.linkage.model import INPUT_COLUMNS, parse_partial_date

__all__ = ["ReportFileError", "read_reports_csv", "write_clusters_csv"]

_REQUIRED = ("record_id",)


class ReportFileError(ValueError):
    """A problem in a report list, located by file, line (1 = header) and field."""

    def __init__(self, path: Path | str, line: int | None, field: str | None, message: str) -> None:
        self.path, self.line, self.field, self.message = str(path), line, field, message
        where = self.path
        if line is not None:
            where += f", line {line}"
        if field:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")


def _decode(path: Path) -> str:
    """The file's text; a byte that is not UTF-8 is reported with its line."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ReportFileError(path, line, None, f"not UTF-8 (byte 0x{data[error.start]:02x})") from None


def read_reports_csv(path: Path | str) -> pd.DataFrame:
    """Read a report list into a frame of the input columns (strings, '' when empty), checked."""
    path = Path(path)
    if not path.is_file():
        raise ReportFileError(path, None, None, "no such file")
    text = _decode(path)
    first_line = text.split("\n", 1)[0]
    # Comma-separated as specified; a semicolon or tab export (spreadsheets) is read too.
    delimiter = max(",;\t", key=lambda candidate: (first_line.count(candidate), candidate == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ReportFileError(path, 1, None, "the file is empty (a header line is needed)") from None
    header = [name.strip().lower() for name in header]
    missing = [name for name in INPUT_COLUMNS if name not in header]
    if missing:
        raise ReportFileError(path, 1, missing[0], f"missing column(s) {', '.join(missing)}; "
                              f"expected {', '.join(INPUT_COLUMNS)}")
    duplicated = {name for name in header if header.count(name) > 1 and name in INPUT_COLUMNS}
    if duplicated:
        raise ReportFileError(path, 1, sorted(duplicated)[0], "column given twice")
    positions = [header.index(name) for name in INPUT_COLUMNS]
    rows: list[list[str]] = []
    seen: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise ReportFileError(path, line, None, f"{len(row)} fields, the header has {len(header)}")
            values = [row[i].strip() for i in positions]
            record = dict(zip(INPUT_COLUMNS, values, strict=True))
            for name in _REQUIRED:
                if not record[name]:
                    raise ReportFileError(path, line, name, "empty; every report needs one")
            if record["record_id"] in seen:
                raise ReportFileError(path, line, "record_id",
                                      f"{record['record_id']!r} already used on line {seen[record['record_id']]}")
            seen[record["record_id"]] = line
            for name in ("birth_date", "missing_date"):
                try:
                    parse_partial_date(record[name])
                except ValueError as error:
                    raise ReportFileError(path, line, name, str(error)) from None
            rows.append(values)
    except csv.Error as error:
        raise ReportFileError(path, reader.line_num, None, f"malformed CSV ({error})") from None
    return pd.DataFrame(rows, columns=list(INPUT_COLUMNS), dtype=object)


def write_clusters_csv(path: Path | str, clusters: pd.DataFrame | Iterable[tuple[str, str]]) -> None:
    """Write record_id, person_id (one row per input record) as UTF-8 CSV."""
    frame = clusters if isinstance(clusters, pd.DataFrame) else pd.DataFrame(
        list(clusters), columns=["record_id", "person_id"])
    frame[["record_id", "person_id"]].to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
