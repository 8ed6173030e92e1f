"""Checking a demo register against the scenario's ground truth (``truth/``), for ``mpid evaluate``.

The register (``DIR/mpid.sqlite``) was filled from the scenario's field, lab and agency files
only (:mod:`mpid.services.scenario`); this module is the only one that reads ``truth/``. It links
register cases to simulated persons (a case's pedigree label is the person id of ``families.json``;
a case without a pedigree through its agency records), remains to persons (``truth/samples.csv``),
and reports:

* ``true_identifications`` / ``false_identifications``: the pairs the identification policy
  accepted (the joint run when there is one, else the blind search), right or wrong;
* ``missed``: recovered missing persons on the lists who were not identified, each with a reason:
  ``no references`` (the family gave no sample), ``no profile`` (every extraction failed),
  ``excluded`` (more than the allowed incompatible markers: mutations), ``too degraded`` (the
  person's full profile would have been identified, the bone profiles were not enough),
  ``below threshold`` (even the full profile would not reach the policy: the references are too
  weak), or ``competing candidates`` (the LR reaches the policy but other candidates share the
  posterior);
* the true-positive rate and the false-positive count at the policy, the identification rate among
  the recovered missing with at least one parent, one child or two full siblings typed, and the
  same by kind of references;
* references are those the register holds: a relative who gave a sample when the commission asked
  again (``truth/followup_donors.csv``, :func:`with_followup_references`) counts once their sample
  is registered;
* the distribution of log10 LR of every true and every false (remains, missing person) pair of the
  blind search (all pairs, not only candidates; false pairs within one family — the remains of a
  relative of the missing person — shown apart), as figures and as a plot (PNG).
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mpid.matching.policy import PolicySettings
from mpid.registry.db import make_engine, make_session_factory
from mpid.registry.models import (
    CandidateMatch,
    MatchRun,
    MissingPerson,
    PedigreePerson,
    Remains,
    Report,
    Sample,
)
from mpid.registry.models.enums import MatchRunKind, MatchRunStatus
from mpid.registry.repositories import existing_values

__all__ = [
    "PLOT_NAME",
    "Truth",
    "eligible",
    "evaluate",
    "latest_run",
    "load_truth",
    "reference_kind",
]

PLOT_NAME = "lr_distribution.png"
REASONS = ("no references", "no profile", "excluded", "too degraded", "below threshold", "competing candidates")


@dataclass(frozen=True)
class Truth:
    """The scenario's ground truth, as read from ``truth/``."""

    persons: dict[str, dict[str, str]]  # person id → row of persons.csv
    remains_person: dict[str, str]  # remains code → person id
    samples: list[dict[str, str]]
    record_person: dict[str, str]  # agency record id → person id
    profiles: dict[str, dict[str, tuple[str, str]]]  # person id → full true profile


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_truth(directory: str | Path) -> Truth:
    """Read ``truth/`` of a scenario directory."""
    root = Path(directory) / "truth"
    persons = {row["person_id"]: row for row in _csv(root / "persons.csv")}
    samples = _csv(root / "samples.csv")
    remains_person = {row["remains_id"]: row["person_id"] for row in samples}
    records = {row["record_id"]: row["true_person_id"] for row in _csv(root / "reports.csv")}
    profiles: dict[str, dict[str, tuple[str, str]]] = {}
    path = root / "missing_persons_profiles.txt"
    if path.is_file():
        from mpid.formats.genemapper import parse_genemapper

        for record in parse_genemapper(path):
            profiles[record.sample_id] = {
                locus: (values[0], values[1] if len(values) > 1 and values[1] is not None else values[0])
                for locus, values in record.loci.items() if values and values[0] is not None
            }
    return Truth(persons, remains_person, samples, records, profiles)


_FOLLOWUP_COUNTS = {"parent": "typed_parents", "child": "typed_children", "full_sibling": "typed_full_siblings",
                    "spouse": "typed_spouses"}


