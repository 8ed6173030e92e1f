"""Exact pedigree likelihood of one marker, by variable elimination over allele variables.

Model (autosomal marker, alleles 1..n with frequencies p, mutation matrices M_f, M_m):

    L = Σ_{all allele assignments} Π_founders p(u_i) p(v_i)
                                  · Π_nonfounders τ_father(u_i | u_f, v_f) τ_mother(v_i | u_m, v_m)
                                  · Π_typed W_i(u_i, v_i)

where u_i, v_i are the paternal and maternal allele of person i,
τ(x | a, b) = ½ (M[a, x] + M[b, x]) is the transmission of one parental allele (with
mutation; M = I without), and W_i is the observation weight of person i
(:func:`mpid.genetics.profiles.genotype_weights`). The sum is computed exactly by
eliminating variables one at a time (greedy smallest-factor order), which handles any
pedigree shape — loops and inbreeding included — without loop breakers. This is the
Elston–Stewart/peeling likelihood of pedprobr written as a tensor contraction.

Conventions that follow pedprobr 1.1.0 so results agree to rounding:

* **allele lumping**: alleles carried by nobody in a component are merged into one allele
  of frequency 1 − Σ(observed frequencies), when a mutation model allows it (none, or
  strongly lumpable, e.g. ``equal``/``proportional``); never when everyone is fully typed
  or at most one allele is unobserved;
* a component in which nobody is typed has likelihood 1;
* **θ (Balding–Nichols)**: all founder alleles of a component are drawn in sequence, the
  j-th being a with probability (b·θ + (1−θ)p_a) / (1 + (j−2)θ) where b counts earlier
  copies of a. Expanding that product over "copied from an earlier allele or drawn
  fresh" gives a sum over set partitions π of the founder alleles:
  P = Π_j 1/(1+(j−2)θ) · Σ_π Π_blocks (1−θ) θ^{|B|−1} (|B|−1)! p_{a_B} [all of B equal];
  each term is an ordinary contraction with the block's alleles identified.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .markers import SILENT_ALLELE, Marker
from .mutation import is_lumpable, lumped_matrix
from .pedigree import Pedigree
from .profiles import Genotype, genotype_weights

__all__ = [
    "AlleleSpace",
    "LikelihoodError",
    "allele_space",
    "contract",
    "marker_likelihood",
    "pedigree_factor_specs",
    "pedigree_factors",
    "slice_factors",
    "variable_domains",
]

LUMP = "lump"


class LikelihoodError(ValueError):
    """Data that the model cannot take (an allele not in the marker, ...)."""


# ---------------------------------------------------------------------------------------------
# Variable elimination
# ---------------------------------------------------------------------------------------------
Factor = tuple[tuple[int, ...], np.ndarray]

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _normalise_factor(vars_: tuple[int, ...], arr: np.ndarray) -> Factor:
    """Take diagonals where a factor names one variable twice (identified alleles under θ)."""
    if len(set(vars_)) == len(vars_):
        return vars_, arr
    uniq = tuple(dict.fromkeys(vars_))
    letters = {v: _LETTERS[k] for k, v in enumerate(uniq)}
    spec = "".join(letters[v] for v in vars_) + "->" + "".join(letters[v] for v in uniq)
    return uniq, np.einsum(spec, arr)


def contract(
    factors: list[Factor], keep: Sequence[int] = (), stats: dict | None = None, plan: list[int] | None = None
) -> np.ndarray:
    """Σ over every variable not in ``keep`` of the product of ``factors``.

    Returns a scalar array (``keep`` empty) or an array over ``keep`` in that order.
    Variables are eliminated greedily, the one whose merged factor is smallest first.
    ``stats``, if given, receives ``max_size``: the largest intermediate factor's size.
    ``plan``, if given, is an elimination order: an empty list is filled with the order
    chosen, a filled one is followed (networks of one shape reuse one plan).
    """
    keep_set = set(keep)
    facs = [_normalise_factor(v, a) for v, a in factors]
    dims: dict[int, int] = {}
    for vs, arr in facs:
        for v, d in zip(vs, arr.shape, strict=True):
            dims[v] = d
    todo = {v for v in dims if v not in keep_set}
    order = list(plan) if plan else None  # follow a given plan, else choose greedily (and record)
    while todo:
        if order:
            v = order.pop(0)
            union = _union(facs, v)
        else:
            v, union = _smallest_elimination(facs, todo, dims)
            if plan is not None:
                plan.append(v)
        involved = [f for f in facs if v in f[0]]
        facs = [f for f in facs if v not in f[0]]
        out = tuple(u for u in union if u != v)
        facs.append((out, _einsum(involved, out)))
        todo.discard(v)
        if stats is not None:
            stats["max_size"] = max(stats.get("max_size", 0), math.prod(dims[u] for u in union))
    out = tuple(keep)
    if not facs:
        return np.array(1.0)
    if stats is not None:
        size = 1
        for v in out:
            size *= dims.get(v, 1)
        stats["max_size"] = max(stats.get("max_size", 0), size)
    return _einsum(facs, out)


def _union(facs: list[Factor], v: int) -> tuple[int, ...]:
    """Variables of all factors that mention ``v`` (the scope of eliminating it)."""
    union: dict[int, None] = {}
    for vs, _ in facs:
        if v in vs:
            union.update(dict.fromkeys(vs))
    return tuple(union)


def _smallest_elimination(facs: list[Factor], todo: set[int], dims: dict[int, int]) -> tuple[int, tuple[int, ...]]:
    """The variable whose elimination creates the smallest factor (ties: the lowest id)."""
    best, best_cost, best_union = -1, math.inf, ()
    for v in todo:
        union = _union(facs, v)
        cost = math.prod(dims[u] for u in union)
        if cost < best_cost or (cost == best_cost and v < best):
            best, best_cost, best_union = v, cost, union
    return best, best_union


def _einsum(facs: list[Factor], out: tuple[int, ...]) -> np.ndarray:
    names: dict[int, str] = {}
    for vs, _ in facs:
        for v in vs:
            if v not in names:
                names[v] = _LETTERS[len(names)]
    for v in out:
        if v not in names:  # pragma: no cover - a kept variable always has a factor
            names[v] = _LETTERS[len(names)]
    spec = ",".join("".join(names[v] for v in vs) for vs, _ in facs) + "->" + "".join(names[v] for v in out)
    # Two operands: a fixed path (no search); more: numpy's greedy path.
    path: object = ["einsum_path", (0, 1)] if len(facs) == 2 else len(facs) > 2
    return np.einsum(spec, *[a for _, a in facs], optimize=path)


# ---------------------------------------------------------------------------------------------
# Allele space of one component (with pedprobr's lumping)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AlleleSpace:
    """The allele states used for one component and marker: labels, frequencies, matrices."""

    labels: tuple[str, ...]
    freqs: np.ndarray
    female: np.ndarray | None  # transmission matrix for mothers (None = Mendelian)
    male: np.ndarray | None
    silent_index: int | None

    @property
    def index(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.labels)}

    @property
    def n(self) -> int:
        return len(self.labels)


def allele_space(
    marker: Marker,
    observed: set[str],
    everyone_fully_typed: bool,
    lump: bool = True,
    direct_lump: bool = False,
) -> AlleleSpace:
    """The (possibly lumped) allele states for a component whose typed members carry ``observed``.

    With a mutation model that is not lumpable (e.g. ``stepwise``), pedprobr still lumps
    "specially" when every untyped person left after pruning is a founder with one child
    (``direct_lump``); the lumped allele then has mass 1 − Σ(observed). We keep every
    allele but rescale the unobserved ones to that mass, which gives the same likelihood.
    """
    m = marker.with_silent_allele() if marker.silent_frequency > 0 else marker
    alleles, freqs = m.alleles, m.freqs
    unknown = observed - set(alleles)
    if unknown:
        raise LikelihoodError(
            f"marker {marker.name}: allele(s) {sorted(unknown)} not in the frequency table"
        )
    fem = mal = None
    if m.mutation is not None and not m.mutation.is_trivial():
        fem, mal = m.mutation.female.matrix, m.mutation.male.matrix
    is_obs = np.array([a in observed for a in alleles])
    n_obs = int(is_obs.sum())
    do_lump = lump and not everyone_fully_typed and n_obs < len(alleles) - 1
    special = False
    if do_lump and fem is not None:
        lumpmask = ~is_obs
        do_lump = is_lumpable(fem, lumpmask) and is_lumpable(mal, lumpmask)
        special = not do_lump and direct_lump
    if special:
        f = np.asarray(freqs, dtype=float).copy()
        rest = f[~is_obs].sum()
        if rest > 0:
            f[~is_obs] *= (1.0 - f[is_obs].sum()) / rest
        labels = tuple(alleles)
    elif do_lump:
        keep = np.flatnonzero(is_obs)
        labels = tuple(alleles[i] for i in keep) + (LUMP,)
        kf = freqs[keep]
        f = np.append(kf, 1.0 - kf.sum())
        if fem is not None:
            fem = lumped_matrix(fem, ~is_obs)
            mal = lumped_matrix(mal, ~is_obs)
    else:
        labels, f = tuple(alleles), np.asarray(freqs, dtype=float)
    sil = labels.index(SILENT_ALLELE) if marker.silent_frequency > 0 and SILENT_ALLELE in labels else None
    return AlleleSpace(labels, f, fem, mal, sil)


def _transmission(mat: np.ndarray | None, n: int) -> np.ndarray:
    """τ[a, b, x] = ½ (M[a, x] + M[b, x])."""
    m = np.eye(n) if mat is None else mat
    return 0.5 * (m[:, None, :] + m[None, :, :])


# ---------------------------------------------------------------------------------------------
# Factors of a pedigree
# ---------------------------------------------------------------------------------------------
FactorSpec = tuple[tuple[int, ...], np.ndarray]  # variables and the full (unsliced) array


def pedigree_factor_specs(
    ped: Pedigree,
    space: AlleleSpace,
    weights: Mapping[int, np.ndarray],
    *,
    founder_priors: bool = True,
) -> list[FactorSpec]:
    """Factors over allele variables (2i = paternal, 2i+1 = maternal allele of person i), unsliced."""
    n = space.n
    specs: list[FactorSpec] = []
    tau_m = _transmission(space.male, n)
    tau_f = _transmission(space.female, n)
    for i in range(len(ped)):
        f, m = int(ped.father[i]), int(ped.mother[i])
        if f < 0:
            if founder_priors:
                specs.append(((2 * i,), space.freqs))
                specs.append(((2 * i + 1,), space.freqs))
        else:
            specs.append(((2 * f, 2 * f + 1, 2 * i), tau_m))
            specs.append(((2 * m, 2 * m + 1, 2 * i + 1), tau_f))
        if i in weights:
            specs.append(((2 * i, 2 * i + 1), weights[i]))
    return specs


def variable_domains(n_persons: int, n: int, weights: Mapping[int, np.ndarray]) -> dict[int, np.ndarray]:
    """Allele states each variable can take: a typed person's alleles are where its weights are non-zero.

    Restricting a typed person's allele variables to its own alleles is exact (the weight is
    zero elsewhere) and turns n-state variables into 1–2-state ones: the contraction then
    costs what genotype-elimination peeling costs.
    """
    full = np.arange(n)
    dom: dict[int, np.ndarray] = {}
    for i in range(n_persons):
        w = weights.get(i)
        if w is None:
            dom[2 * i] = dom[2 * i + 1] = full
        else:
            dom[2 * i] = np.flatnonzero(w.any(axis=1))
            dom[2 * i + 1] = np.flatnonzero(w.any(axis=0))
    return dom


def slice_factors(specs: list[FactorSpec], dom: Mapping[int, np.ndarray]) -> list[Factor]:
    """Restrict every factor to its variables' domains."""
    out: list[Factor] = []
    for vs, arr in specs:
        idx = tuple(dom[v] for v in vs)
        out.append((vs, arr[np.ix_(*idx)] if len(idx) > 1 else arr[idx[0]]))
    return out


