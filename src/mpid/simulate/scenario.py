"""Whole scenarios written to a directory: presets ``small``, ``azerbaijan`` and ``balkans``.

The families are simulated, written and forgotten batch by batch (streaming, bounded
memory); only the genotypes of the recovered persons are kept for the graves phase. Every
random stream is derived from the seed and a fixed label, so the same seed gives
byte-identical files. The files are described in ``docs/simulation.md``.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .agencies import DEFAULT_AGENCIES, AgencyReport, PersonIdentity, generate_agency_reports
from .families import FamilyConfig, FollowupDonor, SimulatedFamily, _finalise, _simulate_drafts, followup_pool
from .genotypes import genotype_array, profile_dict
from .graves import (
    AGE_INDICATORS,
    BALKANS_REGIONS,
    KARABAKH_REGIONS,
    SEX_INDICATORS,
    RecoveredIndividual,
    RegionSet,
    Site,
    SiteLayout,
    generate_sites,
    place_remains,
)
from .identities import identities_for_family
from .kit import DEFAULT_FREQUENCY_TABLE, DEFAULT_KIT, KitFrequencies, STRKit, kit_frequencies
from .output import (
    CsvStream,
    JsonArrayStream,
    ProfileTableStream,
    XlsxStream,
    write_csv,
    write_profiles_cmf,
    write_profiles_genemapper,
)
from .profiles import DegradationModel, degrade_amelogenin, degrade_genotypes, draw_dropout_probabilities

__all__ = [
    "PRESETS",
    "ScenarioConfig",
    "ScenarioSummary",
    "write_scenario",
]

log = logging.getLogger(__name__)

FORMAT_VERSION = "1"

REGISTER_COLUMNS = (
    "record_id", "source", "family_name", "given_name", "patronymic", "sex",
    "birth_date", "birth_place", "missing_date", "missing_place",
)
SITE_COLUMNS = ("site_id", "name", "type", "disturbance", "lat", "lon", "region", "exhumation_date")
MANIFEST_COLUMNS = (
    "sample_barcode", "remains_id", "site_id", "body_part", "sample_type", "anthropological_sex", "age_range",
)
TRUTH_PERSON_COLUMNS = (
    "person_id", "family_id", "on_missing_list", "sex", "birth_year", "missing_year", "relationship",
    "recovered", "n_donors", "typed_parents", "typed_children", "typed_full_siblings", "typed_spouses",
)
TRUTH_SAMPLE_COLUMNS = (
    "sample_barcode", "remains_id", "site_id", "person_id", "family_id", "on_missing_list",
    "dropout_probability", "loci_called", "profile_status", "true_sex", "age_at_death",
)
TRUTH_REPORT_COLUMNS = ("record_id", "source", "true_person_id")
TRUTH_SITE_COLUMNS = ("site_id", "disturbance", "primary_site_id", "n_individuals", "n_remains")
FOLLOWUP_REFERENCE_COLUMNS = ("family_id", "donor_id", "sample_barcode", "sex", "relative_of", "relationship")
TRUTH_FOLLOWUP_COLUMNS = ("family_id", "donor_id", "sample_barcode", "missing_person_id", "relation")
FOLLOWUP_REFERENCES_FILE = "followup/references.csv"
FOLLOWUP_PROFILES_FILE = "followup/reference_samples_followup.txt"
TRUTH_FOLLOWUP_FILE = "truth/followup_donors.csv"
# Random stream of the follow-up pools (streams 1, 10-12 and 20-23 are the first-round ones).
_FOLLOWUP_STREAM = 24

REGISTER_FILE_TYPE = {"state_commission": "xlsx", "icrc": "csv", "ngo": "xlsx"}
REGISTER_HEADERS: dict[str, tuple[str, ...]] = {
    "state_commission": ("Qeyd nömrəsi", "Mənbə", "Soyadı", "Adı", "Atasının adı", "Cinsi", "Doğum tarixi",
                         "Doğum yeri", "Itkin düşmə tarixi", "Itkin düşmə yeri"),
    "icrc": ("Case number", "Agency", "Surname", "First name", "Father's name", "Gender", "Date of birth",
             "Place of birth", "Date of disappearance", "Place of disappearance"),
    "ngo": ("Номер", "Источник", "Фамилия", "Имя", "Отчество", "Пол", "Дата рождения", "Место рождения",
            "Дата исчезновения", "Место исчезновения"),
}
"""Each agency's own column headers (in the order of ``REGISTER_COLUMNS``), as its lists are written."""

_CMF_CATEGORY = "Unidentified Human (Remains)"
FAMILIAS_FILE = "lab/dvi.fam"


