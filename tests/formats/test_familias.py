"""Familias .fam files: the five published projects, round trips and error messages."""

from dataclasses import replace
from pathlib import Path

import pytest

from mpid.formats import (
    BadFrequencyError,
    BadValueError,
    FamiliasPedigree,
    FamiliasPerson,
    MalformedFileError,
    UnknownLocusError,
)
from mpid.formats.familias import parse_familias, write_familias

DATA = Path(__file__).resolve().parents[1] / "data" / "familias"
FILES = sorted(p.name for p in DATA.glob("*.fam"))


def test_all_five_files_present() -> None:
    assert FILES == ["KETPex498.fam", "Solution3_3.fam", "dvi-example.fam", "exclusionExample.fam",
                     "paternity.fam"]


def test_paternity() -> None:
    project = parse_familias(DATA / "paternity.fam")
    assert project.version == "3.3.1" and project.dvi is None
    persons = {p.id: p for p in project.persons}
    assert list(persons) == ["AF", "MO", "CH"]
    assert (persons["AF"].sex, persons["MO"].sex, persons["CH"].sex) == ("male", "female", "male")
    assert len(persons["AF"].genotypes) == 10 and len(persons["CH"].genotypes) == 10
    assert persons["MO"].genotypes == {}
    assert persons["AF"].genotypes["D3S1358"] == ("17", "17")
    assert persons["AF"].genotypes["TH01"] == ("6", "9")
    assert [p.name for p in project.pedigrees] == ["H1", "H2"]
    assert project.pedigrees[0].relations == (("AF", "CH"), ("MO", "CH"))
    assert project.pedigrees[1].relations == ()
    assert project.database_name == "unknown" and len(project.loci) == 10
    for locus in project.loci:
        assert locus.female_model.model == locus.male_model.model == "stepwise_extended"
        assert (locus.female_model.rate, locus.male_model.rate) == (0.001, 0.002)
        assert locus.male_model.range == 0.1 and locus.male_model.rate2 == 1e-6
        assert locus.database_size == 1000
        assert abs(sum(locus.freqs) - 1) < 1e-6
    d3 = project.loci[0]
    assert d3.name == "D3S1358" and d3.alleles[0] == "10" and d3.freqs[0] == pytest.approx(5.21594e-5)
    all_alleles = {a for locus in project.loci for a in locus.alleles}
    assert {"17.4", "10.1"} <= all_alleles
    assert project.settings[0] == "[Advanced]" and project.settings[-1] == "ForceMAF= Disabled"


def test_dvi_example() -> None:
    project = parse_familias(DATA / "dvi-example.fam")
    assert project.version == "3.3" and project.persons == () and project.pedigrees == ()
    (locus,) = project.loci
    assert (locus.name, locus.alleles, locus.freqs) == ("L1", ("1", "2", "3"), (0.05, 0.05, 0.9))
    assert locus.database_size == 2500 and locus.male_model.model == "equal" and locus.male_model.rate == 0
    dvi = project.dvi
    assert dvi is not None
    assert [(v.id, v.sex, v.genotypes["L1"]) for v in dvi.victims] == [
        ("V1", "male", ("1", "1")), ("V2", "male", ("2", "2")), ("V3", "male", ("1", "2"))]
    (family,) = dvi.families
    assert family.name == "Reference family 1"
    assert [(p.id, p.sex) for p in family.persons] == [
        ("R", "female"), ("Missing male 1", "male"), ("Missing male 2", "male"), ("Missing male 3", "male")]
    assert family.persons[0].genotypes == {"L1": ("1", "1")}
    assert [p.name for p in family.pedigrees] == ["Reference pedigree", "Template pedigree 2"]
    assert family.pedigrees[1].relations == (
        ("R", "Missing male 2"), ("Missing person", "Missing male 2"), ("Missing male 2", "Missing male 3"))
    assert "Missing person" in family.missing
    assert project.settings[:3] == ("[Prior]", "UseList= Yes", "Size= 3")


def test_ketp_exercise_498() -> None:
    project = parse_familias(DATA / "KETPex498.fam")
    assert len(project.loci) == 16 and project.database_name == "Exercise_4_9_8"
    assert all(locus.male_model.model == "equal" and locus.male_model.rate == 0.001 for locus in project.loci)
    assert [p.id for p in project.persons] == ["Father", "MP", "Grandfather", "Mother", "Grandmother", "Niece",
                                               "Brother"]
    assert all(p.genotypes == {} for p in project.persons)
    dvi = project.dvi
    assert dvi is not None
    assert [(v.id, v.sex) for v in dvi.victims] == [("V1", "female"), ("V2", "male"), ("V3", "female")]
    assert dvi.victims[0].genotypes["D1S1656"] == ("16.3", "16")  # order kept as written
    (family,) = dvi.families
    assert len(family.persons) == 6
    assert sum(1 for p in family.persons if p.id.startswith("Missing")) == 3


