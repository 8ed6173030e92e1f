"""Encryption at rest: round trips, tamper detection, binding, key files, rotation, pseudonyms, column types."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select, text
from sqlalchemy.exc import StatementError

from mpid.security.crypto import (
    DecryptionError,
    EncryptedBytes,
    EncryptedJSON,
    EncryptedText,
    KeyFileError,
    KeyRing,
    ciphertext_key_version,
    decrypt_value,
    default_key_file_path,
    encrypt_value,
    encrypted_columns,
    load_keyring,
    pseudonym_code,
    reencrypt_all,
    reencrypt_column,
    reencrypt_value,
    rotate_batch,
    set_default_keyring,
)

RING = KeyRing.generate()
CTX = {"table": "profiles", "column": "genotypes", "row_id": 17}


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048), st.text(max_size=20), st.text(max_size=20),
       st.one_of(st.none(), st.integers(), st.text(max_size=20)))
def test_round_trip(plaintext: bytes, table: str, column: str, row_id: object) -> None:
    blob = encrypt_value(RING, plaintext, table=table, column=column, row_id=row_id)
    assert decrypt_value(RING, blob, table=table, column=column, row_id=row_id) == plaintext
    assert ciphertext_key_version(blob) == RING.current_version


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=256), st.data())
def test_any_flipped_bit_fails(plaintext: bytes, data: st.DataObject) -> None:
    blob = bytearray(encrypt_value(RING, plaintext, **CTX))
    index = data.draw(st.integers(0, len(blob) - 1))
    bit = data.draw(st.integers(0, 7))
    blob[index] ^= 1 << bit
    with pytest.raises(DecryptionError):
        decrypt_value(RING, bytes(blob), **CTX)


@settings(deadline=None)
@given(st.binary(max_size=64), st.data())
def test_truncation_and_extension_fail(plaintext: bytes, data: st.DataObject) -> None:
    blob = encrypt_value(RING, plaintext, **CTX)
    cut = data.draw(st.integers(0, len(blob) - 1))
    with pytest.raises(DecryptionError):
        decrypt_value(RING, blob[:cut], **CTX)
    with pytest.raises(DecryptionError):
        decrypt_value(RING, blob + data.draw(st.binary(min_size=1, max_size=8)), **CTX)


def test_ciphertext_is_bound_to_table_column_and_row() -> None:
    blob = encrypt_value(RING, b"D8S1179 13,14", **CTX)
    for other in ({"table": "donors"}, {"column": "names"}, {"row_id": 18}, {"row_id": None}, {"row_id": "17x"}):
        with pytest.raises(DecryptionError, match="failed authentication"):
            decrypt_value(RING, blob, **{**CTX, **other})
    assert decrypt_value(RING, blob, table="profiles", column="genotypes", row_id="17") == b"D8S1179 13,14"


def test_same_plaintext_gives_different_ciphertexts() -> None:
    assert encrypt_value(RING, b"x", **CTX) != encrypt_value(RING, b"x", **CTX)


def test_not_ours_and_wrong_key() -> None:
    with pytest.raises(DecryptionError, match="not an mpid ciphertext"):
        decrypt_value(RING, b"X" * 40, **CTX)
    with pytest.raises(DecryptionError, match="too short"):
        decrypt_value(RING, b"MPE1", **CTX)
    other = KeyRing.generate()
    with pytest.raises(DecryptionError):
        decrypt_value(other, encrypt_value(RING, b"x", **CTX), **CTX)


def test_key_versions_and_rotation_of_values() -> None:
    ring = KeyRing.generate()
    old = encrypt_value(ring, b"identity", **CTX)
    assert ring.add_version() == 2
    assert ciphertext_key_version(old) == 1
    new = reencrypt_value(ring, old, **CTX)
    assert new is not None and ciphertext_key_version(new) == 2
    assert reencrypt_value(ring, new, **CTX) is None
    assert decrypt_value(ring, old, **CTX) == decrypt_value(ring, new, **CTX) == b"identity"
    del ring.keys[1]
    with pytest.raises(DecryptionError, match="no key of version 1"):
        decrypt_value(ring, old, **CTX)


def test_rotate_batch_returns_only_changed_rows() -> None:
    ring = KeyRing.generate()
    rows = [(i, encrypt_value(ring, f"v{i}".encode(), table="t", column="c", row_id=i)) for i in range(5)]
    ring.add_version()
    rows.append((5, encrypt_value(ring, b"v5", table="t", column="c", row_id=5)))
    rows.append((6, None))
    changed = rotate_batch(ring, rows, table="t", column="c", bind_row_id=True)
    assert [r for r, _ in changed] == [0, 1, 2, 3, 4]
    for row_id, blob in changed:
        assert decrypt_value(ring, blob, table="t", column="c", row_id=row_id) == f"v{row_id}".encode()


# --- key files ----------------------------------------------------------------------------------


def test_key_file_is_created_private_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "keys.json"
    ring = load_keyring(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again = load_keyring(path)
    assert again.keys == ring.keys and again.pseudonym_key == ring.pseudonym_key
    ring.add_version()
    ring.save()
    assert load_keyring(path).current_version == 2
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(path.parent.glob(".*tmp"))


def test_key_file_with_loose_permissions_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    load_keyring(path)
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match="must be 0600"):
        load_keyring(path)


def test_missing_and_malformed_key_files(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="no key file"):
        load_keyring(tmp_path / "absent.json", create=False)
    bad = tmp_path / "bad.json"
    for content in ("{", json.dumps({"format": "other"}), json.dumps({"format": "mpid-keys/1"}),
                    json.dumps({"format": "mpid-keys/1", "data_keys": [{"version": 1, "key": "AAAA"}],
                                "pseudonym_key": "AAAA"})):
        bad.unlink(missing_ok=True)
        bad.write_text(content)
        os.chmod(bad, 0o600)
        with pytest.raises(KeyFileError):
            load_keyring(bad)


def test_key_file_path_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MPID_KEY_FILE", str(tmp_path / "k.json"))
    assert default_key_file_path() == tmp_path / "k.json"
    monkeypatch.delenv("MPID_KEY_FILE")
    assert default_key_file_path().name == "keys.json"


def test_concurrent_first_use_yields_one_key(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    rings: list[KeyRing] = []
    threads = [threading.Thread(target=lambda: rings.append(load_keyring(path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.keys[1] for r in rings}) == 1


def test_key_material_never_in_fingerprint() -> None:
    ring = KeyRing.generate()
    assert len(ring.fingerprint()) == 16
    assert ring.fingerprint().encode() not in ring.keys[1].hex().encode()
    with pytest.raises(KeyFileError):
        KeyRing(keys={1: b"short"}, pseudonym_key=b"x" * 32)
    with pytest.raises(KeyFileError):
        KeyRing(keys={}, pseudonym_key=b"x" * 32)


def test_importing_the_module_reads_no_key_file(tmp_path: Path) -> None:
    env = dict(os.environ, MPID_KEY_FILE=str(tmp_path / "never.json"))
    code = "import mpid.security, mpid.security.crypto, mpid.security.models, mpid.cli"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert not (tmp_path / "never.json").exists()


# --- pseudonyms --------------------------------------------------------------------------------


def test_pseudonyms_are_stable_normalised_and_keyed() -> None:
    ring = KeyRing.generate()
    code = pseudonym_code(ring, "Əli Məmmədov", "1970-05-01")
    assert code == pseudonym_code(ring, "  əli   MƏMMƏDOV ", "1970-05-01")
    assert code.startswith("DN-") and len(code) == 3 + 19
    assert code != pseudonym_code(ring, "Əli Məmmədov", "1970-05-02")
    assert code != pseudonym_code(ring, "Əli Məmmədov1970-05-01")
    assert code != pseudonym_code(KeyRing.generate(), "Əli Məmmədov", "1970-05-01")
    ring.add_version()
    assert code == pseudonym_code(ring, "Əli Məmmədov", "1970-05-01")  # rotation keeps pseudonyms
    with pytest.raises(ValueError):
        pseudonym_code(ring, "  ")


@settings(deadline=None)
@given(st.lists(st.text(min_size=1, max_size=30).filter(str.strip), min_size=1, max_size=3))
def test_pseudonym_is_deterministic(parts: list[str]) -> None:
    assert pseudonym_code(RING, *parts) == pseudonym_code(RING, *parts)


# --- column types and table rotation ----------------------------------------------------------


def _donor_table(ring: KeyRing) -> tuple[MetaData, Table]:
    metadata = MetaData()
    table = Table(
        "donors", metadata,
        Column("id", Integer, primary_key=True),
        Column("code", String(40)),
        Column("identity", EncryptedText("donors", "identity", keyring=lambda: ring)),
        Column("genotypes", EncryptedJSON("donors", "genotypes", keyring=lambda: ring)),
        Column("photo", EncryptedBytes("donors", "photo", keyring=lambda: ring)),
    )
    return metadata, table


def test_column_types_round_trip_and_store_no_plaintext(tmp_path: Path) -> None:
    ring = KeyRing.generate()
    metadata, donors = _donor_table(ring)
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    metadata.create_all(engine)
    genotypes = {"D8S1179": ["13", "14"], "TH01": ["9.3", "OL"]}
    with engine.begin() as conn:
        conn.execute(insert(donors), [{"id": 1, "code": "DN-1", "identity": "Leyla Əliyeva",
                                       "genotypes": genotypes, "photo": b"\x89PNG"},
                                      {"id": 2, "code": "DN-2", "identity": None, "genotypes": None,
                                       "photo": None}])
        rows = conn.execute(select(donors).order_by(donors.c.id)).all()
        assert rows[0].identity == "Leyla Əliyeva" and rows[0].genotypes == genotypes
        assert rows[0].photo == b"\x89PNG" and rows[1].identity is None
        raw = conn.execute(text("SELECT identity, genotypes FROM donors WHERE id = 1")).one()
    assert raw[0][:4] == b"MPE1" and b"Leyla" not in raw[0] and b"D8S1179" not in raw[1]
    assert {c.name for _, c, _ in encrypted_columns(metadata)} == {"identity", "genotypes", "photo"}
    with pytest.raises(StatementError, match="donors.identity holds text, got int"), engine.begin() as conn:
        conn.execute(insert(donors), [{"id": 3, "identity": 12345}])


def test_swapped_column_values_do_not_decrypt(tmp_path: Path) -> None:
    ring = KeyRing.generate()
    metadata, donors = _donor_table(ring)
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(donors), [{"id": 1, "identity": "A", "genotypes": {"x": 1}}])
        conn.execute(text("UPDATE donors SET identity = genotypes"))
        with pytest.raises(DecryptionError):
            conn.execute(select(donors)).all()


def test_table_rotation_in_batches(tmp_path: Path) -> None:
    ring = KeyRing.generate()
    metadata, donors = _donor_table(ring)
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    metadata.create_all(engine)
    values = [{"id": i, "code": f"DN-{i}", "identity": f"person {i}", "genotypes": {"n": i},
               "photo": None if i % 3 else bytes([i])} for i in range(1, 58)]
    with engine.begin() as conn:
        conn.execute(insert(donors), values)
    ring.add_version()
    with engine.begin() as conn:
        assert reencrypt_column(conn, donors, "identity", ring, batch_size=10) == 57
        assert reencrypt_all(conn, metadata, ring, batch_size=7) == 57 + 19  # genotypes + photos
        assert reencrypt_all(conn, metadata, ring) == 0
        raw = conn.execute(text("SELECT identity, genotypes, photo FROM donors")).all()
        assert {ciphertext_key_version(v) for row in raw for v in row if v is not None} == {2}
        assert [dict(r._mapping) for r in conn.execute(select(donors).order_by(donors.c.id))] == values
    del ring.keys[1]  # the old key is no longer needed for any row
    with engine.connect() as conn:
        assert len(conn.execute(select(donors)).all()) == 57


def test_default_keyring_provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPID_KEY_FILE", str(tmp_path / "keys.json"))
    set_default_keyring(None)
    try:
        column_type = EncryptedText("t", "c")
        ring = column_type.keyring_provider()
        assert (tmp_path / "keys.json").exists() and ring.path == tmp_path / "keys.json"
        fixed = KeyRing.generate()
        set_default_keyring(fixed)
        assert column_type.keyring_provider() is fixed
    finally:
        set_default_keyring(None)


def test_running_process_picks_up_a_rotation_done_elsewhere(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "keys.json"
    monkeypatch.setenv("MPID_KEY_FILE", str(key_file))
    set_default_keyring(None)
    try:
        metadata = MetaData()
        notes = Table("notes", metadata, Column("id", Integer, primary_key=True),
                      Column("body", EncryptedText("notes", "body")))
        engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(insert(notes), [{"id": 1, "body": "before rotation"}])
        # `mpid keys rotate` in another process: new key version on disk, rows re-encrypted.
        other = load_keyring(key_file)
        other.add_version()
        other.save()
        with engine.begin() as conn:
            assert reencrypt_all(conn, metadata, other) == 1
        with engine.connect() as conn:
            assert conn.execute(select(notes.c.body)).scalar_one() == "before rotation"
    finally:
        set_default_keyring(None)
