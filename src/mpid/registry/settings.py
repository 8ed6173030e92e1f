"""Where the register lives: the database URL from an option, the environment or the default file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

__all__ = [
    "DATABASE_URL_ENV",
    "RegistrySettings",
    "default_sqlite_path",
    "normalise_database_url",
    "resolve_database_url",
]

DATABASE_URL_ENV = "MPID_DATABASE_URL"
_APP_NAME = "mpid"
_SQLITE_FILE = "mpid.sqlite"


def default_sqlite_path() -> Path:
    """The default register file: ``mpid.sqlite`` in the user's data directory."""
    return Path(platformdirs.user_data_dir(_APP_NAME, appauthor=False)) / _SQLITE_FILE


def normalise_database_url(url: str) -> str:
    """Give PostgreSQL URLs the psycopg 3 driver (``postgresql://`` → ``postgresql+psycopg://``)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def resolve_database_url(explicit: str | None = None) -> str:
    """The URL to use: ``explicit``, else ``$MPID_DATABASE_URL``, else the default SQLite file."""
    url = explicit or os.environ.get(DATABASE_URL_ENV)
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{default_sqlite_path()}"


@dataclass(frozen=True)
class RegistrySettings:
    """Settings of the register's storage."""

    database_url: str
    echo_sql: bool = False

    @classmethod
    def from_environment(cls, database_url: str | None = None) -> RegistrySettings:
        """Settings from an explicit URL or the environment (see :func:`resolve_database_url`)."""
        return cls(database_url=resolve_database_url(database_url))
