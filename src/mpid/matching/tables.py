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

import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from mpid.genetics.likelihood import (
    AlleleSpace,
    _smallest_elimination,
    _transmission,
    _union,
    contract,
    marker_likelihood,
    pedigree_factors,
)
from mpid.genetics.likelihood import _prune as _prune_ped
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
    "mendelian_exclusions",
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
    remainder_mass: bool = False
    """With a mutation model: the remainder allele carries the mass 1 − Σp. With a model that lumps
    (``equal``, ``proportional``) it is part of the exact engine's lump (mass 1 − Σ observed) and
    mutates as the lumped alleles; with ``stepwise`` it stands for pedprobr's special lumping, which
    the exact engine spreads over the unobserved alleles instead (the two agree to O(1 − Σp); far
    from Σp = 1 such tables come from :func:`_special_table`, exactly)."""

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
            fem, mal = _with_remainder_row(fem), _with_remainder_row(mal)
    return AlleleSpace(labels, freqs, fem, mal, None)


def _remainder_row(mat: np.ndarray) -> np.ndarray | None:
    """The mutation row of the remainder allele over the listed alleles, or None (no mutation out of it).

    With a model the exact engine lumps by (every column's off-diagonal entries equal: ``equal``,
    ``proportional``), the remainder is part of the lump of unobserved alleles, so it must mutate
    as they do: to allele x with M[u, x] for any u ≠ x. Otherwise (``stepwise``) it is a
    book-keeping device with no mutation into or out of it.
    """
    n = mat.shape[0]
    if n < 2:
        return None
    other = np.where(np.arange(n) == 0, 1, 0)  # a row u ≠ x for every column x
    row = mat[other, np.arange(n)]
    off = ~np.eye(n, dtype=bool)
    if not np.all(np.where(off, mat, row[None, :]) == row[None, :]):
        return None
    return row


def _with_remainder_row(mat: np.ndarray) -> np.ndarray:
    """``mat`` with one more state, the remainder allele (see :func:`_remainder_row`).

    When the remainder mutates as a lumped allele, each row's shortfall from 1 goes to it (as the exact
    engine's lumped matrix has it); otherwise nothing mutates into or out of it.
    """
    out = np.pad(mat, ((0, 1), (0, 1)))
    row = _remainder_row(mat)
    if row is None:
        out[-1, -1] = 1.0
    else:
        # The lump's rows sum to 1 (pedmut::lumpedMatrix): what a row of ``mat`` lacks goes to the remainder.
        out[:-1, -1] = 1.0 - mat.sum(axis=1)
        out[-1, :-1] = row
        out[-1, -1] = 1.0 - float(row.sum())
    return out


SPECIAL_EXACT_SHORTFALL = 1e-8
"""|1 − Σp| above which a table under pedprobr's special lumping is computed with the exact engine's
rescaling for each genotype (:func:`_special_table`); below it the remainder allele's
approximation is off by about 2·|1 − Σp| × the mutation rate, under 1e-9."""


