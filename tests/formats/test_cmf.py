"""CODIS CMF 3.2 XML: the published sample files, round trips and refused XML."""

from datetime import datetime
from pathlib import Path

import pytest

from mpid.formats import (
    AlleleParseError,
    BadValueError,
    EmptyLocusError,
    MalformedFileError,
    MissingElementError,
    ProfileRecord,
    UnsafeXMLError,
)
from mpid.formats.cmf import parse_cmf, write_cmf
from mpid.formats.genemapper import parse_genemapper

DATA = Path(__file__).resolve().parents[1] / "data"
CMF = DATA / "cmf"


def test_appendix_a_example() -> None:
    first, second = parse_cmf(CMF / "CODIS-32.AppendixAexample.xml")
    assert (first.sample_id, second.sample_id) == ("IMP_0001A", "IMP_0001B")
    assert (len(first.loci), len(second.loci)) == (13, 16)
    assert first.kit == "PowerPlex 16" and first.lab == "IADCI0000" and first.run == "GEL2004_10_04_101"
    assert first.category == "Forensic, Unknown"
    assert first.attributes["case_id"] == "FL2004_10_04_ABC"
    assert first.attributes["source_id"] == "Yes" and first.attributes["partial"] == "true"
    assert first.attributes["comment"] == "Off-ladder allele value observed for FGA."
    assert second.loci["CSF1PO"] == ("<6", "8.2")
    assert second.loci["D13S317"] == ("13", ">15")
    assert second.loci["D21S11"] == ("<25", "28", "29")  # three alleles kept
    assert second.loci["PENTA_D"] == ("7.3", ">17")
    assert second.loci["D16S539"] == ("6", "7", "13.1", "14.2")
    assert second.loci["AMEL"] == ("X", "Y") and "PENTA_E" in second.loci and "VWA" in second.loci
    assert second.loci["D18S51"] == ("11", "11")  # one ALLELE: homozygote by default
    assert second.source_lines["CSF1PO"] == 165


def test_single_profile_homozygotes_as_one_allele() -> None:
    (record,) = parse_cmf(CMF / "smartrank_Codis-Single-Profile.xml")
    assert record.sample_id == "ABCD1234NL#01" and len(record.loci) == 16
    assert record.loci["VWA"] == ("16", "16")
    assert record.loci["D19S433"] == ("10", "10")
    assert record.loci["D2S441"] == ("10", "10")
    assert record.lab == "NO-SOURCELAB" and record.kit is None
    (partial,) = parse_cmf(CMF / "smartrank_Codis-Single-Profile.xml", single_allele="partial")
    assert partial.loci["VWA"] == ("16", None)


def test_bom_file_is_read_and_its_dummy_amelogenin_is_reported() -> None:
    with pytest.raises(AlleleParseError) as info:
        parse_cmf(CMF / "smartrank_Codis-Mix-Profile-With-BOM-Header.xml")
    assert str(info.value) == (
        "smartrank_Codis-Mix-Profile-With-BOM-Header.xml, line 123, element "
        "/CODISImportFile/SPECIMEN[1]/LOCUS[9]/ALLELE[1]/ALLELEVALUE[1]: "
        "allele 'Z' is not a valid allele call"
    )


def test_bom_file_with_amelogenin_fixed(tmp_path: Path) -> None:
    data = (CMF / "smartrank_Codis-Mix-Profile-With-BOM-Header.xml").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    fixed = tmp_path / "mix.xml"
    fixed.write_bytes(data.replace(b"<ALLELEVALUE>Z</ALLELEVALUE>", b"<ALLELEVALUE>X</ALLELEVALUE>"))
    (record,) = parse_cmf(fixed)
    assert record.category == "Forensic Mixture"
    assert len(record.loci) == 16
    assert max(len(g) for g in record.loci.values()) == 4
    assert record.loci["AMEL"] == ("X", "X")


def test_broken_locus_names_the_element() -> None:
    with pytest.raises(MissingElementError) as info:
        parse_cmf(CMF / "smartrank_broken-locus.xml")
    assert str(info.value) == (
        "smartrank_broken-locus.xml, line 45, element /CODISImportFile/SPECIMEN[1]/LOCUS[4]: "
        "LOCUS has no LOCUSNAME"
    )
    assert info.value.element == "/CODISImportFile/SPECIMEN[1]/LOCUS[4]"


