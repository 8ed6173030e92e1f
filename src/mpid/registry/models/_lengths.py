"""Text lengths checked before every flush, so SQLite refuses what PostgreSQL would refuse."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Enum, String, event, inspect
from sqlalchemy.orm import Session

from mpid.registry.errors import RegisterError

__all__ = ["check_object_text_lengths", "check_text_lengths", "install_length_check"]


def check_object_text_lengths(obj: Any) -> None:
    """Raise :class:`RegisterError` (field = column) if a text attribute of ``obj`` is longer than its column."""
    state = inspect(obj, raiseerr=False)
    if state is None or not hasattr(state, "mapper"):
        return
    mapper = state.mapper
    for column in mapper.columns:
        column_type = column.type
        if not isinstance(column_type, String) or isinstance(column_type, Enum) or not column_type.length:
            continue
        try:
            key = mapper.get_property_by_column(column).key
        except Exception:  # noqa: BLE001 - columns without a mapped property are not ours to check
            continue
        value = state.dict.get(key)
        if isinstance(value, str) and len(value) > column_type.length:
            raise RegisterError(
                f"{column.name} {value[:40]!r}… is {len(value)} characters long; "
                f"{mapper.local_table.name}.{column.name} holds at most {column_type.length}",
                field=column.name,
            )


def check_text_lengths(session: Session, _flush_context: Any = None, _instances: Any = None) -> None:
    """Check every new or changed object of the session before a flush (see :func:`check_object_text_lengths`)."""
    for obj in (*session.new, *session.dirty):
        check_object_text_lengths(obj)


def install_length_check() -> None:
    """Check text lengths on every session's flush (idempotent)."""
    if not event.contains(Session, "before_flush", check_text_lengths):
        event.listen(Session, "before_flush", check_text_lengths)
