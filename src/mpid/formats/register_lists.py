"""Agency register lists of missing persons (CSV or XLSX): import with validation, and export.

Each data row becomes a :class:`RegisterRow` whose ``fields`` has every name of
:data:`REGISTER_FIELDS` (``None`` when the column is absent or the cell empty). Headers are
matched to fields through :data:`DEFAULT_COLUMN_MAPPING` (case, spaces, dots, hyphens and
underscores ignored), which knows the field names themselves and common English,
Azerbaijani and Russian headings; pass ``mapping={"header in file": "field", ...}`` for
other lists (it is tried before the defaults). Unmapped columns are ignored.

Values are normalised and checked:

* ``sex``: ``M``, ``F`` or ``unknown`` from ``M/male/kişi/м/муж...``, ``F/female/W/qadın/ж/жен...``,
  ``U/unknown/?/naməlum/неизв...``;
* ``birth_date``, ``missing_date``, ``report_date``: ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``
  (also ``DD.MM.YYYY`` and ``MM.YYYY``, and real dates in XLSX cells), years 1800–2100;
* every other field: text with surrounding and repeated spaces removed.

The header is the first of the first 10 non-empty rows that has a name column (titles above
it are skipped). A row needs a ``family_name`` or a ``given_name``; ``record_id`` values must
be unique.
Errors name the file, the line (CSV line or XLSX row) and the field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from mpid.formats._common import read_text, table_rows
from mpid.formats.errors import BadDateError, BadValueError, FormatError, MalformedFileError, MissingColumnError
from mpid.formats.types import RegisterRow

__all__ = [
    "DATE_FIELDS",
    "DEFAULT_COLUMN_MAPPING",
    "REGISTER_FIELDS",
    "parse_register_list",
    "write_register_csv",
    "write_register_xlsx",
]

REGISTER_FIELDS: tuple[str, ...] = (
    "record_id", "source", "family_name", "given_name", "patronymic", "sex", "birth_date",
    "birth_place", "missing_date", "missing_place", "region", "reporter", "report_date", "notes",
)
DATE_FIELDS = frozenset({"birth_date", "missing_date", "report_date"})

DEFAULT_COLUMN_MAPPING: dict[str, str] = {
    # record_id
    "id": "record_id", "record": "record_id", "record no": "record_id", "case id": "record_id",
    "case number": "record_id", "reference": "record_id", "qeyd nömrəsi": "record_id", "№": "record_id",
    "номер": "record_id",
    # source
    "agency": "source", "organisation": "source", "organization": "source", "mənbə": "source",
    "источник": "source",
    # family_name
    "surname": "family_name", "last name": "family_name", "family name": "family_name",
    "lastname": "family_name", "soyad": "family_name", "soyadı": "family_name", "фамилия": "family_name",
    # given_name
    "first name": "given_name", "given name": "given_name", "firstname": "given_name",
    "forename": "given_name", "ad": "given_name", "adı": "given_name", "имя": "given_name",
    # patronymic
    "father's name": "patronymic", "fathers name": "patronymic", "middle name": "patronymic",
    "ata adı": "patronymic", "atasının adı": "patronymic", "отчество": "patronymic",
    # sex
    "gender": "sex", "cins": "sex", "cinsi": "sex", "пол": "sex",
    # birth_date
    "date of birth": "birth_date", "dob": "birth_date", "born": "birth_date", "birth": "birth_date",
    "doğum tarixi": "birth_date", "дата рождения": "birth_date",
    # birth_place
    "place of birth": "birth_place", "pob": "birth_place", "doğum yeri": "birth_place",
    "место рождения": "birth_place",
    # missing_date
    "date missing": "missing_date", "date of disappearance": "missing_date", "missing since": "missing_date",
    "date last seen": "missing_date", "itkin düşmə tarixi": "missing_date", "дата исчезновения": "missing_date",
    # missing_place
    "place missing": "missing_place", "place of disappearance": "missing_place",
    "last seen place": "missing_place", "place last seen": "missing_place",
    "itkin düşmə yeri": "missing_place", "место исчезновения": "missing_place",
    # region
    "district": "region", "province": "region", "rayon": "region", "bölgə": "region", "регион": "region",
    "район": "region",
    # reporter
    "reported by": "reporter", "informant": "reporter", "müraciət edən": "reporter", "заявитель": "reporter",
    # report_date
    "date reported": "report_date", "date of report": "report_date", "müraciət tarixi": "report_date",
    "дата заявления": "report_date",
    # notes
    "comments": "notes", "comment": "notes", "remarks": "notes", "qeydlər": "notes", "qeyd": "notes",
    "примечания": "notes", "примечание": "notes",
}
"""Header (any case and spacing) → field; the field names themselves are always recognised."""

_SEX = {
    "M": ("m", "male", "man", "boy", "kişi", "kisi", "k", "oğlan", "м", "муж", "мужской", "мужчина"),
    "F": ("f", "female", "woman", "girl", "w", "qadın", "qadin", "q", "qız", "ж", "жен", "женский", "женщина"),
    "unknown": ("u", "unknown", "?", "x", "naməlum", "namelum", "неизв", "неизвестно", "н/д"),
}
_SEX_LOOKUP = {label: code for code, labels in _SEX.items() for label in labels}
_HEADER_SEARCH_ROWS = 10
_XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_DOTTED = re.compile(r"^(?:(\d{1,2})[./])?(\d{1,2})[./](\d{4})$")


def _key(header: str) -> str:
    return re.sub(r"[\s._\-]+", " ", header.strip().lower()).strip()


def parse_register_list(
    path: str | os.PathLike[str],
    mapping: Mapping[str, str] | None = None,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
) -> list[RegisterRow]:
    """Read an agency list (CSV or XLSX, chosen by content) into validated rows.

    ``sheet`` picks an XLSX sheet (default: the first); ``encoding`` fixes a CSV's encoding
    (default: UTF-8, else a cp1251/cp1252 guess, see :func:`mpid.formats._common.read_text`).
    """
    source = str(path)
    lookup = _lookup(source, mapping)
    rows = _xlsx_rows(source, sheet) if _is_xlsx(source) else _csv_rows(source, encoding)
    rows = [(n, cells) for n, cells in rows if any(c not in (None, "") for c in cells)]
    if not rows:
        raise MalformedFileError(source, "empty file: no header row")
    # Agency sheets often carry a title or a date above the header: look for it in the first rows.
    header_at = next((i for i, (_, cells) in enumerate(rows[:_HEADER_SEARCH_ROWS])
                      if {"family_name", "given_name"} & set(_map_header(lookup, cells).values())), None)
    if header_at is None:
        raise MissingColumnError(
            source,
            "missing name columns: expected 'family_name' or 'given_name' (or a header such as "
            "'Surname', 'Soyad', 'Фамилия'; pass mapping= for other headers)",
            line=rows[0][0],
        )
    header_line, header = rows[header_at]
    columns = _map_header(lookup, header)
    used: dict[str, str] = {}
    for idx, target in columns.items():
        name = str(header[idx]).strip()
        if target in used:
            raise BadValueError(
                source, f"columns {used[target]!r} and {name!r} both map to field {target!r}",
                line=header_line, field=name,
            )
        used[target] = name
    rows = rows[header_at:]
    result: list[RegisterRow] = []
    seen_ids: dict[str, int] = {}
    for line, cells in rows[1:]:
        fields: dict[str, str | None] = dict.fromkeys(REGISTER_FIELDS)
        for idx, target in columns.items():
            value = cells[idx] if idx < len(cells) else None
            fields[target] = _normalise(source, line, used[target], target, value)
        if not fields["family_name"] and not fields["given_name"]:
            raise BadValueError(source, "row has neither a family name nor a given name", line=line)
        record_id = fields["record_id"]
        if record_id is not None:
            if record_id in seen_ids:
                raise BadValueError(
                    source, f"record_id {record_id!r} already used on line {seen_ids[record_id]}",
                    line=line, field=used["record_id"],
                )
            seen_ids[record_id] = line
        result.append(RegisterRow(line=line, fields=fields))
    return result


def _map_header(lookup: dict[str, str], header: list[object]) -> dict[int, str]:
    """Column index → field for the header cells that the lookup knows."""
    columns = {}
    for idx, cell in enumerate(header):
        name = "" if cell is None else str(cell).strip()
        target = lookup.get(_key(name)) if name else None
        if target is not None:
            columns[idx] = target
    return columns


def _lookup(source: str, mapping: Mapping[str, str] | None) -> dict[str, str]:
    lookup = {_key(k): v for k, v in DEFAULT_COLUMN_MAPPING.items()}
    lookup.update({_key(f): f for f in REGISTER_FIELDS})
    for header, target in (mapping or {}).items():
        if target not in REGISTER_FIELDS:
            raise BadValueError(
                source,
                f"mapping sends {header!r} to unknown field {target!r}; fields are " + ", ".join(REGISTER_FIELDS),
            )
        lookup[_key(header)] = target
    return lookup


def _is_xlsx(source: str) -> bool:
    try:
        with open(source, "rb") as handle:
            return handle.read(4) == b"PK\x03\x04"
    except OSError as exc:
        raise FormatError(source, f"cannot read file: {exc.strerror or exc}") from None


def _csv_rows(source: str, encoding: str | None) -> list[tuple[int, list[str]]]:
    return table_rows(source, read_text(source, encoding))


def _xlsx_rows(source: str, sheet: str | None) -> list[tuple[int, list[object]]]:
    import openpyxl  # local: only XLSX imports pay for it

    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except zipfile.BadZipFile as exc:
        raise MalformedFileError(source, f"not a readable XLSX workbook: {exc}") from None
    except Exception as exc:  # openpyxl and defusedxml raise many exception types for broken parts
        raise MalformedFileError(source, f"not a readable XLSX workbook: {type(exc).__name__}: {exc}") from None
    try:
        if sheet is not None:
            if sheet not in workbook.sheetnames:
                raise BadValueError(
                    source, f"no sheet named {sheet!r}; sheets are " + ", ".join(repr(s) for s in workbook.sheetnames)
                )
            worksheet = workbook[sheet]
        else:
            worksheet = workbook.worksheets[0]
        return [(number, list(values)) for number, values in enumerate(worksheet.iter_rows(values_only=True), 1)]
    except FormatError:
        raise
    except Exception as exc:
        raise MalformedFileError(source, f"not a readable XLSX workbook: {type(exc).__name__}: {exc}") from None
    finally:
        workbook.close()


def _normalise(source: str, line: int, column: str, field: str, value: object) -> str | None:
    if value is None:
        return None
    if field in DATE_FIELDS:
        return _date(source, line, column, value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()[:10]
    text = re.sub(r"\s+", " ", str(value)).strip()
    if not text:
        return None
    if field == "sex":
        code = _SEX_LOOKUP.get(text.lower().rstrip("."))
        if code is None:
            raise BadValueError(source, f"sex {text!r} is not M, F or unknown", line=line, field=column)
        return code
    return text


def _date(source: str, line: int, column: str, value: object) -> str | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return _checked(source, line, column, str(value), value.year, value.month, value.day)
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            whole = float(value).is_integer()
        except OverflowError:
            whole = False
        if whole:
            value = str(int(value))
        else:
            raise BadDateError(source, f"date {value!r} is not YYYY-MM-DD, YYYY-MM or YYYY", line=line, field=column)
    text = str(value).strip()
    if not text:
        return None
    iso = _ISO.match(text)
    if iso:
        year, month, day = (int(g) if g else None for g in iso.groups())
        return _checked(source, line, column, text, year, month, day)
    dotted = _DOTTED.match(text)
    if dotted:
        day_text, month_text, year_text = dotted.groups()
        return _checked(source, line, column, text, int(year_text), int(month_text),
                        int(day_text) if day_text else None)
    raise BadDateError(source, f"date {text!r} is not YYYY-MM-DD, YYYY-MM or YYYY", line=line, field=column)


def _checked(source: str, line: int, column: str, text: str, year: int | None, month: int | None,
             day: int | None) -> str:
    assert year is not None
    if not 1800 <= year <= 2100:
        raise BadDateError(source, f"date {text!r} has year {year}, outside 1800-2100", line=line, field=column)
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        raise BadDateError(source, f"date {text!r} has month {month}, not 1-12", line=line, field=column)
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise BadDateError(source, f"date {text!r} is not a real day", line=line, field=column) from None


# ---------------------------------------------------------------- writing


def _header_and_cells(rows: Iterable[RegisterRow], headers: Mapping[str, str] | None, target: str
                      ) -> tuple[list[str], list[list[str]]]:
    headers = dict(headers or {})
    for field in headers:
        if field not in REGISTER_FIELDS:
            raise BadValueError(target, f"headers names unknown field {field!r}")
    header = [headers.get(f, f) for f in REGISTER_FIELDS]
    body = []
    for row in rows:
        unknown = set(row.fields) - set(REGISTER_FIELDS)
        if unknown:
            raise BadValueError(target, f"row of line {row.line} has unknown fields: " + ", ".join(sorted(unknown)))
        body.append(["" if row.fields.get(f) is None else str(row.fields[f]) for f in REGISTER_FIELDS])
    return header, body


def write_register_csv(
    rows: Iterable[RegisterRow], path: str | os.PathLike[str], *, headers: Mapping[str, str] | None = None
) -> None:
    """Write rows as UTF-8 CSV with every register field; ``headers`` renames columns (field → header)."""
    header, body = _header_and_cells(rows, headers, str(path))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    Path(path).write_text(out.getvalue(), encoding="utf-8", newline="")


def write_register_xlsx(
    rows: Iterable[RegisterRow], path: str | os.PathLike[str], *, headers: Mapping[str, str] | None = None,
    sheet_name: str = "Register",
) -> None:
    """Write rows as an XLSX workbook, all cells text (so partial dates such as 1975-03 stay as written)."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    header, body = _header_and_cells(rows, headers, str(path))
    for number, cells in enumerate([header, *body], start=1):  # checked before openpyxl starts writing
        bad = next((c for c in cells if _XLSX_ILLEGAL.search(c)), None)
        if bad is not None:
            raise BadValueError(str(path), f"row {number}: {bad!r} holds a control character that XLSX cannot carry")
    workbook = openpyxl.Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet_name)

    def text_cell(value: str) -> WriteOnlyCell | None:
        if value == "":
            return None
        cell = WriteOnlyCell(worksheet, value=value)
        cell.data_type = "s"  # never a formula, even when a name starts with '='
        return cell

    for cells in [header, *body]:
        worksheet.append([text_cell(c) for c in cells])
    workbook.save(str(path))
