"""Missing persons, their reports and status history, families (pedigrees), donors and consent."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mpid.registry.base import Base
from mpid.registry.models._columns import JSONDocument, UTCDateTime, enum_column_type, utc_now
from mpid.registry.models.enums import CaseStatus, DatePrecision, Sex

if TYPE_CHECKING:
    from mpid.registry.models.field import Sample

__all__ = ["CaseStatusEvent", "Consent", "Donor", "Family", "MissingPerson", "PedigreePerson", "Report"]


class MissingPerson(Base):
    """A person reported missing: one case, however many reports describe it."""

    __tablename__ = "missing_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_code: Mapped[str] = mapped_column(String(40), unique=True)
    # Hash of the secret the family uses on the inquiry portal (set by the security module).
    case_secret_hash: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[CaseStatus] = mapped_column(
        enum_column_type(CaseStatus, "case_status"), default=CaseStatus.REPORTED, index=True
    )
    full_name: Mapped[str] = mapped_column(String(300), default="")
    sex: Mapped[Sex] = mapped_column(enum_column_type(Sex, "sex"), default=Sex.UNKNOWN)
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_date_precision: Mapped[DatePrecision | None] = mapped_column(
        enum_column_type(DatePrecision, "date_precision")
    )
    region: Mapped[str | None] = mapped_column(String(120), index=True)
    disappeared_on: Mapped[date | None] = mapped_column(Date)
    disappearance_place: Mapped[str | None] = mapped_column(String(300))
    circumstances: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("missing_persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)

    reports: Mapped[list[Report]] = relationship(
        back_populates="missing_person", foreign_keys="Report.missing_person_id", order_by="Report.id"
    )
    status_events: Mapped[list[CaseStatusEvent]] = relationship(
        back_populates="missing_person", order_by="CaseStatusEvent.id"
    )
    pedigree_person: Mapped[PedigreePerson | None] = relationship(back_populates="missing_person")

    def __repr__(self) -> str:
        return f"MissingPerson(id={self.id!r}, case_code={self.case_code!r}, status={self.status!r})"


class Report(Base):
    """One report of a disappearance, with its source and the names as the source wrote them."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("source_agency", "source_reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    missing_person_id: Mapped[int] = mapped_column(ForeignKey("missing_persons.id"), index=True)
    source_agency: Mapped[str] = mapped_column(String(120))
    # The agency's own identifier of the record; unique per agency when given.
    source_reference: Mapped[str | None] = mapped_column(String(120))
    reported_on: Mapped[date | None] = mapped_column(Date)
    reporter_name: Mapped[str | None] = mapped_column(String(300))
    reporter_relationship: Mapped[str | None] = mapped_column(String(80))
    name_original: Mapped[str] = mapped_column(String(300), default="")
    name_script: Mapped[str | None] = mapped_column(String(8))  # ISO 15924: Latn, Cyrl, ...
    patronymic_original: Mapped[str | None] = mapped_column(String(200))
    birth_date_original: Mapped[str | None] = mapped_column(String(60))  # as written by the source
    sex_reported: Mapped[Sex] = mapped_column(enum_column_type(Sex, "sex"), default=Sex.UNKNOWN)
    region: Mapped[str | None] = mapped_column(String(120))
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    # Where this report came from: import batch and line, or the officer who typed it.
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    source_line: Mapped[int | None] = mapped_column(Integer)
    provenance: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    missing_person: Mapped[MissingPerson] = relationship(back_populates="reports", foreign_keys=[missing_person_id])


class CaseStatusEvent(Base):
    """One change of a case's status: who moved it, when and why."""

    __tablename__ = "case_status_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    missing_person_id: Mapped[int] = mapped_column(ForeignKey("missing_persons.id"), index=True)
    from_status: Mapped[CaseStatus | None] = mapped_column(enum_column_type(CaseStatus, "from_status"))
    to_status: Mapped[CaseStatus] = mapped_column(enum_column_type(CaseStatus, "to_status"))
    actor: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    missing_person: Mapped[MissingPerson] = relationship(back_populates="status_events")


class Family(Base):
    """A reference family: one pedigree holding one or more missing persons and their donors."""

    __tablename__ = "families"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(120), unique=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    persons: Mapped[list[PedigreePerson]] = relationship(
        back_populates="family", order_by="PedigreePerson.id", foreign_keys="PedigreePerson.family_id"
    )


class PedigreePerson(Base):
    """A member of a family's pedigree: a missing person, a donor, or an untyped link between them."""

    __tablename__ = "pedigree_persons"
    __table_args__ = (
        UniqueConstraint("family_id", "label"),
        CheckConstraint("NOT (missing_person_id IS NOT NULL AND donor_id IS NOT NULL)", name="mp_or_donor"),
        CheckConstraint("(father_id IS NULL) = (mother_id IS NULL)", name="both_parents_or_none"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    label: Mapped[str] = mapped_column(String(120))
    sex: Mapped[Sex] = mapped_column(enum_column_type(Sex, "sex"), default=Sex.UNKNOWN)
    father_id: Mapped[int | None] = mapped_column(ForeignKey("pedigree_persons.id"))
    mother_id: Mapped[int | None] = mapped_column(ForeignKey("pedigree_persons.id"))
    missing_person_id: Mapped[int | None] = mapped_column(ForeignKey("missing_persons.id"), unique=True)
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"), unique=True)

    family: Mapped[Family] = relationship(back_populates="persons", foreign_keys=[family_id])
    father: Mapped[PedigreePerson | None] = relationship(remote_side=[id], foreign_keys=[father_id])
    mother: Mapped[PedigreePerson | None] = relationship(remote_side=[id], foreign_keys=[mother_id])
    missing_person: Mapped[MissingPerson | None] = relationship(back_populates="pedigree_person")
    donor: Mapped[Donor | None] = relationship(back_populates="pedigree_person")


class Donor(Base):
    """A relative who gave a reference sample, known to the register only by a pseudonym."""

    __tablename__ = "donors"

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(40), unique=True)
    sex: Mapped[Sex] = mapped_column(enum_column_type(Sex, "sex"), default=Sex.UNKNOWN)
    # What the donor said their relationship is (e.g. "mother"), as recorded at collection.
    stated_relationship: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    pedigree_person: Mapped[PedigreePerson | None] = relationship(back_populates="donor")
    consents: Mapped[list[Consent]] = relationship(back_populates="donor", order_by="Consent.id")
    samples: Mapped[list[Sample]] = relationship(back_populates="donor", order_by="Sample.id")


class Consent(Base):
    """A donor's consent: its scope, when it was given and, if so, when it was withdrawn."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), index=True)
    identification: Mapped[bool] = mapped_column(Boolean, default=True)
    shared_with_agencies: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    court_use: Mapped[bool] = mapped_column(Boolean, default=False)
    given_on: Mapped[date] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    donor: Mapped[Donor] = relationship(back_populates="consents")

    @property
    def is_active(self) -> bool:
        """True while the consent has not been withdrawn."""
        return self.withdrawn_on is None
