"""The hot loop of blind search: Π over markers of table look-ups, for a block of families × all remains.

Arrays only (numba's rule); :func:`search_block_python` is the slow twin the tests compare
it with. Remains are encoded sparsely: for remains r and marker m, entries
``ptr[r, m] .. ptr[r, m+1]`` of ``cols``/``coefs`` give the table columns to combine
(one entry of weight 1 for an exact genotype; several for partial or degraded ones).
A marker with no entries is untyped (factor 1).
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["search_block", "search_block_python"]


@numba.njit(cache=True, parallel=True, fastmath=False)
def search_block(
    tables: np.ndarray,  # (F, C) float64: family tables, markers side by side
    ptr: np.ndarray,  # (R, M+1) int64
    cols: np.ndarray,  # (E,) int64
    coefs: np.ndarray,  # (E,) float64
    remains_sex: np.ndarray,  # (R,) int64, 0 = unknown
    family_sex: np.ndarray,  # (F,) int64
    suffix_log_max: np.ndarray,  # (F, M+1) float64: Σ_{k ≥ m} log max T_k; all zeros to disable pruning
    log_threshold: float,  # prune when log LR + suffix < this; -inf disables
    family_invalid: np.ndarray,  # (F,) bool: references inconsistent at some marker (LR undefined)
) -> np.ndarray:
    """LR of every (family, remains) pair of the block; -1 where the sexes differ, -2 where pruned, NaN undefined."""
    n_fam = tables.shape[0]
    n_rem = ptr.shape[0]
    n_mark = ptr.shape[1] - 1
    out = np.empty((n_fam, n_rem))
    for f in numba.prange(n_fam):
        for r in range(n_rem):
            if remains_sex[r] != 0 and family_sex[f] != 0 and remains_sex[r] != family_sex[f]:
                out[f, r] = -1.0
                continue
            if family_invalid[f]:
                out[f, r] = math.nan
                continue
            lr = 1.0
            log_lr = 0.0
            pruned = False
            for m in range(n_mark):
                start = ptr[r, m]
                end = ptr[r, m + 1]
                if start == end:
                    continue
                s = 0.0
                for e in range(start, end):
                    s += coefs[e] * tables[f, cols[e]]
                lr *= s
                if lr == 0.0:
                    break
                log_lr += math.log(s)
                if log_lr + suffix_log_max[f, m + 1] < log_threshold:
                    pruned = True
                    break
            out[f, r] = -2.0 if pruned else lr
    return out


def search_block_python(
    tables: np.ndarray,
    ptr: np.ndarray,
    cols: np.ndarray,
    coefs: np.ndarray,
    remains_sex: np.ndarray,
    family_sex: np.ndarray,
    family_invalid: np.ndarray,
) -> np.ndarray:
    """Readable twin of :func:`search_block` without pruning (for tests)."""
    n_fam, n_rem, n_mark = tables.shape[0], ptr.shape[0], ptr.shape[1] - 1
    out = np.empty((n_fam, n_rem))
    for f in range(n_fam):
        for r in range(n_rem):
            if remains_sex[r] and family_sex[f] and remains_sex[r] != family_sex[f]:
                out[f, r] = -1.0
                continue
            if family_invalid[f]:
                out[f, r] = np.nan
                continue
            lr = 1.0
            for m in range(n_mark):
                lo, hi = ptr[r, m], ptr[r, m + 1]
                if lo == hi:
                    continue
                lr *= float(np.dot(coefs[lo:hi], tables[f, cols[lo:hi]]))
            out[f, r] = lr
    return out
