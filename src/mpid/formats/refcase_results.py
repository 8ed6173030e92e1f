"""Compute a reference case and write the results in the structure of its ``expected`` block.

Numbers that are −∞, ∞, NaN or undefined are written as ``null``, as the cases do, so the
output of ``mpid kinship CASE.json --json`` can be diffed against the case itself.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from mpid.genetics.kinship import HypothesisLikelihood, LikelihoodRatio, kinship_lr, missing_person_lr
from mpid.genetics.markers import Marker
from mpid.matching.direct import direct_match_all, merge_samples
from mpid.matching.joint import (
    DEFAULT_MAX_ASSIGNMENTS,
    DviData,
    DviEngine,
    DviFamilyState,
    JointSpaceTooLargeError,
    JointTable,
    bmarginal,
    count_assignments_bound,
    dvi_solve,
    find_undisputed,
    finite_or_none,
    generate_pairings,
    joint_table,
)

from .refcase import KINSHIP_CATEGORIES, Refcase

__all__ = ["direct_match_results", "dvi_data", "joint_block", "joint_results", "json_number", "kinship_results"]

log = logging.getLogger(__name__)


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


# ---------------------------------------------------------------------------------------------
# DVI: joint identification blocks (dvir's dviJoint, Bmarginal, findUndisputed, dviSolve)
# ---------------------------------------------------------------------------------------------
def dvi_data(case: Refcase) -> DviData:
    """The DVI problem of a refcase (all victims, families, missing; default pairings)."""
    fams = {}
    for f in case.families:
        typed = tuple(sorted((p, p) for p in f.pedigree.labels if case.genotypes.get(p) and p not in f.missing))
        fams[f.name] = DviFamilyState(f.name, f.pedigree, typed)
    missing = [m for f in case.families for m in f.missing]
    listed = case.raw.get("dvi", {}).get("missing") if isinstance(case.raw, dict) else None
    if isinstance(listed, list) and sorted(listed) == sorted(missing):
        missing = list(listed)
    return DviData(list(case.victims), fams, missing, None)


def joint_block(table: JointTable) -> dict[str, Any]:
    """The ``joint`` block: n_assignments, loglik_null and the sorted rows."""
    post = table.posterior()
    rows = []
    for a, ll, best, null, p in zip(table.assignments, table.log_lik, table.lr_vs_best, table.lr_vs_null, post,
                                    strict=True):
        rows.append({
            "assignment": dict(zip(table.victims, a, strict=True)),
            "loglik": finite_or_none(ll),
            "LR_vs_best": finite_or_none(best) if np.isfinite(ll) else None,
            "LR_vs_null": finite_or_none(null),
            "posterior_flat_prior": float(p),
        })
    return {"n_assignments": len(rows), "loglik_null": finite_or_none(table.log_lik_null), "table": rows}


def joint_results(
    case: Refcase,
    *,
    threshold: float = 1e4,
    threshold2: float = 1e3,
    max_incomp: int = 2,
    max_assign: int = DEFAULT_MAX_ASSIGNMENTS,
    max_joint_rows: int = 1_000_000,
) -> dict[str, Any]:
    """``joint``, ``bmarginal``, ``undisputed`` and ``dviSolve`` blocks of a DVI refcase.

    ``joint``/``bmarginal`` cover the whole problem and are omitted when it has more than
    ``max_joint_rows`` assignments (decided by the bound Π|pairings| first, then by an enumeration
    that stops at the limit); ``max_assign`` bounds the per-family joint tables inside dviSolve.
    """
    engine = DviEngine(case.markers, case.genotypes, case.victims, case.theta)
    dvi = dvi_data(case)
    ignore_sex = bool(case.settings.get("ignoreSex", False))
    pairings = generate_pairings(dvi, engine.victim_sex, ignore_sex=ignore_sex)
    if ignore_sex:
        dvi.pairings = pairings
    out: dict[str, Any] = {}
    bound = count_assignments_bound(dvi.victims, pairings)
    if bound <= 1000 * max_joint_rows:
        try:
            table = joint_table(DviData(dvi.victims, dvi.families, dvi.missing, pairings), engine, max_joint_rows)
            out["joint"] = joint_block(table)
            out["bmarginal"] = bmarginal(table)
        except JointSpaceTooLargeError:
            log.info("joint space above %d assignments: no joint table", max_joint_rows)
    else:
        log.info("joint space bound %.3g above %d assignments: no joint table", bound, 1000 * max_joint_rows)
    und = find_undisputed(dvi, engine, threshold, strict=False)
    out["undisputed"] = {
        "threshold": threshold,
        "strict": False,
        "summary": [
            {k: (finite_or_none(v) if k == "LR" else v) for k, v in r.items() if k != "GLR"} for r in und.summary
        ],
    }
    out["dviSolve"] = dvi_solve(dvi, engine, threshold, threshold2, max_incomp, max_assign=max_assign)
    return out
