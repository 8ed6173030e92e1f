"""Joint identification benchmark: the F07 refcase and a simulated national-scale problem.

    .venv/bin/python bench/joint.py                      # F07 + 10,000 remains × 5,000 families
    .venv/bin/python bench/joint.py --families 500 --remains 1000   # quick

Part 1 (F07, 30 victims × 15 families): dvir's pipeline (findUndisputed, dviSolve) as
``mpid.matching.joint`` runs it, timed; the full joint table is beyond dvir (its expected output
has none), so the component solver is run on the same case and reports what it solved exactly.

Part 2 (national scale): families of a few pedigree shapes with 2–3 missing persons each, genotypes
by gene dropping from the built-in frequency table, remains from a share of the missing persons
plus unrelated people, some loci lost. Blind search (``mpid.matching.search``) gives candidate pairs,
``mpid.matching.components`` splits and solves them exactly under a bound, ``mpid.matching.policy``
decides. The baseline in the same run is the pairwise decision (best pairwise LR per remains, prior
1/N), and the size of the full joint space that dvir would have to enumerate.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from mpid.formats.refcase import load_refcase
from mpid.formats.refcase_results import joint_results
from mpid.genetics.frequencies import load_builtin_table
from mpid.genetics.markers import Marker
from mpid.genetics.pedigree import Pedigree
from mpid.matching.components import CandidateEdge, ComponentSettings, ReferenceFamily, Remains, solve_components
from mpid.matching.policy import Category, PolicySettings, Provenance, decide, decide_marginals
from mpid.matching.search import RemainsProfile, SearchSettings, blind_search
from mpid.matching.tables import FamilyInput

ROOT = Path(__file__).resolve().parents[1]
F07 = ROOT / "tests" / "refcases" / "F07_dvi_medium_30vic_15fam.json"

# Pedigree shapes: (records (id, father, mother, sex), missing, references)
SHAPES = {
    "brothers_with_parents": (
        [("FA", None, None, 1), ("MO", None, None, 2), ("M1", "FA", "MO", 1), ("M2", "FA", "MO", 1),
         ("S1", "FA", "MO", 2)], ("M1", "M2"), ("FA", "MO")),
    "three_sibs_mother_sister": (
        [("FA", None, None, 1), ("MO", None, None, 2), ("M1", "FA", "MO", 1), ("M2", "FA", "MO", 1),
         ("M3", "FA", "MO", 2), ("S1", "FA", "MO", 2)], ("M1", "M2", "M3"), ("MO", "S1")),
    "brothers_sister_only": (  # a sibling cannot exclude: many weak false candidates
        [("FA", None, None, 1), ("MO", None, None, 2), ("M1", "FA", "MO", 1), ("M2", "FA", "MO", 1),
         ("S1", "FA", "MO", 2)], ("M1", "M2"), ("S1",)),
    "father_and_son": (
        [("GF", None, None, 1), ("GM", None, None, 2), ("M1", "GF", "GM", 1), ("SP", None, None, 2),
         ("M2", "M1", "SP", 1), ("C1", "M1", "SP", 2)], ("M1", "M2"), ("GM", "SP", "C1")),
}


def builtin_markers(n: int = 21) -> list[Marker]:
    """The first ``n`` markers of the built-in frequency table."""
    tab = load_builtin_table()
    return [Marker(name, tuple(tab[name].alleles), np.asarray(tab[name].freqs, dtype=float))
            for name in tab.marker_names[:n]]


def _drop_genes(ped: Pedigree, markers: list[Marker], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Gene dropping: founders draw alleles by frequency, children one allele from each parent."""
    n_mark = len(markers)
    alleles = np.empty((len(ped), n_mark, 2), dtype=np.int64)
    for k, m in enumerate(markers):
        p = m.freqs / m.freqs.sum()
        founders = ped.father < 0
        alleles[founders, k, :] = rng.choice(len(p), size=(int(founders.sum()), 2), p=p)
    for i in range(len(ped)):
        f, mo = int(ped.father[i]), int(ped.mother[i])
        if f >= 0:
            alleles[i, :, 0] = alleles[f, np.arange(n_mark), rng.integers(0, 2, n_mark)]
            alleles[i, :, 1] = alleles[mo, np.arange(n_mark), rng.integers(0, 2, n_mark)]
    return {lab: alleles[i] for i, lab in enumerate(ped.labels)}


