"""A marker as the likelihood engine sees it: alleles, frequencies, mutation model, silent allele."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .frequencies import MarkerFrequencies
from .mutation import MutationModel

__all__ = ["SILENT_ALLELE", "Marker"]

SILENT_ALLELE = "S"


@dataclass(frozen=True, eq=False)
class Marker:
    """An autosomal STR marker: ``alleles[i]`` has frequency ``freqs[i]``.

    ``mutation`` (optional) gives sex-specific transmission matrices over ``alleles``.
    ``silent_frequency`` s > 0 adds a silent (null) allele: the listed frequencies are
    multiplied by (1 − s), and an observed homozygote a/a may be a/S.
    """

    name: str
    alleles: tuple[str, ...]
    freqs: np.ndarray
    mutation: MutationModel | None = None
    silent_frequency: float = 0.0

    def __post_init__(self) -> None:
        f = np.asarray(self.freqs, dtype=float)
        if f.shape != (len(self.alleles),):
            raise ValueError(f"marker {self.name}: {len(self.alleles)} alleles but {f.size} frequencies")
        object.__setattr__(self, "freqs", f)
        if self.mutation is not None and self.mutation.female.matrix.shape[0] != len(self.alleles):
            raise ValueError(f"marker {self.name}: mutation matrix does not match the alleles")
        if not 0.0 <= self.silent_frequency < 1.0:
            raise ValueError(f"marker {self.name}: silent allele frequency must be in [0, 1)")

    @classmethod
    def from_frequencies(
        cls, mf: MarkerFrequencies, mutation: MutationModel | None = None, silent_frequency: float = 0.0
    ) -> Marker:
        """A marker from a frequency table entry."""
        return cls(mf.name, mf.alleles, np.array(mf.freqs), mutation, silent_frequency)

    @property
    def n_alleles(self) -> int:
        return len(self.alleles)

    def allele_index(self) -> dict[str, int]:
        """Map allele label → position."""
        return {a: i for i, a in enumerate(self.alleles)}

    def without_mutation(self) -> Marker:
        """The same marker with Mendelian transmission only."""
        return Marker(self.name, self.alleles, self.freqs, None, self.silent_frequency)

    def with_silent_allele(self) -> Marker:
        """The extended marker of the silent-allele model: alleles + ``S``, frequencies (1−s)p and s."""
        s = self.silent_frequency
        if s == 0:
            return self
        if self.mutation is not None and not self.mutation.is_trivial():
            raise ValueError(f"marker {self.name}: silent alleles with a mutation model are not supported")
        return Marker(
            self.name, self.alleles + (SILENT_ALLELE,), np.append(self.freqs * (1.0 - s), s), None, 0.0
        )
