"""Compute a reference case and write the results in the structure of its ``expected`` block.

Numbers that are −∞, ∞, NaN or undefined are written as ``null``, as the cases do, so the
output of ``mpid kinship CASE.json --json`` can be diffed against the case itself.
"""

from __future__ import annotations

import math
from typing import Any

from mpid.genetics.kinship import HypothesisLikelihood, LikelihoodRatio, kinship_lr, missing_person_lr
from mpid.genetics.markers import Marker
from mpid.matching.direct import direct_match_all, merge_samples

from .refcase import KINSHIP_CATEGORIES, Refcase

__all__ = ["direct_match_results", "json_number", "kinship_results"]


def json_number(x: float | None) -> float | None:
    """A JSON-safe number: None for None, ±∞ and NaN."""
    if x is None or (isinstance(x, float) and (math.isinf(x) or math.isnan(x))):
        return None
    return x


def _likelihood_block(liks: dict[str, HypothesisLikelihood]) -> dict[str, Any]:
    return {
        name: {
            "per_marker": {m: json_number(v) for m, v in hl.per_marker.items()},
            "loglik_per_marker": {m: json_number(v) for m, v in hl.loglik_per_marker.items()},
            "loglik_total": json_number(hl.loglik_total),
            "log10_lik_total": json_number(hl.log10_lik_total),
        }
        for name, hl in liks.items()
    }


def _lr_block(lrs: list[LikelihoodRatio]) -> list[dict[str, Any]]:
    return [
        {
            "numerator": lr.numerator,
            "denominator": lr.denominator,
            "per_marker": {m: json_number(v) for m, v in lr.per_marker.items()},
            "total": json_number(lr.total),
            "log10_total": json_number(lr.log10_total),
            "ln_total": json_number(lr.ln_total),
        }
        for lr in lrs
    ]


def _compute(case: Refcase, markers: list[Marker], theta: float) -> dict[str, Any]:
    liks, lrs = kinship_lr(case.hypotheses, markers, case.genotypes, reference=case.reference_hypothesis, theta=theta)
    return {"likelihoods": _likelihood_block(liks), "lr": _lr_block(lrs)}


def kinship_results(case: Refcase) -> dict[str, Any]:
    """Likelihoods per hypothesis and LRs, plus the category's extra reference blocks."""
    if case.category not in KINSHIP_CATEGORIES:
        raise ValueError(f"{case.case_id}: category {case.category!r} is not a kinship category")
    out = _compute(case, case.markers, case.theta)
    if case.category == "missing_person":
        mp = _missing_person_block(case)
        if mp is not None:
            out["forrel_missingPersonLR"] = mp
    if any(m.mutation is not None for m in case.markers):
        out["no_mutation_reference"] = _compute(case, [m.without_mutation() for m in case.markers], case.theta)
    if case.theta > 0:
        out["theta0_reference"] = _compute(case, case.markers, 0.0)
    if any(m.silent_frequency > 0 for m in case.markers):
        plain = [Marker(m.name, m.alleles, m.freqs, m.mutation, 0.0) for m in case.markers]
        out["without_silent_allele_reference"] = _compute(case, plain, case.theta)
    return out


def _missing_person_block(case: Refcase) -> dict[str, Any] | None:
    """forrel::missingPersonLR(reference family, missing = "MP", poi) from the reference hypothesis."""
    ref = next(h for h in case.hypotheses if h.name == case.reference_hypothesis)
    family = next((p for p in ref.pedigrees if "MP" in p.labels), None)
    poi = next((p.labels[0] for p in ref.pedigrees if len(p) == 1 and p.labels[0] in case.genotypes), None)
    if family is None or poi is None:
        return None
    lr = missing_person_lr(family, "MP", poi, case.markers, case.genotypes, theta=case.theta)
    return {"LRtotal": json_number(lr.total), "LRperMarker": {m: json_number(v) for m, v in lr.per_marker.items()}}


def direct_match_results(case: Refcase) -> dict[str, Any]:
    """All pairwise direct-match LRs (``pairs``), and ``mergePM`` when the case asks for it."""
    samples = {s: case.genotypes.get(s, {}) for s in case.samples}
    theta = case.theta
    # The sex check is not applied in the θ version (as in the reference computation).
    matches = direct_match_all(samples, case.markers, sexes=case.samples, theta=theta, check_sex=theta == 0)
    pairs = []
    for m in matches:
        row: dict[str, Any] = {
            "sample1": m.sample1,
            "sample2": m.sample2,
            "lr_total": json_number(m.lr_total),
            "log10_lr_total": json_number(m.log10_lr_total),
            "markers_compared": list(m.markers_compared),
            "n_mismatches": m.n_mismatches,
            "per_marker": {k: json_number(v) for k, v in m.per_marker.items()},
        }
        if theta > 0:
            row["lik_same_person_per_marker"] = m.lik_same_person
            row["lik_two_unrelated_per_marker"] = m.lik_two_unrelated
        pairs.append(row)
    out: dict[str, Any] = {"pairs": pairs}
    expected = case.raw.get("expected", {})
    if "mergePM" in expected:
        thr = float(expected["mergePM"].get("threshold", 1e4))
        groups = merge_samples(samples, matches, threshold=thr)
        out["mergePM"] = {
            "threshold": thr,
            "method": groups.method,
            "groups": groups.groups,
            "nonmissing": groups.nonmissing,
            "LRmat": {a: {b: json_number(v) for b, v in row.items()} for a, row in groups.lr_matrix.items()},
        }
    return out
