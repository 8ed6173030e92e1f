"""Kinship likelihood ratios between pedigree hypotheses.

A hypothesis is a list of independent pedigrees (components) over the persons whose
genotypes are known. Its likelihood at a marker is the product of the component
likelihoods (:func:`mpid.genetics.likelihood.marker_likelihood`); over markers, the
product of those (markers are taken as unlinked). For hypotheses H1 and H2,

    LR = P(data | H1) / P(data | H2) = Π_markers L1(m) / L2(m).

:func:`missing_person_lr` is the thin wrapper forensic work needs most: H1 places the
person of interest (POI, e.g. remains) at the missing person's position in the family
pedigree; H2 keeps the missing person untyped and the POI unrelated (forrel's
``missingPersonLR``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .likelihood import marker_likelihood
from .markers import Marker
from .pedigree import Pedigree
from .profiles import Genotype

__all__ = [
    "Hypothesis",
    "HypothesisLikelihood",
    "LikelihoodRatio",
    "hypothesis_likelihood",
    "kinship_lr",
    "missing_person_hypotheses",
    "missing_person_lr",
]

GenotypeData = Mapping[str, Mapping[str, Genotype]]  # person -> marker -> genotype


@dataclass(frozen=True)
class Hypothesis:
    """A named hypothesis: independent pedigrees covering the persons of the case."""

    name: str
    pedigrees: tuple[Pedigree, ...]
    description: str = ""


@dataclass(frozen=True)
class HypothesisLikelihood:
    """Per-marker likelihoods of one hypothesis and their logs (``None`` = log of 0)."""

    name: str
    per_marker: dict[str, float]

    @property
    def loglik_per_marker(self) -> dict[str, float | None]:
        return {m: (math.log(v) if v > 0 else None) for m, v in self.per_marker.items()}

    @property
    def loglik_total(self) -> float | None:
        """Natural log of the total likelihood; None when it is 0."""
        if any(v == 0 for v in self.per_marker.values()):
            return None
        return math.fsum(math.log(v) for v in self.per_marker.values())

    @property
    def log10_lik_total(self) -> float | None:
        ll = self.loglik_total
        return None if ll is None else ll / math.log(10)


@dataclass(frozen=True)
class LikelihoodRatio:
    """LR of ``numerator`` against ``denominator``, per marker and in total."""

    numerator: str
    denominator: str
    per_marker: dict[str, float | None] = field(default_factory=dict)  # None = 0/0

    @property
    def total(self) -> float | None:
        """Product over markers: 0 if any marker's numerator is 0; None if undefined (0/0 or x/0)."""
        vals = list(self.per_marker.values())
        if any(v is None for v in vals):
            return None
        if any(v == 0 for v in vals):
            return 0.0
        if any(math.isinf(v) for v in vals):
            return math.inf
        return math.exp(math.fsum(math.log(v) for v in vals)) if vals else 1.0

    @property
    def ln_total(self) -> float | None:
        vals = list(self.per_marker.values())
        if any(v is None or v == 0 or math.isinf(v) for v in vals):
            return None
        return math.fsum(math.log(v) for v in vals)

    @property
    def log10_total(self) -> float | None:
        ln = self.ln_total
        return None if ln is None else ln / math.log(10)


def hypothesis_likelihood(
    hyp: Hypothesis,
    markers: Sequence[Marker],
    genotypes: GenotypeData,
    *,
    theta: float = 0.0,
    dropout: Mapping[str, float] | None = None,
) -> HypothesisLikelihood:
    """Per-marker likelihoods of a hypothesis given everyone's genotypes."""
    per_marker: dict[str, float] = {}
    for marker in markers:
        at_marker = {p: g[marker.name] for p, g in genotypes.items() if marker.name in g}
        lik = 1.0
        for ped in hyp.pedigrees:
            lik *= marker_likelihood(ped, marker, at_marker, theta=theta, dropout=dropout)
        per_marker[marker.name] = lik
    return HypothesisLikelihood(hyp.name, per_marker)


def _ratio(num: float, den: float) -> float | None:
    if den == 0:
        return None if num == 0 else math.inf
    return num / den


def kinship_lr(
    hypotheses: Sequence[Hypothesis],
    markers: Sequence[Marker],
    genotypes: GenotypeData,
    *,
    reference: str | None = None,
    theta: float = 0.0,
    dropout: Mapping[str, float] | None = None,
) -> tuple[dict[str, HypothesisLikelihood], list[LikelihoodRatio]]:
    """Likelihood of every hypothesis and the LR of each non-reference one against ``reference``.

    ``reference`` defaults to the last hypothesis (forrel's convention).
    """
    if not hypotheses:
        raise ValueError("no hypotheses given")
    names = [h.name for h in hypotheses]
    ref = names[-1] if reference is None else reference
    if ref not in names:
        raise ValueError(f"reference hypothesis {ref!r} is not one of {names}")
    liks = {h.name: hypothesis_likelihood(h, markers, genotypes, theta=theta, dropout=dropout) for h in hypotheses}
    den = liks[ref].per_marker
    lrs = [
        LikelihoodRatio(h, ref, {m: _ratio(liks[h].per_marker[m], den[m]) for m in den})
        for h in names
        if h != ref
    ]
    return liks, lrs


def missing_person_hypotheses(family: Pedigree, missing: str, poi: str) -> tuple[Hypothesis, Hypothesis]:
    """H1: the POI is the missing person; H2: the missing person is untyped and the POI unrelated."""
    if poi in family.labels:
        raise ValueError(f"the person of interest {poi!r} is already in the family pedigree")
    family.index(missing)
    h1 = Hypothesis("H1", (family.relabel({missing: poi}),), f"{poi} is {missing}")
    sex = int(family.sex[family.index(missing)])
    single = Pedigree.from_records([{"id": poi, "father": None, "mother": None, "sex": sex}])
    h2 = Hypothesis("H2", (family, single), f"{poi} is unrelated to the family")
    return h1, h2


def missing_person_lr(
    family: Pedigree,
    missing: str,
    poi: str,
    markers: Sequence[Marker],
    genotypes: GenotypeData,
    *,
    theta: float = 0.0,
    dropout: Mapping[str, float] | None = None,
) -> LikelihoodRatio:
    """LR for "the POI is the missing person" against "the POI is unrelated" (forrel::missingPersonLR)."""
    h1, h2 = missing_person_hypotheses(family, missing, poi)
    _, lrs = kinship_lr([h1, h2], markers, genotypes, reference="H2", theta=theta, dropout=dropout)
    return lrs[0]
