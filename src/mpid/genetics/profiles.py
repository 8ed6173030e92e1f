"""Profiles: unordered STR genotypes per locus, and what an observation says about the truth.

A genotype is an unordered pair of allele strings. ``(a, None)`` is a *partial* genotype:
one allele ``a`` was seen and the other is unknown — it may be anything, ``a`` included
(pedtools' ``a/-``). A locus absent from a profile is untyped.

The observation model turns what the lab saw into weights ``W[x, y]`` = P(observation |
true genotype {x, y}) over ordered allele pairs (symmetric):

* exact genotype a/b: W = 1 on {a, b}, 0 elsewhere;
* partial a/-: W = 1 on every genotype containing a;
* silent allele S (frequency s > 0): an observed homozygote a/a is also explained by a/S;
* allelic dropout with per-sample probability d (degraded remains): every copy of a visible
  allele drops out independently with probability d, no drop-in. Then for an observed set
  O: P(O = {a,b} | a/b) = (1−d)², P({a} | a/b) = d(1−d), P({a} | a/a) = 1 − d²,
  P({a} | a/S) = 1 − d. Under dropout a single reported allele (``a/a`` or ``a/-``) means
  O = {a}. A locus with nothing seen is treated as untyped (its weight d² or d is the
  same under every hypothesis and cancels in a likelihood ratio).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .alleles import AlleleError, parse_allele

__all__ = ["Genotype", "Profile", "genotype_weights", "parse_genotype"]

Genotype = tuple[str, str | None]


def parse_genotype(value: object) -> Genotype | None:
    """Read a genotype from ``"12/13"``, ``"12,13"``, ``["12", "13"]``, ``["12", None]`` or ``"12/-"``.

    Returns None for an untyped locus (empty, ``None``, ``"-/-"``). Alleles are sorted
    so that equal genotypes compare equal; a partial genotype keeps None second.
    """
    if value is None:
        return None
    if isinstance(value, str):
        parts = [p for p in value.replace(",", "/").split("/")]
        if len(parts) == 1:
            parts = [parts[0], parts[0]]
    elif isinstance(value, Sequence):
        parts = list(value)
    else:
        raise AlleleError(f"not a genotype: {value!r}")
    if len(parts) != 2:
        raise AlleleError(f"a genotype has two alleles, not {len(parts)}: {value!r}")
    alle = [None if (p is None or str(p).strip() in ("", "-", "0", "NA")) else parse_allele(p) for p in parts]
    if alle[0] is None and alle[1] is None:
        return None
    if alle[0] is None:
        alle = [alle[1], None]
    if alle[1] is None:
        return (alle[0], None)
    a, b = sorted(alle)  # type: ignore[type-var]
    return (a, b)


@dataclass(frozen=True)
class Profile:
    """An STR profile: genotypes per locus, recorded sex (0 unknown) and dropout probability."""

    sample_id: str
    genotypes: dict[str, Genotype] = field(default_factory=dict)
    sex: int = 0
    dropout: float = 0.0

    @classmethod
    def from_mapping(cls, sample_id: str, data: Mapping[str, object], sex: int = 0, dropout: float = 0.0) -> Profile:
        """Build from ``{locus: genotype-like}``; untyped loci are dropped."""
        gts = {}
        for locus, v in data.items():
            g = parse_genotype(v)
            if g is not None:
                gts[locus] = g
        return cls(sample_id, gts, sex, dropout)

    @property
    def n_loci(self) -> int:
        return len(self.genotypes)


def genotype_weights(
    genotype: Genotype,
    index: Mapping[str, int],
    n: int,
    *,
    dropout: float = 0.0,
    silent_index: int | None = None,
) -> np.ndarray:
    """W[x, y] = P(observed ``genotype`` | true ordered genotype (x, y)) over ``n`` allele states.

    ``index`` maps allele labels to states; a label missing from it raises KeyError.
    """
    a, b = genotype
    ia = index[a]
    ib = None if b is None else index[b]
    w = np.zeros((n, n))
    if dropout <= 0.0 and (b is None or ib != ia or silent_index is None):
        if ib is None:  # partial a/-: any genotype carrying a
            w[ia, :] = 1.0
            w[:, ia] = 1.0
        else:
            w[ia, ib] = w[ib, ia] = 1.0
        return w
    if dropout <= 0.0:  # homozygote with a silent allele: a/a or a/S
        w[ia, ia] = 1.0
        w[ia, silent_index] = w[silent_index, ia] = 1.0
        return w
    d = float(dropout)
    if ib is not None and ib != ia:  # both alleles seen
        w[ia, ib] = w[ib, ia] = (1.0 - d) ** 2
        return w
    # Only a seen: a/a, a/x (x dropped), a/S.
    w[ia, :] = d * (1.0 - d)
    w[:, ia] = d * (1.0 - d)
    w[ia, ia] = 1.0 - d * d
    if silent_index is not None:
        w[ia, silent_index] = w[silent_index, ia] = 1.0 - d
    return w
