"""GeneMapper tables: the published sample files and the error messages."""

from pathlib import Path

import pytest

from mpid.formats import (
    AlleleParseError,
    BadValueError,
    EmptyLocusError,
    FormatError,
    MalformedFileError,
    MissingColumnError,
    ProfileRecord,
)
from mpid.formats.genemapper import parse_genemapper, write_genemapper

DATA = Path(__file__).resolve().parents[1] / "data" / "genemapper"


def by_id(records: list[ProfileRecord]) -> dict[str, ProfileRecord]:
    return {r.sample_id: r for r in records}


def test_euroformix_database_77_references_homozygotes_written_twice() -> None:
    records = parse_genemapper(DATA / "euroformix_databaseESX17.txt")
    assert len(records) == 77
    assert all(len(r.loci) == 17 for r in records)
    first = records[0]
    assert first.sample_id == "00-JP0001-14_20142342311_NO-3241"
    assert first.loci["D3S1358"] == ("14", "15")
    assert first.loci["TH01"] == ("7", "9.3")
    assert first.source_lines["D3S1358"] == 2
    # VWA spelled upper-case here, vWA in stain.txt: both canonical VWA.
    assert all("VWA" in r.loci for r in records)
    homozygotes = sum(1 for r in records for g in r.loci.values() if len(set(g)) == 1)
    assert homozygotes == 266
    assert all(len(g) == 2 for r in records for g in r.loci.values())


def test_euroformix_stain_crlf_no_final_newline_mixture() -> None:
    (stain,) = parse_genemapper(DATA / "euroformix_stain.txt")
    assert stain.sample_id == "evid1"
    assert len(stain.loci) == 17
    assert stain.loci["D1S1656"] == ("12", "15", "16", "16.3", "17.3")
    assert stain.loci["SE33"] == ("29.2", "30.2", "33.2")  # last line, no newline after it
    assert stain.loci["AMEL"] == ("X", "Y")
    sizes = [len(g) for g in stain.loci.values()]
    assert (sizes.count(3), sizes.count(4), sizes.count(5)) == (6, 4, 2)


def test_strvalidator_ref3_dot_headers_and_homozygote_rules() -> None:
    records = by_id(parse_genemapper(DATA / "strvalidator_ref3.txt"))
    assert set(records) == {"A2", "F2", "bc"}
    assert records["A2"].loci["AMEL"] == ("X", "X")  # written twice
    assert records["F2"].loci["D10S1248"] == ("14", "14")  # written once, Allele.2 empty
    assert records["bc"].loci["D1S1656"] == ("12", "17.3")
    assert records["A2"].loci["D2S441"] == ("11.3", "14")

    partial = by_id(parse_genemapper(DATA / "strvalidator_ref3.txt", single_allele="partial"))
    assert partial["F2"].loci["D10S1248"] == ("14", None)
    assert partial["A2"].loci["AMEL"] == ("X", "X")  # two calls: a real homozygote


def test_strvalidator_set3_ladders_controls_ol_and_repeated_samples() -> None:
    records = parse_genemapper(DATA / "strvalidator_set3.txt")
    ids = [r.sample_id for r in records]
    # 38 distinct names; the two controls appear twice in the file (two injections).
    assert len(set(ids)) == 38 and len(records) == 40
    assert ids.count("01-Pos.ktr.__") == 2 and ids.count("02-Neg.ktr.__") == 2
    assert sum(1 for i in ids if "Ladder" in i) == 3
    negatives = [r for r in records if r.sample_id == "02-Neg.ktr.__"]
    assert all(r.loci == {} for r in negatives)
    ladder = by_id(records)["16-Ladder__"]
    assert max(len(g) for g in ladder.loci.values()) >= 15
    ol_loci = [(r.sample_id, locus) for r in records for locus, g in r.loci.items() if "OL" in g]
    assert len(ol_loci) == 89
    positive = records[0]
    assert positive.loci["AMEL"] == ("OL", "X", "Y")
    assert "bc9" in " ".join(ids) and "BC10" in " ".join(ids)


