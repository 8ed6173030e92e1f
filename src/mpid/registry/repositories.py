"""Queries over the register. Repositories read and add; they never commit (services do)."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mpid.registry.base import Base
from mpid.registry.errors import NotFoundError
from mpid.registry.models import (
    Donor,
    Family,
    FrequencyRow,
    FrequencyTable,
    ImportBatch,
    MissingPerson,
    Remains,
    Sample,
    Site,
)

__all__ = [
    "count_rows",
    "existing_values",
    "find_donor_by_pseudonym",
    "find_family_by_code",
    "find_import_batch",
    "find_missing_person_by_case_code",
    "find_remains_by_code",
    "find_sample_by_barcode",
    "find_site_by_code",
    "get_by_id",
    "get_missing_person",
    "latest_frequency_table",
    "stored_loci",
]

ModelT = TypeVar("ModelT", bound=Base)


def existing_values(session: Session, column: Any, values: set[str]) -> set[str]:
    """Which of ``values`` the column already holds (queried in chunks: SQLite limits IN lists)."""
    found: set[str] = set()
    ordered = sorted(values)
    for i in range(0, len(ordered), 500):
        found.update(session.scalars(select(column).where(column.in_(ordered[i : i + 500]))))
    return found


def get_by_id(session: Session, model: type[ModelT], record_id: int) -> ModelT:
    """The record of ``model`` with this id, or :class:`NotFoundError` (also for ids no database can hold)."""
    if isinstance(record_id, bool) or not isinstance(record_id, int) or not 0 < record_id < 2**63:
        raise NotFoundError(f"no {model.__tablename__} record with id {record_id}")
    record = session.get(model, record_id)
    if record is None:
        raise NotFoundError(f"no {model.__tablename__} record with id {record_id}")
    return record


def get_missing_person(session: Session, ref: int | str) -> MissingPerson:
    """A missing person by id or case code, or :class:`NotFoundError`."""
    if isinstance(ref, int):
        return get_by_id(session, MissingPerson, ref)
    person = find_missing_person_by_case_code(session, ref)
    if person is None:
        raise NotFoundError(f"no case with code {ref!r}", field="case_code")
    return person


def find_missing_person_by_case_code(session: Session, case_code: str) -> MissingPerson | None:
    """The missing person with this case code, if any."""
    return session.scalar(select(MissingPerson).where(MissingPerson.case_code == case_code))


def find_sample_by_barcode(session: Session, barcode: str) -> Sample | None:
    """The sample with this bar code, if any."""
    return session.scalar(select(Sample).where(Sample.barcode == barcode))


def find_donor_by_pseudonym(session: Session, pseudonym: str) -> Donor | None:
    """The donor with this pseudonym, if any."""
    return session.scalar(select(Donor).where(Donor.pseudonym == pseudonym))


def find_family_by_code(session: Session, code: str) -> Family | None:
    """The family with this code, if any."""
    return session.scalar(select(Family).where(Family.code == code))


def find_site_by_code(session: Session, code: str) -> Site | None:
    """The site with this code, if any."""
    return session.scalar(select(Site).where(Site.code == code))


def find_remains_by_code(session: Session, code: str) -> Remains | None:
    """The remains with this code, if any."""
    return session.scalar(select(Remains).where(Remains.code == code))


def find_import_batch(session: Session, kind: str, content_sha256: str) -> ImportBatch | None:
    """The earlier import of a file with this kind and content hash, if any."""
    return session.scalar(
        select(ImportBatch).where(ImportBatch.kind == kind, ImportBatch.content_sha256 == content_sha256)
    )


def latest_frequency_table(session: Session, name: str | None = None) -> FrequencyTable | None:
    """The newest version of the named table (or the most recently stored table when no name)."""
    query = select(FrequencyTable)
    if name is not None:
        query = query.where(FrequencyTable.name == name).order_by(FrequencyTable.version.desc())
    else:
        query = query.order_by(FrequencyTable.id.desc())
    return session.scalars(query.limit(1)).first()


def stored_loci(session: Session) -> set[str]:
    """Every locus that appears in a stored frequency table."""
    return set(session.scalars(select(FrequencyRow.locus).distinct()))


def count_rows(session: Session, model: type[Base]) -> int:
    """How many rows the model's table holds."""
    return int(session.scalar(select(func.count()).select_from(model)) or 0)
