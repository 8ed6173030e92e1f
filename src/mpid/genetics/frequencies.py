"""Allele frequency tables: named, versioned, per marker.

A table maps each marker to its alleles (canonical strings, sorted numerically as
pedtools sorts them) and their frequencies. Frequencies are used exactly as given,
never silently renormalised: reference computations (pedprobr) use them as they are.

Alleles absent from a table (a rare allele seen in a profile) get a *frequency floor*.
The default is the NRC II recommendation 5/(2N) when the table's sample size N is known,
else ``DEFAULT_MIN_FREQUENCY``; the other frequencies are left unchanged.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from .alleles import allele_sort_key, parse_allele

__all__ = [
    "DEFAULT_MIN_FREQUENCY",
    "FrequencyTable",
    "MarkerFrequencies",
    "builtin_table_names",
    "frequency_floor",
    "load_builtin_table",
    "read_long_csv",
]

DEFAULT_MIN_FREQUENCY = 0.001


def frequency_floor(sample_size: int | None, minimum: float = DEFAULT_MIN_FREQUENCY) -> float:
    """Frequency for an allele not in the table: 5/(2N) (NRC II, 1996) if N is known, else ``minimum``."""
    if sample_size is None or sample_size <= 0:
        return minimum
    return 5.0 / (2.0 * sample_size)


@dataclass(frozen=True)
class MarkerFrequencies:
    """One marker's alleles and frequencies, in numeric allele order."""

    name: str
    alleles: tuple[str, ...]
    freqs: np.ndarray
    sample_size: int | None = None

    def __post_init__(self) -> None:
        freqs = np.asarray(self.freqs, dtype=float)
        if freqs.shape != (len(self.alleles),):
            raise ValueError(f"marker {self.name}: {len(self.alleles)} alleles but {freqs.size} frequencies")
        if len(set(self.alleles)) != len(self.alleles):
            raise ValueError(f"marker {self.name}: repeated allele")
        if np.any(freqs < 0) or not np.all(np.isfinite(freqs)):
            raise ValueError(f"marker {self.name}: frequencies must be finite and non-negative")
        freqs.setflags(write=False)
        object.__setattr__(self, "freqs", freqs)

    def index(self, allele: str) -> int:
        """Position of an allele in this marker's list (KeyError if absent)."""
        try:
            return self.alleles.index(allele)
        except ValueError:
            raise KeyError(f"allele {allele} not in the frequency table of {self.name}") from None

    def frequency(self, allele: str) -> float:
        """Frequency of an allele (KeyError if absent)."""
        return float(self.freqs[self.index(allele)])

    def with_alleles(self, extra: list[str] | set[str], floor: float | None = None) -> MarkerFrequencies:
        """This marker with ``extra`` alleles added at the frequency floor (others unchanged)."""
        new = [a for a in extra if a not in self.alleles]
        if not new:
            return self
        f = frequency_floor(self.sample_size) if floor is None else floor
        pairs = list(zip(self.alleles, self.freqs.tolist(), strict=True)) + [(a, f) for a in new]
        pairs.sort(key=lambda t: allele_sort_key(t[0]))
        return MarkerFrequencies(
            self.name, tuple(a for a, _ in pairs), np.array([p for _, p in pairs]), self.sample_size
        )


@dataclass(frozen=True)
class FrequencyTable:
    """A named, versioned allele frequency table (one population)."""

    name: str
    markers: dict[str, MarkerFrequencies] = field(default_factory=dict)
    version: str = "1"
    source: str = ""

    def __getitem__(self, marker: str) -> MarkerFrequencies:
        return self.markers[marker]

    def __contains__(self, marker: object) -> bool:
        return marker in self.markers

    @property
    def marker_names(self) -> tuple[str, ...]:
        """Marker names in table order."""
        return tuple(self.markers)

    def subset(self, markers: list[str] | tuple[str, ...]) -> FrequencyTable:
        """The table restricted to ``markers`` (in that order)."""
        return FrequencyTable(self.name, {m: self.markers[m] for m in markers}, self.version, self.source)


def read_long_csv(text: str, name: str, *, version: str = "1", source: str = "") -> FrequencyTable:
    """Parse a long CSV table ``marker,allele,frequency`` (one row per allele)."""
    rows: dict[str, list[tuple[str, float]]] = {}
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"marker", "allele", "frequency"} - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f"{name}: missing column(s) {sorted(missing)}")
    for line, row in enumerate(reader, start=2):
        try:
            allele = parse_allele(row["allele"])
            freq = float(row["frequency"])
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{name}, line {line}: {exc}") from None
        rows.setdefault(row["marker"].strip(), []).append((allele, freq))
    markers = {}
    for marker, pairs in rows.items():
        pairs.sort(key=lambda t: allele_sort_key(t[0]))
        markers[marker] = MarkerFrequencies(marker, tuple(a for a, _ in pairs), np.array([p for _, p in pairs]))
    return FrequencyTable(name, markers, version, source)


def builtin_table_names() -> list[str]:
    """Names of the public tables shipped with mpid (see data/README.md)."""
    return sorted(
        p.name.removesuffix(".csv")
        for p in resources.files("mpid.genetics.data").iterdir()
        if p.name.endswith(".csv")
    )


def load_builtin_table(name: str = "NorwegianFrequencies_forrel") -> FrequencyTable:
    """Load one of the shipped public tables by name (e.g. ``NorwegianFrequencies_forrel``)."""
    path = resources.files("mpid.genetics.data").joinpath(f"{name}.csv")
    if not path.is_file():
        raise KeyError(f"no built-in frequency table {name!r}; have {builtin_table_names()}")
    return read_long_csv(path.read_text(encoding="utf-8"), name, source=f"mpid/genetics/data/{name}.csv")
