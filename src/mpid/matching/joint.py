"""Joint identification of several victims against families with several missing persons (dvir 3.4).

Definitions follow dvir (Vigeland & Egeland, magnusdv/dvir; docs/joint.md):

* an *assignment* a maps every victim to one missing person or to ``*`` (not among the
  missing), each missing person taking at most one victim, within the allowed pairings;
* its log-likelihood (dvir ``dviJoint``) is
  ``ℓ(a) = Σ_{v unassigned} ln L(v) + Σ_families ln L(family with the assigned victims' data)``;
* pairwise LR (dvir ``pairwiseLR``): ``LR(v, m) = L(F with v at m) / (L(F) · L(v))``;
* posterior of a row under a prior π: ``π(a) e^{ℓ(a)} / Σ_b π(b) e^{ℓ(b)}`` (dvir ``Bmarginal``);
* undisputed (dvir ``findUndisputed``), exclusions (``findExcluded``), GLR (``pairwiseGLR``,
  ``symmetricGLR``) and the whole ``dviSolve`` pipeline.

Likelihoods are exact (``marker_likelihood``: mutation models, θ); pairwise LRs come from the
family tables of :mod:`mpid.matching.tables` when θ = 0 (a look-up per victim), otherwise
from direct likelihoods. Family likelihoods with victims placed are cached per
(family state, placements).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from mpid.genetics.likelihood import marker_likelihood
from mpid.genetics.markers import Marker
from mpid.genetics.pedigree import Pedigree
from mpid.genetics.profiles import Genotype
from mpid.matching.tables import FamilyInput, FamilyTables, build_tables, genotype_index

__all__ = [
    "DEFAULT_MAX_ASSIGNMENTS",
    "DviData",
    "DviEngine",
    "DviFamilyState",
    "JointSpaceTooLargeError",
    "JointTable",
    "STAR",
    "ExclusionResult",
    "PairwiseLR",
    "UndisputedResult",
    "bmarginal",
    "count_assignments_bound",
    "count_assignments_lower_bound",
    "dvi_solve",
    "enumerate_assignments",
    "exclusion_matrix",
    "find_excluded",
    "find_nonidentifiable",
    "find_undisputed",
    "finite_or_none",
    "generate_pairings",
    "joint_table",
    "kinship_matrix",
    "pairwise_glr",
    "pairwise_lr",
    "posterior",
    "relationship_label",
    "subset_dvi",
    "symmetric_glr",
    "transfer_victims",
    "undisputed_entries",
]

log = logging.getLogger(__name__)

STAR = "*"
DEFAULT_MAX_ASSIGNMENTS = 100_000  # dvir's maxAssign
_SQRT_EPS = math.sqrt(np.finfo(float).eps)
_TIE = 1e-12  # relative; log-likelihoods this close are ties (R computes symmetric placements bit-equal)


class JointSpaceTooLargeError(ValueError):
    """The number of assignments exceeds the bound given."""


# ---------------------------------------------------------------------------------------------
# Data: the dviData analogue
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DviFamilyState:
    """A reference family: its pedigree, and whose genotypes each typed member carries.

    ``sources[person] = id`` whose genotypes the person has: a reference has its own; a missing
    person identified with victim V carries V's (dvir ``transferMarkers``).
    """

    name: str
    pedigree: Pedigree
    sources: tuple[tuple[str, str], ...]

    @property
    def key(self) -> tuple:
        """Cache key of the family's data."""
        return (self.name, self.sources)

    def with_victims(self, placements: Mapping[str, str]) -> DviFamilyState:
        """The family with victims' data placed on missing persons (``{missing: victim}``)."""
        src = dict(self.sources)
        src.update(placements)
        return replace(self, sources=tuple(sorted(src.items())))


@dataclass
class DviData:
    """A DVI problem (dvir ``dviData``): victims, families, the missing persons and allowed pairings.

    ``pairings[v]`` lists ``*`` and the missing persons victim v may be; ``None`` means the
    sex-consistent default (dvir ``generatePairings``).
    """

    victims: list[str]
    families: dict[str, DviFamilyState]
    missing: list[str]
    pairings: dict[str, list[str]] | None = None

    def family_of(self, missing: str) -> str:
        """Name of the family a missing person belongs to."""
        for fam in self.families.values():
            if missing in fam.pedigree.labels:
                return fam.name
        raise KeyError(f"missing person {missing!r} is in no family")


