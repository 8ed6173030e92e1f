"""Alembic environment: migrates the connection handed over by :mod:`mpid.registry.migrate`."""

from __future__ import annotations

from alembic import context

import mpid.registry.models  # noqa: F401  (fills Base.metadata with every table)
from mpid.registry.base import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run the migrations on the connection given in the config's attributes."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through mpid.registry.migrate (no connection given)")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: batch mode recreates tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
