"""Imports: whole or nothing, idempotent, specific error messages; exports that import back."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from mpid.formats.errors import FormatError
from mpid.registry.db import session_scope
from mpid.registry.matching_input import load_matching_input
from mpid.registry.models import FrequencyTable, ImportBatch, SampleType, Sex
from mpid.services.exporting import export_file
from mpid.services.importing import ImportOptions, ImportRecordError, import_file
from mpid.services.intake import ReportInput, register_report
from mpid.services.references import ConsentInput, add_donor
from mpid.services.sites import record_sample
from mpid.services.statistics import register_counts

REPO = Path(__file__).resolve().parents[2]
REFCASES = REPO / "tests" / "refcases"
DATA = REPO / "tests" / "data"


def _entity_counts(engine) -> dict[str, int]:
    with session_scope(engine) as s:
        return register_counts(s).entities


def _refcase_pedigrees(doc):
    """{family name: {person: (father, mother, sex)}} and the genotypes of typed references."""
    return {
        fam["name"]: {p["id"]: (p["father"], p["mother"], p["sex"]) for p in fam["pedigree"]}
        for fam in doc["dvi"]["families"]
    }


def test_refcase_dvi_goes_into_the_register_as_remains_and_families(engine):
    doc = json.loads((REFCASES / "F01_dvi_small_2fam_3vic.json").read_text())
    result = import_file(engine, "refcase", REFCASES / "F01_dvi_small_2fam_3vic.json")
    assert not result.already_imported
    assert result.counts == {
        "donors": 4, "families": 2, "frequency_tables": 1, "missing_persons": 2, "profiles": 7, "remains": 3,
    }  # fmt: skip
    with session_scope(engine) as s:
        data = load_matching_input(s)
    prefix = "F01_dvi_small_2fam_3vic-"
    victims = {r.remains_code.removeprefix("R-" + prefix): r for r in data.remains}
    assert set(victims) == {"V01", "V02", "V03"}
    for vid, remains in victims.items():
        assert remains.loci == {k: tuple(v) for k, v in doc["genotypes"][vid].items()}
        assert remains.sex == next(v["sex"] for v in doc["dvi"]["victims"] if v["id"] == vid)
    expected = _refcase_pedigrees(doc)
    for family in data.families:
        name = family.code.removeprefix(prefix)
        assert {p.label: (p.father, p.mother, p.sex) for p in family.persons} == expected[name]
        for p in family.persons:
            assert p.loci == ({k: tuple(v) for k, v in doc["genotypes"][p.label].items()} if p.is_typed else None)
        fam_doc = next(f for f in doc["dvi"]["families"] if f["name"] == name)
        assert list(family.missing_labels) == ([fam_doc["missing"]] if isinstance(fam_doc["missing"], str)
                                              else fam_doc["missing"])  # fmt: skip
        assert set(family.typed_labels) == set(fam_doc["references"])


def test_refcase_missing_person_case_gives_a_family_and_the_poi_as_remains(engine):
    import_file(engine, "refcase", REFCASES / "B01_mp_mother_two_sibs.json")
    with session_scope(engine) as s:
        data = load_matching_input(s)
    (family,) = data.families
    assert family.missing_labels == ("MP",) and set(family.typed_labels) == {"M", "S1", "S2"}
    assert [r.remains_code for r in data.remains] == ["R-B01_mp_mother_two_sibs-POI"]


def test_a_pairwise_refcase_is_refused_with_its_reason(engine):
    with pytest.raises(ImportRecordError) as info:
        import_file(engine, "refcase", REFCASES / "A01_parent_child.json")
    assert str(info.value) == (
        "A01_parent_child.json, element hypotheses: refcase A01_parent_child (category pairwise) has no missing "
        "person 'MP', no dvi and no direct_match block: nothing to put in the register"
    )


def test_importing_the_same_file_twice_changes_nothing(engine):
    first = import_file(engine, "refcase", REFCASES / "F02_dvi_small_3fam_4vic.json")
    before = _entity_counts(engine)
    second = import_file(engine, "refcase", REFCASES / "F02_dvi_small_3fam_4vic.json")
    assert second.already_imported and second.batch_id == first.batch_id and second.counts == first.counts
    assert _entity_counts(engine) == before


def test_a_pedigree_contradiction_rolls_back_the_whole_file(engine, tmp_path):
    doc = json.loads((REFCASES / "F01_dvi_small_2fam_3vic.json").read_text())
    # The second family's child gets a female father: the first family was already written.
    doc["dvi"]["families"][1]["pedigree"][3]["sex"] = 2
    bad = tmp_path / "F01_bad.json"
    bad.write_text(json.dumps(doc))
    before = _entity_counts(engine)
    with pytest.raises(ImportRecordError) as info:
        import_file(engine, "refcase", bad)
    assert str(info.value) == (
        "F01_bad.json, element dvi.families[1], field 'father': "
        "pedigree contradiction: 'F2_SP' is the father of 'F2_C1' but is recorded as female"
    )
    assert _entity_counts(engine) == before


def test_an_unknown_locus_names_file_line_and_locus(engine, tmp_path):
    lab_file = tmp_path / "run1.txt"
    lab_file.write_text("Sample Name\tMarker\tAllele 1\tAllele 2\nS1\tTH01\t6\t9.3\nS1\tXYZ1\t10\t11\n")
    with pytest.raises(ImportRecordError) as info:
        import_file(engine, "genemapper", lab_file, ImportOptions(category="remains"))
    assert str(info.value) == (
        "run1.txt, line 3, field 'XYZ1': sample S1: unknown locus 'XYZ1': "
        "not a known STR marker and not in any stored frequency table"
    )
    assert _entity_counts(engine)["samples"] == 0


def test_a_locus_of_a_stored_frequency_table_is_known(engine, tmp_path):
    table = tmp_path / "local.csv"
    table.write_text("marker,allele,frequency\nXYZ1,10,0.5\nXYZ1,11,0.5\n")
    import_file(engine, "frequencies", table)
    lab_file = tmp_path / "run1.txt"
    lab_file.write_text("Sample Name\tMarker\tAllele 1\tAllele 2\nS1\tXYZ1\t10\t11\n")
    assert import_file(engine, "genemapper", lab_file, ImportOptions(category="remains")).counts["profiles"] == 1


def test_an_unparseable_allele_names_file_line_and_column(engine, tmp_path):
    lab_file = tmp_path / "run2.txt"
    lab_file.write_text("Sample Name\tMarker\tAllele 1\tAllele 2\nS1\tTH01\t6\t9.33\n")
    with pytest.raises(FormatError) as info:
        import_file(engine, "genemapper", lab_file, ImportOptions(category="remains"))
    assert str(info.value) == "run2.txt, line 2, field 'Allele 2': allele '9.33' has more than one decimal"


def _two_cases_with_donors(engine):
    with session_scope(engine) as s:
        a = register_report(s, ReportInput("Agency (test)", "Test A", sex=Sex.MALE), case_code="MP-A")
        b = register_report(s, ReportInput("Agency (test)", "Test B", sex=Sex.MALE), case_code="MP-B")
        donor_a = add_donor(s, a, "mother", consent=ConsentInput(date(2024, 1, 1)))
        add_donor(s, b, "mother", consent=ConsentInput(date(2024, 1, 1)))
        record_sample(s, "REF-A", SampleType.BUCCAL, donor=donor_a)
        return donor_a.pseudonym


CMF_ONE = """<?xml version="1.0" encoding="UTF-8"?>
<CODISImportFile xmlns="urn:CODISImportFile-schema">
  <HEADERVERSION>3.2</HEADERVERSION>
  <MESSAGETYPE>Import</MESSAGETYPE>
  <DESTINATIONORI>MPID</DESTINATIONORI>
  <SOURCELAB>LAB1</SOURCELAB>
  <SUBMITBYUSERID>tester</SUBMITBYUSERID>
  <SUBMITDATETIME>2024-01-01T00:00:00</SUBMITDATETIME>
  <SPECIMEN CASEID="{case}">
    <SPECIMENID>{barcode}</SPECIMENID>
    <SPECIMENCATEGORY>{category}</SPECIMENCATEGORY>
    <LOCUS>
      <LOCUSNAME>TH01</LOCUSNAME>
      <ALLELE><ALLELEVALUE>6</ALLELEVALUE></ALLELE>
      <ALLELE><ALLELEVALUE>9.3</ALLELEVALUE></ALLELE>
    </LOCUS>
  </SPECIMEN>
