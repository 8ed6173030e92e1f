"""Consent scopes as pure decisions: who may see a donor, their genetic data, and use it in matching.

The services layer calls :func:`donor_access` on every read, search and export, so a
partner agency never sees genetic data, a donor whose consent excludes an agency is
invisible to it, and a withdrawn consent takes the donor's profile out of matching.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from mpid.security.roles import Permission, Principal, Role, has_permission

__all__ = [
    "Consent",
    "ConsentScope",
    "DonorAccess",
    "Purpose",
    "case_visible_to",
    "donor_access",
    "donor_usable_in_matching",
    "normalise_agency",
]


class ConsentScope(enum.StrEnum):
    """What a donor agreed to; identification is the base every consent includes."""

    IDENTIFICATION_ONLY = "identification_only"
    SHARE_WITH_AGENCIES = "share_with_agencies"
    COURT_USE = "court_use"


class Purpose(enum.StrEnum):
    """Why the data is asked for: identification work, or evidence for a court."""

    IDENTIFICATION = "identification"
    COURT = "court"


def normalise_agency(name: str) -> str:
    """Agency names compared case- and space-insensitively."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class Consent:
    """A donor's consent: its scopes, the agencies it names and when (if ever) it was withdrawn."""

    scopes: frozenset[ConsentScope] = frozenset({ConsentScope.IDENTIFICATION_ONLY})
    agencies: frozenset[str] = field(default_factory=frozenset)
    withdrawn_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "scopes", frozenset(ConsentScope(s) for s in self.scopes))
        object.__setattr__(self, "agencies", frozenset(normalise_agency(a) for a in self.agencies))

    @classmethod
    def of(
        cls,
        scopes: Iterable[ConsentScope | str] = (ConsentScope.IDENTIFICATION_ONLY,),
        agencies: Iterable[str] = (),
        withdrawn_at: datetime | None = None,
    ) -> Consent:
        """Build from plain values (strings as stored in the register)."""
        return cls(frozenset(ConsentScope(s) for s in scopes), frozenset(agencies), withdrawn_at)

    @classmethod
    def from_record(cls, record: Any) -> Consent:
        """Build from a register consent row (``identification``, ``shared_with_agencies``, ``court_use``,
        ``withdrawn_on``); a withdrawal date counts from the start of that day, UTC."""
        scopes = {ConsentScope.IDENTIFICATION_ONLY} if getattr(record, "identification", True) else set()
        agencies = list(getattr(record, "shared_with_agencies", None) or [])
        if agencies:
            scopes.add(ConsentScope.SHARE_WITH_AGENCIES)
        if getattr(record, "court_use", False):
            scopes.add(ConsentScope.COURT_USE)
        withdrawn = getattr(record, "withdrawn_on", None) or getattr(record, "withdrawn_at", None)
        if isinstance(withdrawn, date) and not isinstance(withdrawn, datetime):
            withdrawn = datetime.combine(withdrawn, time.min, tzinfo=UTC)
        return cls(frozenset(scopes), frozenset(agencies), withdrawn)

    def is_withdrawn(self, at: datetime | None = None) -> bool:
        """True once withdrawn (at ``at``, or ever if no time is given)."""
        if self.withdrawn_at is None:
            return False
        return at is None or self.withdrawn_at <= at

    def shares_with(self, agency: str | None) -> bool:
        """True when the consent names ``agency`` among those it may be shared with."""
        return (
            agency is not None
            and ConsentScope.SHARE_WITH_AGENCIES in self.scopes
            and normalise_agency(agency) in self.agencies
        )


@dataclass(frozen=True)
class DonorAccess:
    """The decision for one donor and one principal, with the reason in words."""

    visible: bool
    genetic_visible: bool
    usable_in_matching: bool
    reason: str


def donor_usable_in_matching(consent: Consent, *, purpose: Purpose = Purpose.IDENTIFICATION,
                             at: datetime | None = None) -> bool:
    """True when the donor's profile may enter a matching run (consent not withdrawn, purpose covered)."""
    if consent.is_withdrawn(at):
        return False
    return purpose is Purpose.IDENTIFICATION or ConsentScope.COURT_USE in consent.scopes


def donor_access(
    consent: Consent,
    principal: Principal,
    *,
    purpose: Purpose = Purpose.IDENTIFICATION,
    at: datetime | None = None,
) -> DonorAccess:
    """Decide what ``principal`` may see and do with a donor under ``consent`` (pure, no I/O)."""
    withdrawn = consent.is_withdrawn(at)
    if principal.role is Role.FAMILY_MEMBER:
        return DonorAccess(False, False, False, "the family portal shows no donors")
    if principal.role is Role.PARTNER_AGENCY:
        if withdrawn:
            return DonorAccess(False, False, False, "consent withdrawn")
        if not consent.shares_with(principal.agency):
            return DonorAccess(False, False, False, "consent does not name this agency")
        return DonorAccess(True, False, False, "shared with this agency; never genetic data")
    if not has_permission(principal, Permission.DONOR_READ):
        return DonorAccess(False, False, False, f"role {principal.role.value} does not read donors")
    if withdrawn:
        return DonorAccess(True, False, False, "consent withdrawn: record only, no genetic data or matching")
    if purpose is Purpose.COURT and ConsentScope.COURT_USE not in consent.scopes:
        return DonorAccess(True, False, False, "consent does not cover use in court")
    genetic = has_permission(principal, Permission.GENETIC_READ)
    matching = has_permission(principal, Permission.MATCH_RUN) and donor_usable_in_matching(
        consent, purpose=purpose, at=at
    )
    reason = "genetic data visible" if genetic else f"role {principal.role.value} does not read genetic data"
    return DonorAccess(True, genetic, matching, reason)


def case_visible_to(principal: Principal, shared_with_agencies: Iterable[str]) -> bool:
    """True when a missing-person case may be shown: staff see all, partners only cases shared with them."""
    if not has_permission(principal, Permission.MISSING_PERSON_READ):
        return False
    if principal.role is not Role.PARTNER_AGENCY:
        return True
    if principal.agency is None:
        return False
    mine = normalise_agency(principal.agency)
    return any(normalise_agency(a) == mine for a in shared_with_agencies)
