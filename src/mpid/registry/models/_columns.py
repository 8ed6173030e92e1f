"""Column helpers shared by the model modules (enums as portable VARCHAR + CHECK, UTC times)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Enum

__all__ = ["JSONDocument", "UTCDateTime", "enum_column_type", "utc_now"]


def utc_now() -> datetime:
    """The current time in UTC (timezone-aware)."""
    return datetime.now(UTC)


def enum_column_type(enum_class: type[enum.Enum], name: str) -> Enum:
    """A portable enum column type: stores the member values as text, checked by a constraint."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


# JSON documents (plain dicts/lists); the same generic type on SQLite and PostgreSQL.
JSONDocument: Any = JSON()
UTCDateTime = DateTime(timezone=True)
