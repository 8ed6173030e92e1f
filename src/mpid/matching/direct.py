"""Direct matching: are two remains samples from the same person? (re-association)

For two samples with observation weights W₁, W₂ at a marker (exact, partial or degraded
genotypes: :func:`mpid.genetics.profiles.genotype_weights`),

    LR = P(data | same person) / P(data | two unrelated persons)
       = Σ_g P(g) W₁(g) W₂(g) / Σ_{g,h} P(g, h) W₁(g) W₂(h),

with P the Hardy–Weinberg genotype probability, or Balding–Nichols with θ (the two
persons' four alleles drawn in sequence). For exact genotypes without θ this is dvir's
``directMatch`` rule: LR = 1/P(g) when the genotypes agree and 0 when they differ. Only
markers typed in both samples are compared; if both sexes are known and differ the LR
is 0. Samples whose LR reaches a threshold are grouped into individuals (dvir's
``mergePM``), which gives the minimum number of individuals (MNI) of a site.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mpid.genetics.markers import Marker
from mpid.genetics.profiles import Genotype, genotype_weights

__all__ = [
    "DirectMatch",
    "SampleGroups",
    "direct_match",
    "direct_match_all",
    "merge_samples",
    "minimum_number_of_individuals",
]


@dataclass(frozen=True)
class DirectMatch:
    """Result for one pair of samples."""

    sample1: str
    sample2: str
    per_marker: dict[str, float | None]  # None: not computed (sexes differ)
    markers_compared: tuple[str, ...]
    n_mismatches: int
    lik_same_person: dict[str, float] = field(default_factory=dict)
    lik_two_unrelated: dict[str, float] = field(default_factory=dict)
    sex_mismatch: bool = False

    @property
    def lr_total(self) -> float:
        if self.sex_mismatch:
            return 0.0
        vals = [v for v in self.per_marker.values() if v is not None]
        if any(v == 0 for v in vals):
            return 0.0
        return math.exp(math.fsum(math.log(v) for v in vals)) if vals else 1.0

    @property
    def log10_lr_total(self) -> float | None:
        lr = self.lr_total
        return math.log10(lr) if lr > 0 else None


def _local_space(marker: Marker, g1: Genotype, g2: Genotype) -> tuple[dict[str, int], np.ndarray]:
    """Observed alleles plus one lumped 'other' allele (exact for these sums; θ lumps too)."""
    seen = sorted({a for a in (*g1, *g2) if a is not None})
    idx = marker.allele_index()
    missing = [a for a in seen if a not in idx]
    if missing:
        raise KeyError(f"marker {marker.name}: allele(s) {missing} not in the frequency table")
    freqs = np.array([marker.freqs[idx[a]] for a in seen])
    rest = 1.0 - freqs.sum()
    if rest > 0:
        freqs = np.append(freqs, rest)
    return {a: i for i, a in enumerate(seen)}, freqs


def _pair_probabilities(p: np.ndarray, theta: float) -> np.ndarray:
    """P(x, y) of one person's ordered alleles (Balding–Nichols; HW when θ = 0)."""
    eye = np.eye(p.size)
    return p[:, None] * (theta * eye + (1 - theta) * p[None, :])


def _two_person_probabilities(p: np.ndarray, theta: float) -> np.ndarray:
    """P(x, y, z, w): two unrelated persons' four alleles drawn in sequence (Balding–Nichols)."""
    n = p.size
    eye = np.eye(n)
    pxy = _pair_probabilities(p, theta)
    # third allele z: (θ·(#z among x,y) + (1−θ)p_z) / (1 + θ)
    cz = eye[:, None, :] + eye[None, :, :]  # [x, y, z]
    pz = (theta * cz + (1 - theta) * p[None, None, :]) / (1 + theta)
    cw = cz[:, :, None, :] + eye[None, None, :, :]  # [x, y, z, w]
    pw = (theta * cw + (1 - theta) * p[None, None, None, :]) / (1 + 2 * theta)
    return pxy[:, :, None, None] * pz[:, :, :, None] * pw


