"""The simulated families behave as real ones under the kinship engine: true missing persons match."""

from __future__ import annotations

import numpy as np

from mpid.genetics.frequencies import load_builtin_table
from mpid.genetics.kinship import missing_person_lr
from mpid.genetics.markers import Marker
from mpid.genetics.pedigree import Pedigree, validate_pedigree
from mpid.simulate import FamilyConfig, simulate_families

LOCI = ["D3S1358", "VWA", "D8S1179", "D21S11", "D18S51", "TH01", "FGA", "D2S441", "D12S391", "D22S1045"]


def test_reference_pedigrees_validate_and_true_missing_persons_match() -> None:
    table = load_builtin_table("NorwegianFrequencies_forrel")
    families = simulate_families(40, table, np.random.default_rng(8), config=FamilyConfig(mutation_rate=0.0))
    markers = [Marker.from_frequencies(table[locus]) for locus in LOCI]
    true_lr, unrelated_lr = [], []
    for k, family in enumerate(families):
        records = [(m.id, m.father, m.mother, m.sex) for m in family.members]
        validate_pedigree(records)
        if len(family.donor_ids) < 2 or len(true_lr) >= 8:
            continue
        pedigree = Pedigree.from_records(records)
        other = families[(k + 1) % len(families)]
        for profile, sink in ((family.missing_genotypes[family.index_missing_id], true_lr),
                              (other.missing_genotypes[other.index_missing_id], unrelated_lr)):
            genotypes = {d: {locus: family.reference_genotypes[d][locus] for locus in LOCI} for d in family.donor_ids}
            genotypes["POI"] = {locus: profile[locus] for locus in LOCI}
            lr = missing_person_lr(pedigree, family.index_missing_id, "POI", markers, genotypes)
            sink.append(float(np.prod(list(lr.per_marker.values()))))
    assert len(true_lr) == 8
    assert all(v > 1e3 for v in true_lr), true_lr
    assert sum(v < 1 for v in unrelated_lr) >= 7, unrelated_lr
