"""Blind search: the numba kernel equals its Python twin, pruning loses no candidate, engines agree."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from mpid.genetics.frequencies import load_builtin_table
from mpid.genetics.kinship import missing_person_lr
from mpid.genetics.markers import Marker
from mpid.matching.kernels import search_block, search_block_python
from mpid.matching.search import (
    RemainsProfile,
    SearchSettings,
    _table_matrix,
    blind_search,
    encode_remains,
    posterior_probability,
)
from mpid.matching.tables import build_tables
from mpid.simulate.families import simulate_families
from mpid.simulate.kit import kit_frequencies
from mpid.simulate.profiles import simulate_remains

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from simulated_inputs import family_inputs  # noqa: E402

LOCI = 12


@pytest.fixture(scope="module")
def problem():
    table = load_builtin_table()
    kf = kit_frequencies(table)
    loci = list(kf.loci[:LOCI])
    markers = [Marker.from_frequencies(table[m]) for m in loci]
    rng = np.random.default_rng(11)
    fams = simulate_families(40, kf, rng)
    inputs = family_inputs(fams, loci, max_members=9)
    samples = simulate_remains(fams, kf, rng, fraction_found=0.6, n_unlisted=15, extra_fragments_mean=0.0)
    remains = [
        RemainsProfile(s.sample_id, {k: v for k, v in s.profile.items() if k in loci}, 0, s.dropout_probability)
        for s in samples if s.profile
    ]
    return markers, inputs, remains


def test_kernel_equals_python_twin(problem):
    markers, inputs, remains = problem
    enc = encode_remains(remains, markers)
    mat, _excl, suffix, sexes, invalid = _table_matrix(build_tables(inputs, markers), markers, enc)
    fast = search_block(mat, enc.ptr, enc.cols, enc.coefs, enc.sex, sexes, np.zeros_like(suffix), -math.inf, invalid)
    slow = search_block_python(mat, enc.ptr, enc.cols, enc.coefs, enc.sex, sexes, invalid)
    np.testing.assert_allclose(fast, slow, rtol=1e-13, atol=0)


def test_pruning_keeps_every_candidate(problem):
    markers, inputs, remains = problem
    pruned = blind_search(remains, inputs, markers, SearchSettings(threshold_lr=1e2, prune=True))
    full = blind_search(remains, inputs, markers, SearchSettings(threshold_lr=1e2, prune=False))
    assert [(c.remains_id, c.missing, c.lr) for c in pruned.candidates] == [
        (c.remains_id, c.missing, c.lr) for c in full.candidates
    ]
    assert full.candidates, "the simulated problem should have candidates"


def test_candidates_equal_the_exact_engine(problem):
    markers, inputs, remains = problem
    res = blind_search(remains, inputs, markers, SearchSettings(threshold_lr=1.0, prior=1e-3))
    by_mp = {f.missing: f for f in inputs}
    by_id = {r.remains_id: r for r in remains}
    for c in res.candidates[:40]:
        fam, rem = by_mp[c.missing], by_id[c.remains_id]
        exact = missing_person_lr(
            fam.pedigree, fam.missing, "POI", markers, {**fam.genotypes, "POI": rem.genotypes},
            dropout={"POI": rem.dropout},
        ).total
        assert c.lr == pytest.approx(exact, rel=1e-9)
        assert c.posterior == pytest.approx(posterior_probability(exact, 1e-3), rel=1e-12)
    lrs = [c.lr for c in res.candidates]
    assert lrs == sorted(lrs, reverse=True)


def test_family_blocks_change_nothing(problem):
    markers, inputs, remains = problem
    a = blind_search(remains, inputs, markers, SearchSettings(threshold_lr=10.0, family_block=7))
    b = blind_search(remains, inputs, markers, SearchSettings(threshold_lr=10.0, family_block=1000))
    assert [(c.remains_id, c.missing) for c in a.candidates] == [(c.remains_id, c.missing) for c in b.candidates]


def test_posterior_formula():
    assert posterior_probability(1e6, 1e-3) == pytest.approx(1e3 / (1e3 + 0.999))
    assert posterior_probability(0.0, 0.5) == 0.0
    assert posterior_probability(math.inf, 0.01) == 1.0


@pytest.mark.slow
def test_dask_engine_gives_the_same_candidates(problem):
    distributed = pytest.importorskip("dask.distributed")
    from mpid.matching.engines_dask import DaskEngine

    markers, inputs, remains = problem
    local = blind_search(remains, inputs, markers, SearchSettings(threshold_lr=10.0, family_block=10))
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl,
        distributed.Client(cl) as client,
    ):
        remote = blind_search(
            remains, inputs, markers, SearchSettings(threshold_lr=10.0, family_block=10),
            engine=DaskEngine(client=client),
        )
    assert [(c.remains_id, c.missing, c.lr, c.n_exclusions) for c in remote.candidates] == [
        (c.remains_id, c.missing, c.lr, c.n_exclusions) for c in local.candidates
    ]
