"""Encryption at rest (AES-256-GCM envelopes with key versions) and keyed pseudonyms for donors.

Keys live outside the database, in a JSON key file (``$MPID_KEY_FILE`` or ``keys.json`` in
the user's config directory) created with mode 0600 on first use. A ciphertext carries
the version of the key that sealed it, and its associated data binds it to a table, a
column and (where the caller knows it) a row id, so a value copied to another place no
longer decrypts. Rotation adds a key version and re-encrypts rows batch by batch.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import struct
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Column, Connection, LargeBinary, MetaData, Table, bindparam, select, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = [
    "KEY_FILE_ENV",
    "DecryptionError",
    "EncryptedBytes",
    "EncryptedJSON",
    "EncryptedText",
    "KeyFileError",
    "KeyRing",
    "ciphertext_key_version",
    "decrypt_value",
    "default_key_file_path",
    "default_keyring",
    "encrypt_value",
    "encrypted_columns",
    "load_keyring",
    "pseudonym_code",
    "reencrypt_all",
    "reencrypt_column",
    "reencrypt_value",
    "rotate_batch",
    "set_default_keyring",
]

log = logging.getLogger(__name__)

KEY_FILE_ENV = "MPID_KEY_FILE"
_KEY_FILE_FORMAT = "mpid-keys/1"
_MAGIC = b"MPE1"
_HEADER = struct.Struct(">4sI")  # magic, key version
_NONCE_BYTES = 12
_KEY_BYTES = 32
_PSEUDONYM_ALPHABET_PREFIX = "DN"


class KeyFileError(RuntimeError):
    """The key file is missing, unreadable, malformed or readable by others."""


class DecryptionError(ValueError):
    """A ciphertext failed to decrypt: altered, moved to another row/column, or an unknown key."""


@dataclass
class KeyRing:
    """Data-encryption keys by version (newest seals) and the pseudonym key (never rotated)."""

    keys: dict[int, bytes]
    pseudonym_key: bytes
    created: dict[int, str] = field(default_factory=dict)
    path: Path | None = None

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyFileError("a key ring needs at least one data key")
        for version, key in self.keys.items():
            if len(key) != _KEY_BYTES or version < 1:
                raise KeyFileError(f"key version {version} is not a 256-bit key with a positive version")
        if len(self.pseudonym_key) < _KEY_BYTES:
            raise KeyFileError("the pseudonym key must have at least 256 bits")

    @classmethod
    def generate(cls, path: Path | None = None) -> KeyRing:
        """A fresh key ring with data key version 1 and a pseudonym key (in memory until saved)."""
        return cls(
            keys={1: AESGCM.generate_key(bit_length=256)},
            pseudonym_key=secrets.token_bytes(_KEY_BYTES),
            created={1: _now_text()},
            path=path,
        )

    @property
    def current_version(self) -> int:
        """The version new ciphertexts are sealed with (the highest)."""
        return max(self.keys)

    def key(self, version: int) -> bytes:
        """The key of ``version``; :class:`DecryptionError` if this ring does not hold it."""
        try:
            return self.keys[version]
        except KeyError:
            raise DecryptionError(f"no key of version {version} in the key file") from None

    def fingerprint(self, version: int | None = None) -> str:
        """A short public identifier of a key (HMAC of a fixed label), safe to store and log."""
        key = self.key(self.current_version if version is None else version)
        return hmac.new(key, b"mpid key fingerprint", hashlib.sha256).hexdigest()[:16]

    def add_version(self) -> int:
        """Add a new newest key version (in memory; call :meth:`save` to persist) and return it."""
        version = self.current_version + 1
        self.keys[version] = AESGCM.generate_key(bit_length=256)
        self.created[version] = _now_text()
        return version

    def to_json(self) -> str:
        """The key file's text."""
        return json.dumps(
            {
                "format": _KEY_FILE_FORMAT,
                "data_keys": [
                    {"version": v, "created_at": self.created.get(v, ""), "key": _b64(k)}
                    for v, k in sorted(self.keys.items())
                ],
                "pseudonym_key": _b64(self.pseudonym_key),
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str, path: Path | None = None) -> KeyRing:
        """Read a key file's text."""
        try:
            doc = json.loads(text)
            if doc.get("format") != _KEY_FILE_FORMAT:
                raise KeyFileError(f"key file format is {doc.get('format')!r}, expected {_KEY_FILE_FORMAT!r}")
            keys = {int(e["version"]): base64.b64decode(e["key"], validate=True) for e in doc["data_keys"]}
            created = {int(e["version"]): str(e.get("created_at", "")) for e in doc["data_keys"]}
            pseudonym_key = base64.b64decode(doc["pseudonym_key"], validate=True)
        except KeyFileError:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyFileError(f"malformed key file {path or ''}: {exc}") from exc
        return cls(keys=keys, pseudonym_key=pseudonym_key, created=created, path=path)

    def save(self, path: Path | None = None) -> Path:
        """Write the key file atomically with mode 0600 (replacing any previous one)."""
        target = Path(path or self.path or default_key_file_path())
        _ensure_private_dir(target.parent)
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        _write_private(tmp, self.to_json().encode())
        os.replace(tmp, target)
        self.path = target
        log.info("key file %s written (current version %d)", target, self.current_version)
        return target


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _ensure_private_dir(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def default_key_file_path() -> Path:
    """``$MPID_KEY_FILE``, else ``keys.json`` in the user's config directory."""
    explicit = os.environ.get(KEY_FILE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    return Path(platformdirs.user_config_dir("mpid", appauthor=False)) / "keys.json"


def load_keyring(path: str | os.PathLike[str] | None = None, *, create: bool = True) -> KeyRing:
    """Load the key file (creating it, mode 0600, when absent and ``create``); refuse loose permissions."""
    target = Path(path) if path is not None else default_key_file_path()
    if not target.exists():
        if not create:
            raise KeyFileError(f"no key file at {target}")
        ring = KeyRing.generate(target)
        _ensure_private_dir(target.parent)
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        _write_private(tmp, ring.to_json().encode())
        try:
            os.link(tmp, target)  # fails if another process created it first: then use theirs
            log.warning("created a new key file at %s; back it up apart from the database", target)
            return ring
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    if os.name == "posix":
        mode = stat.S_IMODE(target.stat().st_mode)
        if mode & 0o077:
            raise KeyFileError(f"key file {target} has mode {mode:04o}; it must be 0600 (chmod 600)")
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {target}: {exc}") from exc
    return KeyRing.from_json(text, target)


# A lazily loaded key ring for column types; nothing is read at import time.
_default_lock = threading.Lock()
_default_ring: KeyRing | None = None


def default_keyring() -> KeyRing:
    """The process's key ring: the one set by :func:`set_default_keyring`, else the key file (loaded once)."""
    global _default_ring
    with _default_lock:
        if _default_ring is None:
            _default_ring = load_keyring()
        return _default_ring


def _default_keyring_with(version: int) -> KeyRing:
    """The default key ring, re-read from its file if it lacks ``version`` (rotated by another process)."""
    global _default_ring
    ring = default_keyring()
    if version in ring.keys or ring.path is None:
        return ring
    with _default_lock:
        if _default_ring is ring:
            try:
                _default_ring = load_keyring(ring.path, create=False)
                log.info("key file %s re-read: a newer key version appeared", ring.path)
            except KeyFileError as exc:
                log.error("could not re-read key file %s: %s", ring.path, exc)
        return _default_ring or ring


def set_default_keyring(ring: KeyRing | None) -> None:
    """Use ``ring`` for encrypted columns from now on (None: reload from the key file when next needed)."""
    global _default_ring
    with _default_lock:
        _default_ring = ring


# ---------------------------------------------------------------------------------------------
# Envelopes


def _context(table: str, column: str, row_id: object | None) -> bytes:
    return json.dumps(["mpid-field/1", table, column, None if row_id is None else str(row_id)],
                      separators=(",", ":"), ensure_ascii=False).encode()


def encrypt_value(ring: KeyRing, plaintext: bytes, *, table: str, column: str,
                  row_id: object | None = None) -> bytes:
    """Seal ``plaintext`` with the newest key, bound to table, column and (optionally) row id."""
    version = ring.current_version
    header = _HEADER.pack(_MAGIC, version)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(ring.key(version)).encrypt(nonce, plaintext, header + _context(table, column, row_id))
    return header + nonce + sealed


def ciphertext_key_version(blob: bytes) -> int:
    """The key version a ciphertext was sealed with; :class:`DecryptionError` if it is not one of ours."""
    if len(blob) < _HEADER.size + _NONCE_BYTES + 16:
        raise DecryptionError("ciphertext too short")
    magic, version = _HEADER.unpack_from(blob)
    if magic != _MAGIC:
        raise DecryptionError("not an mpid ciphertext")
    return version


def decrypt_value(ring: KeyRing, blob: bytes, *, table: str, column: str,
                  row_id: object | None = None) -> bytes:
    """Open a ciphertext sealed for this table, column and row id; :class:`DecryptionError` otherwise."""
    blob = bytes(blob)
    version = ciphertext_key_version(blob)
    header = blob[: _HEADER.size]
    nonce = blob[_HEADER.size: _HEADER.size + _NONCE_BYTES]
    try:
        return AESGCM(ring.key(version)).decrypt(
            nonce, blob[_HEADER.size + _NONCE_BYTES:], header + _context(table, column, row_id)
        )
    except InvalidTag:
        raise DecryptionError(
            f"ciphertext for {table}.{column} failed authentication (altered, moved or wrong key)"
        ) from None


def reencrypt_value(ring: KeyRing, blob: bytes, *, table: str, column: str,
                    row_id: object | None = None) -> bytes | None:
    """The ciphertext re-sealed with the newest key, or None when it already uses it."""
    if ciphertext_key_version(bytes(blob)) == ring.current_version:
        return None
    plaintext = decrypt_value(ring, blob, table=table, column=column, row_id=row_id)
    return encrypt_value(ring, plaintext, table=table, column=column, row_id=row_id)


def rotate_batch(
    ring: KeyRing,
    rows: Iterable[tuple[Any, bytes | None]],
    *,
    table: str,
    column: str,
    bind_row_id: bool = False,
) -> list[tuple[Any, bytes]]:
    """Re-seal one batch of ``(row id, ciphertext)`` with the newest key; returns only the changed rows."""
    changed: list[tuple[Any, bytes]] = []
    for row_id, blob in rows:
        if blob is None:
            continue
        new = reencrypt_value(ring, blob, table=table, column=column, row_id=row_id if bind_row_id else None)
        if new is not None:
            changed.append((row_id, new))
    return changed


def reencrypt_column(
    connection: Connection,
    table: Table,
    column: str,
    ring: KeyRing,
    *,
    context_table: str | None = None,
    context_column: str | None = None,
    bind_row_id: bool = False,
    batch_size: int = 500,
) -> int:
    """Re-encrypt every value of ``table.column`` still sealed with an older key, batch by batch.

    Reads and writes the raw bytes (no type processing), keyset-paginated on the single
    primary key; the caller owns the transaction (commit per call, or per batch by
    calling with a connection in autocommit). Returns the number of rows rewritten.
    """
    pk_columns = list(table.primary_key.columns)
    if len(pk_columns) != 1:
        raise ValueError(f"{table.name}: re-encryption needs a single-column primary key")
    pk = pk_columns[0]
    raw = type_coerce(table.c[column], LargeBinary)
    update = (
        table.update()
        .where(pk == bindparam("_row_id"))
        .values({column: bindparam("_blob", type_=LargeBinary)})
    )
    ctx_table, ctx_column = context_table or table.name, context_column or column
    total, last = 0, None
    while True:
        query = select(pk, raw).order_by(pk).limit(batch_size)
        if last is not None:
            query = query.where(pk > last)
        batch = connection.execute(query).all()
        if not batch:
            return total
        last = batch[-1][0]
        changed = rotate_batch(ring, ((r[0], r[1]) for r in batch), table=ctx_table, column=ctx_column,
                               bind_row_id=bind_row_id)
        if changed:
            connection.execute(update, [{"_row_id": rid, "_blob": blob} for rid, blob in changed])
            total += len(changed)
        log.info("%s.%s: %d rows re-encrypted so far", table.name, column, total)


def encrypted_columns(metadata: MetaData) -> Iterator[tuple[Table, Column[Any], _EncryptedBase]]:
    """Every column of ``metadata`` whose type is one of the encrypted types."""
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, _EncryptedBase):
                yield table, column, column.type


def reencrypt_all(connection: Connection, metadata: MetaData, ring: KeyRing, *, batch_size: int = 500) -> int:
    """Re-encrypt every encrypted column of every table in ``metadata`` (that exists) to the newest key."""
    from sqlalchemy import inspect

    existing = set(inspect(connection).get_table_names())
    total = 0
    for table, column, kind in encrypted_columns(metadata):
        if table.name not in existing:
            continue
        total += reencrypt_column(connection, table, column.name, ring,
                                  context_table=kind.table, context_column=kind.column, batch_size=batch_size)
    return total


# ---------------------------------------------------------------------------------------------
# Pseudonyms


def _normalise_identity(part: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", part).casefold().split())


def pseudonym_code(ring: KeyRing, *identity: str) -> str:
    """A stable code for a donor (``DN-XXXX-XXXX-XXXX-XXXX``): HMAC-SHA256 of the normalised identity.

    The same identity (case, spacing and Unicode form aside) always gives the same code
    under the same key file; without the pseudonym key the code reveals nothing.
    """
    if not identity or not any(p.strip() for p in identity):
        raise ValueError("a pseudonym needs a non-empty identity")
    message = "\x1f".join(_normalise_identity(p) for p in identity).encode()
    digest = hmac.new(ring.pseudonym_key, message, hashlib.sha256).digest()
    code = base64.b32encode(digest[:10]).decode("ascii")  # 80 bits, 16 characters
    return _PSEUDONYM_ALPHABET_PREFIX + "-" + "-".join(code[i: i + 4] for i in range(0, 16, 4))


# ---------------------------------------------------------------------------------------------
# Column types


class _EncryptedBase(TypeDecorator[Any]):
    """Base of the encrypted column types: bytes at rest, bound to ``table.column`` (not to the row)."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, table: str, column: str, keyring: Callable[[], KeyRing] | None = None) -> None:
        super().__init__()
        self.table = table
        self.column = column
        self.keyring_provider = keyring or default_keyring

    def _encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def _decode(self, data: bytes) -> Any:
        raise NotImplementedError

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        ring = self.keyring_provider()
        return encrypt_value(ring, self._encode(value), table=self.table, column=self.column)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        blob = bytes(value)
        if self.keyring_provider is default_keyring:
            ring = _default_keyring_with(ciphertext_key_version(blob))
        else:
            ring = self.keyring_provider()
        data = decrypt_value(ring, blob, table=self.table, column=self.column)
        return self._decode(data)

    def copy(self, **kw: Any) -> _EncryptedBase:
        return type(self)(self.table, self.column, self.keyring_provider)


class EncryptedBytes(_EncryptedBase):
    """A column of bytes, encrypted at rest."""

    cache_ok = True

    def _encode(self, value: Any) -> bytes:
        return bytes(value)

    def _decode(self, data: bytes) -> bytes:
        return data


class EncryptedText(_EncryptedBase):
    """A column of text (names, identities), encrypted at rest."""

    cache_ok = True

    def _encode(self, value: Any) -> bytes:
        if not isinstance(value, str):
            raise TypeError(f"{self.table}.{self.column} holds text, got {type(value).__name__}")
        return value.encode("utf-8")

    def _decode(self, data: bytes) -> str:
        return data.decode("utf-8")


class EncryptedJSON(_EncryptedBase):
    """A column of JSON documents (genotypes, profiles), encrypted at rest."""

    cache_ok = True

    def _encode(self, value: Any) -> bytes:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def _decode(self, data: bytes) -> Any:
        return json.loads(data)

