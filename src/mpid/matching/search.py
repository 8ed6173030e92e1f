"""Blind search: every remains profile against every missing person of every family.

For remains r and missing person MP of family f, LR = Π_markers T_f,m(g_r,m)
(:mod:`mpid.matching.tables`), with partial or degraded genotypes summed exactly:
T = Σ_g W(g)P(g)T(g) / L, L = Σ_g W(g)P(g) being the exact engine's likelihood of the remains
alone (over the listed alleles, the unseen ones lumped where that engine lumps them), whatever
the frequencies sum to. The posterior that r is MP, with prior π
(default 1 / number of missing persons in scope), is LR·π / (LR·π + 1 − π).

Candidates are the pairs with LR ≥ the threshold (default 10³); nothing is truncated:
a family with many candidates keeps them all. Families are processed in blocks (tables
for a block are built, searched, dropped), so memory is bounded; a block's search skips
pairs that can no longer reach the threshold (the remaining markers' best table values
are an upper bound). Engines differ only in where blocks run: ``local`` (numba threads
on this machine) or ``dask`` (a dask.distributed cluster).
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Protocol

import numpy as np

import mpid
from mpid.genetics.likelihood import marker_likelihood
from mpid.genetics.markers import Marker
from mpid.genetics.mutation import is_lumpable
from mpid.genetics.pedigree import Pedigree
from mpid.genetics.profiles import Genotype, genotype_weights

from .kernels import search_block
from .tables import (
    FamilyInput,
    FamilyTables,
    build_tables,
    genotype_index,
    mendelian_exclusions,
    n_genotypes,
)

log = logging.getLogger(__name__)

MIN_BLOCKS = 8  # blocks a search is cut into at least (a few per worker on a small machine)

__all__ = [
    "Candidate",
    "LocalEngine",
    "MatchEngine",
    "RemainsProfile",
    "SearchResult",
    "SearchSettings",
    "blind_search",
    "encode_remains",
    "per_marker_factors",
    "posterior_probability",
    "search_family_block",
]


@dataclass(frozen=True)
class RemainsProfile:
    """A remains sample's profile: genotypes per marker, sex (0 unknown) and dropout probability."""

    remains_id: str
    genotypes: dict[str, Genotype]
    sex: int = 0
    dropout: float = 0.0


@dataclass(frozen=True)
class SearchSettings:
    """Settings of a search, stored with its results so the run can be repeated."""

    threshold_lr: float = 1e3
    prior: float | None = None  # None: 1 / number of missing persons in scope
    family_block: int = 1000
    prune: bool = True
    engine: str = "local"

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Candidate:
    """A remains–missing-person pair whose LR reached the threshold."""

    remains_id: str
    family: str
    missing: str
    lr: float
    n_exclusions: int
    n_markers_compared: int
    prior: float
    posterior: float
    per_marker: tuple[float | None, ...] | None = field(default=None, compare=False, repr=False)
    """The exact engine's LR at every marker of the search (in its order; 1.0 where the remains are
    untyped), read from the family's tables; None at a marker where the tables do not give it
    exactly (see ``_Exactness``), and None altogether when the search did not record them."""

    @property
    def log10_lr(self) -> float:
        return math.log10(self.lr) if self.lr > 0 else -math.inf


@dataclass
class SearchResult:
    """Ranked candidates (highest LR first) with the settings and versions that produced them."""

    candidates: list[Candidate]
    settings: SearchSettings
    n_remains: int
    n_missing: int
    n_pairs: int
    code_version: str = mpid.__version__
    markers: list[str] = field(default_factory=list)


def posterior_probability(lr: float, prior: float) -> float:
    """P(H1 | data) = LR·π / (LR·π + 1 − π)."""
    if math.isinf(lr):
        return 1.0
    num = lr * prior
    return num / (num + (1.0 - prior))