def test_solution_3_3_proportional_model() -> None:
    project = parse_familias(DATA / "Solution3_3.fam")
    assert project.version == "3.2.9"
    assert project.database_name == "Norwegian database" and len(project.loci) == 22
    assert all(locus.female_model.model == "proportional" and locus.female_model.rate == 0.001
               for locus in project.loci)
    dvi = project.dvi
    assert dvi is not None and len(dvi.victims) == 8 and len(dvi.families) == 5
    assert all(len(v.genotypes) == 15 for v in dvi.victims)
    assert all(1 <= len(f.persons) <= 3 for f in dvi.families)
    refs = sum(1 for f in dvi.families for ped in f.pedigrees for rel in ped.relations
               for name in rel if name == "Missing person")
    assert refs == 14
    assert "UseList= No" in project.settings


def test_exclusion_example_rest_allele() -> None:
    project = parse_familias(DATA / "exclusionExample.fam")
    assert len(project.loci) == 15
    rest = [locus for locus in project.loci if "Rest allele" in locus.alleles]
    assert rest and all(locus.freqs[locus.alleles.index("Rest allele")] == 1e-5 for locus in rest)
    dvi = project.dvi
    assert dvi is not None and len(dvi.victims) == 16 and len(dvi.families) == 15
    assert all(v.sex == "male" for v in dvi.victims)
    assert all(3 <= len(f.persons) <= 9 for f in dvi.families)
    assert dvi.families[0].name == "0108"
    for family in dvi.families:
        missing = [p for p in family.persons if p.id == "Missing female 1"]
        assert len(missing) == 1 and missing[0].sex == "female"


@pytest.mark.parametrize("name", FILES)
def test_round_trip(tmp_path: Path, name: str) -> None:
    project = parse_familias(DATA / name)
    out = tmp_path / name
    write_familias(project, out)
    assert parse_familias(out) == project
    write_familias(parse_familias(out), tmp_path / "again.fam")
    assert (tmp_path / "again.fam").read_text() == out.read_text()


def test_round_trip_with_known_relations_extras_and_dropout(tmp_path: Path) -> None:
    base = parse_familias(DATA / "paternity.fam")
    persons = list(base.persons)
    persons[2] = replace(persons[2], father="AF", consider_dropout=True)
    project = replace(
        base,
        persons=tuple(persons),
        known_relations=FamiliasPedigree("Known relations", (("[extra female 1]", "MO"),),
                                         (("[extra female 1]", "female"),)),
        pedigrees=base.pedigrees + (
            FamiliasPedigree("H3", (("[extra male 1]", "CH"), ("MO", "CH")), (("[extra male 1]", "male"),)),),
        theta=0.01,
        comment="case 12",
    )
    out = tmp_path / "p.fam"
    write_familias(project, out)
    back = parse_familias(out)
    assert back.persons[1].mother == "[extra female 1]"
    assert back.persons[2].father == "AF" and back.persons[2].consider_dropout
    assert back.pedigrees[2] == project.pedigrees[2]
    assert (back.theta, back.comment) == (0.01, "case 12")
    assert back.known_relations.relations == (("[extra female 1]", "MO"), ("AF", "CH"))


