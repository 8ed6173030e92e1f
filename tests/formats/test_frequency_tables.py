"""Allele frequency tables: every published file in tests/data, and the error messages."""

from pathlib import Path

import pytest

from mpid.formats import (
    AlleleParseError,
    BadFrequencyError,
    BadValueError,
    EmptyLocusError,
    FrequencyTableData,
    MalformedFileError,
    MissingColumnError,
    UnsafeXMLError,
)
from mpid.formats.frequencies import parse_frequency_table

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
FREQ = DATA / "frequencies"
STRIDER = DATA / "strider"


def single(path: Path, kind: str = "auto") -> FrequencyTableData:
    (table,) = parse_frequency_table(path, kind)
    return table


def sums(table: FrequencyTableData) -> dict[str, float]:
    return {locus: sum(freqs.values()) for locus, freqs in table.markers.items()}


@pytest.mark.parametrize("path", sorted((ROOT / "src" / "mpid" / "genetics" / "data").glob("*.csv")))
def test_long_csv_bundled_tables(path: Path) -> None:
    table = single(path)
    assert table.name == path.stem
    assert all(abs(total - 1) < 1e-6 for total in sums(table).values())
    assert all(size is None for size in table.sample_sizes.values())


def test_long_csv_norwegian() -> None:
    table = single(ROOT / "src" / "mpid" / "genetics" / "data" / "NorwegianFrequencies_forrel.csv", "long")
    assert table.markers["D3S1358"]["10"] == 5.21594e-05 and len(table.markers) == 35


def test_wide_nist_semicolon_bom_crlf_stat_rows() -> None:
    table = single(FREQ / "fafreqs_nist-caucasian.csv")
    assert table.name == "fafreqs_nist-caucasian"
    assert len(table.markers) == 29
    assert {"PENTA_C", "PENTA_D", "PENTA_E", "F13A01", "F13B", "FESFPS", "LPL", "CSF1PO"} <= set(table.markers)
    assert set(table.sample_sizes.values()) == {361}
    assert table.markers["CSF1PO"]["10"] == 0.2202  # written as 10.0
    assert all(allele.count(".") <= 1 and not allele.endswith(".0") for m in table.markers.values() for allele in m)
    assert "HOBS" not in str(table.markers)


def test_wide_ferdous_h_obs_last_row() -> None:
    table = single(FREQ / "fafreqs_ferdous-2010-bangladesh-chakma.csv")
    assert len(table.markers) == 10 and set(table.sample_sizes.values()) == {109}
    assert "VWA" in table.markers
    assert table.markers["TH01"]["6"] == 0.0412
    assert all(abs(total - 1) < 0.0015 for total in sums(table).values())
    assert "5" not in table.markers["TH01"]  # empty cell: not observed


def test_wide_euroformix_no_n_row_and_empty_rows() -> None:
    table = single(FREQ / "euroformix_ESX17_Norway.csv")
    assert len(table.markers) == 16 and set(table.sample_sizes.values()) == {None}
    for allele in ("6.3", "9.1", "10.1", "11.1", "11.4", "13.4", "14.1"):
        assert all(allele not in freqs for freqs in table.markers.values())
    assert all(abs(total - 1) < 1e-9 for total in sums(table).values())


def test_familias_frequency_file_norstr() -> None:
    table = single(FREQ / "norSTR_NorskDB_v2023.txt")
    assert len(table.markers) == 50
    assert {"PENTA_E", "PENTA_D", "D6S474", "D22GATA198B05"} <= set(table.markers)
    assert min(f for m in table.markers.values() for f in m.values()) == 0.001
    assert all(abs(total - 1) < 1e-5 for total in sums(table).values())
    assert set(table.sample_sizes.values()) == {None}


def test_strvalidator_stacked_databases() -> None:
    hill, norway = sorted(parse_frequency_table(FREQ / "strvalidator_database.txt"), key=lambda t: t.name)
    assert (hill.name, norway.name) == ("ESX 17 Hill", "SGM Norway")
    assert set(hill.sample_sizes.values()) == {1443} and set(norway.sample_sizes.values()) == {1000}
    assert norway.markers["AMEL"] == {"X": 0.501, "Y": 0.499}
    assert "43.2" in hill.markers["FGA"]
    assert len(hill.markers) == 17


def test_strider_csv_2019_one_table_per_population() -> None:
    tables = {t.name: t for t in parse_frequency_table(STRIDER / "STRidER_frequencies_2019-08-02.csv")}
    assert len(tables) == 20 and "THAILAND" in tables and "BOSNIA AND HERZEGOWINA" in tables
    austria = tables["AUSTRIA"]
    assert len(austria.markers) == 15
    assert austria.sample_sizes["D1S1656"] == 222
    assert austria.markers["D1S1656"]["1"] == 0.00225225  # the implausible allele 1 row is kept as published
    assert all(abs(total - 1) < 1e-4 for t in tables.values() for total in sums(t).values())


