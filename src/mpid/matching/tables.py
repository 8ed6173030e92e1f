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
    _transmission,
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
    "FamilyInput",
    "build_tables",
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


# ---------------------------------------------------------------------------------------------
# Batched construction: many families of one shape at once
# ---------------------------------------------------------------------------------------------
BATCH = -1  # variable id of the batch axis in batched factors


@dataclass(frozen=True)
class FamilyInput:
    """One missing person of one family, as the table builder takes it."""

    family: str
    pedigree: Pedigree
    missing: str
    genotypes: Mapping[str, Mapping[str, Genotype]]  # reference -> marker -> genotype


def _unordered_index(n: int) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = [], []
    for b in range(n):
        for a in range(b + 1):
            rows.append(a)
            cols.append(b)
    return np.array(rows), np.array(cols)


def _unordered_batch(j: np.ndarray) -> np.ndarray:
    """(B, n, n) ordered joints → (B, n(n+1)/2) unordered, in :func:`genotype_index` order."""
    n = j.shape[-1]
    a, b = _unordered_index(n)
    s = j + np.swapaxes(j, -1, -2)
    s[:, np.arange(n), np.arange(n)] = j[:, np.arange(n), np.arange(n)]
    return s[:, a, b]


def _batched_joint(
    ped: Pedigree, mp: int, space: AlleleSpace, typed: list[int], allele_pairs: np.ndarray
) -> np.ndarray:
    """J[b, u, v] for B families of one shape; ``allele_pairs[b, t]`` = the 2 allele indices of typed person t."""
    n = space.n
    bsz = allele_pairs.shape[0]
    full = np.arange(n)
    pad = n  # a padding state for homozygotes: weight 0, so its value is never used
    # Domains: typed persons have 2 states per allele variable (their two alleles, or a + pad).
    dom_b: dict[int, np.ndarray] = {}  # batched domains (B, 2)
    wts: dict[int, np.ndarray] = {}
    for t, i in enumerate(typed):
        a = allele_pairs[:, t, 0]
        b = allele_pairs[:, t, 1]
        het = a != b
        d = np.stack([a, np.where(het, b, pad)], axis=1)
        dom_b[2 * i] = dom_b[2 * i + 1] = d
        w = np.zeros((bsz, 2, 2))
        w[het, 0, 1] = w[het, 1, 0] = 1.0
        w[~het, 0, 0] = 1.0
        wts[i] = w
    freqs = np.append(space.freqs, 0.0)
    tau_m = np.pad(_transmission(space.male, n), ((0, 1), (0, 1), (0, 1)))
    tau_f = np.pad(_transmission(space.female, n), ((0, 1), (0, 1), (0, 1)))

    def take(arr: np.ndarray, vs: tuple[int, ...]) -> tuple[tuple[int, ...], np.ndarray]:
        batched = [v in dom_b for v in vs]
        if not any(batched):
            return vs, arr[np.ix_(*[full] * len(vs))] if len(vs) > 1 else arr[full]
        idx = []
        for k, v in enumerate(vs):
            shape = [1] * (len(vs) + 1)
            if v in dom_b:
                shape[0] = bsz
                shape[k + 1] = 2
                idx.append(dom_b[v].reshape(shape))
            else:
                shape[k + 1] = n
                idx.append(full.reshape(shape))
        return (BATCH,) + vs, arr[tuple(idx)]

    factors = []
    for i in range(len(ped)):
        f, m = int(ped.father[i]), int(ped.mother[i])
        if f < 0:
            factors.append(take(freqs, (2 * i,)))
            factors.append(take(freqs, (2 * i + 1,)))
        else:
            factors.append(take(tau_m, (2 * f, 2 * f + 1, 2 * i)))
            factors.append(take(tau_f, (2 * m, 2 * m + 1, 2 * i + 1)))
        if i in wts:
            factors.append(((BATCH, 2 * i, 2 * i + 1), wts[i]))
    out = np.asarray(contract(factors, (BATCH, 2 * mp, 2 * mp + 1)))
    if out.ndim == 2:  # pragma: no cover - no typed person: no batch axis
        out = np.broadcast_to(out, (bsz, n, n))
    return out


def _shape_key(ped: Pedigree, mp: int, typed: tuple[int, ...]) -> tuple:
    return (tuple(ped.father.tolist()), tuple(ped.mother.tolist()), mp, typed)