@dataclass(frozen=True)
class ScenarioConfig:
    """Everything that shapes a scenario except the seed."""

    name: str
    n_missing: int
    n_recovered_listed: int
    """Recovered individuals who are on the missing list."""
    n_recovered_unlisted: int
    """Recovered individuals who are on no list (no family looks for them)."""
    layout: SiteLayout
    regions: RegionSet = KARABAKH_REGIONS
    family: FamilyConfig = field(default_factory=FamilyConfig)
    degradation: DegradationModel = field(default_factory=DegradationModel)
    frequency_table: str = DEFAULT_FREQUENCY_TABLE
    kit: STRKit = DEFAULT_KIT
    families_per_batch: int = 2000
    samples_per_file: int = 5000
    lab_name: str = "MPID-SIM-LAB"
    destination: str = "MPID"
    write_familias: bool = True
    """Write ``lab/dvi.fam`` (a Familias DVI project); off for scale runs, where it would hold everything."""


PRESETS: dict[str, ScenarioConfig] = {
    "small": ScenarioConfig(
        name="small", n_missing=60, n_recovered_listed=28, n_recovered_unlisted=2,
        layout=SiteLayout(n_sites=12, n_mass_graves=3, n_secondary_mass_graves=1, fraction_in_mass_graves=0.4),
        family=FamilyConfig(p_second_missing=0.35, p_third_missing=0.3, p_family_without_references=0.05),
        families_per_batch=60,
    ),
    "azerbaijan": ScenarioConfig(
        name="azerbaijan", n_missing=4000, n_recovered_listed=660, n_recovered_unlisted=28,
        layout=SiteLayout(n_sites=150, n_mass_graves=23, n_secondary_mass_graves=4,
                          fraction_in_mass_graves=0.27, extra_fragments_mass=1.2, extra_fragments_other=0.3),
        families_per_batch=4000,
    ),
    "balkans": ScenarioConfig(
        name="balkans", n_missing=40000, n_recovered_listed=28000, n_recovered_unlisted=1500,
        layout=SiteLayout(n_sites=2500, n_mass_graves=350, n_secondary_mass_graves=80,
                          fraction_in_mass_graves=0.6, extra_fragments_mass=1.0, extra_fragments_other=0.3),
        regions=BALKANS_REGIONS,
        family=FamilyConfig(
            missing_years=(1991, 1995), collection_year=2010, p_family_without_references=0.22, p_index_male=0.92,
            typing_probability={"father": 0.75, "mother": 0.8, "brother": 0.42, "sister": 0.42, "son": 0.48,
                                "daughter": 0.48, "spouse": 0.6, "grandparent": 0.8, "uncle_aunt": 0.05,
                                "other": 0.0},
        ),
        families_per_batch=2000,
        samples_per_file=2500,
        write_familias=False,
    ),
}


@dataclass
class ScenarioSummary:
    """Counts of what a scenario holds, and how long each phase took (seconds; not written to files)."""

    preset: str
    seed: int
    families: int = 0
    missing: int = 0
    donors: int = 0
    followup_donors: int = 0
    """Relatives who would give a sample if asked again (``followup/``), not in ``donors``."""
    families_without_references: int = 0
    consanguineous_families: int = 0
    reports: int = 0
    sites: int = 0
    mass_graves: int = 0
    recovered_individuals: int = 0
    remains: int = 0
    samples: int = 0
    failed_samples: int = 0
    files: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """The counts only (what ``scenario.json`` records)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if isinstance(v, int) and k != "seed"}


_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def sample_barcode(key: bytes, kind: str, name: str) -> str:
    """An anonymous bar code ``RS-XXXXX-XXXXX`` from a keyed hash of the internal name (no order leaks)."""
    digest = hashlib.blake2b(name.encode("utf-8"), key=key, digest_size=8).digest()
    code = base64.b32encode(digest).decode("ascii")[:10].translate(_CROCKFORD)
    return f"{kind}-{code[:5]}-{code[5:]}"


def _rng(seed: int, stream: int, batch: int = 0) -> np.random.Generator:
    """The generator of one labelled random stream of a scenario."""
    return np.random.default_rng([seed, stream, batch])


def _reference_category(relationship: str) -> str:
    """CODIS-style specimen category of a reference donor."""
    return {
        "father": "Biological Father", "mother": "Biological Mother", "son": "Biological Child",
        "daughter": "Biological Child", "brother": "Biological Sibling", "sister": "Biological Sibling",
        "wife": "Spouse", "husband": "Spouse", "wife_first_cousin": "Spouse", "husband_first_cousin": "Spouse",
    }.get(relationship, "Other Relative")


def _typed_relatives(family: SimulatedFamily, person_id: str) -> tuple[int, int, int, int]:
    """Typed parents, children, full siblings and spouses (co-parents) of a missing person in the pedigree."""
    donors = set(family.donor_ids)
    by_id = {m.id: m for m in family.members}
    me = by_id[person_id]
    parents = sum(1 for p in (me.father, me.mother) if p in donors)
    children = [m for m in family.members if person_id in (m.father, m.mother)]
    co_parents = {m.mother if m.father == person_id else m.father for m in children}
    siblings = sum(1 for m in family.members if m.id != person_id and m.id in donors and me.father is not None
                   and m.father == me.father and m.mother == me.mother)
    return (parents, sum(1 for m in children if m.id in donors), siblings,
            sum(1 for p in co_parents if p in donors))


def _age_range(age: int, rng: np.random.Generator) -> str:
    """An anthropologist's age bracket around the true age."""
    estimate = age + rng.normal(0, 4)
    low = max(0, int(5 * np.floor((estimate - 6) / 5)))
    return f"{low}-{low + 15}"


