"""Exporting the register's profiles, pedigrees, frequency tables and reports to exchange formats.

Exports read in one transaction (a consistent snapshot) and write the file only when the
whole content is ready. Every donor profile written is one whose donor's consent is active;
withdrawn donors are left out (their pedigree position stays, untyped).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from mpid.formats.types import (
    FamiliasDVI,
    FamiliasFamily,
    FamiliasLocus,
    FamiliasMutationModel,
    FamiliasPedigree,
    FamiliasPerson,
    FamiliasProject,
    ProfileRecord,
    RegisterRow,
)
from mpid.registry.db import make_session_factory
from mpid.registry.errors import NotFoundError, RegisterError
from mpid.registry.matching_input import MatchingInput, load_matching_input
from mpid.registry.models import Consent, FrequencyTable, Profile, Report, Sample
from mpid.registry.repositories import latest_frequency_table

__all__ = ["EXPORT_KINDS", "ExportOptions", "export_file", "profile_records"]

log = logging.getLogger(__name__)

EXPORT_KINDS: tuple[str, ...] = ("genemapper", "cmf", "familias", "frequencies", "register", "refcase")

# Donor relationship (as stated) → CMF specimen category.
_CMF_CATEGORY = {
    "mother": "Biological Mother",
    "father": "Biological Father",
    "child": "Biological Child",
    "son": "Biological Child",
    "daughter": "Biological Child",
    "full_sibling": "Biological Sibling",
    "brother": "Biological Sibling",
    "sister": "Biological Sibling",
    "spouse": "Spouse",
    "partner": "Spouse",
}


@dataclass(frozen=True)
class ExportOptions:
    """Choices for an export; each applies only to the kinds that use it."""

    table_name: str | None = None
    """familias/frequencies/refcase: the frequency table (newest version; default: newest table)."""
    source_lab: str = "MPID"
    destination: str = "MPID"
    case_id: str | None = None
    """refcase: the case id written (default: the file name without extension)."""


def export_file(
    target: Engine | sessionmaker[Session],
    kind: str,
    path: str | os.PathLike[str],
    options: ExportOptions | None = None,
) -> dict[str, int]:
    """Write the register's content as ``kind`` (one of :data:`EXPORT_KINDS`); returns counts."""
    options = options or ExportOptions()
    if kind not in EXPORT_KINDS:
        raise ValueError(f"unknown export kind {kind!r}; one of {', '.join(EXPORT_KINDS)}")
    factory = make_session_factory(target) if isinstance(target, Engine) else target
    path = str(path)
    with factory() as session, session.begin():
        counts = _EXPORTERS[kind](session, path, options)
    log.info("exported %s to %s: %s", kind, path, counts)
    return counts


def _active_donor_ids(session: Session, on: date | None = None) -> set[int]:
    on = on or date.today()
    return set(
        session.scalars(
            select(Consent.donor_id).where(
                Consent.identification.is_(True),
                Consent.given_on <= on,
                (Consent.withdrawn_on.is_(None)) | (Consent.withdrawn_on > on),
            )
        )
    )


def _cmf_category(relationship: str | None) -> str:
    relationship = relationship or ""
    if relationship in _CMF_CATEGORY:
        return _CMF_CATEGORY[relationship]
    if relationship.startswith("paternal_"):
        return "Paternal Relative"
    if relationship.startswith("maternal_"):
        return "Maternal Relative"
    return "Other"


def profile_records(session: Session) -> list[ProfileRecord]:
    """Every stored profile of remains and of consenting donors, as format records."""
    active = _active_donor_ids(session)
    records = []
    rows = session.execute(select(Profile, Sample).join(Sample, Profile.sample_id == Sample.id).order_by(Profile.id))
    for profile, sample in rows:
        attributes: dict[str, str] = {}
        if sample.remains_id is not None:
            category = "Unidentified Person"
        else:
            if sample.donor_id not in active:
                continue
            donor = sample.donor
            assert donor is not None
            category = _cmf_category(donor.stated_relationship)
            person = donor.pedigree_person
            if person is not None:
                cases = [p.missing_person.case_code for p in person.family.persons if p.missing_person is not None]
                if len(cases) == 1:
                    attributes["case_id"] = cases[0]
        if profile.quality == "partial":
            attributes["partial"] = "true"
        records.append(
            ProfileRecord(
                sample_id=sample.barcode,
                loci={locus: tuple(alleles) for locus, alleles in profile.alleles.items()},
                source_path="register",
                kit=profile.kit or None,
                lab=profile.lab or None,
                run=profile.run or None,
                category=category,
                attributes=attributes,
            )
        )
    return records


def _export_cmf(session: Session, path: str, options: ExportOptions) -> dict[str, int]:
    from mpid.formats.cmf import write_cmf

    records = profile_records(session)
    write_cmf(records, path, source_lab=options.source_lab, destination=options.destination)
    return {"profiles": len(records)}


