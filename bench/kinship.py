"""Benchmark: one family's complete genotype table T(g), in one pass versus one genotype at a time.

    .venv/bin/python bench/kinship.py [--loci 21] [--repeat 3]

Family: mother and two full siblings typed (father untyped), the missing person a son.
For every marker and every genotype g of the missing person, T(g) = L(D, MP = g) /
(L(D) P(g)). The table engine peels towards the missing person once per marker
(``marker_table``); the baseline computes the same value per genotype with the exact
kinship engine (``missing_person_lr`` on a remains typed g). Both are run without
mutation and with a stepwise model (rate 0.002, rate2 1e-6, range 0.1); the script prints
both times, the ratio and the largest relative difference.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from mpid.genetics.frequencies import load_builtin_table
from mpid.genetics.kinship import missing_person_lr
from mpid.genetics.markers import Marker
from mpid.genetics.mutation import MutationModel
from mpid.genetics.pedigree import Pedigree
from mpid.matching.tables import family_tables, genotype_index

LOCI = ["D3S1358", "VWA", "D16S539", "CSF1PO", "TPOX", "D8S1179", "D21S11", "D18S51", "D2S441", "D19S433",
        "TH01", "FGA", "D22S1045", "D5S818", "D13S317", "D7S820", "D10S1248", "D1S1656", "D12S391", "D2S1338",
        "PENTA_E", "PENTA_D", "SE33"]


def family() -> Pedigree:
    return Pedigree.from_records([
        ("F", None, None, 1), ("M", None, None, 2), ("MP", "F", "M", 1), ("S1", "F", "M", 2), ("S2", "F", "M", 1),
    ])


def simulate_references(markers: list[Marker], rng: np.random.Generator) -> dict[str, dict[str, tuple[str, str]]]:
    """Mother and two children of an untyped father, by gene dropping."""
    out: dict[str, dict[str, tuple[str, str]]] = {"M": {}, "S1": {}, "S2": {}}
    for m in markers:
        p = m.freqs / m.freqs.sum()
        father = rng.choice(len(p), 2, p=p)
        mother = rng.choice(len(p), 2, p=p)
        out["M"][m.name] = tuple(sorted((m.alleles[mother[0]], m.alleles[mother[1]]), key=float))
        for s in ("S1", "S2"):
            kid = (m.alleles[father[rng.integers(2)]], m.alleles[mother[rng.integers(2)]])
            out[s][m.name] = tuple(sorted(kid, key=float))
    return out


def run(markers: list[Marker], refs, repeat: int) -> tuple[float, float, float]:
    ped = family()
    best_table = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        tabs = family_tables("FAM", ped, "MP", markers, refs)
        best_table = min(best_table, time.perf_counter() - t0)
    t0 = time.perf_counter()
    worst = 0.0
    for m in markers:
        table = tabs.tables[m.name]
        for j, b in enumerate(m.alleles):
            for i, a in enumerate(m.alleles[: j + 1]):
                genotypes = {**refs, "POI": {m.name: (a, b)}}
                one = missing_person_lr(ped, "MP", "POI", [m], genotypes).total
                fast = table.lr[genotype_index(i, j)]
                worst = max(worst, abs(fast) if one == 0 else abs(fast - one) / one)
    per_genotype = time.perf_counter() - t0
    return best_table, per_genotype, worst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--loci", type=int, default=21)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    table = load_builtin_table("NorwegianFrequencies_forrel")
    plain = [Marker.from_frequencies(table[name]) for name in LOCI[: args.loci]]
    step = {"model": "stepwise", "rate": 0.002, "rate2": 1e-6, "range": 0.1}
    stepwise = [
        Marker(m.name, m.alleles, m.freqs, MutationModel.from_params(m.alleles, m.freqs, step)) for m in plain
    ]
    refs = simulate_references(plain, np.random.default_rng(args.seed))
    n_genotypes = sum(len(m.alleles) * (len(m.alleles) + 1) // 2 for m in plain)
    print(f"family: mother + 2 siblings, missing son; {len(plain)} loci, {n_genotypes} genotypes in all")
    status = 0
    for label, markers in (("no mutation", plain), ("stepwise 0.002", stepwise)):
        t_table, t_each, worst = run(markers, refs, args.repeat)
        print(f"{label:>15}: one pass {t_table * 1e3:8.1f} ms | one genotype at a time {t_each * 1e3:9.1f} ms "
              f"| ratio {t_each / t_table:6.0f}x | largest relative difference {worst:.1e}")
        status |= worst > 1e-9
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