class _Writers:
    """The open streams of a scenario directory."""

    def __init__(self, out: Path, agencies: list[str]) -> None:
        self.families = JsonArrayStream(out / "families.json")
        self.persons = CsvStream(out / "truth" / "persons.csv", TRUTH_PERSON_COLUMNS)
        self.reports = CsvStream(out / "truth" / "reports.csv", TRUTH_REPORT_COLUMNS)
        self.followup = CsvStream(out / FOLLOWUP_REFERENCES_FILE, FOLLOWUP_REFERENCE_COLUMNS)
        self.followup_truth = CsvStream(out / TRUTH_FOLLOWUP_FILE, TRUTH_FOLLOWUP_COLUMNS)
        self.followup_profiles = _GenemapperAppender(out / FOLLOWUP_PROFILES_FILE)
        self.registers: dict[str, CsvStream | XlsxStream] = {}
        for agency in agencies:
            kind = REGISTER_FILE_TYPE.get(agency, "csv")
            path = out / "registers" / f"{agency}.{kind}"
            header = REGISTER_HEADERS.get(agency)
            self.registers[agency] = (XlsxStream(path, REGISTER_COLUMNS, agency, header=header) if kind == "xlsx"
                                      else CsvStream(path, REGISTER_COLUMNS, header=header))

    def close(self) -> None:
        for stream in (self.families, self.persons, self.reports, self.followup, self.followup_truth,
                       *self.registers.values()):
            stream.close()


