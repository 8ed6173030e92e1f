"""The security code on a register built by the real migration chain (SQLite, and PostgreSQL if set)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from security_helpers import FAST_POLICY, FakeClock
from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from mpid.registry.testing import TEST_POSTGRES_URL_ENV, migrated_register, postgres_test_url
from mpid.security.audit import (
    append_audit,
    install_audit_protection,
    record_audit,
    uninstall_audit_protection,
    verify_chain,
)
from mpid.security.auth import authenticate, create_user, issue_token, resolve_token
from mpid.security.crypto import KeyRing
from mpid.security.keys import check_key_file
from mpid.security.models import AuditEntry

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=[
        pytest.mark.postgres,
        pytest.mark.skipif(postgres_test_url() is None, reason=f"{TEST_POSTGRES_URL_ENV} not set"),
    ]),
]


@pytest.fixture(params=BACKENDS)
def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with migrated_register(request.param, tmp_path) as engine:
        yield engine


def test_security_on_the_migrated_register(migrated: Engine) -> None:
    clock = FakeClock()
    ring = KeyRing.generate()
    with Session(migrated) as session:
        user = create_user(session, "analyst", "correct horse battery", "dna_analyst", policy=FAST_POLICY,
                           clock=clock)
        append_audit(session, actor="cli:admin", action="user.create", object_type="user", object_id=user.id,
                     clock=clock)
        assert check_key_file(session, ring, clock=clock) == [1]
        session.commit()
        user = authenticate(session, "analyst", "correct horse battery", policy=FAST_POLICY, clock=clock)
        token = issue_token(session, user, clock=clock).token
        session.commit()
        assert resolve_token(session, token, clock=clock)[1].username == "analyst"
    record_audit(migrated, actor="analyst", action="genetic.view", object_type="profile", object_id=1, clock=clock)
    with migrated.begin() as conn:
        install_audit_protection(conn)
    with Session(migrated) as session:
        assert verify_chain(session).entries == 2
        for statement in (update(AuditEntry).values(actor="x"), delete(AuditEntry)):
            with pytest.raises(DBAPIError, match="append-only"):
                session.execute(statement)
            session.rollback()
    with migrated.begin() as conn:
        uninstall_audit_protection(conn)
    with Session(migrated) as session:
        session.execute(update(AuditEntry).where(AuditEntry.sequence == 1).values(actor="x"))
        assert verify_chain(session).first_bad_sequence == 1