def test_wide_layout_with_heights_and_ol() -> None:
    (record,) = parse_genemapper(DATA / "smartrank_GeneMapperExampleWithHeightsAndOL.txt")
    assert record.sample_id == "1234567_20160928001_AAAA0000NL#01"
    assert len(record.loci) == 16
    assert record.loci["D10S1248"] == ("12", "13", "14", "15", "16")
    assert record.loci["VWA"] == ("17", "OL")
    assert record.loci["D16S539"] == ("11", "12", "OL")
    assert record.loci["AMEL"] == ("X", "Y")


def write(tmp_path: Path, text: str, name: str = "profiles.txt", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_bom_semicolon_free_comma_file_and_custom_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffID,Locus,Call_1,Call_2\r\nS1,THO1,9.3,10.0\r\nS1,Penta D,12,\r\n")
    (record,) = parse_genemapper(path, sample_column="ID", allele_prefix="Call")
    assert record.loci == {"TH01": ("9.3", "10"), "PENTA_D": ("12", "12")}


def test_ignored_cells(tmp_path: Path) -> None:
    path = write(
        tmp_path, "Sample Name\tMarker\tAllele 1\tAllele 2\tAllele 3\nS\tFGA\t?\tNA\t\nS\tTPOX\t8\tNA\t?\n"
    )
    (record,) = parse_genemapper(path)
    assert record.loci == {"TPOX": ("8", "8")}


def test_error_bad_allele_names_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "Sample Name\tMarker\tAllele 1\tAllele 2\nS1\tTH01\t9\t9.3\nS1\tFGA\t22\t9.33\n")
    with pytest.raises(AlleleParseError) as info:
        parse_genemapper(path)
    assert str(info.value) == (
        "profiles.txt, line 3, field 'Allele 2': allele '9.33' has more than one decimal"
    )
    path = write(tmp_path, "Sample Name\tMarker\tAllele 1\nS1\tTH01\tabc\n")
    with pytest.raises(AlleleParseError, match="field 'Allele 1': allele 'abc' is not a valid allele call"):
        parse_genemapper(path)


def test_error_missing_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "Name\tMarker\tAllele 1\nS1\tTH01\t9\n")
    with pytest.raises(MissingColumnError) as info:
        parse_genemapper(path)
    assert str(info.value) == (
        "profiles.txt, line 1: missing sample column: expected one of 'Sample Name', 'Sample.Name'"
    )
    path = write(tmp_path, "Sample Name\tLoc\tAllele 1\nS1\tTH01\t9\n")
    with pytest.raises(MissingColumnError, match="missing marker column: expected one of 'Marker', 'Locus'"):
        parse_genemapper(path)
    path = write(tmp_path, "Sample Name\tMarker\tA1\nS1\tTH01\t9\n")
    with pytest.raises(MissingColumnError, match="no allele columns: expected 'Allele 1', 'Allele.1' or"):
        parse_genemapper(path)
    with pytest.raises(MissingColumnError, match="missing sample column 'Specimen'"):
        parse_genemapper(path, sample_column="Specimen")


def test_error_empty_marker_and_sample(tmp_path: Path) -> None:
    path = write(tmp_path, "Sample Name\tMarker\tAllele 1\nS1\t \t9\n")
    with pytest.raises(EmptyLocusError) as info:
        parse_genemapper(path)
    assert str(info.value) == "profiles.txt, line 2, field 'Marker': empty marker name"
    path = write(tmp_path, "Sample Name\tMarker\tAllele 1\n\tTH01\t9\n")
    with pytest.raises(BadValueError, match="line 2, field 'Sample Name': empty sample name"):
        parse_genemapper(path)


def test_error_empty_file_and_bad_option(tmp_path: Path) -> None:
    with pytest.raises(MalformedFileError, match="profiles.txt: empty file: no header line"):
        parse_genemapper(write(tmp_path, "\n\n"))
    with pytest.raises(BadValueError, match="single_allele must be 'homozygote' or 'partial', not 'x'"):
        parse_genemapper(write(tmp_path, "Sample Name\tMarker\tAllele 1\n"), single_allele="x")  # type: ignore[arg-type]
    with pytest.raises(FormatError, match="cannot read file"):
        parse_genemapper(tmp_path / "absent.txt")


