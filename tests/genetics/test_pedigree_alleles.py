"""Pedigree validation lists every problem; allele and locus nomenclature."""

from __future__ import annotations

import pytest

from mpid.genetics.alleles import AlleleError, allele_sort_key, canonical_locus, parse_allele
from mpid.genetics.pedigree import Pedigree, PedigreeError
from mpid.genetics.profiles import parse_genotype


def test_parents_come_first_and_components_are_found():
    ped = Pedigree.from_records([("C", "F", "M", 1), ("X", None, None, 2), ("F", None, None, 1), ("M", None, None, 2)])
    assert ped.labels.index("C") > ped.labels.index("F")
    assert sorted(len(c) for c in ped.components()) == [1, 3]


@pytest.mark.parametrize(
    ("records", "message"),
    [
        (
            [("C", "F", "M", 1), ("F", None, None, 2), ("M", None, None, 2)],
            "'F' is the father of 'C' but has sex female",
        ),
        ([("C", "F", "M", 1), ("F", None, None, 1), ("M", None, None, 1)], "'M' is the mother of 'C' but has sex male"),
        ([("C", "F", None, 1), ("F", None, None, 1)], "'C' has only one parent given (father)"),
        ([("C", "F", "Q", 1), ("F", None, None, 1)], "'C' has unknown mother id 'Q'"),
        ([("A", "B", "M", 1), ("B", "A", "M", 1), ("M", None, None, 2)], "is their own ancestor"),
        ([("A", None, None, 1), ("A", None, None, 2)], "id 'A' appears more than once"),
    ],
)
def test_each_pedigree_problem_has_its_message(records, message):
    with pytest.raises(PedigreeError) as exc:
        Pedigree.from_records(records)
    assert message in str(exc.value)


def test_all_problems_are_listed_at_once():
    with pytest.raises(PedigreeError) as exc:
        Pedigree.from_records([("C", "F", None, 1), ("D", "F", "Q", 2), ("F", None, None, 2)])
    assert len(exc.value.problems) >= 3


@pytest.mark.parametrize(
    ("text", "allele"),
    [("9.3", "9.3"), ("10.0", "10"), (10, "10"), ("< 6", "<6"), (">15", ">15"), ("ol", "OL"), ("x", "X"),
     (" 22.2 ", "22.2")],
)
def test_allele_nomenclature(text, allele):
    assert parse_allele(text) == allele


@pytest.mark.parametrize("bad", ["", "?", "9.33", "-1", "abc", None, "1e1", "1e5000", "nan", "inf"])
def test_bad_alleles_are_refused(bad):
    with pytest.raises(AlleleError):
        parse_allele(bad)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("THO1", "TH01"), ("TH01", "TH01"), ("vWA", "VWA"), ("Penta D", "PENTA_D"), ("PentaD", "PENTA_D"),
     ("Penta_E", "PENTA_E"), ("Amelogenin", "AMEL"), ("d8s1179", "D8S1179")],
)
def test_locus_aliases(name, canonical):
    assert canonical_locus(name) == canonical


def test_numeric_allele_order_and_genotypes():
    assert sorted(["10", "9.3", "9", "<6", "OL"], key=allele_sort_key) == ["<6", "9", "9.3", "10", "OL"]
    assert parse_genotype("13/12") == ("12", "13")
    assert parse_genotype(["12", None]) == ("12", None)
    assert parse_genotype("-/-") is None
