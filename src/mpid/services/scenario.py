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
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
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
    "JointOutcome",
    "LoadCounts",
    "ScenarioFiles",
    "deduplicate_register",
    "import_field_manifest",
    "import_reference_families",
    "load_scenario",
    "run_joint_identification",
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


def _cases_by_record(session: Session) -> dict[str, int]:
    """Agency record id → the case holding its report, read once (a query per family scanned every report)."""
    out: dict[str, int] = {}
    for record_id, case_id in session.execute(
            select(Report.source_reference, Report.missing_person_id).order_by(Report.id)):
        if record_id is not None:
            out.setdefault(record_id, case_id)
    return out


def _case_by_record(session: Session, record_id: str, cases: dict[str, int]) -> MissingPerson | None:
    case_id = cases.get(record_id)
    if case_id is None:
        return None
    person = session.get(MissingPerson, case_id)
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
        record_cases = _cases_by_record(session)
        for k, fam in enumerate(families):
            code = fam["family_id"]
            if find_family_by_code(session, code) is not None:
                counts["families_skipped"] += 1
                continue
            cases: dict[str, MissingPerson] = {}
            for mp in fam["missing_persons"]:
                case = _case_by_record(session, mp["report_record_id"], record_cases)
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


# ----------------------------------------------------------------------------- follow-up references

FOLLOWUP_COLUMNS = ("family_id", "donor_id", "sample_barcode", "sex", "relative_of", "relationship")
_FOLLOWUP_WORDS = ("father", "mother", "brother", "sister", "son", "daughter", "partner")


def _related_alike(person: Any, word: str, persons: list[Any]) -> list[Any]:
    """The missing persons of a pedigree to whom a new ``word`` of ``person`` is related the same way.

    A parent or a full sibling of a missing person is also a parent or full sibling of his missing
    full siblings; a child or a partner is his alone.
    """
    if word in ("son", "daughter", "partner") or person.father_id is None:
        return [person]
    return [p for p in persons if p.missing_person_id is not None
            and p.father_id == person.father_id and p.mother_id == person.mother_id]


def collect_followup_references(
    engine: Engine,
    directory: str | Path,
    requests: list[Any],
    *,
    consent_on: date,
    actor: str = ACTOR,
) -> dict[str, int]:
    """The liaison officers' second visit: the relatives a request asks for give samples, which the lab types.

    ``followup/references.csv`` lists, for every family, the living relatives who would give a sample
    if asked (who they are and how they are related to a missing person); only those that one of the
    ``requests`` (:func:`mpid.services.reference_requests.reference_requests`) asks for are registered,
    placed in the pedigree with :func:`mpid.services.references.add_donor` and given a sample. Their
    profiles are then imported, through the ``genemapper`` import, from the lab's answer: the rows of
    ``followup/reference_samples_followup.txt`` for the collected samples, written to
    ``followup/collected_<n>.txt``. One transaction for the donors; idempotent (bar codes already in
    the register are skipped).
    """
    import csv

    from mpid.registry.models import PedigreePerson
    from mpid.services.references import add_donor

    root = Path(directory) / "followup"
    listing = root / "references.csv"
    wanted = {(r.family, r.label): set(r.wanted) for r in requests}
    counts = {"requests": len(requests), "families_asked": len({r.family for r in requests}), "donors": 0,
              "samples": 0, "already_collected": 0, "profiles": 0}
    collected: list[str] = []
    factory = make_session_factory(engine)
    with factory() as session, session.begin(), listing.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing_columns = [c for c in FOLLOWUP_COLUMNS if c not in (reader.fieldnames or [])]
        if missing_columns:
            raise RegisterError(f"{listing}: line 1: missing column(s) {', '.join(missing_columns)}",
                                field=missing_columns[0])
        asked_families = {family for family, _label in wanted}
        rows = []
        for line, raw in enumerate(reader, start=2):
            row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
            if row["family_id"] not in asked_families:
                continue
            if row["relationship"] not in _FOLLOWUP_WORDS:
                raise RegisterError(f"{listing}: line {line}: field relationship: {row['relationship']!r} is not "
                                    f"one of {', '.join(_FOLLOWUP_WORDS)}", field="relationship")
            rows.append((line, row))
        # A partner is placed as the other parent of the missing person's children: children first.
        rows.sort(key=lambda item: (item[1]["relationship"] == "partner", item[0]))
        pedigrees: dict[str, list[Any]] = {}
        for line, row in rows:
            family, word = row["family_id"], row["relationship"]
            if family not in pedigrees:
                fam = find_family_by_code(session, family)
                pedigrees[family] = list(fam.persons) if fam is not None else []
            persons = pedigrees[family]
            person = next((p for p in persons if p.label == row["relative_of"]), None)
            if person is None or person.missing_person_id is None:
                continue  # the family, or this missing person, is not in the register's pedigree
            if not any(word in wanted.get((family, p.label), ()) for p in _related_alike(person, word, persons)):
                continue
            barcode = row["sample_barcode"]
            if not barcode:
                raise RegisterError(f"{listing}: line {line}: field sample_barcode: empty", field="sample_barcode")
            if find_sample_by_barcode(session, barcode) is not None:
                counts["already_collected"] += 1
                collected.append(barcode)
                continue
            try:
                donor = add_donor(session, person.missing_person, _RELATIONSHIP_WORDS.get(word, word),
                                  sex=_SEX.get(row["sex"]), consent=ConsentInput(given_on=consent_on), actor=actor)
                record_sample(session, barcode, SampleType.BUCCAL, donor=donor, collected_by=actor)
            except RegisterError as exc:
                raise RegisterError(f"{listing}: line {line}: field {exc.field or 'relationship'}: {exc.message}",
                                    field=exc.field) from None
            session.flush()
            pedigrees[family] = list(session.scalars(select(PedigreePerson)
                                                     .where(PedigreePerson.family_id == person.family_id)))
            collected.append(barcode)
            counts["donors"] += 1
            counts["samples"] += 1
    if collected:
        counts["profiles"] = _import_collected_profiles(engine, root, set(collected), actor)
    return counts


