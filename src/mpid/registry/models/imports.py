"""Import batches: one row per imported file, keyed by its content hash (idempotent imports)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mpid.registry.base import Base
from mpid.registry.models._columns import JSONDocument, UTCDateTime, utc_now

__all__ = ["ImportBatch"]


class ImportBatch(Base):
    """A file imported into the register: its kind, name, SHA-256 and what it added."""

    __tablename__ = "import_batches"
    __table_args__ = (UniqueConstraint("kind", "content_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(500))
    content_sha256: Mapped[str] = mapped_column(String(64))
    options: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    counts: Mapped[dict[str, int]] = mapped_column(JSONDocument, default=dict)
    imported_by: Mapped[str | None] = mapped_column(String(120))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