# ---------------------------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EncodedRemains:
    """Remains in the kernel's sparse layout, plus what candidates need afterwards."""

    ids: list[str]
    sex: np.ndarray
    ptr: np.ndarray
    cols: np.ndarray
    coefs: np.ndarray
    offsets: np.ndarray  # column offset of each marker's table
    n_columns: int
    n_typed: np.ndarray  # markers typed per remains
    genotypes: tuple[tuple[Genotype | None, ...], ...] = ()  # per remains, per marker
    dropout: np.ndarray | None = None  # per remains
    coef_bound: np.ndarray | None = None
    """Per marker, the largest sum of a remains' positive coefficients (at least 1): with frequencies
    summing to more than 1 the remainder's coefficients are negative and the others sum to more
    than 1, so a factor may exceed the table's largest entry by this much (the pruning bound)."""


def _marker_space(marker: Marker) -> tuple[dict[str, int], np.ndarray]:
    """Allele index and frequencies of a marker's table space (alleles + remainder)."""
    idx = {a: i for i, a in enumerate(marker.alleles)}
    freqs = np.append(marker.freqs, 1.0 - float(np.sum(marker.freqs)))
    return idx, freqs


def encode_remains(remains: Sequence[RemainsProfile], markers: Sequence[Marker]) -> EncodedRemains:
    """Sparse encoding: an exact genotype is one column; partial/degraded ones a weighted set."""
    offsets = np.zeros(len(markers) + 1, dtype=np.int64)
    for k, m in enumerate(markers):
        offsets[k + 1] = offsets[k] + n_genotypes(len(m.alleles) + 1)
    spaces = [_marker_space(m) for m in markers]
    ptr = np.zeros((len(remains), len(markers) + 1), dtype=np.int64)
    cols: list[int] = []
    coefs: list[float] = []
    n_typed = np.zeros(len(remains), dtype=np.int64)
    coef_bound = np.ones(len(markers))
    lumps: dict[tuple[int, frozenset[str]], bool] = {}

    def alone(k: int, g: Genotype, dropout: float, entries: list[tuple[int, float]]) -> float:
        """The exact engine's likelihood of the person alone (its :func:`_component_likelihood`)."""
        m = markers[k]
        if m.silent_frequency > 0:
            return marker_likelihood(_LONE, m, {"POI": g}, dropout={"POI": dropout})
        if g[1] is None:  # not fully typed: the alleles not seen are lumped when the model allows
            seen = frozenset(a for a in g if a is not None)
            if (k, seen) not in lumps:
                lumps[k, seen] = _lone_lumps(m, seen)
            if lumps[k, seen]:  # one lump of mass 1 − Σ seen: the unseen alleles and the remainder
                return math.fsum(v for _, v in entries)
        real = n_genotypes(len(m.alleles))  # the listed alleles only
        return math.fsum(v for col, v in entries if col < real)

    for r, rem in enumerate(remains):
        for k, m in enumerate(markers):
            ptr[r, k] = len(cols)
            g = rem.genotypes.get(m.name)
            if g is not None:
                idx, freqs = spaces[k]
                try:
                    entries = _genotype_entries(g, idx, freqs, rem.dropout, partial(alone, k, g, rem.dropout))
                except KeyError as exc:
                    raise KeyError(
                        f"remains {rem.remains_id}, marker {m.name}: allele {exc} not in the table"
                    ) from None
                for col, c in entries:
                    cols.append(int(offsets[k] + col))
                    coefs.append(c)
                positive = math.fsum(c for _, c in entries if c > 0)
                if positive > coef_bound[k]:
                    coef_bound[k] = positive
                n_typed[r] += 1
        ptr[r, len(markers)] = len(cols)
    return EncodedRemains(
        [r.remains_id for r in remains],
        np.array([r.sex for r in remains], dtype=np.int64),
        ptr,
        np.array(cols, dtype=np.int64),
        np.array(coefs, dtype=float),
        offsets,
        int(offsets[-1]),
        n_typed,
        tuple(tuple(rem.genotypes.get(m.name) for m in markers) for rem in remains),
        np.array([rem.dropout for rem in remains], dtype=float),
        coef_bound,
    )


_LONE = Pedigree.from_records([{"id": "POI", "father": None, "mother": None, "sex": 0}])


