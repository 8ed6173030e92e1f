"""Property tests on the parsers: any input gives a result or the module's own clear error, never
another exception.

``tests/formats/test_format_fuzz.py`` already throws random bytes and byte-level mutations of the
sample files at GeneMapper, CMF, Familias, frequency tables and register lists. This file adds
what that does not reach:

* the allele and genotype readers of :mod:`mpid.genetics` (any Python value; canonical forms are
  stable);
* *structured* inputs that get past the first syntax checks and into the semantic ones: GeneMapper
  tables and CMF documents built from random sample names, marker names and allele calls;
  Familias files with one line replaced by a plausible token (counts, booleans, numbers); register
  CSVs with random cells, dates and column names;
* the refcase reader (:func:`mpid.formats.refcase.parse_refcase`) on the real cases with parts
  deleted or replaced by arbitrary JSON.

Errors allowed: FormatError (formats), AlleleError (alleles, genotypes), RefcaseError (refcases;
it wraps PedigreeError), PedigreeError.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mpid.formats import FormatError
from mpid.formats.cmf import parse_cmf
from mpid.formats.familias import parse_familias
from mpid.formats.genemapper import parse_genemapper
from mpid.formats.refcase import RefcaseError, load_refcase, parse_refcase
from mpid.formats.register_lists import REGISTER_FIELDS, parse_register_list
from mpid.genetics.alleles import AlleleError, parse_allele
from mpid.genetics.pedigree import PedigreeError
from mpid.genetics.profiles import parse_genotype

TESTS = Path(__file__).resolve().parents[1]
DATA = TESTS / "data"
REFCASES = sorted((TESTS / "refcases").glob("*.json"))
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
CLEAR = (FormatError, AlleleError, RefcaseError, PedigreeError)


@contextmanager
def temp_file(data: bytes, suffix: str) -> Iterator[Path]:
    handle, name = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        yield Path(name)
    finally:
        os.unlink(name)


def outcome(parser: Callable[[Path], Any], data: bytes, suffix: str) -> Any:
    """The parser's result, or the clear error it raised (anything else propagates and fails)."""
    with temp_file(data, suffix) as path:
        try:
            return parser(path)
        except CLEAR as exc:
            assert str(exc), f"{type(exc).__name__} without a message"
            if isinstance(exc, FormatError):
                assert path.name in str(exc), f"the message does not name the file: {exc}"
            return exc


# ----------------------------------------------------------------------------- alleles and genotypes

ALLELE_TEXT = st.one_of(
    st.text(max_size=12),
    st.from_regex(r"\A\s*[<>]?\s*\d{1,5}(\.\d{0,7})?\s*\Z"),
    st.sampled_from(["OL", "ol", "off-ladder", "X", "y", "<6", "> 15", "9.3", "10.0", "-1", "1e5", "nan", "inf",
                     "٣", "१२", "\x00", "9.33", "", " ", "0", "00012.30"]),
)
ANY_VALUE = st.one_of(ALLELE_TEXT, st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                      st.none(), st.binary(max_size=4), st.lists(st.integers(), max_size=2))


@PROPERTY
@given(value=ANY_VALUE)
def test_parse_allele_returns_a_canonical_allele_or_allele_error(value: Any) -> None:
    try:
        allele = parse_allele(value)
    except AlleleError as exc:
        assert str(exc)
        return
    assert isinstance(allele, str) and allele == allele.strip() and allele
    assert parse_allele(allele) == allele  # canonical form is a fixed point


@given(value=st.one_of(st.integers(-5, 10**40), st.sampled_from([9999, 10_000, 10**30])))
@PROPERTY
def test_integer_and_text_alleles_agree(value: int) -> None:
    # Found here first: parse_allele took any int (10**30) but refused the same number as text.
    outcomes = []
    for form in (value, str(value)):
        try:
            outcomes.append(parse_allele(form))
        except AlleleError:
            outcomes.append("refused")
    assert outcomes[0] == outcomes[1]


@PROPERTY
@given(value=st.one_of(ANY_VALUE, st.tuples(ALLELE_TEXT, ALLELE_TEXT), st.lists(ANY_VALUE, max_size=4),
                       st.builds(lambda a, sep, b: f"{a}{sep}{b}", ALLELE_TEXT, st.sampled_from("/,;|"), ALLELE_TEXT),
                       st.dictionaries(st.text(max_size=2), st.integers(), max_size=2)))
def test_parse_genotype_returns_a_genotype_none_or_allele_error(value: Any) -> None:
    try:
        genotype = parse_genotype(value)
    except AlleleError as exc:
        assert str(exc)
        return
    if genotype is None:
        return
    a, b = genotype
    assert parse_allele(a) == a and (b is None or parse_allele(b) == b)
    assume("0" not in genotype)  # "0" is both an allele and the untyped marker ("00/00" → ('0', '0'))
    assert parse_genotype(list(genotype)) == genotype
    if b is not None:
        assert parse_genotype([b, a]) == genotype