def _import_collected_profiles(engine: Engine, root: Path, barcodes: set[str], actor: str) -> int:
    """Import the lab's profiles of the collected samples (the rows of the follow-up table for them)."""
    source = root / "reference_samples_followup.txt"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    if not lines:
        return 0
    header = lines[0].rstrip("\r\n").split("\t")
    name_at = header.index("Sample Name")
    kept = [lines[0]] + [ln for ln in lines[1:] if ln.split("\t")[name_at].strip() in barcodes]
    out = root / f"collected_{len(list(root.glob('collected_*.txt'))) + 1}.txt"
    out.write_text("".join(kept), encoding="utf-8")
    meta = json.loads((root.parent / "scenario.json").read_text(encoding="utf-8"))
    kit = str((meta.get("kit") or {}).get("name") or "") or None
    result = import_file(engine, "genemapper", out, ImportOptions(category="reference", single_allele="homozygote",
                                                                  lab=LAB, kit=kit, actor=actor))
    return int(result.counts.get("profiles", 0))


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


# ----------------------------------------------------------------------------- joint identification


def _consensus(observed: list[Any]) -> Any:
    """One person's genotype at a locus from several samples: the union of the alleles seen.

    A single peak ``(a, None)`` means one allele seen; two alleles seen anywhere make the genotype
    whole. More than two alleles (samples wrongly grouped) keep the most complete observation.
    """
    alleles = {a for g in observed for a in g if a is not None}
    full = [g for g in observed if g[1] is not None]
    if len(alleles) > 2:
        return full[0] if full else observed[0]
    if len(alleles) == 2:
        return tuple(sorted(alleles, key=_allele_key))
    (only,) = alleles
    return (only, only) if full else (only, None)


def _allele_key(a: str) -> tuple[int, float, str]:
    try:
        return (0, float(a), a)
    except ValueError:
        return (1, 0.0, a)


SINGLE_SHARE_FLOOR = 0.1
"""Least share of heterozygous loci assumed to show a single peak (dropout ≥ 0.053): no sample is trusted to
tell homozygotes from dropouts perfectly."""


def _single_peak_share(typed: dict[str, Any], homozygosity: dict[str, float]) -> float:
    """Estimated share of a sample's heterozygous loci seen as one peak: (singles − Σh) / Σ(1 − h).

    With each allele copy dropping out with probability d and a locus reported when at least one
    allele is seen, a heterozygote shows one peak with probability 2d/(1 + d); homozygotes always do.
    """
    singles = sum(1 for g in typed.values() if g[1] is None)
    h = sum(homozygosity.get(locus, 0.0) for locus in typed)
    n = len(typed)
    if n == 0 or n - h <= 0:
        return 1.0
    return min(1.0, max(SINGLE_SHARE_FLOOR, (singles - h) / (n - h)))