def with_followup_references(root: Path, persons: dict[str, dict[str, str]],
                             registered: Callable[[set[str]], set[str]]) -> dict[str, dict[str, str]]:
    """The persons' reference counts once the follow-up donors that reached the register are added.

    ``truth/followup_donors.csv`` says how each relative the commission could still ask is related to
    each missing person; ``registered(barcodes)`` tells which of their samples the register holds.
    Eligibility and reference classes are then those of the references actually used.
    """
    path = root / "truth" / "followup_donors.csv"
    if not path.is_file():
        return persons
    rows = _csv(path)
    given = registered({row["sample_barcode"] for row in rows})
    if not given:
        return persons
    out = {pid: dict(row) for pid, row in persons.items()}
    donors_of: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        person = out.get(row["missing_person_id"])
        if row["sample_barcode"] not in given or person is None:
            continue
        column = _FOLLOWUP_COUNTS.get(row["relation"])
        if column is not None:
            person[column] = str(int(person.get(column) or 0) + 1)
        donors_of[row["missing_person_id"]].add(row["donor_id"])
    for pid, donors in donors_of.items():
        out[pid]["n_donors"] = str(int(out[pid].get("n_donors") or 0) + len(donors))
    return out


def reference_kind(person: dict[str, str]) -> str:
    """The references of a missing person, in the classes of docs/simulation.md."""
    parents = int(person.get("typed_parents") or 0)
    children = int(person.get("typed_children") or 0)
    sibs = int(person.get("typed_full_siblings") or 0)
    spouses = int(person.get("typed_spouses") or 0)
    if parents >= 2:
        return "both parents"
    if parents == 1:
        return "one parent"
    if children and spouses:
        return "children and their other parent"
    if children:
        return "children only"
    if sibs >= 2:
        return "two or more full siblings"
    if int(person.get("n_donors") or 0) > 0:
        return "other relatives only"
    return "no references"


def eligible(person: dict[str, str]) -> bool:
    """At least one parent, one child or two full siblings typed (the acceptance population)."""
    return (int(person.get("typed_parents") or 0) >= 1 or int(person.get("typed_children") or 0) >= 1
            or int(person.get("typed_full_siblings") or 0) >= 2)


def latest_run(session: Session, kind: MatchRunKind) -> MatchRun | None:
    """The newest finished run of a kind."""
    return session.scalars(
        select(MatchRun).where(MatchRun.kind == kind, MatchRun.status == MatchRunStatus.FINISHED)
        .order_by(MatchRun.id.desc())
    ).first()


def _case_persons(session: Session, truth: Truth) -> dict[int, str]:
    """Register missing person id → simulated person id (pedigree label, else the agency records)."""
    out: dict[int, str] = {}
    for mp_id, label in session.execute(
        select(PedigreePerson.missing_person_id, PedigreePerson.label).where(
            PedigreePerson.missing_person_id.is_not(None))
    ):
        if label in truth.persons:
            out[mp_id] = label
    votes: dict[int, Counter[str]] = defaultdict(Counter)
    for mp_id, ref in session.execute(select(Report.missing_person_id, Report.source_reference)):
        if mp_id not in out and ref in truth.record_person:
            votes[mp_id][truth.record_person[ref]] += 1
    for mp_id, counter in votes.items():
        out[mp_id] = counter.most_common(1)[0][0]
    return out


def _identifications(session: Session, run: MatchRun | None) -> list[CandidateMatch]:
    if run is None:
        return []
    return list(session.scalars(select(CandidateMatch).where(
        CandidateMatch.run_id == run.id, CandidateMatch.conclusion == "identified",
        CandidateMatch.missing_person_id.is_not(None))))


def _all_pair_lrs(session: Session, run: MatchRun, all_pairs: bool = True,
                  block: int = 300) -> tuple[Any, np.ndarray, np.ndarray]:
    """Every (remains, missing person) LR and incompatibility count of the blind search's problem.

    ``all_pairs=False``: only the run's stored candidates (LR ≥ its threshold); the rest is NaN.
    """
    from mpid.matching.search import pairwise_matrices
    from mpid.services.matching import MatchSettings, build_problem

    settings = MatchSettings(**{k: v for k, v in (run.settings or {}).items()
                                if k in MatchSettings.__dataclass_fields__})
    problem = build_problem(session, settings)
    n_r, n_f = len(problem.remains), len(problem.families)
    lr = np.full((n_r, n_f), np.nan)
    excl = np.full((n_r, n_f), np.nan)
    if not all_pairs:
        row_of = {problem.remains_ids[r.remains_id]: i for i, r in enumerate(problem.remains)}
        col_of = {problem.missing_ids[f"{f.family}/{f.missing}"]: j for j, f in enumerate(problem.families)}
        for c in session.scalars(select(CandidateMatch).where(CandidateMatch.run_id == run.id)):
            i, j = row_of.get(c.remains_id), col_of.get(c.missing_person_id)
            if i is not None and j is not None:
                lr[i, j], excl[i, j] = c.lr, c.n_exclusions or 0
        return problem, lr, excl
    for start in range(0, n_f, block):
        part = problem.families[start:start + block]
        if not part or not problem.remains:
            continue
        lr_b, ex_b = pairwise_matrices(problem.remains, part, problem.markers)
        lr[:, start:start + len(part)] = lr_b
        excl[:, start:start + len(part)] = ex_b
    return problem, lr, excl


