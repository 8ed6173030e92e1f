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


def test_rerun_clears_only_an_earlier_scenario(tmp_path: Path) -> None:
    from mpid.cli.demo import _clear_previous_scenario

    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / "bone_samples_002.txt").write_text("stale")
    (tmp_path / "notes.txt").write_text("keep")
    _clear_previous_scenario(tmp_path)  # no scenario.json: nothing is removed
    assert (tmp_path / "lab" / "bone_samples_002.txt").exists()
    (tmp_path / "scenario.json").write_text("{}")
    _clear_previous_scenario(tmp_path)
    assert not (tmp_path / "lab").exists() and not (tmp_path / "scenario.json").exists()
    assert (tmp_path / "notes.txt").read_text() == "keep"
