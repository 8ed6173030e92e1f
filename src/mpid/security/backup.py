"""Encrypted, verified backups of the register (SQLite online backup API, PostgreSQL pg_dump).

A backup file is a plaintext header (format, database kind, key version, time) followed
by AES-256-GCM chunks sealed with the newest data key of the key file; every chunk's
associated data binds it to the header and its position, and a final sealed trailer
holds the SHA-256 and size of the whole dump (and SQLite row counts), so truncation,
reordering or any flipped byte is detected. Every backup is decrypted and checked right
after writing; restore checks again before it touches the target.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import URL, make_url

from mpid.security.crypto import KeyRing
from mpid.security.models import utc_now

__all__ = [
    "BackupError",
    "BackupInfo",
    "backup_database",
    "decrypt_backup",
    "encrypt_stream",
    "restore_database",
    "verify_backup",
]

log = logging.getLogger(__name__)

_MAGIC = b"MPIDBAK1"
_LENGTH = struct.Struct(">I")
_CHUNK_BYTES = 1 << 20
_MAX_HEADER_BYTES = 1 << 16
_DATA, _FINAL = 0, 1


class BackupError(RuntimeError):
    """A backup or restore that failed: bad file, wrong key, failed integrity check, tool error."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds: header fields and the verified trailer (digest, size, row counts)."""

    path: Path
    kind: str
    created_at: str
    key_version: int
    size: int
    sha256: str
    table_counts: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# The encrypted container


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)


def _chunk_ad(header_digest: bytes, index: int, flag: int) -> bytes:
    return header_digest + struct.pack(">IB", index, flag)


def encrypt_stream(source: BinaryIO, target: BinaryIO, ring: KeyRing, header: dict[str, Any],
                   trailer_extra: dict[str, Any] | None = None) -> tuple[str, int]:
    """Write ``source`` to ``target`` as an encrypted backup container; returns (sha256, size) of the plaintext."""
    version = ring.current_version
    prefix = secrets.token_bytes(8)
    head = dict(header, format=1, key_version=version, nonce_prefix=prefix.hex(), chunk_bytes=_CHUNK_BYTES)
    head_bytes = json.dumps(head, sort_keys=True, separators=(",", ":")).encode()
    digest_of_header = hashlib.sha256(head_bytes).digest()
    aead = AESGCM(ring.key(version))
    target.write(_MAGIC + _LENGTH.pack(len(head_bytes)) + head_bytes)
    plain_hash, size, index = hashlib.sha256(), 0, 0
    while chunk := source.read(_CHUNK_BYTES):
        plain_hash.update(chunk)
        size += len(chunk)
        sealed = aead.encrypt(_nonce(prefix, index), chunk, _chunk_ad(digest_of_header, index, _DATA))
        target.write(_LENGTH.pack(len(sealed)) + sealed)
        index += 1
        if index >= 2**32 - 1:
            raise BackupError("backup too large for one container")
    trailer = dict(trailer_extra or {}, sha256=plain_hash.hexdigest(), size=size, chunks=index)
    sealed = aead.encrypt(_nonce(prefix, index), json.dumps(trailer, sort_keys=True).encode(),
                          _chunk_ad(digest_of_header, index, _FINAL))
    target.write(_LENGTH.pack(len(sealed)) + sealed)
    return plain_hash.hexdigest(), size


def _read_exact(source: BinaryIO, count: int, what: str) -> bytes:
    data = source.read(count)
    if len(data) != count:
        raise BackupError(f"backup truncated while reading {what}")
    return data


def decrypt_backup(path: Path, ring: KeyRing, target: BinaryIO | None = None) -> BackupInfo:
    """Decrypt and check a backup file (to ``target`` if given); :class:`BackupError` on any damage."""
    path = Path(path)
    with path.open("rb") as source:
        if source.read(len(_MAGIC)) != _MAGIC:
            raise BackupError(f"{path} is not an mpid backup")
        (head_len,) = _LENGTH.unpack(_read_exact(source, _LENGTH.size, "the header length"))
        if head_len > _MAX_HEADER_BYTES:
            raise BackupError("backup header too large")
        head_bytes = _read_exact(source, head_len, "the header")
        try:
            head = json.loads(head_bytes)
            version, prefix = int(head["key_version"]), bytes.fromhex(head["nonce_prefix"])
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"backup header unreadable: {exc}") from exc
        if version not in ring.keys:
            raise BackupError(f"backup sealed with key version {version}, not in this key file")
        aead = AESGCM(ring.key(version))
        digest_of_header = hashlib.sha256(head_bytes).digest()
        plain_hash, size, index = hashlib.sha256(), 0, 0
        while True:
            length_bytes = source.read(_LENGTH.size)
            if not length_bytes:
                raise BackupError("backup truncated: the sealed trailer is missing")
            if len(length_bytes) != _LENGTH.size:
                raise BackupError("backup truncated inside a chunk length")
            (length,) = _LENGTH.unpack(length_bytes)
            if length > _CHUNK_BYTES + 16 + _MAX_HEADER_BYTES:
                raise BackupError(f"chunk {index} has an impossible length")
            sealed = _read_exact(source, length, f"chunk {index}")
            try:
                chunk = aead.decrypt(_nonce(prefix, index), sealed, _chunk_ad(digest_of_header, index, _DATA))
            except InvalidTag:
                try:
                    trailer_bytes = aead.decrypt(_nonce(prefix, index), sealed,
                                                 _chunk_ad(digest_of_header, index, _FINAL))
                except InvalidTag:
                    raise BackupError(f"chunk {index} failed authentication (damaged or altered)") from None
                break
            plain_hash.update(chunk)
            size += len(chunk)
            if target is not None:
                target.write(chunk)
            index += 1
        if source.read(1):
            raise BackupError("data after the sealed trailer")
    trailer = json.loads(trailer_bytes)
    if trailer.get("sha256") != plain_hash.hexdigest() or trailer.get("size") != size \
            or trailer.get("chunks") != index:
        raise BackupError("backup digest or size does not match its trailer")
    return BackupInfo(path=path, kind=str(head.get("kind")), created_at=str(head.get("created_at")),
                      key_version=version, size=size, sha256=plain_hash.hexdigest(),
                      table_counts={str(k): int(v) for k, v in trailer.get("table_counts", {}).items()})