class _GenemapperAppender:
    """One GeneMapper table written batch by batch through the lab writer (one header, bounded memory)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._part = path.with_name(path.name + ".part")
        self._header: str | None = None

    def write(self, records: list[Any]) -> None:
        """Append a batch of profile records (the first call also writes the header)."""
        write_profiles_genemapper(records, self._part)
        header, _, body = self._part.read_text(encoding="utf-8").partition("\n")
        self._part.unlink()
        if self._header is None:
            self._header = header
            self.path.write_text(header + "\n", encoding="utf-8", newline="")
        elif header != self._header:  # pragma: no cover - every reference profile has two allele cells
            raise RuntimeError(f"GeneMapper header changed between batches: {header!r}")
        with open(self.path, "a", encoding="utf-8", newline="") as handle:
            handle.write(body)


def _renumber(reports: list[AgencyReport], counters: dict[str, int]) -> list[AgencyReport]:
    """Give a batch's reports record ids that continue each agency's numbering across batches."""
    out = []
    for report in reports:
        counters[report.source] = counters.get(report.source, 0) + 1
        prefix = DEFAULT_AGENCIES[report.source].id_prefix if report.source in DEFAULT_AGENCIES else "R"
        out.append(dataclasses.replace(report, record_id=f"{prefix}{counters[report.source]:07d}"))
    return out


def _family_entry(family: SimulatedFamily, barcodes: dict[str, str],
                  first_report: dict[str, str]) -> dict[str, Any]:
    """The families.json element of one family (what the family liaison officer records)."""
    return {
        "family_id": family.family_id,
        "pedigree": [{"id": m.id, "father": m.father, "mother": m.mother, "sex": m.sex} for m in family.members],
        "missing_persons": [
            {"id": pid, "sex": family.facts[pid].sex, "report_record_id": first_report.get(pid),
             "relationship_to_first_missing": family.facts[pid].relationship}
            for pid in family.missing_ids
        ],
        "donors": [
            {"id": did, "sample_barcode": barcodes[did], "sex": family.facts[did].sex,
             "relationship_to_first_missing": family.facts[did].relationship}
            for did in family.donor_ids
        ],
    }


def write_scenario(preset: str | ScenarioConfig, seed: int, out_dir: str | Path, *,
                   progress: Callable[[str, int, int], None] | None = None) -> ScenarioSummary:
    """Simulate a scenario and write it to ``out_dir`` (created; the files of an earlier scenario there removed).

    ``progress(phase, done, total)`` is called as work advances (the CLI draws bars with it).
    """
    config = PRESETS[preset] if isinstance(preset, str) else preset
    if seed < 0:
        raise ValueError("seed must be non-negative")
    out = Path(out_dir)
    _remove_previous_scenario(out)
    (out / "lab").mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    kf = kit_frequencies(config.frequency_table, config.kit)
    summary = ScenarioSummary(config.name, seed)
    key = seed.to_bytes(16, "little")
    report = progress or (lambda phase, done, total: None)

    started = time.perf_counter()
    recovered, recovered_genotypes, familias_families = _families_phase(config, seed, out, kf, key, summary,
                                                                        report)
    summary.seconds["families_and_reports"] = time.perf_counter() - started

    started = time.perf_counter()
    victims = _graves_phase(config, seed, out, kf, key, summary, recovered, recovered_genotypes, report)
    if config.write_familias:
        _write_familias(config, out, kf, familias_families, victims)
        summary.files.append(FAMILIAS_FILE)
    summary.seconds["graves_and_samples"] = time.perf_counter() - started

    _write_manifest(config, seed, out, kf, summary)
    log.info("scenario %s (seed %d) written to %s: %s", config.name, seed, out, summary.counts())
    return summary


def _remove_previous_scenario(out: Path) -> None:
    """Delete the files a previous scenario listed in ``out/scenario.json`` (other files are left alone)."""
    manifest_path = out / "scenario.json"
    if not manifest_path.is_file():
        return
    try:
        listed = json.loads(manifest_path.read_text(encoding="utf-8")).get("files", [])
    except (ValueError, AttributeError):
        return
    root = out.resolve()
    for name in listed:
        path = (out / name).resolve()
        if root in path.parents and path.is_file():
            path.unlink()
    manifest_path.unlink()


def _families_phase(config: ScenarioConfig, seed: int, out: Path, kf: KitFrequencies, key: bytes,
                    summary: ScenarioSummary, report: Callable[[str, int, int], None],
                    ) -> tuple[list[RecoveredIndividual], list[np.ndarray], list[Any]]:
    """Families, their reference profiles, identities and agency reports, batch by batch."""
    agencies = list(DEFAULT_AGENCIES)
    writers = _Writers(out, agencies)
    chosen = _rng(seed, 1).choice(config.n_missing, size=min(config.n_recovered_listed, config.n_missing),
                                  replace=False)
    recovered_ordinals = set(int(i) for i in chosen)
    recovered: list[RecoveredIndividual] = []
    recovered_genotypes: list[np.ndarray] = []
    truth_profiles = ProfileTableStream(out / "truth" / "missing_persons_profiles.txt")
    counters: dict[str, int] = {}
    familias_families: list[Any] = []
    (out / "followup").mkdir(parents=True, exist_ok=True)
    batch = 0
    while summary.missing < config.n_missing:
        drafts, genotypes = _simulate_drafts(config.families_per_batch, summary.families + 1, kf,
                                             _rng(seed, 10, batch), config.family)
        identity_rng = _rng(seed, 11, batch)
        families: list[SimulatedFamily] = []
        identities: list[PersonIdentity] = []
        for draft, geno in zip(drafts, genotypes, strict=True):
            if summary.missing >= config.n_missing:
                break
            family = _finalise(draft, geno, kf)
            families.append(family)
            identities.extend(identities_for_family(family, identity_rng))
            for person_id in family.missing_ids:
                if summary.missing in recovered_ordinals:
                    facts = family.facts[person_id]
                    recovered.append(RecoveredIndividual(person_id, family.family_id, facts.sex,
                                                         family.missing_year - facts.birth_year))
                    recovered_genotypes.append(genotype_array(kf, family.missing_genotypes[person_id]))
                summary.missing += 1
            summary.families += 1
        reports = _renumber(generate_agency_reports(identities, random.Random(int(_rng(seed, 12, batch)
                                                                                     .integers(2**62)))), counters)
        first_report: dict[str, str] = {}
        for r in sorted(reports, key=lambda r: (r.source, r.record_id)):
            first_report.setdefault(r.true_person_id, r.record_id)
            writers.registers[r.source].write({column: getattr(r, column) for column in REGISTER_COLUMNS})
            writers.reports.write({"record_id": r.record_id, "source": r.source, "true_person_id": r.true_person_id})
        summary.reports += len(reports)
        recovered_ids = {r.person_id for r in recovered}
        references = []
        followup_references = []
        followup_rng = _rng(seed, _FOLLOWUP_STREAM, batch)
        # Not strict: the last batch stops at n_missing, before its last drafts.
        for family, draft, geno in zip(families, drafts, genotypes, strict=False):
            pool = followup_pool(draft, followup_rng, config.family)
            followup_references += _write_followup(family.family_id, pool, geno, kf, key, config, writers)
            summary.followup_donors += len(pool)
            barcodes = {did: sample_barcode(key, "RS", did) for did in family.donor_ids}
            writers.families.write(_family_entry(family, barcodes, first_report))
            if config.write_familias:
                familias_families.append(_familias_family(family, barcodes))
            summary.donors += len(family.donor_ids)
            summary.families_without_references += not family.donor_ids
            summary.consanguineous_families += family.consanguineous
            for did in family.donor_ids:
                references.append(_profile_record(barcodes[did], family.reference_genotypes[did], config,
                                                  _reference_category(family.facts[did].relationship)))
            for pid in family.missing_ids:
                facts = family.facts[pid]
                parents, children, siblings, spouses = _typed_relatives(family, pid)
                writers.persons.write({
                    "person_id": pid, "family_id": family.family_id, "on_missing_list": 1, "sex": facts.sex,
                    "birth_year": facts.birth_year, "missing_year": family.missing_year,
                    "relationship": facts.relationship, "recovered": int(pid in recovered_ids),
                    "n_donors": len(family.donor_ids), "typed_parents": parents, "typed_children": children,
                    "typed_full_siblings": siblings, "typed_spouses": spouses,
                })
                truth_profiles.write(pid, family.missing_genotypes[pid])
        references.sort(key=lambda r: r.sample_id)
        name = f"lab/reference_samples_{batch + 1:03d}.txt"
        write_profiles_genemapper(references, out / name)
        summary.files.append(name)
        followup_references.sort(key=lambda r: r.sample_id)
        writers.followup_profiles.write(followup_references)
        batch += 1
        report("families", summary.missing, config.n_missing)
    writers.close()
    truth_profiles.close()
    summary.files += ["families.json", "truth/persons.csv", "truth/reports.csv",
                      "truth/missing_persons_profiles.txt",
                      FOLLOWUP_REFERENCES_FILE, FOLLOWUP_PROFILES_FILE, TRUTH_FOLLOWUP_FILE]
    summary.files += [f"registers/{a}.{REGISTER_FILE_TYPE.get(a, 'csv')}" for a in agencies]
    return recovered, recovered_genotypes, familias_families


_FOLLOWUP_CATEGORY = {"father": "Biological Father", "mother": "Biological Mother", "son": "Biological Child",
                      "daughter": "Biological Child", "brother": "Biological Sibling",
                      "sister": "Biological Sibling", "partner": "Spouse"}


def _write_followup(family_id: str, pool: list[FollowupDonor], genotypes: np.ndarray, kf: KitFrequencies,
                    key: bytes, config: ScenarioConfig, writers: _Writers) -> list[Any]:
    """Write one family's follow-up pool rows (references and truth); return its profile records."""
    records = []
    for donor in pool:
        # Same keyed hash of the person id as first-round donors: codes of one scheme, no clash by construction
        # of the ids (a donor is first-round or follow-up, never both).
        barcode = sample_barcode(key, "RS", donor.person_id)
        writers.followup.write({"family_id": family_id, "donor_id": donor.person_id, "sample_barcode": barcode,
                                "sex": donor.sex, "relative_of": donor.relative_of,
                                "relationship": donor.relationship})
        for missing_id, relation in donor.relations:
            writers.followup_truth.write({"family_id": family_id, "donor_id": donor.person_id,
                                          "sample_barcode": barcode, "missing_person_id": missing_id,
                                          "relation": relation})
        # Like first-round references: the gene-dropped genotype, no amelogenin.
        records.append(_profile_record(barcode, profile_dict(kf, genotypes[donor.local]), config,
                                       _FOLLOWUP_CATEGORY[donor.relationship]))
    return records


