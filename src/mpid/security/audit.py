"""The audit trail: an append-only, hash-chained log of every view of genetic data, change and export.

Each entry's hash is SHA-256 over a canonical serialisation of the entry including the
previous entry's hash, so altering, removing or reordering any entry breaks the chain
from that point; :func:`verify_chain` names the first bad sequence number. On PostgreSQL
:func:`install_audit_protection` adds a trigger and revokes privileges so the app's role
cannot UPDATE, DELETE or TRUNCATE audit rows (SQLite gets the same triggers).
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from mpid.security.models import AuditEntry, utc_now
from mpid.security.roles import Principal

__all__ = [
    "GENESIS_HASH",
    "AuditAction",
    "ChainVerification",
    "append_audit",
    "record_audit",
    "audit_protection_sql",
    "canonical_entry_bytes",
    "chain_head",
    "compute_entry_hash",
    "install_audit_protection",
    "uninstall_audit_protection",
    "verify_chain",
]

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
_ADVISORY_LOCK_KEY = 0x6D706964_61756474  # "mpidaudt": serialises appends on PostgreSQL


class AuditAction(enum.StrEnum):
    """Common audited actions (any ``area.verb`` string is accepted)."""

    GENETIC_VIEW = "genetic.view"
    RECORD_CREATE = "record.create"
    RECORD_UPDATE = "record.update"
    RECORD_DELETE = "record.delete"
    EXPORT = "export"
    IMPORT = "import"
    MATCH_RUN = "match.run"
    REVIEW_DECIDE = "review.decide"
    CONSENT_CHANGE = "consent.change"
    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOGOUT = "auth.logout"
    USER_CREATE = "user.create"
    USER_LOCK = "user.lock"
    KEY_ROTATE = "key.rotate"
    BACKUP = "backup"
    RESTORE = "restore"
    PORTAL_QUERY = "portal.query"


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_entry_bytes(
    *, sequence: int, recorded_at: str, actor: str, action: str, object_type: str,
    object_id: str | None, details: str, prev_hash: str,
) -> bytes:
    """The exact bytes hashed for an entry (``details`` is the stored canonical JSON text)."""
    return _canonical_json({
        "v": 1, "sequence": sequence, "recorded_at": recorded_at, "actor": actor, "action": action,
        "object_type": object_type, "object_id": object_id, "details": details, "prev_hash": prev_hash,
    }).encode("utf-8")


def compute_entry_hash(entry: Any) -> str:
    """The SHA-256 hex an entry's fields (and its ``prev_hash``) call for."""
    return hashlib.sha256(canonical_entry_bytes(
        sequence=int(entry.sequence), recorded_at=entry.recorded_at, actor=entry.actor, action=entry.action,
        object_type=entry.object_type, object_id=entry.object_id, details=entry.details,
        prev_hash=entry.prev_hash,
    )).hexdigest()


def _actor_name(actor: Principal | str | None) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, Principal):
        return actor.username or f"role:{actor.role.value}"
    return actor


def append_audit(
    session: Session,
    *,
    actor: Principal | str | None,
    action: AuditAction | str,
    object_type: str,
    object_id: object | None = None,
    details: Mapping[str, Any] | None = None,
    clock: Any = utc_now,
) -> AuditEntry:
    """Append one entry to the chain in the caller's transaction (it commits with the audited change).

    Appends are serialised: on PostgreSQL by a transaction-scoped advisory lock, on SQLite
    by its single writer; a lost race still cannot fork the chain, because sequence
    numbers and hashes are unique.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
    head = session.execute(
        select(AuditEntry.sequence, AuditEntry.entry_hash).order_by(AuditEntry.sequence.desc()).limit(1)
    ).first()
    sequence, prev_hash = (1, GENESIS_HASH) if head is None else (int(head[0]) + 1, head[1])
    entry = AuditEntry(
        sequence=sequence,
        recorded_at=clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        actor=_actor_name(actor),
        action=str(action),
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=_canonical_json(dict(details or {})),
        prev_hash=prev_hash,
        entry_hash="",
    )
    entry.entry_hash = compute_entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


def record_audit(
    bind: Engine | sessionmaker[Session],
    *,
    actor: Principal | str | None,
    action: AuditAction | str,
    object_type: str,
    object_id: object | None = None,
    details: Mapping[str, Any] | None = None,
    clock: Any = utc_now,
    attempts: int = 8,
) -> int:
    """Append one entry in its own short transaction, retrying when another writer got there first.

    For events with no change to commit alongside (views of genetic data, exports, sign-ins):
    on SQLite concurrent appends otherwise fail with "database is locked" or a duplicate
    sequence. Returns the entry's sequence number.
    """
    factory = bind if isinstance(bind, sessionmaker) else sessionmaker(bind=bind)
    for attempt in range(1, attempts + 1):
        with factory() as session:
            try:
                entry = append_audit(session, actor=actor, action=action, object_type=object_type,
                                     object_id=object_id, details=details, clock=clock)
                session.commit()
                return int(entry.sequence)
            except (OperationalError, IntegrityError) as exc:
                session.rollback()
                if attempt == attempts:
                    raise
                log.debug("audit append retry %d after %s", attempt, type(exc.orig).__name__)
        time.sleep(random.uniform(0.005, 0.02) * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class ChainVerification:
    """The result of checking the audit chain: how many entries, and the first bad one if any."""

    ok: bool
    entries: int
    head_sequence: int | None
    head_hash: str | None
    first_bad_sequence: int | None = None
    problem: str | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.entries} entries, head {self.head_sequence} {self.head_hash}"
        return f"audit chain broken at sequence {self.first_bad_sequence}: {self.problem}"


def chain_head(session: Session) -> tuple[int, str] | None:
    """The last entry's sequence and hash (record it elsewhere to detect a truncated tail later)."""
    row = session.execute(
        select(AuditEntry.sequence, AuditEntry.entry_hash).order_by(AuditEntry.sequence.desc()).limit(1)
    ).first()
    return None if row is None else (int(row[0]), str(row[1]))