# ---------------------------------------------------------------------------------------------
# Likelihood engine with caches
# ---------------------------------------------------------------------------------------------
@dataclass
class DviEngine:
    """Likelihoods of victims and families (with victims placed), cached; pairwise LRs and exclusions."""

    markers: Sequence[Marker]
    genotypes: Mapping[str, Mapping[str, Genotype]]
    victim_sex: Mapping[str, int]
    theta: float = 0.0
    _victim_ll: dict[str, float] = field(default_factory=dict)
    _family_ll: dict[tuple, float] = field(default_factory=dict)
    _tables: dict[tuple, FamilyTables] = field(default_factory=dict)

    # -- likelihoods ---------------------------------------------------------------------------
    def victim_loglik(self, victim: str) -> float:
        """ln L(v): the victim as a singleton (pedprobr ``likelihood``, θ included)."""
        if victim not in self._victim_ll:
            ped = Pedigree.from_records([{"id": victim, "father": None, "mother": None,
                                          "sex": self.victim_sex.get(victim, 0) or 1}])
            g = self.genotypes.get(victim, {})
            total = 0.0
            for m in self.markers:
                if m.name in g:
                    lik = marker_likelihood(ped, m, {victim: g[m.name]}, theta=self.theta)
                    total += math.log(lik) if lik > 0 else -math.inf
            self._victim_ll[victim] = total
        return self._victim_ll[victim]

    def family_genotypes(self, fam: DviFamilyState, marker: str) -> dict[str, Genotype]:
        """Genotypes of the family's typed members at one marker."""
        out = {}
        for person, src in fam.sources:
            g = self.genotypes.get(src, {}).get(marker)
            if g is not None:
                out[person] = g
        return out

    def family_loglik(self, fam: DviFamilyState) -> float:
        """ln L(family data), Σ over markers of ln ``marker_likelihood`` (−∞ if impossible)."""
        key = fam.key
        if key not in self._family_ll:
            total = 0.0
            for m in self.markers:
                at = self.family_genotypes(fam, m.name)
                if not at:
                    continue
                lik = marker_likelihood(fam.pedigree, m, at, theta=self.theta)
                if lik <= 0:
                    total = -math.inf
                    break
                total += math.log(lik)
            self._family_ll[key] = total
        return self._family_ll[key]

    # -- family tables -------------------------------------------------------------------------
    def _table_inputs(self, fam: DviFamilyState, missing: str) -> FamilyInput:
        refs: dict[str, dict[str, Genotype]] = {}
        for person, src in fam.sources:
            if person != missing and self.genotypes.get(src):
                refs[person] = dict(self.genotypes[src])
        return FamilyInput(fam.name, fam.pedigree, missing, refs)

    def ensure_tables(self, wanted: Iterable[tuple[DviFamilyState, str]]) -> None:
        """Build (in one batch) the family tables not cached yet."""
        todo, keys = [], []
        for fam, mp in wanted:
            key = (fam.key, mp)
            if key not in self._tables and key not in keys:
                todo.append(self._table_inputs(fam, mp))
                keys.append(key)
        if todo:
            for key, tab in zip(keys, build_tables(todo, self.markers), strict=True):
                self._tables[key] = tab

    def tables(self, fam: DviFamilyState, missing: str) -> FamilyTables:
        """Family tables of one missing person given the family's current data."""
        self.ensure_tables([(fam, missing)])
        return self._tables[(fam.key, missing)]

    # -- pairwise ------------------------------------------------------------------------------
    def pair_lr(self, fam: DviFamilyState, missing: str, victim: str) -> float:
        """LR(v, m) = L(F with v at m) / (L(F) L(v)) (dvir ``pairwiseLR``)."""
        if self.theta > 0:
            ll = self.family_loglik(fam.with_victims({missing: victim}))
            base = self.family_loglik(fam) + self.victim_loglik(victim)
            return 0.0 if ll == -math.inf else math.exp(ll - base)
        tabs = self.tables(fam, missing).tables
        g = self.genotypes.get(victim, {})
        lr = 1.0
        for m in self.markers:
            if m.name not in g or m.name not in tabs:
                continue
            lr *= _table_value(tabs[m.name], g[m.name], m)
            if lr == 0.0:
                break
        return lr

    def pair_exclusions(self, fam: DviFamilyState, missing: str, victim: str) -> int:
        """Markers at which v at m is Mendelian-incompatible, mutations removed (dvir ``exclusionMatrix``)."""
        tabs = self.tables(fam, missing).tables
        g = self.genotypes.get(victim, {})
        return sum(1 for m in self.markers if m.name in g and m.name in tabs and _excluded(tabs[m.name], g[m.name]))


def _allele_pos(alleles: Sequence[str]) -> dict[str, int]:
    return {a: i for i, a in enumerate(alleles)}


def _table_value(table: Any, g: Genotype, marker: Marker) -> float:
    """T(g) for a complete genotype; Σ_x P(a,x)T(a,x) / Σ_x P(a,x) for a partial one (a, None)."""
    pos = _allele_pos(table.alleles)
    a, b = g
    if b is not None:
        return float(table.lr[genotype_index(pos[a], pos[b])])
    freqs = np.append(marker.freqs, 1.0 - float(np.sum(marker.freqs)))[: len(table.alleles)]
    ia = pos[a]
    num = den = 0.0
    for x in range(len(table.alleles)):
        p = freqs[ia] ** 2 if x == ia else 2 * freqs[ia] * freqs[x]
        num += p * float(table.lr[genotype_index(ia, x)])
        den += p
    return num / den if den > 0 else 0.0


def _excluded(table: Any, g: Genotype) -> bool:
    if table.excluded.all():
        return False  # the references alone are inconsistent here without mutation: no evidence
    pos = _allele_pos(table.alleles)
    a, b = g
    if b is not None:
        return bool(table.excluded[genotype_index(pos[a], pos[b])])
    ia = pos[a]
    return all(bool(table.excluded[genotype_index(ia, x)]) for x in range(len(table.alleles)))


# ---------------------------------------------------------------------------------------------
# Pairings, subsets, transfers
# ---------------------------------------------------------------------------------------------
def _missing_sex(dvi: DviData, missing: str) -> int:
    ped = dvi.families[dvi.family_of(missing)].pedigree
    return int(ped.sex[ped.index(missing)])


def generate_pairings(dvi: DviData, victim_sex: Mapping[str, int], ignore_sex: bool = False) -> dict[str, list[str]]:
    """``*`` plus the missing persons of the same sex, for every victim (dvir ``generatePairings``)."""
    out = {}
    for v in dvi.victims:
        sv = victim_sex.get(v, 0)
        out[v] = [STAR] + [m for m in dvi.missing if ignore_sex or _missing_sex(dvi, m) == sv]
    return out


def _pairings(dvi: DviData, engine: DviEngine) -> dict[str, list[str]]:
    return dvi.pairings if dvi.pairings is not None else generate_pairings(dvi, engine.victim_sex)


