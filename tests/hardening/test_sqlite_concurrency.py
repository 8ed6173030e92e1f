"""Concurrent requests on SQLite: a request that reads, then writes, must not fail with a 500 because
another connection committed in between.

SQLite in WAL mode refuses at once ("database is locked", SQLITE_BUSY_SNAPSHOT, no busy wait) to
upgrade a read transaction to a write when another connection has committed since the read began.
Two request paths of the web app read and then write: signing in (the user row is read, the
password verified with argon2id for ~0.5 s, then ``last_login_at`` written) and resolving a token
(``last_used_at`` touched at most once a minute). ``bench/load.py`` showed both as 500s under
concurrent users. These tests make the other commit happen at exactly the bad moment.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hardening_helpers import FAST_POLICY, PASSWORD
from sqlalchemy import event, text

import mpid.security.auth as auth
from mpid.registry.db import session_scope
from mpid.security.auth import create_user
from mpid.web import WebSettings, create_app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    application = create_app(WebSettings(database_url=f"sqlite:///{tmp_path / 'c.sqlite'}", auth_policy=FAST_POLICY))
    with session_scope(application.state.engine) as s:
        for name in ("alice", "bob"):
            create_user(s, name, PASSWORD, "case_officer", policy=FAST_POLICY)
    yield application
    application.state.jobs.shutdown()
    application.state.engine.dispose()


def _other_write(app: FastAPI, done: list[bool]) -> None:
    """Another request's write, committed from another connection."""
    with app.state.engine.begin() as conn:
        conn.execute(text("UPDATE users SET display_name = 'B' WHERE username = 'bob'"))
    done.append(True)


def test_a_sign_in_survives_a_commit_during_password_verification(app: FastAPI,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    real_verify = auth.verify_password
    done: list[bool] = []

    def verify(password_hash: str, password: str, policy: auth.AuthPolicy = auth.DEFAULT_POLICY) -> bool:
        if password == PASSWORD and not done:
            writer = threading.Thread(target=_other_write, args=(app, done))
            writer.start()
            writer.join(timeout=2)  # either it commits now, or it waits for the sign-in's lock
        return real_verify(password_hash, password, policy)

    monkeypatch.setattr(auth, "verify_password", verify)
    client = TestClient(app, raise_server_exceptions=False)
    response = client.post("/login", data={"username": "alice", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303, response.text[:300]
    token = client.post("/api/v1/tokens", json={"username": "alice", "password": PASSWORD})
    assert token.status_code == 201, token.text[:300]


def test_a_token_touch_survives_a_commit_between_read_and_write(app: FastAPI) -> None:
    client = TestClient(app, raise_server_exceptions=False)
    token = client.post("/api/v1/tokens", json={"username": "alice", "password": PASSWORD}).json()["token"]
    stale = datetime.now(UTC) - timedelta(hours=1)
    with app.state.engine.begin() as conn:  # the token was last used an hour ago: this request touches it
        conn.execute(text("UPDATE auth_tokens SET last_used_at = :t"), {"t": stale})
    done: list[bool] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("UPDATE auth_tokens SET last_used_at") and not done:
            writer = threading.Thread(target=_other_write, args=(app, done))
            writer.start()
            writer.join(timeout=2)

    event.listen(app.state.engine, "before_cursor_execute", before)
    try:
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    finally:
        event.remove(app.state.engine, "before_cursor_execute", before)
    assert done, "the concurrent write did not happen"
    assert response.status_code == 200, response.text[:300]