def _export_genemapper(session: Session, path: str, options: ExportOptions) -> dict[str, int]:
    from mpid.formats.genemapper import write_genemapper

    records = profile_records(session)
    write_genemapper(records, path)
    return {"profiles": len(records)}


def _table(session: Session, options: ExportOptions) -> FrequencyTable:
    table = latest_frequency_table(session, options.table_name)
    if table is None:
        what = f"named {options.table_name!r}" if options.table_name else "at all"
        raise NotFoundError(f"no frequency table {what} in the register", field="table_name")
    return table


def _export_frequencies(session: Session, path: str, options: ExportOptions) -> dict[str, int]:
    table = _table(session, options)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["marker", "allele", "frequency", "n"])
    for row in table.rows:
        writer.writerow([row.locus, row.allele, repr(row.frequency), table.sample_sizes.get(row.locus, "")])
    Path(path).write_text(out.getvalue(), encoding="utf-8")
    return {"frequency_rows": len(table.rows)}


def _export_register(session: Session, path: str, options: ExportOptions) -> dict[str, int]:
    from mpid.formats.register_lists import write_register_csv, write_register_xlsx

    rows = []
    for report in session.scalars(select(Report).order_by(Report.id)):
        name = report.name_original
        patronymic = report.patronymic_original
        family_name = name[: -len(patronymic)].rstrip() if patronymic and name.endswith(patronymic) else name
        details = report.details or {}
        rows.append(
            RegisterRow(
                line=len(rows) + 2,
                fields={
                    "record_id": report.source_reference or f"{report.missing_person.case_code}/{report.id}",
                    "source": report.source_agency,
                    "family_name": family_name,
                    "given_name": None,
                    "patronymic": patronymic,
                    "sex": {"male": "M", "female": "F"}.get(report.sex_reported.value, "unknown"),
                    "birth_date": report.birth_date_original,
                    "birth_place": details.get("birth_place"),
                    "missing_date": _iso(report.missing_person.disappeared_on),
                    "missing_place": report.missing_person.disappearance_place,
                    "region": report.region,
                    "reporter": report.reporter_name,
                    "report_date": _iso(report.reported_on),
                    "notes": details.get("notes"),
                },
            )
        )
    if path.lower().endswith(".xlsx"):
        write_register_xlsx(rows, path)
    else:
        write_register_csv(rows, path)
    return {"reports": len(rows)}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _sex_word(code: int) -> str:
    return {1: "male", 2: "female"}.get(code, "unknown")


def _missing_label(label: str) -> str:
    """Familias (and dvir) know a missing person by a name starting with 'Missing'."""
    return label if label.startswith("Missing") else f"Missing {label}"


# pedmut model names → Familias model names (pedmut's stepwise is Familias' extended stepwise).
_PEDMUT_TO_FAMILIAS = {"equal": "equal", "proportional": "proportional", "stepwise": "stepwise_extended"}


def _familias_model(models: dict[str, Any] | None, locus: str, sex: str) -> FamiliasMutationModel:
    entry = (models or {}).get(locus)
    if not entry or sex not in entry:
        return FamiliasMutationModel("equal", 0.0)
    params = entry[sex]
    name = params.get("familias_model") or _PEDMUT_TO_FAMILIAS.get(params["model"])
    if name is None:
        raise RegisterError(f"mutation model {params['model']!r} at {locus} has no Familias equivalent", field=locus)
    return FamiliasMutationModel(
        name, params.get("rate") or 0.0, params.get("rate2") or 0.0, params.get("range") or 0.0
    )


def _refcase_mutation(models: dict[str, Any] | None, locus: str, alleles: dict[str, float]) -> dict[str, Any] | None:
    """The refcase ``markers[].mutation`` block (pedmut parameters and matrices), or None."""
    from mpid.genetics.mutation import mutation_matrix

    entry = (models or {}).get(locus)
    if not entry:
        return None
    out: dict[str, Any] = {}
    for sex in ("female", "male"):
        params = {k: entry[sex].get(k) for k in ("model", "rate", "rate2", "range")}
        try:
            matrix = mutation_matrix(
                params["model"],
                list(alleles),
                np.array(list(alleles.values())),
                params.get("rate") or 0.0,
                params.get("rate2"),
                params.get("range"),
            )
        except ValueError as exc:
            raise RegisterError(f"mutation model at {locus}: {exc}", field=locus) from None
        out[sex] = {**params, "matrix": matrix.tolist()}
    return out


