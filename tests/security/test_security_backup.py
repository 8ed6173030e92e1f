"""Encrypted backups: SQLite round trips that lose nothing, tamper and truncation detection, wrong keys."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mpid.security.backup import (
    BackupError,
    backup_database,
    decrypt_backup,
    encrypt_stream,
    restore_database,
    verify_backup,
)
from mpid.security.crypto import KeyRing


def _make_register(path: Path, rows: int = 300) -> None:
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE persons (id INTEGER PRIMARY KEY, name TEXT, born REAL, photo BLOB)")
        connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, person_id INTEGER REFERENCES persons(id),"
                           " body TEXT)")
        connection.execute("CREATE INDEX ix_notes_person ON notes(person_id)")
        connection.execute("CREATE VIEW v_persons AS SELECT id, name FROM persons")
        connection.executemany("INSERT INTO persons VALUES (?, ?, ?, ?)",
                               [(i, f"Məmmədov {i} Мамедов", 1950 + i / 7, os.urandom(i % 50)) for i in range(rows)])
        connection.executemany("INSERT INTO notes VALUES (?, ?, ?)",
                               [(i, i % rows, "x" * (i * 7 % 5000)) for i in range(rows * 2)])
    connection.close()


def _dump(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


@pytest.fixture
def register_file(tmp_path: Path) -> Path:
    path = tmp_path / "register.sqlite"
    _make_register(path)
    return path


def test_sqlite_backup_and_restore_lose_nothing(tmp_path: Path, register_file: Path, ring: KeyRing) -> None:
    url = f"sqlite:///{register_file}"
    before = _dump(register_file)
    out = tmp_path / "backups" / "register.mpidbak"
    info = backup_database(url, out, ring)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert info.kind == "sqlite" and info.key_version == 1 and info.size > 1 << 20  # several chunks
    assert info.table_counts == {"persons": 300, "notes": 600}
    assert b"Mamedov" not in out.read_bytes() and "Мамедов".encode() not in out.read_bytes()
    assert not [p for p in out.parent.iterdir() if p != out]  # no partial or plaintext left behind

    connection = sqlite3.connect(register_file)
    with connection:
        connection.execute("DELETE FROM notes WHERE id % 2 = 0")
        connection.execute("UPDATE persons SET name = 'changed'")
        connection.execute("CREATE TABLE extra (x)")
    connection.close()
    assert _dump(register_file) != before

    restored = restore_database(out, url, ring)
    assert restored.sha256 == info.sha256
    assert _dump(register_file) == before


def test_restore_into_a_new_file(tmp_path: Path, register_file: Path, ring: KeyRing) -> None:
    out = tmp_path / "b.mpidbak"
    backup_database(f"sqlite:///{register_file}", out, ring)
    target = tmp_path / "elsewhere" / "copy.sqlite"
    restore_database(out, f"sqlite:///{target}", ring)
    assert _dump(target) == _dump(register_file)


def test_backup_with_rotated_keys(tmp_path: Path, register_file: Path, ring: KeyRing) -> None:
    old = tmp_path / "old.mpidbak"
    backup_database(f"sqlite:///{register_file}", old, ring)
    ring.add_version()
    new = tmp_path / "new.mpidbak"
    assert backup_database(f"sqlite:///{register_file}", new, ring).key_version == 2
    assert verify_backup(old, ring).key_version == 1
    del ring.keys[1]
    with pytest.raises(BackupError, match="key version 1, not in this key file"):
        verify_backup(old, ring)


def test_wrong_key_file_is_refused(tmp_path: Path, register_file: Path, ring: KeyRing) -> None:
    out = tmp_path / "b.mpidbak"
    backup_database(f"sqlite:///{register_file}", out, ring)
    with pytest.raises(BackupError, match="failed authentication"):
        verify_backup(out, KeyRing.generate())


def test_bad_sources(tmp_path: Path, ring: KeyRing) -> None:
    with pytest.raises(BackupError, match="in-memory"):
        backup_database("sqlite://", tmp_path / "x", ring)
    with pytest.raises(BackupError, match="no SQLite database"):
        backup_database(f"sqlite:///{tmp_path / 'absent.sqlite'}", tmp_path / "x", ring)
    with pytest.raises(BackupError, match="no backup for mysql"):
        backup_database("mysql://u@h/db", tmp_path / "x", ring)
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    with pytest.raises(BackupError):
        backup_database(f"sqlite:///{corrupt}", tmp_path / "y", ring)
    assert not (tmp_path / "y").exists()


def test_kind_mismatch_on_restore(tmp_path: Path, register_file: Path, ring: KeyRing) -> None:
    out = tmp_path / "b.mpidbak"
    backup_database(f"sqlite:///{register_file}", out, ring)
    with pytest.raises(BackupError, match="holds a sqlite database, the target is postgres"):
        restore_database(out, "postgresql+psycopg://u@localhost/x", ring)


def test_restore_refuses_a_damaged_backup_and_leaves_the_target_alone(
        tmp_path: Path, register_file: Path, ring: KeyRing) -> None:
    out = tmp_path / "b.mpidbak"
    backup_database(f"sqlite:///{register_file}", out, ring)
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0x01
    out.write_bytes(bytes(data))
    before = _dump(register_file)
    with pytest.raises(BackupError, match="failed authentication"):
        restore_database(out, f"sqlite:///{register_file}", ring)
    assert _dump(register_file) == before


# --- the container, on small inputs so hypothesis can try many damages ----------------------

RING = KeyRing.generate()


def _container(payload: bytes) -> bytes:
    target = io.BytesIO()
    encrypt_stream(io.BytesIO(payload), target, RING, {"kind": "sqlite", "created_at": "t"},
                   {"table_counts": {"t": 1}})
    return target.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=3000), data=st.data())
def test_any_flipped_byte_of_a_backup_is_detected(tmp_path: Path, payload: bytes, data: st.DataObject) -> None:
    blob = bytearray(_container(payload))
    index = data.draw(st.integers(0, len(blob) - 1))
    blob[index] ^= 1 << data.draw(st.integers(0, 7))
    path = tmp_path / "c.bin"
    path.write_bytes(bytes(blob))
    with pytest.raises(BackupError):
        decrypt_backup(path, RING)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=3000), data=st.data())
def test_truncated_or_extended_backups_are_detected(tmp_path: Path, payload: bytes, data: st.DataObject) -> None:
    blob = _container(payload)
    path = tmp_path / "c.bin"
    path.write_bytes(blob[: data.draw(st.integers(0, len(blob) - 1))])
    with pytest.raises(BackupError):
        decrypt_backup(path, RING)
    path.write_bytes(blob + data.draw(st.binary(min_size=1, max_size=40)))
    with pytest.raises(BackupError):
        decrypt_backup(path, RING)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(max_size=5000))
def test_container_round_trip(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "c.bin"
    path.write_bytes(_container(payload))
    out = io.BytesIO()
    info = decrypt_backup(path, RING, out)
    assert out.getvalue() == payload and info.size == len(payload) and info.table_counts == {"t": 1}


def test_chunks_cannot_be_reordered_or_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mpid.security.backup as backup_module

    monkeypatch.setattr(backup_module, "_CHUNK_BYTES", 16)
    blob = _container(bytes(range(64)))  # four data chunks of 16 bytes + trailer
    head_len = int.from_bytes(blob[8:12], "big")
    start = 12 + head_len
    record = 4 + 16 + 16
    chunks = [blob[start + i * record: start + (i + 1) * record] for i in range(4)]
    tail = blob[start + 4 * record:]
    path = tmp_path / "c.bin"
    for variant in ([chunks[1], chunks[0], chunks[2], chunks[3]], [chunks[0], chunks[2], chunks[3]],
                    chunks[:3]):
        path.write_bytes(blob[:start] + b"".join(variant) + tail)
        with pytest.raises(BackupError):
            decrypt_backup(path, RING)
    path.write_bytes(blob[:start] + b"".join(chunks))  # trailer dropped
    with pytest.raises(BackupError, match="trailer is missing"):
        decrypt_backup(path, RING)
    path.write_bytes(blob)
    assert decrypt_backup(path, RING).size == 64


def test_not_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"hello world")
    with pytest.raises(BackupError, match="not an mpid backup"):
        decrypt_backup(path, RING)
