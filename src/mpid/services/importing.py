"""Importing lab, pedigree, frequency, register and reference-case files into the register.

Every import is one transaction: the file is parsed completely first (format errors name the
file, line or XML element, and field), then applied; any refusal rolls everything back, so a
file is imported whole or not at all. The SHA-256 of the file is recorded with its kind; a file
imported before is recognised and nothing changes. Register-level refusals (an unknown locus,
an allele that cannot be read, a bar code bound to another case, a pedigree contradiction) are
raised as :class:`ImportRecordError`, a :class:`~mpid.formats.errors.FormatError` naming the
file, the line or element, and the field.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mpid.formats.errors import FormatError
from mpid.formats.types import FamiliasFamily, FamiliasProject, ProfileRecord, RegisterRow
from mpid.genetics.alleles import AlleleError, canonical_locus, parse_allele
from mpid.registry.db import make_session_factory
from mpid.registry.errors import (
    BarcodeConflictError,
    ConflictError,
    PedigreeContradictionError,
    RegisterError,
)
from mpid.registry.models import (
    CustodyAction,
    CustodyEvent,
    DatePrecision,
    Donor,
    ImportBatch,
    Profile,
    Remains,
    RemainsKind,
    Sample,
    SampleType,
    Sex,
    check_object_text_lengths,
)
from mpid.registry.repositories import (
    existing_values,
    find_import_batch,
    find_missing_person_by_case_code,
    find_sample_by_barcode,
    stored_loci,
)
from mpid.services.frequencies import store_frequency_table
from mpid.services.intake import ReportInput, find_report, register_report
from mpid.services.lifecycle import move_case
from mpid.services.profiles import attach_profile, normalise_loci
from mpid.services.references import (
    ConsentInput,
    PedigreePersonInput,
    add_donor,
    define_family,
    infer_relationship,
    register_donor,
)
from mpid.services.sites import RemainsInput, describe_sample_owner, record_remains, record_sample

__all__ = [
    "IMPORT_KINDS",
    "PAUSE_AFTER_ROWS_ENV",
    "ImportOptions",
    "ImportRecordError",
    "ImportResult",
    "file_sha256",
    "import_file",
    "parse_partial_date",
]

log = logging.getLogger(__name__)

IMPORT_KINDS: tuple[str, ...] = ("genemapper", "cmf", "familias", "frequencies", "register", "refcase")

# Test hook: pause (sleep) inside the import transaction after this many records, so a test can
# kill the process mid-import. MPID_IMPORT_PAUSE_SECONDS sets how long (default 60 s).
PAUSE_AFTER_ROWS_ENV = "MPID_IMPORT_PAUSE_AFTER_ROWS"
PAUSE_SECONDS_ENV = "MPID_IMPORT_PAUSE_SECONDS"


class ImportRecordError(FormatError):
    """A record of an import file that the register refuses (file, line or element, field, reason)."""


@dataclass(frozen=True)
class ImportOptions:
    """Choices for an import; each applies only to the kinds that use it."""

    category: str | None = None
    """genemapper/cmf: ``remains`` or ``reference`` for samples not yet in the register."""
    lab: str | None = None
    kit: str | None = None
    run: str | None = None
    single_allele: str = "homozygote"
    table_name: str | None = None
    """frequencies/familias/refcase: the name the frequency table is stored under."""
    frequency_kind: str = "auto"
    barcode_prefix: str = ""
    """familias/refcase: prefix for generated bar codes and codes (keeps several cases apart)."""
    mapping: dict[str, str] | None = None
    """register: column mapping for :func:`mpid.formats.register_lists.parse_register_list`."""
    source_agency: str | None = None
    """register: the agency of rows that do not name one."""
    consent_given_on: date | None = None
    """cmf/genemapper/familias: record identification-only consent for new donors on this date."""
    actor: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form, stored with the batch."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items() if v}


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    kind: str
    path: str
    content_sha256: str
    batch_id: int
    already_imported: bool
    counts: dict[str, int] = field(default_factory=dict)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_partial_date(text: str | None) -> tuple[date | None, DatePrecision | None]:
    """``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` → (date, precision); empty → (None, None)."""
    if text is None or not str(text).strip():
        return None, None
    parts = str(text).strip().split("-")
    try:
        if len(parts) == 3:
            return date(int(parts[0]), int(parts[1]), int(parts[2])), DatePrecision.DAY
        if len(parts) == 2:
            return date(int(parts[0]), int(parts[1]), 1), DatePrecision.MONTH
        if len(parts) == 1 and len(parts[0]) == 4:
            return date(int(parts[0]), 1, 1), DatePrecision.YEAR
    except ValueError:
        pass
    raise RegisterError(f"date {text!r} is not YYYY-MM-DD, YYYY-MM or YYYY")


def _sex(value: object) -> Sex:
    """A sex code (1/2/0, M/F/U, words) or a RegisterError naming the value."""
    try:
        return Sex.from_code(value)  # type: ignore[arg-type]
    except ValueError:
        raise RegisterError(f"sex {value!r} is not 1/2/0, M/F/U or male/female/unknown", field="sex") from None


# ----------------------------------------------------------------------------- the transaction


@dataclass
class _ImportRun:
    session: Session
    path: str
    batch: ImportBatch
    options: ImportOptions
    counts: Counter[str] = field(default_factory=Counter)
    rows_done: int = 0
    pause_after: int | None = None

    @property
    def file_name(self) -> str:
        return Path(self.path).name

    def row_done(self) -> None:
        """Count a record; the pause hook for crash tests fires here."""
        self.rows_done += 1
        if self.pause_after is not None and self.rows_done == self.pause_after:
            self.session.flush()
            seconds = float(os.environ.get(PAUSE_SECONDS_ENV, "60"))
            log.warning("import paused after %d rows (test hook %s)", self.rows_done, PAUSE_AFTER_ROWS_ENV)
            time.sleep(seconds)

    def error(
        self, exc: RegisterError, *, line: int | None = None, element: str | None = None, prefix: str = ""
    ) -> ImportRecordError:
        """The register's refusal as an error naming this file, the line/element and the field."""
        return ImportRecordError(self.path, prefix + exc.message, line=line, element=element, field=exc.field)


def import_file(
    target: Engine | sessionmaker[Session],
    kind: str,
    path: str | os.PathLike[str],
    options: ImportOptions | None = None,
) -> ImportResult:
    """Import a file of ``kind`` (one of :data:`IMPORT_KINDS`) in one transaction; idempotent."""
    options = options or ImportOptions()
    if kind not in IMPORT_KINDS:
        raise ValueError(f"unknown import kind {kind!r}; one of {', '.join(IMPORT_KINDS)}")
    path = str(path)
    if not Path(path).is_file():
        raise FormatError(path, "no such file")
    sha = file_sha256(path)
    factory = make_session_factory(target) if isinstance(target, Engine) else target
    with factory() as session:
        earlier = find_import_batch(session, kind, sha)
        if earlier is not None:
            log.info("%s was imported before (batch %d): nothing to do", path, earlier.id)
            return ImportResult(kind, path, sha, earlier.id, True, dict(earlier.counts))
        session.rollback()
    parsed = _PARSERS[kind](path, options)  # format errors surface here, before any write
    pause = os.environ.get(PAUSE_AFTER_ROWS_ENV)
    try:
        with factory() as session, session.begin():
            batch = ImportBatch(
                kind=kind,
                file_name=Path(path).name,
                content_sha256=sha,
                options=options.as_dict(),
                imported_by=options.actor,
            )
            session.add(batch)
            session.flush()
            run = _ImportRun(session, path, batch, options, pause_after=int(pause) if pause else None)
            _APPLIERS[kind](run, parsed)
            batch.counts = dict(sorted(run.counts.items()))
            result = ImportResult(kind, path, sha, batch.id, False, dict(batch.counts))
    except IntegrityError as exc:
        # Another process imported the same file at the same time: that import stands.
        with factory() as session:
            earlier = find_import_batch(session, kind, sha)
        if earlier is None:
            raise ImportRecordError(path, f"the database refused the import: {exc.orig}") from exc
        return ImportResult(kind, path, sha, earlier.id, True, dict(earlier.counts))
    log.info("imported %s as %s: %s", path, kind, result.counts)
    return result


# ----------------------------------------------------------------------------- parsers


def _parse_genemapper(path: str, options: ImportOptions) -> list[ProfileRecord]:
    from mpid.formats.genemapper import parse_genemapper

    return parse_genemapper(path, single_allele=options.single_allele)  # type: ignore[arg-type]


def _parse_cmf(path: str, options: ImportOptions) -> list[ProfileRecord]:
    from mpid.formats.cmf import parse_cmf

    return parse_cmf(path, single_allele=options.single_allele)  # type: ignore[arg-type]


def _parse_familias(path: str, options: ImportOptions) -> FamiliasProject:
    from mpid.formats.familias import parse_familias

    return parse_familias(path)


def _parse_frequencies(path: str, options: ImportOptions) -> list[Any]:
    from mpid.formats.frequencies import parse_frequency_table

    return list(parse_frequency_table(path, kind=options.frequency_kind))


def _parse_register(path: str, options: ImportOptions) -> list[RegisterRow]:
    from mpid.formats.register_lists import parse_register_list

    return list(parse_register_list(path, mapping=options.mapping))


def _parse_refcase(path: str, options: ImportOptions) -> dict[str, Any]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FormatError(path, f"not JSON: {exc.msg}", line=exc.lineno) from None
    except UnicodeDecodeError:
        raise FormatError(path, "not UTF-8 text") from None
    if not isinstance(document, dict):
        raise FormatError(path, "a refcase is a JSON object", element="$")
    for key in ("case_id", "category", "markers", "genotypes"):
        if key not in document:
            raise FormatError(path, f"missing field {key!r}", element="$", field=key)
    return document


_PARSERS: dict[str, Callable[[str, ImportOptions], Any]] = {
    "genemapper": _parse_genemapper,
    "cmf": _parse_cmf,
    "familias": _parse_familias,
    "frequencies": _parse_frequencies,
    "register": _parse_register,
    "refcase": _parse_refcase,
}


# ----------------------------------------------------------------------------- lab profiles

_REMAINS_CATEGORIES = {"unidentified person", "deceased", "unidentified human remains", "remains"}
# CMF relative categories → the relationship used to place the donor (None: not placeable).
_REFERENCE_CATEGORIES: dict[str, str | None] = {
    "biological father": "father",
    "biological mother": "mother",
    "biological child": "child",
    "biological sibling": "full_sibling",
    "spouse": "spouse",
    "maternal relative": None,
    "paternal relative": None,
    "alleged father": None,
    "alleged mother": None,
    "reference": None,
}


def _owner_kind(record: ProfileRecord, options: ImportOptions) -> str | None:
    if options.category is not None:
        if options.category not in ("remains", "reference"):
            raise RegisterError(
                f"category must be 'remains' or 'reference', not {options.category!r}", field="category"
            )
        return options.category
    category = (record.category or "").strip().lower()
    if category in _REMAINS_CATEGORIES:
        return "remains"
    if category in _REFERENCE_CATEGORIES:
        return "reference"
    return None


def _record_line(record: ProfileRecord, locus: str | None = None) -> int | None:
    if locus is not None and locus in record.source_lines:
        return record.source_lines[locus]
    return min(record.source_lines.values()) if record.source_lines else None


_BULK_FLUSH_EVERY = 500


def _profile_fields(run: _ImportRun, record: ProfileRecord) -> dict[str, Any]:
    return {
        "kit": record.kit or run.options.kit,
        "lab": record.lab or run.options.lab,
        "run": record.run or run.options.run,
        "quality": "partial" if str(record.attributes.get("partial", "")).lower() == "true" else None,
        "import_batch_id": run.batch.id,
        "provenance": {
            "file": run.file_name,
            "lines": dict(record.source_lines),
            "category": record.category,
            **{k: v for k, v in record.attributes.items() if v is not None},
        },
    }


def _apply_profiles(run: _ImportRun, records: Sequence[ProfileRecord]) -> None:
    """Attach each record's profile; new remains samples take a batched path (same checks, fewer round trips)."""
    session = run.session
    consent = ConsentInput(given_on=run.options.consent_given_on) if run.options.consent_given_on else None
    barcodes = {record.sample_id.strip() for record in records}
    known_barcodes = existing_values(session, Sample.barcode, barcodes)
    known_remains_codes = existing_values(session, Remains.code, {f"R-{b}" for b in barcodes})
    new_in_file: set[str] = set()
    table_loci: set[str] | None = None
    pending = 0
    for record in records:
        barcode = record.sample_id.strip()
        try:
            if (
                barcode
                and barcode not in known_barcodes
                and barcode not in new_in_file
                and (_owner_kind(record, run.options) == "remains")
            ):
                if table_loci is None:
                    table_loci = stored_loci(session)
                _add_new_remains_profile(run, record, barcode, known_remains_codes, table_loci)
                new_in_file.add(barcode)
                pending += 1
                if pending >= _BULK_FLUSH_EVERY:
                    session.flush()
                    pending = 0
            else:
                if pending:
                    session.flush()  # the checks below read the database
                    pending = 0
                sample = _sample_for_record(run, record, consent)
                attach_profile(session, sample, record.loci, **_profile_fields(run, record))
        except RegisterError as exc:
            locus = exc.field if exc.field in record.loci else None
            raise run.error(exc, line=_record_line(record, locus), prefix=f"sample {record.sample_id}: ") from None
        run.counts["profiles"] += 1
        run.row_done()
    if pending:
        session.flush()


def _add_new_remains_profile(
    run: _ImportRun, record: ProfileRecord, barcode: str, known_remains_codes: set[str], table_loci: set[str]
) -> None:
    """New remains, its bone sample (custody: collected) and the profile, as record_remains,
    record_sample and attach_profile would store them, without a database round trip each."""
    loci = normalise_loci(record.loci, extra_known_loci=table_loci)
    if not loci:
        raise RegisterError(f"profile of sample {barcode} has no typed locus", field="loci")
    code = f"R-{barcode}"
    if code in known_remains_codes:
        raise ConflictError(f"remains code {code!r} is already used", field="code")
    fields = _profile_fields(run, record)
    remains = Remains(code=code, kind=RemainsKind.BODY, anthropological_sex=Sex.UNKNOWN)
    sample = Sample(barcode=barcode, sample_type=SampleType.BONE, remains=remains)
    custody = CustodyEvent(sample=sample, action=CustodyAction.COLLECTED, actor=run.options.actor)
    profile = Profile(
        sample=sample,
        kit=fields["kit"] or "",
        lab=fields["lab"] or "",
        run=fields["run"] or "",
        quality=fields["quality"],
        n_loci=sum(1 for locus in loci if locus != "AMEL"),
        alleles=loci,
        import_batch_id=fields["import_batch_id"],
        provenance=fields["provenance"],
    )
    for obj in (remains, sample, custody, profile):
        check_object_text_lengths(obj)
    run.session.add_all([remains, sample, custody, profile])
    run.counts["remains"] += 1


def _sample_for_record(run: _ImportRun, record: ProfileRecord, consent: ConsentInput | None) -> Sample:
    session = run.session
    barcode = record.sample_id.strip()
    owner = _owner_kind(record, run.options)
    case_code = record.attributes.get("case_id")
    case = find_missing_person_by_case_code(session, case_code) if case_code else None
    sample = find_sample_by_barcode(session, barcode)
    if sample is not None:
        if owner == "remains" and sample.remains_id is None:
            raise BarcodeConflictError(
                f"bar code {barcode!r} is already bound to {describe_sample_owner(sample)}, not to remains",
                field="barcode",
            )
        if owner == "reference" and sample.donor_id is None:
            raise BarcodeConflictError(
                f"bar code {barcode!r} is already bound to {describe_sample_owner(sample)}, not to a reference donor",
                field="barcode",
            )
        if case is not None and sample.donor is not None:
            cases = _cases_of_donor(sample.donor)
            if cases and case.case_code not in cases:
                raise BarcodeConflictError(
                    f"bar code {barcode!r} is already bound to {describe_sample_owner(sample)}, "
                    f"not to case {case.case_code}",
                    field="barcode",
                )
        return sample
    if owner is None:
        raise RegisterError(
            f"bar code {barcode!r} is not in the register and specimen category {record.category!r} does not "
            "say whether it is remains or a reference; import with --category remains or --category reference",
            field="category",
        )
    if owner == "remains":
        sex = Sex.UNKNOWN
        remains = record_remains(session, RemainsInput(RemainsKind.BODY, anthropological_sex=sex, code=f"R-{barcode}"))
        run.counts["remains"] += 1
        return record_sample(session, barcode, SampleType.BONE, remains=remains, collected_by=run.options.actor)
    relationship = _REFERENCE_CATEGORIES.get((record.category or "").strip().lower())
    if case is not None and relationship is not None:
        donor = add_donor(session, case, relationship, consent=consent, actor=run.options.actor)
    else:
        donor = register_donor(session, stated_relationship=record.category, consent=consent)
    run.counts["donors"] += 1
    return record_sample(session, barcode, SampleType.BUCCAL, donor=donor, collected_by=run.options.actor)


def _cases_of_donor(donor: Donor) -> list[str]:
    person = donor.pedigree_person
    if person is None:
        return []
    return [p.missing_person.case_code for p in person.family.persons if p.missing_person is not None]


# ----------------------------------------------------------------------------- frequency tables


def _apply_frequencies(run: _ImportRun, tables: Sequence[Any]) -> None:
    for index, data in enumerate(tables):
        name = run.options.table_name or data.name
        if run.options.table_name and len(tables) > 1:
            name = f"{run.options.table_name} {data.name}"
        try:
            _table, created = store_frequency_table(
                run.session,
                name,
                data.markers,
                sample_sizes=data.sample_sizes,
                source=run.file_name,
                import_batch_id=run.batch.id,
            )
        except RegisterError as exc:
            raise run.error(exc, element=f"table[{index}] {data.name!r}") from None
        run.counts["frequency_tables" if created else "frequency_tables_unchanged"] += 1
        run.row_done()


# ----------------------------------------------------------------------------- Familias


def _familias_alleles(locus: str, alleles: Sequence[str]) -> list[str]:
    out = []
    for allele in alleles:
        try:
            out.append(parse_allele(allele))
        except AlleleError:
            out.append(str(allele))
    return out


# Familias model names → pedmut names (Familias' stepwise models are pedmut's stepwise with
# rate2 = 0 or with its own rate2; the stationary variant has no pedmut equivalent).
_FAMILIAS_MODEL_TO_PEDMUT = {
    "equal": "equal",
    "proportional": "proportional",
    "stepwise": "stepwise",
    "stepwise_extended": "stepwise",
}


def _familias_mutation(locus: Any) -> dict[str, dict[str, Any]] | None:
    """A Familias locus' models in pedmut terms (``familias_model`` keeps the original); None if none mutates."""
    models = {}
    for sex, model in (("female", locus.female_model), ("male", locus.male_model)):
        name = _FAMILIAS_MODEL_TO_PEDMUT.get(model.model, model.model)
        stepwise = name == "stepwise"
        models[sex] = {
            "model": name,
            "rate": model.rate,
            "rate2": (model.rate2 or 0.0) if stepwise else None,
            "range": (model.range or 0.0) if stepwise else None,
            "familias_model": model.model,
        }
    if all(not m["rate"] for m in models.values()):
        return None
    return models


def _apply_familias(run: _ImportRun, project: FamiliasProject) -> None:
    if project.dvi is None:
        raise ImportRecordError(
            run.path,
            "no [DVI] section: the file holds a kinship case, not missing persons and remains",
            field="[DVI]",
        )
    name = run.options.table_name or project.database_name or Path(run.path).stem
    markers = {
        locus.name: dict(zip(_familias_alleles(locus.name, locus.alleles), locus.freqs, strict=True))
        for locus in project.loci
    }
    try:
        _table, created = store_frequency_table(
            run.session,
            name,
            markers,
            source=run.file_name,
            import_batch_id=run.batch.id,
            keep_unparsed_alleles=True,
            mutation_models={locus.name: _familias_mutation(locus) for locus in project.loci},
        )
    except RegisterError as exc:
        raise run.error(exc, element="database") from None
    run.counts["frequency_tables" if created else "frequency_tables_unchanged"] += 1
    file_loci = {canonical_locus(locus.name) for locus in project.loci}
    prefix = run.options.barcode_prefix
    consent = ConsentInput(given_on=run.options.consent_given_on) if run.options.consent_given_on else None

    for victim in project.dvi.victims:
        element = f"[DVI]/Unidentified persons/{victim.id}"
        try:
            _store_remains_profile(
                run,
                f"{prefix}{victim.id}",
                _sex(victim.sex),
                victim.genotypes,
                file_loci,
                provenance={"file": run.file_name, "familias_id": victim.id},
            )
        except RegisterError as exc:
            raise run.error(exc, element=element) from None
        run.row_done()

    for family in project.dvi.families:
        element = f"[DVI]/Reference Families/{family.name}"
        try:
            _store_familias_family(run, family, prefix, file_loci, consent)
        except RegisterError as exc:
            raise run.error(exc, element=element) from None
        run.counts["families"] += 1
        run.row_done()


def _familias_pedigree_relations(family: FamiliasFamily) -> tuple[tuple[str, str], ...]:
    """The pedigree to store: the last one linking a missing person, else the first one."""
    candidates = [
        ped for ped in family.pedigrees if any(name in family.missing for rel in ped.relations for name in rel)
    ]
    chosen = candidates[-1] if candidates else (family.pedigrees[0] if family.pedigrees else None)
    return chosen.relations if chosen is not None else ()


def _store_familias_family(
    run: _ImportRun,
    family: FamiliasFamily,
    prefix: str,
    file_loci: set[str],
    consent: ConsentInput | None,
) -> None:
    session = run.session
    relations = _familias_pedigree_relations(family)
    sex: dict[str, Sex] = {p.id: _sex(p.sex) for p in family.persons}
    for parent, child in relations:
        sex.setdefault(parent, Sex.UNKNOWN)
        sex.setdefault(child, Sex.UNKNOWN)
    parents: dict[str, list[str]] = {}
    for parent, child in relations:
        parents.setdefault(child, []).append(parent)
    for child, listed in parents.items():
        if len(listed) > 2:
            raise PedigreeContradictionError(
                f"pedigree contradiction: {child!r} has {len(listed)} parents", field=child
            )
    _infer_parent_sexes(parents, sex)
    fathers: dict[str, str] = {}
    mothers: dict[str, str] = {}
    assumed: list[str] = []
    placeholder = 0
    for child, listed in parents.items():
        if len(listed) == 2:
            a, b = listed
            if sex[a] == sex[b] or Sex.UNKNOWN in (sex[a], sex[b]):
                raise PedigreeContradictionError(
                    f"pedigree contradiction: parents {a!r} and {b!r} of {child!r} are recorded as "
                    f"{sex[a].value} and {sex[b].value}",
                    field=child,
                )
            fathers[child], mothers[child] = (a, b) if sex[a] == Sex.MALE else (b, a)
            continue
        (only,) = listed
        if sex[only] == Sex.UNKNOWN:
            if only not in family.missing:
                raise PedigreeContradictionError(
                    f"pedigree contradiction: cannot tell whether {only!r} is the father or the mother of {child!r}",
                    field=child,
                )
            # Familias leaves the sex of its 'Missing person' placeholder open (it takes the sex of
            # each victim tried there). Autosomal likelihoods do not depend on which parent it is.
            sex[only] = Sex.MALE
            assumed.append(only)
            log.warning("%s: family %s: %r placed as father of %r (no sex given)", run.path, family.name, only, child)
        placeholder += 1
        other = f"[untyped parent {placeholder}]"
        sex[other] = Sex.FEMALE if sex[only] == Sex.MALE else Sex.MALE
        fathers[child], mothers[child] = (only, other) if sex[only] == Sex.MALE else (other, only)
    if assumed:
        run.counts["pedigree_sexes_assumed"] += len(assumed)
    typed = {p.id: p for p in family.persons if p.genotypes}
    inputs = []
    for label, person_sex in sex.items():
        mp = donor = None
        if label in family.missing:
            mp = register_report(
                session,
                ReportInput(
                    source_agency="Familias import",
                    source_reference=f"{run.file_name}:{family.name}:{label}",
                    name_original=label,
                    full_name=f"{family.name}: {label}",
                    sex=person_sex,
                ),
                actor=run.options.actor,
                import_batch_id=run.batch.id,
                provenance={"file": run.file_name, "family": family.name, "familias_id": label},
            )
            run.counts["missing_persons"] += 1
        elif label in typed:
            donor = register_donor(session, sex=person_sex, stated_relationship=None, consent=consent)
            sample = record_sample(
                session,
                f"{prefix}{family.name}:{label}",
                SampleType.BUCCAL,
                donor=donor,
                collected_by=run.options.actor,
            )
            attach_profile(
                session,
                sample,
                _genotypes_by_canonical_locus(typed[label].genotypes),
                import_batch_id=run.batch.id,
                provenance={"file": run.file_name, "family": family.name, "familias_id": label},
                extra_known_loci=file_loci,
            )
            run.counts["donors"] += 1
            run.counts["profiles"] += 1
        inputs.append(
            PedigreePersonInput(
                label, person_sex, fathers.get(label), mothers.get(label), missing_person=mp, donor=donor
            )
        )
    _state_relationships(inputs)
    notes = f"imported from {run.file_name}"
    if assumed:
        notes += "; placed as father without a recorded sex: " + ", ".join(sorted(assumed))
    define_family(session, f"{prefix}{family.name}", inputs, notes=notes)
    for pi in inputs:
        if (
            pi.missing_person is not None
            and pi.missing_person.status.value == "reported"
            and any(p.donor is not None for p in inputs)
        ):
            move_case(
                session,
                pi.missing_person,
                "references_collected",
                actor=run.options.actor,
                reason=f"reference family imported from {run.file_name}",
            )


def _state_relationships(inputs: Sequence[PedigreePersonInput]) -> None:
    """Record each donor's relationship to the (first) missing person of the pedigree."""
    missing = next((p.label for p in inputs if p.missing_person is not None), None)
    if missing is None:
        return
    for p in inputs:
        if p.donor is not None and p.donor.stated_relationship is None:
            p.donor.stated_relationship = infer_relationship(inputs, p.label, missing)


def _infer_parent_sexes(parents: dict[str, list[str]], sex: dict[str, Sex]) -> None:
    """Give an unknown-sex co-parent the sex opposite to its partner's, until nothing changes."""
    changed = True
    while changed:
        changed = False
        for listed in parents.values():
            if len(listed) != 2:
                continue
            a, b = listed
            for x, y in ((a, b), (b, a)):
                if sex[x] == Sex.UNKNOWN and sex[y] != Sex.UNKNOWN:
                    sex[x] = Sex.MALE if sex[y] == Sex.FEMALE else Sex.FEMALE
                    changed = True


def _genotypes_by_canonical_locus(genotypes: dict[str, Sequence[str | None]]) -> dict[str, list[str | None]]:
    return {canonical_locus(name): list(values) for name, values in genotypes.items()}


def _store_remains_profile(
    run: _ImportRun,
    barcode: str,
    sex: Sex,
    genotypes: dict[str, Sequence[str | None]],
    known_loci: set[str],
    *,
    provenance: dict[str, Any],
) -> None:
    session = run.session
    existing = find_sample_by_barcode(session, barcode)
    if existing is not None:
        raise BarcodeConflictError(
            f"bar code {barcode!r} is already bound to {describe_sample_owner(existing)}", field="barcode"
        )
    remains = record_remains(session, RemainsInput(RemainsKind.BODY, anthropological_sex=sex, code=f"R-{barcode}"))
    sample = record_sample(session, barcode, SampleType.BONE, remains=remains, collected_by=run.options.actor)
    run.counts["remains"] += 1
    if genotypes:
        attach_profile(
            session,
            sample,
            _genotypes_by_canonical_locus(genotypes),
            import_batch_id=run.batch.id,
            provenance=provenance,
            extra_known_loci=known_loci,
        )
        run.counts["profiles"] += 1


# ----------------------------------------------------------------------------- register lists

# Fields of :data:`mpid.formats.register_lists.REGISTER_FIELDS` that are not columns of a report
# are kept in the report's ``details``.
_DETAIL_FIELDS = ("birth_place", "notes")


def _apply_register(run: _ImportRun, rows: Sequence[RegisterRow]) -> None:
    for row in rows:
        try:
            created = _register_row(run, row)
        except RegisterError as exc:
            raise run.error(exc, line=row.line) from None
        run.counts["reports" if created else "reports_unchanged"] += 1
        run.row_done()


def _register_row(run: _ImportRun, row: RegisterRow) -> bool:
    f = {k: v.strip() for k, v in row.fields.items() if isinstance(v, str) and v.strip()}
    agency = f.get("source") or run.options.source_agency
    if not agency:
        raise RegisterError("no source agency (a 'source' column or the --agency option)", field="source")
    reference = f.get("record_id")
    if reference and find_report(run.session, agency, reference) is not None:
        return False  # registered from an earlier list: unchanged
    name_original = " ".join(f[k] for k in ("family_name", "given_name", "patronymic") if k in f)
    if not name_original:
        raise RegisterError("no name (family_name or given_name)", field="family_name")

    def dated(key: str) -> tuple[date | None, DatePrecision | None]:
        try:
            return parse_partial_date(f.get(key))
        except RegisterError as exc:
            raise RegisterError(exc.message, field=key) from None

    birth_date, precision = dated("birth_date")
    reported_on, _ = dated("report_date")
    disappeared_on, _ = dated("missing_date")
    try:
        sex = _sex(f.get("sex"))
    except RegisterError as exc:
        raise RegisterError(exc.message, field="sex") from None
    report = ReportInput(
        source_agency=agency,
        source_reference=reference,
        name_original=name_original,
        full_name=name_original,
        name_script=_script_of(name_original),
        patronymic_original=f.get("patronymic"),
        sex=sex,
        birth_date=birth_date,
        birth_date_precision=precision,
        birth_date_original=f.get("birth_date"),
        reported_on=reported_on,
        reporter_name=f.get("reporter"),
        region=f.get("region"),
        disappeared_on=disappeared_on,
        disappearance_place=f.get("missing_place"),
        details={k: f[k] for k in _DETAIL_FIELDS if k in f},
    )
    register_report(
        run.session,
        report,
        actor=run.options.actor,
        import_batch_id=run.batch.id,
        source_line=row.line,
        provenance={"file": run.file_name, "line": row.line, "source_agency": agency},
    )
    return True


def _script_of(text: str) -> str | None:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return None
    cyrillic = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
    return "Cyrl" if cyrillic > len(letters) / 2 else "Latn"


# ----------------------------------------------------------------------------- refcase JSON


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _refcase_genotypes(doc: dict[str, Any], person: str) -> dict[str, list[str | None]]:
    return {locus: list(alleles) for locus, alleles in (doc["genotypes"].get(person) or {}).items()}


def _apply_refcase(run: _ImportRun, doc: dict[str, Any]) -> None:
    try:
        _apply_refcase_document(run, doc)
    except (KeyError, TypeError, AttributeError) as exc:
        what = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise ImportRecordError(run.path, f"malformed refcase: {what}") from None


def _apply_refcase_document(run: _ImportRun, doc: dict[str, Any]) -> None:
    case_id = str(doc["case_id"])
    prefix = run.options.barcode_prefix or f"{case_id}-"
    try:
        markers = {m["name"]: dict(zip(m["alleles"], m["freqs"], strict=True)) for m in doc["markers"]}
        mutation = {
            m["name"]: {
                sex: {k: v for k, v in params.items() if k != "matrix"} for sex, params in m["mutation"].items()
            }
            for m in doc["markers"]
            if m.get("mutation")
        }
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ImportRecordError(run.path, f"markers cannot be read: {exc}", element="markers") from None
    try:
        store_frequency_table(
            run.session,
            run.options.table_name or f"refcase {case_id}",
            markers,
            source=run.file_name,
            import_batch_id=run.batch.id,
            mutation_models=mutation,
        )
    except RegisterError as exc:
        raise run.error(exc, element="markers") from None
    run.counts["frequency_tables"] += 1
    loci = set(markers)
    consent = ConsentInput(given_on=run.options.consent_given_on or date.today())
    category = doc["category"]
    if category == "dvi":
        dvi = doc.get("dvi") or {}
        _store_refcase_remains(run, doc, dvi.get("victims", []), "dvi.victims", prefix, loci)
        for index, fam in enumerate(dvi.get("families", [])):
            try:
                _store_refcase_family(
                    run,
                    doc,
                    f"{prefix}{fam['name']}",
                    fam["pedigree"],
                    _as_list(fam.get("missing")),
                    _as_list(fam.get("references")),
                    loci,
                    consent,
                    prefix,
                )
            except RegisterError as exc:
                raise run.error(exc, element=f"dvi.families[{index}]") from None
            run.row_done()
        return
    if category == "direct_match":
        _store_refcase_remains(run, doc, doc.get("samples", []), "samples", prefix, loci)
        return
    # Kinship categories: the hypothesis component that holds the untyped "MP" is the reference
    # family; the person of interest "POI" is the remains.
    for h_index, hypothesis in enumerate(doc.get("hypotheses", [])):
        for c_index, component in enumerate(hypothesis.get("components", [])):
            if any(p.get("id") == "MP" for p in component):
                element = f"hypotheses[{h_index}].components[{c_index}]"
                typed = [p["id"] for p in component if p["id"] in doc["genotypes"] and p["id"] != "MP"]
                try:
                    _store_refcase_family(run, doc, f"{prefix}family", component, ["MP"], typed, loci, consent, prefix)
                    if "POI" in doc["genotypes"]:
                        poi_sex = next(
                            (
                                p.get("sex")
                                for h in doc["hypotheses"]
                                for c in h["components"]
                                for p in c
                                if p.get("id") == "POI"
                            ),
                            None,
                        )
                        _store_remains_profile(
                            run,
                            f"{prefix}POI",
                            _sex(poi_sex),
                            _refcase_genotypes(doc, "POI"),
                            loci,
                            provenance={"file": run.file_name, "refcase_id": "POI"},
                        )
                except RegisterError as exc:
                    raise run.error(exc, element=element) from None
                run.row_done()
                return
    raise ImportRecordError(
        run.path,
        f"refcase {case_id} (category {category}) has no missing person 'MP', no dvi and no direct_match block: "
        "nothing to put in the register",
        element="hypotheses",
    )


def _store_refcase_remains(
    run: _ImportRun, doc: dict[str, Any], items: list[Any], path: str, prefix: str, loci: set[str]
) -> None:
    """Victims (dvi) or samples (direct_match) of a refcase as remains with one profile each."""
    for index, item in enumerate(items):
        try:
            _store_remains_profile(
                run,
                f"{prefix}{item['id']}",
                _sex(item.get("sex")),
                _refcase_genotypes(doc, item["id"]),
                loci,
                provenance={"file": run.file_name, "refcase_id": item["id"]},
            )
        except RegisterError as exc:
            raise run.error(exc, element=f"{path}[{index}]") from None
        run.row_done()


def _store_refcase_family(
    run: _ImportRun,
    doc: dict[str, Any],
    family_code: str,
    pedigree: Sequence[dict[str, Any]],
    missing: Sequence[str],
    references: Sequence[str],
    loci: set[str],
    consent: ConsentInput,
    prefix: str,
) -> None:
    session = run.session
    inputs = []
    for person in pedigree:
        label = person["id"]
        sex = _sex(person.get("sex"))
        mp = donor = None
        if label in missing:
            mp = register_report(
                session,
                ReportInput(
                    source_agency="refcase import",
                    source_reference=f"{doc['case_id']}:{family_code}:{label}",
                    name_original=label,
                    full_name=f"{family_code}: {label}",
                    sex=sex,
                ),
                actor=run.options.actor,
                import_batch_id=run.batch.id,
                provenance={"file": run.file_name, "refcase_id": label},
            )
            run.counts["missing_persons"] += 1
        elif label in references and doc["genotypes"].get(label):
            donor = register_donor(session, sex=sex, consent=consent)
            sample = record_sample(session, f"{family_code}:{label}", SampleType.BUCCAL, donor=donor)
            attach_profile(
                session,
                sample,
                _refcase_genotypes(doc, label),
                import_batch_id=run.batch.id,
                provenance={"file": run.file_name, "refcase_id": label},
                extra_known_loci=loci,
            )
            run.counts["donors"] += 1
            run.counts["profiles"] += 1
        inputs.append(PedigreePersonInput(label, sex, person.get("father"), person.get("mother"), mp, donor))
    _state_relationships(inputs)
    define_family(session, family_code, inputs, notes=f"imported from {run.file_name}")
    run.counts["families"] += 1
    for pi in inputs:
        if pi.missing_person is not None and any(p.donor is not None for p in inputs):
            move_case(
                session,
                pi.missing_person,
                "references_collected",
                actor=run.options.actor,
                reason=f"reference family imported from {run.file_name}",
            )


_APPLIERS: dict[str, Callable[[_ImportRun, Any], None]] = {
    "genemapper": _apply_profiles,
    "cmf": _apply_profiles,
    "familias": _apply_familias,
    "frequencies": _apply_frequencies,
    "register": _apply_register,
    "refcase": _apply_refcase,
}
