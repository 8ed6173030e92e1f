"""Register fixtures: every storage test runs on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mpid.registry.db import make_session_factory
from mpid.registry.testing import TEST_POSTGRES_URL_ENV, migrated_register, postgres_test_url

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


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """A fresh, migrated register on each backend."""
    with migrated_register(request.param, tmp_path) as eng:
        yield eng


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
