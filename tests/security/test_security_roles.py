"""The permission table: who may do what, and the errors that say why not."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from mpid.security.roles import (
    ACCOUNT_ROLES,
    ROLE_PERMISSIONS,
    Permission,
    PermissionDeniedError,
    Principal,
    Role,
    has_permission,
    permissions_for,
    require,
)

P = Permission
R = Role

# Who holds each sensitive permission, written out independently of the table under test.
EXPECTED_HOLDERS: dict[Permission, set[Role]] = {
    P.GENETIC_READ: {R.DNA_ANALYST, R.REVIEWER},
    P.EXPORT_GENETIC: {R.DNA_ANALYST},
    P.PROFILE_IMPORT: {R.DNA_ANALYST},
    P.MATCH_RUN: {R.DNA_ANALYST},
    P.REVIEW_DECIDE: {R.REVIEWER},
    P.USER_ADMIN: {R.ADMINISTRATOR},
    P.KEY_ADMIN: {R.ADMINISTRATOR},
    P.BACKUP_RUN: {R.ADMINISTRATOR},
    P.AUDIT_READ: {R.ADMINISTRATOR},
    P.SETTINGS_ADMIN: {R.ADMINISTRATOR},
    P.CONSENT_WRITE: {R.FAMILY_LIAISON},
    P.DONOR_WRITE: {R.FAMILY_LIAISON},
    P.NOTIFICATION_SEND: {R.FAMILY_LIAISON},
    P.MISSING_PERSON_WRITE: {R.CASE_OFFICER},
    P.MISSING_PERSON_MERGE: {R.CASE_OFFICER},
    P.SITE_WRITE: {R.FIELD_OFFICER},
    P.SAMPLE_WRITE: {R.FIELD_OFFICER},
    P.PORTAL_STATUS: {R.FAMILY_MEMBER},
    P.REPORT_DOWNLOAD: {R.DNA_ANALYST, R.REVIEWER, R.FAMILY_LIAISON},
    P.STATISTICS_READ: set(Role) - {R.FAMILY_MEMBER},
    P.STATISTICS_EXPORT: {R.CASE_OFFICER, R.PARTNER_AGENCY},
    P.DONOR_READ: {R.CASE_OFFICER, R.FAMILY_LIAISON, R.DNA_ANALYST, R.REVIEWER},
}


def test_every_role_has_a_row_and_every_permission_a_holder() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    held = set().union(*ROLE_PERMISSIONS.values())
    assert held == set(Permission)


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("permission", list(EXPECTED_HOLDERS), ids=str)
def test_access_matrix(role: Role, permission: Permission) -> None:
    expected = role in EXPECTED_HOLDERS[permission]
    assert has_permission(role, permission) is expected
    assert has_permission(Principal(role=role), permission.value) is expected
    if expected:
        require(Principal(role=role), permission)
    else:
        with pytest.raises(PermissionDeniedError):
            require(Principal(role=role), permission)


def test_partner_agency_and_administrator_never_touch_genetic_data() -> None:
    for role in (R.PARTNER_AGENCY, R.ADMINISTRATOR, R.FAMILY_MEMBER, R.CASE_OFFICER, R.FIELD_OFFICER):
        assert not {P.GENETIC_READ, P.EXPORT_GENETIC, P.PROFILE_IMPORT} & permissions_for(role)


def test_family_member_has_only_the_portal() -> None:
    assert permissions_for("family_member") == frozenset({P.PORTAL_STATUS})
    assert R.FAMILY_MEMBER not in ACCOUNT_ROLES
    assert Principal.family_member("AZ-0001").username == "portal:AZ-0001"


def test_require_message_names_user_role_and_permission() -> None:
    with pytest.raises(PermissionDeniedError) as info:
        require(Principal(role=R.PARTNER_AGENCY, username="icrc1", agency="ICRC"), "genetic:read")
    assert str(info.value) == "icrc1 (role partner_agency) lacks permission 'genetic:read'"
    assert info.value.permission is P.GENETIC_READ
    assert isinstance(info.value, PermissionError)


def test_require_on_anonymous_and_role_names() -> None:
    with pytest.raises(PermissionDeniedError, match="an anonymous caller lacks permission 'statistics:read'"):
        require(None, P.STATISTICS_READ)
    with pytest.raises(PermissionDeniedError, match="role reviewer lacks permission 'match:run'"):
        require("reviewer", "match:run")
    require("dna_analyst", "match:run")


def test_user_rows_with_string_roles_are_accepted() -> None:
    @dataclass
    class Row:
        role: str
        username: str = "x"

    assert has_permission(Row("dna_analyst"), P.GENETIC_READ)
    assert not has_permission(Row("field_officer"), P.GENETIC_READ)


def test_unknown_names_are_errors_not_denials() -> None:
    with pytest.raises(ValueError):
        has_permission("superuser", P.GENETIC_READ)
    with pytest.raises(ValueError):
        require(R.DNA_ANALYST, "genetic:write")