def pedigree_factors(
    ped: Pedigree,
    space: AlleleSpace,
    weights: Mapping[int, np.ndarray],
    *,
    founder_priors: bool = True,
) -> tuple[list[Factor], dict[int, np.ndarray]]:
    """Domain-restricted factors of a pedigree and the variables' domains."""
    dom = variable_domains(len(ped), space.n, weights)
    return slice_factors(pedigree_factor_specs(ped, space, weights, founder_priors=founder_priors), dom), dom


def _prune(ped: Pedigree, typed: set[int]) -> Pedigree:
    """Drop untyped persons without typed descendants: summing them out contributes 1."""
    alive = np.ones(len(ped), dtype=bool)
    changed = True
    while changed:
        changed = False
        for i in range(len(ped) - 1, -1, -1):
            if not alive[i] or i in typed:
                continue
            kids = ped.children(i)
            if not any(alive[k] for k in kids):
                alive[i] = False
                changed = True
    return ped.subset(np.flatnonzero(alive))


def _set_partitions(n: int) -> Iterator[list[int]]:
    """Restricted growth strings: block label of each of n items, every set partition once."""
    if n == 0:
        yield []
        return
    a = [0] * n
    while True:
        yield list(a)
        # next restricted growth string
        i = n - 1
        while i > 0:
            if a[i] <= max(a[:i]):
                a[i] += 1
                for j in range(i + 1, n):
                    a[j] = 0
                break
            i -= 1
        else:
            return


