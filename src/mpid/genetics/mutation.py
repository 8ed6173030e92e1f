"""STR mutation models, exactly as pedmut (0.9.1) defines them.

A mutation matrix ``M`` over a marker's alleles gives ``M[i, j]`` = P(a parent whose allele
is ``alleles[i]`` transmits ``alleles[j]``); every row sums to 1. A :class:`MutationModel`
holds one matrix for mothers and one for fathers (sex-specific rates).

Models (n alleles, rate r):

* ``equal``: ``M[i,i] = 1 - r``, ``M[i,j] = r/(n-1)``.
* ``proportional``: ``α = r / Σ_k p_k(1-p_k)``; ``M = (1-α) I + α 1 pᵀ``, i.e.
  ``M[i,j] = α p_j`` (j ≠ i), ``M[i,i] = 1 - α + α p_i``. The expected mutation rate is r.
* ``stepwise`` (rate r, rate2 r₂, range R): alleles in the same *microvariant group*
  (same decimal part) mutate to each other with weight ``R^|i-j|`` scaled to total r;
  to an allele of another group with ``r₂ / (#alleles in other groups)`` each; the
  diagonal is ``1-r`` (one group only), ``1-r₂`` (alone in its group) or ``1-r-r₂``.
* ``custom``: any non-negative matrix whose rows sum to 1.

Source: pedmut::mutationMatrix (Vigeland, https://github.com/magnusdv/pedmut).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = [
    "MutationMatrix",
    "MutationModel",
    "equal_matrix",
    "is_lumpable",
    "lumped_matrix",
    "mutation_matrix",
    "proportional_matrix",
    "stepwise_matrix",
]

ModelName = Literal["equal", "proportional", "stepwise", "custom", "trivial"]


def equal_matrix(n: int, rate: float) -> np.ndarray:
    """The ``equal`` model: any other allele with probability rate/(n-1)."""
    if n == 1:
        return np.ones((1, 1))
    m = np.full((n, n), rate / (n - 1))
    np.fill_diagonal(m, 1.0 - rate)
    return m


def proportional_matrix(freqs: np.ndarray, rate: float) -> np.ndarray:
    """The ``proportional`` model: mutations land on allele j in proportion to p_j."""
    p = np.asarray(freqs, dtype=float)
    n = p.size
    if n == 1:
        return np.ones((1, 1))
    alpha = rate / float(np.sum(p * (1.0 - p)))
    m = (1.0 - alpha) * np.eye(n) + alpha * np.tile(p, (n, 1))
    if np.any(m > 1):
        raise ValueError("impossible proportional mutation matrix; reduce the rate")
    return m


def stepwise_matrix(alleles: tuple[str, ...] | list[str], rate: float, rate2: float, range_: float) -> np.ndarray:
    """The extended ``stepwise`` model (integer steps weighted by range^steps; rate2 across microvariant groups)."""
    try:
        num = np.array([float(a) for a in alleles])
    except ValueError:
        raise ValueError("the stepwise model needs numeric allele names") from None
    if np.any(np.round(num, 1) != num):
        raise ValueError("microvariants must be written with one decimal for the stepwise model")
    if rate + rate2 > 1:
        raise ValueError("rate + rate2 must be at most 1")
    if range_ <= 0:
        raise ValueError("range must be positive")
    n = num.size
    if n == 1:
        return np.ones((1, 1))
    group = np.round((num - np.round(num)) * 10)
    m = np.zeros((n, n))
    for i in range(n):
        same = group == group[i]
        n_same = int(same.sum())
        for j in range(n):
            if i == j:
                if n_same == n:
                    m[i, j] = 1.0 - rate
                elif n_same == 1:
                    m[i, j] = 1.0 - rate2
                else:
                    m[i, j] = 1.0 - rate - rate2
            elif same[j]:
                m[i, j] = range_ ** abs(num[i] - num[j])
            else:
                m[i, j] = rate2 / (n - n_same)
        others = same.copy()
        others[i] = False
        if others.any():
            m[i, others] = m[i, others] / m[i, others].sum() * rate
    return m


def mutation_matrix(
    model: str,
    alleles: tuple[str, ...] | list[str],
    freqs: np.ndarray | None = None,
    rate: float = 0.0,
    rate2: float | None = None,
    range_: float | None = None,
    matrix: np.ndarray | None = None,
) -> np.ndarray:
    """Build a validated matrix for a named model (``equal``, ``proportional``, ``stepwise``, ``custom``)."""
    n = len(alleles)
    if model == "equal":
        m = equal_matrix(n, rate)
    elif model == "proportional":
        if freqs is None:
            raise ValueError("the proportional model needs allele frequencies")
        m = proportional_matrix(np.asarray(freqs), rate)
    elif model == "stepwise":
        if rate2 is None or range_ is None:
            raise ValueError("the stepwise model needs rate2 and range")
        m = stepwise_matrix(alleles, rate, rate2, range_)
    elif model == "trivial":
        m = np.eye(n)
    elif model == "custom":
        if matrix is None:
            raise ValueError("the custom model needs a matrix")
        m = np.array(matrix, dtype=float)
    else:
        raise ValueError(f"unknown mutation model {model!r}")
    return validate_matrix(m, n)


def validate_matrix(m: np.ndarray, n: int) -> np.ndarray:
    """Check shape, range and row sums (to 3 decimals, as pedmut does); return a read-only copy."""
    m = np.array(m, dtype=float)
    if m.shape != (n, n):
        raise ValueError(f"mutation matrix must be {n}x{n}, not {m.shape[0]}x{m.shape[1] if m.ndim > 1 else 1}")
    if not np.all(np.isfinite(m)) or np.any(m < 0) or np.any(m > 1):
        raise ValueError("mutation matrix entries must be in [0, 1]")
    if np.any(np.round(m.sum(axis=1), 3) != 1):
        raise ValueError("mutation matrix rows must sum to 1")
    m.setflags(write=False)
    return m


@dataclass(frozen=True)
class MutationMatrix:
    """A matrix with the parameters that produced it (kept for provenance)."""

    matrix: np.ndarray
    model: str = "custom"
    rate: float | None = None
    rate2: float | None = None
    range: float | None = None


@dataclass(frozen=True)
class MutationModel:
    """Sex-specific mutation matrices for one marker (``female`` for mothers, ``male`` for fathers)."""

    female: MutationMatrix
    male: MutationMatrix
    params: dict = field(default_factory=dict, compare=False)

    @classmethod
    def from_params(
        cls,
        alleles: tuple[str, ...] | list[str],
        freqs: np.ndarray,
        female: dict,
        male: dict | None = None,
    ) -> MutationModel:
        """Build from pedmut-style parameter dicts ``{model, rate, rate2, range}`` (male defaults to female)."""
        male = female if male is None else male
        mats = []
        for p in (female, male):
            mat = mutation_matrix(
                p["model"], alleles, freqs, p.get("rate") or 0.0, p.get("rate2"), p.get("range"), p.get("matrix")
            )
            mats.append(MutationMatrix(mat, p["model"], p.get("rate"), p.get("rate2"), p.get("range")))
        return cls(mats[0], mats[1], {"female": dict(female), "male": dict(male)})

    @classmethod
    def from_matrices(
        cls, female: np.ndarray, male: np.ndarray | None = None, params: dict | None = None
    ) -> MutationModel:
        """Build from explicit matrices (e.g. the ones a reference case lists)."""
        f = np.asarray(female, dtype=float)
        mm = f if male is None else np.asarray(male, dtype=float)
        n = f.shape[0]
        return cls(
            MutationMatrix(validate_matrix(f, n)), MutationMatrix(validate_matrix(mm, n)), dict(params or {})
        )

    def is_trivial(self) -> bool:
        """True when no mutation is possible (identity matrices)."""
        n = self.female.matrix.shape[0]
        eye = np.eye(n)
        return bool(np.array_equal(self.female.matrix, eye) and np.array_equal(self.male.matrix, eye))


def is_lumpable(m: np.ndarray, lump: np.ndarray) -> bool:
    """Strong (Kemeny–Snell) lumpability: every lumped row sends the same mass to each kept allele.

    ``lump`` is a boolean mask. Then merging the lumped alleles into one changes no likelihood.
    """
    lump = np.asarray(lump, dtype=bool)
    if lump.sum() <= 1:
        return True
    block = m[np.ix_(lump, ~lump)]
    return bool(np.all(block == block[0]))


def lumped_matrix(m: np.ndarray, lump: np.ndarray) -> np.ndarray:
    """Merge the lumped alleles into one last state (pedmut::lumpedMatrix); kept alleles keep their order."""
    lump = np.asarray(lump, dtype=bool)
    keep = np.flatnonzero(~lump)
    first = int(np.flatnonzero(lump)[0])
    idx = np.concatenate([keep, [first]])
    new = m[np.ix_(idx, idx)].copy()
    new[:, -1] = 1.0 - new[:, :-1].sum(axis=1)
    return new
