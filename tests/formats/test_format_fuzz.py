"""Property tests: whatever bytes a parser is given, it returns a result or raises FormatError."""

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mpid.formats import FormatError
from mpid.formats.cmf import parse_cmf
from mpid.formats.detect import detect_format
from mpid.formats.familias import parse_familias
from mpid.formats.frequencies import parse_frequency_table
from mpid.formats.genemapper import parse_genemapper
from mpid.formats.register_lists import parse_register_list

DATA = Path(__file__).resolve().parents[1] / "data"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PARSERS: dict[str, Callable[[Path], object]] = {
    "genemapper": parse_genemapper,
    "cmf": parse_cmf,
    "familias": parse_familias,
    "frequencies": parse_frequency_table,
    "register": parse_register_list,
    "detect": detect_format,
}


@contextmanager
def temp_file(data: bytes, suffix: str = ".txt") -> Iterator[Path]:
    handle, name = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        yield Path(name)
    finally:
        os.unlink(name)


def check(parser: Callable[[Path], object], data: bytes, suffix: str = ".txt") -> None:
    with temp_file(data, suffix) as path, suppress(FormatError):
        parser(path)


def mutate(original: bytes, cut: int, at: int, insert: bytes, drop: int) -> bytes:
    """Truncate, then splice random bytes in at a position and drop some after it."""
    data = original[: max(1, len(original) * cut // 100)]
    position = at % (len(data) + 1)
    return data[:position] + insert + data[position + drop:]


@FUZZ
@given(name=st.sampled_from(sorted(PARSERS)), data=st.binary(max_size=400))
def test_random_bytes(name: str, data: bytes) -> None:
    check(PARSERS[name], data)


@FUZZ
@given(name=st.sampled_from(sorted(PARSERS)), text=st.text(max_size=300))
def test_random_text(name: str, text: str) -> None:
    check(PARSERS[name], text.encode("utf-8"))


def corpus(*parts: str) -> list[tuple[str, bytes]]:
    files = []
    for part in parts:
        for path in sorted((DATA / part).iterdir()):
            if path.suffix != ".xsd" and path.stat().st_size < 250_000:
                files.append((path.name, path.read_bytes()))
    return files


MUTATION = dict(
    cut=st.integers(1, 100),
    at=st.integers(0, 10**6),
    insert=st.one_of(
        st.binary(max_size=12),
        st.sampled_from([b"\t", b",", b";", b"\n", b'"', b"<", b">", b"&", b"[", b"]", b"=", b"9.33", b"-1",
                         b"#TRUE#", b"1e999", b"nan", b"<!DOCTYPE x>", b"\xef\xbb\xbf", b"\x00"]),
    ),
    drop=st.integers(0, 40),
)


@FUZZ
@given(sample=st.sampled_from(corpus("genemapper")), **MUTATION)
def test_mutated_genemapper(sample: tuple[str, bytes], cut: int, at: int, insert: bytes, drop: int) -> None:
    check(parse_genemapper, mutate(sample[1], cut, at, insert, drop))


@FUZZ
@given(sample=st.sampled_from(corpus("cmf")), **MUTATION)
def test_mutated_cmf(sample: tuple[str, bytes], cut: int, at: int, insert: bytes, drop: int) -> None:
    check(parse_cmf, mutate(sample[1], cut, at, insert, drop), ".xml")


@FUZZ
@given(sample=st.sampled_from(corpus("familias")), **MUTATION)
def test_mutated_familias(sample: tuple[str, bytes], cut: int, at: int, insert: bytes, drop: int) -> None:
    check(parse_familias, mutate(sample[1], cut, at, insert, drop), ".fam")


@FUZZ
@given(sample=st.sampled_from(corpus("frequencies", "strider")), **MUTATION)
def test_mutated_frequency_tables(sample: tuple[str, bytes], cut: int, at: int, insert: bytes, drop: int) -> None:
    check(parse_frequency_table, mutate(sample[1], cut, at, insert, drop))


REGISTER_SAMPLE = (
    "record_id,family_name,given_name,sex,birth_date,missing_date\n"
    "SC-1,Nümunəli,Əli,kişi,1975-03-04,1993\nSC-2,Примеров,Пример,м,1980,1992-05\n"
).encode()


@FUZZ
@given(**MUTATION)
def test_mutated_register_csv(cut: int, at: int, insert: bytes, drop: int) -> None:
    check(parse_register_list, mutate(REGISTER_SAMPLE, cut, at, insert, drop))


@FUZZ
@given(at=st.integers(0, 10**6), insert=st.binary(min_size=1, max_size=8))
def test_corrupted_xlsx(at: int, insert: bytes) -> None:
    from mpid.formats import RegisterRow
    from mpid.formats.register_lists import REGISTER_FIELDS, write_register_xlsx

    with temp_file(b"", ".xlsx") as path:
        write_register_xlsx([RegisterRow(2, dict.fromkeys(REGISTER_FIELDS) | {"family_name": "A"})], path)
        data = path.read_bytes()
    position = at % len(data)
    check(parse_register_list, data[:position] + insert + data[position + len(insert):], ".xlsx")