def direct_match(
    sample1: str,
    genotypes1: Mapping[str, Genotype],
    sample2: str,
    genotypes2: Mapping[str, Genotype],
    markers: Sequence[Marker],
    *,
    sex1: int = 0,
    sex2: int = 0,
    theta: float = 0.0,
    dropout1: float = 0.0,
    dropout2: float = 0.0,
    check_sex: bool = True,
) -> DirectMatch:
    """Same-person LR for two samples over the markers typed in both."""
    compared = tuple(m.name for m in markers if m.name in genotypes1 and m.name in genotypes2)
    mismatches = sum(
        1 for m in compared if genotypes1[m] != genotypes2[m] and None not in genotypes1[m] + genotypes2[m]
    )
    if check_sex and sex1 and sex2 and sex1 != sex2:
        return DirectMatch(sample1, sample2, dict.fromkeys(compared), compared, mismatches, sex_mismatch=True)
    per_marker: dict[str, float | None] = {}
    same_l: dict[str, float] = {}
    unrel_l: dict[str, float] = {}
    for marker in markers:
        if marker.name not in compared:
            continue
        g1, g2 = genotypes1[marker.name], genotypes2[marker.name]
        idx, p = _local_space(marker, g1, g2)
        n = p.size
        w1 = genotype_weights(g1, idx, n, dropout=dropout1)
        w2 = genotype_weights(g2, idx, n, dropout=dropout2)
        same = float(np.sum(_pair_probabilities(p, theta) * w1 * w2))
        if theta > 0:
            unrel = float(np.einsum("xyzw,xy,zw->", _two_person_probabilities(p, theta), w1, w2))
        else:
            p2 = _pair_probabilities(p, 0.0)
            unrel = float(np.sum(p2 * w1) * np.sum(p2 * w2))
        same_l[marker.name], unrel_l[marker.name] = same, unrel
        per_marker[marker.name] = same / unrel if unrel > 0 else 0.0
    return DirectMatch(sample1, sample2, per_marker, compared, mismatches, same_l, unrel_l)


def direct_match_all(
    samples: Mapping[str, Mapping[str, Genotype]],
    markers: Sequence[Marker],
    *,
    sexes: Mapping[str, int] | None = None,
    theta: float = 0.0,
    dropout: Mapping[str, float] | None = None,
    check_sex: bool = True,
) -> list[DirectMatch]:
    """Every unordered pair of samples, in input order (S1~S2, S1~S3, …)."""
    sexes = sexes or {}
    dropout = dropout or {}
    ids = list(samples)
    out = []
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            out.append(
                direct_match(
                    a, samples[a], b, samples[b], markers,
                    sex1=sexes.get(a, 0), sex2=sexes.get(b, 0), theta=theta,
                    dropout1=dropout.get(a, 0.0), dropout2=dropout.get(b, 0.0), check_sex=check_sex,
                )
            )
    return out


@dataclass(frozen=True)
class SampleGroups:
    """Samples grouped into individuals: representative → members (input order)."""

    groups: dict[str, list[str]]
    nonmissing: dict[str, int]
    lr_matrix: dict[str, dict[str, float]]
    threshold: float
    method: str = "mostcomplete"


def merge_samples(
    samples: Mapping[str, Mapping[str, Genotype]],
    matches: Sequence[DirectMatch],
    *,
    threshold: float = 1e4,
) -> SampleGroups:
    """Group samples linked by LR ≥ threshold (connected components), as ``dvir::mergePM``.

    Each group is represented by its most complete sample (most typed markers; the
    first in input order on ties) — dvir's ``method = "mostcomplete"``.
    """
    ids = list(samples)
    pos = {s: i for i, s in enumerate(ids)}
    root = list(range(len(ids)))

    def find(x: int) -> int:
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    lrmat = {a: dict.fromkeys(ids, 0.0) for a in ids}
    for m in matches:
        lr = m.lr_total
        lrmat[m.sample1][m.sample2] = lrmat[m.sample2][m.sample1] = lr
        if lr >= threshold:
            root[find(pos[m.sample1])] = find(pos[m.sample2])
    nonmissing = {s: len(samples[s]) for s in ids}
    members: dict[int, list[str]] = {}
    for s in ids:
        members.setdefault(find(pos[s]), []).append(s)
    groups = {}
    for mem in members.values():
        rep = max(mem, key=lambda s: (nonmissing[s], -pos[s]))
        groups[rep] = mem
    groups = dict(sorted(groups.items(), key=lambda kv: pos[kv[0]]))
    return SampleGroups(groups, nonmissing, lrmat, threshold)


def minimum_number_of_individuals(groups: SampleGroups, site_of: Mapping[str, str]) -> dict[str, int]:
    """MNI per site: the number of distinct individuals among the site's samples after grouping."""
    mni: dict[str, set[str]] = {}
    for rep, mem in groups.groups.items():
        for s in mem:
            if s in site_of:
                mni.setdefault(site_of[s], set()).add(rep)
    return {site: len(reps) for site, reps in sorted(mni.items())}
