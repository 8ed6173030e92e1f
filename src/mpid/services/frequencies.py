"""Storing allele frequency tables as named, versioned tables."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from mpid.genetics.alleles import AlleleError, canonical_locus, parse_allele
from mpid.registry.errors import RegisterError
from mpid.registry.models import FrequencyRow, FrequencyTable
from mpid.registry.repositories import latest_frequency_table

__all__ = ["frequency_content_hash", "normalise_frequency_markers", "store_frequency_table"]

log = logging.getLogger(__name__)


def normalise_frequency_markers(
    markers: Mapping[str, Mapping[str, float]], *, keep_unparsed_alleles: bool = False
) -> dict[str, dict[str, float]]:
    """Canonical locus and allele names; frequencies checked to lie in [0, 1].

    ``keep_unparsed_alleles`` keeps labels such as Familias' ``"Rest allele"`` as written.
    """
    result: dict[str, dict[str, float]] = {}
    for locus_name, alleles in markers.items():
        try:
            locus = canonical_locus(locus_name)
        except AlleleError:
            raise RegisterError("empty locus name in frequency table", field=str(locus_name)) from None
        table = result.setdefault(locus, {})
        for allele_text, frequency in alleles.items():
            try:
                allele = parse_allele(allele_text)
            except AlleleError as exc:
                if not keep_unparsed_alleles:
                    raise RegisterError(
                        f"allele {allele_text!r} at {locus} cannot be read: {exc}", field=locus
                    ) from None
                allele = str(allele_text)
            value = float(frequency)
            if not 0.0 <= value <= 1.0:
                raise RegisterError(
                    f"frequency {frequency!r} of allele {allele} at {locus} is not in [0, 1]", field=locus
                )
            if allele in table:
                raise RegisterError(f"allele {allele} appears twice at {locus}", field=locus)
            table[allele] = value
    return result


def frequency_content_hash(
    markers: Mapping[str, Mapping[str, float]],
    sample_sizes: Mapping[str, int | None],
    mutation_models: Mapping[str, Any] | None = None,
) -> str:
    """SHA-256 of a table's content (frequencies, sample sizes, mutation models), independent of layout."""
    canonical = {
        "mutation_models": dict(sorted((mutation_models or {}).items())),
        "markers": {
            locus: {a: repr(float(f)) for a, f in sorted(alleles.items())} for locus, alleles in sorted(markers.items())
        },
        "sample_sizes": {k: v for k, v in sorted(sample_sizes.items()) if v is not None},
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def store_frequency_table(
    session: Session,
    name: str,
    markers: Mapping[str, Mapping[str, float]],
    *,
    sample_sizes: Mapping[str, int | None] | None = None,
    source: str | None = None,
    import_batch_id: int | None = None,
    keep_unparsed_alleles: bool = False,
    mutation_models: Mapping[str, Any] | None = None,
) -> tuple[FrequencyTable, bool]:
    """Store a table as the next version of ``name``; returns (table, created).

    ``mutation_models``: ``{locus: {"female": {model, rate, rate2, range}, "male": {...}}}`` (pedmut names).

    When the content equals the newest stored version, nothing is stored and that version is returned.
    """
    if not name.strip():
        raise RegisterError("a frequency table needs a name", field="name")
    normalised = normalise_frequency_markers(markers, keep_unparsed_alleles=keep_unparsed_alleles)
    if not normalised:
        raise RegisterError(f"frequency table {name!r} has no marker", field="markers")
    sizes = {canonical_locus(locus): int(n) for locus, n in (sample_sizes or {}).items() if n is not None}
    models = {canonical_locus(locus): dict(m) for locus, m in (mutation_models or {}).items() if m} or None
    content = frequency_content_hash(normalised, sizes, models)
    latest = latest_frequency_table(session, name)
    if latest is not None and latest.content_sha256 == content:
        return latest, False
    table = FrequencyTable(
        name=name,
        version=(latest.version + 1) if latest is not None else 1,
        source=source,
        content_sha256=content,
        sample_sizes=sizes,
        mutation_models=models,
        import_batch_id=import_batch_id,
    )
    session.add(table)
    session.flush()
    session.add_all(
        FrequencyRow(table_id=table.id, locus=locus, allele=allele, frequency=frequency)
        for locus, alleles in normalised.items()
        for allele, frequency in alleles.items()
    )
    session.flush()
    log.info("frequency table %s v%d stored (%d markers)", name, table.version, len(normalised))
    return table, True