def _special_exact(marker: Marker, with_rest: bool) -> bool:
    """Whether a table with a remainder stands for pedprobr's special lumping (a model that does not
    lump, e.g. ``stepwise``) with frequencies far enough from summing to 1 to compute it exactly."""
    mut = marker.mutation
    if not with_rest or mut is None or mut.is_trivial() or marker.silent_frequency != 0:
        return False
    if abs(1.0 - float(np.sum(marker.freqs))) <= SPECIAL_EXACT_SHORTFALL:
        return False
    n = len(marker.alleles)
    half = np.zeros(n, dtype=bool)
    half[n // 2:] = True
    return not (is_lumpable(mut.female.matrix, half) and is_lumpable(mut.male.matrix, half))


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


_UNORDERED_INDEX: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _pair_index(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Allele positions (a, b), a ≤ b, of every unordered genotype in :func:`genotype_index` order."""
    if n not in _UNORDERED_INDEX:
        b = np.concatenate([np.full(k + 1, k) for k in range(n)])
        a = np.concatenate([np.arange(k + 1) for k in range(n)])
        _UNORDERED_INDEX[n] = (a, b)
    return _UNORDERED_INDEX[n]


def _unordered(j: np.ndarray) -> np.ndarray:
    """Ordered joint J[u, v] → unordered: J[a,b] + J[b,a] (a ≠ b), J[a,a]."""
    a, b = _pair_index(j.shape[0])
    return np.where(a == b, j[a, b], j[a, b] + j[b, a])


def _hw(freqs: np.ndarray) -> np.ndarray:
    """Hardy–Weinberg probability of every unordered genotype."""
    a, b = _pair_index(freqs.size)
    return np.where(a == b, freqs[a] * freqs[b], 2.0 * freqs[a] * freqs[b])


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
    if _special_exact(marker, with_rest):
        special = _special_table(ped, missing, marker, fam)
        if special is not None:
            return special
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
    return MarkerTable(marker.name, space.labels, lr, excluded, fam_lik, with_rest)


def _special_table(ped: Pedigree, missing: str, marker: Marker, fam: Mapping[str, Genotype]) -> MarkerTable | None:
    """The table under pedprobr's special lumping, with the exact engine's rescaling for each genotype.

    With a model that does not lump (``stepwise``), when every untyped person left is a founder φ
    with one child, the exact engine gives the alleles outside the observed set Q (the references'
    and the missing person's own) the frequencies p·(1 − Σ_Q p)/Σ_{∉Q} p; when at most one allele
    is unobserved, p as given. Q depends on the genotype, so one contraction with a remainder
    allele cannot give it. But φ enters only through what it transmits to its child,
    w(x) = Σh · Σ_v h_v M[v, x] (h its frequencies), so one contraction R that leaves the missing
    person's alleles and those children's alleles from φ open gives every genotype's likelihood as
    R weighted by the w of that genotype's Q. The remainder allele's column (a, ~rest) holds what a
    partial or degraded genotype showing a needs besides the listed entries: L(D, MP = a/–) minus
    Σ_x L(D, MP = a/x), each with its own Q, over L(D)·P(a, ~rest); the entry (~rest, ~rest), never
    looked up, an upper bound of the factors the table gives (for the search's pruning).
    Returns None when the pruned family is in pieces (then each piece lumps on its own).
    """
    typed = set(fam) | {missing}
    sub = _prune_ped(ped, {ped.index(p) for p in typed if p in ped.labels})
    if len(sub.components()) != 1:
        return None
    founders = [i for i in range(len(sub)) if sub.labels[i] not in typed]
    if not founders or any(sub.father[i] >= 0 or len(sub.children(i)) != 1 for i in founders):
        return None
    if any(sub.father[sub.index(p)] < 0 and g[1] is None for p, g in fam.items() if p in sub.labels):
        return None  # a typed founder's unseen allele would be rescaled too: not covered here
    assert marker.mutation is not None
    n = len(marker.alleles)
    f = np.asarray(marker.freqs, dtype=float)
    total = float(f.sum())
    rest = 1.0 - total
    space = AlleleSpace(tuple(marker.alleles), f, marker.mutation.female.matrix, marker.mutation.male.matrix, None)
    idx = space.index
    weights = {sub.index(p): genotype_weights(g, idx, n) for p, g in fam.items() if p in sub.labels}
    observed = np.zeros(n, dtype=bool)
    for p, g in fam.items():
        if p in sub.labels:
            for a in g:
                if a is not None:
                    observed[idx[a]] = True
    factors, dom = pedigree_factors(sub, space, weights)
    mp = sub.index(missing)
    mp_founder = bool(sub.father[mp] < 0)
    gone = {v for i in founders for v in (2 * i, 2 * i + 1)}
    factors = [fac for fac in factors if not gone.intersection(fac[0])]
    if mp_founder:  # MP's own frequencies are those of the genotype's rescaling too
        factors = [fac for fac in factors if fac[0] not in ((2 * mp,), (2 * mp + 1,))]
    factors += [((2 * mp,), np.ones(n)), ((2 * mp + 1,), np.ones(n))]  # MP's alleles stay open
    keep = [2 * mp, 2 * mp + 1]
    links = []  # (matrix of φ's transmission, MP axis 0/1 or None, allele states of the open variable)
    for i in founders:
        child = int(sub.children(i)[0])
        paternal = int(sub.father[child]) == i
        mat = space.male if paternal else space.female
        var = 2 * child + (0 if paternal else 1)
        if child == mp:
            links.append((mat, 0 if paternal else 1, np.arange(n)))
        else:
            keep.append(var)
            links.append((mat, None, dom[var]))
    r_tensor = np.asarray(contract(factors, tuple(keep)))
    fam_lik = marker_likelihood(ped, marker, fam)

    def transmitted(q: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """The founders' frequencies h for the observed set q, and w(x) of every founder φ over its
        open variable's states."""
        unobs = ~q
        h = f
        if int(q.sum()) < n - 1 and f[unobs].sum() > 0:
            h = f.copy()
            h[unobs] *= (1.0 - float(f[q].sum())) / float(f[unobs].sum())
        return h, [float(h.sum()) * (h @ mat[:, states]) for mat, _axis, states in links]

    def ordered(hw: tuple[np.ndarray, list[np.ndarray]]) -> np.ndarray:
        """J[u, v] = L(D, MP = (u, v)) given the founders' frequencies and transmissions."""
        h, ws = hw
        t = r_tensor
        if mp_founder:
            t = t * (h[:, None] * h[None, :]).reshape((n, n) + (1,) * (t.ndim - 2))
        for (_mat, axis, _states), w in zip(links, ws, strict=True):
            if axis is None:
                t = np.tensordot(t, w, axes=([2], [0]))
        for (_mat, axis, _states), w in zip(links, ws, strict=True):
            if axis == 0:
                t = t * w[:, None]
            elif axis == 1:
                t = t * w[None, :]
        return t

    size = n_genotypes(n + 1)
    lr = np.zeros(size)
    if not fam_lik > 0:
        lr[:] = np.nan
        j0 = _unordered(_ordered_joint(ped, _space(marker, True, mutation=False), ped.index(missing), fam))
        return MarkerTable(marker.name, tuple(marker.alleles) + (REST,), lr, j0 == 0, fam_lik, True)
    joint = np.zeros((n, n))  # L(D, MP = {a, b}) with that genotype's own rescaling
    cache: dict[bytes, np.ndarray] = {}
    for b in range(n):
        for a in range(b + 1):
            q = observed.copy()
            q[a] = q[b] = True
            key = q.tobytes()
            if key not in cache:
                cache[key] = ordered(transmitted(q))
            jq = cache[key]
            joint[a, b] = joint[b, a] = jq[a, a] if a == b else jq[a, b] + jq[b, a]
            hw = f[a] * f[b] * (1.0 if a == b else 2.0)
            lr[genotype_index(a, b)] = joint[a, b] / (fam_lik * hw) if hw > 0 else 0.0
    bound = float(np.max(lr[: n_genotypes(n)]))
    for a in range(n):
        q = observed.copy()
        q[a] = True
        jq = cache.get(q.tobytes())
        if jq is None:
            jq = ordered(transmitted(q))
        part = float(jq[a, :].sum() + jq[:, a].sum() - jq[a, a])  # L(D, MP = a/–)
        if f[a] > 0:
            lr[genotype_index(a, n)] = (part - math.fsum(joint[a])) / (fam_lik * 2.0 * f[a] * rest)
            others = 2.0 * f[a] * (total - f[a])
            if others > 0:
                bound = max(bound, (part - joint[a, a]) / (fam_lik * others))
    lr[size - 1] = bound
    j0 = _unordered(_ordered_joint(ped, _space(marker, True, mutation=False), ped.index(missing), fam))
    return MarkerTable(marker.name, tuple(marker.alleles) + (REST,), lr, j0 == 0, fam_lik, True)


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


@dataclass(frozen=True)
class _PaddedMarkers:
    """Every marker's allele space padded to one size: alleles, remainder, then zero-frequency padding.

    Element e of a batch uses marker ``m``: state i < n_m is allele i, state n_m the
    remainder (its mass, or 0 when no lumping applies), states beyond are padding.
    """

    n_pad: int
    freqs: np.ndarray  # (M, n_pad) with the remainder mass at n_m
    freqs_no_rest: np.ndarray  # (M, n_pad) remainder mass 0
    tau_male: np.ndarray | None  # (M, n_pad, n_pad, n_pad), None: no marker mutates
    tau_female: np.ndarray | None
    tau_plain: np.ndarray  # (n_pad, n_pad, n_pad) Mendelian
    mutating: np.ndarray  # (M,) bool
    lumpable: np.ndarray  # (M,) bool: no mutation or a lumpable model


def _bucket(n_alleles: int) -> int:
    """Padded size for a marker: alleles + remainder, rounded up to a multiple of 4 (fewer distinct sizes)."""
    return -(-(n_alleles + 1) // 4) * 4


def _padded(markers: Sequence[Marker], n_pad: int) -> _PaddedMarkers:
    """All markers padded to ``n_pad`` states (markers with more alleles are not used at this size)."""
    nm = len(markers)
    freqs = np.zeros((nm, n_pad))
    freqs0 = np.zeros((nm, n_pad))
    mutating = np.zeros(nm, dtype=bool)
    lumpable = np.ones(nm, dtype=bool)
    mats_m = np.tile(np.eye(n_pad), (nm, 1, 1))
    mats_f = mats_m.copy()
    for k, m in enumerate(markers):
        n = len(m.alleles)
        if n + 1 > n_pad:
            continue
        freqs[k, :n] = freqs0[k, :n] = m.freqs
        freqs[k, n] = 1.0 - float(np.sum(m.freqs))
        if m.mutation is not None and not m.mutation.is_trivial():
            mutating[k] = True
            mats_f[k, :n + 1, :n + 1] = _with_remainder_row(m.mutation.female.matrix)
            mats_m[k, :n + 1, :n + 1] = _with_remainder_row(m.mutation.male.matrix)
            half = np.zeros(n, dtype=bool)
            half[n // 2:] = True
            lumpable[k] = is_lumpable(m.mutation.female.matrix, half) and is_lumpable(m.mutation.male.matrix, half)
    plain = _transmission(None, n_pad)
    if mutating.any():
        tau_m = 0.5 * (mats_m[:, :, None, :] + mats_m[:, None, :, :])
        tau_f = 0.5 * (mats_f[:, :, None, :] + mats_f[:, None, :, :])
    else:
        tau_m = tau_f = None
    return _PaddedMarkers(n_pad, freqs, freqs0, tau_m, tau_f, plain, mutating, lumpable)


def _batched_joint(
    ped: Pedigree,
    mp: int,
    typed: list[int],
    allele_pairs: np.ndarray,
    freqs: np.ndarray,
    tau_male: np.ndarray | None,
    tau_female: np.ndarray | None,
    tau_plain: np.ndarray,
    element_marker: np.ndarray,
    stats: dict | None = None,
    plan: list[int] | None = None,
    via_parents: bool | None = None,
    collapse: frozenset[tuple[int, int, int]] = frozenset(),
) -> np.ndarray:
    """J[e, u, v] = L(references, MP = (u, v)) for a batch of elements of one shape.

    ``allele_pairs[e, t]`` are the two allele states of typed person t in element e;
    ``freqs[e]`` the element's state frequencies; ``tau_*[m]`` the transmission tensors of
    marker m (None: Mendelian ``tau_plain`` for all). Typed persons' allele variables take
    two states each (their alleles, or allele + a padding state of weight 0).
    ``via_parents`` (default: whenever MP has parents and no children) contracts onto MP's
    parents first, then transmits; otherwise one contraction keeps MP's two alleles open.
    ``collapse`` names transmissions (child, 0 = from the father / 1 = from the mother, and
    which parental allele, 0 or 1) taken as copies of that allele: M[a, x] instead of
    τ(x | a, b) = ½ (M[a, x] + M[b, x]). That is exact on its own when the parent is an
    untyped founder (nor MP) and it is the only one of that parent's so taken, since all else
    is symmetric in the parent's two alleles (:func:`_collapsible`); otherwise the caller adds
    the halves, one contraction with each allele (:func:`_network_plan`'s terms).
    """
    n = freqs.shape[1]
    bsz = allele_pairs.shape[0]
    full = np.arange(n)
    pad = n - 1  # the last state: padding when n_pad exceeds every marker, else remainder
    dom_b: dict[int, np.ndarray] = {}
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
    rows = np.arange(bsz)

    def take(arr: np.ndarray, lead: np.ndarray, vs: tuple[int, ...]) -> tuple[tuple[int, ...], np.ndarray]:
        """Per-element factor: row ``lead[e]`` of ``arr``, sliced by the typed domains."""
        if not any(v in dom_b for v in vs):
            return (BATCH,) + vs, arr[lead]
        idx = [lead.reshape((bsz,) + (1,) * len(vs)), *_domain_index(vs, dom_b, n, bsz)]
        return (BATCH,) + vs, arr[tuple(idx)]

    factors = []
    mats: dict[int, np.ndarray] = {}
    if collapse and tau_male is not None:
        diag = np.arange(n)
        mats = {0: tau_male[:, diag, diag, :], 1: tau_female[:, diag, diag, :]}  # M[a, x] = τ(x | a, a)
    for i in range(len(ped)):
        f, m = int(ped.father[i]), int(ped.mother[i])
        if f < 0:
            factors.append(take(freqs, rows, (2 * i,)))
            factors.append(take(freqs, rows, (2 * i + 1,)))
        else:
            if tau_male is None:
                factors.append(_shared(tau_plain, (2 * f, 2 * f + 1, 2 * i), dom_b, n, bsz))
                factors.append(_shared(tau_plain, (2 * m, 2 * m + 1, 2 * i + 1), dom_b, n, bsz))
            else:
                for side, parent, tau in ((0, f, tau_male), (1, m, tau_female)):
                    if (i, side, 0) in collapse or (i, side, 1) in collapse:
                        which = 0 if (i, side, 0) in collapse else 1
                        factors.append(take(mats[side], element_marker, (2 * parent + which, 2 * i + side)))
                    else:
                        factors.append(take(tau, element_marker, (2 * parent, 2 * parent + 1, 2 * i + side)))
        if i in wts:
            factors.append(((BATCH, 2 * i, 2 * i + 1), wts[i]))
    f, m = int(ped.father[mp]), int(ped.mother[mp])
    if via_parents is None:
        via_parents = _childless_with_parents(ped, mp)
    if not via_parents:
        return np.asarray(contract(factors, (BATCH, 2 * mp, 2 * mp + 1), stats, plan))
    # MP has parents and no descendants: contract everything else onto the parents' four allele
    # variables, K, then transmit: J(x, y) = Σ K(a, b, c, d) τ(x | a, b) τ(y | c, d), using
    # τ(x | a, b) = ½ (M[a, x] + M[b, x]) so that each step costs n⁴, not n⁵.
    rest = [fac for fac in factors if 2 * mp not in fac[0] and 2 * mp + 1 not in fac[0]]
    k = np.asarray(contract(rest, (BATCH, 2 * f, 2 * f + 1, 2 * m, 2 * m + 1), stats, plan))
    diag = np.arange(n)
    if tau_male is None:
        m_male = m_female = np.broadcast_to(np.eye(n), (bsz, n, n))
    else:
        m_male = tau_male[element_marker][:, diag, diag, :]
        m_female = tau_female[element_marker][:, diag, diag, :]

    def rows_of(mat: np.ndarray, v: int) -> np.ndarray:
        dom = dom_b[v] if v in dom_b else np.broadcast_to(full, (bsz, n))
        return mat[rows[:, None], dom, :]

    g = 0.5 * (
        np.einsum("zacd,zax->zxcd", k.sum(axis=2), rows_of(m_male, 2 * f))
        + np.einsum("zbcd,zbx->zxcd", k.sum(axis=1), rows_of(m_male, 2 * f + 1))
    )
    return 0.5 * (
        np.einsum("zxc,zcy->zxy", g.sum(axis=3), rows_of(m_female, 2 * m))
        + np.einsum("zxd,zdy->zxy", g.sum(axis=2), rows_of(m_female, 2 * m + 1))
    )


def _domain_index(vs: tuple[int, ...], dom_b: dict[int, np.ndarray], n: int, bsz: int) -> list[np.ndarray]:
    """Broadcastable index arrays (batch axis first) selecting each variable's per-element domain."""
    idx = []
    nd = len(vs) + 1
    for k, v in enumerate(vs):
        shape = [1] * nd
        if v in dom_b:
            shape[0] = bsz
            shape[k + 1] = 2
            idx.append(dom_b[v].reshape(shape))
        else:
            shape[k + 1] = n
            idx.append(np.arange(n).reshape(shape))
    return idx


def _shared(arr: np.ndarray, vs: tuple[int, ...], dom_b: dict[int, np.ndarray], n: int, bsz: int):
    """A factor shared by all elements, sliced by the typed persons' per-element domains."""
    if not any(v in dom_b for v in vs):
        return vs, arr
    return (BATCH,) + vs, arr[tuple(_domain_index(vs, dom_b, n, bsz))]


def _uninformative(marker: Marker) -> MarkerTable:
    """The table of a marker at which no reference is typed: T ≡ 1."""
    ones = np.ones(n_genotypes(len(marker.alleles) + 1))
    return MarkerTable(marker.name, tuple(marker.alleles) + (REST,), ones, np.zeros(ones.size, bool), 1.0)


def canonical_shape(ped: Pedigree, missing: str, typed: set[str]) -> tuple[tuple, Pedigree, list[str]]:
    """The pruned pedigree in a canonical order, so families of the same shape share one key.

    Untyped persons without typed descendants are dropped (summing them out gives 1);
    the rest are ordered parents first, ties broken by a colour refined from roles (missing,
    typed, untyped), sex and relatives' colours. Returns (key, pedigree, labels in order).
    """
    keep = _pruned(ped, typed | {missing})
    sub = ped.subset(sorted(keep))
    n = len(sub)
    role = [2 if lab == missing else (1 if lab in typed else 0) for lab in sub.labels]
    colour = [hash((role[i], int(sub.sex[i]), int(sub.father[i] < 0))) for i in range(n)]
    kids = [sub.children(i).tolist() for i in range(n)]
    for _ in range(n):
        colour = [
            hash((
                colour[i],
                colour[sub.father[i]] if sub.father[i] >= 0 else 0,
                colour[sub.mother[i]] if sub.mother[i] >= 0 else 0,
                tuple(sorted(colour[c] for c in kids[i])),
            ))
            for i in range(n)
        ]
    order: list[int] = []
    placed: set[int] = set()
    while len(order) < n:
        ready = [
            i for i in range(n)
            if i not in placed and (sub.father[i] < 0 or (sub.father[i] in placed and sub.mother[i] in placed))
        ]
        nxt = min(ready, key=lambda i: (colour[i], i))
        order.append(nxt)
        placed.add(nxt)
    pos = {old: new for new, old in enumerate(order)}
    fa = np.array([pos[int(sub.father[i])] if sub.father[i] >= 0 else -1 for i in order], dtype=np.int64)
    mo = np.array([pos[int(sub.mother[i])] if sub.mother[i] >= 0 else -1 for i in order], dtype=np.int64)
    sx = np.array([int(sub.sex[i]) for i in order], dtype=np.int64)
    labels = [sub.labels[i] for i in order]
    canon = Pedigree._from_arrays(tuple(f"p{k}" for k in range(n)), fa, mo, sx)
    roles = tuple(role[i] for i in order)
    key = (tuple(fa.tolist()), tuple(mo.tolist()), tuple(sx.tolist()), roles)
    return key, canon, labels


def build_tables(
    families: Sequence[FamilyInput],
    markers: Sequence[Marker],
    *,
    max_batch_elements: int = 8_000_000,
    exclusions: bool = True,
) -> list[FamilyTables]:
    """Tables for many missing persons, computed in batches of (family, marker) elements of one shape.

    Families are pruned and put in a canonical order (:func:`canonical_shape`); all markers
    of all families that then share a shape (and whose references have exact genotypes)
    are computed together in one contraction, with every marker's allele space padded to
    one size. Partial reference genotypes fall back to :func:`marker_table`. Results equal
    :func:`family_tables`.

    ``exclusions=False`` leaves the Mendelian exclusions of batched markers with a mutation
    model out (their ``excluded`` is all False); :func:`mendelian_exclusions` gives them later,
    for the families that need them (blind search: those with a candidate).
    """
    if not markers:
        return [FamilyTables(f.family, f.missing, int(f.pedigree.sex[f.pedigree.index(f.missing)]), {})
                for f in families]
    padded: dict[int, _PaddedMarkers] = {}
    per_family: list[dict[str, MarkerTable]] = [dict() for _ in families]
    groups: dict[tuple, list[tuple[int, int, list[str], bool]]] = {}
    lumped_groups: dict[tuple, list[tuple[int, int, list[str]]]] = {}
    canon_of: dict[tuple, Pedigree] = {}
    for k, mi, shape in _elements(families, markers):
        marker = markers[mi]
        if shape is None:  # partial reference genotypes, or pedprobr's special lumping (_special_table)
            fam = families[k]
            at = {p: g[marker.name] for p, g in fam.genotypes.items()
                  if marker.name in g and p in fam.pedigree.labels and p != fam.missing}
            per_family[k][marker.name] = marker_table(fam.pedigree, fam.missing, marker, at)
            continue
        key, canon, labels, rest = shape
        canon_of[key] = canon
        if marker.mutation is None or marker.mutation.is_trivial():
            lumped_groups.setdefault(key, []).append((k, mi, labels))
            continue
        # Markers that lump differently share a batch (the remainder's mass is a per-element frequency).
        gkey = (key, _bucket(len(marker.alleles)))
        groups.setdefault(gkey, []).append((k, mi, labels, rest))
        canon_of[gkey] = canon
    _lumped_tables(families, markers, lumped_groups, canon_of, per_family, max_batch_elements)
    components: dict[int, int] = {}
    for gkey, elements in groups.items():
        canon = canon_of[gkey]
        roles = gkey[0][3]
        if gkey[1] not in padded:
            padded[gkey[1]] = _padded(markers, gkey[1])
        pm = padded[gkey[1]]
        # Each element takes up to two copies in a batch (the joint, the references alone);
        # the largest intermediate factor per copy is known before contracting (_network_plan).
        via, terms, per_copy = _network_plan(canon, roles, pm.n_pad)
        chunk = max(1, min(8192, max_batch_elements // max(per_copy, 1)) // 2)
        for start in range(0, len(elements), chunk):
            _batch_elements(
                families, markers, pm, canon, roles, elements[start:start + chunk], per_family,
                (via, terms), components,
            )
    tables = [
        FamilyTables(f.family, f.missing, int(f.pedigree.sex[f.pedigree.index(f.missing)]), per_family[k])
        for k, f in enumerate(families)
    ]
    if exclusions and groups:
        for ft, flags in zip(tables, mendelian_exclusions(families, markers, tables, max_batch_elements),
                             strict=True):
            for name, excluded in flags.items():
                ft.tables[name] = replace(ft.tables[name], excluded=excluded)
    return tables


def _elements(
    families: Sequence[FamilyInput], markers: Sequence[Marker]
) -> Iterator[tuple[int, int, tuple[tuple, Pedigree, list[str], bool] | None]]:
    """Every (family, marker) element with its canonical shape, labels and whether the remainder
    carries mass (None for partial reference genotypes and, far from Σp = 1, for tables of pedprobr's
    special lumping (:func:`_special_table`), which are not batched)."""
    shape_cache: dict[tuple[int, frozenset[str]], tuple[tuple, Pedigree, list[str]]] = {}
    rest_cache: dict[tuple[tuple, int], bool] = {}
    for k, fam in enumerate(families):
        ped = fam.pedigree
        for mi, marker in enumerate(markers):
            at = {p: g[marker.name] for p, g in fam.genotypes.items() if marker.name in g and p in ped.labels}
            at.pop(fam.missing, None)
            if any(g[1] is None for g in at.values()):
                yield k, mi, None
                continue
            ck = (k, frozenset(at))
            if ck not in shape_cache:
                shape_cache[ck] = canonical_shape(ped, fam.missing, set(at))
            key, canon, labels = shape_cache[ck]
            rest = True
            if marker.mutation is not None and not marker.mutation.is_trivial():
                # Whether the remainder carries its mass depends on the shape and the marker only.
                if (key, mi) not in rest_cache:
                    typed_canon = {canon.labels[i] for i, r in enumerate(key[3]) if r}
                    rest_cache[key, mi] = _needs_rest(marker, canon, typed_canon, mutation=True)
                rest = rest_cache[key, mi]
                if _special_exact(marker, rest):  # pedprobr's special lumping: _special_table, not batched
                    yield k, mi, None
                    continue
            yield k, mi, (key, canon, labels, rest)


def mendelian_exclusions(
    families: Sequence[FamilyInput],
    markers: Sequence[Marker],
    tables: Sequence[FamilyTables],
    max_batch_elements: int = 8_000_000,
) -> list[dict[str, np.ndarray]]:
    """The Mendelian exclusions of the batched markers with a mutation model (``tables`` from
    :func:`build_tables` with ``exclusions=False``), by family then marker.

    They are those of the markers' Mendelian twins (no mutation), computed in each family's
    lumped space (whose zero pattern is exact) rather than in the full allele space; where the
    remainder allele has no mass, every genotype carrying it is impossible.
    """
    twins = [replace(m, mutation=None) for m in markers]
    groups: dict[tuple, list[tuple[int, int, list[str]]]] = {}
    canon_of: dict[tuple, Pedigree] = {}
    for k, mi, shape in _elements(families, markers):
        marker = markers[mi]
        if shape is None or marker.mutation is None or marker.mutation.is_trivial():
            continue
        key, canon, labels, _rest = shape
        if not any(r == 1 for r in key[3]):
            continue  # no reference typed: nothing is excluded
        groups.setdefault(key, []).append((k, mi, labels))
        canon_of[key] = canon
    twin_tables: list[dict[str, MarkerTable]] = [dict() for _ in families]
    _lumped_tables(families, twins, groups, canon_of, twin_tables, max_batch_elements)
    out: list[dict[str, np.ndarray]] = [dict() for _ in families]
    for k, by_marker in enumerate(twin_tables):
        for name, twin in by_marker.items():
            excluded = twin.excluded.copy()
            if not tables[k].tables[name].remainder_mass:  # no mass: every genotype with it is impossible
                n = len(twin.alleles)
                excluded[n_genotypes(n - 1):] = True
            out[k][name] = excluded
    return out


FIRST_LUMPED = 32  # elements of a shape's first lumped batch (small spaces: a few MB at most)


def _lumped_tables(
    families: Sequence[FamilyInput],
    markers: Sequence[Marker],
    groups: Mapping[tuple, list[tuple[int, int, list[str]]]],
    canon_of: Mapping[tuple, Pedigree],
    per_family: list[dict[str, MarkerTable]],
    max_batch_elements: int,
) -> None:
    """Tables of Mendelian markers, shape by shape, in each family's lumped space (:func:`_batch_lumped`)."""
    collector: dict[int, list] = {}
    for key, elements in groups.items():
        # A few elements first (a shape's whole group, often), to learn the largest intermediate
        # factor per element; then batches within the budget.
        stats: dict = {}
        plans: dict = {}
        first = elements[:FIRST_LUMPED]
        _batch_lumped(families, markers, canon_of[key], key[3], first, per_family, collector, stats, plans)
        per_element = max(stats.get("max_size", 1) // len(first), 1)
        chunk = max(1, min(16384, max_batch_elements // per_element))
        for start in range(len(first), len(elements), chunk):
            _batch_lumped(
                families, markers, canon_of[key], key[3], elements[start:start + chunk], per_family, collector,
                None, plans,
            )
    for mi, rows in collector.items():
        for start in range(0, len(rows), 4096):
            _expand_lumped(markers[mi], rows[start:start + 4096], per_family)


def _childless_with_parents(ped: Pedigree, mp: int) -> bool:
    """Whether the missing person has parents and no children (the shape :func:`_batched_joint` may
    contract onto the parents first)."""
    return bool(ped.father[mp] >= 0 and not np.any((ped.father == mp) | (ped.mother == mp)))


def _network_vars(
    ped: Pedigree, mp: int, typed: Sequence[int], via_parents: bool,
    collapse: frozenset[tuple[int, int, int]] = frozenset(),
) -> tuple[list[tuple[int, ...]], tuple[int, ...]]:
    """The variables of every factor :func:`_batched_joint` contracts (tensors per element), and what it keeps."""
    tset = set(typed)
    facs: list[tuple[int, ...]] = []
    for i in range(len(ped)):
        f, m = int(ped.father[i]), int(ped.mother[i])
        if f < 0:
            facs += [(BATCH, 2 * i), (BATCH, 2 * i + 1)]
        else:
            for side, parent in ((0, f), (1, m)):
                if (i, side, 0) in collapse or (i, side, 1) in collapse:
                    which = 0 if (i, side, 0) in collapse else 1
                    facs.append((BATCH, 2 * parent + which, 2 * i + side))
                else:
                    facs.append((BATCH, 2 * parent, 2 * parent + 1, 2 * i + side))
        if i in tset:
            facs.append((BATCH, 2 * i, 2 * i + 1))
    if not via_parents:
        return facs, (BATCH, 2 * mp, 2 * mp + 1)
    f, m = int(ped.father[mp]), int(ped.mother[mp])
    rest = [vs for vs in facs if 2 * mp not in vs and 2 * mp + 1 not in vs]
    return rest, (BATCH, 2 * f, 2 * f + 1, 2 * m, 2 * m + 1)


def _greedy(
    facs: list[tuple[int, ...]], keep: tuple[int, ...], dims: dict[int, int], rng: random.Random | None = None
) -> tuple[list[int], int]:
    """The order :func:`contract` chooses for factors over these variables, and its largest factor.

    With ``rng``, each candidate's cost is scaled by a random factor in [1, 3) (a randomised
    greedy: repeated, it finds cheaper orders for pedigrees with loops).
    """
    work: list = [(vs, None) for vs in facs]
    todo = {v for vs in facs for v in vs if v not in keep}
    plan: list[int] = []
    size = math.prod(dims[v] for v in keep)
    while todo:
        if rng is None:
            v, union = _smallest_elimination(work, todo, dims)
        else:
            best = None
            for u in sorted(todo):
                scope = _union(work, u)
                cost = math.prod(dims[x] for x in scope) * (1.0 + 2.0 * rng.random())
                if best is None or cost < best[0]:
                    best = (cost, u, scope)
            assert best is not None
            _cost, v, union = best
        plan.append(v)
        size = max(size, math.prod(dims[u] for u in union))
        work = [w for w in work if v not in w[0]] + [(tuple(u for u in union if u != v), None)]
        todo.discard(v)
    return plan, size


def _order_size(facs: list[tuple[int, ...]], keep: tuple[int, ...], dims: dict[int, int], plan: list[int]) -> int:
    """The largest factor :func:`contract` creates following ``plan``."""
    work = [set(vs) for vs in facs]
    size = math.prod(dims[v] for v in keep)
    for v in plan:
        union: set[int] = set()
        rest = []
        for w in work:
            if v in w:
                union |= w
            else:
                rest.append(w)
        size = max(size, math.prod(dims[u] for u in union))
        union.discard(v)
        work = [*rest, union]
    return size


def _collapsible(ped: Pedigree, roles: tuple[int, ...]) -> list[list[tuple[int, int, int]]]:
    """For each untyped founder (not MP), the transmissions that may be taken from its first allele only.

    A founder's two alleles are exchangeable when it is untyped: its priors are p_a·p_b and every
    transmission τ(x | a, b) = ½ (M[a, x] + M[b, x]) is symmetric in them, so one of them (one
    per founder) may be replaced by M[a, x] (the other half is the same sum with a and b
    exchanged). Untyped children come first (their allele ranges over the whole space, so
    dropping b from that factor helps most), then typed ones; never MP's own (its alleles stay open).
    """
    mp = roles.index(2)
    out = []
    for founder in range(len(ped)):
        if ped.father[founder] >= 0 or roles[founder] != 0:
            continue
        kids = sorted((int(c) for c in ped.children(founder) if int(c) != mp), key=lambda c: (roles[c] != 0, c))
        if kids:
            out.append([(c, 0 if int(ped.father[c]) == founder else 1, 0) for c in kids])
    return out


Term = tuple[float, frozenset[tuple[int, int, int]], list[int]]  # weight, copied alleles, elimination order
_PLANS: dict[tuple, tuple[bool, list[Term]]] = {}
PLAN_SIZE = 16  # allele states at which a shape's elimination order is chosen (any order is exact)
RANDOM_PLANS = 16  # randomised greedy orders tried for a shape whose greedy order costs ≥ PLAN_SIZE⁵
MAX_SPLITS = 2  # transmissions a costly shape may be split at (2^k contractions)


def _network_plan(ped: Pedigree, roles: tuple[int, ...], n: int) -> tuple[bool, list[Term], int]:
    """How to contract one shape: through MP's parents or not, with founders' transmissions collapsed
    or not (whichever is cheaper), as a weighted sum of contractions (terms, one unless split),
    each with its elimination order, and the memory one batch element needs with ``n`` states.

    Every factor of a batched network carries the batch axis, so the greedy order does not
    depend on the batch size; it is chosen once per shape (at :data:`PLAN_SIZE` states) and
    followed at every size. A shape that still costs n⁵ or more (loops, untyped generations)
    tries randomised greedy orders, then splits up to :data:`MAX_SPLITS` transmissions
    τ(x | a, b) = ½ M[a, x] + ½ M[b, x] into their halves when that is cheaper: the joint is
    then the sum of 2^k contractions, each without that three-way factor.
    """
    mp = roles.index(2)
    typed = [i for i, r in enumerate(roles) if r == 1]

    def dims_at(states: int) -> dict[int, int]:
        dims = {BATCH: 1}
        for i in range(len(ped)):
            dims[2 * i] = dims[2 * i + 1] = 2 if i in typed else states
        return dims

    key = (ped.father.tobytes(), ped.mother.tobytes(), roles)
    if key not in _PLANS:
        _PLANS[key] = _choose_plan(ped, roles, mp, typed, dims_at(PLAN_SIZE))
        if len(_PLANS) > 100_000:
            _PLANS.clear()
            _PLANS[key] = _choose_plan(ped, roles, mp, typed, dims_at(PLAN_SIZE))
    via, terms = _PLANS[key]
    n_trans = 2 * int(np.sum(ped.father >= 0))
    size = (n_trans + 2) * n ** 3
    for _w, collapse, plan in terms:
        facs, keep = _network_vars(ped, mp, typed, via, collapse)
        size = max(size, _order_size(facs, keep, dims_at(n), plan))
    return via, terms, size


def _choose_plan(
    ped: Pedigree, roles: tuple[int, ...], mp: int, typed: list[int], dims: dict[int, int]
) -> tuple[bool, list[Term]]:
    """See :func:`_network_plan` (planned at ``dims``)."""
    vias = (False, True) if _childless_with_parents(ped, mp) else (False,)

    def cheapest(collapse: frozenset[tuple[int, int, int]], via: bool | None = None,
                 rng: random.Random | None = None) -> tuple[bool, list[int], int]:
        best = None
        for v in vias if via is None else (via,):
            facs, keep = _network_vars(ped, mp, typed, v, collapse)
            plan, size = _greedy(facs, keep, dims, rng)
            if best is None or size < best[2]:
                best = (v, plan, size)
        assert best is not None
        return best

    choices = _collapsible(ped, roles)
    options = [frozenset(), frozenset(c[0] for c in choices)]
    scored = [(cheapest(c), c) for c in options]
    (via, plan, size), collapse = min(scored, key=lambda t: t[0][2])
    if size < PLAN_SIZE ** 5:
        return via, [(1.0, collapse, plan)]
    # Costly shape: randomised greedy orders, from a fixed seed (every process plans a shape alike,
    # so results do not depend on where it runs).
    rng = random.Random(0)
    for _ in range(RANDOM_PLANS):
        _v, p, sz = cheapest(collapse, via, rng)
        if sz < size:
            plan, size = p, sz
    terms: list[Term] = [(1.0, collapse, plan)]
    cost = size
    taken = {(c, side) for c, side, _w in collapse}
    for _ in range(MAX_SPLITS):
        if cost < PLAN_SIZE ** 5:
            break
        best = None
        for child in range(len(ped)):
            if ped.father[child] < 0 or child == mp:
                continue
            for side in (0, 1):
                if (child, side) in taken:
                    continue
                trial = []
                for weight, col, _plan in terms:
                    for which in (0, 1):
                        _v, p, sz = cheapest(col | {(child, side, which)}, via)
                        trial.append((0.5 * weight, col | {(child, side, which)}, p, sz))
                worst = max(t[3] for t in trial)
                if best is None or worst < best[0]:
                    best = (worst, (child, side), trial)
        # Worth it when the 2x contractions, each cheaper, cost less in all.
        if best is None or 2 * best[0] >= cost:
            break
        worst, split, trial = best
        refined = []
        for weight, col, p, sz in trial:
            for _ in range(RANDOM_PLANS // 4):
                _v, p2, sz2 = cheapest(col, via, rng)
                if sz2 < sz:
                    p, sz = p2, sz2
            refined.append((weight, col, p, sz))
        terms = [(w, c, p) for w, c, p, _sz in refined]
        cost = max(sz for *_rest, sz in refined)
        taken.add(split)
    return via, terms


def _alone_shape(ped: Pedigree, roles: tuple[int, ...]) -> tuple[bool, int]:
    """For the references alone (the missing person untyped): pedprobr's "special lumping" signature
    (every untyped person left after pruning is a founder with one child) and the number of founders
    of the shape that pruning for the references alone drops."""
    typed = {ped.labels[i] for i, r in enumerate(roles) if r == 1}
    alive = _pruned(ped, typed)
    untyped = [i for i in alive if roles[i] != 1]
    direct = bool(untyped) and all(
        ped.father[i] < 0 and sum(1 for c in ped.children(i) if c in alive) == 1 for i in untyped
    )
    extra = sum(1 for i in range(len(ped)) if ped.father[i] < 0 and i not in alive)
    return direct, extra


def _references_alone(
    families: Sequence[FamilyInput],
    markers: Sequence[Marker],
    pm: _PaddedMarkers,
    ped: Pedigree,
    roles: tuple[int, ...],
    elements: list[tuple[int, int, list[str], bool]],
    em: np.ndarray,
    pairs: np.ndarray,
    with_rest: np.ndarray,
    fam_lik: np.ndarray,
    components: dict[int, int],
) -> tuple[list[int], list[np.ndarray], list[int]]:
    """How each element's family likelihood L(D) is obtained, for models that do not lump (stepwise).

    The exact engine gives the references alone (:func:`~mpid.genetics.likelihood.allele_space`)
    the marker's own frequencies, or, with pedprobr's special lumping, the unobserved ones
    rescaled to the mass 1 − Σ observed, or a lumped space when the model lumps the unobserved
    alleles. Returns the rows computed from a copy in their own space (and those frequencies)
    and the rows whose space is the joint's own (L(D) from the joint's sum); the rest (lumped
    spaces, pedigrees in pieces, silent alleles) get L(D) from the exact engine in ``fam_lik``.
    """
    ne, n_pad = pairs.shape[0], pm.n_pad
    direct, _extra = _alone_shape(ped, roles)
    is_obs = np.zeros((ne, n_pad), dtype=bool)
    is_obs[np.arange(ne)[:, None], pairs.reshape(ne, -1)] = True
    n_obs = is_obs.sum(axis=1)
    n_all = np.array([len(markers[mi].alleles) for mi in em.tolist()], dtype=np.int64)
    may_lump = ~pm.lumpable[em] & (n_obs < n_all - 1)
    lumps = np.zeros(ne, dtype=bool)
    for mi in np.unique(em[may_lump]).tolist():
        rows = np.flatnonzero(may_lump & (em == mi))
        n = len(markers[mi].alleles)
        unobs = ~is_obs[rows, :n]
        mut = markers[mi].mutation
        lumps[rows] = _lumpable_rows(mut.female.matrix, unobs) & _lumpable_rows(mut.male.matrix, unobs)
    alone_rows: list[int] = []
    alone_freqs: list[np.ndarray] = []
    same_rows: list[int] = []
    for row, (k, mi, _labels, _rest) in enumerate(elements):
        marker = markers[mi]
        if pm.lumpable[mi]:
            continue
        if k not in components:
            components[k] = len(families[k].pedigree.components())
        if lumps[row] or components[k] != 1 or marker.silent_frequency != 0:
            fam = families[k]
            fam_lik[row] = marker_likelihood(
                fam.pedigree, marker,
                {lab: g[marker.name] for lab, g in fam.genotypes.items() if marker.name in g and lab != fam.missing},
            )
        elif direct and n_obs[row] < n_all[row] - 1:
            n = n_all[row]
            obs = is_obs[row, :n]
            f = np.asarray(marker.freqs, dtype=float).copy()
            rest = f[~obs].sum()
            if rest > 0:
                f[~obs] *= (1.0 - f[obs].sum()) / rest
            padded_f = np.zeros(n_pad)
            padded_f[:n] = f
            alone_rows.append(row)
            alone_freqs.append(padded_f)
        elif with_rest[row]:
            alone_rows.append(row)
            alone_freqs.append(pm.freqs_no_rest[mi])
        else:
            same_rows.append(row)  # the joint's own network: L(D) from its sum
    return alone_rows, alone_freqs, same_rows


def _lumpable_rows(mat: np.ndarray, lump: np.ndarray) -> np.ndarray:
    """:func:`~mpid.genetics.mutation.is_lumpable` of ``mat`` for each row of masks ``lump`` (rows, n)."""
    big = np.where(lump[:, :, None], mat[None], -np.inf).max(axis=1)
    small = np.where(lump[:, :, None], mat[None], np.inf).min(axis=1)
    return (lump.sum(axis=1) <= 1) | np.all((big == small) | lump, axis=1)


def _batch_elements(
    families: Sequence[FamilyInput],
    markers: Sequence[Marker],
    pm: _PaddedMarkers,
    ped: Pedigree,
    roles: tuple[int, ...],
    elements: list[tuple[int, int, list[str], bool]],
    per_family: list[dict[str, MarkerTable]],
    how: tuple[bool, list[Term]] | None = None,
    components: dict[int, int] | None = None,
) -> None:
    """One contraction for a batch of (family, marker, labels, remainder) elements of one canonical shape.

    The batch holds the joint with mutation of every element (the table) and, for models that do
    not lump (stepwise) and elements whose references the exact engine gives another allele space
    (:func:`_references_alone`), a copy in that space, whose sum over the missing person's alleles
    is the family likelihood L(D) once the founders that only the missing person needs are divided
    out (their allele sums, Σ p, per allele); elsewhere L(D) is the joint's own sum, so divided.
    Exclusions of markers with mutation (mutations ignored) are left all False here: they come
    from :func:`mendelian_exclusions`.
    """
    mp = roles.index(2)
    typed = [i for i, r in enumerate(roles) if r == 1]
    if not typed:
        for k, mi, _labels, _rest in elements:
            per_family[k][markers[mi].name] = _uninformative(markers[mi])
        return
    components = {} if components is None else components
    ne = len(elements)
    n_pad = pm.n_pad
    em = np.array([mi for _, mi, _, _ in elements], dtype=np.int64)
    with_rest = np.array([r for _, _, _, r in elements], dtype=bool)
    pairs = np.empty((ne, len(typed), 2), dtype=np.int64)
    indexes = [{a: i for i, a in enumerate(m.alleles)} for m in markers]
    for row, (k, mi, labels, _rest) in enumerate(elements):
        fam = families[k]
        idx = indexes[mi]
        name = markers[mi].name
        for t, i in enumerate(typed):
            g = fam.genotypes[labels[i]][name]
            try:
                pairs[row, t] = (idx[g[0]], idx[g[1]])
            except KeyError as exc:
                raise KeyError(f"family {fam.family}, marker {name}: allele {exc} not in the table") from None
    freqs = np.where(with_rest[:, None], pm.freqs[em], pm.freqs_no_rest[em])
    mutating = pm.mutating[em]
    # Family likelihoods: lumpable models from the joint's sum; others from a copy in the references'
    # own allele space (below), or, for what the batch does not cover, the exact engine directly.
    fam_lik = np.full(ne, np.nan)
    alone_rows, alone_freqs, same_rows = _references_alone(
        families, markers, pm, ped, roles, elements, em, pairs, with_rest, fam_lik, components
    )
    _, extra = _alone_shape(ped, roles)
    sel = np.concatenate([np.arange(ne), np.array(alone_rows, dtype=np.int64)])
    all_freqs = np.concatenate([freqs, np.array(alone_freqs).reshape(-1, n_pad)])
    all_tau = np.concatenate([em, em[alone_rows]])
    via, terms = how if how is not None else (None, [(1.0, frozenset(), None)])
    out = None
    for weight, collapse, plan in terms:
        part = _batched_joint(
            ped, mp, typed, pairs[sel], all_freqs, pm.tau_male, pm.tau_female, pm.tau_plain, all_tau, None, plan,
            via, collapse,
        )
        out = part if weight == 1.0 else (weight * part if out is None else out + weight * part)
    assert out is not None
    joint = out[:ne]
    if alone_rows:
        alone = out[ne:]
        fam_lik[alone_rows] = alone.sum(axis=(1, 2)) / np.array(alone_freqs).sum(axis=1) ** (2 * extra)
    if same_rows:
        fam_lik[same_rows] = joint[same_rows].sum(axis=(1, 2)) / freqs[same_rows].sum(axis=1) ** (2 * extra)
    for row in np.flatnonzero(pm.lumpable[em]):
        n = len(markers[em[row]].alleles) + 1
        fam_lik[row] = float(joint[row, :n, :n].sum())
    ia, ib = _pair_index(n_pad)
    diag = ia == ib
    unord = np.where(diag, joint[:, ia, ib], joint[:, ia, ib] + joint[:, ib, ia])
    hw = np.where(diag, freqs[:, ia] * freqs[:, ib], 2.0 * freqs[:, ia] * freqs[:, ib])
    positive = fam_lik > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = unord / (fam_lik[:, None] * hw)
    lr[~positive] = np.nan
    lr[hw == 0] = 0.0
    excluded = (unord == 0) & ~mutating[:, None]  # with mutation: from mendelian_exclusions
    labels_of: dict[int, tuple[str, ...]] = {}
    for row, (k, mi, _labels, rest) in enumerate(elements):
        marker = markers[mi]
        if mi not in labels_of:
            labels_of[mi] = tuple(marker.alleles) + (REST,)
        n = len(marker.alleles) + 1
        size = n_genotypes(n)
        excl = excluded[row, :size]
        per_family[k][marker.name] = MarkerTable(
            marker.name, labels_of[mi], lr[row, :size], excl, float(fam_lik[row]), bool(rest)
        )


def _batch_lumped(
    families: Sequence[FamilyInput],
    markers: Sequence[Marker],
    ped: Pedigree,
    roles: tuple[int, ...],
    elements: list[tuple[int, int, list[str]]],
    per_family: list[dict[str, MarkerTable]],
    collector: dict[int, list],
    stats: dict | None = None,
    plans: dict | None = None,
) -> None:
    """Mendelian markers: contract in the lumped space of each element, then expand to every genotype.

    Without mutation an allele x that no reference carries can reach the missing person only
    as a copy of one founder allele, so (ordered) J[a, x] = C_a·p_x, J[x, y] = c·p_x·p_y and
    J[x, x] = c·p_x² + d·p_x for a observed and x ≠ y unobserved, the constants being the
    same for every unobserved allele. One contraction over the observed alleles, two probe
    alleles X, Y (the rarest unobserved ones) and the rest R (mass 1 − Σ, pedprobr's lump)
    gives C_a, c and d, hence J for every genotype, with pedprobr's lumping exactly.
    """
    mp = roles.index(2)
    typed = [i for i, r in enumerate(roles) if r == 1]
    if not typed:
        for k, mi, _ in elements:
            per_family[k][markers[mi].name] = _uninformative(markers[mi])
        return
    sx, sy, sr = 0, 1, 2  # probe alleles X, Y and the rest R; observed alleles from slot 3
    plans = {} if plans is None else plans
    indexes = [{a: i for i, a in enumerate(m.alleles)} for m in markers]
    rarest = [[int(a) for a in np.argsort(m.freqs, kind="stable") if m.freqs[a] > 0] for m in markers]
    # Elements are grouped by their number of distinct observed alleles, which sets the size of
    # the lumped space (siblings of one couple carry at most four alleles, however many they are).
    by_size: dict[int, list[tuple[int, int, np.ndarray, int, int, np.ndarray, list[tuple[int, int]]]]] = {}
    for k, mi, labels in elements:
        marker = markers[mi]
        fam = families[k]
        idx = indexes[mi]
        try:
            gts = [fam.genotypes[labels[i]][marker.name] for i in typed]
            full_pairs = [(idx[g[0]], idx[g[1]]) for g in gts]
        except KeyError as exc:
            raise KeyError(f"family {fam.family}, marker {marker.name}: allele {exc} not in the table") from None
        obs_list = sorted({a for pair in full_pairs for a in pair})
        f = marker.freqs
        # The two rarest unobserved alleles with a positive frequency serve as probes.
        probes = [a for a in rarest[mi] if a not in obs_list][:2]
        if len(probes) < 2:  # almost every allele observed: the full computation is small anyway
            at = {labels[i]: g for i, g in zip(typed, gts, strict=True)}
            per_family[k][marker.name] = _full_marker_table(fam, marker, labels, roles, at)
            continue
        px, py = probes
        obs = np.array(obs_list, dtype=np.int64)
        slot = {a: 3 + j for j, a in enumerate(obs_list)}
        fs = np.zeros(3 + obs.size)
        fs[3:] = f[obs]
        fs[sx], fs[sy] = f[px], f[py]
        fs[sr] = 1.0 - float(f[obs].sum()) - f[px] - f[py]
        size = obs.size + (obs.size % 2)  # even sizes: fewer groups; a padding slot has frequency 0
        by_size.setdefault(size, []).append((k, mi, obs, px, py, fs, [(slot[a], slot[b]) for a, b in full_pairs]))
    plan = plans.setdefault(("lumped", ped.father.tobytes(), ped.mother.tobytes(), roles), [])
    for size, rows in sorted(by_size.items()):
        ns = 3 + size
        fsm = np.zeros((len(rows), ns))
        for r, row in enumerate(rows):
            fsm[r, : row[5].size] = row[5]
        psm = np.array([r[6] for r in rows], dtype=np.int64)
        joint = _batched_joint(
            ped, mp, typed, psm, fsm, None, None, _transmission(None, ns), np.zeros(len(rows), dtype=np.int64),
            stats, plan,
        )
        for row, (k, mi, obs, px, py, _fs, _pairs) in enumerate(rows):
            collector.setdefault(mi, []).append((k, obs, px, py, joint[row]))


def _expand_lumped(
    marker: Marker,
    rows: list[tuple[int, np.ndarray, int, int, np.ndarray]],
    per_family: list[dict[str, MarkerTable]],
) -> None:
    """Expand lumped joints of one marker (all families at once) to full tables (see _batch_lumped).

    Each row is (family index, observed alleles, probe X, probe Y, lumped joint over
    slots X, Y, R, observed...).
    """
    n = len(marker.alleles) + 1
    nr = len(rows)
    max_obs = max(row[1].size for row in rows)
    ns = max(row[4].shape[0] for row in rows)
    jo = np.zeros((nr, ns, ns))
    obs = np.full((nr, max_obs), -1, dtype=np.int64)
    for r, row in enumerate(rows):
        m = row[4].shape[0]
        jo[r, :m, :m] = row[4]
        obs[r, : row[1].size] = row[1]
    f = np.append(marker.freqs, 1.0 - float(np.sum(marker.freqs)))
    px = np.array([row[2] for row in rows])
    py = np.array([row[3] for row in rows])
    p_x, p_y = f[px], f[py]
    c = jo[:, 0, 1] / (p_x * p_y)
    d = (jo[:, 0, 0] - p_x * p_x * c) / p_x
    unobs = np.ones((nr, n), dtype=bool)
    valid = obs >= 0
    unobs[np.nonzero(valid)[0], obs[valid]] = False
    fu = np.where(unobs, f[None, :], 0.0)
    j = c[:, None, None] * fu[:, :, None] * fu[:, None, :]
    diag = np.arange(n)
    j[:, diag, diag] += d[:, None] * fu
    for s1 in range(max_obs):
        ok = np.flatnonzero(valid[:, s1])
        a = obs[ok, s1]
        j[ok, a, :] = (jo[ok, 3 + s1, 0] / p_x[ok])[:, None] * fu[ok]
        j[ok, :, a] = (jo[ok, 0, 3 + s1] / p_x[ok])[:, None] * fu[ok]
    for s1 in range(max_obs):
        for s2 in range(max_obs):
            ok = np.flatnonzero(valid[:, s1] & valid[:, s2])
            j[ok, obs[ok, s1], obs[ok, s2]] = jo[ok, 3 + s1, 3 + s2]
    ia, ib = _pair_index(n)
    unord = np.where(ia == ib, j[:, ia, ib], j[:, ia, ib] + j[:, ib, ia])
    fam_lik = jo.sum(axis=(1, 2))
    hw = _hw(f)
    with np.errstate(divide="ignore", invalid="ignore"):
        lr = unord / (fam_lik[:, None] * hw[None, :])
    lr[:, hw == 0] = 0.0
    lr[fam_lik == 0, :] = np.nan
    # remainder/remainder is never looked up (no remains carries the remainder allele twice)
    # and its value, a difference over a mass of ~1e-10, is not accurate: leave it out.
    lr[:, -1] = 0.0
    excluded = unord == 0
    labels = tuple(marker.alleles) + (REST,)
    for r, row in enumerate(rows):
        per_family[row[0]][marker.name] = MarkerTable(marker.name, labels, lr[r], excluded[r], float(fam_lik[r]))


def _full_marker_table(fam: FamilyInput, marker: Marker, labels: list[str], roles: tuple[int, ...],
                       at: dict[str, Genotype]) -> MarkerTable:
    """The single-family table, re-laid over alleles + remainder like the batched ones."""
    t = marker_table(fam.pedigree, fam.missing, marker, at)
    n = len(marker.alleles) + 1
    if t.lr.size == n_genotypes(n):
        return t
    lr = np.zeros(n_genotypes(n))
    ex = np.zeros(n_genotypes(n), dtype=bool)
    lr[: t.lr.size] = t.lr
    ex[: t.lr.size] = t.excluded
    return MarkerTable(t.marker, tuple(marker.alleles) + (REST,), lr, ex, t.family_likelihood)
