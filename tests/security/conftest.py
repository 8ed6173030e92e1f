"""Fixtures of the security tests: a fast password policy, a fake clock, key rings, databases."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from security_helpers import FAST_POLICY, FakeClock
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from mpid.registry.base import Base
from mpid.security.auth import AuthPolicy
from mpid.security.crypto import KeyRing
from mpid.security.models import SECURITY_TABLES

POSTGRES_URL_ENV = "MPID_TEST_POSTGRES_URL"


@pytest.fixture
def clock() -> FakeClock:
    """A fake wall clock."""
    return FakeClock()


@pytest.fixture
def policy() -> AuthPolicy:
    """A fast password policy."""
    return FAST_POLICY


@pytest.fixture
def ring() -> KeyRing:
    """A fresh in-memory key ring."""
    return KeyRing.generate()


def create_security_tables(engine: Engine) -> None:
    """Create only the security tables (the register's migrations do it in production)."""
    Base.metadata.create_all(engine, tables=list(SECURITY_TABLES))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A file SQLite database with the security tables."""
    url = f"sqlite:///{tmp_path / 'register.sqlite'}"
    engine = create_engine(url)
    create_security_tables(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    """An engine on the SQLite test database."""
    eng = create_engine(sqlite_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the SQLite test database."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


def postgres_server_url() -> str | None:
    """The PostgreSQL server given for tests, if any."""
    return os.environ.get(POSTGRES_URL_ENV) or None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database (dropped afterwards); skips when no server is configured."""
    server = postgres_server_url()
    if server is None:
        pytest.skip(f"{POSTGRES_URL_ENV} not set")
    base = make_url(server).set(drivername="postgresql+psycopg")
    name = f"mpid_sec_{secrets.token_hex(6)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