def _profile_record(sample_id: str, profile: dict[str, Any], config: ScenarioConfig, category: str) -> Any:
    """A :class:`mpid.formats.types.ProfileRecord` for the lab writers."""
    from mpid.formats.types import ProfileRecord

    return ProfileRecord(sample_id=sample_id, loci=dict(profile), source_path="", kit=config.kit.name,
                         lab=config.lab_name, category=category)


# How burial conditions scale a sample's dropout (mass graves 1: the reference).
_BURIAL_FACTOR = {"surface": 1.4, "grave": 0.85}


def _with_amelogenin(profile: dict[str, Any], amelogenin: tuple[str | None, str | None]) -> dict[str, Any]:
    """The STR profile plus the lab's sex marker (left out when amelogenin failed)."""
    return {**profile, "AMEL": amelogenin} if amelogenin[0] is not None else profile


def _resample_weak_remains(model: DegradationModel, rng: np.random.Generator, kf: KitFrequencies,
                           genotypes: np.ndarray, placed: list[Any], site_by_id: dict[str, Any],
                           sample_remains: np.ndarray, sample_types: list[str],
                           dropout: np.ndarray, observed: np.ndarray, called: np.ndarray) -> tuple[Any, ...]:
    """The lab's re-sampling protocol: remains whose best profile is weak get another sample, round by round.

    A remains is sampled again while its best profile has fewer than ``model.resample_below_loci`` loci
    or all its samples are low-template (dropout above ``model.resample_dropout_above``: the lab reads
    it from low, unbalanced peaks), and it has had fewer than ``model.max_samples_per_remains`` samples.
    The re-sample is cut from the best-preserved element left (a tooth when the part has teeth), so its
    dropout is drawn from the same quality mixture scaled by ``model.resample_multiplier`` and the
    site's burial conditions.
    Its own random stream keeps the first-round samples identical with re-sampling on or off.
    """
    n_remains = len(placed)
    sample_remains = np.asarray(sample_remains)
    for _round in range(1, model.max_samples_per_remains):
        best = np.zeros(n_remains, dtype=np.int64)
        np.maximum.at(best, sample_remains, called)
        cleanest = np.ones(n_remains)
        np.minimum.at(cleanest, sample_remains, dropout)
        tries = np.bincount(sample_remains, minlength=n_remains)
        weak = np.flatnonzero(((best < model.resample_below_loci) | (cleanest > model.resample_dropout_above))
                              & (tries < model.max_samples_per_remains))
        if weak.size == 0:
            break
        teeth = ("skull", "mandible", "tooth", "skeleton")
        site_factor = np.array([_BURIAL_FACTOR.get(site_by_id[placed[i].site_id].kind, 1.0) for i in weak])
        extra_multiplier = site_factor * model.resample_multiplier
        extra_dropout = draw_dropout_probabilities(weak.size, rng, model, extra_multiplier)
        owners = np.array([placed[i].individual for i in weak], dtype=np.int64)
        extra_observed = degrade_genotypes(genotypes[owners], extra_dropout, kf, rng, model)
        sample_remains = np.concatenate([sample_remains, weak])
        sample_types = [*sample_types, *("tooth" if placed[i].body_part in teeth else "bone" for i in weak)]
        dropout = np.concatenate([dropout, extra_dropout])
        observed = np.concatenate([observed, extra_observed])
        called = np.concatenate([called, np.sum(extra_observed[:, :, 0] >= 0, axis=1)])
    owners = np.array([placed[i].individual for i in sample_remains], dtype=np.int64)
    return sample_remains, owners, sample_types, dropout, observed, called