# ---------------------------------------------------------------------------------------------
# Databases


@contextmanager
def _private_tempdir() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="mpid-backup-"))
    os.chmod(directory, 0o700)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _kind(url: URL) -> str:
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BackupError("cannot back up an in-memory SQLite database")
        return "sqlite"
    if backend == "postgresql":
        return "postgres"
    raise BackupError(f"no backup for {backend} databases")


def _sqlite_table_counts(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(path)
    try:
        names = [r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {n: int(connection.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}
    finally:
        connection.close()


def _sqlite_integrity(path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        result = connection.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"SQLite integrity check failed: {exc}") from exc
    finally:
        connection.close()
    if result != [("ok",)]:
        raise BackupError(f"SQLite integrity check failed: {result[:3]}")


def _sqlite_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"SQLite copy from {source} failed: {exc}") from exc
    finally:
        src.close()
        dst.close()


def _pg_tool(name: str) -> str:
    explicit = os.environ.get("MPID_PG_BIN")
    candidates = [Path(explicit) / name] if explicit else []
    found = shutil.which(name)
    if found:
        candidates.append(Path(found))
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackupError(f"{name} not found (install the PostgreSQL client or set MPID_PG_BIN)")


def _pg_environment(url: URL) -> dict[str, str]:
    """libpq settings from the URL, passed by environment so the password never shows in ``ps``."""
    env = dict(os.environ)
    query_host = url.query.get("host")
    if isinstance(query_host, tuple):
        query_host = query_host[0] if query_host else None
    settings = {"PGHOST": url.host or query_host, "PGPORT": url.port, "PGUSER": url.username,
                "PGPASSWORD": url.password, "PGDATABASE": url.database}
    env.update({name: str(value) for name, value in settings.items() if value is not None})
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[:2000]}")


def verify_backup(path: Path, ring: KeyRing) -> BackupInfo:
    """Decrypt a backup and check the database inside (SQLite integrity and row counts; pg_restore --list)."""
    with _private_tempdir() as scratch:
        plain = scratch / "dump"
        with plain.open("wb") as out:
            info = decrypt_backup(path, ring, out)
        if info.kind == "sqlite":
            _sqlite_integrity(plain)
            counts = _sqlite_table_counts(plain)
            if info.table_counts and counts != info.table_counts:
                raise BackupError("row counts inside the backup differ from those recorded when it was written")
        elif info.kind == "postgres":
            _run([_pg_tool("pg_restore"), "--list", str(plain)], dict(os.environ))
        else:
            raise BackupError(f"unknown backup kind {info.kind!r}")
    return info


def backup_database(url: str, out_path: Path, ring: KeyRing) -> BackupInfo:
    """Back up the database at ``url`` to ``out_path``, encrypted, then verify it before keeping it."""
    parsed = make_url(url)
    kind = _kind(parsed)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(f".{out_path.name}.{secrets.token_hex(4)}.partial")
    header = {"kind": kind, "created_at": utc_now().isoformat(timespec="seconds"),
              "source": parsed.render_as_string(hide_password=True)}
    with _private_tempdir() as scratch:
        dump = scratch / "dump"
        extra: dict[str, Any] = {}
        if kind == "sqlite":
            source = Path(str(parsed.database)).expanduser()
            if not source.is_file():
                raise BackupError(f"no SQLite database at {source}")
            _sqlite_copy(source, dump)  # online backup API: consistent while the app runs
            _sqlite_integrity(dump)
            extra["table_counts"] = _sqlite_table_counts(dump)
        else:
            _run([_pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={dump}"],
                 _pg_environment(parsed))
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as target, dump.open("rb") as source_file:
                encrypt_stream(source_file, target, ring, header, extra)
                target.flush()
                os.fsync(target.fileno())
            info = verify_backup(partial, ring)
            os.replace(partial, out_path)
        finally:
            partial.unlink(missing_ok=True)
    log.info("backup %s written and verified (%d bytes of %s)", out_path, info.size, kind)
    return BackupInfo(out_path, info.kind, info.created_at, info.key_version, info.size, info.sha256,
                      info.table_counts)


def restore_database(in_path: Path, url: str, ring: KeyRing) -> BackupInfo:
    """Restore a verified backup into the database at ``url`` (replacing its contents)."""
    parsed = make_url(url)
    kind = _kind(parsed)
    with _private_tempdir() as scratch:
        plain = scratch / "dump"
        with plain.open("wb") as out:
            info = decrypt_backup(Path(in_path), ring, out)
        if info.kind != kind:
            raise BackupError(f"backup holds a {info.kind} database, the target is {kind}")
        if kind == "sqlite":
            _sqlite_integrity(plain)
            target = Path(str(parsed.database)).expanduser()
            target.parent.mkdir(parents=True, exist_ok=True)
            _sqlite_copy(plain, target)
            if info.table_counts and _sqlite_table_counts(target) != info.table_counts:
                raise BackupError("row counts after restore differ from the backup's")
        else:
            _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                  "--exit-on-error", "--no-password", f"--dbname={parsed.database}", str(plain)],
                 _pg_environment(parsed))
    log.info("restored %s into %s", in_path, parsed.render_as_string(hide_password=True))
    return info