def subset_dvi(
    dvi: DviData,
    victims: Sequence[str] | None = None,
    families: Sequence[str] | None = None,
    missing: Sequence[str] | None = None,
    remove_unpaired: bool = True,
) -> DviData:
    """A sub-problem (dvir ``subsetDVI``): families without remaining missing are dropped, pairings
    restricted to the remaining missing, and victims left with only ``*`` removed."""
    vics = list(dvi.victims) if victims is None else [v for v in dvi.victims if v in set(victims)]
    fams = dict(dvi.families)
    miss = list(dvi.missing)
    if families is not None:
        keep = set(families)
        fams = {k: f for k, f in dvi.families.items() if k in keep}
        if missing is None:
            miss = [m for m in dvi.missing if any(m in f.pedigree.labels for f in fams.values())]
    if missing is not None:
        keep_m = set(missing)
        miss = [m for m in dvi.missing if m in keep_m]
        if families is None:
            used = {dvi.family_of(m) for m in miss}
            fams = {k: f for k, f in dvi.families.items() if k in used}
    pairings = None
    if dvi.pairings is not None:
        kept = set(miss)
        pairings = {v: [m for m in dvi.pairings.get(v, [STAR]) if m == STAR or m in kept] for v in vics}
        if remove_unpaired:
            gone = [v for v in vics if pairings[v] == [STAR]]
            if gone:
                log.debug("removing victims with no remaining pairings: %s", gone)
            vics = [v for v in vics if v not in gone]
            pairings = {v: pairings[v] for v in vics}
    return DviData(vics, fams, miss, pairings)


def transfer_victims(dvi: DviData, identified: Mapping[str, str]) -> DviData:
    """Move identified victims' data onto their missing persons in the families (``{missing: victim}``)."""
    fams = dict(dvi.families)
    for name, fam in dvi.families.items():
        mine = {m: v for m, v in identified.items() if m in fam.pedigree.labels}
        if mine:
            fams[name] = fam.with_victims(mine)
    return DviData(list(dvi.victims), fams, list(dvi.missing), dvi.pairings)


def _same_dvi(a: DviData, b: DviData, engine: DviEngine) -> bool:
    """dvir ``dviEqual``: same victims, missing, family data and pairings (as sets)."""
    if a.victims != b.victims or a.missing != b.missing:
        return False
    if {k: f.key for k, f in a.families.items()} != {k: f.key for k, f in b.families.items()}:
        return False
    pa, pb = _pairings(a, engine), _pairings(b, engine)
    return all(set(pa.get(v, [])) == set(pb.get(v, [])) for v in a.victims)


# ---------------------------------------------------------------------------------------------
# Pairwise LR and exclusion matrices
# ---------------------------------------------------------------------------------------------
@dataclass
class PairwiseLR:
    """dvir ``pairwiseLR``: ``lr[v][m]`` (None = not a pairing) and pairings reduced to LR > 0."""

    lr: dict[str, dict[str, float | None]]
    pairings: dict[str, list[str]]


def pairwise_lr(dvi: DviData, engine: DviEngine, limit: float = 0.0) -> PairwiseLR:
    """LR(v, m) for every allowed pairing; kept pairings: LR > 0 (``limit`` 0) or LR ≥ limit."""
    pairings = _pairings(dvi, engine)
    if engine.theta == 0:
        engine.ensure_tables(
            (dvi.families[dvi.family_of(m)], m) for v in dvi.victims for m in pairings.get(v, []) if m != STAR
        )
    lr: dict[str, dict[str, float | None]] = {}
    reduced: dict[str, list[str]] = {}
    for v in dvi.victims:
        row: dict[str, float | None] = {m: None for m in dvi.missing}
        vals = {STAR: 1.0}
        for m in pairings.get(v, []):
            if m == STAR or m not in row:
                continue
            row[m] = vals[m] = engine.pair_lr(dvi.families[dvi.family_of(m)], m, v)
        lr[v] = row
        order = sorted(vals, key=lambda k: -vals[k])
        if limit == 0:
            keep = [k for k in order if vals[k] > 0]
        else:
            keep = [k for k in order if vals[k] >= limit or (limit > 1 and k == STAR)]
        reduced[v] = keep
    return PairwiseLR(lr, reduced)


def exclusion_matrix(dvi: DviData, engine: DviEngine) -> dict[str, dict[str, int | None]]:
    """Number of incompatible markers of every allowed pairing, mutations removed (None = not a pairing)."""
    pairings = _pairings(dvi, engine)
    engine.ensure_tables(
        (dvi.families[dvi.family_of(m)], m) for v in dvi.victims for m in pairings.get(v, []) if m != STAR
    )
    out: dict[str, dict[str, int | None]] = {}
    for v in dvi.victims:
        row: dict[str, int | None] = {m: None for m in dvi.missing}
        for m in pairings.get(v, []):
            if m != STAR and m in row:
                row[m] = engine.pair_exclusions(dvi.families[dvi.family_of(m)], m, v)
        out[v] = row
    return out


# ---------------------------------------------------------------------------------------------
# Summary rows
# ---------------------------------------------------------------------------------------------
def _row(**kw: Any) -> dict[str, Any]:
    return {k: kw.get(k) for k in ("Family", "Missing", "Sample", "LR", "GLR", "Conclusion", "Comment")}


def _fmt2g(x: float) -> str:
    """R's sprintf('%.2g')."""
    return f"{x:.2g}"


# ---------------------------------------------------------------------------------------------
# Exclusions (dvir findExcluded)
# ---------------------------------------------------------------------------------------------
@dataclass
class ExclusionResult:
    """dvir ``findExcluded``: the matrix, the reduced problem and the AM/PM summary rows."""

    matrix: dict[str, dict[str, int | None]]
    reduced: DviData
    am: list[dict[str, Any]]
    pm: list[dict[str, Any]]


