"""Joint identification at national scale: independent components, each solved exactly under a bound.

dvir's joint table enumerates every assignment of every victim, which is hopeless beyond a few
dozen victims. But two victims interact only through a family they could both belong to, so the
problem splits (docs/joint.md):

1. **candidate pairs** (remains r, missing person m of family f) from blind search, kept when
   LR(r, m) ≥ ``lr_floor`` and at most ``max_incompatible`` markers are incompatible;
2. **components**: connected components of the graph on remains and *families* with those pairs
   as edges (families, not missing persons, are the nodes: a family's missing persons share one
   likelihood);
3. each component's assignments (every remains → one of its candidates or ``*``, no missing person
   twice) are enumerated; if there are more than ``max_assignments``, the component's floor is
   raised by ``floor_step`` (dropping its weakest pairs) and it is split again, up to ``max_floor``;
   a component still too large is reported as **not solved exactly**;
4. within a component, the joint log-LR of an assignment against "all unassigned" is
   Σ_families ln [L(F with its placed remains) / (L(F) Π L(r))], exact: families with several
   remains placed are computed by the chain rule over family tables,
   L(F + r₁@m₁ + r₂@m₂)/L(F) = P(r₁)T_{m₁|F}(r₁) · P(r₂)T_{m₂|F+r₁@m₁}(r₂);
   posteriors use a flat prior over the component's assignments (dvir ``Bmarginal``), or a prior
   ∝ ω^(remains placed) when ``placement_prior_odds`` ω is set.

Pairs below the floor are treated as impossible, which is the only approximation; the report says
which floor each component was solved at. (A degraded remains placed in a family as a reference is
taken as observed, a/– for a single peak; its own dropout probability enters only its own table LR.)
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

import mpid
from mpid.genetics.markers import Marker
from mpid.genetics.pedigree import Pedigree
from mpid.genetics.profiles import Genotype, genotype_weights

from .joint import STAR, JointSpaceTooLargeError, enumerate_assignments, posterior
from .tables import FamilyInput, FamilyTables, MarkerTable, build_tables, genotype_index

__all__ = [
    "CandidateEdge",
    "Component",
    "ComponentReport",
    "ComponentSettings",
    "ComponentSolution",
    "PlacementLikelihood",
    "ReferenceFamily",
    "Remains",
    "link_components",
    "solve_components",
    "table_lr",
]

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CandidateEdge:
    """A candidate pair from blind search: remains r may be missing person m of family f."""

    remains: str
    family: str
    missing: str
    lr: float
    n_incompatible: int = 0


@dataclass(frozen=True)
class ReferenceFamily:
    """A family: pedigree, its missing persons and the references' genotypes (person → marker → genotype)."""

    name: str
    pedigree: Pedigree
    missing: tuple[str, ...]
    references: Mapping[str, Mapping[str, Genotype]]


@dataclass(frozen=True)
class Remains:
    """A remains profile (marker → genotype; ``(a, None)`` = one allele seen) with its dropout probability."""

    remains_id: str
    genotypes: Mapping[str, Genotype]
    dropout: float = 0.0


@dataclass(frozen=True)
class ComponentSettings:
    """Bounds of the component solver (stored with every report)."""

    lr_floor: float = 100.0
    max_incompatible: int = 2
    max_assignments: int = 10_000
    floor_step: float = 10.0
    max_floor: float = 1e6
    placement_prior_odds: float | None = None
    """None: flat prior over a component's assignments (dvir ``Bmarginal``). A number ω: prior ∝ ω^(number of
    remains placed), e.g. ω = q / (N (1 − q)) when a remains is one of the N missing with probability q."""

    def __post_init__(self) -> None:
        if self.lr_floor <= 0 or self.floor_step <= 1 or self.max_floor < self.lr_floor:
            raise ValueError("need 0 < lr_floor ≤ max_floor and floor_step > 1")
        if self.max_assignments < 1:
            raise ValueError("max_assignments must be ≥ 1")
        if self.placement_prior_odds is not None and not self.placement_prior_odds > 0:
            raise ValueError("placement_prior_odds must be > 0")