def _profile(a: np.ndarray, markers: list[Marker]) -> dict[str, tuple[str, str]]:
    out = {}
    for k, m in enumerate(markers):
        x, y = sorted((int(a[k, 0]), int(a[k, 1])))
        out[m.name] = (m.alleles[x], m.alleles[y])
    return out


def simulate(n_families: int, n_remains: int, markers: list[Marker], rng: np.random.Generator,
             found: float = 0.6, locus_loss: float = 0.1):
    """Families (several missing each), remains (found missing persons + unrelated), and the truth."""
    families: dict[str, ReferenceFamily] = {}
    truth_pool = []
    shapes = list(SHAPES)
    for k in range(n_families):
        recs, missing, refs = SHAPES[shapes[k % len(shapes)]]
        pre = f"F{k + 1:05d}_"
        ped = Pedigree.from_records([{"id": pre + i, "father": pre + f if f else None,
                                      "mother": pre + m if m else None, "sex": s} for i, f, m, s in recs])
        geno = _drop_genes(ped, markers, rng)
        families[pre[:-1]] = ReferenceFamily(pre[:-1], ped, tuple(pre + x for x in missing),
                                             {pre + r: _profile(geno[pre + r], markers) for r in refs})
        for x in missing:
            truth_pool.append((pre + x, pre[:-1], int(ped.sex[ped.index(pre + x)]), geno[pre + x]))
    remains, truth, sexes = {}, {}, {}
    for mp, _fam, sex, g in truth_pool:
        if len(remains) < n_remains and rng.random() < found:
            rid = f"R{len(remains) + 1:06d}"
            remains[rid], truth[rid], sexes[rid] = g, mp, sex
    while len(remains) < n_remains:
        rid = f"R{len(remains) + 1:06d}"
        g = np.stack([rng.choice(m.freqs.size, size=2, p=m.freqs / m.freqs.sum()) for m in markers])
        remains[rid], truth[rid], sexes[rid] = g, None, int(rng.integers(1, 3))
    out = {}
    for rid, g in remains.items():
        prof = _profile(g, markers)
        out[rid] = Remains(rid, {k: v for k, v in prof.items() if rng.random() >= locus_loss})
    return families, out, truth, sexes


def bench_f07(settings: ComponentSettings) -> None:
    """Part 1: the F07 refcase."""
    case = load_refcase(F07)
    t0 = time.perf_counter()
    res = joint_results(case)
    t_solve = time.perf_counter() - t0
    concl = Counter(r["Conclusion"] for r in res["dviSolve"]["PM"])
    print(f"F07 ({len(case.victims)} victims × {len(case.families)} families, "
          f"{sum(len(f.missing) for f in case.families)} missing)")
    print(f"  undisputed + dviSolve (dvir pipeline): {t_solve:.2f} s; joint table: "
          f"{'computed' if 'joint' in res else 'skipped (space above the bound)'}")
    print(f"  dviSolve PM conclusions: {dict(concl)}")
    exp = case.raw["expected"]
    fam_of = {m: f.name for f in case.families for m in f.missing}
    families = {f.name: ReferenceFamily(f.name, f.pedigree, f.missing,
                                        {p: case.genotypes[p] for p in f.references if p in case.genotypes})
                for f in case.families}
    remains = {v: Remains(v, case.genotypes.get(v, {})) for v in case.victims}
    edges = [CandidateEdge(v, fam_of[m], m, lr, exp["exclusion_matrix"][v][m])
             for v, row in exp["pairwise_lr"].items() for m, lr in row.items() if lr]
    space = math.prod(1 + sum(1 for m in row if row[m] is not None) for row in exp["pairwise_lr"].values())
    t0 = time.perf_counter()
    solved, report = solve_components(edges, families, remains, case.markers, settings)
    t_comp = time.perf_counter() - t0
    print(f"  full joint space bound Π(1 + pairings) = 10^{math.log10(space):.1f} assignments (dvir: not run)")
    print(f"  components (LR ≥ {settings.lr_floor:g}, ≤ {settings.max_incompatible} incompatible): {t_comp:.2f} s")
    print("  " + report.summary().replace("\n", "\n  "))


