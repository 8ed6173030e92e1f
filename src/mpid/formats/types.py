"""Plain records produced and consumed by the importers and exporters in :mod:`mpid.formats`.

They carry no database identity: the registry maps them onto its own models. Loci are
keyed by canonical locus name (:func:`mpid.genetics.alleles.canonical_locus`) and alleles
are canonical strings (:func:`mpid.genetics.alleles.parse_allele`), except in the Familias
records, which keep the names and alleles exactly as the ``.fam`` file spells them so a
project can be written back unchanged.

Homozygote rule (GeneMapper and CMF): labs write a homozygote either once (``12``) or twice
(``12, 12``). Repeated calls at a locus are collapsed and the distinct alleles are sorted with
:func:`mpid.genetics.alleles.allele_sort_key`. A locus called twice with the same allele is
``("12", "12")``. A locus with a single call becomes ``("12", "12")`` too
(``single_allele="homozygote"``, the default) or ``("12", None)`` (``single_allele="partial"``:
one allele seen, the other possibly dropped out). Loci with
three or more distinct alleles (tri-allelic patterns, mixtures) keep them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "FAMILIAS_MUTATION_MODELS",
    "FamiliasDVI",
    "FamiliasFamily",
    "FamiliasLocus",
    "FamiliasMutationModel",
    "FamiliasPedigree",
    "FamiliasPerson",
    "FamiliasProject",
    "FrequencyTableData",
    "Genotype",
    "ProfileRecord",
    "RegisterRow",
    "SingleAlleleRule",
]

Genotype = tuple[str | None, ...]
"""Alleles at one locus: two or more canonical allele strings; ``None`` marks an allele not seen."""

SingleAlleleRule = Literal["homozygote", "partial"]


@dataclass(frozen=True)
class ProfileRecord:
    """One STR profile read from a lab file (GeneMapper, CMF), before it is stored."""

    sample_id: str
    loci: dict[str, Genotype]
    source_path: str
    source_lines: dict[str, int] = field(default_factory=dict)
    kit: str | None = None
    lab: str | None = None
    run: str | None = None
    category: str | None = None
    sex: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    """Format-specific extras worth keeping (CMF SOURCEID, PARTIAL, specimen comment...)."""


@dataclass(frozen=True)
class FrequencyTableData:
    """Allele frequencies of one population: ``markers[locus][allele] = frequency``."""

    name: str
    markers: dict[str, dict[str, float]]
    sample_sizes: dict[str, int | None]
    source_path: str


# Familias mutation model codes (position = code in the .fam file).
FAMILIAS_MUTATION_MODELS: tuple[str, ...] = (
    "equal",  # 0
    "proportional",  # 1
    "stepwise",  # 2: stepwise, unstationary
    "stepwise_stationary",  # 3
    "stepwise_extended",  # 4: stepwise with rate2 for non-integer steps and range
)


@dataclass(frozen=True)
class FamiliasMutationModel:
    """Mutation model for one sex at one locus, as Familias stores it."""

    model: str
    rate: float
    rate2: float = 0.0
    range: float = 0.0
    matrix: tuple[tuple[float, ...], ...] | None = None
    """Only for ``model="custom"``; Familias does not save custom matrices in .fam files."""


@dataclass(frozen=True)
class FamiliasPerson:
    """A person of a Familias project; genotypes are keyed by the file's locus name."""

    id: str
    sex: Literal["male", "female", "unknown"]
    father: str | None = None
    mother: str | None = None
    genotypes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    consider_dropout: bool = False


@dataclass(frozen=True)
class FamiliasPedigree:
    """A named pedigree: parent→child relations plus the untyped extra persons it adds."""

    name: str
    relations: tuple[tuple[str, str], ...] = ()
    """(parent id, child id) pairs."""
    extras: tuple[tuple[str, str], ...] = ()
    """(id, sex) of persons the pedigree adds that are not in the person list."""


@dataclass(frozen=True)
class FamiliasLocus:
    """A locus of the Familias database: alleles, frequencies and the mutation model per sex."""

    name: str
    alleles: tuple[str, ...]
    freqs: tuple[float, ...]
    female_model: FamiliasMutationModel
    male_model: FamiliasMutationModel
    database_size: int | None = None
    dropout: float = 0.0
    minor_allele_frequency: float = 0.0
    silent_freq: float | None = None


@dataclass(frozen=True)
class FamiliasFamily:
    """A DVI reference family: its persons, its candidate pedigrees and who is missing."""

    name: str
    persons: tuple[FamiliasPerson, ...]
    pedigrees: tuple[FamiliasPedigree, ...]
    missing: tuple[str, ...] = ()
    """Names starting with ``Missing`` (persons and pedigree-only placeholders), as dvir reads them."""


@dataclass(frozen=True)
class FamiliasDVI:
    """The ``[DVI]`` section: unidentified victims and reference families."""

    victims: tuple[FamiliasPerson, ...]
    families: tuple[FamiliasFamily, ...]
    notes: tuple[str, ...] = ()
    """Lines of the ``[[Notes]]`` block, verbatim."""


@dataclass(frozen=True)
class FamiliasProject:
    """Everything in a Familias .fam file."""

    persons: tuple[FamiliasPerson, ...]
    pedigrees: tuple[FamiliasPedigree, ...]
    loci: tuple[FamiliasLocus, ...]
    dvi: FamiliasDVI | None = None
    known_relations: FamiliasPedigree = field(default_factory=lambda: FamiliasPedigree("Known relations"))
    version: str = "3.3.1"
    comment: str = ""
    database_name: str | None = None
    theta: float = 0.0
    settings: tuple[str, ...] = ()
    """Lines after the database and DVI section ([Prior], [Advanced]...), verbatim."""


@dataclass(frozen=True)
class RegisterRow:
    """One data row of an agency register list, keyed by mpid field name (None = empty)."""

    line: int
    fields: dict[str, str | None]
