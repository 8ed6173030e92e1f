"""A refcase imported into the register and matched from `load_matching_input` gives the case's LRs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from mpid.genetics.markers import Marker
from mpid.genetics.mutation import MutationModel
from mpid.genetics.pedigree import Pedigree
from mpid.matching.search import RemainsProfile, pairwise_matrices
from mpid.matching.tables import FamilyInput
from mpid.registry.db import session_scope
from mpid.registry.matching_input import MatchingInput, load_frequency_input, load_matching_input
from mpid.services.importing import import_file

REFCASES = Path(__file__).resolve().parents[2] / "tests" / "refcases"


def _search_inputs(data: MatchingInput, markers: dict[str, dict[str, float]], mutation: dict | None = None):
    """Register data → the blind-search engine's inputs (what a register matching service does)."""
    marker_list = []
    for name, alleles in markers.items():
        freqs = np.array(list(alleles.values()))
        model = None
        if mutation and name in mutation:
            model = MutationModel.from_params(tuple(alleles), freqs, mutation[name]["female"], mutation[name]["male"])
        marker_list.append(Marker(name, tuple(alleles), freqs, model))
    remains = [RemainsProfile(r.remains_code, dict(r.loci), r.sex) for r in data.remains]
    families = []
    for family in data.families:
        pedigree = Pedigree.from_records([(p.label, p.father, p.mother, p.sex) for p in family.persons])
        genotypes = {p.label: dict(p.loci) for p in family.persons if p.is_typed}
        for label in family.missing_labels:
            families.append(FamilyInput(family.code, pedigree, label, genotypes))
    return remains, families, marker_list


@pytest.mark.parametrize(
    "case",
    [
        "F01_dvi_small_2fam_3vic",
        "F02_dvi_small_3fam_4vic",
        "F04_dvi_symmetric_brothers",
        "F06_dvi_one_family_3_missing",
        "F03_dvi_mutation_stepwise",
        "F05_dvi_degraded_equal_mut",
        "F09_dvi_joint_8vic_5fam",
    ],
)
def test_pairwise_lrs_from_the_register_equal_the_refcase(engine, case):
    doc = json.loads((REFCASES / f"{case}.json").read_text())
    import_file(engine, "refcase", REFCASES / f"{case}.json")
    with session_scope(engine) as s:
        data = load_matching_input(s)
        table = load_frequency_input(s)
        markers, mutation = table.markers, table.mutation_models
        assert (table.name, table.version) == (f"refcase {case}", 1)
    assert bool(mutation) == bool(doc["settings"].get("mutation"))
    remains, families, marker_list = _search_inputs(data, markers, mutation)
    lr, _excl = pairwise_matrices(remains, families, marker_list)
    prefix = f"{case}-"
    expected = doc["expected"]["pairwise_lr"]
    compared = 0
    for r_index, r in enumerate(remains):
        victim = r.remains_id.removeprefix("R-" + prefix)
        for f_index, f in enumerate(families):
            want = expected[victim][f.missing]
            got = lr[r_index, f_index]
            if want is None:
                assert math.isnan(got)
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=0)
            compared += 1
    assert compared == len(expected) * len(families)