def _lone_lumps(marker: Marker, seen: frozenset[str]) -> bool:
    """Whether the exact engine lumps the alleles a person alone, partially typed, does not show."""
    unseen = np.array([a not in seen for a in marker.alleles])
    if len(marker.alleles) - int(unseen.sum()) >= len(marker.alleles) - 1:
        return False
    mut = marker.mutation
    if mut is None or mut.is_trivial():
        return True
    return is_lumpable(mut.female.matrix, unseen) and is_lumpable(mut.male.matrix, unseen)


def _genotype_entries(
    g: Genotype, idx: dict[str, int], freqs: np.ndarray, dropout: float,
    alone: Callable[[list[tuple[int, float]]], float],
) -> list[tuple[int, float]]:
    """Columns and coefficients of a genotype: W(g')P(g') / L(g) for every g' it may be.

    The numerators run over the table space (the remainder allele with its mass, which a table
    uses only where the exact engine lumps); the denominator ``alone()`` is the exact engine's
    likelihood of the person alone, in whatever space that engine gives it (listed alleles only
    when it does not lump, e.g. an exact genotype with dropout, or a partial one with ``stepwise``).
    Both are as the exact engine has them whatever Σp, so the factor is its LR.
    """
    if g[1] is not None and dropout == 0.0:
        return [(genotype_index(idx[g[0]], idx[g[1]]), 1.0)]
    n = freqs.size
    w = genotype_weights(g, idx, n, dropout=dropout)
    p = freqs[:, None] * freqs[None, :]
    entries = []
    for b in range(n):
        for a in range(b + 1):
            wt = w[a, b] * (p[a, b] if a == b else 2 * p[a, b])
            if wt != 0.0:
                entries.append((genotype_index(a, b), wt))
    if not entries:
        return []
    total = alone(entries)
    if not total > 0:  # the person alone is impossible (alleles of frequency 0): the weights' own sum
        total = math.fsum(v for _, v in entries)
    return [(k, v / total) for k, v in entries]


def _table_matrix(tabs: Sequence[FamilyTables], markers: Sequence[Marker], enc: EncodedRemains) -> tuple:
    """Stack a block's tables (F, C), exclusion flags and the pruning bounds."""
    nf = len(tabs)
    mat = np.ones((nf, enc.n_columns))
    excl = np.zeros((nf, enc.n_columns), dtype=bool)
    logmax = np.zeros((nf, len(markers)))
    for f, ft in enumerate(tabs):
        for k, m in enumerate(markers):
            t = ft.tables[m.name]
            lo = enc.offsets[k]
            mat[f, lo:lo + t.lr.size] = t.lr
            # A marker at which the references alone break Mendel's laws (a mutation between them)
            # excludes every genotype: it says nothing about the remains, so it is not counted.
            if not t.excluded.all():
                excl[f, lo:lo + t.lr.size] = t.excluded
            if t.lr.size < enc.offsets[k + 1] - lo:  # no remainder allele in this table
                mat[f, lo + t.lr.size:enc.offsets[k + 1]] = 0.0
            mx = float(np.max(t.lr)) if t.lr.size and not np.isnan(t.lr).any() else 1.0
            if enc.coef_bound is not None:
                mx *= float(enc.coef_bound[k])
            logmax[f, k] = math.log(mx) if mx > 0 else -math.inf
    invalid = np.isnan(mat).any(axis=1)
    logmax[invalid] = 0.0
    suffix = np.zeros((nf, len(markers) + 1))
    suffix[:, :-1] = np.cumsum(logmax[:, ::-1], axis=1)[:, ::-1]
    sexes = np.array([ft.sex for ft in tabs], dtype=np.int64)
    return mat, excl, suffix, sexes, invalid


