"""The case lifecycle: statuses and the ONE table of allowed transitions (F1)."""

from __future__ import annotations

import enum
from collections.abc import Mapping

__all__ = [
    "ALLOWED_TRANSITIONS",
    "CaseStatus",
    "StatusTransitionError",
    "allowed_next_statuses",
    "check_transition",
]


class CaseStatus(enum.StrEnum):
    """Where a missing person's case stands."""

    REPORTED = "reported"
    REFERENCES_COLLECTED = "references_collected"
    CANDIDATE_MATCH = "candidate_match"
    UNDER_REVIEW = "under_review"
    IDENTIFIED = "identified"
    FAMILY_NOTIFIED = "family_notified"
    CLOSED = "closed"
    MERGED_DUPLICATE = "merged_duplicate"


S = CaseStatus
# from-status → the statuses a case may move to next. Backward moves are the ways a
# candidate falls through (rejected in review, references withdrawn); closed and
# merged_duplicate are final.
ALLOWED_TRANSITIONS: Mapping[CaseStatus, frozenset[CaseStatus]] = {
    S.REPORTED: frozenset({S.REFERENCES_COLLECTED, S.MERGED_DUPLICATE, S.CLOSED}),
    S.REFERENCES_COLLECTED: frozenset({S.CANDIDATE_MATCH, S.REPORTED, S.MERGED_DUPLICATE, S.CLOSED}),
    S.CANDIDATE_MATCH: frozenset({S.UNDER_REVIEW, S.REFERENCES_COLLECTED}),
    S.UNDER_REVIEW: frozenset({S.IDENTIFIED, S.CANDIDATE_MATCH, S.REFERENCES_COLLECTED}),
    S.IDENTIFIED: frozenset({S.FAMILY_NOTIFIED}),
    S.FAMILY_NOTIFIED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.MERGED_DUPLICATE: frozenset(),
}
del S


class StatusTransitionError(ValueError):
    """A case was asked to move to a status that its current status does not allow."""

    def __init__(self, case_code: str | None, current: CaseStatus, requested: CaseStatus) -> None:
        self.case_code = case_code
        self.current = current
        self.requested = requested
        allowed = ", ".join(sorted(s.value for s in ALLOWED_TRANSITIONS[current])) or "none (final status)"
        who = f"case {case_code}" if case_code else "case"
        super().__init__(f"{who}: cannot move from '{current.value}' to '{requested.value}'; allowed next: {allowed}")


def allowed_next_statuses(current: CaseStatus | str) -> frozenset[CaseStatus]:
    """The statuses a case in ``current`` may move to."""
    return ALLOWED_TRANSITIONS[CaseStatus(current)]


def check_transition(current: CaseStatus | str, requested: CaseStatus | str, case_code: str | None = None) -> None:
    """Raise :class:`StatusTransitionError` unless ``current`` → ``requested`` is allowed."""
    current, requested = CaseStatus(current), CaseStatus(requested)
    if requested not in ALLOWED_TRANSITIONS[current]:
        raise StatusTransitionError(case_code, current, requested)
