"""Compare computed results with a refcase's expected block (1e-9 relative, 1e-8 absolute on logs)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

REFCASE_DIR = Path(__file__).parent / "refcases"
REL = 1e-9
ABS_LOG = 1e-8


def refcase_paths(*categories: str) -> list[Path]:
    """Case files of the given categories, sorted by name."""
    out = []
    for p in sorted(REFCASE_DIR.glob("*.json")):
        if json.loads(p.read_text())["category"] in categories:
            out.append(p)
    return out


def _is_log_key(key: str) -> bool:
    return key.startswith(("log", "ln_")) or "loglik" in key or key.endswith("_log")


def assert_matches(expected: Any, actual: Any, path: str = "", log: bool = False) -> None:
    """Recursively compare numbers: relative 1e-9 (or 1e-8 absolute for logs); zero where zero; null where null."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        for k, v in expected.items():
            assert k in actual, f"{path}.{k}: missing from the computed result"
            assert_matches(v, actual[k], f"{path}.{k}", log or _is_log_key(k))
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{path}: length differs"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            assert_matches(e, a, f"{path}[{i}]", log)
    elif isinstance(expected, (bool, str)):
        assert expected == actual, f"{path}: expected {expected!r}, got {actual!r}"
    elif expected is None:
        assert actual is None or (isinstance(actual, float) and math.isnan(actual)), (
            f"{path}: expected null, got {actual!r}"
        )
    elif isinstance(expected, (int, float)):
        assert isinstance(actual, (int, float)) and actual is not None, f"{path}: expected {expected}, got {actual!r}"
        if log:
            diff = actual - expected
            assert abs(diff) <= ABS_LOG, f"{path}: {actual!r} vs {expected!r} (abs {diff:.3g})"
        elif expected == 0:
            assert actual == 0, f"{path}: expected exactly 0, got {actual!r}"
        else:
            rel = abs(actual - expected) / abs(expected)
            assert rel <= REL, f"{path}: {actual!r} vs {expected!r} (rel {rel:.3g})"
