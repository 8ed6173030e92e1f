"""Loading a simulated scenario directory (``mpid simulate``) into a register, through the real paths.

What the field, the lab and the agencies would send is imported the way an operator would:

1. the frequency table named in ``scenario.json`` (import kind ``frequencies``);
2. the agency lists ``registers/*.csv|xlsx`` (kind ``register``): one case per report;
3. ``sites.csv`` and ``remains_samples.csv``: sites, exhumations, remains and bar-coded samples
   through :mod:`mpid.services.sites` (:func:`import_field_manifest`, one transaction; there is no
   file import kind for these manifests);
4. ``families.json``: each family's pedigree, its donors (pseudonymised, with identification
   consent) and reference samples, linked to the case that holds the agency record the family
   quotes (:func:`import_reference_families`, one transaction);
5. the lab files (kinds ``genemapper`` and ``cmf``): reference profiles, then bone profiles with a
   single peak read as one allele seen (``single_allele="partial"``);
6. deduplication of the agency lists (:func:`deduplicate_register`): the Splink model of
   :mod:`mpid.linkage` clusters the reports, and each cluster is merged into one case with
   :func:`mpid.services.intake.merge_duplicate`, which keeps every report's provenance.

``truth/`` is never read here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mpid.registry.db import make_session_factory
from mpid.registry.errors import RegisterError
from mpid.registry.models import CaseStatus, MissingPerson, RemainsKind, Report, SampleType, Sex, SiteType
from mpid.registry.repositories import (
    find_family_by_code,
    find_remains_by_code,
    find_sample_by_barcode,
    find_site_by_code,
)
from mpid.services.importing import ImportOptions, import_file
from mpid.services.intake import merge_duplicate
from mpid.services.lifecycle import advance_if_possible
from mpid.services.references import ConsentInput, PedigreePersonInput, define_family, register_donor
from mpid.services.sites import RemainsInput, SiteInput, record_exhumation, record_remains, record_sample, record_site

__all__ = [
    "LAB",
    "LoadCounts",
    "ScenarioFiles",
    "deduplicate_register",
    "import_field_manifest",
    "import_reference_families",
    "load_scenario",
    "scenario_files",
]

log = logging.getLogger(__name__)

LAB = "mpid demo lab"
ACTOR = "scenario import"
Progress = Callable[[str, int, int], None]

_SITE_TYPES = {"mass_grave": SiteType.MASS_GRAVE, "grave": SiteType.INDIVIDUAL_GRAVE, "surface": SiteType.SURFACE}
_SEX = {"male": Sex.MALE, "female": Sex.FEMALE}
# Relationships in families.json → the register's vocabulary (mpid.services.references.RELATIONSHIPS).
_RELATIONSHIP_WORDS = {"wife": "spouse", "husband": "spouse"}


@dataclass(frozen=True)
class ScenarioFiles:
    """The files of a scenario directory that the pipeline may read (never ``truth/``)."""

    directory: Path
    scenario: dict[str, Any]
    frequency_table: Path
    registers: tuple[Path, ...]
    sites: Path
    remains_samples: Path
    families: Path
    reference_profiles: tuple[Path, ...]
    bone_profiles: tuple[Path, ...]
    bone_cmf: tuple[Path, ...]

    @property
    def table_name(self) -> str:
        return str(self.scenario.get("frequency_table") or self.frequency_table.stem)


@dataclass
class LoadCounts:
    """What each step of a scenario load added (step → counter → number)."""

    steps: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, step: str, counts: dict[str, int]) -> None:
        into = self.steps.setdefault(step, {})
        for key, value in counts.items():
            into[key] = into.get(key, 0) + int(value)


def _frequency_file(name: str) -> Path:
    from importlib import resources

    path = Path(str(resources.files("mpid.genetics.data").joinpath(f"{name}.csv")))
    if not path.is_file():
        raise FileNotFoundError(f"frequency table {name!r} is not shipped in mpid/genetics/data")
    return path


def scenario_files(directory: str | Path) -> ScenarioFiles:
    """Find a scenario's input files; raises ``FileNotFoundError`` when it is not a scenario."""
    root = Path(directory)
    meta_path = root / "scenario.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"{root} is not a scenario directory (no scenario.json)")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    lab = root / "lab"
    registers = tuple(sorted(p for p in (root / "registers").glob("*") if p.suffix.lower() in (".csv", ".xlsx")))
    return ScenarioFiles(
        directory=root,
        scenario=meta,
        frequency_table=_frequency_file(meta.get("frequency_table", "NorwegianFrequencies_forrel")),
        registers=registers,
        sites=root / "sites.csv",
        remains_samples=root / "remains_samples.csv",
        families=root / "families.json",
        reference_profiles=tuple(sorted(lab.glob("reference_samples_*.txt"))),
        bone_profiles=tuple(sorted(lab.glob("bone_samples_*.txt"))),
        bone_cmf=tuple(sorted(lab.glob("bone_samples_*.cmf.xml"))),
    )


