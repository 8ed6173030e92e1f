"""STR profiles and allele frequency tables."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mpid.registry.base import Base
from mpid.registry.models._columns import JSONDocument, UTCDateTime, utc_now

if TYPE_CHECKING:
    from mpid.registry.models.field import Sample

__all__ = ["FrequencyRow", "FrequencyTable", "Profile"]


class Profile(Base):
    """An STR profile the lab produced from a sample.

    ``alleles`` is ``{canonical_locus: [a1, a2]}``; ``[a, null]`` is a partial genotype (one allele
    seen, the other unknown); more than two entries record a tri-allelic pattern or a mixture.
    """

    __tablename__ = "profiles"
    __table_args__ = (UniqueConstraint("sample_id", "lab", "run", "kit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), index=True)
    kit: Mapped[str] = mapped_column(String(80), default="")
    lab: Mapped[str] = mapped_column(String(80), default="")
    run: Mapped[str] = mapped_column(String(120), default="")
    quality: Mapped[str | None] = mapped_column(String(40))  # e.g. "full", "partial", a lab's grade
    n_loci: Mapped[int] = mapped_column(Integer, default=0)
    alleles: Mapped[dict[str, list[str | None]]] = mapped_column(JSONDocument)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    provenance: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    sample: Mapped[Sample] = relationship(back_populates="profiles")


class FrequencyTable(Base):
    """A named, versioned allele frequency table (a new version for each changed import)."""

    __tablename__ = "frequency_tables"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(300))
    content_sha256: Mapped[str] = mapped_column(String(64))
    sample_sizes: Mapped[dict[str, int]] = mapped_column(JSONDocument, default=dict)
    # Per-locus mutation models, pedmut-style parameters per sex (None: Mendelian transmission):
    # {locus: {"female": {"model", "rate", "rate2", "range"}, "male": {...}}}
    mutation_models: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    rows: Mapped[list[FrequencyRow]] = relationship(
        back_populates="table", order_by="FrequencyRow.id", cascade="all, delete-orphan"
    )

    def as_markers(self) -> dict[str, dict[str, float]]:
        """The table as ``{locus: {allele: frequency}}``."""
        markers: dict[str, dict[str, float]] = {}
        for row in self.rows:
            markers.setdefault(row.locus, {})[row.allele] = row.frequency
        return markers


class FrequencyRow(Base):
    """The frequency of one allele at one locus in a table."""

    __tablename__ = "frequency_rows"
    __table_args__ = (UniqueConstraint("table_id", "locus", "allele"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("frequency_tables.id"), index=True)
    locus: Mapped[str] = mapped_column(String(40))
    allele: Mapped[str] = mapped_column(String(20))
    frequency: Mapped[float] = mapped_column(Float)

    table: Mapped[FrequencyTable] = relationship(back_populates="rows")
