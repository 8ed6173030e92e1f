"""Gene-dropping: founder allele frequencies match the table; Mendel; stepwise mutation."""

from __future__ import annotations

import numpy as np

from mpid.genetics.frequencies import load_builtin_table
from mpid.simulate import drop_genes, kit_frequencies
from mpid.simulate.genotypes import genotype_array, profile_dict


def test_founder_allele_frequencies_close_to_table() -> None:
    kf = kit_frequencies()
    table = load_builtin_table("NorwegianFrequencies_forrel")
    n = 20000
    founders = np.full(n, -1)
    genotypes = drop_genes(founders, founders, kf, np.random.default_rng(3))
    for j, locus in enumerate(kf.loci):
        counts = np.bincount(genotypes[:, j, :].ravel(), minlength=len(kf.alleles[j]))
        observed = counts / (2 * n)
        expected = np.array([table[locus].frequency(a) for a in kf.alleles[j]])
        se = np.sqrt(expected * (1 - expected) / (2 * n))
        assert np.all(np.abs(observed - expected) < 5 * se + 1e-3), locus


def test_children_inherit_one_allele_from_each_parent() -> None:
    kf = kit_frequencies()
    # 500 trios: father, mother, child.
    father = np.full(1500, -1)
    mother = np.full(1500, -1)
    father[2::3] = np.arange(0, 1500, 3)
    mother[2::3] = np.arange(1, 1500, 3)
    g = drop_genes(father, mother, kf, np.random.default_rng(4))
    child, dad, mum = g[2::3], g[0::3], g[1::3]
    assert np.all((child[..., 0:1] == dad).any(axis=-1))
    assert np.all((child[..., 1:2] == mum).any(axis=-1))


def test_stepwise_mutation_moves_one_repeat() -> None:
    kf = kit_frequencies()
    father = np.full(2000, -1)
    mother = np.full(2000, -1)
    father[1::2] = np.arange(0, 2000, 2)
    mother[1::2] = np.arange(0, 2000, 2)  # selfing keeps the test simple: both alleles from one parent
    g = drop_genes(father, mother, kf, np.random.default_rng(5), mutation_rate=0.2)
    parent, child = g[0::2], g[1::2]
    j = kf.loci.index("D21S11")
    alleles = kf.alleles[j]
    mutated = 0
    for p, c in zip(parent[:, j], child[:, j], strict=True):
        for allele in c:
            if allele not in p:
                mutated += 1
                steps = [abs(float(alleles[allele]) - float(alleles[q])) for q in p]
                assert any(abs(step - 1.0) < 1e-9 for step in steps)
    assert mutated > 50


def test_profile_dict_round_trip_and_partial() -> None:
    kf = kit_frequencies()
    g = drop_genes(np.full(3, -1), np.full(3, -1), kf, np.random.default_rng(6))
    profile = profile_dict(kf, g[0])
    assert np.array_equal(np.sort(genotype_array(kf, profile), axis=1), np.sort(g[0], axis=1))
    partial = g[1].copy()
    partial[0, 1] = -1
    partial[1] = -1
    p = profile_dict(kf, partial)
    assert p[kf.loci[0]][1] is None and kf.loci[1] not in p
