"""Gene-dropping: founders drawn from the allele frequencies, children get one allele from each parent.

Genotypes are kept as arrays ``(persons, loci, 2)`` of allele indices into
:attr:`KitFrequencies.alleles` (``-1`` = allele not seen) while simulating, and turned into
``{locus: (allele, allele)}`` dictionaries (``None`` for an allele not seen) only on output.
"""

from __future__ import annotations

import numpy as np

from .kit import KitFrequencies

__all__ = [
    "Genotype",
    "GenotypeProfile",
    "drop_genes",
    "genotype_array",
    "pedigree_depth",
    "profile_dict",
]

Genotype = tuple[str, str] | tuple[str, None]
"""Alleles at one locus in numeric order; ``(a, None)`` = one allele seen, the other not."""

GenotypeProfile = dict[str, Genotype]
"""A profile: canonical locus name → genotype; a locus with nothing seen is absent."""


def pedigree_depth(father: np.ndarray, mother: np.ndarray) -> np.ndarray:
    """Generation depth of each person: 0 for founders, else 1 + the deeper parent's depth."""
    depth = np.zeros(len(father), dtype=np.int32)
    has_parents = father >= 0
    if np.any((father >= 0) != (mother >= 0)):
        raise ValueError("every person needs both parents or none")
    child = np.flatnonzero(has_parents)
    for _ in range(len(father) + 1):
        new = np.maximum(depth[father[child]], depth[mother[child]]) + 1
        if np.array_equal(new, depth[child]):
            return depth
        depth[child] = new
    raise ValueError("the pedigree has a cycle")  # pragma: no cover - parents precede children


def _transmit(parent_genotypes: np.ndarray, kf: KitFrequencies, rng: np.random.Generator,
              mutation_rate: float) -> np.ndarray:
    """One allele per locus from each parent (Mendel), with single-step mutation at ``mutation_rate``."""
    k, n_loci, _ = parent_genotypes.shape
    pick = rng.integers(0, 2, size=(k, n_loci, 1))
    allele = np.take_along_axis(parent_genotypes, pick, axis=2)[..., 0]
    if mutation_rate > 0:
        mutates = rng.random((k, n_loci)) < mutation_rate
        upward = rng.random((k, n_loci)) < 0.5
        for j in range(n_loci):
            rows = np.flatnonzero(mutates[:, j])
            if rows.size == 0:
                continue
            current = allele[rows, j]
            target = np.where(upward[rows, j], kf.step_up[j][current], kf.step_down[j][current])
            allele[rows, j] = np.where(target >= 0, target, current)
    return allele


def drop_genes(father: np.ndarray, mother: np.ndarray, kf: KitFrequencies, rng: np.random.Generator,
               mutation_rate: float = 0.0) -> np.ndarray:
    """Genotypes ``(persons, loci, 2)`` for a set of pedigrees given as parent index arrays (-1 = founder).

    Founders draw both alleles from the frequencies (Hardy–Weinberg); a child receives a
    uniformly chosen allele of each parent, which mutates one repeat up or down with
    probability ``mutation_rate`` per meiosis and locus (stepwise; kept if the table has no
    such allele). Slot 0 is paternal, slot 1 maternal.
    """
    father = np.asarray(father, dtype=np.int64)
    mother = np.asarray(mother, dtype=np.int64)
    depth = pedigree_depth(father, mother)
    genotypes = np.empty((len(father), kf.n_loci, 2), dtype=np.int16)
    founders = np.flatnonzero(depth == 0)
    genotypes[founders] = kf.sample_alleles((founders.size, 2), rng).transpose(0, 2, 1)
    for level in range(1, int(depth.max(initial=0)) + 1):
        children = np.flatnonzero(depth == level)
        genotypes[children, :, 0] = _transmit(genotypes[father[children]], kf, rng, mutation_rate)
        genotypes[children, :, 1] = _transmit(genotypes[mother[children]], kf, rng, mutation_rate)
    return genotypes


def profile_dict(kf: KitFrequencies, genotype: np.ndarray) -> GenotypeProfile:
    """One person's ``(loci, 2)`` index array as ``{locus: (a, b)}``, alleles sorted, ``-1`` → None."""
    profile: GenotypeProfile = {}
    for locus, names, (i, k) in zip(kf.loci, kf.alleles, genotype.tolist(), strict=True):
        if i < 0:
            if k >= 0:
                profile[locus] = (names[k], None)
        elif k < 0:
            profile[locus] = (names[i], None)
        elif i <= k:
            profile[locus] = (names[i], names[k])
        else:
            profile[locus] = (names[k], names[i])
    return profile


def genotype_array(kf: KitFrequencies, profile: dict[str, tuple[str | None, ...]]) -> np.ndarray:
    """The inverse of :func:`profile_dict`: a ``(loci, 2)`` index array (absent locus or None → -1)."""
    out = np.full((kf.n_loci, 2), -1, dtype=np.int16)
    for j, (locus, position) in enumerate(zip(kf.loci, kf.allele_positions, strict=True)):
        alleles = profile.get(locus)
        if not alleles:
            continue
        for slot, allele in enumerate(alleles[:2]):
            if allele is not None:
                out[j, slot] = position[allele]
    return out