def _theta_likelihood_tensor(
    ped: Pedigree, space: AlleleSpace, weights: Mapping[int, np.ndarray], theta: float, max_size: int
) -> float | None:
    """Balding–Nichols likelihood as Σ_a P_BN(a) · R(a) over all founder alleles a at once.

    R is the contraction of everything but the founder priors, kept open over the founder
    allele variables (typed founders' variables range over their own alleles only); P_BN is
    the sequential draw of §5 evaluated on the same grid. Returns None when the grid would
    exceed ``max_size`` entries (the caller then sums over set partitions instead).
    """
    specs = pedigree_factor_specs(ped, space, weights, founder_priors=False)
    dom = variable_domains(len(ped), space.n, weights)
    fvars = [v for i in ped.founders for v in (2 * int(i), 2 * int(i) + 1)]
    size = 1
    for v in fvars:
        size *= dom[v].size
    if size > max_size:
        return None
    r = np.asarray(contract(slice_factors(specs, dom), tuple(fvars)))
    k = len(fvars)
    prob = np.ones(r.shape)
    values = []
    for j, v in enumerate(fvars):
        shape = [1] * k
        shape[j] = dom[v].size
        vals = dom[v].reshape(shape)
        count = np.zeros(r.shape)
        for earlier in values:
            count = count + (earlier == vals)
        prob = prob * (theta * count + (1.0 - theta) * space.freqs[vals]) / (1.0 + (j - 1) * theta)
        values.append(vals)
    return float(np.sum(r * prob))