def find_excluded(dvi: DviData, engine: DviEngine, max_incomp: int = 2) -> ExclusionResult:
    """Remove victims (and missing persons) with more than ``max_incomp`` incompatible markers against
    all, and exclude such pairings (dvir ``findExcluded``)."""
    mat = exclusion_matrix(dvi, engine)

    def min_ex(vals: Iterable[int | None]) -> float:
        xs = [x for x in vals if x is not None]
        return min(xs) if xs else math.inf

    def comment(x: float) -> str:
        return "No compatible pairings" if x == math.inf else f"{int(x)}+ inconsistencies"

    pm_rows, am_rows = [], []
    excluded_v = []
    for v in dvi.victims:
        mn = min_ex(mat[v].values())
        if mn > max_incomp:
            excluded_v.append(v)
            pm_rows.append(_row(Sample=v, Conclusion="Excluded", Comment=comment(mn)))
    excluded_m = []
    for m in dvi.missing:
        mn = min_ex(mat[v][m] for v in dvi.victims)
        if mn > max_incomp:
            excluded_m.append(m)
            am_rows.append(_row(Family=dvi.family_of(m), Missing=m, Conclusion="Excluded", Comment=comment(mn)))
    keep_v = [v for v in dvi.victims if v not in excluded_v]
    keep_m = [m for m in dvi.missing if m not in excluded_m]
    red = subset_dvi(dvi, victims=keep_v, missing=keep_m) if excluded_v or excluded_m else dvi
    n_removed = sum(1 for v in dvi.victims for x in mat[v].values() if x is not None and x > max_incomp)
    if n_removed > 0:
        pairings = {
            v: [STAR] + [m for m in dvi.missing if mat[v][m] is not None and mat[v][m] <= max_incomp]
            for v in red.victims
        }
    else:
        base = _pairings(dvi, engine)
        pairings = {v: list(base.get(v, [STAR])) for v in red.victims}
    red = DviData(red.victims, red.families, red.missing, pairings)
    return ExclusionResult(mat, red, am_rows, pm_rows)


# ---------------------------------------------------------------------------------------------
# Undisputed (dvir findUndisputed)
# ---------------------------------------------------------------------------------------------
def undisputed_entries(
    lr: Mapping[str, Mapping[str, float | None]], victims: Sequence[str], missing: Sequence[str],
    threshold: float, strict: bool = False,
) -> list[tuple[str, str]]:
    """Pairs with LR ≥ T whose row and column hold no LR above LR/T (or above 1 if ``strict``), column-major."""
    def val(v: str, m: str) -> float:
        x = lr[v][m]
        return -1.0 if x is None or math.isnan(x) else x

    out = []
    for m in missing:
        for v in victims:
            x = val(v, m)
            if not x >= threshold - _SQRT_EPS:
                continue
            others = [val(v, m2) for m2 in missing if m2 != m] + [val(v2, m) for v2 in victims if v2 != v]
            bound = 1.0 if strict else x / threshold
            if all(o <= bound for o in others):
                out.append((v, m))
    return out


@dataclass
class UndisputedResult:
    """dvir ``findUndisputed``: the reduced problem, summary rows and the last LR matrix."""

    reduced: DviData
    summary: list[dict[str, Any]]
    lr_matrix: dict[str, dict[str, float | None]]


def find_undisputed(
    dvi: DviData, engine: DviEngine, threshold: float = 1e4, strict: bool = False, limit: float = 0.0
) -> UndisputedResult:
    """Repeatedly accept pairings with LR ≥ T dominating their row and column by a factor T, move those
    victims' data into the families and recompute (dvir ``findUndisputed``)."""
    if not dvi.victims or not dvi.missing:
        return UndisputedResult(dvi, [], {})
    comp = {m: dvi.family_of(m) for m in dvi.missing}
    dvi = DviData(dvi.victims, dvi.families, dvi.missing, _pairings(dvi, engine))
    res: dict[str, dict[str, Any]] = {}
    step = 0
    pw = PairwiseLR({}, {})
    while True:
        step += 1
        pw = pairwise_lr(dvi, engine, limit)
        found = undisputed_entries(pw.lr, dvi.victims, dvi.missing, threshold, strict)
        if not found:
            break
        for v, m in found:
            res[v] = {"Step": step, "Missing": m, "LR": pw.lr[v][m]}
            log.debug("undisputed step %d: %s = %s (LR %.3g)", step, v, m, pw.lr[v][m])
        und_v = [v for v, _ in found]
        und_m = [m for _, m in found]
        new_v = [v for v in dvi.victims if v not in und_v]
        new_m = [m for m in dvi.missing if m not in und_m]
        sub = subset_dvi(dvi, victims=new_v, missing=new_m)
        for v in new_v:
            if v not in sub.victims:
                res[v] = {"Step": step, "Missing": None, "LR": None}
        dvi = transfer_victims(sub, {m: v for v, m in found if any(m in f.pedigree.labels
                                                                   for f in sub.families.values())})
        if not new_m or not new_v:
            break
    summary = []
    for v, r in res.items():
        if r["Missing"] is None:
            summary.append(_row(Sample=v, Conclusion="Excluded", Comment="No compatible pairings"))
        else:
            summary.append(_row(Family=comp[r["Missing"]], Missing=r["Missing"], Sample=v, LR=r["LR"],
                                Conclusion="Undisputed", Comment=f"Step {r['Step']}"))
    dvi = DviData(dvi.victims, dvi.families, dvi.missing, {v: pw.pairings.get(v, [STAR]) for v in dvi.victims})
    return UndisputedResult(dvi, summary, pw.lr)


# ---------------------------------------------------------------------------------------------
# Joint table (dvir dviJoint), posteriors (Bmarginal)
# ---------------------------------------------------------------------------------------------
def enumerate_assignments(
    victims: Sequence[str], pairings: Mapping[str, Sequence[str]], max_assign: int = DEFAULT_MAX_ASSIGNMENTS
) -> list[tuple[str, ...]]:
    """Every assignment (victim → one of its pairings, no missing person twice) (dvir ``expand.grid.nodup``).

    Depth-first without recursion; raises :class:`JointSpaceTooLargeError` as soon as more than
    ``max_assign`` are found (or when a lower bound already exceeds it).
    """
    n = len(victims)
    if n == 0:
        return [()]
    if count_assignments_lower_bound(victims, pairings) > max_assign:
        raise JointSpaceTooLargeError(f"more than {max_assign} assignments")
    opts = [list(pairings.get(v, [STAR])) for v in victims]
    out: list[tuple[str, ...]] = []
    cur: list[str] = [STAR] * n
    nxt = [0] * n
    used: set[str] = set()
    k = 0
    while k >= 0:
        if nxt[k] == len(opts[k]):  # level exhausted: back up and release the parent's choice
            nxt[k] = 0
            k -= 1
            if k >= 0 and cur[k] != STAR:
                used.discard(cur[k])
            continue
        m = opts[k][nxt[k]]
        nxt[k] += 1
        if m != STAR and m in used:
            continue
        cur[k] = m
        if k == n - 1:
            out.append(tuple(cur))
            if len(out) > max_assign:
                raise JointSpaceTooLargeError(f"more than {max_assign} assignments")
            continue
        if m != STAR:
            used.add(m)
        k += 1
    return out


