"""Recovery sites, exhumations, remains, samples and their chain of custody."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mpid.registry.base import Base
from mpid.registry.models._columns import UTCDateTime, enum_column_type, utc_now
from mpid.registry.models.enums import CustodyAction, RemainsKind, SampleType, Sex, SiteType

if TYPE_CHECKING:
    from mpid.registry.models.cases import Donor
    from mpid.registry.models.genetics import Profile

__all__ = ["CustodyEvent", "Exhumation", "Remains", "Sample", "Site"]


class Site(Base):
    """A grave or recovery site."""

    __tablename__ = "sites"
    __table_args__ = (
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    site_type: Mapped[SiteType] = mapped_column(enum_column_type(SiteType, "site_type"))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    region: Mapped[str | None] = mapped_column(String(120), index=True)
    discovered_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    exhumations: Mapped[list[Exhumation]] = relationship(back_populates="site", order_by="Exhumation.id")
    remains: Mapped[list[Remains]] = relationship(back_populates="site", order_by="Remains.id")


class Exhumation(Base):
    """One exhumation campaign at a site."""

    __tablename__ = "exhumations"
    __table_args__ = (
        CheckConstraint("ended_on IS NULL OR started_on IS NULL OR ended_on >= started_on", name="date_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    team_lead: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    site: Mapped[Site] = relationship(back_populates="exhumations")
    remains: Mapped[list[Remains]] = relationship(back_populates="exhumation", order_by="Remains.id")


class Remains(Base):
    """Human remains recovered: a body or a body part, with its anthropological findings."""

    __tablename__ = "remains"
    __table_args__ = (
        CheckConstraint("age_min IS NULL OR age_max IS NULL OR age_min <= age_max", name="age_range"),
        CheckConstraint(
            "stature_min_cm IS NULL OR stature_max_cm IS NULL OR stature_min_cm <= stature_max_cm",
            name="stature_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(120), unique=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    exhumation_id: Mapped[int | None] = mapped_column(ForeignKey("exhumations.id"), index=True)
    kind: Mapped[RemainsKind] = mapped_column(enum_column_type(RemainsKind, "remains_kind"))
    body_part: Mapped[str | None] = mapped_column(String(120))
    anthropological_sex: Mapped[Sex] = mapped_column(enum_column_type(Sex, "anthropological_sex"), default=Sex.UNKNOWN)
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    stature_min_cm: Mapped[float | None] = mapped_column(Float)
    stature_max_cm: Mapped[float | None] = mapped_column(Float)
    recovered_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    site: Mapped[Site | None] = relationship(back_populates="remains")
    exhumation: Mapped[Exhumation | None] = relationship(back_populates="remains")
    samples: Mapped[list[Sample]] = relationship(back_populates="remains", order_by="Sample.id")


class Sample(Base):
    """A bar-coded biological sample, taken either from remains or from a donor (never both)."""

    __tablename__ = "samples"
    __table_args__ = (CheckConstraint("(remains_id IS NULL) <> (donor_id IS NULL)", name="one_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    barcode: Mapped[str] = mapped_column(String(120), unique=True)
    sample_type: Mapped[SampleType] = mapped_column(enum_column_type(SampleType, "sample_type"))
    remains_id: Mapped[int | None] = mapped_column(ForeignKey("remains.id"), index=True)
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"), index=True)
    description: Mapped[str | None] = mapped_column(String(200))  # e.g. "left femur"
    collected_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    remains: Mapped[Remains | None] = relationship(back_populates="samples")
    donor: Mapped[Donor | None] = relationship(back_populates="samples")
    custody_events: Mapped[list[CustodyEvent]] = relationship(back_populates="sample", order_by="CustodyEvent.id")
    profiles: Mapped[list[Profile]] = relationship(back_populates="sample", order_by="Profile.id")


class CustodyEvent(Base):
    """One step in a sample's chain of custody."""

    __tablename__ = "custody_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), index=True)
    action: Mapped[CustodyAction] = mapped_column(enum_column_type(CustodyAction, "custody_action"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    actor: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)

    sample: Mapped[Sample] = relationship(back_populates="custody_events")