def _graves_phase(config: ScenarioConfig, seed: int, out: Path, kf: KitFrequencies, key: bytes,
                  summary: ScenarioSummary, recovered: list[RecoveredIndividual],
                  recovered_genotypes: list[np.ndarray], report: Callable[[str, int, int], None]) -> list[Any]:
    """Sites, remains, samples, degraded bone profiles, manifests and truth; returns Familias victims."""
    rng = _rng(seed, 20)
    unlisted_rng = _rng(seed, 21)
    n_unlisted = config.n_recovered_unlisted
    genotypes = np.concatenate([
        np.array(recovered_genotypes, dtype=np.int16).reshape(-1, kf.n_loci, 2),
        kf.sample_alleles((n_unlisted, 2), unlisted_rng).transpose(0, 2, 1),
    ])
    people = list(recovered)
    unlisted_rows = []
    for k in range(n_unlisted):
        sex = "male" if unlisted_rng.random() < 0.85 else "female"
        age = int(np.clip(round(unlisted_rng.normal(35, 12)), 16, 80))
        person = RecoveredIndividual(f"UNL{k + 1:06d}", None, sex, age)
        people.append(person)
        unlisted_rows.append({"person_id": person.person_id, "on_missing_list": 0, "sex": sex, "recovered": 1,
                              "n_donors": 0})
    # Shuffle so that listed and unlisted persons mix in the graves.
    order = rng.permutation(len(people))
    people = [people[i] for i in order]
    genotypes = genotypes[order]
    sites = generate_sites(config.layout, config.regions, rng)
    placed = place_remains(people, sites, config.layout, rng)
    summary.sites = len(sites)
    summary.mass_graves = sum(s.kind == "mass_grave" for s in sites)
    summary.recovered_individuals = len(people)
    summary.remains = len(placed)
    site_by_id = {s.site_id: s for s in sites}

    # Samples: one or two per remains, degraded independently.
    sample_remains = np.repeat(np.arange(len(placed)), [p.n_samples for p in placed])
    owners = np.array([placed[i].individual for i in sample_remains], dtype=np.int64)
    sample_types = []
    multiplier = np.empty(len(sample_remains))
    for k, i in enumerate(sample_remains):
        part, site = placed[i].body_part, site_by_id[placed[i].site_id]
        sample_type = "tooth" if part in ("mandible", "tooth") else "bone"
        sample_types.append(sample_type)
        multiplier[k] = (_BURIAL_FACTOR.get(site.kind, 1.0)
                         * (0.7 if sample_type == "tooth" else 0.6 if part == "skull" else 1.0))
    dropout = draw_dropout_probabilities(len(sample_remains), rng, config.degradation, multiplier)
    observed = degrade_genotypes(genotypes[owners], dropout, kf, rng, config.degradation)
    called = np.sum(observed[:, :, 0] >= 0, axis=1)
    sample_remains, owners, sample_types, dropout, observed, called = _resample_weak_remains(
        config.degradation, _rng(seed, 22), kf, genotypes, placed, site_by_id,
        sample_remains, sample_types, dropout, observed, called)
    males = np.array([people[o].sex == "male" for o in owners])
    amelogenin = degrade_amelogenin(males, dropout, _rng(seed, 23), config.degradation)
    summary.samples = len(sample_remains)
    summary.failed_samples = int(np.sum(called < config.degradation.min_loci))

    barcodes = [sample_barcode(key, "BS", f"{placed[i].remains_id}/{k}")
                for k, i in enumerate(sample_remains)]
    if len(set(barcodes)) != len(barcodes):  # pragma: no cover - 50-bit codes; practically impossible
        raise RuntimeError("bar code collision; choose another seed")
    manifest = CsvStream(out / "remains_samples.csv", MANIFEST_COLUMNS)
    truth_samples = CsvStream(out / "truth" / "samples.csv", TRUTH_SAMPLE_COLUMNS)
    ok = called >= config.degradation.min_loci
    for k, i in enumerate(sample_remains):
        item, person = placed[i], people[owners[k]]
        sex_seen = "undetermined"
        if item.body_part in SEX_INDICATORS:
            right = rng.random() < 0.95
            sex_seen = person.sex if right else ("female" if person.sex == "male" else "male")
        age_seen = (_age_range(person.age_at_death, rng) if item.body_part in AGE_INDICATORS
                    else ("adult" if person.age_at_death >= 18 else "subadult"))
        manifest.write({"sample_barcode": barcodes[k], "remains_id": item.remains_id, "site_id": item.site_id,
                        "body_part": item.body_part, "sample_type": sample_types[k],
                        "anthropological_sex": sex_seen, "age_range": age_seen})
        truth_samples.write({
            "sample_barcode": barcodes[k], "remains_id": item.remains_id, "site_id": item.site_id,
            "person_id": person.person_id, "family_id": person.family_id,
            "on_missing_list": int(person.family_id is not None), "dropout_probability": f"{dropout[k]:.4f}",
            "loci_called": int(called[k]), "profile_status": "ok" if ok[k] else "failed",
            "true_sex": person.sex, "age_at_death": person.age_at_death,
        })
    manifest.close()
    truth_samples.close()
    write_csv(out / "sites.csv", SITE_COLUMNS, (_site_row(s) for s in sites))
    _write_site_truth(out, sites, placed)
    persons = CsvStream(out / "truth" / "persons.csv", TRUTH_PERSON_COLUMNS, append=True)
    for row in unlisted_rows:
        persons.write(row)
    persons.close()
    summary.files += ["sites.csv", "remains_samples.csv", "truth/samples.csv", "truth/sites.csv"]

    # Lab files: successful profiles only, in bar-code order, a file per batch of samples.
    in_lab_order = [k for k in sorted(range(len(barcodes)), key=barcodes.__getitem__) if ok[k]]
    victims = ([_familias_person(barcodes[k], "unknown", profile_dict(kf, observed[k])) for k in in_lab_order]
               if config.write_familias else [])
    submitted = dt.datetime.combine(max(s.exhumation_date for s in sites), dt.time(12, 0))
    for start in range(0, max(1, len(in_lab_order)), config.samples_per_file):
        number = start // config.samples_per_file + 1
        part = [_profile_record(barcodes[k], _with_amelogenin(profile_dict(kf, observed[k]), amelogenin[k]),
                                config, _CMF_CATEGORY)
                for k in in_lab_order[start:start + config.samples_per_file]]
        gm_name = f"lab/bone_samples_{number:03d}.txt"
        cmf_name = f"lab/bone_samples_{number:03d}.cmf.xml"
        write_profiles_genemapper(part, out / gm_name)
        write_profiles_cmf(part, out / cmf_name, source_lab=config.lab_name, destination=config.destination,
                           submitted_at=submitted, kit=config.kit.name, batch_id=f"{config.name}-bone-{number:03d}")
        summary.files += [gm_name, cmf_name]
        report("lab files", min(start + config.samples_per_file, len(in_lab_order)), len(in_lab_order))
    return victims


