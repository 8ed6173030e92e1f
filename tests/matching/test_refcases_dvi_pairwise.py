"""dvi refcases: pairwise LRs, exclusion matrices, baselines and pairings equal dvir's."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mpid.cli.match import dvi_pairwise_results  # noqa: E402
from mpid.formats.refcase import load_refcase  # noqa: E402
from refcase_compare import assert_matches, refcase_paths  # noqa: E402

DVI = refcase_paths("dvi")
BLOCKS = ("pairwise_lr", "exclusion_matrix", "baseline_loglik", "pairings_default")


@pytest.mark.parametrize("path", DVI, ids=lambda p: p.stem)
def test_dvi_pairwise_blocks(path: Path):
    expected = json.loads(path.read_text())["expected"]
    computed = dvi_pairwise_results(load_refcase(path))
    for block in BLOCKS:
        assert_matches(expected[block], computed[block], block)