def fam(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "case.fam"
    path.write_text(text)
    return path


def paternity_lines() -> list[str]:
    return (DATA / "paternity.fam").read_text().splitlines()


def test_error_not_familias(tmp_path: Path) -> None:
    with pytest.raises(MalformedFileError) as info:
        parse_familias(fam(tmp_path, "Sample Name\tMarker\n"))
    assert str(info.value) == (
        "case.fam, line 1: not a Familias file: line 1 is 'Sample Name\\tMarker', "
        "expected 'Output from Familias, version ...'"
    )
    with pytest.raises(MalformedFileError, match="case.fam, line 1: empty file"):
        parse_familias(fam(tmp_path, ""))


def test_error_truncated(tmp_path: Path) -> None:
    text = "\n".join(paternity_lines()[:30])
    with pytest.raises(MalformedFileError, match="line 31: unexpected end of file: expected an allele index"):
        parse_familias(fam(tmp_path, text))


def test_error_bad_integer_and_flag(tmp_path: Path) -> None:
    lines = paternity_lines()
    lines[10] = "ten"
    with pytest.raises(MalformedFileError) as info:
        parse_familias(fam(tmp_path, "\n".join(lines)))
    assert str(info.value) == (
        "case.fam, line 11, field \"the number of typed loci of person 'AF'\": "
        "expected the number of typed loci of person 'AF' (an integer), found 'ten'"
    )
    lines = paternity_lines()
    lines[9] = "yes"
    with pytest.raises(MalformedFileError, match=r"line 10, .*expected the sex of person 'AF' \(#TRUE# = male\)"):
        parse_familias(fam(tmp_path, "\n".join(lines)))


def test_error_bad_frequency_and_model(tmp_path: Path) -> None:
    lines = paternity_lines()
    index = lines.index('"10"', 100)
    lines[index + 1] = "1.5"
    with pytest.raises(BadFrequencyError, match="frequency 1.5 of allele '10' at D3S1358 is not between 0 and 1"):
        parse_familias(fam(tmp_path, "\n".join(lines)))
    lines = paternity_lines()
    model_line = lines.index('"D3S1358"') + 3
    lines[model_line] = "7"
    with pytest.raises(BadValueError, match=f"line {model_line + 1}, .*unknown mutation model code 7"):
        parse_familias(fam(tmp_path, "\n".join(lines)))
    lines = paternity_lines()
    lines[lines.index('"D3S1358"') + 1] = "fast"
    with pytest.raises(MalformedFileError, match="expected the female mutation rate of D3S1358 \\(a number\\)"):
        parse_familias(fam(tmp_path, "\n".join(lines)))


def test_error_bad_indices(tmp_path: Path) -> None:
    lines = paternity_lines()
    lines[13] = "42"  # locus index of AF's first genotype
    with pytest.raises(UnknownLocusError) as info:
        parse_familias(fam(tmp_path, "\n".join(lines)))
    assert str(info.value) == (
        "case.fam, line 14: person 'AF' is typed at locus index 42, but the database has 10 loci"
    )
    lines = paternity_lines()
    lines[11] = "99"
    with pytest.raises(MalformedFileError, match="line 12: allele index 99 of person 'AF' at D3S1358 is out of range"):
        parse_familias(fam(tmp_path, "\n".join(lines)))
    lines = paternity_lines()
    at = lines.index('"H1"')
    lines[at + 4] = "9"
    with pytest.raises(MalformedFileError, match="relation in 'H1' refers to person index 9, but there are 3"):
        parse_familias(fam(tmp_path, "\n".join(lines)))


def test_error_precomputed_and_dvi_counts(tmp_path: Path) -> None:
    lines = paternity_lines()
    at = next(i for i, line in enumerate(lines) if line.startswith("#FALSE# (#Databases"))
    lines[at] = "#TRUE# (#Databases: 1 ;Theta/Kinship/Fst: 0 )"
    with pytest.raises(BadValueError, match="files with precomputed probabilities are not supported"):
        parse_familias(fam(tmp_path, "\n".join(lines)))
    text = (DATA / "dvi-example.fam").read_text().replace("nPersons= 3", "nPersons= 4")
    with pytest.raises(MalformedFileError, match=r"line 36, field 'nPersons': \[Unidentified persons\] says "
                                                 r"nPersons= 4 but 3 follow"):
        parse_familias(fam(tmp_path, text))
    text = (DATA / "dvi-example.fam").read_text().replace("Allele1= 1\nAllele2= 2", "Allele1 1\nAllele2= 2")
    with pytest.raises(MalformedFileError, match="expected 'key= value' in the DVI section, found 'Allele1 1'"):
        parse_familias(fam(tmp_path, text))


def test_write_errors(tmp_path: Path) -> None:
    project = parse_familias(DATA / "paternity.fam")
    stranger = FamiliasPerson("X", "male", genotypes={"D99": ("1", "2")})
    with pytest.raises(UnknownLocusError, match="person 'X' is typed at D99, which is not in the database"):
        write_familias(replace(project, persons=(stranger,)), tmp_path / "w.fam")
    odd = FamiliasPerson("X", "male", genotypes={"TH01": ("6", "99")})
    with pytest.raises(BadValueError, match="allele '99' of person 'X' at TH01 is not in the database"):
        write_familias(replace(project, persons=(odd,)), tmp_path / "w.fam")
    bad = replace(project.loci[0], freqs=(float("nan"),) + project.loci[0].freqs[1:])
    with pytest.raises(BadValueError, match="D3S1358 has a frequency, rate or range that is not a finite number"):
        write_familias(replace(project, loci=(bad,) + project.loci[1:]), tmp_path / "w.fam")
    quoted = FamiliasPerson('Say "hi"', "male")
    with pytest.raises(BadValueError, match="cannot be written: it holds a line break or a double quote"):
        write_familias(replace(project, persons=(quoted,)), tmp_path / "w.fam")
    ghost = replace(project, pedigrees=(FamiliasPedigree("H9", (("Nobody", "CH"),)),))
    with pytest.raises(BadValueError, match="pedigree 'H9' refers to unknown person 'Nobody'"):
        write_familias(ghost, tmp_path / "w.fam")


def test_file_without_comment_line_and_with_theta(tmp_path: Path) -> None:
    lines = paternity_lines()
    del lines[3]  # the "" comment line: the person count follows the version directly
    at = next(i for i, line in enumerate(lines) if line.startswith("#FALSE# (#Databases"))
    lines[at] = "#FALSE# (#Databases: 1 ;Theta/Kinship/Fst: 0.02 )"
    project = parse_familias(fam(tmp_path, "\n".join(lines)))
    assert project.comment == "" and [p.id for p in project.persons] == ["AF", "MO", "CH"]
    assert project.theta == 0.02


def test_error_bad_theta(tmp_path: Path) -> None:
    lines = paternity_lines()
    at = next(i for i, line in enumerate(lines) if line.startswith("#FALSE# (#Databases"))
    lines[at] = "#FALSE# (#Databases: 1 ;Theta/Kinship/Fst: 1e )"
    with pytest.raises(MalformedFileError, match=f"line {at + 1}, field 'Theta/Kinship/Fst': theta '1e' is not"):
        parse_familias(fam(tmp_path, "\n".join(lines)))