def test_strider_csv_2025_varying_columns_and_empty_block() -> None:
    tables = {t.name: t for t in parse_frequency_table(STRIDER / "STRidER_frequencies_2025-08-06.csv")}
    assert len(tables) == 33
    everything = tables["Entire Database"]
    assert everything.sample_sizes["D1S1656"] == 17479
    assert "D6S1043" not in everything.markers  # empty block
    assert "PENTA_D" in everything.markers
    assert len(everything.markers) == 44
    assert "6.4" in str([list(m) for t in tables.values() for m in t.markers.values()])
    assert all(len(t.markers) < 45 for t in tables.values())


def test_strider_xml() -> None:
    tables = {t.name: t for t in parse_frequency_table(STRIDER / "strider-2015.xml")}
    assert len(tables) == 21 and {"Europe", "Entire Database", "AUSTRIA"} <= set(tables)
    austria = tables["AUSTRIA"]
    assert austria.sample_sizes["VWA"] == 222
    assert austria.markers["VWA"]["18"] == pytest.approx(0.259009)
    assert list(austria.markers["VWA"]) == sorted(austria.markers["VWA"], key=float)
    empty = {"TPOX", "CSF1PO", "D13S317", "D7S820", "D5S818", "PENTA_D", "PENTA_E", "D6S1043", "YINDEL"}
    assert not empty & set(tables["Entire Database"].markers)
    assert len(tables["Entire Database"].markers) == 16
    se33_origins = sum(1 for t in tables.values() if "SE33" in t.markers)
    assert se33_origins == 13


