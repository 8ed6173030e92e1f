"""Review of candidate matches by two reviewers (four eyes, F9), and the identification it yields.

The rule lives here, not in a page: an identification stands only when two *different*
reviewers have confirmed the same candidate and nobody rejected it. The first decision moves
the case to ``under_review``; a rejection sends it back to ``candidate_match``; the second
confirmation records the :class:`~mpid.registry.models.Identification` and moves the case to
``identified``. Each decision is appended to the audit log in the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mpid.registry.errors import ConflictError, RegisterError
from mpid.registry.lifecycle import CaseStatus
from mpid.registry.models import CandidateMatch, Identification, MissingPerson, Review, ReviewDecision
from mpid.registry.repositories import get_by_id
from mpid.security.audit import AuditAction, append_audit
from mpid.security.roles import Permission, Principal, require
from mpid.services.lifecycle import advance_if_possible

__all__ = [
    "REQUIRED_CONFIRMATIONS",
    "ReviewOutcome",
    "ReviewState",
    "candidate_state",
    "record_review",
]

log = logging.getLogger(__name__)

REQUIRED_CONFIRMATIONS = 2


class ReviewState:
    """Where a candidate stands in review."""

    OPEN = "open"
    AWAITING_SECOND = "awaiting_second_reviewer"
    REJECTED = "rejected"
    IDENTIFIED = "identified"


@dataclass(frozen=True)
class ReviewOutcome:
    """What one decision did: the review row, the candidate's state, the identification if any."""

    review: Review
    state: str
    identification: Identification | None


def _identification_of(session: Session, candidate: CandidateMatch) -> Identification | None:
    return session.scalar(select(Identification).where(Identification.remains_id == candidate.remains_id))


def candidate_state(session: Session, candidate: CandidateMatch) -> str:
    """The candidate's review state (see :class:`ReviewState`)."""
    identification = _identification_of(session, candidate)
    if identification is not None and identification.candidate_id == candidate.id:
        return ReviewState.IDENTIFIED
    decisions = [r.decision for r in candidate.reviews]
    if ReviewDecision.REJECT in decisions:
        return ReviewState.REJECTED
    if ReviewDecision.CONFIRM in decisions:
        return ReviewState.AWAITING_SECOND
    return ReviewState.OPEN


def record_review(
    session: Session,
    candidate: CandidateMatch | int,
    reviewer: Principal,
    decision: ReviewDecision | str,
    *,
    comment: str | None = None,
    non_dna_evidence: dict[str, Any] | None = None,
    on: datetime | None = None,
) -> ReviewOutcome:
    """Record ``reviewer``'s decision on a remains–missing-person candidate (caller commits).

    Raises :class:`~mpid.security.roles.PermissionDeniedError` without ``review:decide``,
    :class:`ConflictError` when this reviewer already decided, the candidate is settled, or the
    remains are already identified.
    """
    require(reviewer, Permission.REVIEW_DECIDE)
    if not reviewer.username:
        raise RegisterError("a review needs a named reviewer", field="reviewer")
    cand = candidate if isinstance(candidate, CandidateMatch) else get_by_id(session, CandidateMatch, candidate)
    if cand.missing_person_id is None:
        raise RegisterError("only remains–missing-person candidates are reviewed for identification")
    decision = ReviewDecision(decision)
    state = candidate_state(session, cand)
    if state in (ReviewState.IDENTIFIED, ReviewState.REJECTED):
        raise ConflictError(f"candidate {cand.id} is already {state}")
    if _identification_of(session, cand) is not None:
        raise ConflictError(f"remains {cand.remains_id} are already identified by another candidate")
    if any(r.reviewer == reviewer.username for r in cand.reviews):
        raise ConflictError(
            f"{reviewer.username} has already reviewed candidate {cand.id}; a second, different reviewer must decide"
        )
    review = Review(
        candidate_id=cand.id, reviewer=reviewer.username, decision=decision, comment=comment or None,
        non_dna_evidence=dict(non_dna_evidence or {}),
    )
    session.add(review)
    session.flush()
    session.expire(cand, ["reviews"])
    person = get_by_id(session, MissingPerson, cand.missing_person_id)
    actor = reviewer.username
    advance_if_possible(
        session, person, CaseStatus.UNDER_REVIEW, from_statuses=(CaseStatus.CANDIDATE_MATCH,),
        actor=actor, reason=f"candidate {cand.id} in review",
    )
    identification = None
    if decision is ReviewDecision.REJECT:
        advance_if_possible(
            session, person, CaseStatus.CANDIDATE_MATCH, from_statuses=(CaseStatus.UNDER_REVIEW,),
            actor=actor, reason=f"candidate {cand.id} rejected by {actor}",
        )
    elif decision is ReviewDecision.CONFIRM:
        confirmers = sorted({r.reviewer for r in cand.reviews if r.decision is ReviewDecision.CONFIRM})
        if len(confirmers) >= REQUIRED_CONFIRMATIONS:
            when = on or datetime.now(UTC)
            identification = Identification(
                missing_person_id=person.id, remains_id=cand.remains_id, candidate_id=cand.id,
                identified_on=when.date(), confirmed_by=confirmers,
                report_reference=f"DNA-MR-{cand.id}",
            )
            session.add(identification)
            session.flush()
            advance_if_possible(
                session, person, CaseStatus.IDENTIFIED, from_statuses=(CaseStatus.UNDER_REVIEW,),
                actor=actor, reason=f"candidate {cand.id} confirmed by {', '.join(confirmers)}",
            )
    append_audit(
        session, actor=reviewer, action=AuditAction.REVIEW_DECIDE, object_type="candidate_match",
        object_id=cand.id, details={"decision": decision.value, "case": person.case_code,
                                    "identified": identification is not None},
    )
    session.flush()
    new_state = candidate_state(session, cand)
    log.info("candidate %s: %s by %s → %s", cand.id, decision.value, actor, new_state)
    return ReviewOutcome(review=review, state=new_state, identification=identification)