def _familias_person(name: str, sex: str, profile: dict[str, Any], father: str | None = None,
                     mother: str | None = None) -> Any:
    """A Familias person; a single seen allele is written alone (``Allele1`` only)."""
    from mpid.formats.types import FamiliasPerson

    genotypes = {locus: tuple(a for a in alleles if a is not None) for locus, alleles in profile.items()}
    return FamiliasPerson(id=name, sex=sex, father=father, mother=mother, genotypes=genotypes)


def _familias_family(family: SimulatedFamily, barcodes: dict[str, str]) -> Any:
    """A Familias DVI reference family: donors named by bar code, missing persons ``Missing <id>``."""
    from mpid.formats.types import FamiliasFamily, FamiliasPedigree

    missing = set(family.missing_ids)

    def name(person_id: str) -> str:
        if person_id in missing:
            return f"Missing {person_id}"
        return barcodes.get(person_id, person_id)

    persons = tuple(
        _familias_person(name(m.id), m.sex, family.reference_genotypes.get(m.id, {})) for m in family.members
    )
    relations = tuple((name(parent), name(m.id)) for m in family.members for parent in (m.father, m.mother)
                      if parent is not None)
    known = tuple(r for r in relations if not r[0].startswith("Missing") and not r[1].startswith("Missing"))
    return FamiliasFamily(
        name=family.family_id, persons=persons,
        pedigrees=(FamiliasPedigree("Reference pedigree", known), FamiliasPedigree("Pedigree 1", relations)),
        missing=tuple(f"Missing {pid}" for pid in family.missing_ids),
    )


