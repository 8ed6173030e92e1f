"""Helpers shared by the routers: who may see which case, auditing genetic views, form values."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from sqlalchemy import ColumnElement, exists, func, select, true
from sqlalchemy.orm import Session

from mpid.registry.errors import RegisterError
from mpid.registry.models import Consent, Donor, MissingPerson, Report
from mpid.security.audit import AuditAction, record_audit
from mpid.security.consent import Consent as ConsentRule
from mpid.security.consent import DonorAccess, case_visible_to, donor_access
from mpid.security.roles import Permission, PermissionDeniedError, Role
from mpid.web.deps import Caller

__all__ = [
    "audit_genetic_view",
    "case_filter",
    "donor_decision",
    "ensure_case_visible",
    "is_htmx",
    "optional_date",
    "optional_float",
    "optional_int",
]


def case_filter(caller: Caller) -> ColumnElement[bool]:
    """SQL condition for the cases the caller may list: staff all, a partner agency those it reported."""
    caller.require(Permission.MISSING_PERSON_READ)
    if caller.principal.role is not Role.PARTNER_AGENCY:
        return true()
    agency = (caller.principal.agency or "").strip().casefold()
    return exists(
        select(1).where(Report.missing_person_id == MissingPerson.id, func.lower(Report.source_agency) == agency)
    )


def ensure_case_visible(caller: Caller, person: MissingPerson) -> None:
    """Raise :class:`PermissionDeniedError` unless the caller may see this case."""
    agencies = [r.source_agency for r in person.reports]
    if not case_visible_to(caller.principal, agencies):
        raise PermissionDeniedError(caller.principal.role, Permission.MISSING_PERSON_READ, caller.username)


def latest_consent(donor: Donor) -> Consent | None:
    """The donor's newest consent record."""
    return donor.consents[-1] if donor.consents else None


def donor_decision(caller: Caller, donor: Donor) -> DonorAccess:
    """What the caller may see of a donor under the donor's current consent (security decides)."""
    record = latest_consent(donor)
    rule = ConsentRule.from_record(record) if record is not None else ConsentRule.of()
    return donor_access(rule, caller.principal)


def audit_genetic_view(request: Request, caller: Caller, object_type: str, object_id: Any,
                       details: dict[str, Any] | None = None) -> None:
    """Append a ``genetic.view`` entry (its own short transaction, retried under contention)."""
    record_audit(request.app.state.session_factory, actor=caller.principal, action=AuditAction.GENETIC_VIEW,
                 object_type=object_type, object_id=object_id, details=details or {})


def is_htmx(request: Request) -> bool:
    """True for htmx's partial requests."""
    return request.headers.get("hx-request") == "true"


def optional_date(value: str | None) -> date | None:
    """A date from an ISO form field (empty → None)."""
    value = (value or "").strip()
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise RegisterError(f"{value[:40]!r} is not a date (YYYY-MM-DD)") from None


def optional_int(value: str | None) -> int | None:
    """An integer from a form field (empty → None)."""
    value = (value or "").strip()
    try:
        number = int(value) if value else None
    except ValueError:
        raise RegisterError(f"{value[:40]!r} is not a whole number") from None
    if number is not None and not -(2**63) <= number < 2**63:  # what the database's integers hold
        raise RegisterError(f"{value[:40]!r} is out of range")
    return number


def optional_float(value: str | None) -> float | None:
    """A number from a form field (empty → None)."""
    value = (value or "").strip()
    try:
        return float(value) if value else None
    except ValueError:
        raise RegisterError(f"{value[:40]!r} is not a number") from None


def one_or_404(session: Session, model: type, record_id: int) -> Any:
    """The record, or :class:`~mpid.registry.errors.NotFoundError`."""
    from mpid.registry.repositories import get_by_id

    return get_by_id(session, model, record_id)
