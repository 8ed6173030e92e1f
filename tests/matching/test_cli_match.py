"""`mpid match`: a DVI case in dvir's layout (with --joint), wrong categories refused with the field named."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mpid.cli import app  # noqa: E402
from refcase_compare import REFCASE_DIR, assert_matches  # noqa: E402

runner = CliRunner()


def test_match_json_with_joint_blocks():
    path = REFCASE_DIR / "F01_dvi_small_2fam_3vic.json"
    res = runner.invoke(app, ["match", str(path), "--joint", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)["expected"]
    expected = json.loads(path.read_text())["expected"]
    for block in ("pairwise_lr", "exclusion_matrix", "bmarginal"):
        assert_matches(expected[block], out[block], block)
    numbers = {k: v for k, v in expected["joint"].items() if k != "note"}  # "note" is a comment of the case
    assert_matches(numbers, out["joint"], "joint")


def test_match_refuses_kinship_cases():
    res = runner.invoke(app, ["match", str(REFCASE_DIR / "A01_parent_child.json")])
    assert res.exit_code == 2
    assert "category" in res.stderr and "mpid kinship" in res.stderr
