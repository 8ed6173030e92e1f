"""Every dvi refcase: the joint, bmarginal, undisputed and dviSolve blocks (dvir 3.4.2) are reproduced."""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mpid.formats.refcase import load_refcase  # noqa: E402
from mpid.formats.refcase_results import joint_results  # noqa: E402
from refcase_compare import assert_matches, refcase_paths  # noqa: E402

DVI = refcase_paths("dvi")
BLOCKS = ("joint", "bmarginal", "undisputed", "dviSolve")
STRING_KEYS = {"Conclusion", "Comment"}


@cache
def _computed(path: Path) -> dict[str, Any]:
    return joint_results(load_refcase(path))


def _expected(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())["expected"]


def _strip_strings(x: Any) -> Any:
    """Conclusion/Comment wording is compared separately (loosely); everything else strictly."""
    if isinstance(x, dict):
        return {k: _strip_strings(v) for k, v in x.items() if k not in STRING_KEYS and k != "note"}
    if isinstance(x, list):
        return [_strip_strings(v) for v in x]
    return x


def _cases_with(block: str) -> list[Path]:
    return [p for p in DVI if block in _expected(p)]


def test_dvi_cases_exist():
    assert DVI, "no dvi refcases found"


@pytest.mark.parametrize("block", BLOCKS)
def test_block_presence(block: str):
    for path in DVI:
        exp, got = _expected(path), _computed(path)
        if block in exp:
            assert block in got, f"{path.stem}: {block} not computed"


@pytest.mark.parametrize("path", _cases_with("joint"), ids=lambda p: p.stem)
def test_joint(path: Path):
    assert_matches(_strip_strings(_expected(path)["joint"]), _computed(path)["joint"], "joint")


@pytest.mark.parametrize("path", _cases_with("bmarginal"), ids=lambda p: p.stem)
def test_bmarginal(path: Path):
    assert_matches(_expected(path)["bmarginal"], _computed(path)["bmarginal"], "bmarginal")


@pytest.mark.parametrize("path", _cases_with("undisputed"), ids=lambda p: p.stem)
def test_undisputed(path: Path):
    exp, got = _expected(path)["undisputed"], _computed(path)["undisputed"]
    assert_matches(_strip_strings(exp), got, "undisputed")
    _assert_conclusions(exp["summary"], got["summary"], "undisputed")


@pytest.mark.parametrize("path", _cases_with("dviSolve"), ids=lambda p: p.stem)
def test_dvisolve(path: Path):
    exp, got = _expected(path)["dviSolve"], _computed(path)["dviSolve"]
    assert_matches(_strip_strings({k: v for k, v in exp.items() if k != "jointTables"}), got, "dviSolve")
    for side in ("AM", "PM"):
        _assert_conclusions(exp[side], got[side], f"dviSolve.{side}")
    jt = exp["jointTables"]
    if not jt:
        assert not got["jointTables"], "dviSolve.jointTables: expected none"
    else:
        assert_matches(jt, got["jointTables"], "dviSolve.jointTables")


def _norm(s: Any) -> str:
    return "" if s is None else str(s).strip().lower()


def _assert_conclusions(expected: list[dict], actual: list[dict], path: str) -> None:
    """Conclusions equal ignoring case; comments: same leading word (Step k, Best, Runner-up, n+ ...)."""
    for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
        assert _norm(e.get("Conclusion")) == _norm(a.get("Conclusion")), f"{path}[{i}].Conclusion: {e} vs {a}"
        ce, ca = _norm(e.get("Comment")), _norm(a.get("Comment"))
        assert ce.split(" ")[:1] == ca.split(" ")[:1], f"{path}[{i}].Comment: {ce!r} vs {ca!r}"
