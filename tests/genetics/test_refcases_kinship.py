"""Every kinship refcase (computed with pedprobr/forrel) is reproduced to 1e-9 relative."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mpid.formats.refcase import KINSHIP_CATEGORIES, load_refcase  # noqa: E402
from mpid.formats.refcase_results import direct_match_results, kinship_results  # noqa: E402
from refcase_compare import assert_matches, refcase_paths  # noqa: E402

KINSHIP = refcase_paths(*KINSHIP_CATEGORIES)
DIRECT = refcase_paths("direct_match")


def test_all_kinship_categories_are_present():
    cats = {json.loads(p.read_text())["category"] for p in KINSHIP}
    assert cats == set(KINSHIP_CATEGORIES)


@pytest.mark.parametrize("path", KINSHIP, ids=lambda p: p.stem)
def test_kinship_refcase(path: Path):
    case = load_refcase(path)
    expected = json.loads(path.read_text())["expected"]
    computed = kinship_results(case)
    # Every expected block with numbers is compared (likelihoods, lr and the reference blocks).
    for key, block in expected.items():
        if key == "method":
            continue
        assert key in computed, f"block {key} not computed"
        assert_matches(block, computed[key], key)


@pytest.mark.parametrize("path", DIRECT, ids=lambda p: p.stem)
def test_direct_match_refcase(path: Path):
    case = load_refcase(path)
    expected = json.loads(path.read_text())["expected"]
    computed = direct_match_results(case)
    assert len(computed["pairs"]) == len(expected["pairs"])
    for e, c in zip(expected["pairs"], computed["pairs"], strict=True):
        assert (e["sample1"], e["sample2"]) == (c["sample1"], c["sample2"])
        assert_matches(e, c, f"{e['sample1']}~{e['sample2']}")
    if "mergePM" in expected:
        assert_matches(expected["mergePM"], computed["mergePM"], "mergePM")