HEADER = '<?xml version="1.0"?>\n<CODISImportFile xmlns="urn:CODISImportFile-schema">\n'


def xml_file(tmp_path: Path, body: str, name: str = "case.xml") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


@pytest.mark.parametrize(
    "doc",
    [
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n'
        "<CODISImportFile><SOURCELAB>&lol2;</SOURCELAB></CODISImportFile>",
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>\n'
        "<CODISImportFile><SOURCELAB>&ext;</SOURCELAB></CODISImportFile>",
        '<?xml version="1.0"?>\n<!DOCTYPE CODISImportFile SYSTEM "http://example.invalid/cmf.dtd">\n'
        "<CODISImportFile/>",
    ],
)
def test_entities_and_dtds_are_refused(tmp_path: Path, doc: str) -> None:
    with pytest.raises(UnsafeXMLError) as info:
        parse_cmf(xml_file(tmp_path, doc))
    assert str(info.value).startswith(
        "case.xml: refused: XML with a DTD, entity declarations or external references"
    )


def test_error_messages(tmp_path: Path) -> None:
    with pytest.raises(MalformedFileError, match=r"case.xml, line 4: not well-formed XML: mismatched tag"):
        parse_cmf(xml_file(tmp_path, HEADER + "<SPECIMEN>\n</LOCUS>"))
    with pytest.raises(MalformedFileError, match="root element is Profiles, expected CODISImportFile"):
        parse_cmf(xml_file(tmp_path, "<Profiles/>"))
    with pytest.raises(MissingElementError, match=r"SPECIMEN\[1\]: SPECIMEN has no SPECIMENID"):
        parse_cmf(xml_file(tmp_path, HEADER + "<SPECIMEN/></CODISImportFile>"))
    locus = "<SPECIMEN><SPECIMENID>S1</SPECIMENID><LOCUS><LOCUSNAME>{}</LOCUSNAME>{}</LOCUS></SPECIMEN>"
    allele = "<ALLELE><ALLELEVALUE>{}</ALLELEVALUE></ALLELE>"
    with pytest.raises(EmptyLocusError, match=r"LOCUS\[1\]/LOCUSNAME\[1\]: empty LOCUSNAME"):
        parse_cmf(xml_file(tmp_path, HEADER + locus.format(" ", allele.format(9)) + "</CODISImportFile>"))
    with pytest.raises(MissingElementError, match="LOCUS TH01 has no ALLELE"):
        parse_cmf(xml_file(tmp_path, HEADER + locus.format("TH01", "") + "</CODISImportFile>"))
    with pytest.raises(MissingElementError, match=r"ALLELE\[1\]: ALLELE has no ALLELEVALUE"):
        parse_cmf(xml_file(tmp_path, HEADER + locus.format("TH01", "<ALLELE/>") + "</CODISImportFile>"))
    with pytest.raises(AlleleParseError, match="allele '9.33' has more than one decimal"):
        doc = HEADER + locus.format("TH01", allele.format("9.33")) + "</CODISImportFile>"
        parse_cmf(xml_file(tmp_path, doc))
    twice = "<LOCUS><LOCUSNAME>THO1</LOCUSNAME>" + allele.format(9) + "</LOCUS>"
    doc = HEADER + locus.format("TH01", allele.format(9)).replace("</SPECIMEN>", twice + "</SPECIMEN>")
    with pytest.raises(BadValueError, match="locus THO1 appears twice in specimen S1"):
        parse_cmf(xml_file(tmp_path, doc + "</CODISImportFile>"))