# ----------------------------------------------------------------------------- GeneMapper tables

MARKERS = st.sampled_from(["D3S1358", "TH01", "THO1", "vWA", "VWA", "Penta D", "PentaD", "AMEL", "Amelogenin",
                           "FGA", "D21S11", "SE33", "", " ", "XYZ123", "D3S1358 ", "ə"])
CELL = st.one_of(ALLELE_TEXT, st.sampled_from(["", "OL", "X", "Y", "9.3", "<6", ">15"]), st.text(max_size=6))
GM_HEADERS = st.sampled_from([
    ["Sample Name", "Marker", "Allele 1", "Allele 2"],
    ["Sample Name", "Marker", "Allele 1", "Allele 2", "Allele 3", "Height 1", "Height 2"],
    ["Sample File", "Sample Name", "Panel", "Marker", "Allele 1", "Allele 2", "Allele 3", "Allele 4"],
    ["Sample Name", "Marker", "Allele 1"], ["Marker", "Allele 1", "Allele 2"], ["Sample Name", "Sample Name", "Marker"],
])


@st.composite
def genemapper_tables(draw: st.DrawFn) -> bytes:
    header = draw(GM_HEADERS)
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        row = []
        for column in header:
            if column.startswith("Sample"):
                row.append(draw(st.sampled_from(["S1", "S2", "", "S\t3", "Ş-4"])))
            elif column == "Marker":
                row.append(draw(MARKERS))
            elif column.startswith("Height"):
                row.append(draw(st.sampled_from(["", "123", "-5", "1e9", "x"])))
            else:
                row.append(draw(CELL))
        rows.append(row)
    sep = draw(st.sampled_from(["\t", "\t", ","]))
    text = "\n".join(sep.join(r).replace("\n", " ") for r in [header, *rows]) + draw(st.sampled_from(["", "\n"]))
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1"])), errors="replace")


@PROPERTY
@given(data=genemapper_tables())
def test_genemapper_structured(data: bytes) -> None:
    result = outcome(parse_genemapper, data, ".txt")
    if not isinstance(result, Exception):
        for record in result:
            for genotype in record.loci.values():
                assert genotype is None or isinstance(genotype, tuple)


# ----------------------------------------------------------------------------- CMF documents

XML_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=10)


@st.composite
def cmf_documents(draw: st.DrawFn) -> bytes:
    def el(tag: str, text: str) -> str:
        return f"<{tag}>{escape(text)}</{tag}>"

    ns = draw(st.sampled_from([' xmlns="urn:CODISImportFile-schema"', "", ' xmlns="urn:other"']))
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<CODISImportFile{ns}>']
    for tag in draw(st.lists(st.sampled_from(["SOURCELAB", "KIT", "BATCHID", "SUBMITDATETIME", "DESTINATIONORI"]),
                             max_size=3, unique=True)):
        parts.append(el(tag, draw(st.one_of(XML_TEXT, st.just("2024-13-45T99:99:99")))))
    for _ in range(draw(st.integers(0, 3))):
        specimen = ["<SPECIMEN>"]
        if draw(st.booleans()) or True:
            specimen.append(el("SPECIMENID", draw(st.one_of(st.just("S1"), XML_TEXT))))
        if draw(st.booleans()):
            specimen.append(el("SPECIMENCATEGORY", draw(st.sampled_from(["Missing Person", "Unidentified Person",
                                                                          "Biological Mother", "Nonsense", ""]))))
        for _ in range(draw(st.integers(0, 4))):
            locus = ["<LOCUS>"]
            if draw(st.integers(0, 9)):
                locus.append(el("LOCUSNAME", draw(MARKERS)))
            for _ in range(draw(st.integers(0, 3))):
                locus.append("<ALLELE>" + (el("ALLELEVALUE", draw(CELL)) if draw(st.integers(0, 9)) else "")
                             + "</ALLELE>")
            locus.append("</LOCUS>")
            specimen.append("".join(locus))
        specimen.append("</SPECIMEN>")
        parts.append("".join(specimen))
    parts.append("</CODISImportFile>")
    return "\n".join(parts).encode()


@PROPERTY
@given(data=cmf_documents(), single=st.sampled_from(["homozygote", "partial"]))
def test_cmf_structured(data: bytes, single: str) -> None:
    outcome(lambda p: parse_cmf(p, single_allele=single), data, ".xml")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- Familias files

FAMILIAS_FILES = sorted(p for p in (DATA / "familias").glob("*.fam") if p.stat().st_size < 200_000)
FAM_TOKENS = st.one_of(
    st.sampled_from(["#TRUE#", "#FALSE#", "-1", "0", "1", "2", "3", "999999999", "-999999", "1e308", "NaN", "0.5",
                     '""', '"x"', '"', "", "[DVI]", "[Persons]", "3.3.1 (DVI)", "2147483648", "1.#INF"]),
    st.integers(-5, 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=8).map(lambda t: '"' + t.replace("\n", " ") + '"'),
)


