"""Degraded bone profiles: allelic dropout, failed loci, failed samples; and the pure-Python remains API.

Model (per sample): a dropout probability ``d`` is drawn from a mixture of quality classes
(well preserved, moderate, poor). Each locus fails entirely with probability
``min(0.97, locus_failure_scale · d · w_locus)``, where ``w_locus`` grows with the amplicon
length (long loci such as Penta D/E and FGA fail first). At a locus that did not fail, each
allele copy drops out independently with probability ``d``: a heterozygote may show one
allele, a homozygote disappears only if both copies drop. A bone profile never distinguishes
a homozygote from a dropout, so any single peak is reported as ``(a, None)``. A sample with
fewer than ``min_loci`` loci called is a failed extraction and yields no profile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .families import SimulatedFamily
from .genotypes import GenotypeProfile, genotype_array, profile_dict
from .kit import LOCUS_SIZE_WEIGHT, KitFrequencies, kit_frequencies

__all__ = [
    "DegradationModel",
    "SimulatedRemains",
    "degrade_amelogenin",
    "degrade_genotypes",
    "draw_dropout_probabilities",
    "simulate_remains",
]


@dataclass(frozen=True)
class DegradationModel:
    """Quality mixture of bone samples and how dropout turns into failed loci."""

    quality_classes: tuple[tuple[str, float, float, float], ...] = (
        ("good", 0.55, 0.0, 0.03),
        ("moderate", 0.33, 0.05, 0.3),
        ("poor", 0.12, 0.35, 0.7),
    )
    """(name, weight, lowest dropout, highest dropout): d is uniform within the class."""
    locus_failure_scale: float = 1.0
    min_loci: int = 6
    resample_below_loci: int = 16
    """The lab's protocol: a remains whose best profile so far has fewer loci than this is sampled again."""
    resample_dropout_above: float = 0.08
    """... and so is one whose every sample so far is low-template: at d > 0.08 a 23-locus profile shows
    stochastic effects (peaks under the stochastic threshold, imbalance) at more than about three
    heterozygous loci, which the lab sees and answers with another sample."""
    max_samples_per_remains: int = 3
    """Attempts per remains (the first sample included); 1 turns re-sampling off."""
    resample_multiplier: float = 0.7
    """Dropout multiplier of a re-sample: the lab then cuts the best-preserved element (a tooth, dense bone)."""
    amelogenin_failure_weight: float = 0.4
    """Relative failure chance of amelogenin, a short amplicon (as ``LOCUS_SIZE_WEIGHT``)."""


def draw_dropout_probabilities(n: int, rng: np.random.Generator, model: DegradationModel,
                               multiplier: np.ndarray | float = 1.0) -> np.ndarray:
    """Per-sample dropout probabilities from the quality mixture, scaled by ``multiplier`` (capped at 0.9)."""
    weights = np.array([c[1] for c in model.quality_classes])
    cls = rng.choice(len(weights), size=n, p=weights / weights.sum())
    low = np.array([c[2] for c in model.quality_classes])[cls]
    high = np.array([c[3] for c in model.quality_classes])[cls]
    return np.minimum(0.9, (low + (high - low) * rng.random(n)) * multiplier)


def degrade_genotypes(genotypes: np.ndarray, dropout: np.ndarray, kf: KitFrequencies,
                      rng: np.random.Generator, model: DegradationModel) -> np.ndarray:
    """Observed profiles ``(samples, loci, 2)`` from true ones: failed loci and dropped alleles become -1.

    A locus with one distinct allele seen is returned as ``(a, -1)`` (single peak).
    """
    n, n_loci, _ = genotypes.shape
    weight = np.array([LOCUS_SIZE_WEIGHT.get(locus, 1.0) for locus in kf.loci])
    p_fail = np.minimum(0.97, model.locus_failure_scale * dropout[:, None] * weight[None, :])
    failed = rng.random((n, n_loci)) < p_fail
    dropped = rng.random((n, n_loci, 2)) < dropout[:, None, None]
    observed = np.where(dropped | failed[..., None], -1, genotypes).astype(np.int16)
    first, second = observed[..., 0], observed[..., 1]
    # Homozygote seen (one copy or both) or heterozygote with one dropout: one peak, reported (a, -1).
    same = (first == second) & (first >= 0)
    only_second = (first < 0) & (second >= 0)
    first = np.where(only_second, second, first)
    second = np.where(same | only_second, -1, second)
    # Keep the two seen alleles in numeric (index) order.
    both = (first >= 0) & (second >= 0)
    lo = np.where(both, np.minimum(first, second), first)
    hi = np.where(both, np.maximum(first, second), second)
    return np.stack([lo, hi], axis=-1).astype(np.int16)


