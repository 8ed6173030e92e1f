"""Demo accounts: one per role (two reviewers), synthetic passwords that pass the policy."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from mpid.cli.demo import create_demo_users
from mpid.registry.db import make_engine, make_session_factory
from mpid.registry.migrate import upgrade_database
from mpid.security.auth import authenticate
from mpid.security.models import User
from mpid.security.roles import ACCOUNT_ROLES


def test_one_account_per_role(tmp_path: Path) -> None:
    db = tmp_path / "mpid.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    upgrade_database(engine)
    users = create_demo_users(db)
    assert {u["role"] for u in users} == {r.value for r in ACCOUNT_ROLES}
    assert sum(u["role"] == "reviewer" for u in users) == 2
    assert len({u["password"] for u in users}) == len(users)
    with make_session_factory(engine)() as session:
        stored = {u.username: u.role.value for u in session.scalars(select(User))}
        assert stored == {u["username"]: u["role"] for u in users}
        first = users[0]
        assert authenticate(session, first["username"], first["password"]) is not None
    engine.dispose()