def verify_chain(
    session: Session,
    *,
    anchor: tuple[int, str] | None = None,
    batch_size: int = 5000,
) -> ChainVerification:
    """Walk the whole chain in sequence order and report the first altered, missing or misplaced entry.

    ``anchor`` is a ``(sequence, hash)`` recorded earlier (e.g. by ``mpid audit verify``);
    the chain must still contain that entry unchanged, which also catches a removed tail.
    """
    expected_sequence, prev_hash, count, last = 1, GENESIS_HASH, 0, None
    anchor_seen = anchor is None
    while True:
        query = select(*AuditEntry.__table__.columns).order_by(AuditEntry.sequence).limit(batch_size)
        if last is not None:
            query = query.where(AuditEntry.sequence > last)
        batch = session.execute(query).all()  # plain rows: nothing enters the caller's identity map
        if not batch:
            break
        for entry in batch:
            seq = int(entry.sequence)
            bad = _check_entry(entry, seq, expected_sequence, prev_hash)
            if bad is not None:
                first_bad, problem = bad
                log.error("audit chain broken at sequence %s: %s", first_bad, problem)
                return ChainVerification(False, count, last, prev_hash if count else None, first_bad, problem)
            if anchor is not None and seq == anchor[0]:
                if entry.entry_hash != anchor[1]:
                    return ChainVerification(False, count, last, prev_hash, seq,
                                             "entry differs from the recorded anchor")
                anchor_seen = True
            prev_hash, expected_sequence, count, last = entry.entry_hash, seq + 1, count + 1, seq
    if not anchor_seen and anchor is not None:
        return ChainVerification(False, count, last, prev_hash if count else None, anchor[0],
                                 f"entries from sequence {last + 1 if last else 1} to the anchor "
                                 f"{anchor[0]} are missing (tail removed)")
    return ChainVerification(True, count, last, prev_hash if count else None)


def _check_entry(entry: Any, seq: int, expected_sequence: int, prev_hash: str) -> tuple[int, str] | None:
    if seq != expected_sequence:
        if seq > expected_sequence:
            return expected_sequence, f"entry {expected_sequence} is missing (next present is {seq})"
        return seq, "sequence out of order"
    if entry.prev_hash != prev_hash:
        return seq, "prev_hash does not match the previous entry (an entry was removed or reordered)"
    if compute_entry_hash(entry) != entry.entry_hash:
        return seq, "entry hash does not match its contents (entry altered)"
    return None


# ---------------------------------------------------------------------------------------------
# Database-level protection

_ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")


def _quote_role(role: str) -> str:
    if not _ROLE_NAME.match(role):
        raise ValueError(f"not a plain PostgreSQL role name: {role!r}")
    return '"' + role + '"'


def audit_protection_sql(dialect: str, app_role: str | None = None, table: str = "audit_log") -> list[str]:
    """Statements that make ``table`` append-only (trigger on both dialects; REVOKE on PostgreSQL)."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END",
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END",
        ]
    if dialect != "postgresql":
        raise ValueError(f"no audit protection for dialect {dialect!r}")
    statements = [
        "CREATE OR REPLACE FUNCTION mpid_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',\n"
        "    MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused';\n"
        "END\n$$",
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION mpid_audit_append_only()",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION mpid_audit_append_only()",
    ]
    if app_role:
        role = _quote_role(app_role)
        statements += [
            f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {role}",
            f"GRANT SELECT, INSERT ON {table} TO {role}",
        ]
    return statements


def install_audit_protection(connection: Connection, app_role: str | None = None) -> None:
    """Apply :func:`audit_protection_sql` (the migration calls this, as the tables' owner)."""
    for statement in audit_protection_sql(connection.dialect.name, app_role):
        connection.exec_driver_sql(statement)
    log.info("audit log protected on %s (app role %s)", connection.dialect.name, app_role or "unchanged")


def uninstall_audit_protection(connection: Connection, table: str = "audit_log") -> None:
    """Drop the append-only triggers (the migration's downgrade calls this before dropping the table)."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        statements = [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]
    elif dialect == "postgresql":
        statements = [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                      f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
                      "DROP FUNCTION IF EXISTS mpid_audit_append_only()"]
    else:
        raise ValueError(f"no audit protection for dialect {dialect!r}")
    for statement in statements:
        connection.exec_driver_sql(statement)