# ---------------------------------------------------------------------------------------------
# Components
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Component:
    """Remains and families linked by candidate pairs at LR ≥ ``floor``."""

    remains: tuple[str, ...]
    families: tuple[str, ...]
    edges: tuple[CandidateEdge, ...]
    floor: float

    def pairings(self) -> dict[str, list[str]]:
        """``*`` plus the candidate missing persons of every remains (strongest first)."""
        out: dict[str, list[str]] = {r: [STAR] for r in self.remains}
        for e in sorted(self.edges, key=lambda e: -e.lr):
            if e.missing not in out[e.remains]:
                out[e.remains].append(e.missing)
        return out


def link_components(
    edges: Iterable[CandidateEdge], floor: float, max_incompatible: int
) -> list[Component]:
    """Connected components of remains and families over the pairs with LR ≥ floor and few incompatibilities."""
    kept = [e for e in edges if e.lr >= floor and e.n_incompatible <= max_incompatible]
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x: tuple[str, str]) -> tuple[str, str]:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for e in kept:
        a, b = find(("r", e.remains)), find(("f", e.family))
        if a != b:
            parent[a] = b
    groups: dict[tuple[str, str], list[CandidateEdge]] = {}
    for e in kept:
        groups.setdefault(find(("r", e.remains)), []).append(e)
    out = []
    for es in groups.values():
        rem = tuple(sorted({e.remains for e in es}))
        fams = tuple(sorted({e.family for e in es}))
        out.append(Component(rem, fams, tuple(es), floor))
    out.sort(key=lambda c: (c.families, c.remains))
    return out


# ---------------------------------------------------------------------------------------------
# Exact family likelihoods with several remains placed (chain rule over family tables)
# ---------------------------------------------------------------------------------------------
def table_lr(table: MarkerTable, genotype: Genotype, freqs: np.ndarray, dropout: float = 0.0) -> float:
    """LR of an observed genotype: T(g) for an exact one, Σ_g W(g)P(g)T(g) / Σ_g W(g)P(g) otherwise
    (W = observation weights of ``genotype_weights``; P Hardy–Weinberg over the table's alleles)."""
    pos = {a: i for i, a in enumerate(table.alleles)}
    a, b = genotype
    if b is not None and dropout <= 0.0:
        return float(table.lr[genotype_index(pos[a], pos[b])])
    n = len(table.alleles)
    p = np.zeros(n)
    p[: min(n, freqs.size)] = freqs[:n]
    if n > freqs.size:
        p[-1] = 1.0 - float(freqs.sum())
    w = genotype_weights(genotype, pos, n, dropout=dropout)
    num = den = 0.0
    for j in range(n):
        for i in range(j + 1):
            wt = w[i, j] * (p[i] * p[i] if i == j else 2 * p[i] * p[j])
            if wt:
                num += wt * float(table.lr[genotype_index(i, j)])
                den += wt
    return num / den if den > 0 else 0.0


Placement = tuple[tuple[str, str], ...]  # ((missing, remains), ...) sorted by missing


class PlacementLikelihood:
    """ln [L(F + placed remains) / (L(F) Π L(r))] for any set of placements in a family, by the chain rule.

    Tables of (family + earlier placements, next missing person) are built in batches with
    :func:`mpid.matching.tables.build_tables` and cached.
    """

    def __init__(self, families: Mapping[str, ReferenceFamily], remains: Mapping[str, Remains],
                 markers: Sequence[Marker]):
        self.families = families
        self.remains = remains
        self.markers = list(markers)
        self._tables: dict[tuple[str, Placement, str], FamilyTables] = {}
        self._values: dict[tuple[str, Placement], float] = {}

    @staticmethod
    def canonical(placements: Iterable[tuple[str, str]]) -> Placement:
        """Placements sorted by missing person."""
        return tuple(sorted(placements))

    def _needed(self, family: str, placed: Placement) -> list[tuple[str, Placement, str]]:
        return [(family, placed[:k], placed[k][0]) for k in range(len(placed))]

    def _input(self, family: str, prefix: Placement, missing: str) -> FamilyInput:
        fam = self.families[family]
        geno: dict[str, Mapping[str, Genotype]] = dict(fam.references)
        for m, r in prefix:
            geno[m] = self.remains[r].genotypes
        return FamilyInput(family, fam.pedigree, missing, geno)

    def prepare(self, sets: Iterable[tuple[str, Placement]]) -> None:
        """Build, in one batch, every table the given placement sets need."""
        todo: dict[tuple[str, Placement, str], FamilyInput] = {}
        for family, placed in sets:
            for key in self._needed(family, placed):
                if key not in self._tables and key not in todo:
                    todo[key] = self._input(*key)
        if todo:
            keys = list(todo)
            for key, tab in zip(keys, build_tables([todo[k] for k in keys], self.markers), strict=True):
                self._tables[key] = tab

    def log_lr(self, family: str, placed: Placement) -> float:
        """Σ_k Σ_markers ln T(r_k | F + first k−1 placements, m_k) (−∞ if impossible)."""
        key = (family, placed)
        if key in self._values:
            return self._values[key]
        self.prepare([key])
        total = 0.0
        for pre_key in self._needed(family, placed):
            tabs = self._tables[pre_key].tables
            rem = self.remains[placed[len(pre_key[1])][1]]
            for m in self.markers:
                g = rem.genotypes.get(m.name)
                if g is None or m.name not in tabs:
                    continue
                x = table_lr(tabs[m.name], g, m.freqs, rem.dropout)
                if x <= 0 or math.isnan(x):
                    total = -math.inf
                    break
                total += math.log(x)
            if total == -math.inf:
                break
        self._values[key] = total
        return total


