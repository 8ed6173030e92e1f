"""The hash-chained audit log: appends, verification, and every kind of tampering."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from security_helpers import FakeClock
from sqlalchemy import Engine, create_engine, delete, select, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from mpid.registry.base import Base
from mpid.security.audit import (
    GENESIS_HASH,
    AuditAction,
    append_audit,
    audit_protection_sql,
    chain_head,
    compute_entry_hash,
    install_audit_protection,
    verify_chain,
)
from mpid.security.models import SECURITY_TABLES, AuditEntry
from mpid.security.roles import Principal, Role


def _fill(session: Session, clock: FakeClock, count: int = 10) -> None:
    for i in range(count):
        append_audit(session, actor=Principal(role=Role.DNA_ANALYST, username="alice"),
                     action=AuditAction.GENETIC_VIEW, object_type="profile", object_id=i,
                     details={"loci": 21, "reason": "review", "nested": {"ə": [1, 2.5, None]}}, clock=clock)
        clock.advance(seconds=1)
    session.commit()


def test_entries_are_chained(session: Session, clock: FakeClock) -> None:
    assert verify_chain(session).ok and verify_chain(session).entries == 0
    assert chain_head(session) is None
    _fill(session, clock, 3)
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.sequence)).all()
    assert [e.sequence for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].entry_hash and entries[2].prev_hash == entries[1].entry_hash
    assert entries[0].actor == "alice" and entries[0].object_id == "0"
    assert entries[0].recorded_at == "2026-01-01T12:00:00.000000Z"
    assert entries[0].details == '{"loci":21,"nested":{"ə":[1,2.5,null]},"reason":"review"}'
    result = verify_chain(session)
    assert result.ok and result.entries == 3 and result.head_sequence == 3
    assert chain_head(session) == (3, entries[2].entry_hash)
    assert "intact: 3 entries" in str(result)


def test_actor_variants(session: Session, clock: FakeClock) -> None:
    assert append_audit(session, actor=None, action="x", object_type="y", clock=clock).actor == "system"
    assert append_audit(session, actor=Principal(role=Role.REVIEWER), action="x", object_type="y",
                        clock=clock).actor == "role:reviewer"
    assert append_audit(session, actor="cli:root", action="x", object_type="y", clock=clock).actor == "cli:root"
    with pytest.raises(ValueError):
        append_audit(session, actor="a", action="x", object_type="y", details={"bad": float("nan")}, clock=clock)


@pytest.mark.parametrize(("column", "value"), [
    ("actor", "mallory"), ("action", "record.update"), ("object_type", "donor"), ("object_id", "99"),
    ("object_id", None), ("details", '{"loci":20}'), ("recorded_at", "2026-01-01T12:00:04.000001Z"),
])
def test_altered_entry_is_named(session: Session, clock: FakeClock, column: str, value: object) -> None:
    _fill(session, clock)
    session.execute(update(AuditEntry).where(AuditEntry.sequence == 5).values({column: value}))
    result = verify_chain(session)
    assert not result.ok and result.first_bad_sequence == 5
    assert "altered" in (result.problem or "")
    assert result.entries == 4 and result.head_sequence == 4


def test_altered_entry_with_recomputed_hash_breaks_the_next_link(session: Session, clock: FakeClock) -> None:
    _fill(session, clock)
    entry = session.get(AuditEntry, 5)
    assert entry is not None
    entry.actor = "mallory"
    entry.entry_hash = compute_entry_hash(entry)
    session.flush()
    result = verify_chain(session)
    assert result.first_bad_sequence == 6 and "prev_hash" in (result.problem or "")


@pytest.mark.parametrize(("removed", "bad"), [(1, 1), (5, 5), (9, 9)])
def test_removed_entry_is_named(session: Session, clock: FakeClock, removed: int, bad: int) -> None:
    _fill(session, clock)
    session.execute(delete(AuditEntry).where(AuditEntry.sequence == removed))
    result = verify_chain(session)
    assert not result.ok and result.first_bad_sequence == bad
    assert f"entry {removed} is missing" in (result.problem or "")


def test_removed_and_renumbered_entries_are_detected(session: Session, clock: FakeClock) -> None:
    _fill(session, clock)
    session.execute(delete(AuditEntry).where(AuditEntry.sequence == 4))
    for seq in range(5, 11):
        session.execute(update(AuditEntry).where(AuditEntry.sequence == seq).values(sequence=seq - 1))
    result = verify_chain(session)
    assert result.first_bad_sequence == 4


def test_reordered_entries_are_detected(session: Session, clock: FakeClock) -> None:
    _fill(session, clock)
    session.execute(update(AuditEntry).where(AuditEntry.sequence == 3).values(sequence=-3))
    session.execute(update(AuditEntry).where(AuditEntry.sequence == 7).values(sequence=3))
    session.execute(update(AuditEntry).where(AuditEntry.sequence == -3).values(sequence=7))
    result = verify_chain(session)
    assert not result.ok and result.first_bad_sequence == 3


def test_swapped_contents_are_detected(session: Session, clock: FakeClock) -> None:
    _fill(session, clock)
    a, b = session.get(AuditEntry, 6), session.get(AuditEntry, 7)
    assert a is not None and b is not None
    a.object_id, b.object_id = b.object_id, a.object_id
    session.flush()
    assert verify_chain(session).first_bad_sequence == 6


def test_removed_tail_is_caught_by_the_anchor(session: Session, clock: FakeClock) -> None:
    _fill(session, clock)
    anchor = chain_head(session)
    assert anchor is not None
    assert verify_chain(session, anchor=anchor).ok
    session.execute(delete(AuditEntry).where(AuditEntry.sequence >= 8))
    assert verify_chain(session).ok  # without an anchor a clean cut of the tail looks intact
    result = verify_chain(session, anchor=anchor)
    assert not result.ok and result.first_bad_sequence == 10 and "tail removed" in (result.problem or "")


def test_rewritten_chain_is_caught_by_the_anchor(session: Session, clock: FakeClock) -> None:
    _fill(session, clock)
    anchor = chain_head(session)
    assert anchor is not None
    prev = GENESIS_HASH
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.sequence)).all():
        entry.actor = "mallory"
        entry.prev_hash = prev
        entry.entry_hash = compute_entry_hash(entry)
        prev = entry.entry_hash
    session.flush()
    assert verify_chain(session).ok
    result = verify_chain(session, anchor=anchor)
    assert not result.ok and result.first_bad_sequence == 10


def test_verification_in_small_batches(session: Session, clock: FakeClock) -> None:
    _fill(session, clock, 25)
    assert verify_chain(session, batch_size=4).entries == 25
    session.execute(update(AuditEntry).where(AuditEntry.sequence == 22).values(actor="x"))
    assert verify_chain(session, batch_size=4).first_bad_sequence == 22


def test_verify_leaves_the_callers_session_alone(session: Session, clock: FakeClock) -> None:
    _fill(session, clock, 3)
    pending = append_audit(session, actor="a", action="x", object_type="y", clock=clock)
    verify_chain(session)
    assert pending in session
    session.commit()
    assert verify_chain(session).entries == 4


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(2, 15), data=st.data())
def test_any_single_tampering_is_found_at_the_right_place(engine: Engine, count: int, data: st.DataObject) -> None:
    clock = FakeClock()
    with Session(engine) as session:
        session.execute(delete(AuditEntry))
        _fill(session, clock, count)
        target = data.draw(st.integers(1, count))
        kind = data.draw(st.sampled_from(["alter", "delete", "swap"]))
        if kind == "alter":
            field = data.draw(st.sampled_from(["actor", "action", "object_id", "details", "prev_hash",
                                               "entry_hash"]))
            session.execute(update(AuditEntry).where(AuditEntry.sequence == target).values({field: "tampered"}))
            expected = target
        elif kind == "delete":
            if target == count:
                target -= 1  # a removed tail needs an anchor; tested above
            session.execute(delete(AuditEntry).where(AuditEntry.sequence == target))
            expected = target
        else:
            other = data.draw(st.integers(1, count).filter(lambda s: s != target))
            lo, hi = sorted((target, other))
            session.execute(update(AuditEntry).where(AuditEntry.sequence == lo).values(sequence=-1))
            session.execute(update(AuditEntry).where(AuditEntry.sequence == hi).values(sequence=lo))
            session.execute(update(AuditEntry).where(AuditEntry.sequence == -1).values(sequence=hi))
            expected = lo
        result = verify_chain(session)
        assert not result.ok and result.first_bad_sequence == expected, (kind, target, result)
        session.rollback()


def test_sqlite_triggers_make_the_log_append_only(tmp_path, clock: FakeClock) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'a.sqlite'}")
    Base.metadata.create_all(engine, tables=list(SECURITY_TABLES))
    with engine.begin() as conn:
        install_audit_protection(conn)
        install_audit_protection(conn)  # idempotent
    with Session(engine) as session:
        _fill(session, clock, 3)
        with pytest.raises(DatabaseError, match="append-only: UPDATE refused"):
            session.execute(update(AuditEntry).values(actor="x"))
        session.rollback()
        with pytest.raises(DatabaseError, match="append-only: DELETE refused"):
            session.execute(delete(AuditEntry))
        session.rollback()
        append_audit(session, actor="a", action="x", object_type="y", clock=clock)
        session.commit()
        assert verify_chain(session).entries == 4


def test_protection_sql() -> None:
    pg = audit_protection_sql("postgresql", "mpid_app")
    assert any("BEFORE UPDATE OR DELETE ON audit_log" in s for s in pg)
    assert any("BEFORE TRUNCATE" in s for s in pg)
    assert 'REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM "mpid_app"' in pg
    assert not any("REVOKE" in s for s in audit_protection_sql("postgresql"))
    with pytest.raises(ValueError, match="not a plain PostgreSQL role name"):
        audit_protection_sql("postgresql", 'app"; DROP TABLE audit_log; --')
    with pytest.raises(ValueError):
        audit_protection_sql("mysql")
    assert len(audit_protection_sql("sqlite")) == 2


def test_canonical_hash_does_not_depend_on_insertion_order_of_details(session: Session, clock: FakeClock) -> None:
    a = append_audit(session, actor="a", action="x", object_type="y", details={"b": 1, "a": 2}, clock=clock)
    assert a.details == '{"a":2,"b":1}'
    assert session.execute(text("SELECT count(*) FROM audit_log")).scalar() == 1


def test_concurrent_views_on_sqlite_keep_one_chain(tmp_path) -> None:
    import threading

    from mpid.registry.db import make_engine
    from mpid.security.audit import record_audit

    engine = make_engine(f"sqlite:///{tmp_path / 'busy.sqlite'}")  # WAL, explicit BEGIN: as the app runs
    Base.metadata.create_all(engine, tables=list(SECURITY_TABLES))
    errors: list[BaseException] = []
    sequences: list[int] = []

    def viewer(k: int) -> None:
        try:
            for i in range(15):
                sequences.append(record_audit(engine, actor=f"analyst{k}", action=AuditAction.GENETIC_VIEW,
                                              object_type="profile", object_id=i))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=viewer, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(sequences) == list(range(1, 91))
    with Session(engine) as session:
        result = verify_chain(session)
    assert result.ok and result.entries == 90
    engine.dispose()
