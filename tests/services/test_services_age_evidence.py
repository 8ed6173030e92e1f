"""Age evidence in joint identification: the register's ages reach the factor of each candidate placement."""

from __future__ import annotations

import math
from datetime import date

import pytest

from mpid.matching.anthropology import AgeEvidence, age_factor
from mpid.matching.search import Candidate
from mpid.registry.models import DatePrecision, RemainsKind, Sex, SiteType
from mpid.services.intake import ReportInput, register_report
from mpid.services.scenario import _age_log_factors
from mpid.services.sites import RemainsInput, SiteInput, record_exhumation, record_remains, record_site


def _case(session, code: str, born: date | None, gone: date | None):
    return register_report(session, ReportInput(
        source_agency="State Commission (test)", source_reference=code, name_original="Test", name_script="Latn",
        full_name=f"Test {code}", sex=Sex.MALE, birth_date=born, birth_date_precision=DatePrecision.DAY,
        disappeared_on=gone), case_code=code)


def test_age_factors_come_from_the_remains_ranges_and_the_ages_at_disappearance(session) -> None:
    father = _case(session, "MP-FATHER", date(1942, 3, 1), date(1992, 5, 1))   # 50 when he disappeared
    son = _case(session, "MP-SON", date(1968, 3, 1), date(1992, 5, 1))         # 24
    unknown = _case(session, "MP-UNDATED", date(1968, 3, 1), None)
    site = record_site(session, SiteInput("Grave", SiteType.MASS_GRAVE, 40.0, 46.9, code="G-1"))
    exhumation = record_exhumation(session, site, started_on=date(2022, 5, 1))
    for code, lo, hi in (("R-1", 45, 60), ("R-2", 40, 55)):
        record_remains(session, RemainsInput(RemainsKind.BODY, age_min=lo, age_max=hi, code=code),
                       exhumation=exhumation)
    session.flush()
    ids = {"F/father": father.id, "F/son": son.id, "F/undated": unknown.id}
    candidates = [Candidate("IND-1", "F", m, 1e9, 0, 22, 1e-3, 0.9) for m in ("father", "son", "undated")]
    groups = {"IND-1": ["R-1", "R-2"]}  # one individual: its range is the intersection, 45–55
    evidence = AgeEvidence()
    got = _age_log_factors(session, evidence, groups, ids, candidates)
    assert got[("IND-1", "father")] == pytest.approx(0.0, abs=1e-12), "50 lies in 45–55"
    expected_son = math.log(age_factor((45, 55), (date(1992, 5, 1) - date(1968, 3, 1)).days / 365.2425, evidence))
    assert got[("IND-1", "son")] == pytest.approx(expected_son, rel=1e-12)
    assert got[("IND-1", "son")] < math.log(1e-3), "the son's placement is all but ruled out by the skeleton's age"
    # No date of disappearance: the period over which the register's cases disappeared (1992-05-01
    # only, here) bounds it; born 1968, he was 24 then, far from 45–55.
    assert got[("IND-1", "undated")] == pytest.approx(expected_son, rel=1e-12)
    assert _age_log_factors(session, None, groups, ids, candidates) == {}


def test_a_date_only_a_merged_duplicate_gave_is_used(session) -> None:
    """One agency gave the son's birth date, the other his date of disappearance; the merge keeps both usable."""
    from mpid.services.intake import merge_duplicate

    son = _case(session, "MP-SON", None, date(1992, 5, 1))
    other_report = _case(session, "MP-SON-2", date(1968, 3, 1), None)
    merge_duplicate(session, other_report, son, actor="officer")
    assert son.birth_date is None, "the surviving case itself is not changed (the merge stays undoable)"
    site = record_site(session, SiteInput("Grave", SiteType.MASS_GRAVE, 40.0, 46.9, code="G-2"))
    record_remains(session, RemainsInput(RemainsKind.BODY, age_min=45, age_max=60, code="R-9"),
                   exhumation=record_exhumation(session, site, started_on=date(2022, 5, 1)))
    session.flush()
    got = _age_log_factors(session, AgeEvidence(), {"R-9": ["R-9"]}, {"F/son": son.id},
                           [Candidate("R-9", "F", "son", 1e9, 0, 22, 1e-3, 0.9)])
    assert got[("R-9", "son")] < math.log(1e-2)