def write(tmp_path: Path, text: str, name: str = "freqs.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_error_bad_frequencies(tmp_path: Path) -> None:
    with pytest.raises(BadFrequencyError) as info:
        parse_frequency_table(write(tmp_path, "marker,allele,frequency\nTH01,6,0.2\nTH01,7,abc\n"))
    assert str(info.value) == "freqs.csv, line 3, field 'frequency': frequency 'abc' is not a number"
    with pytest.raises(BadFrequencyError, match="line 3, field 'TH01': frequency '1.2' is not between 0 and 1"):
        parse_frequency_table(write(tmp_path, "Allele,TH01\n6,0.2\n7,1.2\n"))
    with pytest.raises(BadFrequencyError, match="line 2, field 'TH01': sample size 'many' is not a whole number"):
        parse_frequency_table(write(tmp_path, "Allele,TH01\nN,many\n6,0.2\n"))


def test_error_bad_allele_and_locus(tmp_path: Path) -> None:
    with pytest.raises(AlleleParseError, match="line 3, field 'Allele': allele 'Hmm' is not a valid allele call"):
        parse_frequency_table(write(tmp_path, "Allele,TH01\n6,0.2\nHmm,0.1\n"))
    with pytest.raises(AlleleParseError, match="allele '9.33' has more than one decimal"):
        parse_frequency_table(write(tmp_path, "marker,allele,frequency\nTH01,9.33,0.2\n"))
    with pytest.raises(EmptyLocusError, match="line 2, field 'marker': empty locus name"):
        parse_frequency_table(write(tmp_path, "marker,allele,frequency\n ,9,0.2\n"))


def test_error_duplicates(tmp_path: Path) -> None:
    with pytest.raises(MalformedFileError, match="line 3, field 'TH01': allele '10' is given twice at TH01"):
        parse_frequency_table(write(tmp_path, "Allele,TH01\n10,0.2\n10.0,0.1\n"))
    with pytest.raises(MalformedFileError, match="locus 'THO1' appears twice in the header \\(also as 'TH01'\\)"):
        parse_frequency_table(write(tmp_path, "Allele,TH01,THO1\n10,0.2,0.1\n"))
    with pytest.raises(MalformedFileError, match="line 4: marker 'TH01' appears twice"):
        parse_frequency_table(write(tmp_path, "TH01\n6\t0.5\n\nTH01\n7\t0.5\n", "db.txt"))


def test_error_layout_and_columns(tmp_path: Path) -> None:
    with pytest.raises(MalformedFileError, match="freqs.csv, line 1: unrecognised frequency table layout"):
        parse_frequency_table(write(tmp_path, "Name,Age\nA,3\n"))
    with pytest.raises(MalformedFileError, match="freqs.csv: empty file: no frequency table"):
        parse_frequency_table(write(tmp_path, "\n \n"))
    with pytest.raises(MissingColumnError, match="line 1: missing column 'frequency'"):
        parse_frequency_table(write(tmp_path, "marker,allele,freq\nTH01,6,0.1\n"), kind="long")
    with pytest.raises(MissingColumnError, match="first column must hold the alleles"):
        parse_frequency_table(write(tmp_path, "Name,TH01\n6,0.1\n"), kind="wide")
    with pytest.raises(MalformedFileError, match="freqs.csv: no allele frequencies found \\(read as wide\\)"):
        parse_frequency_table(write(tmp_path, "Allele,TH01,FGA\nN,100,100\n6,,\n"))
    with pytest.raises(BadValueError, match="unknown frequency table kind 'excel'"):
        parse_frequency_table(write(tmp_path, "x"), kind="excel")
    with pytest.raises(MalformedFileError, match="line 2: expected 'allele<TAB>frequency', found '6\\\\t0.1\\\\t3'"):
        parse_frequency_table(write(tmp_path, "TH01\n6\t0.1\t3\n", "db.txt"), kind="familias")


def test_error_strider_blocks(tmp_path: Path) -> None:
    text = "TH01,,\nAllele,A,B\n,100,200\n6,0.5,0.5\n7,0.5,0.5\nFGA,,\n20,1,1\n"
    with pytest.raises(MalformedFileError, match="line 6: marker FGA is not followed by an 'Allele,<populations>'"):
        parse_frequency_table(write(tmp_path, text), kind="strider_csv")
    good = "TH01,,\nAllele,A,B\n,100,200\n6,0.5,0.25\n7,0.5,0.75\n\nFGA,,\nAllele,B\n,50\n20,1\n"
    tables = {t.name: t for t in parse_frequency_table(write(tmp_path, good))}
    assert tables["A"].markers == {"TH01": {"6": 0.5, "7": 0.5}}
    assert tables["B"].markers == {"TH01": {"6": 0.25, "7": 0.75}, "FGA": {"20": 1.0}}
    assert tables["B"].sample_sizes == {"TH01": 200, "FGA": 50}


def test_error_strider_xml(tmp_path: Path) -> None:
    doc = ('<frequencies><marker><name>TH01</name><alleles>6</alleles><origin name="X" n="10">'
           '<frequency allele="6">2.0</frequency></origin></marker></frequencies>')
    with pytest.raises(BadFrequencyError) as info:
        parse_frequency_table(write(tmp_path, doc, "f.xml"))
    assert str(info.value) == (
        "f.xml, line 1, element /frequencies/marker[1]/origin[1]/frequency[1]: frequency '2.0' is not between 0 and 1"
    )
    with pytest.raises(UnsafeXMLError, match="f.xml: refused"):
        parse_frequency_table(write(tmp_path, '<!DOCTYPE f [<!ENTITY a "b">]><frequencies/>', "f.xml"))
    with pytest.raises(MalformedFileError, match="root element is table, expected frequencies"):
        parse_frequency_table(write(tmp_path, "<table/>", "f.xml"))


def test_long_with_population_and_n_columns(tmp_path: Path) -> None:
    text = "population,marker,allele,frequency,n\nA,TH01,6,0.5,100\nA,TH01,7,0.5,100\nB,vWA,16,1,40\n"
    a, b = parse_frequency_table(write(tmp_path, text))
    assert (a.name, a.markers, a.sample_sizes) == ("A", {"TH01": {"6": 0.5, "7": 0.5}}, {"TH01": 100})
    assert (b.name, b.markers, b.sample_sizes) == ("B", {"VWA": {"16": 1.0}}, {"VWA": 40})


def test_wide_with_n_as_last_row_and_tabs(tmp_path: Path) -> None:
    table = single(write(tmp_path, "Allele\tTH01\tPenta D\n6\t0,25\t\n7\t0,75\t1\nN\t200\t150\n", "t.txt"))
    assert table.markers == {"TH01": {"6": 0.25, "7": 0.75}, "PENTA_D": {"7": 1.0}}
    assert table.sample_sizes == {"TH01": 200, "PENTA_D": 150}


def test_stacked_errors(tmp_path: Path) -> None:
    with pytest.raises(BadValueError, match="line 2, field 'Database': empty database name"):
        parse_frequency_table(write(tmp_path, "Database\tN\tAllele\tTH01\n\t100\t6\t1\n", "s.txt"))
    with pytest.raises(MissingColumnError, match="missing column 'Allele'"):
        parse_frequency_table(write(tmp_path, "Database\tN\tTH01\nX\t100\t1\n", "s.txt"), kind="stacked")
