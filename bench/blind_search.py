"""Benchmark: blind search of M remains against N families, checked against the exact per-pair engine.

    .venv/bin/python bench/blind_search.py --families 10000 --remains 10000 --loci 21
    .venv/bin/python bench/blind_search.py --families 2000 --remains 1000 --loci 22 --mutation stepwise

``--mutation stepwise`` gives every marker the demo's stepwise model (rate 0.001; tables then
span the full allele space, not the lumped one) and adds the per-locus LRs a register run stores
for each candidate: read from the search's tables, against the exact engine for every candidate
(what a run did before), timed in the same run.

Simulates families (1–4 typed references of varied relationships, consanguinity included)
with the public Norwegian frequencies, and remains of which a third are true missing
persons (degraded: partial profiles with dropout), the rest unrelated people. Runs the
fast engine (family tables + numba search), then recomputes a random sample of pairs with
the exact per-pair kinship engine (``missing_person_lr``) and prints times, pairs per second,
the speed ratio on the sample, the largest relative difference and how many true pairs
were found above the threshold.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time

import numpy as np

from mpid.genetics.frequencies import load_builtin_table
from mpid.genetics.kinship import missing_person_lr
from mpid.genetics.markers import Marker
from mpid.genetics.mutation import MutationModel
from mpid.genetics.pedigree import Pedigree
from mpid.matching.search import RemainsProfile, SearchSettings, blind_search, encode_remains, search_family_block
from mpid.matching.tables import FamilyInput, build_tables
from mpid.simulate.families import simulate_families
from mpid.simulate.kit import kit_frequencies
from mpid.simulate.profiles import simulate_remains

# The demo's model (mpid demo; the scenario's lab/dvi.fam declares the same) for every marker.
STEPWISE = {"model": "stepwise", "rate": 0.001, "rate2": 1e-6, "range": 0.1}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--families", type=int, default=10_000)
    ap.add_argument("--remains", type=int, default=10_000)
    ap.add_argument("--loci", type=int, default=21)
    ap.add_argument("--sample", type=int, default=200, help="pairs recomputed with the exact engine (at least 200)")
    ap.add_argument("--threshold", type=float, default=1e3)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--mutation", choices=("none", "stepwise"), default="none",
                    help="mutation model of every marker (stepwise: the demo's, rate 0.001)")
    args = ap.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    table = load_builtin_table("NorwegianFrequencies_forrel")
    kf = kit_frequencies(table)
    loci = list(kf.loci[: args.loci])
    markers = [Marker.from_frequencies(table[m]) for m in loci]
    if args.mutation == "stepwise":
        markers = [
            Marker(m.name, m.alleles, m.freqs,
                   MutationModel.from_params(m.alleles, m.freqs, STEPWISE, STEPWISE))
            for m in markers
        ]

    t0 = time.perf_counter()
    fams = simulate_families(args.families, kf, rng)
    inputs: list[FamilyInput] = []
    truth_genotypes = {}
    for f in fams:
        ped = Pedigree.from_records(
            [{"id": m.id, "father": m.father, "mother": m.mother, "sex": m.sex} for m in f.members]
        )
        refs = {d: {k: v for k, v in f.reference_genotypes[d].items() if k in loci} for d in f.donor_ids}
        if not refs:
            continue
        for mp in f.missing_ids:
            inputs.append(FamilyInput(f.family_id, ped, mp, refs))
            truth_genotypes[mp] = f.missing_genotypes[mp]
    n_true = args.remains // 3
    found = simulate_remains(fams, kf, rng, fraction_found=1.0, n_unlisted=args.remains, extra_fragments_mean=0.0)
    with_refs = {fi.missing for fi in inputs}
    true_samples = [s for s in found if s.true_family_id is not None and s.true_person_id in with_refs and s.profile]
    unlisted = [s for s in found if s.true_family_id is None and s.profile]
    random.Random(args.seed).shuffle(true_samples)
    chosen = true_samples[:n_true] + unlisted[: args.remains - min(n_true, len(true_samples))]
    remains = [
        RemainsProfile(
            s.sample_id,
            {k: (v[0], v[1]) for k, v in s.profile.items() if k in loci},
            0,
            float(s.dropout_probability),
        )
        for s in chosen
    ]
    truth = {s.sample_id: s.true_person_id for s in chosen if s.true_family_id is not None}
    t_sim = time.perf_counter() - t0
    n_partial = sum(1 for r in remains if any(g[1] is None for g in r.genotypes.values()))
    print(f"simulated {len(inputs)} missing persons in {len(fams)} families, {len(remains)} remains "
          f"({len(truth)} true, {n_partial} with partial loci), {len(loci)} loci in {t_sim:.1f} s")

    # Fast engine: tables and search timed apart (same code path as blind_search()).
    settings = SearchSettings(threshold_lr=args.threshold)
    enc = encode_remains(remains, markers)
    search_family_block(inputs[:2], markers, enc, settings, 1.0)  # compile the numba kernel outside the timing
    t1 = time.perf_counter()
    tabs = build_tables(inputs, markers)
    t_tables = time.perf_counter() - t1
    del tabs
    t2 = time.perf_counter()
    result = blind_search(remains, inputs, markers, settings)
    t_total = time.perf_counter() - t2
    n_pairs = len(remains) * len(inputs)
    print(f"tables alone: {t_tables:.1f} s ({len(inputs) * len(loci) / t_tables:,.0f} tables/s)")
    print(f"blind search, tables included: {t_total:.1f} s for {n_pairs:,} pairs "
          f"({n_pairs / t_total:,.0f} pairs/s); {len(result.candidates)} candidates with LR >= {args.threshold:g}")

    # Truth: how many true pairs reached the threshold.
    hits = {(c.remains_id, c.missing) for c in result.candidates}
    found_true = sum(1 for r, mp in truth.items() if (r, mp) in hits)
    print(f"true pairs above threshold: {found_true} of {len(truth)}")

    # Exact per-pair engine on a random sample (half candidates, half random pairs).
    prng = random.Random(args.seed + 1)
    by_mp = {fi.missing: fi for fi in inputs}
    cand_pairs = [(c.remains_id, c.missing) for c in result.candidates]
    prng.shuffle(cand_pairs)
    sample = cand_pairs[: args.sample // 2]
    while len(sample) < max(args.sample, 200):
        sample.append((prng.choice(remains).remains_id, prng.choice(inputs).missing))
    rem_by_id = {r.remains_id: r for r in remains}
    fast_lr = _fast_pairs(sample, rem_by_id, by_mp, markers)
    t3 = time.perf_counter()
    worst = 0.0
    for (rid, mp), fast in zip(sample, fast_lr, strict=True):
        fi = by_mp[mp]
        rem = rem_by_id[rid]
        genotypes = {**fi.genotypes, "POI": rem.genotypes}
        exact = missing_person_lr(fi.pedigree, mp, "POI", markers, genotypes, dropout={"POI": rem.dropout}).total
        if rem.sex and int(fi.pedigree.sex[fi.pedigree.index(mp)]) != rem.sex:
            continue
        if exact == 0:
            worst = max(worst, abs(fast))
        elif exact is not None and not math.isnan(fast):
            worst = max(worst, abs(fast - exact) / exact)
    t_exact = time.perf_counter() - t3
    per_pair_exact = t_exact / len(sample)
    per_pair_fast = t_total / n_pairs
    print(f"exact per-pair engine: {len(sample)} pairs in {t_exact:.1f} s ({per_pair_exact * 1e3:.1f} ms/pair)")
    print(f"speed ratio (exact per pair / fast per pair, tables included): {per_pair_exact / per_pair_fast:,.0f}x")
    print(f"largest relative difference fast vs exact: {worst:.2e}")
    if args.mutation != "none":
        worst = max(worst, _per_locus_figures(result.candidates, rem_by_id, by_mp, markers, args.sample))
    print(f"cores: {os.cpu_count()}")
    return 0 if worst <= 1e-9 else 1


def _per_locus_figures(candidates, rem_by_id, by_mp, markers, sample: int) -> float:
    """Per-locus LRs of the candidates: from the search (exact engine only where needed) vs the exact engine."""
    from mpid.services.matching import candidate_per_locus

    t0 = time.perf_counter()
    stored = [candidate_per_locus(c, by_mp[c.missing], rem_by_id[c.remains_id], markers) for c in candidates]
    t_fast = time.perf_counter() - t0
    n_exact = sum(1 for c in candidates for v in (c.per_marker or ()) if v is None)
    n_all = len(candidates) * len(markers)
    check = candidates[: max(sample, 50)]
    t1 = time.perf_counter()
    worst = 0.0
    for c, got in zip(check, stored, strict=False):
        fi, rem = by_mp[c.missing], rem_by_id[c.remains_id]
        exact = missing_person_lr(fi.pedigree, c.missing, "POI", markers, {**fi.genotypes, "POI": rem.genotypes},
                                  dropout={"POI": rem.dropout}).per_marker
        for name, want in exact.items():
            if want:
                worst = max(worst, abs(got[name] - want) / want)
    t_exact = (time.perf_counter() - t1) / max(len(check), 1) * len(candidates)
    print(f"per-locus LRs of {len(candidates)} candidates: {t_fast:.1f} s from the search's tables "
          f"({n_exact} of {n_all} marker values by the exact engine) vs {t_exact:.1f} s by the exact engine "
          f"for every candidate (estimated from {len(check)}); largest relative difference {worst:.2e}")
    return worst


def _fast_pairs(sample, rem_by_id, by_mp, markers) -> list[float]:
    """The fast engine's LR for given pairs (tables + sparse look-up, no threshold)."""
    from mpid.matching.search import pairwise_matrices

    out = []
    for rid, mp in sample:
        lr, _ = pairwise_matrices([rem_by_id[rid]], [by_mp[mp]], markers)
        out.append(float(lr[0, 0]))
    return out


if __name__ == "__main__":
    sys.exit(main())
