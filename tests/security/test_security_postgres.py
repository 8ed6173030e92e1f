"""On a real PostgreSQL (``MPID_TEST_POSTGRES_URL``): append-only audit log, concurrent appends, types, pg_dump."""

from __future__ import annotations

import secrets
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from security_helpers import FAST_POLICY, FakeClock
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, delete, insert, select, text, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from mpid.registry.base import Base
from mpid.security.audit import append_audit, install_audit_protection, verify_chain
from mpid.security.auth import authenticate, create_user, issue_token, resolve_token
from mpid.security.backup import backup_database, restore_database
from mpid.security.crypto import EncryptedJSON, KeyRing
from mpid.security.models import SECURITY_TABLES, AuditEntry, User

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = create_engine(postgres_url)
    Base.metadata.create_all(engine, tables=list(SECURITY_TABLES))
    yield engine
    engine.dispose()


@pytest.fixture
def app_role(pg_engine: Engine) -> Iterator[tuple[str, str]]:
    """A login role that is not the owner of the tables, as the app should connect."""
    name, password = f"mpid_app_{secrets.token_hex(4)}", secrets.token_hex(12)
    with pg_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {name}"))
    yield name, password
    with pg_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP OWNED BY {name}"))
        conn.execute(text(f"DROP ROLE {name}"))


def test_app_role_cannot_update_or_delete_audit_rows(pg_engine: Engine, app_role: tuple[str, str]) -> None:
    name, password = app_role
    with pg_engine.begin() as conn:
        install_audit_protection(conn, name)
    with pg_engine.begin() as conn:
        install_audit_protection(conn, name)  # idempotent: the migration may run it again
    app_url = pg_engine.url.set(username=name, password=password)
    app_engine = create_engine(app_url)
    clock = FakeClock()
    try:
        with Session(app_engine) as session:
            for i in range(3):
                append_audit(session, actor="app", action="genetic.view", object_type="profile", object_id=i,
                             clock=clock)
            session.commit()
            assert verify_chain(session).entries == 3
            for statement in (update(AuditEntry).values(actor="x"), delete(AuditEntry),
                              text("TRUNCATE audit_log")):
                with pytest.raises(DBAPIError, match="permission denied"):
                    session.execute(statement)
                session.rollback()
    finally:
        app_engine.dispose()
    # Even the owner is stopped by the trigger.
    with Session(pg_engine) as session:
        for statement in (update(AuditEntry).values(actor="x"), delete(AuditEntry), text("TRUNCATE audit_log")):
            with pytest.raises(DBAPIError, match="append-only"):
                session.execute(statement)
            session.rollback()
        assert verify_chain(session).ok


def test_concurrent_appends_keep_one_chain(pg_engine: Engine) -> None:
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(15):
                with Session(pg_engine) as session:
                    append_audit(session, actor=f"w{k}", action="record.update", object_type="case",
                                 object_id=i)
                    session.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with Session(pg_engine) as session:
        result = verify_chain(session)
    assert result.ok and result.entries == 90


def test_auth_and_timestamps_on_postgres(pg_engine: Engine) -> None:
    clock = FakeClock(datetime(2026, 6, 1, 23, 30, tzinfo=timezone(timedelta(hours=4))))  # Baku time
    with Session(pg_engine) as session:
        create_user(session, "alice", "correct horse battery", "reviewer", policy=FAST_POLICY, clock=clock)
        session.commit()
        user = authenticate(session, "alice", "correct horse battery", policy=FAST_POLICY, clock=clock)
        issued = issue_token(session, user, clock=clock)
        session.commit()
    with Session(pg_engine) as session:
        stored = session.scalars(select(User)).one()
        assert stored.last_login_at == datetime(2026, 6, 1, 19, 30, tzinfo=UTC)
        assert stored.last_login_at.tzinfo is UTC
        assert resolve_token(session, issued.token, clock=clock)[0].username == "alice"


def test_encrypted_columns_on_postgres(pg_engine: Engine) -> None:
    ring = KeyRing.generate()
    metadata = MetaData()
    profiles = Table("enc_profiles", metadata, Column("id", Integer, primary_key=True),
                     Column("alleles", EncryptedJSON("enc_profiles", "alleles", keyring=lambda: ring)))
    metadata.create_all(pg_engine)
    with pg_engine.begin() as conn:
        conn.execute(insert(profiles), [{"id": 1, "alleles": {"TH01": ["9.3", "6"]}}])
        raw = conn.execute(text("SELECT alleles FROM enc_profiles")).scalar_one()
        assert bytes(raw)[:4] == b"MPE1"
        assert conn.execute(select(profiles.c.alleles)).scalar_one() == {"TH01": ["9.3", "6"]}


@pytest.mark.skipif(shutil.which("pg_dump") is None and not list(Path("/usr/lib/postgresql").glob("*/bin/pg_dump")),
                    reason="pg_dump not installed")
def test_pg_dump_backup_and_restore(pg_engine: Engine, postgres_url: str, tmp_path: Path) -> None:
    ring = KeyRing.generate()
    clock = FakeClock()
    with Session(pg_engine) as session:
        create_user(session, "alice", "correct horse battery", "reviewer", policy=FAST_POLICY, clock=clock)
        for i in range(50):
            append_audit(session, actor="alice", action="genetic.view", object_type="profile", object_id=i,
                         details={"ə": i}, clock=clock)
        session.commit()
    with pg_engine.begin() as conn:
        install_audit_protection(conn)

    def snapshot() -> list[tuple]:
        with pg_engine.connect() as conn:
            users = conn.execute(text("SELECT id, username, password_hash FROM users ORDER BY id")).all()
            entries = conn.execute(text("SELECT * FROM audit_log ORDER BY sequence")).all()
        return [tuple(r) for r in users] + [tuple(r) for r in entries]

    before = snapshot()
    out = tmp_path / "pg.mpidbak"
    info = backup_database(postgres_url, out, ring)
    assert info.kind == "postgres" and info.size > 0
    assert b"alice" not in out.read_bytes()

    with pg_engine.begin() as conn:
        conn.execute(text("DELETE FROM users"))
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        conn.execute(text("DELETE FROM audit_log WHERE sequence > 10"))
    assert snapshot() != before
    pg_engine.dispose()

    restore_database(out, postgres_url, ring)
    assert snapshot() == before
    with Session(pg_engine) as session:
        assert verify_chain(session).entries == 50
        with pytest.raises(DBAPIError, match="append-only"):  # the trigger came back with the restore
            session.execute(delete(AuditEntry))


def test_postgres_url_is_hidden_from_the_process_list(postgres_url: str) -> None:
    from mpid.security.backup import _pg_environment

    url = make_url(postgres_url).set(password="s3cret")
    env = _pg_environment(url)
    assert env["PGPASSWORD"] == "s3cret" and env["PGDATABASE"] == url.database