# ---------------------------------------------------------------------------------------------
# Solving
# ---------------------------------------------------------------------------------------------
@dataclass
class ComponentSolution:
    """One component: exact or not, its assignment count and (if exact) the marginal posteriors."""

    component: Component
    exact: bool
    n_assignments: int | None
    reason: str = ""
    marginals: dict[str, dict[str, float]] = field(default_factory=dict)
    best: dict[str, str] = field(default_factory=dict)
    best_log_lr: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (edges omitted)."""
        return {
            "remains": list(self.component.remains), "families": list(self.component.families),
            "floor": self.component.floor, "exact": self.exact, "n_assignments": self.n_assignments,
            "reason": self.reason, "marginals": self.marginals, "best": self.best,
            "best_log_lr": None if self.best_log_lr is None or not math.isfinite(self.best_log_lr)
            else self.best_log_lr,
        }


@dataclass
class ComponentReport:
    """What was solved exactly and what was not, with the settings and code version."""

    settings: ComponentSettings
    n_remains: int
    n_remains_without_candidates: int
    n_components: int
    n_components_exact: int
    n_remains_exact: int
    n_remains_not_exact: int
    floors: dict[float, int]
    largest_exact_assignments: int
    not_exact: list[dict[str, Any]]
    code_version: str = mpid.__version__

    @property
    def share_exact(self) -> float:
        """Share of remains whose posterior is exact (no candidate, or in an exactly solved component)."""
        if self.n_remains == 0:
            return 1.0
        return (self.n_remains_without_candidates + self.n_remains_exact) / self.n_remains

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report."""
        d = asdict(self)
        d["floors"] = {str(k): v for k, v in self.floors.items()}
        d["share_exact"] = self.share_exact
        return d

    def summary(self) -> str:
        """A few lines for people."""
        lines = [
            f"{self.n_remains} remains: {self.n_remains_without_candidates} without candidates, "
            f"{self.n_remains_exact} in {self.n_components_exact} exactly solved components, "
            f"{self.n_remains_not_exact} not solved exactly; share exact {self.share_exact:.2%}",
            "components by floor: " + ", ".join(f"LR ≥ {k:g}: {v}" for k, v in sorted(self.floors.items())),
            f"largest exact component: {self.largest_exact_assignments} assignments "
            f"(bound {self.settings.max_assignments})",
        ]
        for c in self.not_exact[:10]:
            lines.append(f"  not exact: {c['n_remains']} remains × {c['n_families']} families ({c['reason']})")
        return "\n".join(lines)


@dataclass
class _Enumerated:
    """A component's assignments and, per row, the (family, placements) whose likelihoods it needs."""

    component: Component
    remains: list[str]
    rows: list[tuple[str, ...]]
    keys: list[list[tuple[str, Placement]]]