def _theta_likelihood(
    ped: Pedigree, space: AlleleSpace, weights: Mapping[int, np.ndarray], theta: float
) -> float:
    """Balding–Nichols likelihood by summing over set partitions of the founder alleles.

    Alleles in one block are identified: their variable's domain is the intersection of
    the members' domains, so a partition that joins incompatible typed alleles costs nothing.
    """
    specs = pedigree_factor_specs(ped, space, weights, founder_priors=False)
    dom0 = variable_domains(len(ped), space.n, weights)
    fvars = [v for i in ped.founders for v in (2 * int(i), 2 * int(i) + 1)]
    k = len(fvars)
    seq_norm = 1.0
    for j in range(1, k + 1):
        seq_norm /= 1.0 + (j - 2) * theta
    total = 0.0
    for labels in _set_partitions(k):
        blocks: dict[int, list[int]] = {}
        for var, b in zip(fvars, labels, strict=True):
            blocks.setdefault(b, []).append(var)
        w = 1.0
        rename: dict[int, int] = {}
        dom = dict(dom0)
        empty = False
        for members in blocks.values():
            size = len(members)
            w *= (1.0 - theta) * theta ** (size - 1) * math.factorial(size - 1)
            d = dom0[members[0]]
            for v in members[1:]:
                d = np.intersect1d(d, dom0[v])
            if d.size == 0:
                empty = True
                break
            for v in members:
                rename[v] = members[0]
                dom[v] = d
        if empty or w == 0.0:
            continue
        facs = slice_factors(specs, dom)
        facs = [(tuple(rename.get(v, v) for v in vs), arr) for vs, arr in facs]
        facs += [((members[0],), space.freqs[dom[members[0]]]) for members in blocks.values()]
        total += w * float(contract(facs))
    return seq_norm * total


