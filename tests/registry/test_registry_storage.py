"""Storage: migrations, engine settings, constraints — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from mpid.registry.base import Base
from mpid.registry.db import make_engine, session_scope
from mpid.registry.migrate import (
    SchemaOutOfDateError,
    current_revision,
    downgrade_database,
    head_revision,
    require_current_schema,
    upgrade_database,
)
from mpid.registry.models import (
    CaseStatus,
    Donor,
    MissingPerson,
    Remains,
    RemainsKind,
    Sample,
    SampleType,
    Sex,
)
from mpid.registry.settings import DATABASE_URL_ENV, RegistrySettings, default_sqlite_path, resolve_database_url


def test_migrations_reach_head_and_match_the_models(engine):
    assert current_revision(engine) == head_revision()
    require_current_schema(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(engine):
    downgrade_database(engine, "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    with pytest.raises(SchemaOutOfDateError, match="no revision"):
        require_current_schema(engine)
    upgrade_database(engine)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_sqlite_file_is_in_wal_mode_with_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'r.sqlite'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_database_url_comes_from_option_then_environment_then_default(monkeypatch):
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    assert resolve_database_url() == f"sqlite:///{default_sqlite_path()}"
    assert default_sqlite_path().name == "mpid.sqlite"
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql://u@h/db")
    assert resolve_database_url() == "postgresql+psycopg://u@h/db"
    assert resolve_database_url("sqlite:///x.sqlite") == "sqlite:///x.sqlite"
    assert RegistrySettings.from_environment().database_url == "postgresql+psycopg://u@h/db"


def test_session_scope_commits_or_rolls_back(engine):
    with session_scope(engine) as s:
        s.add(MissingPerson(case_code="MP-0001", full_name="Test Person"))
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        s.add(MissingPerson(case_code="MP-0002", full_name="Test Person 2"))
        s.flush()
        raise RuntimeError("boom")
    with session_scope(engine) as s:
        codes = s.scalars(text("SELECT case_code FROM missing_persons")).all()
    assert codes == ["MP-0001"]


def test_defaults_and_json_round_trip(session):
    mp = MissingPerson(case_code="MP-A", full_name="Aysel Test", birth_date=date(1970, 1, 1))
    session.add(mp)
    remains = Remains(code="R-1", kind=RemainsKind.BODY)
    session.add(remains)
    session.flush()
    sample = Sample(barcode="BC-1", sample_type=SampleType.BONE, remains_id=remains.id)
    session.add(sample)
    session.commit()
    session.expire_all()
    mp = session.get(MissingPerson, mp.id)
    assert mp.status == CaseStatus.REPORTED and mp.sex == Sex.UNKNOWN
    assert mp.created_at is not None


def test_sample_needs_exactly_one_owner(session):
    session.add(Sample(barcode="BC-orphan", sample_type=SampleType.BLOOD))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    remains = Remains(code="R-2", kind=RemainsKind.BODY)
    donor = Donor(pseudonym="D-1")
    session.add_all([remains, donor])
    session.flush()
    session.add(Sample(barcode="BC-both", sample_type=SampleType.BONE, remains_id=remains.id, donor_id=donor.id))
    with pytest.raises(IntegrityError):
        session.flush()


def test_bar_codes_are_unique(session):
    remains = Remains(code="R-3", kind=RemainsKind.BODY)
    session.add(remains)
    session.flush()
    session.add(Sample(barcode="BC-dup", sample_type=SampleType.BONE, remains_id=remains.id))
    session.add(Sample(barcode="BC-dup", sample_type=SampleType.TOOTH, remains_id=remains.id))
    with pytest.raises(IntegrityError):
        session.flush()


def test_enum_columns_reject_unknown_values(engine):
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO missing_persons (case_code, status, full_name, sex, created_at, updated_at) "
                "VALUES ('MP-X', 'vanished', '', 'unknown', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )


def test_foreign_keys_are_enforced(engine):
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO reports (missing_person_id, source_agency, name_original, sex_reported, "
                "details, provenance, created_at) VALUES (999, 'A', 'x', 'unknown', '{}', '{}', CURRENT_TIMESTAMP)"
            )
        )


def test_text_longer_than_its_column_is_refused_on_every_backend(session):
    from mpid.registry.errors import RegisterError

    session.add(Remains(code="R" * 121, kind=RemainsKind.BODY))
    with pytest.raises(RegisterError) as info:
        session.flush()
    assert info.value.field == "code"
    assert str(info.value).endswith("is 121 characters long; remains.code holds at most 120")


@pytest.mark.parametrize("record_id", [0, -1, 2**63, 10**30])
def test_ids_no_database_can_hold_are_not_found(session, record_id):
    from mpid.registry.errors import NotFoundError
    from mpid.registry.repositories import get_by_id

    with pytest.raises(NotFoundError, match=f"no remains record with id {record_id}"):
        get_by_id(session, Remains, record_id)


def test_matching_sex_trusts_amelogenin_over_anthropology() -> None:
    from mpid.registry.matching_input import matching_sex

    assert matching_sex({"AMEL": ("X", "Y")}, 2) == 1, "a Y peak overrides a skeleton judged female"
    assert matching_sex({"AMEL": ("Y", None)}, 0) == 1
    assert matching_sex({"AMEL": ("X", None)}, 1) == 0, "one X peak in bone: the Y may have dropped out"
    assert matching_sex({"AMEL": ("X", "X")}, 0) == 2
    assert matching_sex({"TH01": ("6", "9")}, 2) == 2, "no amelogenin typed: anthropology is all there is"
    assert matching_sex({"AMEL": (None, None)}, 1) == 1