def count_assignments_lower_bound(victims: Sequence[str], pairings: Mapping[str, Sequence[str]]) -> float:
    """2^k for k victims with pairwise disjoint candidate sets (chosen greedily): each may independently be
    placed or not, so there are at least that many assignments."""
    taken: set[str] = set()
    k = 0
    for v in victims:
        cands = {m for m in pairings.get(v, [STAR]) if m != STAR}
        if cands and not cands & taken:
            taken |= cands
            k += 1
    return math.inf if k >= 1024 else 2.0**k


def count_assignments_bound(victims: Sequence[str], pairings: Mapping[str, Sequence[str]]) -> float:
    """Upper bound Π_v |pairings(v)| on the number of assignments."""
    return math.prod(len(pairings.get(v, [STAR])) for v in victims)


@dataclass
class JointTable:
    """Joint table: ``assignments[i][k]`` is victim k's missing person (or ``*``); sorted by decreasing ``log_lik``."""

    victims: list[str]
    missing: list[str]
    assignments: list[tuple[str, ...]]
    log_lik: np.ndarray
    log_lik_null: float

    @property
    def lr_vs_best(self) -> np.ndarray:
        """exp(ℓ₁ − ℓ)."""
        with np.errstate(over="ignore", invalid="ignore"):
            return np.exp(self.log_lik[0] - self.log_lik)

    @property
    def lr_vs_null(self) -> np.ndarray:
        """exp(ℓ − ℓ(all *))."""
        with np.errstate(over="ignore"):
            return np.exp(self.log_lik - self.log_lik_null)

    def posterior(self, prior: Sequence[float] | None = None) -> np.ndarray:
        """Posterior of every row, flat prior by default (dvir ``Bmarginal``)."""
        return posterior(self.log_lik, prior)


def posterior(log_lik: np.ndarray, prior: Sequence[float] | None = None) -> np.ndarray:
    """π_i e^{ℓ_i} / Σ_j π_j e^{ℓ_j}, computed with ℓ − max ℓ (prior need not sum to 1)."""
    ll = np.asarray(log_lik, dtype=float)
    pri = np.ones_like(ll) if prior is None else np.asarray(prior, dtype=float)
    if pri.shape != ll.shape:
        raise ValueError("the prior needs one value per row")
    finite = np.isfinite(ll)
    if not finite.any():
        return np.full_like(ll, np.nan)
    term = pri * np.exp(np.where(finite, ll - ll[finite].max(), -np.inf))
    return term / term.sum()


def _sort_key_assignment(a: tuple[str, ...]) -> tuple:
    return tuple((1, "") if m == STAR else (0, m) for m in a)


def joint_table(
    dvi: DviData, engine: DviEngine, max_assign: int = DEFAULT_MAX_ASSIGNMENTS
) -> JointTable:
    """Every assignment with its log-likelihood (dvir ``dviJoint``), sorted by decreasing ℓ, ties by assignment."""
    victims = list(dvi.victims)
    pairings = _pairings(dvi, engine)
    rows = enumerate_assignments(victims, pairings, max_assign)
    if not rows:
        raise ValueError("no possible assignments")
    fam_of = {m: dvi.family_of(m) for m in dvi.missing}
    vic_ll = {v: engine.victim_loglik(v) for v in victims}
    base_ll = {k: engine.family_loglik(f) for k, f in dvi.families.items()}
    cache: dict[tuple, float] = {}

    def fam_ll(name: str, placed: tuple[tuple[str, str], ...]) -> float:
        key = (name, placed)
        if key not in cache:
            cache[key] = engine.family_loglik(dvi.families[name].with_victims(dict(placed)))
        return cache[key]

    lls = np.empty(len(rows))
    for i, a in enumerate(rows):
        per_fam: dict[str, list[tuple[str, str]]] = {}
        total = 0.0
        for v, m in zip(victims, a, strict=True):
            if m == STAR:
                total += vic_ll[v]
            else:
                per_fam.setdefault(fam_of[m], []).append((m, v))
        for name in dvi.families:
            total += fam_ll(name, tuple(sorted(per_fam[name]))) if name in per_fam else base_ll[name]
        lls[i] = total
    null_ll = sum(vic_ll.values()) + sum(base_ll.values())
    order = _tie_sorted(rows, lls)
    sorted_rows = [rows[i] for i in order]
    sorted_ll = lls[order]
    return JointTable(victims, list(dvi.missing), sorted_rows, sorted_ll, null_ll)


def _tie_sorted(rows: Sequence[tuple[str, ...]], lls: np.ndarray) -> list[int]:
    """Order by decreasing ℓ (−∞ last); ℓ equal within a tolerance count as ties, ordered by assignment."""
    idx = sorted(range(len(rows)), key=lambda i: (-lls[i] if np.isfinite(lls[i]) else math.inf,
                                                  _sort_key_assignment(rows[i])))
    out: list[int] = []
    k = 0
    while k < len(idx):
        j = k + 1
        lead = lls[idx[k]]
        while j < len(idx) and (
            (np.isfinite(lead) and abs(lls[idx[j]] - lead) <= _TIE * max(1.0, abs(lead)))
            or (not np.isfinite(lead) and not np.isfinite(lls[idx[j]]))
        ):
            j += 1
        group = sorted(idx[k:j], key=lambda i: _sort_key_assignment(rows[i]))
        out.extend(group)
        k = j
    return out


def bmarginal(table: JointTable, prior: Sequence[float] | None = None) -> dict[str, dict[str, float]]:
    """P(victim v is m | data) for every m and ``*`` (dvir ``Bmarginal``)."""
    post = table.posterior(prior)
    out: dict[str, dict[str, float]] = {}
    for k, v in enumerate(table.victims):
        row = {m: 0.0 for m in table.missing}
        row[STAR] = 0.0
        for a, p in zip(table.assignments, post, strict=True):
            row[a[k]] += float(p)
        out[v] = row
    return out


