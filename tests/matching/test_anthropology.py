"""The age factor on a placement's prior: 1 inside the anthropologist's range, falling outside it, never 0."""

from __future__ import annotations

import math
from datetime import date

import pytest

from mpid.matching.anthropology import AgeEvidence, age_at, age_factor, combined_age_range

EVIDENCE = AgeEvidence(sigma_years=5.0, gross_error=1e-4)


def test_inside_the_range_or_without_ages_the_factor_is_one() -> None:
    assert age_factor((25, 40), 31.0, EVIDENCE) == 1.0
    assert age_factor((25, 40), None, EVIDENCE) == 1.0
    assert age_factor(None, 31.0, EVIDENCE) == 1.0
    assert age_factor((18, None), 70.0, EVIDENCE) == 1.0, "'adult' says nothing about an old man"


def test_outside_the_range_the_factor_is_a_gaussian_tail_with_a_floor() -> None:
    eps = EVIDENCE.gross_error
    assert age_factor((25, 40), 45.0, EVIDENCE) == pytest.approx((1 - eps) * math.exp(-0.5) + eps, rel=1e-12)
    assert age_factor((25, 40), 20.0, EVIDENCE) == age_factor((25, 40), 45.0, EVIDENCE), "symmetric in distance"
    assert age_factor((50, 65), 22.0, EVIDENCE) == pytest.approx(eps, rel=1e-2), "a son is not his father's bones"
    assert age_factor((None, 17), 40.0, EVIDENCE) < 1e-3


def test_remains_of_one_individual_combine_by_intersection() -> None:
    assert combined_age_range([(25, 40), (30, 45), (18, None)]) == (30, 40)
    assert combined_age_range([(25, 40), (45, 60)]) is None, "conflicting estimates give no evidence"
    assert combined_age_range([(None, None)]) is None


def test_age_at_and_settings() -> None:
    assert age_at(date(1960, 6, 1), date(1992, 6, 1)) == pytest.approx(32.0, abs=0.01)
    assert age_at(None, date(1992, 6, 1)) is None
    with pytest.raises(ValueError):
        AgeEvidence(sigma_years=0)
    with pytest.raises(ValueError):
        AgeEvidence(gross_error=0)


def test_an_unknown_day_of_disappearance_gives_an_interval_of_ages() -> None:
    from mpid.matching.anthropology import age_within

    ages = age_within(date(1938, 6, 1), (date(1988, 1, 1), date(1994, 12, 31)))
    assert ages == pytest.approx((49.59, 56.58), abs=0.01)
    assert age_within(None, (date(1988, 1, 1), date(1994, 12, 31))) is None
    assert age_factor((25, 40), ages, EVIDENCE) == age_factor((25, 40), ages[0], EVIDENCE), "gap to the youngest age"
    assert age_factor((50, 65), ages, EVIDENCE) == 1.0
    assert age_factor((60, 75), ages, EVIDENCE) == age_factor((60, 75), ages[1], EVIDENCE)
