"""Throwaway registers for tests: a migrated SQLite file or a fresh PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from mpid.registry.db import make_engine
from mpid.registry.migrate import current_revision, head_revision, upgrade_database
from mpid.registry.settings import normalise_database_url

__all__ = [
    "TEST_POSTGRES_URL_ENV",
    "empty_register",
    "migrated_register",
    "postgres_test_url",
    "temporary_postgres_database",
]

TEST_POSTGRES_URL_ENV = "MPID_TEST_POSTGRES_URL"


def postgres_test_url() -> str | None:
    """The PostgreSQL server tests may use (``$MPID_TEST_POSTGRES_URL``), or None."""
    url = os.environ.get(TEST_POSTGRES_URL_ENV)
    return normalise_database_url(url) if url else None


@contextmanager
def temporary_postgres_database(server_url: str) -> Iterator[str]:
    """Create an empty database on the server of ``server_url``, yield its URL, drop it after."""
    base = make_url(normalise_database_url(server_url))
    name = f"mpid_t_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base.render_as_string(hide_password=False)).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def migrated_register(backend: str, directory: Path) -> Iterator[Engine]:
    """An engine on a fresh register at the head revision: ``backend`` is sqlite or postgresql."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{directory / 'register.sqlite'}")
        upgrade_database(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    server = postgres_test_url()
    if server is None:
        raise RuntimeError(f"{TEST_POSTGRES_URL_ENV} is not set")
    with temporary_postgres_database(server) as url:
        engine = make_engine(url)
        upgrade_database(engine)
        try:
            yield engine
        finally:
            engine.dispose()


def empty_register(engine: Engine) -> None:
    """Bring a reused test database to head and delete every row (much faster than a new database)."""
    if current_revision(engine) != head_revision():
        upgrade_database(engine)
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    if not tables:
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE TABLE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