</CODISImportFile>
"""


def test_a_bar_code_bound_to_another_case_is_refused(engine, tmp_path):
    pseudonym = _two_cases_with_donors(engine)
    cmf = tmp_path / "lab.xml"
    cmf.write_text(CMF_ONE.format(case="MP-B", barcode="REF-A", category="Biological Mother"))
    before = _entity_counts(engine)
    with pytest.raises(ImportRecordError) as info:
        import_file(engine, "cmf", cmf)
    assert str(info.value) == (
        f"lab.xml, line 12, field 'barcode': sample REF-A: bar code 'REF-A' is already bound to donor "
        f"{pseudonym} of case MP-A, not to case MP-B"
    )
    assert _entity_counts(engine) == before


def test_a_cmf_relative_with_a_case_id_is_placed_in_that_pedigree(engine, tmp_path):
    _two_cases_with_donors(engine)
    cmf = tmp_path / "lab.xml"
    cmf.write_text(CMF_ONE.format(case="MP-B", barcode="REF-B2", category="Biological Father"))
    import_file(engine, "cmf", cmf, ImportOptions(consent_given_on=date(2024, 2, 1)))
    with session_scope(engine) as s:
        data = load_matching_input(s)
    family_b = next(f for f in data.families if "MP-B" in f.code)
    mp = next(p for p in family_b.persons if p.missing_person_id is not None)
    father = next(p for p in family_b.persons if p.label == mp.father)
    assert father.loci == {"TH01": ("6", "9.3")}


def test_a_new_bar_code_without_category_asks_for_one(engine, tmp_path):
    cmf = tmp_path / "lab.xml"
    cmf.write_text(CMF_ONE.format(case="X", barcode="BC-9", category="Forensic, Unknown"))
    with pytest.raises(ImportRecordError, match=r"import with --category remains or --category reference"):
        import_file(engine, "cmf", cmf)


def test_real_lab_files_import(engine):
    assert import_file(engine, "cmf", DATA / "cmf" / "CODIS-32.AppendixAexample.xml",
                       ImportOptions(category="remains")).counts == {"profiles": 2, "remains": 2}  # fmt: skip
    result = import_file(
        engine, "genemapper", DATA / "genemapper" / "euroformix_databaseESX17.txt", ImportOptions(category="reference")
    )
    assert result.counts == {"donors": 77, "profiles": 77}


def test_frequency_tables_are_versioned(engine, tmp_path):
    v1 = tmp_path / "pop.csv"
    v1.write_text("marker,allele,frequency\nTH01,6,0.4\nTH01,7,0.6\n")
    v1_again = tmp_path / "pop_copy.csv"
    v1_again.write_text("marker,allele,frequency\nTH01,7,0.6\nTH01,6,0.4\n")
    v2 = tmp_path / "pop_v2.csv"
    v2.write_text("marker,allele,frequency\nTH01,6,0.5\nTH01,7,0.5\n")
    opts = ImportOptions(table_name="Test population")
    assert import_file(engine, "frequencies", v1, opts).counts == {"frequency_tables": 1}
    assert import_file(engine, "frequencies", v1_again, opts).counts == {"frequency_tables_unchanged": 1}
    assert import_file(engine, "frequencies", v2, opts).counts == {"frequency_tables": 1}
    with session_scope(engine) as s:
        tables = s.scalars(select(FrequencyTable).order_by(FrequencyTable.version)).all()
        assert [(t.name, t.version) for t in tables] == [("Test population", 1), ("Test population", 2)]
        assert tables[1].as_markers() == {"TH01": {"6": 0.5, "7": 0.5}}


def test_register_lists_add_new_rows_and_leave_known_ones(engine, tmp_path):
    first = tmp_path / "list1.csv"
    first.write_text(
        "record_id,source,family_name,given_name,patronymic,sex,birth_date,missing_date,region\n"
        "A-1,Agency One,Testov,Test,Testovich,M,1970,1992-03,Region A\n"
    )
    second = tmp_path / "list2.csv"
    second.write_text(first.read_text() + "A-2,Agency One,Тестова,Тест,,F,05.06.1980,,Region B\n")
    assert import_file(engine, "register", first).counts == {"reports": 1}
    assert import_file(engine, "register", second).counts == {"reports": 1, "reports_unchanged": 1}
    with session_scope(engine) as s:
        counts = register_counts(s)
        assert counts.entities["missing_persons"] == 2 and counts.cases_by_region == {"Region A": 1, "Region B": 1}
        batches = s.scalars(select(ImportBatch)).all()
        assert [b.file_name for b in batches] == ["list1.csv", "list2.csv"]


def test_a_bad_date_in_a_register_list_names_line_and_field(engine, tmp_path):
    bad = tmp_path / "list.csv"
    bad.write_text("record_id,source,family_name,birth_date\nA-1,Ag,Test,1970-13-01\n")
    with pytest.raises(FormatError) as info:
        import_file(engine, "register", bad)
    assert str(info.value) == "list.csv, line 2, field 'birth_date': date '1970-13-01' has month 13, not 1-12"


def test_familias_without_dvi_section_is_refused(engine):
    with pytest.raises(ImportRecordError) as info:
        import_file(engine, "familias", DATA / "familias" / "paternity.fam")
    assert str(info.value) == (
        "paternity.fam, field '[DVI]': no [DVI] section: the file holds a kinship case, not missing persons and remains"
    )


@pytest.mark.parametrize("name", ["dvi-example.fam", "Solution3_3.fam", "KETPex498.fam", "exclusionExample.fam"])
def test_familias_dvi_files_import(engine, name):
    result = import_file(engine, "familias", DATA / "familias" / name, ImportOptions(consent_given_on=date(2024, 1, 1)))
    assert result.counts["remains"] > 0 and result.counts["families"] > 0


def _signature(engine):
    """Profiles and pedigrees as comparable plain data, independent of ids and generated codes."""
    with session_scope(engine) as s:
        data = load_matching_input(s)
    remains = sorted(tuple(sorted(r.loci.items())) for r in data.remains)
    families = sorted(
        tuple(
            sorted((p.sex, p.missing_person_id is not None, tuple(sorted((p.loci or {}).items()))) for p in f.persons)
        )
        for f in data.families
    )
    return remains, families


def test_cmf_export_imports_back_to_the_same_profiles(engine, tmp_path):
    import_file(engine, "refcase", REFCASES / "F01_dvi_small_2fam_3vic.json")
    out = tmp_path / "export.xml"
    assert export_file(engine, "cmf", out) == {"profiles": 7}
    from mpid.registry.testing import migrated_register

    (tmp_path / "fresh").mkdir()
    with migrated_register("sqlite", tmp_path / "fresh") as fresh:
        counts = import_file(fresh, "cmf", out).counts
        assert counts == {"donors": 4, "profiles": 7, "remains": 3}
        from mpid.services.exporting import profile_records

        with session_scope(engine) as s, session_scope(fresh) as t:
            before = {(r.sample_id, tuple(sorted(r.loci.items()))) for r in profile_records(s)}
            # fresh donors have no consent yet: compare every stored profile
            from mpid.registry.models import Profile, Sample

            after = {
                (sample.barcode, tuple(sorted((k, tuple(v)) for k, v in profile.alleles.items())))
                for profile, sample in t.execute(select(Profile, Sample).join(Sample))
            }
        assert after == before


@pytest.mark.parametrize("kind", ["familias", "refcase"])
def test_pedigree_exports_import_back_to_the_same_profiles_and_pedigrees(engine, tmp_path, kind):
    import_file(engine, "refcase", REFCASES / "F05_dvi_degraded_equal_mut.json")
    out = tmp_path / f"export.{kind}"
    export_file(engine, kind, out)
    from mpid.registry.testing import migrated_register

    (tmp_path / "fresh").mkdir()
    with migrated_register("sqlite", tmp_path / "fresh") as fresh:
        import_file(fresh, kind, out, ImportOptions(consent_given_on=date(2024, 1, 1)))
        expected = _signature(engine)
        if kind == "familias":  # Familias holds two alleles per locus: partial calls are not exported
            remains, families = expected
            drop = lambda loci: tuple((k, v) for k, v in loci if None not in v)  # noqa: E731
            expected = (
                sorted(drop(r) for r in remains),
                sorted(tuple(sorted((sex, mp, drop(loci)) for sex, mp, loci in f)) for f in families),
            )
        assert _signature(fresh) == expected


@pytest.mark.parametrize("case", ["F03_dvi_mutation_stepwise", "F05_dvi_degraded_equal_mut"])
def test_refcase_export_gives_back_markers_and_mutation_matrices(engine, tmp_path, case):
    doc = json.loads((REFCASES / f"{case}.json").read_text())
    import_file(engine, "refcase", REFCASES / f"{case}.json")
    out = tmp_path / "export.json"
    export_file(engine, "refcase", out)
    exported = json.loads(out.read_text())
    assert [m["name"] for m in exported["markers"]] == [m["name"] for m in doc["markers"]]
    for mine, theirs in zip(exported["markers"], doc["markers"], strict=True):
        assert mine["alleles"] == theirs["alleles"] and mine["freqs"] == theirs["freqs"]
        for sex in ("female", "male"):
            assert {k: mine["mutation"][sex][k] for k in ("model", "rate", "rate2", "range")} == {
                k: theirs["mutation"][sex][k] for k in ("model", "rate", "rate2", "range")
            }
            np.testing.assert_allclose(
                mine["mutation"][sex]["matrix"], theirs["mutation"][sex]["matrix"], rtol=0, atol=1e-12
            )


def test_a_malformed_refcase_is_refused_with_what_is_missing(engine, tmp_path):
    doc = json.loads((REFCASES / "F01_dvi_small_2fam_3vic.json").read_text())
    del doc["dvi"]["victims"][1]["id"]
    bad = tmp_path / "no_id.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(ImportRecordError) as info:
        import_file(engine, "refcase", bad)
    assert str(info.value) == "no_id.json: malformed refcase: missing field 'id'"
    doc = json.loads((REFCASES / "F01_dvi_small_2fam_3vic.json").read_text())
    doc["dvi"]["victims"][2]["sex"] = 7
    bad.write_text(json.dumps(doc))
    with pytest.raises(ImportRecordError) as info:
        import_file(engine, "refcase", bad)
    assert str(info.value) == (
        "no_id.json, element dvi.victims[2], field 'sex': sex 7 is not 1/2/0, M/F/U or male/female/unknown"
    )
    assert _entity_counts(engine)["remains"] == 0


def test_a_large_lab_file_is_batched_and_still_whole_or_nothing(engine, tmp_path):
    lines = ["Sample Name\tMarker\tAllele 1\tAllele 2"]
    for i in range(700):
        lines += [f"BONE-{i:04d}\tTH01\t6\t9.3", f"BONE-{i:04d}\tD8S1179\t{10 + i % 5}\t14"]
    good = tmp_path / "run_big.txt"
    good.write_text("\n".join(lines) + "\n")
    bad = tmp_path / "run_big_bad.txt"
    bad.write_text("\n".join([*lines, "BONE-0700\tXYZ9\t10\t11"]) + "\n")  # after the first batch of 500
    with pytest.raises(ImportRecordError) as info:
        import_file(engine, "genemapper", bad, ImportOptions(category="remains", lab="LAB1"))
    assert str(info.value).startswith("run_big_bad.txt, line 1402, field 'XYZ9': sample BONE-0700: unknown locus")
    assert _entity_counts(engine)["remains"] == 0
    result = import_file(engine, "genemapper", good, ImportOptions(category="remains", lab="LAB1"))
    assert result.counts == {"profiles": 700, "remains": 700}
    counts = _entity_counts(engine)
    assert (counts["remains"], counts["samples"], counts["custody_events"], counts["profiles"]) == (700, 700, 700, 700)
    with session_scope(engine) as s:
        data = load_matching_input(s)
    by_code = {r.remains_code: r.loci for r in data.remains}
    assert by_code["R-BONE-0007"] == {"TH01": ("6", "9.3"), "D8S1179": ("12", "14")}
