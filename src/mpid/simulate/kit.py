"""The STR kit the simulator types with, and its allele frequencies as sampling arrays.

The default kit is the 23 autosomal STRs of PowerPlex Fusion 6C: the CODIS 20 core loci
plus Penta D, Penta E and SE33 (the most polymorphic locus in use, and a long one that fails
early in degraded bone). Frequencies come from a public table shipped with mpid
(default: the Norwegian table distributed with forrel); they are renormalised to sum
to one for sampling only (the table itself is never changed).
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Any

import numpy as np

from mpid.genetics.alleles import CODIS_CORE_20, allele_sort_key, canonical_locus

__all__ = [
    "DEFAULT_FREQUENCY_TABLE",
    "DEFAULT_KIT",
    "LOCUS_SIZE_WEIGHT",
    "KitFrequencies",
    "STRKit",
    "kit_frequencies",
]

log = logging.getLogger(__name__)

DEFAULT_FREQUENCY_TABLE = "NorwegianFrequencies_forrel"


@dataclass(frozen=True)
class STRKit:
    """A named set of autosomal STR loci typed together (canonical locus names)."""

    name: str
    loci: tuple[str, ...]


DEFAULT_KIT = STRKit("PowerPlex Fusion 6C autosomal STRs", (*CODIS_CORE_20, "PENTA_D", "PENTA_E", "SE33"))

# Relative chance a locus fails in degraded bone: long amplicons fail first
# (approximate maximum amplicon sizes in PowerPlex Fusion, scaled to a mean near 1).
LOCUS_SIZE_WEIGHT: dict[str, float] = {
    "D3S1358": 0.6, "D1S1656": 0.7, "D2S441": 0.4, "D10S1248": 0.5, "D13S317": 0.6,
    "PENTA_E": 1.8, "D16S539": 1.0, "D18S51": 1.5, "D2S1338": 1.4, "CSF1PO": 1.3,
    "PENTA_D": 1.7, "TH01": 0.6, "VWA": 0.8, "D21S11": 1.0, "D7S820": 1.1, "D5S818": 0.6,
    "TPOX": 0.7, "D8S1179": 0.6, "D12S391": 1.0, "D19S433": 0.7, "FGA": 1.6, "D22S1045": 0.4, "SE33": 1.6,
}


@dataclass(frozen=True)
class KitFrequencies:
    """Per-locus alleles, sampling probabilities and one-step mutation neighbours for a kit."""

    kit: STRKit
    table_name: str
    alleles: tuple[tuple[str, ...], ...]
    probabilities: tuple[np.ndarray, ...]
    step_down: tuple[np.ndarray, ...]
    step_up: tuple[np.ndarray, ...]

    @cached_property
    def allele_positions(self) -> tuple[dict[str, int], ...]:
        """Per locus, allele name → index (for turning profiles back into index arrays)."""
        return tuple({a: i for i, a in enumerate(names)} for names in self.alleles)

    @property
    def loci(self) -> tuple[str, ...]:
        """Loci in kit order."""
        return self.kit.loci

    @property
    def n_loci(self) -> int:
        """Number of loci."""
        return len(self.kit.loci)

    def sample_alleles(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """Independent allele indices drawn from the frequencies: array ``(*shape, n_loci)`` of int16."""
        out = np.empty((*shape, self.n_loci), dtype=np.int16)
        for j, p in enumerate(self.probabilities):
            out[..., j] = rng.choice(len(p), size=shape, p=p)
        return out


def _read_builtin_long_csv(name: str) -> dict[str, dict[str, float]]:
    """Read a shipped long CSV table ``marker,allele,frequency`` (fallback reader)."""
    path = resources.files("mpid.genetics.data").joinpath(f"{name}.csv")
    if not path.is_file():
        raise KeyError(f"no built-in frequency table {name!r}")
    table: dict[str, dict[str, float]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            table.setdefault(row["marker"].strip(), {})[row["allele"].strip()] = float(row["frequency"])
    return table


def _as_mapping(table: Any) -> tuple[str, dict[str, dict[str, float]]]:
    """Turn a table name, a ``FrequencyTable`` or a plain mapping into ``(name, {locus: {allele: f}})``."""
    if table is None:
        table = DEFAULT_FREQUENCY_TABLE
    if isinstance(table, str):
        try:
            from mpid.genetics.frequencies import load_builtin_table
        except ImportError:  # pragma: no cover - only before mpid.genetics.frequencies exists
            return table, _read_builtin_long_csv(table)
        table = load_builtin_table(table)
    if hasattr(table, "markers"):
        mapping = {
            name: dict(zip(m.alleles, np.asarray(m.freqs, dtype=float).tolist(), strict=True))
            for name, m in table.markers.items()
        }
        return str(getattr(table, "name", "custom")), mapping
    return "custom", {locus: dict(freqs) for locus, freqs in table.items()}


def _neighbour_indices(alleles: tuple[str, ...], step: int) -> np.ndarray:
    """Index of the allele one repeat away (same microvariant fraction), -1 where the table has none."""
    position = {a: i for i, a in enumerate(alleles)}
    out = np.full(len(alleles), -1, dtype=np.int16)
    for i, a in enumerate(alleles):
        try:
            value = float(a)
        except ValueError:
            continue
        target = value + step
        key = str(int(target)) if target == int(target) else f"{target:.1f}"
        out[i] = position.get(key, -1)
    return out


def kit_frequencies(table: Any = None, kit: STRKit = DEFAULT_KIT) -> KitFrequencies:
    """Sampling arrays for ``kit`` from a frequency table (name, ``FrequencyTable`` or mapping).

    Locus names are folded to canonical spellings (``vWA`` → ``VWA``). Loci of the kit that the
    table lacks are left out (logged); at least one must remain.
    """
    table_name, raw = _as_mapping(table)
    mapping = {canonical_locus(locus): freqs for locus, freqs in raw.items()}
    present = tuple(locus for locus in kit.loci if locus in mapping)
    absent = [locus for locus in kit.loci if locus not in mapping]
    if absent:
        log.warning("frequency table %s lacks kit loci %s; simulating without them", table_name, absent)
    if not present:
        raise ValueError(f"frequency table {table_name} has none of the loci of kit {kit.name}")
    used_kit = kit if not absent else STRKit(f"{kit.name} (subset)", present)
    alleles, probabilities, down, up = [], [], [], []
    for locus in present:
        pairs = sorted(mapping[locus].items(), key=lambda t: allele_sort_key(t[0]))
        names = tuple(a for a, _ in pairs)
        p = np.array([f for _, f in pairs], dtype=float)
        p = p / p.sum()
        alleles.append(names)
        probabilities.append(p)
        down.append(_neighbour_indices(names, -1))
        up.append(_neighbour_indices(names, +1))
    return KitFrequencies(used_kit, table_name, tuple(alleles), tuple(probabilities), tuple(down), tuple(up))
