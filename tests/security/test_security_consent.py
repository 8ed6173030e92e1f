"""Consent scopes: the full matrix of roles × consents × agencies × purposes, and hypothesis on top."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mpid.security.consent import (
    Consent,
    ConsentScope,
    DonorAccess,
    Purpose,
    case_visible_to,
    donor_access,
    donor_usable_in_matching,
)
from mpid.security.roles import Permission, Principal, Role, has_permission

S = ConsentScope
T0 = datetime(2026, 3, 1, tzinfo=UTC)

CONSENTS: dict[str, Consent] = {
    "identification_only": Consent.of([S.IDENTIFICATION_ONLY]),
    "share_icrc": Consent.of([S.IDENTIFICATION_ONLY, S.SHARE_WITH_AGENCIES], ["ICRC"]),
    "share_icrc_icmp": Consent.of([S.SHARE_WITH_AGENCIES], [" icrc ", "ICMP"]),
    "court": Consent.of([S.IDENTIFICATION_ONLY, S.COURT_USE]),
    "share_icmp_court": Consent.of([S.SHARE_WITH_AGENCIES, S.COURT_USE], ["ICMP"]),
    "share_scope_no_agencies": Consent.of([S.SHARE_WITH_AGENCIES], []),
    "agencies_without_share_scope": Consent.of([S.IDENTIFICATION_ONLY], ["ICRC"]),
    "withdrawn": Consent.of([S.IDENTIFICATION_ONLY], withdrawn_at=T0),
    "withdrawn_shared": Consent.of([S.SHARE_WITH_AGENCIES, S.COURT_USE], ["ICRC", "ICMP"], withdrawn_at=T0),
}
AGENCIES = [None, "ICRC", "icrc", "ICMP", "Interpol"]


def _principals() -> list[Principal]:
    out = []
    for role in Role:
        agencies = AGENCIES if role is Role.PARTNER_AGENCY else [None]
        out += [Principal(role=role, agency=a, username=f"{role.value}-{a}") for a in agencies]
    return out


def _expected(consent_name: str, principal: Principal, purpose: Purpose) -> tuple[bool, bool, bool]:
    """The rules of issue 8 written out directly, as the oracle for the matrix."""
    consent = CONSENTS[consent_name]
    withdrawn = consent_name.startswith("withdrawn")
    role = principal.role
    if role is Role.FAMILY_MEMBER:
        return False, False, False
    if role is Role.PARTNER_AGENCY:
        named = {"share_icrc": {"icrc"}, "share_icrc_icmp": {"icrc", "icmp"},
                 "share_icmp_court": {"icmp"}}.get(consent_name, set())
        visible = not withdrawn and principal.agency is not None and principal.agency.lower() in named
        return visible, False, False
    staff_reading_donors = {Role.CASE_OFFICER, Role.FAMILY_LIAISON, Role.DNA_ANALYST, Role.REVIEWER}
    if role not in staff_reading_donors:
        return False, False, False
    purpose_ok = purpose is Purpose.IDENTIFICATION or S.COURT_USE in consent.scopes
    genetic = role in {Role.DNA_ANALYST, Role.REVIEWER} and not withdrawn and purpose_ok
    matching = role is Role.DNA_ANALYST and not withdrawn and purpose_ok
    return True, genetic, matching


MATRIX = list(itertools.product(CONSENTS, _principals(), Purpose))


@pytest.mark.parametrize(("consent_name", "principal", "purpose"), MATRIX,
                         ids=[f"{c}-{p.username}-{u}" for c, p, u in MATRIX])
def test_donor_access_matrix(consent_name: str, principal: Principal, purpose: Purpose) -> None:
    decision = donor_access(CONSENTS[consent_name], principal, purpose=purpose)
    assert (decision.visible, decision.genetic_visible, decision.usable_in_matching) == _expected(
        consent_name, principal, purpose
    ), decision.reason
    assert decision.reason


def test_matrix_is_large_and_covers_every_role() -> None:
    assert len(MATRIX) == len(CONSENTS) * (len(Role) - 1 + len(AGENCIES)) * len(Purpose)
    assert {p.role for _, p, _ in MATRIX} == set(Role)


def test_withdrawal_takes_effect_at_its_time() -> None:
    consent = Consent.of([S.IDENTIFICATION_ONLY], withdrawn_at=T0)
    analyst = Principal(role=Role.DNA_ANALYST)
    before = donor_access(consent, analyst, at=T0 - timedelta(seconds=1))
    after = donor_access(consent, analyst, at=T0)
    assert before.usable_in_matching and before.genetic_visible
    assert not after.usable_in_matching and not after.genetic_visible and after.visible
    assert "withdrawn" in after.reason
    assert donor_usable_in_matching(consent, at=T0 - timedelta(days=1))
    assert not donor_usable_in_matching(consent)


def test_court_purpose_needs_court_scope() -> None:
    assert not donor_usable_in_matching(CONSENTS["identification_only"], purpose=Purpose.COURT)
    assert donor_usable_in_matching(CONSENTS["court"], purpose=Purpose.COURT)
    decision = donor_access(CONSENTS["identification_only"], Principal(role=Role.REVIEWER), purpose=Purpose.COURT)
    assert decision == DonorAccess(True, False, False, "consent does not cover use in court")


def test_consent_normalises_values() -> None:
    consent = Consent.of(["share_with_agencies"], ["  Red   Cross "])
    assert consent.scopes == frozenset({S.SHARE_WITH_AGENCIES})
    assert consent.shares_with("red cross")
    assert not consent.shares_with(None)
    with pytest.raises(ValueError):
        Consent.of(["share_with_everyone"])


def test_case_visibility_for_partners() -> None:
    partner = Principal(role=Role.PARTNER_AGENCY, agency="ICRC")
    assert case_visible_to(partner, ["icrc", "national commission"])
    assert not case_visible_to(partner, ["ICMP"])
    assert not case_visible_to(partner, [])
    assert not case_visible_to(Principal(role=Role.PARTNER_AGENCY), ["ICRC"])
    assert case_visible_to(Principal(role=Role.CASE_OFFICER), [])
    assert not case_visible_to(Principal(role=Role.ADMINISTRATOR), ["ICRC"])
    assert not case_visible_to(Principal(role=Role.FAMILY_MEMBER), ["ICRC"])


consents = st.builds(
    Consent.of,
    st.sets(st.sampled_from(list(S)), max_size=3),
    st.sets(st.sampled_from(["ICRC", "ICMP", "Interpol", "EU"]), max_size=3),
    st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))),
)
principals = st.builds(Principal, st.sampled_from(list(Role)),
                       st.one_of(st.none(), st.sampled_from(["ICRC", "ICMP", "Interpol", "EU"])))


@settings(deadline=None)
@given(consents, principals, st.sampled_from(list(Purpose)))
def test_invariants_hold_for_any_consent(consent: Consent, principal: Principal, purpose: Purpose) -> None:
    d = donor_access(consent, principal, purpose=purpose)
    assert not d.genetic_visible or d.visible
    assert not d.usable_in_matching or d.visible
    if principal.role is Role.PARTNER_AGENCY:
        assert not d.genetic_visible and not d.usable_in_matching
        assert d.visible == (consent.withdrawn_at is None and consent.shares_with(principal.agency))
    if consent.withdrawn_at is not None:
        assert not d.usable_in_matching and not d.genetic_visible
    if d.genetic_visible:
        assert has_permission(principal, Permission.GENETIC_READ)
    if d.usable_in_matching:
        assert has_permission(principal, Permission.MATCH_RUN)


def test_consent_from_a_register_row() -> None:
    from datetime import date
    from types import SimpleNamespace

    row = SimpleNamespace(identification=True, shared_with_agencies=["ICRC"], court_use=True, withdrawn_on=None)
    consent = Consent.from_record(row)
    assert consent.scopes == {S.IDENTIFICATION_ONLY, S.SHARE_WITH_AGENCIES, S.COURT_USE}
    assert consent.shares_with("icrc")
    withdrawn = Consent.from_record(SimpleNamespace(identification=True, shared_with_agencies=[],
                                                    court_use=False, withdrawn_on=date(2026, 3, 1)))
    assert withdrawn.withdrawn_at == T0
    assert withdrawn.scopes == {S.IDENTIFICATION_ONLY}
    assert not donor_usable_in_matching(withdrawn, at=T0)
    assert donor_usable_in_matching(withdrawn, at=T0 - timedelta(microseconds=1))