# ---------------------------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------------------------
def _component_likelihood(
    ped: Pedigree,
    marker: Marker,
    genotypes: Mapping[str, Genotype],
    theta: float,
    dropout: Mapping[str, float],
    lump: bool,
) -> float:
    typed = {ped.index(p) for p in genotypes if p in ped.labels}
    if not typed:
        return 1.0
    observed = {a for p in genotypes if p in ped.labels for a in genotypes[p] if a is not None}
    if marker.silent_frequency > 0 and any(
        g[0] == g[1] for p, g in genotypes.items() if p in ped.labels
    ):
        observed.add(SILENT_ALLELE)
    fully = len(typed) == len(ped) and all(genotypes[ped.labels[i]][1] is not None for i in typed)
    sub = _prune(ped, typed)
    # pedprobr's "special lumping" signature: all untyped are founders with one child each.
    untyped = [i for i in range(len(sub)) if sub.labels[i] not in genotypes]
    direct_lump = bool(untyped) and all(sub.father[i] < 0 and len(sub.children(i)) == 1 for i in untyped)
    space = allele_space(marker, observed, fully, lump, direct_lump)
    idx = space.index
    weights = {}
    for i, label in enumerate(sub.labels):
        if label in genotypes:
            weights[i] = genotype_weights(
                genotypes[label], idx, space.n, dropout=dropout.get(label, 0.0), silent_index=space.silent_index
            )
    if theta > 0:
        tensor = _theta_likelihood_tensor(sub, space, weights, theta, max_size=2_000_000)
        return tensor if tensor is not None else _theta_likelihood(sub, space, weights, theta)
    factors, _ = pedigree_factors(sub, space, weights)
    return float(contract(factors))


def marker_likelihood(
    ped: Pedigree,
    marker: Marker,
    genotypes: Mapping[str, Genotype],
    *,
    theta: float = 0.0,
    dropout: Mapping[str, float] | None = None,
    lump: bool = True,
) -> float:
    """Likelihood of one marker's data on a pedigree: the product over its connected components.

    ``genotypes`` maps person labels to genotypes at this marker (persons absent are
    untyped; labels not in the pedigree are ignored). ``theta`` applies Balding–Nichols
    within each component. ``dropout`` gives per-person dropout probabilities.
    """
    if not 0.0 <= theta < 1.0:
        raise ValueError("theta must be in [0, 1)")
    dropout = dropout or {}
    lik = 1.0
    for comp in ped.components():
        sub = ped.subset(comp)
        lik *= _component_likelihood(sub, marker, genotypes, theta, dropout, lump)
        if lik == 0.0:
            return 0.0
    return lik