@dataclass
class JointOutcome:
    """What :func:`run_joint_identification` did."""

    run_id: int
    n_individuals: int
    n_candidates: int
    n_components: int
    n_components_not_exact: int
    n_identified: int
    prior: float


def _age_log_factors(session: Session, evidence: Any, groups: dict[str, list[str]],
                     missing_ids: dict[str, int], candidates: list[Any]) -> dict[tuple[str, str], float]:
    """ln of the age factor of each candidate placement (individual, missing label); empty without evidence."""
    if evidence is None or not candidates:
        return {}
    from mpid.matching.anthropology import age_at, age_factor, age_within, combined_age_range
    from mpid.registry.models import Remains as RemainsRow

    ranges = {code: (lo, hi) for code, lo, hi in session.execute(
        select(RemainsRow.code, RemainsRow.age_min, RemainsRow.age_max))}
    mp_of = {(c.remains_id, c.missing): missing_ids.get(f"{c.family}/{c.missing}") for c in candidates}
    wanted = {v for v in mp_of.values() if v is not None}
    # A case's own dates first; a date only a merged duplicate's agency gave completes it (merges stay
    # undoable because the surviving case itself is not changed).
    births: dict[int, Any] = {}
    gone_on: dict[int, Any] = {}
    # Every case, not an IN list: at national scale the candidates' cases exceed SQLite's parameter limit.
    rows = session.execute(
        select(MissingPerson.id, MissingPerson.merged_into_id, MissingPerson.birth_date, MissingPerson.disappeared_on)
        .order_by(MissingPerson.merged_into_id.is_not(None), MissingPerson.id)).all()
    for mp_id, merged_into, birth, gone in rows:
        case = merged_into if merged_into in wanted else mp_id
        if case not in wanted:
            continue
        if birth is not None:
            births.setdefault(case, birth)
        if gone is not None:
            gone_on.setdefault(case, gone)
    # Without a date of disappearance, the period over which the register's cases disappeared bounds it.
    first, last = session.execute(select(func.min(MissingPerson.disappeared_on),
                                         func.max(MissingPerson.disappeared_on))).one()
    period = (first, last) if first is not None and last is not None else None
    ages = {mp_id: (age_at(births.get(mp_id), gone_on[mp_id]) if mp_id in gone_on
                    else age_within(births.get(mp_id), period)) for mp_id in wanted}
    out: dict[tuple[str, str], float] = {}
    for (rep, missing), mp_id in mp_of.items():
        age_range = combined_age_range([ranges[m] for m in groups.get(rep, [rep]) if m in ranges])
        out[(rep, missing)] = math.log(age_factor(age_range, ages.get(mp_id), evidence))
    return out


UNDECIDED_MIN_MARGINAL = 1e-4
"""Least marginal posterior for a placement to be kept as a competitor of an undecided individual."""


def _undecided(decisions: list[Any], marginals: dict[str, dict[str, float]], family_of: dict[str, str],
               missing_ids: dict[str, int]) -> list[dict[str, Any]]:
    """The individuals the policy did not identify, with their best placement and its competitors.

    Kept in the run summary so that :mod:`mpid.services.reference_requests` can tell which families
    to ask for more references, and why (a weak LR, or a relative the typed references cannot tell apart).
    """
    out = []
    for d in decisions:
        if d.category.value in ("identified", "excluded"):
            continue
        competitors = [
            {"label": m, "family": family_of.get(m), "missing_person_id": missing_ids.get(f"{family_of.get(m)}/{m}"),
             "posterior": round(p, 6)}
            for m, p in sorted(marginals.get(d.remains, {}).items(), key=lambda kv: -kv[1])
            if m != d.missing and m != "*" and p >= UNDECIDED_MIN_MARGINAL
        ]
        out.append({"remains": d.remains, "label": d.missing, "family": family_of.get(d.missing),
                    "missing_person_id": missing_ids.get(f"{family_of.get(d.missing)}/{d.missing}"),
                    "category": d.category.value, "posterior": d.posterior,
                    "lr": d.lr if d.lr is not None and math.isfinite(d.lr) else None,  # JSON has no inf
                    "competitors": competitors})
    return out


