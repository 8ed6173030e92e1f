"""Security commands: `mpid user add/list/lock/unlock`, `mpid keys rotate/status`, `mpid audit verify`,
`mpid backup OUT`, `mpid restore IN`."""

from __future__ import annotations

import getpass
import importlib
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from mpid.security.crypto import KeyRing

__all__ = ["register"]

log = logging.getLogger(__name__)

_DB_OPTION = typer.Option(None, "--database-url", help="Database URL (default: $MPID_DATABASE_URL or the SQLite file).")
_KEY_OPTION = typer.Option(None, "--key-file", help="Key file (default: $MPID_KEY_FILE or the user config dir).")


def _database_url(explicit: str | None) -> str:
    from mpid.registry.settings import resolve_database_url

    return resolve_database_url(explicit)


def _engine(explicit: str | None) -> Engine:
    from mpid.registry.db import make_engine

    return make_engine(_database_url(explicit))


@contextmanager
def _session(explicit: str | None) -> Iterator[Session]:
    engine = _engine(explicit)
    try:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except (OperationalError, ProgrammingError) as exc:
                session.rollback()
                _fail(f"database error ({exc.orig}); are the migrations applied?")
            except BaseException:
                session.rollback()
                raise
    finally:
        engine.dispose()


def _fail(message: str, code: int = 1) -> NoReturn:
    """Print an error to stderr and exit non-zero."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _keyring(key_file: Path | None, create: bool = True) -> KeyRing:
    """The key ring of ``key_file`` (or the default), exiting with its error if unusable."""
    from mpid.security.crypto import KeyFileError, load_keyring

    try:
        return load_keyring(key_file, create=create)
    except KeyFileError as exc:
        _fail(str(exc))


# ---------------------------------------------------------------------------------------------
user_app = typer.Typer(help="User accounts: add, list, lock.", no_args_is_help=True)


@user_app.command("add")
def user_add(
    username: str = typer.Argument(..., help="Sign-in name."),
    role: str = typer.Option(..., "--role", help="case_officer, family_liaison, field_officer, dna_analyst, "
                                                 "reviewer, partner_agency or administrator."),
    agency: str | None = typer.Option(None, "--agency", help="Agency of a partner_agency user."),
    display_name: str | None = typer.Option(None, "--name", help="Full name shown in the app."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
    database_url: str | None = _DB_OPTION,
) -> None:
    """Add a user account with an argon2id password hash."""
    from mpid.security.audit import AuditAction, append_audit
    from mpid.security.auth import PasswordPolicyError, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _session(database_url) as session:
        try:
            user = create_user(session, username, password, role, agency=agency, display_name=display_name)
        except (ValueError, PasswordPolicyError) as exc:
            _fail(str(exc))
        append_audit(session, actor=_actor(), action=AuditAction.USER_CREATE, object_type="user",
                     object_id=user.id, details={"username": user.username, "role": user.role.value,
                                                 "agency": user.agency})
    typer.echo(f"user {username} added ({role})")


@user_app.command("list")
def user_list(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    database_url: str | None = _DB_OPTION,
) -> None:
    """List user accounts (never their hashes)."""
    from mpid.security.models import User

    with _session(database_url) as session:
        rows = [
            {"username": u.username, "role": u.role.value, "agency": u.agency, "active": u.active,
             "locked_until": u.locked_until.isoformat() if u.locked_until else None,
             "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None}
            for u in session.scalars(select(User).order_by(User.username))
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        state = "active" if row["active"] else "LOCKED"
        if row["locked_until"]:
            state += f" (failures: locked until {row['locked_until']})"
        agency = f" [{row['agency']}]" if row["agency"] else ""
        typer.echo(f"{row['username']:<24} {row['role']:<16}{agency} {state}")


@user_app.command("lock")
def user_lock(username: str = typer.Argument(...), database_url: str | None = _DB_OPTION) -> None:
    """Lock an account and revoke its sessions and tokens."""
    from mpid.security.audit import AuditAction, append_audit
    from mpid.security.auth import lock_user

    with _session(database_url) as session:
        try:
            user = lock_user(session, username)
        except LookupError as exc:
            _fail(str(exc))
        append_audit(session, actor=_actor(), action=AuditAction.USER_LOCK, object_type="user",
                     object_id=user.id, details={"username": username})
    typer.echo(f"user {username} locked")


@user_app.command("unlock")
def user_unlock(username: str = typer.Argument(...), database_url: str | None = _DB_OPTION) -> None:
    """Unlock an account (administrator lock or failure lock-out)."""
    from mpid.security.audit import append_audit
    from mpid.security.auth import unlock_user

    with _session(database_url) as session:
        try:
            user = unlock_user(session, username)
        except LookupError as exc:
            _fail(str(exc))
        append_audit(session, actor=_actor(), action="user.unlock", object_type="user", object_id=user.id,
                     details={"username": username})
    typer.echo(f"user {username} unlocked")


# ---------------------------------------------------------------------------------------------
keys_app = typer.Typer(help="Encryption keys: rotate, status.", no_args_is_help=True)


def _load_register_models() -> None:
    """Import the register's models so every encrypted column is known to the metadata."""
    for name in ("mpid.registry.models", "mpid.security.models"):
        try:
            importlib.import_module(name)
        except ImportError as exc:  # pragma: no cover - register not installed
            log.warning("could not import %s: %s", name, exc)