# ---------------------------------------------------------------------------------------------
# GLR (dvir pairwiseGLR, symmetricGLR)
# ---------------------------------------------------------------------------------------------
def pairwise_glr(table: JointTable) -> dict[str, dict[str, float | None]]:
    """GLR(v = m) = max ℓ over rows with v = m against max ℓ over rows with v ≠ m, as dvir computes it
    (first row with v = m against the first row, or against the first row with v ≠ m)."""
    ll = table.log_lik
    out: dict[str, dict[str, float | None]] = {}
    for k, v in enumerate(table.victims):
        col = [a[k] for a in table.assignments]
        row: dict[str, float | None] = {m: None for m in table.missing}
        if len(set(col)) >= 2:
            for m in table.missing:
                if m not in col:
                    continue
                num = col.index(m)
                den = next(i for i, x in enumerate(col) if x != col[0]) if num == 0 else 0
                with np.errstate(over="ignore", invalid="ignore"):
                    row[m] = float(np.exp(ll[num] - ll[den]))
        out[v] = row
    return out


def kinship_matrix(ped: Pedigree) -> np.ndarray:
    """Kinship coefficients φ_ij (parents precede children in ``ped``)."""
    n = len(ped)
    phi = np.zeros((n, n))
    for i in range(n):
        f, m = int(ped.father[i]), int(ped.mother[i])
        phi[i, i] = 0.5 * (1.0 + (phi[f, m] if f >= 0 and m >= 0 else 0.0))
        for j in range(i):
            val = 0.5 * ((phi[f, j] if f >= 0 else 0.0) + (phi[m, j] if m >= 0 else 0.0))
            phi[i, j] = phi[j, i] = val
    return phi


def relationship_label(ped: Pedigree, a: str, b: str) -> str:
    """A short name of the relationship of two pedigree members (as verbalisr words it, simplified)."""
    i, j = ped.index(a), ped.index(b)
    fi, mi, fj, mj = (int(x) for x in (ped.father[i], ped.mother[i], ped.father[j], ped.mother[j]))
    if fi >= 0 and fi == fj and mi == mj:
        return "full siblings"
    if fi >= 0 and (fi == fj or mi == mj):
        return "half siblings"
    if j in (fi, mi) or i in (fj, mj):
        return "parent-child"
    phi = kinship_matrix(ped)[i, j]
    names = {0.125: "second-degree relatives", 0.0625: "first cousins"}
    return names.get(round(phi, 6), "related" if phi > 0 else "unrelated")


