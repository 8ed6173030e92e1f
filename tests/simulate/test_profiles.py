"""Degraded bone profiles and the pure-Python remains API."""

from __future__ import annotations

import numpy as np

from mpid.simulate import DegradationModel, kit_frequencies, simulate_families, simulate_remains
from mpid.simulate.profiles import degrade_genotypes, draw_dropout_probabilities


def test_observed_alleles_come_from_the_true_genotype() -> None:
    kf = kit_frequencies()
    rng = np.random.default_rng(1)
    true = kf.sample_alleles((2000, 2), rng).transpose(0, 2, 1)
    dropout = draw_dropout_probabilities(2000, rng, DegradationModel())
    seen = degrade_genotypes(true, dropout, kf, rng, DegradationModel())
    for t, s in zip(true, seen, strict=True):
        for locus_true, locus_seen in zip(t, s, strict=True):
            assert set(locus_seen[locus_seen >= 0]) <= set(locus_true)
    # A single peak is always written (a, -1): a homozygote is never reported twice in bone.
    assert not np.any((seen[..., 0] == seen[..., 1]) & (seen[..., 0] >= 0))
    assert np.all((seen[..., 0] >= 0) | (seen[..., 1] < 0)), "the seen allele comes first"


def test_dropout_grows_with_degradation_and_long_loci_fail_first() -> None:
    kf = kit_frequencies()
    rng = np.random.default_rng(2)
    true = kf.sample_alleles((4000, 2), rng).transpose(0, 2, 1)
    model = DegradationModel()
    clean = degrade_genotypes(true, np.zeros(4000), kf, rng, model)
    assert np.all(clean[..., 0] >= 0), "no dropout: every locus seen"
    heterozygous = true[..., 0] != true[..., 1]
    assert np.all(clean[heterozygous][:, 1] >= 0), "no dropout: both alleles of heterozygotes seen"
    poor = degrade_genotypes(true, np.full(4000, 0.5), kf, rng, model)
    failed = np.mean(poor[..., 0] < 0, axis=0)
    assert failed[kf.loci.index("PENTA_E")] > failed[kf.loci.index("D2S441")]
    assert 0.2 < np.mean(poor[..., 0] < 0) < 0.8


def test_simulate_remains_truth_and_shape() -> None:
    rng = np.random.default_rng(3)
    families = simulate_families(300, None, rng)
    remains = simulate_remains(families, None, rng, n_unlisted=7)
    missing = {pid: f.family_id for f in families for pid in f.missing_ids}
    listed = {r.true_person_id for r in remains if r.true_family_id is not None}
    assert 0.25 < len(listed) / len(missing) < 0.42, "about a third of the missing are found"
    assert len({r.true_person_id for r in remains if r.true_family_id is None}) == 7
    assert len(remains) > len(listed) + 7, "some persons leave several fragments"
    assert len({r.sample_id for r in remains}) == len(remains)
    by_family = {f.family_id: f for f in families}
    for r in remains:
        if r.true_family_id is not None:
            assert missing[r.true_person_id] == r.true_family_id
            truth = by_family[r.true_family_id].missing_genotypes[r.true_person_id]
            for locus, (a, b) in r.profile.items():
                assert a in truth[locus] and (b is None or b in truth[locus])
    partial = [r for r in remains if r.profile and any(b is None for _, b in r.profile.values())]
    assert partial, "degraded profiles show dropout"
    assert any(len(r.profile) < 22 for r in remains), "some loci are missing"


def test_simulate_remains_reproducible() -> None:
    def run() -> list:
        rng = np.random.default_rng(4)
        return simulate_remains(simulate_families(40, None, rng), None, rng, n_unlisted=2)

    assert run() == run()


def test_amelogenin_shows_y_only_in_men_and_drops_like_an_allele() -> None:
    from mpid.simulate.profiles import degrade_amelogenin

    rng = np.random.default_rng(5)
    males = np.arange(4000) % 2 == 0
    clean = degrade_amelogenin(males, np.zeros(4000), rng, DegradationModel())
    assert all(a == (("X", "Y") if m else ("X", None)) for a, m in zip(clean, males, strict=True))
    poor = degrade_amelogenin(males, np.full(4000, 0.5), rng, DegradationModel())
    assert not any("Y" in a for a, m in zip(poor, males, strict=True) if not m)
    single_x_men = sum(a == ("X", None) for a, m in zip(poor, males, strict=True) if m)
    assert 300 < single_x_men < 700, "a man's Y drops out about a quarter of the time at d = 0.5"