def search_family_block(
    families: Sequence[FamilyInput],
    markers: Sequence[Marker],
    enc: EncodedRemains,
    settings: SearchSettings,
    prior: float,
) -> list[Candidate]:
    """Build one block's tables and return its candidates (the unit of work every engine runs).

    Mendelian exclusions are computed afterwards, for the families with a candidate only.
    """
    tabs = build_tables(families, markers, exclusions=False)
    mat, excl, suffix, sexes, invalid = _table_matrix(tabs, markers, enc)
    for f in np.flatnonzero(invalid):
        bad = [m.name for m in markers if np.isnan(tabs[f].tables[m.name].lr).any()]
        log.warning("family %s (%s): references inconsistent at %s; no LR computed", tabs[f].family,
                    tabs[f].missing, ", ".join(bad))
    thr = settings.threshold_lr
    log_thr = math.log(thr) if (settings.prune and thr > 0) else -math.inf
    if not settings.prune:
        suffix = np.zeros_like(suffix)
    lrs = search_block(mat, enc.ptr, enc.cols, enc.coefs, enc.sex, sexes, suffix, log_thr, invalid)
    out = []
    fi, ri = np.nonzero(lrs >= thr)
    _fill_exclusions(excl, sorted(set(fi.tolist())), families, markers, tabs, enc)
    exactness = _Exactness(markers)
    for f, r in zip(fi.tolist(), ri.tolist(), strict=True):
        lr = float(lrs[f, r])
        out.append(
            Candidate(
                enc.ids[r], tabs[f].family, tabs[f].missing, lr,
                _exclusions(excl[f], enc, r), int(enc.n_typed[r]), prior, posterior_probability(lr, prior),
                exactness.per_marker_lrs(families[f], tabs[f], mat[f], enc, r),
            )
        )
    return out


class _Exactness:
    """Which of a candidate's per-marker factors are the exact engine's per-marker LRs.

    A table entry at an exact genotype is L(D, MP = g) / (L(D) P(g)), the exact engine's LR, in
    every case but these, where the allele spaces of the two differ by the frequencies' shortfall
    1 − Σp (so only when a marker has a mutation model and frequencies not summing to 1):
    the table's remainder allele carries mass (pedprobr's special lumping); the model lumps the
    alleles nobody carries (for the observed set at hand); the family is in several pieces.
    A partial or degraded genotype's factor gives the remainder its mass in the weights;
    renormalised over the real alleles it is the exact LR when neither its numerator's nor the
    lone person's space lumps. Markers with no reference typed (the table is 1 by construction)
    or with a silent allele are never taken from the table. Where the factor is not exact, the
    result holds None.
    """

    def __init__(self, markers: Sequence[Marker]):
        self.markers = list(markers)
        self.shortfall = [
            m.mutation is not None and not m.mutation.is_trivial() and float(np.sum(m.freqs)) != 1.0 for m in markers
        ]
        self.real = [n_genotypes(len(m.alleles)) for m in markers]
        self._lumps: dict[tuple[int, frozenset[str]], bool] = {}
        self._pieces: dict[int, int] = {}

    def lumps(self, k: int, observed: frozenset[str]) -> bool:
        """Whether the exact engine lumps the alleles outside ``observed`` at marker k (with its model)."""
        key = (k, observed)
        if key not in self._lumps:
            m = self.markers[k]
            unobserved = np.array([a not in observed for a in m.alleles])
            self._lumps[key] = bool(
                len(m.alleles) - int(unobserved.sum()) < len(m.alleles) - 1
                and is_lumpable(m.mutation.female.matrix, unobserved)
                and is_lumpable(m.mutation.male.matrix, unobserved)
            )
        return self._lumps[key]

    def per_marker_lrs(
        self, fam: FamilyInput, tabs: FamilyTables, table_row: np.ndarray, enc: EncodedRemains, r: int
    ) -> tuple[float | None, ...]:
        factors = per_marker_factors(table_row, enc, r)
        ped = fam.pedigree
        if id(ped) not in self._pieces:
            self._pieces[id(ped)] = len(ped.components())
        out: list[float | None] = []
        for k, m in enumerate(self.markers):
            lo, hi = int(enc.ptr[r, k]), int(enc.ptr[r, k + 1])
            if lo == hi:
                out.append(factors[k])
                continue
            refs = [g[m.name] for p, g in fam.genotypes.items() if m.name in g and p != fam.missing and p in ped.labels]
            if not refs:
                out.append(None)
                continue
            if m.silent_frequency > 0:
                out.append(None)
                continue
            if not self.shortfall[k]:
                out.append(factors[k])
                continue
            g = enc.genotypes[r][k] if enc.genotypes else None
            dropout = float(enc.dropout[r]) if enc.dropout is not None else 1.0
            if g is None or tabs.tables[m.name].remainder_mass or self._pieces[id(ped)] != 1:
                out.append(None)
                continue
            seen = frozenset(a for a in g if a is not None)
            observed = frozenset(a for gg in refs for a in gg if a is not None)
            if self.lumps(k, observed | seen):
                out.append(None)
                continue
            if g[1] is not None and dropout == 0:
                out.append(factors[k])
                continue
            # Partial or degraded: the weights without the remainder (the exact engine's lone person
            # has no remainder), unless that person's own alleles lump.
            if self.lumps(k, seen):
                out.append(None)
                continue
            s = w = 0.0
            for e in range(lo, hi):
                if int(enc.cols[e]) - int(enc.offsets[k]) < self.real[k]:
                    c = float(enc.coefs[e])
                    s += c * float(table_row[enc.cols[e]])
                    w += c
            out.append(s / w if w > 0 else None)
        return tuple(out)


