"""Family tables with a stepwise mutation model: the batched builder equals the single-family tables and
the exact engine, and a candidate's per-marker factors are the exact engine's per-marker LRs.

Frequencies that do not sum to 1 (by a few per cent, either way) make every lumping convention
visible far above rounding: a remainder allele with the wrong mass, or the references' family
likelihood in the wrong allele space, would move the LRs by ~1e-2, not 1e-15.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from mpid.genetics.frequencies import load_builtin_table
from mpid.genetics.kinship import missing_person_lr
from mpid.genetics.markers import Marker
from mpid.genetics.mutation import MutationModel
from mpid.genetics.pedigree import Pedigree
from mpid.matching.search import (
    RemainsProfile,
    SearchSettings,
    _table_matrix,
    blind_search,
    encode_remains,
    pairwise_matrices,
    per_marker_factors,
)
from mpid.matching.tables import FamilyInput, build_tables, marker_table
from mpid.services.matching import candidate_per_locus
from mpid.simulate.families import simulate_families
from mpid.simulate.kit import kit_frequencies
from mpid.simulate.profiles import simulate_remains

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from simulated_inputs import family_inputs  # noqa: E402

STEPWISE = {"model": "stepwise", "rate": 0.01, "rate2": 1e-5, "range": 0.1}
SCALES = (1.0, 0.97, 1.02, 1.0, 0.99, 1.0)  # sum of the frequencies: exactly 1, short, over


@pytest.fixture(scope="module")
def problem():
    table = load_builtin_table()
    kf = kit_frequencies(table)
    loci = list(kf.loci[: len(SCALES)])
    markers = []
    for locus, scale in zip(loci, SCALES, strict=True):
        base = Marker.from_frequencies(table[locus])
        freqs = base.freqs * scale if scale != 1.0 else base.freqs
        markers.append(Marker(base.name, base.alleles, freqs,
                              MutationModel.from_params(base.alleles, freqs, STEPWISE, STEPWISE)))
    rng = np.random.default_rng(7)
    fams = simulate_families(24, kf, rng)
    inputs = family_inputs(fams, loci, max_members=10)
    samples = simulate_remains(fams, kf, rng, fraction_found=0.7, n_unlisted=5, extra_fragments_mean=0.0)
    remains = [
        RemainsProfile(s.sample_id, {k: v for k, v in s.profile.items() if k in loci}, 0)
        for s in samples if s.profile
    ]
    return markers, inputs, remains


def test_batched_tables_equal_single_family_tables(problem):
    markers, inputs, _remains = problem
    batched = build_tables(inputs, markers)
    compared = 0
    for fi, ft in zip(inputs, batched, strict=True):
        for m in markers:
            at = {p: g[m.name] for p, g in fi.genotypes.items() if m.name in g and p != fi.missing}
            single = marker_table(fi.pedigree, fi.missing, m, at)
            got = ft.tables[m.name]
            k = single.lr.size  # the single table has no remainder allele when it carries no mass
            np.testing.assert_allclose(got.lr[:k], single.lr, rtol=1e-12, atol=0)
            np.testing.assert_array_equal(got.excluded[:k], single.excluded)
            assert got.family_likelihood == pytest.approx(single.family_likelihood, rel=1e-12)
            if k < got.lr.size:  # a remainder without mass: no genotype carries it
                assert np.all(got.lr[k:] == 0.0) and np.all(got.excluded[k:])
            compared += 1
    assert compared == len(inputs) * len(markers) > 100


def test_table_entries_are_the_exact_per_marker_lrs(problem):
    markers, inputs, _remains = problem
    batched = build_tables(inputs[:6], markers)
    for fi, ft in zip(inputs[:6], batched, strict=True):
        for m in markers:
            t = ft.tables[m.name]
            for a, b in [(m.alleles[0], m.alleles[1]), (m.alleles[2], m.alleles[2]), (m.alleles[1], m.alleles[-1])]:
                ia, ib = sorted((m.alleles.index(a), m.alleles.index(b)))
                exact = missing_person_lr(
                    fi.pedigree, fi.missing, "POI", [m], {**fi.genotypes, "POI": {m.name: (a, b)}}
                ).per_marker[m.name]
                assert t.lr[ib * (ib + 1) // 2 + ia] == pytest.approx(exact, rel=1e-9, abs=1e-300)


def test_candidate_per_marker_factors_are_the_exact_per_marker_lrs(problem):
    markers, inputs, remains = problem
    # Partial genotypes too (a lost allele), and one marker no reference of one family is typed at.
    partial = [
        RemainsProfile(r.remains_id, {k: ((g[0], None) if i % 3 == 0 else g) for i, (k, g) in
                                      enumerate(r.genotypes.items())}, r.sex, 0.2 if j % 4 == 1 else 0.0)
        for j, r in enumerate(remains)
    ]
    first = inputs[0]
    untyped_at = markers[1].name
    inputs = [FamilyInput(first.family, first.pedigree, first.missing,
                          {p: {k: v for k, v in g.items() if k != untyped_at} for p, g in first.genotypes.items()}),
              *inputs[1:]]
    res = blind_search(partial, inputs, markers, SearchSettings(threshold_lr=1.0, prior=1e-2))
    by_mp = {(f.family, f.missing): f for f in inputs}
    by_id = {r.remains_id: r for r in partial}
    assert len(res.candidates) > 10
    from_tables = {"exact genotype": 0, "partial genotype": 0, "dropout": 0, "exact engine": 0}
    for c in res.candidates:
        fam, rem = by_mp[c.family, c.missing], by_id[c.remains_id]
        assert c.per_marker is not None and len(c.per_marker) == len(markers)
        exact = missing_person_lr(fam.pedigree, fam.missing, "POI", markers, {**fam.genotypes, "POI": rem.genotypes},
                                  dropout={"POI": rem.dropout})
        stored = candidate_per_locus(c, fam, rem, markers)
        assert list(stored) == [m.name for m in markers]
        for m, v in zip(markers, c.per_marker, strict=True):
            assert stored[m.name] == pytest.approx(exact.per_marker[m.name], rel=1e-9, abs=0), (c, m.name)
            g = rem.genotypes.get(m.name)
            if v is None:
                from_tables["exact engine"] += 1
            elif g is not None:
                kind = "partial genotype" if g[1] is None else "exact genotype"
                from_tables[kind if rem.dropout == 0 else "dropout"] += 1
    # Every way a per-marker LR is obtained is exercised; the tables give most of them.
    assert min(from_tables.values()) > 0, from_tables
    assert from_tables["exact genotype"] > from_tables["exact engine"], from_tables
    assert any(c.family == first.family for c in res.candidates), "the family without data at a marker is tested"


def test_candidate_factors_multiply_to_the_search_lr(problem):
    markers, inputs, remains = problem
    enc = encode_remains(remains, markers)
    mat, _excl, _suffix, _sexes, _invalid = _table_matrix(build_tables(inputs, markers), markers, enc)
    res = blind_search(remains, inputs, markers, SearchSettings(threshold_lr=1.0, prior=1e-2))
    row_of = {(f.family, f.missing): k for k, f in enumerate(inputs)}
    col_of = {r.remains_id: k for k, r in enumerate(remains)}
    for c in res.candidates:
        factors = per_marker_factors(mat[row_of[c.family, c.missing]], enc, col_of[c.remains_id])
        assert math.prod(factors) == pytest.approx(c.lr, rel=1e-12)


def test_a_model_that_lumps_the_references_unobserved_alleles():
    """Three alleles, references homozygous for the middle one: stepwise lumps {a, c} exactly, though
    not in general; the references' likelihood then comes from the exact engine's lumped space."""
    alleles = ("10", "11", "12")
    freqs = np.array([0.3, 0.5, 0.17])
    spec = {"model": "stepwise", "rate": 0.02, "rate2": 1e-6, "range": 0.1}
    m = Marker("M", alleles, freqs, MutationModel.from_params(alleles, freqs, spec, spec))
    ped = Pedigree.from_records([("F", None, None, 1), ("M", None, None, 2), ("C", "F", "M", 1), ("MP", "F", "M", 1)])
    fi = FamilyInput("fam", ped, "MP", {"C": {"M": ("11", "11")}, "F": {"M": ("11", "11")}})
    got = build_tables([fi], [m])[0].tables["M"]
    single = marker_table(ped, "MP", m, {"C": ("11", "11"), "F": ("11", "11")})
    np.testing.assert_allclose(got.lr[: single.lr.size], single.lr, rtol=1e-12, atol=0)
    assert got.family_likelihood == pytest.approx(single.family_likelihood, rel=1e-12)


def test_search_exclusions_equal_the_full_tables(problem):
    """The search builds tables without Mendelian exclusions and adds them for families with a candidate."""
    markers, inputs, remains = problem
    partial = [RemainsProfile(r.remains_id, {k: ((g[0], None) if i % 4 == 0 else g) for i, (k, g) in
                                            enumerate(r.genotypes.items())}, r.sex) for r in remains]
    res = blind_search(partial, inputs, markers, SearchSettings(threshold_lr=1e-6, prior=1e-2))
    _lr, counts = pairwise_matrices(partial, inputs, markers)
    row_of = {(f.family, f.missing): k for k, f in enumerate(inputs)}
    col_of = {r.remains_id: k for k, r in enumerate(partial)}
    assert any(c.n_exclusions > 0 for c in res.candidates)
    for c in res.candidates:
        assert c.n_exclusions == counts[col_of[c.remains_id], row_of[c.family, c.missing]]


def test_a_looped_pedigree_split_into_halves_of_a_transmission():
    """A shape whose contraction costs n^5 (half-cousins' children, untyped generations) is computed as
    the sum of two contractions, one per allele a transmission copies; the tables are unchanged."""
    from mpid.matching.tables import _network_plan, canonical_shape

    table = load_builtin_table()
    base = Marker.from_frequencies(table[kit_frequencies(table).loci[1]])
    freqs = base.freqs * 0.98
    marker = Marker(base.name, base.alleles, freqs, MutationModel.from_params(base.alleles, freqs, STEPWISE, STEPWISE))
    fathers = [None, None, None, 2, 1, 2, 1, None, 5, 8, 8, 8, 8]
    mothers = [None, None, None, 0, 3, 0, 3, None, 7, 6, 6, 6, 6]
    sex = [2 if i in mothers else 1 for i in range(len(fathers))]
    ped = Pedigree.from_records([(f"p{i}", None if f is None else f"p{f}", None if m is None else f"p{m}", sex[i])
                                 for i, (f, m) in enumerate(zip(fathers, mothers, strict=True))])
    rng = np.random.default_rng(3)
    typed = ["p4", "p9", "p10", "p12"]
    refs = {p: {marker.name: tuple(sorted(rng.choice(marker.alleles, 2, p=freqs / freqs.sum()).tolist(),
                                          key=float))} for p in typed}
    _key, canon, _labels = canonical_shape(ped, "p11", set(typed))
    roles = _key[3]
    assert len(_network_plan(canon, roles, 16)[1]) == 2, "the shape is contracted in two halves"
    got = build_tables([FamilyInput("loop", ped, "p11", refs)], [marker])[0].tables[marker.name]
    single = marker_table(ped, "p11", marker, {p: g[marker.name] for p, g in refs.items()})
    np.testing.assert_allclose(got.lr[: single.lr.size], single.lr, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(got.excluded[: single.lr.size], single.excluded)
    assert got.family_likelihood == pytest.approx(single.family_likelihood, rel=1e-12)
