"""Family tables: for one missing person and marker, the LR of every possible genotype at once.

For a family with reference data D and an untyped missing person MP, and a genotype g,

    T(g) = L(D, MP = g) / (L(D) · P(g)),

the likelihood ratio of "remains with genotype g are MP" against "unrelated" (the
family's mutation models and the marker's frequencies included; P(g) is the
Hardy–Weinberg probability). Blind search is then a table look-up: the LR of remains
with genotype g_m at each marker m is Π_m T_m(g_m), and partial or degraded genotypes
with observation weights W give Σ_g W(g)P(g)T(g) / Σ_g W(g)P(g).

L(D, MP = g) is computed for every g in one contraction that keeps MP's two allele
variables open (the pedigree is peeled *towards* the missing person), not one genotype at
a time. The allele space is the marker's full list; when the frequencies do not sum to 1
exactly, an extra never-observed allele carries the remainder, which reproduces
pedprobr's allele lumping for every g simultaneously (see docs/models.md).

Mendelian exclusions (mutations ignored, as dvir's exclusion matrix) come from the same
computation without mutation: g is excluded at a marker when L₀(D, MP = g) = 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mpid.genetics.likelihood import (
    AlleleSpace,
    contract,
    marker_likelihood,
    pedigree_factors,
)
from mpid.genetics.markers import Marker
from mpid.genetics.mutation import is_lumpable
from mpid.genetics.pedigree import Pedigree
from mpid.genetics.profiles import Genotype, genotype_weights

__all__ = [
    "FamilyTables",
    "MarkerTable",
    "family_tables",
    "genotype_index",
    "marker_table",
    "n_genotypes",
]

REST = "~rest"


def n_genotypes(n_alleles: int) -> int:
    """Number of unordered genotypes over n alleles."""
    return n_alleles * (n_alleles + 1) // 2


def genotype_index(i: int, j: int) -> int:
    """Index of the unordered genotype {i, j} (i, j allele positions) in a table."""
    if i > j:
        i, j = j, i
    return j * (j + 1) // 2 + i


@dataclass(frozen=True)
class MarkerTable:
    """One marker's table for one missing person.

    ``lr[k]`` is T of genotype k (see :func:`genotype_index`) over ``alleles`` (the marker's
    alleles, plus the remainder allele ``~rest`` when present); ``excluded[k]`` says the
    genotype is Mendelian-incompatible with the family (mutations ignored).
    ``family_likelihood`` is L(D) with MP untyped.
    """

    marker: str
    alleles: tuple[str, ...]
    lr: np.ndarray
    excluded: np.ndarray
    family_likelihood: float

    @property
    def informative(self) -> bool:
        """False when the family has no data at this marker (T ≡ 1)."""
        return not (np.all(self.lr == 1.0) and not self.excluded.any())


@dataclass(frozen=True)
class FamilyTables:
    """Tables of every marker for one missing person of one family."""

    family: str
    missing: str
    sex: int
    tables: dict[str, MarkerTable]


def _space(marker: Marker, with_rest: bool, mutation: bool) -> AlleleSpace:
    freqs = np.asarray(marker.freqs, dtype=float)
    labels = tuple(marker.alleles)
    fem = mal = None
    if mutation and marker.mutation is not None and not marker.mutation.is_trivial():
        fem, mal = marker.mutation.female.matrix, marker.mutation.male.matrix
    if with_rest:
        rest = 1.0 - float(freqs.sum())
        labels = labels + (REST,)
        freqs = np.append(freqs, rest)
        if fem is not None:
            # The remainder allele is a book-keeping device: no mutation into or out of it.
            fem = np.pad(fem, ((0, 1), (0, 1)))
            mal = np.pad(mal, ((0, 1), (0, 1)))
            fem[-1, -1] = mal[-1, -1] = 1.0
    return AlleleSpace(labels, freqs, fem, mal, None)


def _needs_rest(marker: Marker, ped: Pedigree, typed: set[str], mutation: bool) -> bool:
    """Whether pedprobr's lumping (mass 1 − Σ observed) applies to the family with MP typed."""
    if float(np.sum(marker.freqs)) == 1.0:
        return False
    if not mutation or marker.mutation is None or marker.mutation.is_trivial():
        return True
    fem, mal = marker.mutation.female.matrix, marker.mutation.male.matrix
    # A lumpable model (equal, proportional) lumps for any observed set; test one typical split.
    n = len(marker.alleles)
    half = np.zeros(n, dtype=bool)
    half[n // 2:] = True
    if is_lumpable(fem, half) and is_lumpable(mal, half):
        return True
    # Otherwise only pedprobr's direct "special" lumping: every untyped person left after
    # pruning is a founder with one child.
    alive = _pruned(ped, typed)
    untyped = [i for i in alive if ped.labels[i] not in typed]
    return bool(untyped) and all(
        ped.father[i] < 0 and sum(1 for c in ped.children(i) if c in alive) == 1 for i in untyped
    )


def _pruned(ped: Pedigree, typed: set[str]) -> set[int]:
    alive = set(range(len(ped)))
    changed = True
    while changed:
        changed = False
        for i in sorted(alive, reverse=True):
            if ped.labels[i] in typed:
                continue
            if not any(c in alive for c in ped.children(i)):
                alive.discard(i)
                changed = True
    return alive


def _ordered_joint(
    ped: Pedigree, space: AlleleSpace, mp: int, genotypes: Mapping[str, Genotype]
) -> np.ndarray:
    """J[u, v] = L(D, MP has paternal allele u and maternal allele v), over the space."""
    idx = space.index
    weights = {
        i: genotype_weights(genotypes[lab], idx, space.n)
        for i, lab in enumerate(ped.labels)
        if lab in genotypes and i != mp
    }
    factors, _dom = pedigree_factors(ped, space, weights)
    return np.asarray(contract(factors, (2 * mp, 2 * mp + 1)))


def _unordered(j: np.ndarray) -> np.ndarray:
    n = j.shape[0]
    out = np.empty(n_genotypes(n))
    for b in range(n):
        for a in range(b + 1):
            out[genotype_index(a, b)] = j[a, a] if a == b else j[a, b] + j[b, a]
    return out


def _hw(freqs: np.ndarray) -> np.ndarray:
    n = freqs.size
    out = np.empty(n_genotypes(n))
    for b in range(n):
        for a in range(b + 1):
            out[genotype_index(a, b)] = freqs[a] ** 2 if a == b else 2 * freqs[a] * freqs[b]
    return out


def marker_table(ped: Pedigree, missing: str, marker: Marker, genotypes: Mapping[str, Genotype]) -> MarkerTable:
    """The table of one marker: T(g) for every genotype g of the missing person, in one pass.

    ``genotypes`` are the references' genotypes at this marker (the missing person untyped).
    """
    mp = ped.index(missing)
    fam = {p: g for p, g in genotypes.items() if p in ped.labels and p != missing}
    typed = set(fam) | {missing}
    with_rest = _needs_rest(marker, ped, typed, mutation=True)
    n_all = len(marker.alleles) + (1 if with_rest else 0)
    if not fam:
        ones = np.ones(n_genotypes(n_all))
        alleles = tuple(marker.alleles) + ((REST,) if with_rest else ())
        return MarkerTable(marker.name, alleles, ones, np.zeros_like(ones, dtype=bool), 1.0)
    space = _space(marker, with_rest, mutation=True)
    joint = _unordered(_ordered_joint(ped, space, mp, fam))
    fam_lik = marker_likelihood(ped, marker, fam)
    hw = _hw(np.append(marker.freqs, 1.0 - float(np.sum(marker.freqs))) if with_rest else marker.freqs)
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = joint / (fam_lik * hw) if fam_lik > 0 else np.full_like(joint, np.nan)
    lr[hw == 0] = 0.0
    if marker.mutation is None or marker.mutation.is_trivial():
        excluded = joint == 0
    else:
        # Zero or not does not depend on the remainder's mass: use the same space without mutation.
        j0 = _unordered(_ordered_joint(ped, _space(marker, with_rest, mutation=False), mp, fam))
        excluded = j0 == 0
    return MarkerTable(marker.name, space.labels, lr, excluded, fam_lik)


def family_tables(
    family: str,
    ped: Pedigree,
    missing: str,
    markers: Sequence[Marker],
    genotypes: Mapping[str, Mapping[str, Genotype]],
) -> FamilyTables:
    """Tables of every marker for one missing person (references' genotypes by person, then marker)."""
    tables = {}
    for m in markers:
        at = {p: g[m.name] for p, g in genotypes.items() if m.name in g}
        tables[m.name] = marker_table(ped, missing, m, at)
    return FamilyTables(family, missing, int(ped.sex[ped.index(missing)]), tables)
