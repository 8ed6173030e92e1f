"""The security commands end to end: users, keys, audit verification, backup and restore."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mpid.cli import app
from mpid.security.crypto import load_keyring

PASSWORD = "a long enough password"


@pytest.fixture
def env(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {"MPID_DATABASE_URL": sqlite_url, "MPID_KEY_FILE": str(tmp_path / "keys" / "keys.json")}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), input=input)


def _db_path(env: dict[str, str]) -> Path:
    return Path(env["MPID_DATABASE_URL"].removeprefix("sqlite:///"))


def test_user_commands(env: dict[str, str]) -> None:
    result = run("user", "add", "alice", "--role", "dna_analyst", "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "user alice added" in result.output
    result = run("user", "add", "icrc", "--role", "partner_agency", "--agency", "ICRC", "--name", "ICRC desk",
                 input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    result = run("user", "add", "alice", "--role", "reviewer", "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 1 and "already exists" in result.output
    result = run("user", "add", "bob", "--role", "reviewer", "--password-stdin", input="short\n")
    assert result.exit_code == 1 and "at least 12 characters" in result.output
    result = run("user", "add", "bob", "--role", "wizard", "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 1

    assert run("user", "lock", "icrc").exit_code == 0
    listing = json.loads(run("user", "list", "--json").output)
    assert [(u["username"], u["role"], u["agency"], u["active"]) for u in listing] == [
        ("alice", "dna_analyst", None, True), ("icrc", "partner_agency", "ICRC", False)]
    assert "LOCKED" in run("user", "list").output
    assert run("user", "unlock", "icrc").exit_code == 0
    assert "LOCKED" not in run("user", "list").output
    result = run("user", "lock", "nobody")
    assert result.exit_code == 1 and "no user 'nobody'" in result.output

    connection = sqlite3.connect(_db_path(env))
    hashes = [r[0] for r in connection.execute("SELECT password_hash FROM users")]
    actions = [r[0] for r in connection.execute("SELECT action FROM audit_log ORDER BY sequence")]
    connection.close()
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert actions == ["user.create", "user.create", "user.lock", "user.unlock"]


def test_keys_rotate_and_status(env: dict[str, str]) -> None:
    first = run("keys", "rotate")
    assert first.exit_code == 0, first.output
    assert "key version 2" in first.output
    assert run("keys", "rotate").exit_code == 0
    ring = load_keyring(env["MPID_KEY_FILE"])
    assert sorted(ring.keys) == [1, 2, 3]
    status = run("keys", "status")
    assert "version 3" in status.output and "(current)" in status.output
    assert ring.fingerprint(3) in status.output
    assert ring.keys[3].hex() not in status.output
    connection = sqlite3.connect(_db_path(env))
    rows = connection.execute("SELECT version, fingerprint FROM encryption_keys ORDER BY version").fetchall()
    connection.close()
    assert rows == [(1, ring.fingerprint(1)), (2, ring.fingerprint(2)), (3, ring.fingerprint(3))]


def test_keys_rotate_refuses_a_different_key_file(env: dict[str, str], tmp_path: Path) -> None:
    assert run("keys", "rotate").exit_code == 0
    other = tmp_path / "other" / "keys.json"
    result = run("keys", "rotate", "--key-file", str(other))
    assert result.exit_code == 1 and "wrong key file?" in result.output
    assert sorted(load_keyring(other).keys) == [1]  # nothing added to the stray file


def test_keys_status_without_a_key_file(env: dict[str, str]) -> None:
    result = run("keys", "status")
    assert result.exit_code == 1 and "no key file" in result.output


def test_audit_verify(env: dict[str, str], tmp_path: Path) -> None:
    for name in ("a1", "a2", "a3"):
        run("user", "add", name, "--role", "reviewer", "--password-stdin", input=PASSWORD + "\n")
    anchor = tmp_path / "anchor.json"
    result = run("audit", "verify", "--anchor-file", str(anchor))
    assert result.exit_code == 0 and "intact: 3 entries" in result.output
    assert json.loads(anchor.read_text())["sequence"] == 3

    connection = sqlite3.connect(_db_path(env))
    with connection:
        connection.execute("UPDATE audit_log SET actor = 'mallory' WHERE sequence = 2")
    connection.close()
    result = run("audit", "verify")
    assert result.exit_code == 1
    assert "broken at sequence 2" in result.output and "altered" in result.output

    connection = sqlite3.connect(_db_path(env))
    with connection:
        connection.execute("DELETE FROM audit_log WHERE sequence >= 2")
    connection.close()
    assert run("audit", "verify").exit_code == 0  # a clean cut: only the anchor can tell
    result = run("audit", "verify", "--anchor-file", str(anchor))
    assert result.exit_code == 1 and "tail removed" in result.output


def test_backup_and_restore_commands(env: dict[str, str], tmp_path: Path) -> None:
    run("user", "add", "alice", "--role", "dna_analyst", "--password-stdin", input=PASSWORD + "\n")
    out = tmp_path / "register.mpidbak"
    result = run("backup", str(out))
    assert result.exit_code == 0, result.output
    assert "written and verified" in result.output
    run("user", "lock", "alice")

    declined = run("restore", str(out), input="n\n")
    assert declined.exit_code == 1
    assert "LOCKED" in run("user", "list").output

    result = run("restore", str(out), "--yes")
    assert result.exit_code == 0, result.output
    assert "LOCKED" not in run("user", "list").output
    connection = sqlite3.connect(_db_path(env))
    actions = [r[0] for r in connection.execute("SELECT action FROM audit_log ORDER BY sequence")]
    connection.close()
    assert actions == ["user.create", "restore"]  # the backup's own entry came after the backup was taken
    assert run("audit", "verify").exit_code == 0

    damaged = tmp_path / "damaged.mpidbak"
    data = bytearray(out.read_bytes())
    data[-10] ^= 0xFF
    damaged.write_bytes(bytes(data))
    result = run("restore", str(damaged), "--yes")
    assert result.exit_code == 1 and "failed authentication" in result.output


def test_backup_of_a_missing_database_fails_without_creating_it(env: dict[str, str], tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere" / "absent.sqlite"
    monkeypatch.setenv("MPID_DATABASE_URL", f"sqlite:///{missing}")
    result = run("backup", str(tmp_path / "b.mpidbak"))
    assert result.exit_code == 1 and "no SQLite database" in result.output
    assert not missing.exists() and not (tmp_path / "b.mpidbak").exists()


def test_backup_refuses_a_different_key_file(env: dict[str, str], tmp_path: Path) -> None:
    assert run("keys", "rotate").exit_code == 0
    result = run("backup", str(tmp_path / "b.mpidbak"), "--key-file", str(tmp_path / "stray.json"))
    assert result.exit_code == 1 and "wrong key file?" in result.output