def symmetric_glr(
    dvi: DviData, table: JointTable, threshold: float = 1e4, lr: Mapping[str, Mapping[str, float | None]] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Symmetric solutions in a family's joint table (dvir ``symmetricGLR``): one victim fitting two missing
    persons equally, or two victims fitting two missing persons either way round."""
    if len(table.assignments) < 3:
        return [], []
    fam = next(iter(dvi.families.values()))
    vics = [v for v in table.victims if v in set(dvi.victims)]
    col = {v: table.victims.index(v) for v in vics}
    r1 = [table.assignments[0][col[v]] for v in vics]
    r2 = [table.assignments[1][col[v]] for v in vics]
    diffs = [k for k in range(len(vics)) if r1[k] != r2[k]]
    if len(diffs) > 2 or any(r1[k] == STAR or r2[k] == STAR for k in diffs):
        return [], []
    ll = table.log_lik
    lr = lr or {}

    def lr_of(v: str, m: str) -> float | None:
        return lr.get(v, {}).get(m)

    if len(diffs) == 1:
        v = vics[diffs[0]]
        both = {r1[diffs[0]], r2[diffs[0]]}
        miss = [m for m in dvi.missing if m in both]
        if len(miss) < 2:
            return [], []
        c = col[v]
        end = next((i for i, a in enumerate(table.assignments) if a[c] not in both), None)
        glr = None if end is None else float(np.exp(ll[0] - ll[end]))
        if glr is None or math.isnan(glr) or glr < threshold:
            return [], []
        rel = relationship_label(fam.pedigree, miss[0], miss[1])
        am = [_row(Family=fam.name, Missing=m, Sample=v, LR=lr_of(v, m), GLR=glr, Conclusion="Symmetric match",
                   Comment=f"{v} also matches {o} ({rel})") for m, o in zip(miss, miss[::-1], strict=True)]
        best = [x for x in (lr_of(v, m) for m in miss) if x is not None]
        pm = [_row(Sample=v, Family=fam.name, Missing="/".join(miss), LR=max(best) if best else None, GLR=glr,
                   Conclusion="Symmetric match", Comment=f"{miss[0]} and {miss[1]} are {rel}")]
        return am, pm
    if len(diffs) == 2 and {r1[k] for k in diffs} == {r2[k] for k in diffs}:
        vs = [vics[k] for k in diffs]
        pair = {r1[k] for k in diffs}
        miss = [m for m in dvi.missing if m in pair]
        if len(miss) < 2:
            return [], []
        c0, c1 = col[vs[0]], col[vs[1]]
        end = next((i for i, a in enumerate(table.assignments) if not (a[c0] in pair and a[c1] in pair)), None)
        glr = None if end is None else float(np.exp(ll[0] - ll[end]))
        if glr is None or math.isnan(glr) or glr < threshold:
            return [], []
        rel = relationship_label(fam.pedigree, miss[0], miss[1])
        rel = rel[:1].upper() + rel[1:]
        am = [_row(Family=fam.name, Missing=m, Sample="/".join(vs), LR=None, GLR=glr, Conclusion="Symmetric match",
                   Comment=f"{rel}: {{{', '.join(miss)}}} = {{{', '.join(vs)}}}") for m in miss]
        pm = []
        for v in vs:
            best = [x for x in (lr_of(v, m) for m in miss) if x is not None]
            pm.append(_row(Sample=v, Family=fam.name, Missing="/".join(miss), LR=max(best) if best else None, GLR=glr,
                           Conclusion="Symmetric match",
                           Comment=f"{rel}: {{{', '.join(vs)}}} = {{{', '.join(miss)}}}"))
        return am, pm
    return [], []


# ---------------------------------------------------------------------------------------------
# dviSolve
# ---------------------------------------------------------------------------------------------
def find_nonidentifiable(dvi: DviData, engine: DviEngine) -> tuple[DviData, list[dict[str, Any]]]:
    """Missing persons with kinship 0 to every typed reference and every other missing person (dvir
    ``findNonidentifiable``): removed from the problem."""
    non, rows = [], []
    for fam in dvi.families.values():
        ped = fam.pedigree
        typed = [p for p, _ in fam.sources]
        miss = [m for m in dvi.missing if m in ped.labels]
        ids = typed + [m for m in miss if m not in typed]
        phi = kinship_matrix(ped)
        for m in miss:
            i = ped.index(m)
            if all(phi[i, ped.index(o)] == 0 for o in ids if o != m):
                non.append(m)
                rows.append(_row(Family=fam.name, Missing=m, Conclusion="Nonidentifiable",
                                 Comment="Unrelated to " + ", ".join(o for o in ids if o != m)))
    if not non:
        return dvi, []
    return subset_dvi(dvi, missing=[m for m in dvi.missing if m not in non]), rows


def _simple_family(fam: str, miss: str, lr: Mapping[str, Mapping[str, float | None]],
                   threshold2: float) -> dict[str, Any]:
    """One family with one missing person, from the LR column (dvir ``.simpleFamDVI``)."""
    col = [(v, row.get(miss)) for v, row in lr.items() if row.get(miss) is not None]
    if not col:
        return _row(Family=fam, Missing=miss, Conclusion="No match", Comment="No remaining pairings")
    best_v, best = max(col, key=lambda t: t[1])  # first of the maxima
    for v, x in col:
        if x == best:
            best_v = v
            break
    high = [(v, x) for v, x in col if x > threshold2]
    rups = [(v, x) for v, x in col if v != best_v]
    if len(high) > 1:
        also = ", ".join(f"{v} (LR={_fmt2g(x)})" for v, x in high if v != best_v)
        return _row(Family=fam, Missing=miss, Sample=best_v, LR=best, Conclusion="Disputed", Comment=f"Also: {also}")
    if len(high) == 1:
        if rups:
            rv, rx = max(rups, key=lambda t: t[1])
            txt = f"{rv} (LR={_fmt2g(rx)})"
        else:
            txt = "-"
        return _row(Family=fam, Missing=miss, Sample=best_v, LR=best, Conclusion="Probable",
                    Comment=f"Runner-up: {txt}")
    if best >= 1:
        return _row(Family=fam, Missing=miss, Sample=best_v, LR=best, Conclusion="Inconclusive",
                    Comment=f"Best: {best_v}")
    return _row(Family=fam, Missing=miss, Sample=best_v, LR=best, Conclusion="No match")


def _pm_driven(victims: Sequence[str], lr: Mapping[str, Mapping[str, float | None]], threshold2: float,
               family_of: Mapping[str, str]) -> list[dict[str, Any]]:
    """Remaining victims from their LR rows (dvir ``.pmDrivenDVI``)."""
    out = []
    for v in victims:
        row = [(m, x) for m, x in lr.get(v, {}).items() if x is not None]
        if not row:
            out.append(_row(Sample=v, Missing="", Family="", Conclusion="No match", Comment="No remaining pairings"))
            continue
        best = max(x for _, x in row)
        best_m = next(m for m, x in row if x == best)
        high = [(m, x) for m, x in row if x >= threshold2 - np.finfo(float).eps]
        rups = [(m, x) for m, x in row if m != best_m]
        if len(high) > 1:
            also = ", ".join(f"{m} (LR={_fmt2g(x)})" for m, x in high if m != best_m)
            out.append(_row(Sample=v, Missing=best_m, Family=family_of[best_m], LR=best, Conclusion="Disputed",
                            Comment=f"Also: {also}"))
        elif len(high) == 1:
            if rups:
                rm, rx = max(rups, key=lambda t: t[1])
                txt = f"{rm} (LR={_fmt2g(rx)})"
            else:
                txt = "-"
            out.append(_row(Sample=v, Missing=best_m, Family=family_of[best_m], LR=best, Conclusion="Probable",
                            Comment=f"Runner-up: {txt}"))
        elif best >= 1:
            out.append(_row(Sample=v, Missing="", Family="", LR=best, Conclusion="Inconclusive",
                            Comment=f"Best: {best_m}"))
        else:
            out.append(_row(Sample=v, Missing="", Family="", LR=best, Conclusion="No match"))
    return out


def finite_or_none(x: Any) -> float | None:
    """A JSON-safe number: None for None, NaN and ±∞ (as the refcases write them)."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def _joint_table_block(table: JointTable) -> list[dict[str, Any]]:
    """A family's joint table in dvir's layout: victim columns, loglik, LR (vs best), missing columns."""
    used = sorted({m for a in table.assignments for m in a if m != STAR})
    out = []
    for a, ll, lrb in zip(table.assignments, table.log_lik, table.lr_vs_best, strict=True):
        row: dict[str, Any] = dict(zip(table.victims, a, strict=True))
        row["loglik"] = finite_or_none(ll)
        row["LR"] = finite_or_none(lrb)
        inv = {m: v for v, m in zip(table.victims, a, strict=True) if m != STAR}
        for m in used:
            row[m] = inv.get(m, STAR)
        out.append(row)
    return out


def _complex_family(dvi1: DviData, engine: DviEngine, threshold: float,
                    lr: Mapping[str, Mapping[str, float | None]], max_assign: int
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], JointTable | None]:
    """A family with several missing persons, jointly (dvir ``.complexFamDVI``): GLR matches, symmetric matches,
    the rest inconclusive with their best GLR."""
    fam = next(iter(dvi1.families))
    try:
        table = joint_table(dvi1, engine, max_assign)
    except JointSpaceTooLargeError:
        log.warning("family %s: joint space above %d assignments; left inconclusive", fam, max_assign)
        rows = [_row(Family=fam, Missing=m, LR=_best_lr(lr, m), Conclusion="Inconclusive",
                     Comment="Joint space too large") for m in dvi1.missing]
        return rows, [], None
    except ValueError:
        return [], [], None
    glr = pairwise_glr(table)
    am: list[dict[str, Any]] = []
    pm: list[dict[str, Any]] = []
    found = [(v, m) for m in table.missing for v in table.victims
             if glr[v][m] is not None and glr[v][m] >= threshold - _SQRT_EPS]
    red = dvi1
    if found:
        for v, m in found:
            r = _row(Family=fam, Missing=m, Sample=v, LR=lr.get(v, {}).get(m), GLR=glr[v][m],
                     Conclusion="Match (GLR)", Comment="Joint analysis {" + ",".join(table.missing) + "}")
            am.append(r)
            pm.append(r)
        fv = {v for v, _ in found}
        fm = {m for _, m in found}
        red = subset_dvi(dvi1, victims=[v for v in dvi1.victims if v not in fv],
                         missing=[m for m in dvi1.missing if m not in fm])
    if red.families:
        s_am, s_pm = symmetric_glr(red, table, threshold, lr)
        am += s_am
        pm += s_pm
    done = {r["Missing"] for r in am}
    for m in dvi1.missing:
        if m not in done:
            best = [x for x in (glr[v][m] for v in table.victims) if x is not None and not math.isnan(x)]
            am.append(_row(Family=fam, Missing=m, GLR=max(best) if best else None,
                           Conclusion="Inconclusive"))
    return am, pm, table