def test_write_then_parse_gives_the_same_records(tmp_path: Path) -> None:
    records = parse_genemapper(DATA / "euroformix_stain.txt")
    records += parse_genemapper(DATA / "strvalidator_ref3.txt")
    out = tmp_path / "out.txt"
    write_genemapper(records, out)
    header = out.read_text().splitlines()[0]
    assert header == "Sample Name\tMarker\tAllele 1\tAllele 2\tAllele 3\tAllele 4\tAllele 5"
    back = parse_genemapper(out)
    assert [(r.sample_id, r.loci) for r in back] == [(r.sample_id, r.loci) for r in records]


def test_write_partial_genotype_reads_back_as_partial(tmp_path: Path) -> None:
    record = ProfileRecord("R1", {"PENTA_D": ("9", None), "TH01": ("6", "9.3")}, "mem")
    out = tmp_path / "p.txt"
    write_genemapper([record], out)
    assert "R1\tPenta D\t9\t\n" in out.read_text()
    (back,) = parse_genemapper(out, single_allele="partial")
    assert back.loci == record.loci


def test_panel_and_run_columns_and_marker_sorted_files(tmp_path: Path) -> None:
    text = (
        "Sample Name\tPanel\tRun Name\tMarker\tAllele 1\tAllele 2\n"
        "S1\tGlobalFiler_v2\tRUN-1\tTH01\t6\t7\n"
        "S2\tGlobalFiler_v2\tRUN-1\tTH01\t8\t9.3\n"
        "S1\tGlobalFiler_v2\tRUN-1\tFGA\t20\t22\n"
        "S2\tGlobalFiler_v2\tRUN-1\tFGA\t21\t21\n"
    )
    s1, s2 = parse_genemapper(write(tmp_path, text))
    assert (s1.sample_id, s1.kit, s1.run) == ("S1", "GlobalFiler_v2", "RUN-1")
    assert s1.loci == {"TH01": ("6", "7"), "FGA": ("20", "22")}
    assert s2.loci == {"TH01": ("8", "9.3"), "FGA": ("21", "21")}
    assert s1.source_lines == {"TH01": 2, "FGA": 4}


def test_wide_layout_errors(tmp_path: Path) -> None:
    with pytest.raises(MissingColumnError, match="line 1: no marker columns in the one-row-per-sample layout"):
        parse_genemapper(write(tmp_path, "Sample File\tSample Name\tHeight\nf.fsa\tS1\t100\n"))
    with pytest.raises(AlleleParseError, match="line 2, field 'TH01': allele 'six' is not a valid allele call"):
        parse_genemapper(write(tmp_path, "Sample File\tSample Name\tTH01\tHeight\nf.fsa\tS1\tsix, 7\t1, 2\n"))
    with pytest.raises(BadValueError, match="line 2, field 'Sample Name': empty sample name"):
        parse_genemapper(write(tmp_path, "Sample File\tSample Name\tTH01\tHeight\nf.fsa\t\t6, 7\t1, 2\n"))


def test_stray_quote_in_tab_file_does_not_swallow_lines(tmp_path: Path) -> None:
    text = 'Sample Name\tMarker\tAllele 1\tAllele 2\n"bone 5\tTH01\t6\t7\nS2\tTH01\t8\t9\n"S3"\tFGA\t20\t21\n'
    records = parse_genemapper(write(tmp_path, text))
    assert [(r.sample_id, r.source_lines) for r in records] == [
        ('"bone 5', {"TH01": 2}), ("S2", {"TH01": 3}), ("S3", {"FGA": 4})]


def test_write_with_kit_and_run_and_bad_sample_ids(tmp_path: Path) -> None:
    record = ProfileRecord("B-17", {"TH01": ("6", "7")}, "mem", kit="GlobalFiler", run="RUN-3")
    out = tmp_path / "k.txt"
    write_genemapper([record], out, with_kit_and_run=True)
    (back,) = parse_genemapper(out)
    assert (back.kit, back.run, back.loci) == ("GlobalFiler", "RUN-3", record.loci)
    with pytest.raises(BadValueError, match=r"sample_id 'a\\tb' is empty or holds a tab or line break"):
        write_genemapper([ProfileRecord("a\tb", {}, "mem")], out)
