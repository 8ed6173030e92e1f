"""Pytest fixtures for register tests: every storage test runs on SQLite and, when configured, on PostgreSQL.

SQLite gets a new file per test. PostgreSQL gets one database per test process (created and
migrated once, dropped at the end), emptied before each test. Test packages use them with
``from mpid.registry.testing_fixtures import *`` in their conftest.
"""


from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mpid.registry.db import make_engine, make_session_factory
from mpid.registry.testing import (
    TEST_POSTGRES_URL_ENV,
    empty_register,
    migrated_register,
    postgres_test_url,
    temporary_postgres_database,
)

__all__ = ["BACKENDS", "engine", "postgres_register_url", "session", "session_factory"]

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(postgres_test_url() is None, reason=f"{TEST_POSTGRES_URL_ENV} not set"),
        ],
    ),
]


@pytest.fixture(scope="session")
def postgres_register_url() -> Iterator[str]:
    """A database of this test process on the test PostgreSQL server."""
    server = postgres_test_url()
    if server is None:
        pytest.skip(f"{TEST_POSTGRES_URL_ENV} not set")
    with temporary_postgres_database(server) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """An empty register at the newest schema revision, on each backend."""
    if request.param == "sqlite":
        with migrated_register("sqlite", tmp_path) as eng:
            yield eng
        return
    eng = make_engine(request.getfixturevalue("postgres_register_url"))
    try:
        empty_register(eng)
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Session factory on the test register."""
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session; tests commit when they want to, anything left is rolled back."""
    with session_factory() as s:
        yield s
        s.rollback()