def run_joint_identification(
    session: Session,
    settings: Any,
    direct_run: Any,
    blind_run: Any = None,
    *,
    policy: Any = None,
    started_by: str | None = None,
    component_settings: Any = None,
    estimate_dropout: bool = False,
    age_evidence: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> JointOutcome:
    """Joint identification over the individuals found by re-association (``direct_run``).

    1. each group of remains that direct matching put together is one individual, with the consensus
       of all its samples' profiles (alleles seen in any sample); with ``estimate_dropout``, each
       sample's dropout probability is estimated from its share of single peaks beyond what the
       loci's homozygosity explains (never below :data:`SINGLE_SHARE_FLOOR`), the individual's from
       the product over its samples, and a single peak is then weighed as a homozygote or a
       dropout accordingly (instead of "any second allele");
    2. blind search of the individuals against every missing person (same settings and prior as the
       blind run: 1 / number of missing persons with references);
    3. the candidate pairs split into independent components (remains and families linked by pairs
       at LR ≥ the floor, :mod:`mpid.matching.components`); each component's assignments (no missing
       person twice) are enumerated and weighted by their joint LR (exact, chain rule over the family
       tables, so a family with several missing persons is computed jointly) times the prior odds of
       each placement, so a component with one candidate gives exactly the pairwise posterior;
    4. the policy (:mod:`mpid.matching.policy`) decides on each individual's best marginal posterior
       and its pairwise LR; a JOINT run stores a candidate per member remains.

    With ``age_evidence`` (:class:`mpid.matching.anthropology.AgeEvidence`), each placement's prior is
    also multiplied by the age factor of the individual's anthropological age range against the
    missing person's age at disappearance (never above 1: it can only lower a placement); the factors
    below 0.99 are kept in the run's summary for the reviewers.
    """
    from datetime import UTC, datetime

    import numpy as np

    import mpid
    from mpid.matching.components import (
        CandidateEdge,
        ComponentSettings,
        PlacementLikelihood,
        ReferenceFamily,
        link_components,
    )
    from mpid.matching.components import Remains as JointRemains
    from mpid.matching.joint import STAR, JointSpaceTooLargeError, enumerate_assignments, posterior
    from mpid.matching.policy import PolicySettings, Provenance, decide_marginals
    from mpid.matching.search import Candidate, RemainsProfile, SearchSettings, blind_search
    from mpid.registry.models import CandidateMatch, MatchRun, Profile, Sample
    from mpid.registry.models import Remains as RemainsRow
    from mpid.registry.models.enums import MatchRunKind, MatchRunStatus
    from mpid.services.matching import _genotype, build_problem

    policy = policy or PolicySettings()
    cs = component_settings or ComponentSettings()
    problem = build_problem(session, settings)
    names = {m.name for m in problem.markers}
    prior = settings.prior if settings.prior is not None else (1.0 / len(problem.families) if problem.families else 0)
    # Individuals: groups of remains (representative code → member codes).
    groups: dict[str, list[str]] = {r.remains_id: [r.remains_id] for r in problem.remains}
    for rep, members in ((direct_run.summary or {}).get("groups") or {}).items():
        for m in members:
            groups.pop(m, None)
        groups[rep] = list(members)
    code_to_id = dict(session.execute(select(RemainsRow.code, RemainsRow.id)).all())
    sex_of = {r.remains_id: r.sex for r in problem.remains}
    observed: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    member_of = {m: rep for rep, members in groups.items() for m in members}
    id_to_code = {v: k for k, v in code_to_id.items()}
    per_sample: dict[int, tuple[str, dict[str, Any]]] = {}
    for sample_id, remains_id, alleles in session.execute(
        select(Sample.id, Sample.remains_id, Profile.alleles).join(Sample, Profile.sample_id == Sample.id)
        .where(Sample.remains_id.is_not(None)).order_by(Profile.id)
    ):
        rep = member_of.get(id_to_code.get(remains_id, ""))
        if rep is None:
            continue
        typed = {locus: g for locus, values in alleles.items()
                 if locus in names and (g := _genotype(values)) is not None}
        if sample_id not in per_sample or len(typed) > len(per_sample[sample_id][1]):
            per_sample[sample_id] = (rep, typed)  # one profile per sample (the lab files repeat them)
    homozygosity = {m.name: float(np.sum(np.asarray(m.freqs) ** 2)) for m in problem.markers}
    single_share: dict[str, float] = defaultdict(lambda: 1.0)
    for rep, typed in per_sample.values():
        for locus, g in typed.items():
            observed[rep][locus].append(g)
        single_share[rep] *= _single_peak_share(typed, homozygosity)
    individuals = []
    for rep, members in groups.items():
        genotypes = {locus: _consensus(gs) for locus, gs in observed[rep].items()}
        sexes = {sex_of.get(m, 0) for m in members} - {0}
        q = single_share[rep]
        dropout = q / (2.0 - q) if estimate_dropout else 0.0
        individuals.append(RemainsProfile(rep, genotypes, sexes.pop() if len(sexes) == 1 else 0, dropout))
    search = SearchSettings(threshold_lr=min(settings.threshold_lr, cs.lr_floor), prior=prior,
                            engine=settings.engine, family_block=settings.family_block)
    if blind_run is not None and estimate_dropout:
        # Every individual is searched again with its dropout estimate, against the families any of its
        # members was a blind-search candidate of (LR ≥ the floor under "a single peak: any second allele").
        key_of = {mp_id: key for key, mp_id in problem.missing_ids.items()}
        wanted = set()
        for c in session.scalars(select(CandidateMatch).where(CandidateMatch.run_id == blind_run.id)):
            key = key_of.get(c.missing_person_id)
            if key is not None and c.lr >= search.threshold_lr:
                wanted.add(key.split("/", 1)[0])
        fams = [f for f in problem.families if f.family in wanted]
        candidates = blind_search(individuals, fams, problem.markers, search,
                                  progress=(lambda n: progress(n, len(fams))) if progress else None).candidates
    elif blind_run is not None and float(blind_run.settings.get("threshold_lr", math.inf)) <= search.threshold_lr:
        # A lone remains is the individual: its pairs are the blind run's. Groups are searched again
        # with their consensus profile, against the families any of their members was a candidate of.
        key_of = {mp_id: key for key, mp_id in problem.missing_ids.items()}
        by_remains: dict[str, list[Any]] = defaultdict(list)
        for c in session.scalars(select(CandidateMatch).where(CandidateMatch.run_id == blind_run.id)):
            key = key_of.get(c.missing_person_id)
            if key is not None:
                by_remains[id_to_code[c.remains_id]].append((key, c))
        as_searched = {r.remains_id: r.genotypes for r in problem.remains}
        reused = {r.remains_id for r in individuals
                  if len(groups[r.remains_id]) == 1 and as_searched.get(r.remains_id) == r.genotypes}
        candidates = []
        for rep in sorted(reused):
            for key, c in by_remains.get(rep, []):
                if c.lr >= search.threshold_lr:
                    family, missing = key.split("/", 1)
                    candidates.append(Candidate(rep, family, missing, c.lr, c.n_exclusions or 0,
                                                c.n_loci_compared or 0, prior, c.posterior or 0.0))
        grouped = [r for r in individuals if r.remains_id not in reused]
        wanted = {key.split("/", 1)[0] for r in grouped for m in groups[r.remains_id] for key, _c in by_remains[m]}
        fams = [f for f in problem.families if f.family in wanted]
        if grouped and fams:
            candidates += blind_search(grouped, fams, problem.markers, search,
                                       progress=(lambda n: progress(n, len(fams))) if progress else None).candidates
    else:
        candidates = blind_search(individuals, problem.families, problem.markers, search,
                                  progress=(lambda n: progress(n, len(problem.families))) if progress
                                  else None).candidates
    # Components over families (pedigree labels of missing persons must be unique to be placed).
    label_count = Counter(f.missing for f in problem.families)
    families: dict[str, ReferenceFamily] = {}
    missing_of: dict[str, list[str]] = defaultdict(list)
    for f in problem.families:
        missing_of[f.family].append(f.missing)
    for f in problem.families:
        if f.family not in families:
            families[f.family] = ReferenceFamily(f.family, f.pedigree, tuple(missing_of[f.family]), f.genotypes)
    edges = [CandidateEdge(c.remains_id, c.family, c.missing, c.lr, c.n_exclusions)
             for c in candidates if label_count[c.missing] == 1]
    pair_stats = {(c.remains_id, c.missing): (c.lr, c.n_exclusions) for c in candidates}
    joint_remains = {r.remains_id: JointRemains(r.remains_id, r.genotypes, r.dropout) for r in individuals}
    log_age = _age_log_factors(session, age_evidence, groups, problem.missing_ids, candidates)
    lik = PlacementLikelihood(families, joint_remains, problem.markers)
    log_odds = math.log(prior / (1.0 - prior)) if 0 < prior < 1 else 0.0
    marginals: dict[str, dict[str, float]] = {}
    queue = link_components(edges, cs.lr_floor, cs.max_incompatible)
    n_components = n_not_exact = 0
    while queue:
        comp = queue.pop()
        fam_of = {e.missing: e.family for e in comp.edges}
        remains = list(comp.remains)
        try:
            rows = enumerate_assignments(remains, comp.pairings(), cs.max_assignments)
        except JointSpaceTooLargeError:
            higher = comp.floor * cs.floor_step
            if higher <= cs.max_floor:
                queue.extend(link_components(comp.edges, higher, cs.max_incompatible))
                continue
            n_not_exact += 1  # fall back to pairwise posteriors
            for r in remains:
                best = max((e for e in comp.edges if e.remains == r), key=lambda e: e.lr)
                weighted = best.lr * math.exp(log_age.get((r, best.missing), 0.0))
                post = weighted * prior / (weighted * prior + 1 - prior)
                marginals[r] = {best.missing: post, STAR: 1 - post}
            continue
        n_components += 1
        keys = []
        for a in rows:
            by_fam: dict[str, list[tuple[str, str]]] = {}
            for r, m in zip(remains, a, strict=True):
                if m != STAR:
                    by_fam.setdefault(fam_of[m], []).append((m, r))
            keys.append([(f, PlacementLikelihood.canonical(p)) for f, p in by_fam.items()])
        lik.prepare({k: None for ks in keys for k in ks})
        ll = np.array([sum(lik.log_lr(f, p) for f, p in ks) + log_odds * sum(len(p) for _f, p in ks)
                       + sum(log_age.get((r, m), 0.0) for _f, p in ks for m, r in p)
                       for ks in keys])
        post = posterior(ll)
        for r in remains:
            marginals.setdefault(r, {})
        for a, p in zip(rows, post, strict=True):
            if not math.isfinite(p):
                continue
            for r, m in zip(remains, a, strict=True):
                marginals[r][m] = marginals[r].get(m, 0.0) + float(p)
    family_of = {f.missing: f.family for f in problem.families}
    provenance = Provenance.for_settings(policy, problem.frequency_table.get("name", ""),
                                         str(problem.frequency_table.get("version", "")), prior=prior)
    decisions = decide_marginals(marginals, pair_stats, provenance, policy, family_of)
    run = MatchRun(
        kind=MatchRunKind.JOINT, status=MatchRunStatus.RUNNING,
        settings={**settings.to_json(), "components": {k: getattr(cs, k) for k in cs.__dataclass_fields__},
                  "age_evidence": (None if age_evidence is None else
                                   {k: getattr(age_evidence, k) for k in age_evidence.__dataclass_fields__}),
                  "policy": {k: getattr(policy, k) for k in policy.__dataclass_fields__}},
        code_version=mpid.__version__, frequency_table_id=problem.frequency_table.get("id"),
        inputs={"direct_run": direct_run.id, "blind_run": blind_run.id if blind_run is not None else None,
                "n_individuals": len(individuals), "n_missing": len(problem.families),
                "frequency_table": problem.frequency_table},
        started_by=started_by,
    )
    session.add(run)
    session.flush()
    identified = 0
    for d in decisions:
        mp_id = problem.missing_ids.get(f"{family_of[d.missing]}/{d.missing}")
        if mp_id is None:
            continue
        identified += d.category.value == "identified"
        for member in groups.get(d.remains, [d.remains]):
            session.add(CandidateMatch(
                run_id=run.id, remains_id=code_to_id[member], missing_person_id=mp_id,
                lr=d.lr if d.lr is not None else 0.0,
                log10_lr=math.log10(d.lr) if d.lr and d.lr > 0 and math.isfinite(d.lr) else None,
                prior=prior, posterior=d.posterior, n_exclusions=d.n_incompatible,
                conclusion=d.category.value,
            ))
    run.status = MatchRunStatus.FINISHED
    run.finished_at = datetime.now(UTC)
    run.summary = {"prior": prior, "n_individuals": len(individuals), "n_candidates": len(candidates),
                   "undecided": _undecided(decisions, marginals, family_of, problem.missing_ids),
                   "n_components": n_components, "n_components_not_exact": n_not_exact,
                   "n_identified_individuals": identified,
                   "age_factors": {f"{r} → {m}": round(math.exp(v), 6) for (r, m), v in sorted(log_age.items())
                                   if v < math.log(0.99)}}
    session.flush()
    return JointOutcome(run.id, len(individuals), len(candidates), n_components, n_not_exact, identified,
                        prior)