def build_tables(
    families: Sequence[FamilyInput], markers: Sequence[Marker], *, chunk: int = 512
) -> list[FamilyTables]:
    """Tables for many missing persons, computed in batches of families with the same shape.

    Families whose references are fully typed with exact genotypes at a marker are batched
    (one contraction per shape and marker); any other (partial genotypes) falls back to
    :func:`marker_table`. Results equal :func:`family_tables`.
    """
    per_family: list[dict[str, MarkerTable]] = [dict() for _ in families]
    for marker in markers:
        groups: dict[tuple, list[int]] = {}
        for k, fam in enumerate(families):
            ped = fam.pedigree
            mp = ped.index(fam.missing)
            at = {p: g[marker.name] for p, g in fam.genotypes.items() if marker.name in g and p in ped.labels}
            at.pop(fam.missing, None)
            if any(g[1] is None for g in at.values()):
                per_family[k][marker.name] = marker_table(ped, fam.missing, marker, at)
                continue
            typed = tuple(sorted(ped.index(p) for p in at))
            groups.setdefault(_shape_key(ped, mp, typed), []).append(k)
        for members in groups.values():
            for start in range(0, len(members), chunk):
                _batch_marker(families, members[start:start + chunk], marker, per_family)
    return [
        FamilyTables(f.family, f.missing, int(f.pedigree.sex[f.pedigree.index(f.missing)]), per_family[k])
        for k, f in enumerate(families)
    ]


def _batch_marker(
    families: Sequence[FamilyInput], members: list[int], marker: Marker, per_family: list[dict[str, MarkerTable]]
) -> None:
    first = families[members[0]]
    ped = first.pedigree
    mp = ped.index(first.missing)
    typed_labels = [lab for lab in ped.labels if lab in first.genotypes and marker.name in first.genotypes[lab]]
    typed_labels = [lab for lab in typed_labels if lab != first.missing]
    typed = [ped.index(lab) for lab in typed_labels]
    with_rest = _needs_rest(marker, ped, set(typed_labels) | {first.missing}, mutation=True)
    space = _space(marker, with_rest, mutation=True)
    n = space.n
    if not typed:
        ones = np.ones(n_genotypes(n))
        for k in members:
            per_family[k][marker.name] = MarkerTable(marker.name, space.labels, ones, np.zeros(ones.size, bool), 1.0)
        return
    index = space.index
    pairs = np.empty((len(members), len(typed), 2), dtype=np.int64)
    for row, k in enumerate(members):
        fam = families[k]
        fped = fam.pedigree
        for t, i in enumerate(typed):
            g = fam.genotypes[fped.labels[i]][marker.name]
            try:
                pairs[row, t] = (index[g[0]], index[g[1]])
            except KeyError as exc:
                raise KeyError(f"family {fam.family}, marker {marker.name}: allele {exc} not in the table") from None
    joint = _batched_joint(ped, mp, space, typed, pairs)
    mutating = marker.mutation is not None and not marker.mutation.is_trivial()
    lumpable_or_none = True
    if mutating:
        half = np.zeros(len(marker.alleles), dtype=bool)
        half[len(marker.alleles) // 2:] = True
        lumpable_or_none = is_lumpable(marker.mutation.female.matrix, half) and is_lumpable(
            marker.mutation.male.matrix, half
        )
    unord = _unordered_batch(joint)
    if lumpable_or_none:
        fam_lik = joint.sum(axis=(1, 2))
    else:  # stepwise: the family alone may lump differently; compute it exactly per family
        fam_lik = np.array([
            marker_likelihood(
                families[k].pedigree,
                marker,
                {lab: g[marker.name] for lab, g in families[k].genotypes.items()
                 if marker.name in g and lab != families[k].missing},
            )
            for k in members
        ])
    hw = _hw(space.freqs)
    if mutating:
        j0 = _batched_joint(ped, mp, _space(marker, with_rest, mutation=False), typed, pairs)
        excluded = _unordered_batch(j0) == 0
    else:
        excluded = unord == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = unord / (fam_lik[:, None] * hw[None, :])
    lr[:, hw == 0] = 0.0
    lr[fam_lik == 0, :] = np.nan
    for row, k in enumerate(members):
        per_family[k][marker.name] = MarkerTable(
            marker.name, space.labels, lr[row], excluded[row], float(fam_lik[row])
        )
