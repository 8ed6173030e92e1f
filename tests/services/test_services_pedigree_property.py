"""Any sequence of donors added by relationship yields a pedigree the likelihood engine accepts."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from mpid.genetics.pedigree import Pedigree
from mpid.registry.db import make_engine, session_scope
from mpid.registry.errors import PedigreeContradictionError
from mpid.registry.matching_input import load_matching_input
from mpid.registry.migrate import upgrade_database
from mpid.registry.models import Sex
from mpid.services.intake import ReportInput, register_report
from mpid.services.references import (
    RELATIONSHIPS,
    ConsentInput,
    PedigreePersonInput,
    add_donor,
    infer_relationship,
)

ENGINE = None
_SEX = {1: Sex.MALE, 2: Sex.FEMALE, 0: Sex.UNKNOWN}
_READ_BACK = {"partner": "spouse"}


def _engine():
    global ENGINE
    if ENGINE is None:
        ENGINE = make_engine("sqlite://")  # in-memory, one connection per thread
        upgrade_database(ENGINE)
    return ENGINE


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mp_sex=st.sampled_from([Sex.MALE, Sex.FEMALE]),
    relationships=st.lists(st.sampled_from(RELATIONSHIPS), min_size=1, max_size=8),
)
def test_relationships_build_valid_pedigrees(mp_sex, relationships):
    engine = _engine()
    with engine.connect() as conn:
        trans = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        mp = register_report(session, ReportInput("Agency (test)", "Test", sex=mp_sex))
        placed = {}
        for relationship in relationships:
            try:
                donor = add_donor(session, mp, relationship, consent=ConsentInput(date(2024, 1, 1)))
                placed[donor.pseudonym] = relationship
            except PedigreeContradictionError as exc:
                # the only refusals: a parent or grandparent slot already taken
                assert "is already in the pedigree" in str(exc)
        data = load_matching_input(session)
        (family,) = [f for f in data.families if mp.id in f.missing_person_ids]
        pedigree = Pedigree.from_records([(p.label, p.father, p.mother, p.sex) for p in family.persons])
        assert len(pedigree.labels) == len(family.persons)
        assert len([p for p in family.persons if p.donor_id is not None]) == len(placed)
        # Reading the relationship back from the pedigree gives what was asked for.
        inputs = [PedigreePersonInput(p.label, _SEX[p.sex], p.father, p.mother) for p in family.persons]
        mp_label = family.missing_labels[0]
        for pseudonym, relationship in placed.items():
            expected = _READ_BACK.get(relationship, relationship)
            if expected == "spouse" and not any(pseudonym in (p.father, p.mother) for p in inputs):
                expected = None  # a partner without a common child is not related in the pedigree
            assert infer_relationship(inputs, pseudonym, mp_label) == expected
        session.close()
        trans.rollback()


def test_session_scope_still_works_after_property_runs():
    with session_scope(_engine()) as s:
        assert load_matching_input(s).families == ()
