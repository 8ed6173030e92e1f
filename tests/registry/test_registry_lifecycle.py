"""The case lifecycle table: one place decides which moves are allowed."""

from __future__ import annotations

import pytest

from mpid.registry.lifecycle import (
    ALLOWED_TRANSITIONS,
    CaseStatus,
    StatusTransitionError,
    allowed_next_statuses,
    check_transition,
)

HAPPY_PATH = [
    CaseStatus.REPORTED,
    CaseStatus.REFERENCES_COLLECTED,
    CaseStatus.CANDIDATE_MATCH,
    CaseStatus.UNDER_REVIEW,
    CaseStatus.IDENTIFIED,
    CaseStatus.FAMILY_NOTIFIED,
    CaseStatus.CLOSED,
]


def test_every_status_has_a_row():
    assert set(ALLOWED_TRANSITIONS) == set(CaseStatus)


@pytest.mark.parametrize(("current", "following"), list(zip(HAPPY_PATH, HAPPY_PATH[1:], strict=False)))
def test_the_happy_path_is_allowed(current, following):
    check_transition(current, following)


def test_final_statuses_allow_nothing():
    assert allowed_next_statuses("closed") == frozenset()
    assert allowed_next_statuses(CaseStatus.MERGED_DUPLICATE) == frozenset()


def test_skipping_review_is_refused_with_a_clear_message():
    with pytest.raises(StatusTransitionError) as info:
        check_transition("candidate_match", "identified", case_code="MP-TEST-0001")
    assert str(info.value) == (
        "case MP-TEST-0001: cannot move from 'candidate_match' to 'identified'; "
        "allowed next: references_collected, under_review"
    )


def test_leaving_a_final_status_names_it_final():
    with pytest.raises(StatusTransitionError, match=r"allowed next: none \(final status\)"):
        check_transition("closed", "reported")


def test_unknown_status_is_a_value_error():
    with pytest.raises(ValueError, match="'lost'"):
        check_transition("reported", "lost")
