"""Attaching STR profiles to samples, with the register's checks on loci and alleles."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mpid.genetics.alleles import CODIS_CORE_20, ESS_LOCI, AlleleError, allele_sort_key, canonical_locus, parse_allele
from mpid.registry.errors import AlleleValueError, ConflictError, NotFoundError, RegisterError, UnknownLocusError
from mpid.registry.models import Profile, Sample
from mpid.registry.repositories import find_sample_by_barcode, stored_loci

__all__ = ["KNOWN_LOCI", "attach_profile", "is_known_locus", "normalise_loci"]

log = logging.getLogger(__name__)

# Loci of the commercial autosomal, X and Y kits in use (canonical names), beyond CODIS and ESS.
KNOWN_LOCI: frozenset[str] = frozenset(
    {
        *CODIS_CORE_20,
        *ESS_LOCI,
        "AMEL", "PENTA_D", "PENTA_E", "PENTA_C", "SE33", "D6S1043", "D6S474", "D22GATA198B05",
        "F13A01", "F13B", "FESFPS", "LPL", "HPRTB", "D4S2408", "D9S1122", "D17S1301", "D20S482",
        "D14S1434", "D10S1435", "D3S4529", "D5S2500", "D1S1677", "D2S1776", "D6S1017", "D11S4463",
        "D18S853", "D20S1082", "D4S2366", "D5S2800", "YINDEL", "DYS391", "DYF387S1", "DYS570", "DYS576",
    }
)  # fmt: skip
# Standard nomenclature: D<chromosome>S<number>, and the X/Y STRs (DXS…, DYS…, DYF…).
_LOCUS_PATTERN = re.compile(r"^(D([1-9]|1\d|2[0-2])S\d+|DXS\d+|DYS\d+|DYF\d+S\d+)$")


def is_known_locus(locus: str, extra: Iterable[str] = ()) -> bool:
    """True for a canonical locus name that is a known STR marker or is in ``extra``."""
    return locus in KNOWN_LOCI or bool(_LOCUS_PATTERN.match(locus)) or locus in set(extra)


def normalise_loci(
    loci: Mapping[str, Sequence[Any]], *, extra_known_loci: Iterable[str] = ()
) -> dict[str, list[str | None]]:
    """Canonical ``{locus: [alleles…]}``: names folded, alleles parsed and sorted, ``None`` last.

    Raises :class:`UnknownLocusError` (field = the locus as given) or :class:`AlleleValueError`.
    """
    extra = set(extra_known_loci)
    result: dict[str, list[str | None]] = {}
    for name, values in loci.items():
        try:
            locus = canonical_locus(name)
        except AlleleError:
            raise UnknownLocusError("empty locus name", field=str(name)) from None
        if not is_known_locus(locus, extra):
            raise UnknownLocusError(
                f"unknown locus {name!r}: not a known STR marker and not in any stored frequency table",
                field=str(name),
            )
        if locus in result:
            raise RegisterError(f"locus {name!r} is given twice (as {locus})", field=str(name))
        alleles: list[str] = []
        unseen = 0
        for value in values:
            if value is None:
                unseen += 1
                continue
            try:
                alleles.append(parse_allele(value))
            except AlleleError as exc:
                raise AlleleValueError(
                    f"allele {value!r} at locus {locus} cannot be read: {exc}", field=locus
                ) from None
        if not alleles:
            continue  # untyped locus: nothing seen
        alleles.sort(key=allele_sort_key)
        result[locus] = [*alleles, *([None] * unseen)]
    return result


def attach_profile(
    session: Session,
    sample: Sample | str,
    loci: Mapping[str, Sequence[Any]],
    *,
    kit: str | None = None,
    lab: str | None = None,
    run: str | None = None,
    quality: str | None = None,
    import_batch_id: int | None = None,
    provenance: dict[str, Any] | None = None,
    extra_known_loci: Iterable[str] = (),
) -> Profile:
    """Attach a lab profile to a sample (object or bar code).

    Loci must be known markers or appear in a stored frequency table (or ``extra_known_loci``).
    Attaching the same alleles for the same sample, lab, run and kit again returns the stored profile.
    """
    if isinstance(sample, str):
        found = find_sample_by_barcode(session, sample)
        if found is None:
            raise NotFoundError(f"no sample with bar code {sample!r}", field="barcode")
        sample = found
    extra = set(extra_known_loci)
    needs_table_loci = any(not is_known_locus(_fold(name), extra) for name in loci)
    if needs_table_loci:
        extra |= stored_loci(session)
    alleles = normalise_loci(loci, extra_known_loci=extra)
    if not alleles:
        raise RegisterError(f"profile of sample {sample.barcode} has no typed locus", field="loci")
    kit, lab, run = kit or "", lab or "", run or ""
    existing = session.scalar(
        select(Profile).where(
            Profile.sample_id == sample.id, Profile.kit == kit, Profile.lab == lab, Profile.run == run
        )
    )
    if existing is not None:
        if existing.alleles == alleles:
            return existing
        raise ConflictError(
            f"sample {sample.barcode} already has a different profile from lab {lab!r}, run {run!r}, kit {kit!r}",
            field="barcode",
        )
    profile = Profile(
        sample_id=sample.id,
        kit=kit,
        lab=lab,
        run=run,
        quality=quality,
        n_loci=sum(1 for locus in alleles if locus != "AMEL"),
        alleles=alleles,
        import_batch_id=import_batch_id,
        provenance=dict(provenance or {}),
    )
    session.add(profile)
    session.flush()
    log.info("profile of sample %s stored (%d loci)", sample.barcode, profile.n_loci)
    return profile


def _fold(name: str) -> str:
    try:
        return canonical_locus(name)
    except AlleleError:
        return name