def test_mpid_categories_round_trip(tmp_path: Path) -> None:
    categories = [
        "Missing Person", "Unidentified Person", "Biological Father", "Biological Mother",
        "Biological Child", "Biological Sibling", "Maternal Relative", "Paternal Relative",
    ]
    records = [
        ProfileRecord(
            sample_id=f"MP-{i}",
            loci={"TH01": ("6", "9.3"), "VWA": ("16", "16"), "PENTA_D": ("<6", ">15"), "AMEL": ("X", "Y"),
                  "D21S11": ("28", "29", "30.2")},
            source_path="memory",
            category=category,
            kit="GlobalFiler",
            run="RUN-7",
            attributes={"case_id": f"C{i}", "comment": "bone sample, partial"},
        )
        for i, category in enumerate(categories)
    ]
    out = tmp_path / "export.xml"
    write_cmf(records, out, source_lab="AZNCFS01", destination="AZNCFS02",
              submitted_at=datetime(2026, 1, 2, 3, 4, 5))
    text = out.read_text()
    assert "<LOCUSNAME>vWA</LOCUSNAME>" in text and "<LOCUSNAME>Penta D</LOCUSNAME>" in text
    assert text.count("<ALLELEVALUE>16</ALLELEVALUE>") == len(records)  # homozygote written once
    assert "&lt;6" in text and "&gt;15" in text
    back = parse_cmf(out)
    for before, after in zip(records, back, strict=True):
        assert (after.sample_id, after.loci, after.category, after.kit, after.run) == (
            before.sample_id, before.loci, before.category, before.kit, before.run)
        assert after.lab == "AZNCFS01" and after.attributes["destination"] == "AZNCFS02"
        assert after.attributes["case_id"] == before.attributes["case_id"]
        assert after.attributes["comment"] == before.attributes["comment"]
        assert after.attributes["submitted_at"] == "2026-01-02T03:04:05"


def test_round_trip_of_published_files(tmp_path: Path) -> None:
    for records in (
        parse_cmf(CMF / "CODIS-32.AppendixAexample.xml"),
        parse_genemapper(DATA / "genemapper" / "euroformix_databaseESX17.txt"),
    ):
        out = tmp_path / "again.xml"
        write_cmf(records, out, source_lab="LAB", destination="ORI")
        back = parse_cmf(out)
        assert [(r.sample_id, r.loci) for r in back] == [(r.sample_id, r.loci) for r in records]


def test_write_refuses_empty_sample_id(tmp_path: Path) -> None:
    with pytest.raises(BadValueError, match="record 1 has an empty sample_id"):
        write_cmf([ProfileRecord("", {}, "m")], tmp_path / "x.xml", source_lab="L", destination="D")


def test_not_xml_and_bad_option(tmp_path: Path) -> None:
    with pytest.raises(MalformedFileError) as info:
        parse_cmf(xml_file(tmp_path, "Sample Name\tMarker\n"))
    assert str(info.value) == "case.xml, line 1: not well-formed XML: syntax error"
    with pytest.raises(MalformedFileError, match="case.xml, line 1: not well-formed XML: no element found"):
        parse_cmf(xml_file(tmp_path, ""))
    with pytest.raises(BadValueError, match="single_allele must be 'homozygote' or 'partial', not 'both'"):
        parse_cmf(CMF / "smartrank_Codis-Single-Profile.xml", single_allele="both")  # type: ignore[arg-type]


def test_prefixed_namespace(tmp_path: Path) -> None:
    doc = (
        '<?xml version="1.0"?>\n<c:CODISImportFile xmlns:c="urn:CODISImportFile-schema">'
        "<c:SOURCELAB>LAB1</c:SOURCELAB><c:SPECIMEN CASEID='K9'><c:SPECIMENID>MP-1</c:SPECIMENID>"
        "<c:SPECIMENCATEGORY>Missing Person</c:SPECIMENCATEGORY><c:LOCUS><c:LOCUSNAME>D8S1179</c:LOCUSNAME>"
        "<c:ALLELE><c:ALLELEVALUE>13</c:ALLELEVALUE></c:ALLELE></c:LOCUS></c:SPECIMEN></c:CODISImportFile>"
    )
    (record,) = parse_cmf(xml_file(tmp_path, doc))
    assert (record.sample_id, record.category, record.lab) == ("MP-1", "Missing Person", "LAB1")
    assert record.loci == {"D8S1179": ("13", "13")} and record.attributes["case_id"] == "K9"


def test_write_refuses_control_characters(tmp_path: Path) -> None:
    with pytest.raises(BadValueError, match="SPECIMENID 'S\\\\x01' holds a control character that XML cannot carry"):
        write_cmf([ProfileRecord("S\x01", {"TH01": ("6", "7")}, "m")], tmp_path / "x.xml", source_lab="L",
                  destination="D")
