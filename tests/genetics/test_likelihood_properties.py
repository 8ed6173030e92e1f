"""Properties of the likelihood engine, and agreement with brute-force enumeration on random inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mpid.genetics.bruteforce import brute_force_likelihood
from mpid.genetics.kinship import Hypothesis, kinship_lr
from mpid.genetics.likelihood import marker_likelihood
from mpid.genetics.markers import Marker
from mpid.genetics.mutation import MutationModel, mutation_matrix
from mpid.genetics.pedigree import Pedigree

ALLELES = ("9", "9.3", "10", "11")

# Small pedigrees covering the hard shapes: loops (half-sib mating, double first cousins
# reduced), untyped connectors, several components.
PEDIGREES = {
    "trio": [("F", None, None, 1), ("M", None, None, 2), ("C", "F", "M", 1)],
    "sibs_untyped_parents": [("F", None, None, 1), ("M", None, None, 2), ("A", "F", "M", 1), ("B", "F", "M", 2)],
    "sib_mating": [
        ("F", None, None, 1), ("M", None, None, 2), ("A", "F", "M", 1), ("B", "F", "M", 2), ("C", "A", "B", 1),
    ],
    "grandparent": [
        ("G", None, None, 1), ("W", None, None, 2), ("P", "G", "W", 1), ("Q", None, None, 2), ("C", "P", "Q", 2),
    ],
    "two_components": [("A", None, None, 1), ("B", None, None, 2), ("K", "A", "B", 1), ("X", None, None, 2)],
}


def marker_with(freqs: list[float], model: str | None = None, rate: float = 0.0, silent: float = 0.0) -> Marker:
    """A marker over the first len(freqs) of ALLELES (3 alleles keep brute force fast)."""
    f = np.array(freqs) / np.sum(freqs)
    alleles = ALLELES[: f.size]
    mut = None
    if model is not None:
        params = {"model": model, "rate": rate, "rate2": 1e-4 if model == "stepwise" else None,
                  "range": 0.3 if model == "stepwise" else None}
        mut = MutationModel.from_params(alleles, f, params, {**params, "rate": rate * 2})
    return Marker("M1", alleles, f, mut, silent)


genotype = st.tuples(st.sampled_from(ALLELES), st.sampled_from(ALLELES + (None,))).map(
    lambda g: (g[0], g[1]) if g[1] is None else tuple(sorted(g))
)
genotype3 = st.tuples(st.sampled_from(ALLELES[:3]), st.sampled_from(ALLELES[:3] + (None,))).map(
    lambda g: (g[0], g[1]) if g[1] is None else tuple(sorted(g))
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.sampled_from(sorted(PEDIGREES)),
    freqs=st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3),
    data=st.data(),
    model=st.sampled_from([None, "equal", "proportional", "stepwise"]),
    theta=st.sampled_from([0.0, 0.0, 0.03]),
)
def test_engine_equals_brute_force(shape, freqs, data, model, theta):
    ped = Pedigree.from_records(PEDIGREES[shape])
    typed = data.draw(st.lists(st.sampled_from(ped.labels), unique=True, max_size=3))
    gts = {p: data.draw(genotype3) for p in typed}
    marker = marker_with(freqs, model, 0.01)
    fast = marker_likelihood(ped, marker, gts, theta=theta, lump=False)
    slow = (
        math.prod(brute_force_likelihood(ped.subset(c), marker, gts, theta=theta) for c in ped.components())
        if gts else 1.0
    )
    assert fast == pytest.approx(slow, rel=1e-11, abs=1e-300)


@settings(max_examples=30, deadline=None)
@given(freqs=st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3), data=st.data(),
       dropout=st.floats(0.0, 0.6), silent=st.sampled_from([0.0, 0.01]))
def test_dropout_and_silent_equal_brute_force(freqs, data, dropout, silent):
    ped = Pedigree.from_records(PEDIGREES["trio"])
    gts = {p: data.draw(genotype3) for p in ("F", "C")}
    marker = marker_with(freqs, silent=silent)
    fast = marker_likelihood(ped, marker, gts, dropout={"C": dropout}, lump=False)
    slow = brute_force_likelihood(ped, marker, gts, dropout={"C": dropout})
    assert fast == pytest.approx(slow, rel=1e-11, abs=1e-300)


@settings(max_examples=40, deadline=None)
@given(shape=st.sampled_from(sorted(PEDIGREES)), freqs=st.lists(st.floats(0.01, 1.0), min_size=4, max_size=4),
       data=st.data())
def test_lumping_does_not_change_the_likelihood(shape, freqs, data):
    ped = Pedigree.from_records(PEDIGREES[shape])
    typed = data.draw(st.lists(st.sampled_from(ped.labels), unique=True, min_size=1, max_size=3))
    gts = {p: data.draw(genotype) for p in typed}
    marker = marker_with(freqs, "equal", 0.02)
    assert marker_likelihood(ped, marker, gts) == pytest.approx(
        marker_likelihood(ped, marker, gts, lump=False), rel=1e-12
    )


@settings(max_examples=30, deadline=None)
@given(shape=st.sampled_from(sorted(PEDIGREES)), data=st.data(), seed=st.integers(0, 10**6))
def test_invariant_to_order_of_persons_and_alleles(shape, data, seed):
    recs = PEDIGREES[shape]
    rng = np.random.default_rng(seed)
    shuffled = [recs[i] for i in rng.permutation(len(recs))]
    ped1, ped2 = Pedigree.from_records(recs), Pedigree.from_records(shuffled)
    typed = data.draw(st.lists(st.sampled_from(ped1.labels), unique=True, min_size=1, max_size=3))
    gts = {p: data.draw(genotype) for p in typed}
    flipped = {p: (g if g[1] is None else (g[1], g[0])) for p, g in gts.items()}
    marker = marker_with([0.1, 0.2, 0.3, 0.4], "stepwise", 0.01)
    a = marker_likelihood(ped1, marker, gts)
    assert marker_likelihood(ped2, marker, gts) == pytest.approx(a, rel=1e-12)
    assert marker_likelihood(ped1, marker, flipped) == pytest.approx(a, rel=1e-12)


@given(freqs=st.lists(st.floats(0.01, 1.0), min_size=4, max_size=4), theta=st.floats(0.0, 0.2))
def test_singleton_genotype_probabilities_sum_to_one(freqs, theta):
    marker = marker_with(freqs)
    ped = Pedigree.from_records([("X", None, None, 1)])
    total = sum(
        marker_likelihood(ped, marker, {"X": (a, b)}, theta=theta)
        for i, a in enumerate(ALLELES) for b in ALLELES[i:]
    )
    assert total == pytest.approx(1.0, rel=1e-12)


@given(freqs=st.lists(st.floats(0.01, 1.0), min_size=4, max_size=4), data=st.data())
def test_lr_of_a_hypothesis_against_itself_is_one(freqs, data):
    ped = Pedigree.from_records(PEDIGREES["sib_mating"])
    gts = {p: {"M1": data.draw(genotype)} for p in ("A", "C")}
    h = Hypothesis("H", (ped,))
    marker = marker_with(freqs)
    liks, lrs = kinship_lr([h, Hypothesis("H_copy", (ped,))], [marker], gts)
    if liks["H"].per_marker["M1"] > 0:
        assert lrs[0].total == pytest.approx(1.0, rel=1e-14)


@given(model=st.sampled_from(["equal", "proportional", "stepwise"]), rate=st.floats(0.0, 0.05),
       freqs=st.lists(st.floats(0.01, 1.0), min_size=4, max_size=4))
def test_mutation_matrix_rows_sum_to_one(model, rate, freqs):
    f = np.array(freqs) / np.sum(freqs)
    m = mutation_matrix(model, ALLELES, f, rate, 1e-5, 0.5)
    assert np.allclose(m.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    assert np.all(m >= 0)


@settings(max_examples=25, deadline=None)
@given(shape=st.sampled_from(sorted(PEDIGREES)), freqs=st.lists(st.floats(0.05, 1.0), min_size=4, max_size=4),
       data=st.data(), theta=st.floats(0.001, 0.2))
def test_theta_by_partitions_equals_theta_on_the_grid(shape, freqs, data, theta):
    """The two exact θ algorithms (set partitions; tensor over founder alleles) agree."""
    from mpid.genetics import likelihood as lk

    ped = Pedigree.from_records(PEDIGREES[shape])
    typed = data.draw(st.lists(st.sampled_from(ped.labels), unique=True, min_size=1, max_size=3))
    gts = {p: data.draw(genotype) for p in typed}
    marker = marker_with(freqs)
    for comp in ped.components():
        sub = ped.subset(comp)
        here = {p: g for p, g in gts.items() if p in sub.labels}
        if not here:
            continue
        space = lk.allele_space(marker, {a for g in here.values() for a in g if a is not None}, False)
        idx = space.index
        w = {i: lk.genotype_weights(here[lab], idx, space.n) for i, lab in enumerate(sub.labels) if lab in here}
        grid = lk._theta_likelihood_tensor(sub, space, w, theta, max_size=10**7)
        parts = lk._theta_likelihood(sub, space, w, theta)
        assert grid == pytest.approx(parts, rel=1e-12)