def _write_familias(config: ScenarioConfig, out: Path, kf: KitFrequencies, families: list[Any],
                    victims: list[Any]) -> None:
    """lab/dvi.fam: the kit's frequency database, the bone profiles as victims, the reference families."""
    from mpid.formats.familias import write_familias
    from mpid.formats.types import FamiliasDVI, FamiliasLocus, FamiliasMutationModel, FamiliasProject

    model = FamiliasMutationModel("stepwise", rate=config.family.mutation_rate, rate2=1e-6, range=0.1)
    loci = tuple(
        FamiliasLocus(locus, kf.alleles[j], tuple(float(p) for p in kf.probabilities[j]), model, model)
        for j, locus in enumerate(kf.loci)
    )
    project = FamiliasProject(
        persons=(), pedigrees=(), loci=loci, dvi=FamiliasDVI(tuple(victims), tuple(families)),
        comment=f"mpid simulate: {config.name}", database_name=kf.table_name,
    )
    write_familias(project, out / FAMILIAS_FILE)


def _site_row(site: Site) -> dict[str, Any]:
    """A sites.csv row."""
    return {"site_id": site.site_id, "name": site.name, "type": site.kind, "disturbance": site.disturbance,
            "lat": f"{site.lat:.5f}", "lon": f"{site.lon:.5f}", "region": site.region,
            "exhumation_date": site.exhumation_date.isoformat()}


def _write_site_truth(out: Path, sites: list[Site], placed: list[Any]) -> None:
    """truth/sites.csv: which primary grave each secondary came from, individuals and remains per site."""
    individuals: dict[str, set[int]] = {}
    remains: dict[str, int] = {}
    for item in placed:
        individuals.setdefault(item.site_id, set()).add(item.individual)
        remains[item.site_id] = remains.get(item.site_id, 0) + 1
    write_csv(out / "truth" / "sites.csv", TRUTH_SITE_COLUMNS, (
        {"site_id": s.site_id, "disturbance": s.disturbance, "primary_site_id": s.primary_site_id,
         "n_individuals": len(individuals.get(s.site_id, ())), "n_remains": remains.get(s.site_id, 0)}
        for s in sites))


def _write_manifest(config: ScenarioConfig, seed: int, out: Path, kf: KitFrequencies,
                    summary: ScenarioSummary) -> None:
    """scenario.json: what was simulated, with which settings, and the list of files (no clock time)."""
    from mpid import __version__

    manifest = {
        "format_version": FORMAT_VERSION,
        "generator": f"mpid {__version__}",
        "preset": config.name,
        "seed": seed,
        "kit": {"name": kf.kit.name, "loci": list(kf.loci)},
        "frequency_table": kf.table_name,
        "counts": summary.counts(),
        "files": sorted(summary.files),
        "truth_directory": "truth",
        "config": json.loads(json.dumps(dataclasses.asdict(config), default=str)),
    }
    (out / "scenario.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
