"""Guess which mpid format a file is, so ``mpid import`` can be given a file without its kind."""

from __future__ import annotations

import os
import re
from pathlib import Path

from mpid.formats._common import read_text, table_rows
from mpid.formats.errors import FormatError

__all__ = ["FORMAT_KINDS", "detect_format"]

FORMAT_KINDS = ("genemapper", "cmf", "familias", "frequencies", "register")

_ROOT_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]")


def detect_format(path: str | os.PathLike[str]) -> str | None:
    """One of :data:`FORMAT_KINDS` from the file's content, or None when nothing fits.

    Only the start of the file is looked at: the XML root element (``CODISImportFile`` → cmf,
    ``frequencies`` → STRidER XML), a ZIP signature (XLSX → register), the Familias preamble,
    then the header of a delimited table (sample and marker or height columns → genemapper,
    ``marker,allele,frequency``/``Allele``/``STR``/``Database`` → frequencies, a name column →
    register) and last a Familias-style frequency file.
    """
    source = str(path)
    try:
        head = Path(source).read_bytes()[:65536]
    except OSError as exc:
        raise FormatError(source, f"cannot read file: {exc.strerror or exc}") from None
    if head.startswith(b"PK\x03\x04"):
        return "register"
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if stripped.startswith(b"<"):
        return _xml_kind(stripped)
    try:
        text = read_text(source)
    except FormatError:
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    if lines[0].strip('"').startswith("Output from Familias"):
        return "familias"
    header = [_key(c) for c in table_rows(source, lines[0])[0][1]]
    if {"samplename", "sample"} & set(header) and ({"marker", "locus"} & set(header) or "height" in header):
        return "genemapper"
    if {"marker", "allele", "frequency"} <= set(header) or (header and header[0] in ("allele", "str", "database")):
        return "frequencies"
    second = table_rows(source, lines[1])[0][1] if len(lines) > 1 else []
    if sum(1 for c in header if c) == 1 and second and _key(second[0]) == "allele":
        return "frequencies"  # STRidER CSV blocks
    if _is_register_header(header):
        return "register"
    if len(lines) > 1 and len(lines[1].split()) == 2 and "\t" not in lines[0]:
        return "frequencies"  # Familias frequency file: marker line, then allele<TAB>frequency
    return None


def _key(cell: str) -> str:
    return re.sub(r"[\s._\-]+", "", cell.strip().lower())


def _xml_kind(data: bytes) -> str | None:
    match = _ROOT_TAG.search(data)  # the declaration, DOCTYPE and comments start with <? or <!
    tag = match.group(1) if match else b""
    return {b"CODISImportFile": "cmf", b"frequencies": "frequencies"}.get(tag)


def _is_register_header(header: list[str]) -> bool:
    from mpid.formats.register_lists import DEFAULT_COLUMN_MAPPING

    names = {_key(k) for k, v in DEFAULT_COLUMN_MAPPING.items() if v in ("family_name", "given_name")}
    return bool((names | {"familyname", "givenname"}) & set(header))