@keys_app.command("rotate")
def keys_rotate(
    batch_size: int = typer.Option(500, "--batch-size", min=1, help="Rows re-encrypted per batch."),
    key_file: Path | None = _KEY_OPTION,
    database_url: str | None = _DB_OPTION,
) -> None:
    """Add a new key version to the key file and re-encrypt every encrypted column to it."""
    from mpid.registry.base import Base
    from mpid.security.audit import AuditAction, append_audit
    from mpid.security.crypto import KeyFileError, reencrypt_all
    from mpid.security.keys import check_key_file
    from mpid.security.models import EncryptionKeyVersion, utc_now

    _load_register_models()
    ring = _keyring(key_file)
    with _session(database_url) as session:
        try:
            check_key_file(session, ring)
        except KeyFileError as exc:
            _fail(str(exc))
    version = ring.add_version()
    ring.save()  # the new key is safe on disk before any row depends on it
    with _session(database_url) as session:
        connection = session.connection()
        rows = reencrypt_all(connection, Base.metadata, ring, batch_size=batch_size)
        session.add(EncryptionKeyVersion(version=version, fingerprint=ring.fingerprint(version),
                                         created_at=utc_now(), rotated_rows=rows))
        append_audit(session, actor=_actor(), action=AuditAction.KEY_ROTATE, object_type="key",
                     object_id=version, details={"fingerprint": ring.fingerprint(version), "rows": rows})
    typer.echo(f"key version {version} ({ring.fingerprint(version)}) is current; {rows} values re-encrypted")


@keys_app.command("status")
def keys_status(key_file: Path | None = _KEY_OPTION) -> None:
    """Show the key file's versions and fingerprints (never the keys)."""
    ring = _keyring(key_file, create=False)
    typer.echo(f"key file {ring.path}")
    for version in sorted(ring.keys):
        mark = " (current)" if version == ring.current_version else ""
        typer.echo(f"  version {version}: {ring.fingerprint(version)} created {ring.created.get(version, '?')}{mark}")


# ---------------------------------------------------------------------------------------------
audit_app = typer.Typer(help="Audit trail: verify the hash chain.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    anchor_file: Path | None = typer.Option(
        None, "--anchor-file",
        help="A file holding a head recorded earlier; it must still be in the chain. Updated when intact."),
    database_url: str | None = _DB_OPTION,
) -> None:
    """Check the audit chain; exit 1 naming the first altered, removed or reordered entry."""
    from mpid.security.audit import verify_chain

    anchor = None
    if anchor_file is not None and anchor_file.exists():
        try:
            doc = json.loads(anchor_file.read_text())
            anchor = (int(doc["sequence"]), str(doc["hash"]))
        except (ValueError, KeyError, TypeError) as exc:
            _fail(f"unreadable anchor file {anchor_file}: {exc}")
    with _session(database_url) as session:
        result = verify_chain(session, anchor=anchor)
    if not result.ok:
        _fail(str(result))
    typer.echo(str(result))
    if anchor_file is not None and result.head_sequence is not None:
        anchor_file.write_text(json.dumps({"sequence": result.head_sequence, "hash": result.head_hash}) + "\n")


