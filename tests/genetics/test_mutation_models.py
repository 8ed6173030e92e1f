"""Our pedmut port reproduces the matrices the refcases list (exactly the ones pedprobr used)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mpid.genetics.mutation import is_lumpable, lumped_matrix, mutation_matrix  # noqa: E402
from refcase_compare import REFCASE_DIR  # noqa: E402

CASES = [p for p in sorted(REFCASE_DIR.glob("*.json")) if json.loads(p.read_text())["settings"].get("mutation")]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_matrices_equal_pedmut(path: Path):
    case = json.loads(path.read_text())
    for marker in case["markers"]:
        for sex in ("female", "male"):
            spec = marker["mutation"][sex]
            ours = mutation_matrix(
                spec["model"], marker["alleles"], np.array(marker["freqs"]), spec["rate"], spec.get("rate2"),
                spec.get("range"),
            )
            np.testing.assert_allclose(ours, np.array(spec["matrix"]), rtol=1e-13, atol=1e-15)


def test_equal_and_proportional_are_lumpable_stepwise_is_not():
    alleles = ("8", "9", "10", "11", "12")
    p = np.array([0.1, 0.2, 0.3, 0.25, 0.15])
    lump = np.array([False, False, True, True, True])
    assert is_lumpable(mutation_matrix("equal", alleles, p, 0.01), lump)
    assert is_lumpable(mutation_matrix("proportional", alleles, p, 0.01), lump)
    assert not is_lumpable(mutation_matrix("stepwise", alleles, p, 0.01, 1e-6, 0.1), lump)
    m = lumped_matrix(mutation_matrix("equal", alleles, p, 0.01), lump)
    assert m.shape == (3, 3)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    ("model", "kwargs", "message"),
    [
        ("stepwise", {"rate2": None, "range_": 0.1}, "rate2 and range"),
        ("proportional", {"freqs": None}, "frequencies"),
        ("nonsense", {}, "unknown mutation model"),
    ],
)
def test_bad_parameters_are_named(model, kwargs, message):
    args = {"freqs": np.array([0.5, 0.5]), "rate": 0.01, "rate2": 1e-6, "range_": 0.1} | kwargs
    with pytest.raises(ValueError, match=message):
        mutation_matrix(model, ("9", "10"), **args)


def test_stepwise_needs_numeric_alleles():
    with pytest.raises(ValueError, match="numeric allele names"):
        mutation_matrix("stepwise", ("X", "Y"), None, 0.01, 1e-6, 0.1)