def degrade_amelogenin(males: np.ndarray, dropout: np.ndarray, rng: np.random.Generator,
                       model: DegradationModel) -> list[tuple[str | None, str | None]]:
    """Observed amelogenin per sample: X/Y copies drop out like any allele, the locus fails like a short one.

    A woman shows one X peak ``("X", None)``; a man ``("X", "Y")``, or one peak when a copy dropped.
    One X peak therefore never proves a woman in degraded bone: the Y may have dropped out.
    """
    failed = rng.random(len(dropout)) < np.minimum(0.97, model.locus_failure_scale * dropout
                                                   * model.amelogenin_failure_weight)
    dropped = rng.random((len(dropout), 2)) < dropout[:, None]
    out: list[tuple[str | None, str | None]] = []
    for k, male in enumerate(males):
        seen = [a for a, lost in zip(("X", "Y" if male else "X"), dropped[k], strict=True) if not lost]
        if failed[k] or not seen:
            out.append((None, None))
        else:
            distinct = sorted(set(seen))
            out.append((distinct[0], distinct[1] if len(distinct) > 1 else None))
    return out


@dataclass(frozen=True)
class SimulatedRemains:
    """One bone sample of recovered remains, its observed profile and the truth behind it."""

    sample_id: str
    remains_id: str
    profile: GenotypeProfile
    """Observed loci only; single peaks as ``(a, None)``; empty when the sample failed."""
    dropout_probability: float
    true_person_id: str
    true_family_id: str | None
    """None for a person who is not on the missing list."""


def simulate_remains(families: list[SimulatedFamily], freq_table: object = None,
                     rng: np.random.Generator | None = None, *, fraction_found: float = 1 / 3,
                     n_unlisted: int = 0, extra_fragments_mean: float = 0.5,
                     degradation: DegradationModel | None = None) -> list[SimulatedRemains]:
    """Bone samples for a random ``fraction_found`` of the families' missing persons (pure Python, no files).

    Each found person leaves 1 + Poisson(``extra_fragments_mean``) remains, one sample each,
    degraded independently; ``n_unlisted`` more people who are on no missing list are added.
    Samples come out shuffled, ids ``RM000001-S``.
    """
    if rng is None:
        raise ValueError("pass a seeded numpy.random.Generator (no global random state)")
    kf = freq_table if isinstance(freq_table, KitFrequencies) else kit_frequencies(freq_table)
    model = degradation or DegradationModel()
    people: list[tuple[str, str | None]] = []
    truth_rows: list[np.ndarray] = []
    for family in families:
        for person_id in family.missing_ids:
            if rng.random() < fraction_found:
                people.append((person_id, family.family_id))
                truth_rows.append(genotype_array(kf, family.missing_genotypes[person_id]))
    for k in range(n_unlisted):
        people.append((f"UNL{k + 1:06d}", None))
    unlisted = kf.sample_alleles((n_unlisted, 2), rng).transpose(0, 2, 1)
    true = np.concatenate([np.array(truth_rows, dtype=np.int16).reshape(-1, kf.n_loci, 2), unlisted])
    n_fragments = 1 + rng.poisson(extra_fragments_mean, size=len(people))
    owner = np.repeat(np.arange(len(people)), n_fragments)
    order = rng.permutation(owner.size)
    owner = owner[order]
    dropout = draw_dropout_probabilities(owner.size, rng, model)
    observed = degrade_genotypes(true[owner], dropout, kf, rng, model)
    samples = []
    for k in range(owner.size):
        called = int(np.sum(observed[k, :, 0] >= 0))
        profile = profile_dict(kf, observed[k]) if called >= model.min_loci else {}
        person_id, family_id = people[owner[k]]
        samples.append(SimulatedRemains(f"RM{k + 1:06d}-S", f"RM{k + 1:06d}", profile,
                                        float(dropout[k]), person_id, family_id))
    return samples