@PROPERTY
@given(source=st.sampled_from(FAMILIAS_FILES), line=st.integers(0, 10**6), token=FAM_TOKENS,
       action=st.sampled_from(["replace", "insert", "delete", "truncate"]))
def test_familias_line_mutations(source: Path, line: int, token: str, action: str) -> None:
    lines = source.read_text(encoding="latin-1").splitlines()
    k = line % len(lines)
    if action == "replace":
        lines[k] = token
    elif action == "insert":
        lines.insert(k, token)
    elif action == "delete":
        del lines[k]
    else:
        lines = lines[:k]
    outcome(parse_familias, ("\r\n".join(lines) + "\r\n").encode("latin-1", errors="replace"), ".fam")


# ----------------------------------------------------------------------------- register lists (CSV)

HEADER_NAMES = st.one_of(st.sampled_from([*REGISTER_FIELDS, "Soyad", "Фамилия", "Ad", "Имя", "Doğum tarixi",
                                          "id", "", "family_name"]), st.text(max_size=8))
DATE_CELL = st.one_of(st.sampled_from(["1975-03-04", "04.03.1975", "1975", "03/04/1975", "1975-02-30", "0000-00-00",
                                       "99999-01-01", "31.13.1990", "1990-05", "", "?"]), st.text(max_size=10))


@st.composite
def register_csvs(draw: st.DrawFn) -> bytes:
    header = draw(st.lists(HEADER_NAMES, min_size=1, max_size=7))
    rows = [[draw(st.one_of(DATE_CELL, st.text(max_size=12), st.sampled_from(["M", "F", "kişi", "qadın", "м", "ж"])))
             for _ in header] for _ in range(draw(st.integers(0, 6)))]
    out = io.StringIO()
    csv.writer(out, delimiter=draw(st.sampled_from([",", ";", "\t"]))).writerows([header, *rows])
    return out.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1251"])), errors="replace")


@PROPERTY
@given(data=register_csvs())
def test_register_csv_structured(data: bytes) -> None:
    outcome(parse_register_list, data, ".csv")


# ----------------------------------------------------------------------------- refcase JSON

JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(allow_nan=True),
              st.text(max_size=6)),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=5), children,
                                                                              max_size=3)),
    max_leaves=8,
)
CASES = {p.name: json.loads(p.read_text()) for p in REFCASES if p.stat().st_size < 60_000}


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            if k != "expected":
                out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:4]):
            out += _paths(v, (*prefix, i))
    return out


@PROPERTY
@given(name=st.sampled_from(sorted(CASES)), pick=st.integers(0, 10**6), value=JSON_VALUES,
       delete=st.booleans())
def test_refcase_mutations(name: str, pick: int, value: Any, delete: bool) -> None:
    data = copy.deepcopy(CASES[name])
    paths = _paths(data)
    path = paths[pick % len(paths)]
    assume(path)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    try:
        parse_refcase(data, name)
    except (RefcaseError, PedigreeError) as exc:
        assert str(exc)


def _dvi_case() -> dict[str, Any]:
    return copy.deepcopy(next(v for v in CASES.values() if v["category"] == "dvi"))


# Found here first (TypeError / ValueError / OverflowError escaped parse_refcase); now RefcaseErrors.
KNOWN_REFCASE_BUGS = ["victim sex [1]", "victim sex ':'", "victim sex inf", "family missing 5",
                      "family references 5"]


@pytest.mark.parametrize("bug", KNOWN_REFCASE_BUGS)
def test_refcase_known_bugs(bug: str) -> None:
    data = _dvi_case()
    victim = data["dvi"]["victims"][0]
    family = data["dvi"]["families"][0]
    if bug == "victim sex [1]":
        victim["sex"] = [1]
    elif bug == "victim sex ':'":
        victim["sex"] = ":"
    elif bug == "victim sex inf":
        victim["sex"] = float("inf")
    elif bug == "family missing 5":
        family["missing"] = 5
    else:
        family["references"] = 5
    with pytest.raises(RefcaseError):
        parse_refcase(data, "case.json")


@PROPERTY
@given(data=st.one_of(st.text(max_size=200).map(str.encode), JSON_VALUES.map(lambda v: json.dumps(v).encode())))
def test_load_refcase_any_utf8_file(data: bytes) -> None:
    with temp_file(data, ".json") as path:
        try:
            load_refcase(path)
        except (RefcaseError, PedigreeError) as exc:
            assert str(exc)


def test_load_refcase_refuses_a_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"category": "\x80"}')
    with pytest.raises(RefcaseError):
        load_refcase(path)


@pytest.mark.parametrize("path", REFCASES[:5], ids=lambda p: p.name)
def test_the_unmutated_cases_parse(path: Path) -> None:
    assert load_refcase(path).category