# ----------------------------------------------------------------------------- field manifests


def _read_csv(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _age_range(text: str) -> tuple[int | None, int | None]:
    text = text.strip().lower()
    if "-" in text:
        low, high = text.split("-", 1)
        try:
            return int(low), int(high)
        except ValueError:
            return None, None
    if text == "adult":
        return 18, None
    if text == "subadult":
        return None, 17
    return None, None


def import_field_manifest(
    engine: Engine, sites_csv: Path, remains_csv: Path, *, actor: str = ACTOR, progress: Progress | None = None
) -> dict[str, int]:
    """Sites (with an exhumation each), remains and samples from the field manifests, in one transaction.

    Idempotent: sites, remains and samples already in the register (same code or bar code) are kept.
    """
    sites = _read_csv(sites_csv)
    rows = _read_csv(remains_csv)
    counts = {"sites": 0, "exhumations": 0, "remains": 0, "samples": 0}
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        exhumations: dict[str, Any] = {}
        for row in sites:
            code = row["site_id"]
            site = find_site_by_code(session, code)
            exhumed = date.fromisoformat(row["exhumation_date"]) if row.get("exhumation_date") else None
            if site is None:
                notes = f"disturbance: {row['disturbance']}" if row.get("disturbance") else None
                site = record_site(session, SiteInput(
                    name=row["name"], site_type=_SITE_TYPES.get(row["type"], SiteType.OTHER),
                    latitude=float(row["lat"]) if row.get("lat") else None,
                    longitude=float(row["lon"]) if row.get("lon") else None,
                    region=row.get("region") or None, discovered_on=exhumed, notes=notes, code=code))
                counts["sites"] += 1
                exhumations[code] = record_exhumation(session, site, started_on=exhumed, ended_on=exhumed,
                                                      notes="from sites.csv")
                counts["exhumations"] += 1
            else:
                exhumations[code] = site.exhumations[0] if site.exhumations else record_exhumation(session, site)
        for k, row in enumerate(rows):
            code = row["remains_id"]
            remains = find_remains_by_code(session, code)
            if remains is None:
                age_min, age_max = _age_range(row.get("age_range", ""))
                part = row.get("body_part") or None
                kind = RemainsKind.BODY if part in (None, "skeleton", "body") else RemainsKind.BODY_PART
                exh = exhumations.get(row["site_id"])
                remains = record_remains(session, RemainsInput(
                    kind=kind, body_part=part, anthropological_sex=_SEX.get(row.get("anthropological_sex", ""),
                                                                            Sex.UNKNOWN),
                    age_min=age_min, age_max=age_max, code=code,
                    recovered_on=exh.started_on if exh is not None else None), exhumation=exh)
                counts["remains"] += 1
            if find_sample_by_barcode(session, row["sample_barcode"]) is None:
                sample_type = SampleType.TOOTH if row.get("sample_type") == "tooth" else SampleType.BONE
                record_sample(session, row["sample_barcode"], sample_type, remains=remains,
                              description=row.get("body_part") or None,
                              collected_on=remains.recovered_on, collected_by=actor)
                counts["samples"] += 1
            if progress is not None and (k % 50 == 0 or k == len(rows) - 1):
                progress("field manifests", k + 1, len(rows))
    return counts


# ----------------------------------------------------------------------------- reference families


def _case_by_record(session: Session, record_id: str) -> MissingPerson | None:
    report = session.scalars(select(Report).where(Report.source_reference == record_id)).first()
    if report is None:
        return None
    person = report.missing_person
    while person.status == CaseStatus.MERGED_DUPLICATE and person.merged_into_id is not None:
        person = session.get(MissingPerson, person.merged_into_id)
    return person


def import_reference_families(
    engine: Engine,
    families_json: Path,
    *,
    consent_on: date,
    actor: str = ACTOR,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Families, pedigrees, donors (identification consent on ``consent_on``) and their bar-coded samples.

    Each missing person of a family is the case holding the agency record the family quotes
    (``report_record_id``); one transaction; families already in the register are skipped.
    """
    families = json.loads(families_json.read_text(encoding="utf-8"))
    counts = {"families": 0, "donors": 0, "samples": 0, "missing_linked": 0, "missing_unlinked": 0,
              "families_skipped": 0}
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        for k, fam in enumerate(families):
            code = fam["family_id"]
            if find_family_by_code(session, code) is not None:
                counts["families_skipped"] += 1
                continue
            cases: dict[str, MissingPerson] = {}
            for mp in fam["missing_persons"]:
                case = _case_by_record(session, mp["report_record_id"])
                if case is None or case.pedigree_person is not None:
                    counts["missing_unlinked"] += 1
                    continue
                cases[mp["id"]] = case
            donors = {}
            for d in fam["donors"]:
                relationship = d.get("relationship_to_first_missing")
                donor = register_donor(
                    session, sex=_SEX.get(d.get("sex", ""), Sex.UNKNOWN),
                    stated_relationship=_RELATIONSHIP_WORDS.get(relationship, relationship),
                    consent=ConsentInput(given_on=consent_on))
                record_sample(session, d["sample_barcode"], SampleType.BUCCAL, donor=donor, collected_by=actor)
                donors[d["id"]] = donor
                counts["donors"] += 1
                counts["samples"] += 1
            inputs = [
                PedigreePersonInput(p["id"], _SEX.get(p.get("sex", ""), Sex.UNKNOWN), p.get("father"),
                                    p.get("mother"), missing_person=cases.get(p["id"]), donor=donors.get(p["id"]))
                for p in fam["pedigree"]
            ]
            try:
                define_family(session, code, inputs, notes=f"reference family from {families_json.name}")
            except RegisterError as exc:
                raise RegisterError(f"family {code}: {exc.message}", field=exc.field) from None
            counts["families"] += 1
            counts["missing_linked"] += len(cases)
            if donors:
                for case in cases.values():
                    advance_if_possible(session, case, CaseStatus.REFERENCES_COLLECTED,
                                        from_statuses=(CaseStatus.REPORTED,), actor=actor,
                                        reason=f"reference family {code} recorded")
            if progress is not None and (k % 100 == 0 or k == len(families) - 1):
                progress("reference families", k + 1, len(families))
    return counts


# ----------------------------------------------------------------------------- deduplication


def deduplicate_register(
    engine: Engine,
    register_files: tuple[Path, ...],
    *,
    threshold: float | None = None,
    seed: int = 42,
    actor: str = ACTOR,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Cluster the agency lists' reports (Splink, :mod:`mpid.linkage`) and merge each cluster into one case.

    The survivor is the case that holds a reference family (at most one per cluster; a cluster
    holding two families is not merged and counted as a conflict), else the first case. Every
    report keeps its provenance and records the case it was merged from.
    """
    import pandas as pd

    from mpid.formats.register_lists import parse_register_list
    from mpid.linkage.model import DEFAULT_THRESHOLD, INPUT_COLUMNS, deduplicate

    records = []
    for path in register_files:
        for row in parse_register_list(path):
            f = {k: (v or "").strip() if isinstance(v, str) else "" for k, v in row.fields.items()}
            if not f.get("record_id"):
                continue
            records.append({c: f.get(c, "") for c in INPUT_COLUMNS})
    counts = {"reports": len(records), "clusters": 0, "cases_merged": 0, "conflicts": 0}
    if len(records) < 2:
        return counts
    frame = pd.DataFrame(records, columns=list(INPUT_COLUMNS), dtype=object)
    frame = frame.drop_duplicates("record_id")
    result = deduplicate(frame, threshold=DEFAULT_THRESHOLD if threshold is None else threshold, seed=seed,
                         progress=progress)
    clusters: dict[str, list[str]] = {}
    for record_id, person_id in zip(result.clusters["record_id"], result.clusters["person_id"], strict=True):
        clusters.setdefault(person_id, []).append(record_id)
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        by_record = {r.source_reference: r.missing_person_id for r in session.scalars(select(Report))}
        for record_ids in clusters.values():
            case_ids = list(dict.fromkeys(by_record[r] for r in record_ids if r in by_record))
            if len(case_ids) < 2:
                continue
            counts["clusters"] += 1
            cases = [session.get(MissingPerson, i) for i in case_ids]
            cases = [c for c in cases if c is not None and c.status != CaseStatus.MERGED_DUPLICATE]
            with_family = [c for c in cases if c.pedigree_person is not None]
            if len(with_family) > 1:
                counts["conflicts"] += 1
                continue
            survivor = with_family[0] if with_family else cases[0]
            for case in cases:
                if case.id == survivor.id:
                    continue
                merge_duplicate(session, case, survivor, actor=actor,
                                reason=f"deduplication of the agency lists (Splink, p ≥ {result.threshold:g})")
                counts["cases_merged"] += 1
    return counts


# ----------------------------------------------------------------------------- the whole load


def load_scenario(
    engine: Engine,
    directory: str | Path,
    *,
    actor: str = ACTOR,
    progress: Progress | None = None,
    consent_on: date | None = None,
    step_done: Callable[[str, dict[str, int]], None] | None = None,
) -> LoadCounts:
    """Import a scenario directory into a (migrated) register; returns what each step added.

    ``progress(step, done, total)`` reports inside steps; ``step_done(step, counts)`` after each.
    Deduplication is a separate call (:func:`deduplicate_register`).
    """
    files = scenario_files(directory)
    out = LoadCounts()
    consent_on = consent_on or date.today()

    def done(step: str, counts: dict[str, int]) -> None:
        out.add(step, counts)
        if step_done is not None:
            step_done(step, counts)

    def tick(step: str, k: int, n: int) -> None:
        if progress is not None:
            progress(step, k, n)

    result = import_file(engine, "frequencies", files.frequency_table,
                         ImportOptions(table_name=files.table_name, actor=actor))
    done("frequencies", result.counts)
    for k, path in enumerate(files.registers):
        result = import_file(engine, "register", path, ImportOptions(actor=actor))
        out.add("registers", result.counts)
        tick("agency lists", k + 1, len(files.registers))
    done("registers", {})
    done("field", import_field_manifest(engine, files.sites, files.remains_samples, actor=actor, progress=progress))
    done("families", import_reference_families(engine, files.families, consent_on=consent_on, actor=actor,
                                               progress=progress))
    kit = str(files.scenario.get("kit", {}).get("name") or "") or None
    lab_files = [(p, "genemapper", "reference", "homozygote") for p in files.reference_profiles]
    lab_files += [(p, "genemapper", "remains", "partial") for p in files.bone_profiles]
    lab_files += [(p, "cmf", "remains", "partial") for p in files.bone_cmf]
    for k, (path, kind, category, single) in enumerate(lab_files):
        result = import_file(engine, kind, path, ImportOptions(category=category, single_allele=single, lab=LAB,
                                                               kit=kit, actor=actor))
        out.add("lab", {f"{kind}_{key}": value for key, value in result.counts.items()})
        tick("lab files", k + 1, len(lab_files))
    done("lab", {})
    return out
