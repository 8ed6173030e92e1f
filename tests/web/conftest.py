"""Web fixtures: an app on a fresh SQLite register, one user per role, logged-in test clients,
and a register with a reference DVI case imported and matched (candidates to review)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import F01, PASSWORD, make_test_app

from mpid.registry.db import session_scope
from mpid.security.auth import SESSION_COOKIE_NAME, csrf_token


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    """The app on a fresh register with one user per role."""
    application = make_test_app(f"sqlite:///{tmp_path / 'web.sqlite'}")
    yield application
    application.state.jobs.shutdown()
    application.state.engine.dispose()


class StaffClient(TestClient):
    """A test client signed in as one user; ``csrf`` is the session's anti-forgery value."""

    csrf: str

    def form(self, url: str, data: dict[str, object] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
        """POST a form with the CSRF field, without following the redirect."""
        payload = {"csrf": self.csrf, **(data or {})}
        kwargs.setdefault("follow_redirects", False)
        return self.post(url, data=payload, **kwargs)  # type: ignore[arg-type]

    def api_post(self, url: str, **kwargs: object):  # type: ignore[no-untyped-def]
        """POST to the API with the CSRF header (cookie-authenticated)."""
        headers = {"X-CSRF-Token": self.csrf, **dict(kwargs.pop("headers", {}) or {})}  # type: ignore[arg-type]
        return self.post(url, headers=headers, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def login(app: FastAPI) -> Callable[[str], StaffClient]:
    """``login(username)`` → a client with that user's session cookie."""

    def sign_in(username: str) -> StaffClient:
        client = StaffClient(app)
        response = client.post("/login", data={"username": username, "password": PASSWORD},
                               follow_redirects=False)
        assert response.status_code == 303, response.text
        client.csrf = csrf_token(client.cookies[SESSION_COOKIE_NAME])
        return client

    return sign_in


@pytest.fixture
def matched(app: FastAPI) -> FastAPI:
    """The register with the F01 reference DVI case imported and blind-matched (two candidates)."""
    from mpid.services.importing import import_file
    from mpid.services.matching import run_matching

    import_file(app.state.session_factory, "refcase", F01)
    with session_scope(app.state.engine) as s:
        run = run_matching(s, started_by="analyst")
        assert run.summary["n_candidates"] >= 1
    return app