def _fill_exclusions(
    excl: np.ndarray,
    rows: Sequence[int],
    families: Sequence[FamilyInput],
    markers: Sequence[Marker],
    tabs: Sequence[FamilyTables],
    enc: EncodedRemains,
) -> None:
    """Write the Mendelian exclusions of tables built without them into rows ``rows`` of ``excl``."""
    if not rows:
        return
    flags = mendelian_exclusions([families[f] for f in rows], markers, [tabs[f] for f in rows])
    for f, by_marker in zip(rows, flags, strict=True):
        for k, m in enumerate(markers):
            if m.name in by_marker and not by_marker[m.name].all():  # see _table_matrix
                lo = enc.offsets[k]
                excl[f, lo:lo + by_marker[m.name].size] = by_marker[m.name]


def per_marker_factors(table_row: np.ndarray, enc: EncodedRemains, r: int) -> tuple[float, ...]:
    """The factor of every marker in the LR of remains ``r`` against one family's stacked tables.

    The same sums, in the same order, as the kernel's (:func:`mpid.matching.kernels.search_block`),
    so their product in marker order is the kernel's LR; 1.0 at markers where the remains are untyped.
    """
    ptr = enc.ptr[r].tolist()
    out = []
    for k in range(len(ptr) - 1):
        s = 0.0
        for e in range(ptr[k], ptr[k + 1]):
            s += float(enc.coefs[e]) * float(table_row[enc.cols[e]])
        out.append(s if ptr[k] < ptr[k + 1] else 1.0)
    return tuple(out)


def _exclusions(excl_row: np.ndarray, enc: EncodedRemains, r: int) -> int:
    """Markers at which every genotype the remains may have is Mendelian-incompatible."""
    count = 0
    for k in range(enc.ptr.shape[1] - 1):
        lo, hi = enc.ptr[r, k], enc.ptr[r, k + 1]
        if lo < hi and bool(np.all(excl_row[enc.cols[lo:hi]])):
            count += 1
    return count


# ---------------------------------------------------------------------------------------------
# Engines
# ---------------------------------------------------------------------------------------------
class MatchEngine(Protocol):
    """Where blocks of families are searched. The search logic never imports an engine's library."""

    def map_blocks(
        self,
        blocks: Sequence[Sequence[FamilyInput]],
        markers: Sequence[Marker],
        enc: EncodedRemains,
        settings: SearchSettings,
        prior: float,
        progress: Callable[[int], None] | None = None,
    ) -> list[list[Candidate]]: ...