def _enumerate(comp: Component, settings: ComponentSettings) -> _Enumerated:
    fam_of = {e.missing: e.family for e in comp.edges}
    remains = list(comp.remains)
    rows = enumerate_assignments(remains, comp.pairings(), settings.max_assignments)
    keys = []
    for a in rows:
        by_fam: dict[str, list[tuple[str, str]]] = {}
        for r, m in zip(remains, a, strict=True):
            if m != STAR:
                by_fam.setdefault(fam_of[m], []).append((m, r))
        keys.append([(f, PlacementLikelihood.canonical(p)) for f, p in by_fam.items()])
    return _Enumerated(comp, remains, rows, keys)


def _solve_enumerated(en: _Enumerated, lik: PlacementLikelihood, odds: float | None = None) -> ComponentSolution:
    ll = np.array([sum(lik.log_lr(f, p) for f, p in keys) for keys in en.keys])
    if odds is None:
        post = posterior(ll)
    else:
        placed = np.array([sum(1 for m in a if m != STAR) for a in en.rows], dtype=float)
        post = posterior(ll + placed * math.log(odds))
    marg: dict[str, dict[str, float]] = {r: {} for r in en.remains}
    for a, p in zip(en.rows, post, strict=True):
        for r, m in zip(en.remains, a, strict=True):
            marg[r][m] = marg[r].get(m, 0.0) + float(p)
    best = int(np.argmax(ll))
    return ComponentSolution(en.component, True, len(en.rows), "", marg,
                             dict(zip(en.remains, en.rows[best], strict=True)), float(ll[best]))


def solve_components(
    edges: Sequence[CandidateEdge],
    families: Mapping[str, ReferenceFamily],
    remains: Mapping[str, Remains],
    markers: Sequence[Marker],
    settings: ComponentSettings | None = None,
) -> tuple[list[ComponentSolution], ComponentReport]:
    """Split into components, solve each exactly within the bound (raising its floor if needed), and report."""
    s = settings or ComponentSettings()
    lik = PlacementLikelihood(families, remains, markers)
    queue = link_components(edges, s.lr_floor, s.max_incompatible)
    solved: list[ComponentSolution] = []
    enumerated: list[_Enumerated] = []
    while queue:
        comp = queue.pop()
        try:
            enumerated.append(_enumerate(comp, s))
        except JointSpaceTooLargeError:
            higher = comp.floor * s.floor_step
            if higher > s.max_floor:
                log.info("component of %d remains × %d families not solved exactly", len(comp.remains),
                         len(comp.families))
                solved.append(ComponentSolution(comp, False, None,
                                                f"more than {s.max_assignments} assignments at LR ≥ {comp.floor:g}"))
                continue
            parts = link_components(comp.edges, higher, s.max_incompatible)
            dropped = set(comp.remains) - {r for p in parts for r in p.remains}
            queue.extend(parts)
            for r in sorted(dropped):  # remains whose every candidate fell below the raised floor
                solved.append(ComponentSolution(Component((r,), (), (), higher), True, 1,
                                                "no candidate above the raised floor", {r: {STAR: 1.0}}, {r: STAR},
                                                0.0))
    # Every table any component needs (all chain prefixes are independent inputs): one batch.
    lik.prepare({k: None for en in enumerated for keys in en.keys for k in keys})
    solved.extend(_solve_enumerated(en, lik, s.placement_prior_odds) for en in enumerated)
    in_comp = {r for c in solved for r in c.component.remains}
    exact = [c for c in solved if c.exact]
    floors: dict[float, int] = {}
    for c in solved:
        floors[c.component.floor] = floors.get(c.component.floor, 0) + 1
    report = ComponentReport(
        settings=s,
        n_remains=len(remains),
        n_remains_without_candidates=len(set(remains) - in_comp),
        n_components=len(solved),
        n_components_exact=len(exact),
        n_remains_exact=sum(len(c.component.remains) for c in exact),
        n_remains_not_exact=sum(len(c.component.remains) for c in solved if not c.exact),
        floors=floors,
        largest_exact_assignments=max((c.n_assignments or 0 for c in exact), default=0),
        not_exact=[{"n_remains": len(c.component.remains), "n_families": len(c.component.families),
                    "remains": list(c.component.remains), "families": list(c.component.families),
                    "reason": c.reason} for c in solved if not c.exact],
    )
    return solved, report