# ---------------------------------------------------------------------------------------------


def _audit_quietly(database_url: str | None, **entry: object) -> None:
    """Record an audit entry if the database has the audit table; warn (not fail) otherwise."""
    from mpid.security.audit import record_audit

    engine = _engine(database_url)
    try:
        record_audit(engine, actor=_actor(), **entry)  # type: ignore[arg-type]
    except (OperationalError, ProgrammingError) as exc:
        log.warning("the audit entry could not be recorded: %s", exc.orig)
    finally:
        engine.dispose()


def _check_key_file_quietly(database_url: str | None, ring: KeyRing) -> None:
    """Refuse a key file that does not match the database's; skip if there is no key table yet."""
    from mpid.security.crypto import KeyFileError
    from mpid.security.keys import check_key_file

    url = make_url(_database_url(database_url))
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).expanduser().exists():
        _fail(f"no SQLite database at {url.database}")
    engine = _engine(database_url)
    try:
        with Session(engine) as session:
            check_key_file(session, ring)
            session.commit()
    except KeyFileError as exc:
        _fail(str(exc))
    except (OperationalError, ProgrammingError) as exc:
        log.warning("key versions not checked: %s", exc.orig)
    finally:
        engine.dispose()


def backup(
    out: Path = typer.Argument(..., help="The encrypted backup file to write."),
    key_file: Path | None = _KEY_OPTION,
    database_url: str | None = _DB_OPTION,
) -> None:
    """Back up the register, encrypted with the key file, and verify the result."""
    from mpid.security.audit import AuditAction
    from mpid.security.backup import BackupError, backup_database

    ring = _keyring(key_file)
    _check_key_file_quietly(database_url, ring)
    url = _database_url(database_url)
    try:
        info = backup_database(url, out, ring)
    except BackupError as exc:
        _fail(str(exc))
    _audit_quietly(database_url, action=AuditAction.BACKUP, object_type="database",
                   details={"file": str(out), "sha256": info.sha256, "size": info.size})
    typer.echo(f"backup {out} written and verified: {info.size} bytes, sha256 {info.sha256}")


def restore(
    source: Path = typer.Argument(..., help="The encrypted backup file to restore."),
    yes: bool = typer.Option(False, "--yes", help="Replace the current database without asking."),
    key_file: Path | None = _KEY_OPTION,
    database_url: str | None = _DB_OPTION,
) -> None:
    """Restore the register from an encrypted backup (verified before anything is replaced)."""
    from mpid.security.audit import AuditAction
    from mpid.security.backup import BackupError, restore_database, verify_backup

    ring = _keyring(key_file, create=False)
    url = _database_url(database_url)
    try:
        info = verify_backup(source, ring)
    except BackupError as exc:
        _fail(str(exc))
    if not yes:
        typer.confirm(f"Replace the database with the backup of {info.created_at}?", abort=True)
    try:
        restore_database(source, url, ring)
    except BackupError as exc:
        _fail(str(exc))
    _audit_quietly(database_url, action=AuditAction.RESTORE, object_type="database",
                   details={"file": str(source), "sha256": info.sha256, "backup_created_at": info.created_at})
    typer.echo(f"restored {source} ({info.size} bytes, taken {info.created_at})")


def register(app: typer.Typer) -> None:
    """Add the security commands to the `mpid` app."""
    app.add_typer(user_app, name="user")
    app.add_typer(keys_app, name="keys")
    app.add_typer(audit_app, name="audit")
    app.command("backup")(backup)
    app.command("restore")(restore)