class LocalEngine:
    """One machine: blocks in worker processes (one per core), or in this process when ``workers`` is 1."""

    def __init__(self, workers: int | None = None):
        self.workers = workers if workers is not None else (os.cpu_count() or 1)

    def map_blocks(self, blocks, markers, enc, settings, prior, progress=None):  # noqa: D102
        if self.workers <= 1 or len(blocks) <= 1:
            out = []
            for block in blocks:
                out.append(search_family_block(block, markers, enc, settings, prior))
                if progress is not None:
                    progress(len(block))
            return out
        results: list[list[Candidate]] = [[] for _ in blocks]
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_single_threaded) as pool:
            futures = {
                pool.submit(search_family_block, list(b), list(markers), enc, settings, prior): k
                for k, b in enumerate(blocks)
            }
            for fut in as_completed(futures):
                k = futures[fut]
                results[k] = fut.result()
                if progress is not None:
                    progress(len(blocks[k]))
        return results


def _single_threaded() -> None:
    """Worker processes share the cores among themselves: one numba thread each."""
    import numba

    numba.set_num_threads(1)


def _engine(name: str) -> MatchEngine:
    if name in ("local", "numba", "numpy"):
        return LocalEngine()
    if name == "dask":
        from .engines_dask import DaskEngine

        return DaskEngine()
    raise ValueError(f"unknown engine {name!r}; use 'local' or 'dask'")


RANK_DIGITS = 9
"""Significant digits of the LR that decide the rank: LRs equal to ~1e-9 relative (e.g. two missing
brothers against the same references, equal but for rounding) are ties, ordered by remains and family."""


def _rank_key(c: Candidate) -> tuple[float, str, str, str]:
    return (-float(f"{c.lr:.{RANK_DIGITS - 1}e}"), c.remains_id, c.family, c.missing)


def blind_search(
    remains: Sequence[RemainsProfile],
    families: Sequence[FamilyInput],
    markers: Sequence[Marker],
    settings: SearchSettings | None = None,
    *,
    engine: MatchEngine | None = None,
    progress: Callable[[int], None] | None = None,
) -> SearchResult:
    """Search every remains against every missing person; ranked candidates with LR ≥ threshold.

    ``progress`` is called with the number of missing persons finished after each block.
    """
    settings = settings or SearchSettings()
    engine = engine or _engine(settings.engine)
    n_missing = len(families)
    prior = settings.prior if settings.prior is not None else (1.0 / n_missing if n_missing else 0.0)
    enc = encode_remains(remains, markers)
    # Blocks of even size, at most ``family_block``, and at least MIN_BLOCKS of them, so that the
    # workers of any engine share blocks of costlier shapes evenly. The partition does not depend
    # on the engine (its rounding would: a block's tables are computed in batches).
    n_blocks = max(-(-len(families) // max(1, settings.family_block)), min(len(families), MIN_BLOCKS))
    size = max(1, -(-len(families) // max(1, n_blocks)))
    blocks = [families[i:i + size] for i in range(0, len(families), size)]
    parts = engine.map_blocks(blocks, markers, enc, settings, prior, progress)
    cands = [c for part in parts for c in part]
    cands.sort(key=_rank_key)
    return SearchResult(
        cands, settings, len(remains), n_missing, len(remains) * n_missing, markers=[m.name for m in markers]
    )


def pairwise_matrices(
    remains: Sequence[RemainsProfile], families: Sequence[FamilyInput], markers: Sequence[Marker]
) -> tuple[np.ndarray, np.ndarray]:
    """Full (remains × missing) LR matrix and exclusion-count matrix; NaN where the sexes differ.

    These are dvir's ``pairwiseLR`` and ``exclusionMatrix`` for every pair, with no threshold.
    """
    enc = encode_remains(remains, markers)
    tabs = build_tables(families, markers)
    mat, excl, suffix, sexes, invalid = _table_matrix(tabs, markers, enc)
    lrs = search_block(mat, enc.ptr, enc.cols, enc.coefs, enc.sex, sexes, np.zeros_like(suffix), -math.inf, invalid)
    lr = lrs.T.copy()
    counts = np.zeros(lr.shape)
    for r in range(len(remains)):
        for f in range(len(tabs)):
            counts[r, f] = _exclusions(excl[f], enc, r)
    lr[lr == -1.0] = np.nan
    counts[np.isnan(lr)] = np.nan
    return lr, counts