def _familias_project(data: MatchingInput, table: FrequencyTable) -> tuple[FamiliasProject, dict[str, int]]:
    markers = table.as_markers()
    loci = tuple(
        FamiliasLocus(
            name=locus,
            alleles=tuple(alleles),
            freqs=tuple(alleles.values()),
            female_model=_familias_model(table.mutation_models, locus, "female"),
            male_model=_familias_model(table.mutation_models, locus, "male"),
            database_size=table.sample_sizes.get(locus),
        )
        for locus, alleles in markers.items()
    )
    skipped = 0

    def genotypes(loci_of: dict[str, tuple[str | None, ...]] | None) -> dict[str, tuple[str, ...]]:
        nonlocal skipped
        out: dict[str, tuple[str, ...]] = {}
        for locus, alleles in (loci_of or {}).items():
            if locus not in markers or len(alleles) != 2 or None in alleles:
                skipped += 1  # Familias holds two alleles of a database locus; partial calls are left out
                continue
            missing = [a for a in alleles if a not in markers[locus]]
            if missing:
                raise RegisterError(
                    f"allele {missing[0]} at {locus} is not in frequency table {table.name} v{table.version}",
                    field=locus,
                )
            out[locus] = (str(alleles[0]), str(alleles[1]))
        return out

    victims = tuple(
        FamiliasPerson(id=r.remains_code, sex=_sex_word(r.sex), genotypes=genotypes(r.loci)) for r in data.remains
    )
    families = []
    for family in data.families:
        names = {
            p.label: (_missing_label(p.label) if p.missing_person_id is not None else p.label) for p in family.persons
        }
        persons = tuple(
            FamiliasPerson(id=names[p.label], sex=_sex_word(p.sex), genotypes=genotypes(p.loci)) for p in family.persons
        )
        relations = tuple(
            (names[parent], names[p.label])
            for p in family.persons
            for parent in (p.father, p.mother)
            if parent is not None
        )
        families.append(
            FamiliasFamily(
                name=family.code,
                persons=persons,
                pedigrees=(FamiliasPedigree("Reference pedigree", relations),),
                missing=tuple(names[label] for label in family.missing_labels),
            )
        )
    project = FamiliasProject(
        persons=(),
        pedigrees=(),
        loci=loci,
        dvi=FamiliasDVI(victims=victims, families=tuple(families)),
        database_name=f"{table.name} v{table.version}",
    )
    return project, {"remains": len(victims), "families": len(families), "loci_left_out": skipped}


def _export_familias(session: Session, path: str, options: ExportOptions) -> dict[str, int]:
    from mpid.formats.familias import write_familias

    project, counts = _familias_project(load_matching_input(session), _table(session, options))
    write_familias(project, path)
    return counts


def _export_refcase(session: Session, path: str, options: ExportOptions) -> dict[str, int]:
    table = _table(session, options)
    data = load_matching_input(session)
    markers = table.as_markers()
    genotypes: dict[str, dict[str, list[str | None]]] = {}

    def typed(loci: dict[str, tuple[str | None, ...]] | None) -> dict[str, list[str | None]]:
        return {locus: list(alleles) for locus, alleles in (loci or {}).items() if locus in markers}

    victims = []
    for r in data.remains:
        victims.append({"id": r.remains_code, "sex": r.sex or None})
        genotypes[r.remains_code] = typed(r.loci)
    families = []
    for family in data.families:
        # Person ids are global in a refcase: qualify each label with its family's code.
        def qualified(label: str | None, code: str = family.code) -> str | None:
            return f"{code}/{label}" if label is not None else None

        pedigree = [
            {
                "id": qualified(p.label),
                "father": qualified(p.father),
                "mother": qualified(p.mother),
                "sex": p.sex or None,
            }
            for p in family.persons
        ]
        references = [qualified(p.label) for p in family.persons if p.is_typed]
        for p in family.persons:
            if p.is_typed:
                genotypes[str(qualified(p.label))] = typed(p.loci)
        families.append(
            {
                "name": family.code,
                "pedigree": pedigree,
                "missing": [qualified(label) for label in family.missing_labels],
                "references": references,
            }
        )
    document: dict[str, Any] = {
        "schema_version": "1.0",
        "case_id": options.case_id or Path(path).stem,
        "category": "dvi",
        "title": "Export of an mpid register",
        "description": "Remains as victims and reference families, exported by mpid; no expected values.",
        "provenance": {"generator": "mpid export refcase", "frequency_table": f"{table.name} v{table.version}"},
        "settings": {"theta": 0, "mutation": None, "ignoreSex": False},
        "markers": [
            {
                "name": locus,
                "chrom": "autosomal",
                "alleles": list(alleles),
                "freqs": list(alleles.values()),
                "mutation": _refcase_mutation(table.mutation_models, locus, alleles),
            }
            for locus, alleles in markers.items()
        ],
        "dvi": {
            "victims": victims,
            "families": families,
            "missing": [m for f in families for m in f["missing"]],
        },
        "genotypes": {k: v for k, v in genotypes.items() if v},
        "expected": {},
    }
    Path(path).write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return {"remains": len(victims), "families": len(families)}


_EXPORTERS: dict[str, Any] = {
    "genemapper": _export_genemapper,
    "cmf": _export_cmf,
    "familias": _export_familias,
    "frequencies": _export_frequencies,
    "register": _export_register,
    "refcase": _export_refcase,
}