def bench_national(n_families: int, n_remains: int, seed: int, settings: ComponentSettings,
                   out: Path | None) -> None:
    """Part 2: a simulated national-scale problem."""
    rng = np.random.default_rng(seed)
    markers = builtin_markers()
    t0 = time.perf_counter()
    families, remains, truth, sexes = simulate(n_families, n_remains, markers, rng)
    t_sim = time.perf_counter() - t0
    n_missing = sum(len(f.missing) for f in families.values())
    n_related = sum(1 for v in truth.values() if v is not None)
    print(f"\nnational: {len(remains)} remains ({n_related} of missing persons) × {len(families)} families, "
          f"{n_missing} missing, {len(markers)} markers; simulated in {t_sim:.1f} s")
    fam_inputs = [FamilyInput(f.name, f.pedigree, m, f.references) for f in families.values() for m in f.missing]
    profiles = [RemainsProfile(r.remains_id, dict(r.genotypes), sexes[r.remains_id]) for r in remains.values()]
    t0 = time.perf_counter()
    search = blind_search(profiles, fam_inputs, markers, SearchSettings(threshold_lr=settings.lr_floor))
    t_search = time.perf_counter() - t0
    print(f"  blind search (tables + all pairs, LR ≥ {settings.lr_floor:g}): {t_search:.1f} s, "
          f"{len(search.candidates)} candidate pairs")
    edges = [CandidateEdge(c.remains_id, c.family, c.missing, c.lr, c.n_exclusions) for c in search.candidates]
    t0 = time.perf_counter()
    solved, report = solve_components(edges, families, remains, markers, settings)
    t_comp = time.perf_counter() - t0
    print(f"  components + exact joint solve: {t_comp:.1f} s")
    print("  " + report.summary().replace("\n", "\n  "))
    # Decisions: joint (component marginals) and the pairwise baseline.
    policy = PolicySettings()
    prov = Provenance.for_settings(policy, "NorwegianFrequencies_forrel", load_builtin_table().version,
                                   components=json.loads(json.dumps(report.to_dict()["settings"])))
    best_pair: dict[str, tuple[str, float, int]] = {}
    for e in edges:
        if e.remains not in best_pair or e.lr > best_pair[e.remains][1]:
            best_pair[e.remains] = (e.missing, e.lr, e.n_incompatible)
    stats = {(e.remains, e.missing): (e.lr, e.n_incompatible) for e in edges}
    marginals = {r: marg for c in solved for r, marg in c.marginals.items()}
    family_of = {m: f.name for f in families.values() for m in f.missing}
    joint_dec = decide_marginals(marginals, stats, prov, policy, family_of=family_of)
    pair_dec = []
    for r, (m, lr, n_inc) in best_pair.items():
        pair_dec.append(decide(r, m, lr, prov, policy, n_incompatible=n_inc, n_missing_in_scope=n_missing))
    for name, decs in (("joint (components)", joint_dec), ("pairwise baseline (prior 1/N)", pair_dec)):
        ident = [d for d in decs if d.category is Category.IDENTIFIED]
        wrong = sum(1 for d in ident if truth[d.remains] != d.missing)
        print(f"  {name}: identified {len(ident)} (wrong {wrong}), "
              f"probable {sum(1 for d in decs if d.category is Category.PROBABLE)}; "
              f"remains of missing persons: {n_related}")
    fam_level = [d for d in joint_dec if any("symmetric" in r for r in d.reasons)]
    fam_wrong = sum(1 for d in fam_level if truth[d.remains] is None or family_of[truth[d.remains]] != d.family)
    print(f"  joint, symmetric solutions identified to the family only: {len(fam_level)} (wrong family {fam_wrong})")
    if out is not None:
        out.write_text(json.dumps({"report": report.to_dict(),
                                   "timings_s": {"simulate": t_sim, "search": t_search, "components": t_comp}},
                                  indent=1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", type=int, default=5000)
    ap.add_argument("--remains", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--floor", type=float, default=100.0, help="LR floor of candidate pairs")
    ap.add_argument("--max-assignments", type=int, default=10_000)
    ap.add_argument("--skip-f07", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="write the national report here")
    args = ap.parse_args(argv)
    settings = ComponentSettings(lr_floor=args.floor, max_assignments=args.max_assignments)
    if not args.skip_f07:
        bench_f07(settings)
    bench_national(args.families, args.remains, args.seed, settings, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