def _full_profile_lr(problem: Any, family_index: int, profile: dict[str, tuple[str, str]]) -> float | None:
    """LR of the person's true full profile against their family (what a perfect sample would give)."""
    from mpid.genetics.alleles import canonical_locus
    from mpid.genetics.kinship import missing_person_lr

    fam = problem.families[family_index]
    genotypes = {}
    for marker in problem.markers:
        for locus, g in profile.items():
            if canonical_locus(locus) == marker.name and g[0] in marker.alleles and g[1] in marker.alleles:
                genotypes[marker.name] = g
    if not genotypes:
        return None
    try:
        result = missing_person_lr(fam.pedigree, fam.missing, "__remains__", problem.markers,
                                   {**fam.genotypes, "__remains__": genotypes})
    except (KeyError, ValueError):
        return None
    total = result.total
    return None if total is None else float(total)


def evaluate(
    directory: str | Path,
    *,
    engine: Engine | None = None,
    policy: PolicySettings | None = None,
    plot: bool = True,
    all_pairs: bool = True,
) -> dict[str, Any]:
    """Compare the register ``DIR/mpid.sqlite`` with ``DIR/truth``; JSON-ready figures (and a PNG plot)."""
    root = Path(directory)
    policy = policy or PolicySettings()
    truth = load_truth(root)
    engine = engine or make_engine(f"sqlite:///{root / 'mpid.sqlite'}")
    with make_session_factory(engine)() as session:
        blind = latest_run(session, MatchRunKind.BLIND)
        joint = latest_run(session, MatchRunKind.JOINT)
        if blind is None:
            raise LookupError(f"{root}: the register has no finished blind search (run mpid demo first)")
        decisive = joint or blind
        truth = replace(truth, persons=with_followup_references(
            root, truth.persons, lambda barcodes: existing_values(session, Sample.barcode, barcodes)))
        case_person = _case_persons(session, truth)
        remains_code = dict(session.execute(select(Remains.id, Remains.code)).all())
        case_code = dict(session.execute(select(MissingPerson.id, MissingPerson.case_code)).all())
        problem, lrs, excl = _all_pair_lrs(session, blind, all_pairs)
        stages = {"blind search": _identifications(session, blind)}
        if joint is not None:
            stages["joint identification"] = _identifications(session, joint)
            earlier = session.scalars(
                select(MatchRun).where(MatchRun.kind == MatchRunKind.JOINT, MatchRun.status == MatchRunStatus.FINISHED,
                                       MatchRun.id < joint.id).order_by(MatchRun.id.desc())).first()
            if earlier is not None and (joint.started_by or "").endswith("(follow-up)"):
                stages["joint identification before follow-up"] = _identifications(session, earlier)

    def score(rows: list[CandidateMatch]) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
        true_ids: dict[str, dict[str, Any]] = {}
        false_ids: list[dict[str, Any]] = []
        for c in rows:
            code = remains_code.get(c.remains_id)
            actual = truth.remains_person.get(code or "")
            claimed = case_person.get(c.missing_person_id)
            entry = {"case_code": case_code.get(c.missing_person_id), "remains": code,
                     "log10_lr": _log10(c.lr), "posterior": c.posterior}
            if actual is not None and actual == claimed:
                t = true_ids.setdefault(actual, {"person_id": actual, "case_code": entry["case_code"],
                                                 "remains": [], "log10_lr": entry["log10_lr"],
                                                 "posterior": c.posterior})
                t["remains"].append(code)
                if entry["log10_lr"] is not None and (t["log10_lr"] is None or entry["log10_lr"] > t["log10_lr"]):
                    t["log10_lr"], t["posterior"] = entry["log10_lr"], c.posterior
            else:
                false_ids.append({**entry, "claimed_person_id": claimed, "true_person_id": actual})
        return true_ids, false_ids

    true_ids, false_ids = score(stages[("joint identification" if joint is not None else "blind search")])

    # Pair LRs of the blind search's problem, by truth.
    r_person = [truth.remains_person.get(r.remains_id) for r in problem.remains]
    mp_person = [case_person.get(problem.missing_ids[f"{f.family}/{f.missing}"]) for f in problem.families]
    col_of_person: dict[str, int] = {p: j for j, p in enumerate(mp_person) if p is not None}
    true_log, false_log, kin_log = [], [], []
    n_false_zero = 0
    family_of_person = {pid: row.get("family_id") for pid, row in truth.persons.items()}
    mp_family = [family_of_person.get(p or "") for p in mp_person]
    best_true: dict[str, tuple[float, int, int]] = {}  # person → (lr, remains index, exclusions)
    for i, person in enumerate(r_person):
        row = lrs[i]
        j_true = col_of_person.get(person) if person is not None else None
        for j in np.nonzero(np.isfinite(row))[0].tolist():
            value = float(row[j])
            if j == j_true:
                true_log.append(_log10(value))
                known = best_true.get(person)
                if known is None or value > known[0]:
                    best_true[person] = (value, i, int(excl[i, j]) if np.isfinite(excl[i, j]) else 0)
            elif value > 0:
                false_log.append(math.log10(value))
                if person is not None and mp_family[j] and family_of_person.get(person) == mp_family[j]:
                    kin_log.append(math.log10(value))
            else:
                n_false_zero += 1

    # Missed, with reasons.
    sample_ok: dict[str, bool] = defaultdict(bool)
    for s in truth.samples:
        sample_ok[s["person_id"]] |= s.get("profile_status") == "ok"
    prior = decisive.summary.get("prior") if decisive.summary else None
    prior = prior or (1.0 / len(problem.families) if problem.families else None)
    recovered = [p for p in truth.persons.values() if p["on_missing_list"] == "1" and p["recovered"] == "1"]
    missed = []
    for person in recovered:
        pid = person["person_id"]
        if pid in true_ids:
            continue
        item: dict[str, Any] = {"person_id": pid, "references": reference_kind(person)}
        best = best_true.get(pid)
        if best is not None:
            item["best_log10_lr"] = _log10(best[0])
            item["incompatible_markers"] = best[2]
        if int(person.get("n_donors") or 0) == 0 or pid not in col_of_person:
            reason = "no references"
        elif not sample_ok[pid]:
            reason = "no profile"
        elif best is not None and best[2] > policy.max_incompatible:
            reason = "excluded"
        elif (best is not None and best[0] >= policy.identify_lr and prior
              and _posterior(best[0], prior) >= policy.identify_posterior):
            reason = "competing candidates"
        else:
            full = _full_profile_lr(problem, col_of_person[pid], truth.profiles.get(pid, {}))
            item["full_profile_log10_lr"] = _log10(full) if full is not None else None
            good = (full is not None and full >= policy.identify_lr and prior is not None
                    and _posterior(full, prior) >= policy.identify_posterior)
            reason = "too degraded" if good else "below threshold"
        item["reason"] = reason
        missed.append(item)

    def rate(group: list[dict[str, str]]) -> dict[str, Any]:
        n = len(group)
        k = sum(1 for p in group if p["person_id"] in true_ids)
        return {"n": n, "identified": k, "rate": (k / n) if n else None}

    by_kind: dict[str, list[dict[str, str]]] = defaultdict(list)
    for p in recovered:
        by_kind[reference_kind(p)].append(p)
    elig = [p for p in recovered if eligible(p)]
    stage_figures = {}
    for name, rows in stages.items():
        t, f = score(rows)
        stage_figures[name] = {"true_identifications": len(t), "false_identifications": len(f),
                               "rate_eligible": (sum(1 for p in elig if p["person_id"] in t) / len(elig))
                               if elig else None}
    report: dict[str, Any] = {
        "directory": str(root),
        "policy": {"identify_posterior": policy.identify_posterior, "identify_lr": policy.identify_lr,
                   "max_incompatible": policy.max_incompatible, "prior": prior,
                   "decided_by": "joint identification" if joint is not None else "blind search"},
        "true_identifications": sorted(true_ids.values(), key=lambda x: x["person_id"]),
        "false_identifications": false_ids,
        "missed": sorted(missed, key=lambda x: (x["reason"], x["person_id"])),
        "missed_by_reason": dict(sorted(Counter(m["reason"] for m in missed).items())),
        "recovered_missing": len(recovered),
        "true_positive_rate": (len(true_ids) / len(recovered)) if recovered else None,
        "false_positive_count": len(false_ids),
        "identification_rate_eligible": rate(elig),
        "by_references": {k: rate(v) for k, v in sorted(by_kind.items())},
        "stages": stage_figures,
        "lr_distribution": {
            "pairs": "all (remains, missing person) pairs" if all_pairs
            else f"blind-search candidates only (LR ≥ {blind.settings.get('threshold_lr', 1e3):g})",
            "true_pairs": _summary(true_log),
            "false_pairs": {**_summary(false_log), "n_zero": n_false_zero},
            "false_pairs_same_family": _summary(kin_log),
        },
    }
    if plot:
        report["plot"] = str(_plot(root / PLOT_NAME, true_log, false_log, kin_log, policy, prior,
                                   "" if all_pairs else report["lr_distribution"]["pairs"]))
    return report


