"""Fixtures of the hardening tests: one seeded app per module (building it imports and matches F01)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from hardening_helpers import Seeded, build_app


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, Seeded]]:
    """The app on a seeded register (users of every role, F01 matched, cases, donors, a site)."""
    path = tmp_path_factory.mktemp("hardening") / "register.sqlite"
    app, seeded = build_app(f"sqlite:///{path}")
    yield app, seeded
    app.state.jobs.shutdown()
    app.state.engine.dispose()
