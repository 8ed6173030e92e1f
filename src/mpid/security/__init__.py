"""Security of the register: accounts and tokens, roles and consent scopes, encryption, audit, backup.

Import the submodules for the full API; the names most callers need are re-exported here.
"""

from __future__ import annotations

from mpid.security.consent import Consent, ConsentScope, DonorAccess, Purpose, case_visible_to, donor_access
from mpid.security.roles import Permission, PermissionDeniedError, Principal, Role, has_permission, require

__all__ = [
    "Consent",
    "ConsentScope",
    "DonorAccess",
    "Permission",
    "PermissionDeniedError",
    "Principal",
    "Purpose",
    "Role",
    "case_visible_to",
    "donor_access",
    "has_permission",
    "require",
]
