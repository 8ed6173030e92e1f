"""Benchmark of `mpid dedupe` on synthetic multi-agency lists with a known truth.

For each size it generates persons and three agencies' reports (Azerbaijani Latin, Russian
Cyrillic, English transliteration, with typos, partial and swapped dates, missing fields),
writes them as the CSV the command reads, runs the command's own code path, and prints
pairwise precision, recall, F1 and the wall time — next to two baselines in the same run:
exact agreement of the raw name and birth date, and of the normalised keys.

    .venv/bin/python bench/dedupe.py 10000 100000 [--seed 1] [--threshold 0.85]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from typer.testing import CliRunner

from mpid.cli import app
from mpid.linkage.normalise import name_key, surname_key
from mpid.simulate.agencies import DEDUPE_COLUMNS, generate_agency_reports, generate_person_identities


def pairwise_scores(truth: Mapping[str, str], predicted: Mapping[str, str]) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of a clustering against the true persons."""

    def pairs(counter: Iterable[int]) -> int:
        return sum(size * (size - 1) // 2 for size in counter)

    true_pairs = pairs(Counter(truth.values()).values())
    predicted_pairs = pairs(Counter(predicted.values()).values())
    both = pairs(Counter((predicted[r], truth[r]) for r in truth).values())
    precision = both / predicted_pairs if predicted_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def run_size(n_records: int, seed: int, threshold: float | None, workdir: Path) -> None:
    """Generate n_records reports, run `mpid dedupe` on them and print the scores."""
    rng = random.Random(seed)
    # About 1.9 reports per person with the default coverage.
    persons = generate_person_identities(max(1, round(n_records / 1.9)), rng)
    reports = generate_agency_reports(persons, rng)[:n_records]
    truth = {report.record_id: report.true_person_id for report in reports}
    input_csv = workdir / f"reports_{n_records}.csv"
    output_csv = workdir / f"clusters_{n_records}.csv"
    with input_csv.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=DEDUPE_COLUMNS)
        writer.writeheader()
        writer.writerows(report.as_row() for report in reports)

    arguments = ["dedupe", str(input_csv), "--out", str(output_csv)]
    if threshold is not None:
        arguments += ["--threshold", str(threshold)]
    started = time.perf_counter()
    outcome = CliRunner().invoke(app, arguments)
    elapsed = time.perf_counter() - started
    if outcome.exit_code != 0:
        print(outcome.output, file=sys.stderr)
        raise SystemExit(f"mpid dedupe failed on {input_csv}")
    with output_csv.open(encoding="utf-8") as handle:
        predicted = {row["record_id"]: row["person_id"] for row in csv.DictReader(handle)}

    raw = {r.record_id: (r.family_name, r.given_name, r.birth_date) for r in reports}
    keyed = {r.record_id: (surname_key(r.family_name), name_key(r.given_name), r.birth_date[:4])
             for r in reports}
    n_persons = len(set(truth.values()))
    print(f"\n{n_records:,} records of {n_persons:,} persons (seed {seed})")
    print(f"{'method':<44}{'precision':>10}{'recall':>10}{'F1':>10}{'time s':>10}")
    for label, clusters, seconds in (
        ("baseline: raw family+given+birth date equal", raw, None),
        ("baseline: normalised keys + birth year equal", keyed, None),
        ("mpid dedupe (Splink model)", predicted, elapsed),
    ):
        precision, recall, f1 = pairwise_scores(truth, clusters)
        shown = "" if seconds is None else f"{seconds:.1f}"
        print(f"{label:<44}{precision:>10.4f}{recall:>10.4f}{f1:>10.4f}{shown:>10}")


def main(argv: list[str] | None = None) -> None:
    """Parse sizes and options, run every size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000], help="numbers of records")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=None)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mpid-dedupe-bench-") as directory:
        for size in options.sizes:
            run_size(size, options.seed, options.threshold, Path(directory))


if __name__ == "__main__":
    main()
