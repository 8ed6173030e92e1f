"""Moving a case through its lifecycle; the allowed moves live in :mod:`mpid.registry.lifecycle`."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from mpid.registry.lifecycle import CaseStatus, StatusTransitionError, allowed_next_statuses, check_transition
from mpid.registry.models import CaseStatusEvent, MissingPerson
from mpid.registry.repositories import get_missing_person

__all__ = ["CaseStatus", "StatusTransitionError", "advance_if_possible", "allowed_next_statuses", "move_case"]

log = logging.getLogger(__name__)


def move_case(
    session: Session,
    case: MissingPerson | int | str,
    to_status: CaseStatus | str,
    *,
    actor: str | None = None,
    reason: str | None = None,
) -> MissingPerson:
    """Move a case (object, id or case code) to ``to_status``, recording who, when and why."""
    person = case if isinstance(case, MissingPerson) else get_missing_person(session, case)
    to_status = CaseStatus(to_status)
    check_transition(person.status, to_status, person.case_code)
    session.add(
        CaseStatusEvent(
            missing_person_id=person.id,
            from_status=person.status,
            to_status=to_status,
            actor=actor,
            reason=reason,
        )
    )
    log.info("case %s: %s -> %s", person.case_code, person.status, to_status)
    person.status = to_status
    session.flush()
    return person


def advance_if_possible(
    session: Session,
    person: MissingPerson,
    to_status: CaseStatus,
    *,
    from_statuses: tuple[CaseStatus, ...],
    actor: str | None = None,
    reason: str | None = None,
) -> bool:
    """Move the case to ``to_status`` only when it is in one of ``from_statuses``; True if moved."""
    if CaseStatus(person.status) not in from_statuses:
        return False
    move_case(session, person, to_status, actor=actor, reason=reason)
    return True
