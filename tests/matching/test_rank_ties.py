"""Candidates whose LRs differ only by rounding are ranked as ties, in a stable order."""

from __future__ import annotations

from mpid.matching.search import Candidate, _rank_key


def _cand(remains: str, missing: str, lr: float) -> Candidate:
    return Candidate(remains, "FAM1", missing, lr, 0, 20, 1e-3, 0.5)


def test_rounding_noise_does_not_decide_the_rank() -> None:
    # Two missing brothers against the same references: equal LRs but for the last bits.
    noisy = [_cand("R1", "B2", 1e12 * (1 + 3e-15)), _cand("R1", "B1", 1e12)]
    assert [c.missing for c in sorted(noisy, key=_rank_key)] == ["B1", "B2"]
    assert [c.missing for c in sorted(reversed(noisy), key=_rank_key)] == ["B1", "B2"]


def test_real_differences_still_rank_by_lr() -> None:
    cands = [_cand("R1", "B1", 1e12), _cand("R1", "B2", 1e12 * (1 + 1e-6)), _cand("R0", "C", float("inf"))]
    assert [c.missing for c in sorted(cands, key=_rank_key)] == ["C", "B2", "B1"]
