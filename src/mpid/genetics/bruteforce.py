"""A deliberately naive likelihood: enumerate every ordered genotype of every person.

    L = Σ_{g_1..g_N} Π_founders P(g_i) Π_nonfounders τ(g_i | g_f, g_m) Π_typed W_i(g_i)

Exponential in the pedigree size, so only for tiny pedigrees and few alleles; kept beside
the fast engine (as msprime keeps its algorithms.py) so tests can compare the two on
random inputs, loops and inbreeding included. No lumping, no pruning, no cleverness.
θ > 0 draws the founders' alleles by Balding–Nichols in founder order.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np

from .markers import Marker
from .pedigree import Pedigree
from .profiles import Genotype, genotype_weights

__all__ = ["brute_force_likelihood"]


def brute_force_likelihood(
    ped: Pedigree,
    marker: Marker,
    genotypes: Mapping[str, Genotype],
    *,
    theta: float = 0.0,
    dropout: Mapping[str, float] | None = None,
) -> float:
    """Likelihood of one marker by full enumeration of ordered genotypes (tiny cases only)."""
    m = marker.with_silent_allele() if marker.silent_frequency > 0 else marker
    n = len(m.alleles)
    p = np.asarray(m.freqs, dtype=float)
    idx = {a: i for i, a in enumerate(m.alleles)}
    sil = idx.get("S") if marker.silent_frequency > 0 else None
    mf = np.eye(n) if m.mutation is None else m.mutation.female.matrix
    mm = np.eye(n) if m.mutation is None else m.mutation.male.matrix
    dropout = dropout or {}
    w = {
        i: genotype_weights(genotypes[lab], idx, n, dropout=dropout.get(lab, 0.0), silent_index=sil)
        for i, lab in enumerate(ped.labels)
        if lab in genotypes
    }
    founders = [i for i in range(len(ped)) if ped.father[i] < 0]
    total = 0.0
    ordered = list(itertools.product(range(n), repeat=2))
    for assignment in itertools.product(ordered, repeat=len(ped)):
        prob = 1.0
        for i, (u, v) in enumerate(assignment):
            if i in w:
                prob *= w[i][u, v]
                if prob == 0.0:
                    break
            f, mo = ped.father[i], ped.mother[i]
            if f >= 0:
                fu, fv = assignment[f]
                mu, mv = assignment[mo]
                prob *= 0.5 * (mm[fu, u] + mm[fv, u]) * 0.5 * (mf[mu, v] + mf[mv, v])
        if prob == 0.0:
            continue
        alleles = [a for i in founders for a in assignment[i]]
        prob *= _founder_probability(alleles, p, theta)
        total += prob
    return total


def _founder_probability(alleles: list[int], p: np.ndarray, theta: float) -> float:
    """P(founder allele sequence): product of p (HW), or the Balding–Nichols sequential draw."""
    prob = 1.0
    for j, a in enumerate(alleles, start=1):
        b = sum(1 for x in alleles[: j - 1] if x == a)
        prob *= (b * theta + (1 - theta) * p[a]) / (1 + (j - 2) * theta)
    return prob