def _best_lr(lr: Mapping[str, Mapping[str, float | None]], m: str) -> float | None:
    xs = [row.get(m) for row in lr.values() if row.get(m) is not None]
    return max(xs) if xs else None


def _format(rows_lists: Sequence[Sequence[dict[str, Any]]], keys: Sequence[str], key: str,
            cols: Sequence[str], fill: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """dvir ``formatSummary`` with a dvi: one row per id in ``keys`` (the first found), columns in order."""
    first: dict[str, dict[str, Any]] = {}
    for rows in rows_lists:
        for r in rows:
            k = r.get(key)
            if k is None or k in first:
                continue
            first[k] = r
    out = []
    for k in keys:
        r = dict(fill.get(k, {}))
        r.update({c: v for c, v in first.get(k, {}).items() if v is not None or c not in r})
        out.append({c: finite_or_none(r.get(c)) if c in ("LR", "GLR") else r.get(c) for c in cols})
    return out


AM_COLS = ("Family", "Missing", "Sample", "LR", "GLR", "Conclusion", "Comment")
PM_COLS = ("Sample", "Missing", "Family", "LR", "GLR", "Conclusion", "Comment")


def dvi_solve(
    dvi: DviData,
    engine: DviEngine,
    threshold: float = 1e4,
    threshold2: float | None = None,
    max_incomp: int = 2,
    limit: float = 0.0,
    max_assign: int = DEFAULT_MAX_ASSIGNMENTS,
) -> dict[str, Any]:
    """The dvir ``dviSolve`` pipeline: nonidentifiable, then exclusions and undisputed until nothing changes,
    simple families (probable at ``threshold2``), complex families (GLR, symmetric), remaining victims."""
    threshold2 = max(1.0, threshold / 10) if threshold2 is None else threshold2
    orig = dvi
    fam_of = {m: dvi.family_of(m) for m in dvi.missing}
    sums_am: list[list[dict[str, Any]]] = []
    sums_pm: list[list[dict[str, Any]]] = []
    dvi, non_rows = find_nonidentifiable(dvi, engine)
    sums_am.append(non_rows)
    lr_mat: dict[str, dict[str, float | None]] = {}
    it = 0
    while True:
        it += 1
        ex = find_excluded(dvi, engine, max_incomp)
        if _same_dvi(ex.reduced, dvi, engine):
            if it > 1:
                break
        else:
            sums_am.append(ex.am)
            sums_pm.append(ex.pm)
        dvi = ex.reduced
        und = find_undisputed(dvi, engine, threshold, strict=False, limit=limit)
        lr_mat = und.lr_matrix or lr_mat
        if _same_dvi(und.reduced, dvi, engine):
            break
        sums_am.append(und.summary)
        sums_pm.append(und.summary)
        dvi = und.reduced
    # Simple families
    n_miss = {name: sum(1 for m in dvi.missing if fam_of[m] == name) for name in dvi.families}
    for name, k in n_miss.items():
        if k == 1:
            miss = next(m for m in dvi.missing if fam_of[m] == name)
            sums_am.append([_simple_family(name, miss, lr_mat, threshold2)])
    joint_tables: dict[str, list[dict[str, Any]]] = {}
    for name, k in n_miss.items():
        if k <= 1:
            continue
        dvi1 = subset_dvi(dvi, families=[name])
        am, pm, table = _complex_family(dvi1, engine, threshold, lr_mat, max_assign)
        if table is not None:
            joint_tables[name] = _joint_table_block(table)
        sums_am.append(am)
        sums_pm.append(pm)
        gone = {r["Sample"] for r in pm}
        dvi = subset_dvi(dvi, victims=[v for v in dvi.victims if v not in gone],
                         families=[f for f in dvi.families if f != name], remove_unpaired=False)
    if dvi.victims:
        sums_pm.append(_pm_driven(dvi.victims, lr_mat, threshold2, fam_of))
    fill_am = {m: {"Family": fam_of[m], "Missing": m} for m in orig.missing}
    fill_pm = {v: {"Sample": v} for v in orig.victims}
    return {
        "threshold": threshold,
        "threshold2": threshold2,
        "maxIncomp": max_incomp,
        "AM": _format(sums_am, orig.missing, "Missing", AM_COLS, fill_am),
        "PM": _format(sums_pm, orig.victims, "Sample", PM_COLS, fill_pm),
        "jointTables": joint_tables or [],  # R writes an empty list as []
    }