def _posterior(lr: float, prior: float) -> float:
    if math.isinf(lr):
        return 1.0
    return lr * prior / (lr * prior + 1.0 - prior)


def _log10(x: float | None) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    if x <= 0:
        return None
    return math.inf if math.isinf(x) else round(math.log10(x), 4)


def _summary(values: list[float | None]) -> dict[str, Any]:
    finite = np.array([v for v in values if v is not None and math.isfinite(v)])
    out: dict[str, Any] = {"n": len(values), "n_lr_zero": sum(1 for v in values if v is None)}
    if finite.size:
        q = np.quantile(finite, [0.0, 0.05, 0.5, 0.95, 1.0])
        out.update({"min": round(float(q[0]), 3), "p5": round(float(q[1]), 3), "median": round(float(q[2]), 3),
                    "p95": round(float(q[3]), 3), "max": round(float(q[4]), 3),
                    "n_ge_4": int((finite >= 4).sum()), "n_ge_6": int((finite >= 6).sum())})
    return out


def _plot(path: Path, true_log: list[float | None], false_log: list[float], kin_log: list[float],
          policy: PolicySettings, prior: float | None, note: str = "") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [v for v in true_log if v is not None and math.isfinite(v)]
    f = [v for v in false_log if math.isfinite(v)]
    lo = math.floor(min([*t, *f, -10.0]))
    hi = math.ceil(max([*t, *f, 10.0]))
    bins = np.linspace(max(lo, -60), min(hi, 60), 80)
    fig, ax = plt.subplots(figsize=(9, 5))
    ax.hist(np.clip(f, bins[0], bins[-1]), bins=bins, alpha=0.6, label=f"false pairs (n = {len(f):,}; LR > 0)",
            color="tab:red")
    ax.hist(np.clip(t, bins[0], bins[-1]), bins=bins, alpha=0.6, label=f"true pairs (n = {len(t):,}; LR > 0)",
            color="tab:blue")
    if kin_log:
        ax.hist(np.clip(kin_log, bins[0], bins[-1]), bins=bins, histtype="step", linewidth=1.5, color="tab:orange",
                label=f"false pairs within one family: a relative (n = {len(kin_log):,})")
    ax.set_yscale("log")
    ax.axvline(math.log10(policy.identify_lr), color="k", linestyle="--", linewidth=1,
               label=f"LR ≥ {policy.identify_lr:g}")
    if prior:
        needed = math.log10(policy.identify_posterior / (1 - policy.identify_posterior) * (1 - prior) / prior)
        ax.axvline(needed, color="k", linestyle=":", linewidth=1,
                   label=f"posterior ≥ {policy.identify_posterior:.2%} at prior {prior:.2g}")
    ax.set_xlabel("log10 LR (remains vs missing person of a family)")
    ax.set_ylabel("pairs")
    ax.set_title("Blind search: log10 LR of true and false pairs" + (f"\n({note})" if note else ""))
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_json(report: dict[str, Any], path: str | Path) -> None:
    """Write a report as JSON (∞ as strings)."""
    Path(path).write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
