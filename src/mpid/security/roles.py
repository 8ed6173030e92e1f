"""Roles, permissions and the one declarative table that joins them (BRIEF §1, F13).

Every check in the services layer and the web app goes through :func:`require` or
:func:`has_permission`, so who may do what is decided here and nowhere else.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "ACCOUNT_ROLES",
    "ROLE_PERMISSIONS",
    "HasRole",
    "Permission",
    "PermissionDeniedError",
    "Principal",
    "Role",
    "has_permission",
    "permissions_for",
    "require",
    "role_of",
]


class Role(enum.StrEnum):
    """Who a user is in the commission's work (BRIEF §1)."""

    CASE_OFFICER = "case_officer"
    FAMILY_LIAISON = "family_liaison"
    FIELD_OFFICER = "field_officer"
    DNA_ANALYST = "dna_analyst"
    REVIEWER = "reviewer"
    PARTNER_AGENCY = "partner_agency"
    ADMINISTRATOR = "administrator"
    FAMILY_MEMBER = "family_member"  # portal only, never an account


# Roles a user account may hold; family members reach the portal with a case code and secret.
ACCOUNT_ROLES: frozenset[Role] = frozenset(Role) - {Role.FAMILY_MEMBER}


class Permission(enum.StrEnum):
    """One thing a principal may do; names read ``object:verb``."""

    MISSING_PERSON_READ = "missing_person:read"
    MISSING_PERSON_WRITE = "missing_person:write"
    MISSING_PERSON_MERGE = "missing_person:merge"
    DONOR_READ = "donor:read"
    DONOR_WRITE = "donor:write"
    CONSENT_WRITE = "consent:write"
    SITE_READ = "site:read"
    SITE_WRITE = "site:write"
    SAMPLE_WRITE = "sample:write"
    GENETIC_READ = "genetic:read"
    PROFILE_IMPORT = "profile:import"
    EXPORT_GENETIC = "export:genetic"
    MATCH_READ = "match:read"
    MATCH_RUN = "match:run"
    REVIEW_READ = "review:read"
    REVIEW_DECIDE = "review:decide"
    REPORT_DOWNLOAD = "report:download"
    NOTIFICATION_SEND = "notification:send"
    STATISTICS_READ = "statistics:read"
    STATISTICS_EXPORT = "statistics:export"
    SETTINGS_ADMIN = "settings:admin"  # frequency tables, thresholds
    USER_ADMIN = "user:admin"
    KEY_ADMIN = "key:admin"
    BACKUP_RUN = "backup:run"
    AUDIT_READ = "audit:read"
    PORTAL_STATUS = "portal:status"


_P = Permission

# THE table: role → what it may do. Administrators manage the system but see no genetic data;
# partner agencies read statistics and the cases they shared, never genetic data.
ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.CASE_OFFICER: frozenset({
        _P.MISSING_PERSON_READ, _P.MISSING_PERSON_WRITE, _P.MISSING_PERSON_MERGE,
        _P.DONOR_READ, _P.SITE_READ, _P.MATCH_READ, _P.STATISTICS_READ, _P.STATISTICS_EXPORT,
    }),
    Role.FAMILY_LIAISON: frozenset({
        _P.MISSING_PERSON_READ, _P.DONOR_READ, _P.DONOR_WRITE, _P.CONSENT_WRITE,
        _P.MATCH_READ, _P.REPORT_DOWNLOAD, _P.NOTIFICATION_SEND, _P.STATISTICS_READ,
    }),
    Role.FIELD_OFFICER: frozenset({
        _P.MISSING_PERSON_READ, _P.SITE_READ, _P.SITE_WRITE, _P.SAMPLE_WRITE, _P.STATISTICS_READ,
    }),
    Role.DNA_ANALYST: frozenset({
        _P.MISSING_PERSON_READ, _P.DONOR_READ, _P.SITE_READ, _P.GENETIC_READ, _P.PROFILE_IMPORT,
        _P.EXPORT_GENETIC, _P.MATCH_READ, _P.MATCH_RUN, _P.REVIEW_READ, _P.REPORT_DOWNLOAD,
        _P.STATISTICS_READ,
    }),
    Role.REVIEWER: frozenset({
        _P.MISSING_PERSON_READ, _P.DONOR_READ, _P.SITE_READ, _P.GENETIC_READ, _P.MATCH_READ,
        _P.REVIEW_READ, _P.REVIEW_DECIDE, _P.REPORT_DOWNLOAD, _P.STATISTICS_READ,
    }),
    Role.PARTNER_AGENCY: frozenset({
        _P.MISSING_PERSON_READ, _P.STATISTICS_READ, _P.STATISTICS_EXPORT,
    }),
    Role.ADMINISTRATOR: frozenset({
        _P.USER_ADMIN, _P.KEY_ADMIN, _P.BACKUP_RUN, _P.AUDIT_READ, _P.SETTINGS_ADMIN,
        _P.STATISTICS_READ,
    }),
    Role.FAMILY_MEMBER: frozenset({_P.PORTAL_STATUS}),
}


class PermissionDeniedError(PermissionError):
    """A principal asked for something its role does not allow."""

    def __init__(self, role: Role | None, permission: Permission, subject: str | None = None) -> None:
        self.role = role
        self.permission = permission
        if role is None:
            who = "an anonymous caller"
        else:
            who = f"{subject} (role {role.value})" if subject else f"role {role.value}"
        super().__init__(f"{who} lacks permission {permission.value!r}")


class HasRole(Protocol):
    """Anything with a role: a :class:`Principal`, a user row."""

    @property
    def role(self) -> Role | str: ...


@dataclass(frozen=True)
class Principal:
    """Who is asking: the user (if any), the role and the agency a partner user belongs to."""

    role: Role
    agency: str | None = None
    user_id: int | None = None
    username: str | None = None

    @classmethod
    def family_member(cls, case_code: str) -> Principal:
        """A family member at the portal, known only by the case code they gave."""
        return cls(role=Role.FAMILY_MEMBER, username=f"portal:{case_code}")


def role_of(subject: HasRole | Role | str | None) -> Role | None:
    """The role of a principal, user row, role or role name (None for anonymous)."""
    if subject is None:
        return None
    if isinstance(subject, Role):
        return subject
    if isinstance(subject, str):
        return Role(subject)
    raw = subject.role
    return raw if isinstance(raw, Role) else Role(raw)


def permissions_for(role: Role | str) -> frozenset[Permission]:
    """Every permission of a role."""
    return ROLE_PERMISSIONS[Role(role)]


def has_permission(subject: HasRole | Role | str | None, permission: Permission | str) -> bool:
    """True when the subject's role grants ``permission``."""
    role = role_of(subject)
    return role is not None and Permission(permission) in ROLE_PERMISSIONS[role]


def require(subject: HasRole | Role | str | None, permission: Permission | str) -> None:
    """Raise :class:`PermissionDeniedError` unless the subject's role grants ``permission``."""
    perm = Permission(permission)
    if has_permission(subject, perm):
        return
    name = getattr(subject, "username", None)
    raise PermissionDeniedError(role_of(subject), perm, name if isinstance(name, str) else None)
