"""Use-case services on the register (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest

from mpid.registry.errors import (
    AlleleValueError,
    BarcodeConflictError,
    ConflictError,
    PedigreeContradictionError,
    UnknownLocusError,
)
from mpid.registry.lifecycle import StatusTransitionError
from mpid.registry.matching_input import load_matching_input
from mpid.registry.models import CaseStatus, DatePrecision, RemainsKind, SampleType, Sex, SiteType
from mpid.services.intake import ReportInput, merge_duplicate, register_report
from mpid.services.lifecycle import move_case
from mpid.services.profiles import attach_profile
from mpid.services.references import (
    ConsentInput,
    PedigreePersonInput,
    add_donor,
    define_family,
    validate_pedigree,
    withdraw_consent,
)
from mpid.services.sites import RemainsInput, SiteInput, record_exhumation, record_remains, record_sample, record_site
from mpid.services.statistics import register_counts

CONSENT = ConsentInput(given_on=date(2024, 5, 1))


def _report(ref: str = "A-1", **kw) -> ReportInput:
    base = dict(
        source_agency="State Commission (test)",
        source_reference=ref,
        name_original="Тестов Тест Тестович",
        name_script="Cyrl",
        full_name="Testov Test",
        sex=Sex.MALE,
        birth_date=date(1970, 1, 1),
        birth_date_precision=DatePrecision.YEAR,
        region="Region A",
    )
    base.update(kw)
    return ReportInput(**base)


def test_register_report_creates_a_case_and_keeps_the_original_script(session):
    mp = register_report(session, _report(), case_code="MP-T-1", actor="officer1")
    assert mp.case_code == "MP-T-1" and mp.status == CaseStatus.REPORTED
    assert mp.reports[0].name_original == "Тестов Тест Тестович" and mp.reports[0].name_script == "Cyrl"
    assert [e.to_status for e in mp.status_events] == [CaseStatus.REPORTED]
    second = register_report(session, _report("B-7", source_agency="Red Cross (test)"), case=mp)
    assert second.id == mp.id and len(mp.reports) == 2


def test_the_same_agency_reference_cannot_be_registered_twice(session):
    register_report(session, _report(), case_code="MP-T-2")
    with pytest.raises(ConflictError) as info:
        register_report(session, _report())
    assert str(info.value) == ("report 'A-1' of State Commission (test) is already registered on case MP-T-2")
    assert info.value.field == "source_reference"


def test_merge_duplicate_keeps_every_report_with_provenance(session):
    a = register_report(session, _report("A-1"), case_code="MP-KEEP")
    b = register_report(session, _report("A-2", name_original="Testov Test"), case_code="MP-DUP")
    merge_duplicate(session, b, a, actor="officer")
    assert b.status == CaseStatus.MERGED_DUPLICATE and b.merged_into_id == a.id
    assert sorted(r.source_reference for r in a.reports) == ["A-1", "A-2"]
    assert a.reports[1].provenance["merged_from_case"] == "MP-DUP"
    with pytest.raises(ConflictError, match="merged into another case"):
        register_report(session, _report("A-3"), case=b)


def test_lifecycle_moves_are_recorded_and_refused_when_not_allowed(session):
    mp = register_report(session, _report(), case_code="MP-L")
    with pytest.raises(StatusTransitionError, match="cannot move from 'reported' to 'identified'"):
        move_case(session, mp, CaseStatus.IDENTIFIED)
    move_case(session, "MP-L", "references_collected", actor="liaison", reason="mother gave blood")
    assert mp.status == CaseStatus.REFERENCES_COLLECTED
    assert mp.status_events[-1].reason == "mother gave blood"


def test_add_donor_builds_the_pedigree_and_advances_the_case(session):
    mp = register_report(session, _report(), case_code="MP-P")
    mother = add_donor(session, mp, "mother", consent=CONSENT)
    uncle = add_donor(session, mp, "paternal uncle", consent=CONSENT)
    sister = add_donor(session, mp, "sister", consent=CONSENT)
    assert mp.status == CaseStatus.REFERENCES_COLLECTED
    family = mp.pedigree_person.family
    labels = {p.id: p for p in family.persons}
    mp_node = mp.pedigree_person
    assert mp_node.mother.donor_id == mother.id and mother.sex == Sex.FEMALE
    assert sister.pedigree_person.father_id == mp_node.father_id
    grandfather = labels[mp_node.father.father_id]
    assert uncle.pedigree_person.father_id == grandfather.id and uncle.sex == Sex.MALE
    validate_pedigree(
        [
            PedigreePersonInput(
                p.label, p.sex, p.father.label if p.father else None, p.mother.label if p.mother else None
            )
            for p in family.persons
        ]
    )


def test_a_second_mother_is_a_pedigree_contradiction(session):
    mp = register_report(session, _report(), case_code="MP-M2")
    first = add_donor(session, mp, "mother", consent=CONSENT)
    with pytest.raises(PedigreeContradictionError) as info:
        add_donor(session, mp, "mother")
    assert str(info.value) == (
        f"pedigree contradiction: that mother is already in the pedigree ({first.pseudonym}); a person has one mother"
    )


def test_a_male_mother_is_a_pedigree_contradiction(session):
    mp = register_report(session, _report(), case_code="MP-MS")
    with pytest.raises(PedigreeContradictionError, match="a mother must be female, the donor is recorded as male"):
        add_donor(session, mp, "mother", sex=Sex.MALE)


@pytest.mark.parametrize(
    ("persons", "message"),
    [
        (
            [PedigreePersonInput("F", Sex.FEMALE), PedigreePersonInput("M", Sex.FEMALE),
             PedigreePersonInput("C", Sex.MALE, "F", "M")],
            "pedigree contradiction: 'F' is the father of 'C' but is recorded as female",
        ),
        (
            [PedigreePersonInput("F", Sex.MALE), PedigreePersonInput("C", Sex.MALE, "F", None)],
            "pedigree contradiction: 'C' has one parent listed; give both or neither",
        ),
        (
            [PedigreePersonInput("A", Sex.MALE, "B", "M"), PedigreePersonInput("B", Sex.MALE, "A", "M"),
             PedigreePersonInput("M", Sex.FEMALE)],
            "pedigree contradiction: 'A' is their own ancestor (A → B → A)",
        ),
        (
            [PedigreePersonInput("C", Sex.MALE, "X", "Y")],
            "pedigree contradiction: father 'X' of 'C' is not in the pedigree",
        ),
    ],
)  # fmt: skip
def test_validate_pedigree_names_the_contradiction(persons, message):
    with pytest.raises(PedigreeContradictionError) as info:
        validate_pedigree(persons)
    assert str(info.value) == message


def test_define_family_refuses_a_case_already_in_another_family(session):
    mp = register_report(session, _report(), case_code="MP-F")
    define_family(session, "FAM-1", [PedigreePersonInput("MP", Sex.MALE, missing_person=mp)])
    with pytest.raises(PedigreeContradictionError, match="case MP-F is already in family FAM-1"):
        define_family(session, "FAM-2", [PedigreePersonInput("X", Sex.MALE, missing_person=mp)])


def _remains_with_sample(session, barcode="BONE-1"):
    site = record_site(session, SiteInput("Test grave", SiteType.MASS_GRAVE, 40.1, 46.9, region="Region A"))
    exhumation = record_exhumation(session, site, started_on=date(2023, 6, 1), ended_on=date(2023, 6, 20))
    remains = record_remains(
        session,
        RemainsInput(RemainsKind.BODY_PART, body_part="left femur", anthropological_sex=Sex.MALE),
        exhumation=exhumation,
    )
    assert remains.site_id == site.id
    sample = record_sample(session, barcode, SampleType.BONE, remains=remains)
    assert [e.action.value for e in sample.custody_events] == ["collected"]
    return remains, sample


def test_a_bar_code_bound_to_another_case_is_refused(session):
    mp = register_report(session, _report(), case_code="MP-BC")
    donor = add_donor(session, mp, "mother", consent=CONSENT)
    record_sample(session, "BC-100", SampleType.BUCCAL, donor=donor)
    remains, _ = _remains_with_sample(session)
    assert record_sample(session, "BC-100", SampleType.BUCCAL, donor=donor).donor_id == donor.id
    with pytest.raises(BarcodeConflictError) as info:
        record_sample(session, "BC-100", SampleType.BONE, remains=remains)
    assert str(info.value) == (
        f"bar code 'BC-100' is already bound to donor {donor.pseudonym} of case MP-BC, not remains {remains.code}"
    )


def test_attach_profile_checks_loci_and_alleles(session):
    _, sample = _remains_with_sample(session)
    profile = attach_profile(
        session,
        "BONE-1",
        {"THO1": ["9.3", "6"], "vWA": ["17"], "D8S1179": ["12", None], "Penta D": [None, None]},
        kit="TestKit",
        lab="Lab1",
        run="R1",
    )
    assert profile.alleles == {"TH01": ["6", "9.3"], "VWA": ["17"], "D8S1179": ["12", None]}
    again = attach_profile(
        session,
        sample,
        {"TH01": ["6", "9.3"], "VWA": ["17"], "D8S1179": ["12", None]},
        kit="TestKit",
        lab="Lab1",
        run="R1",
    )
    assert again.id == profile.id
    with pytest.raises(UnknownLocusError) as info:
        attach_profile(session, sample, {"XYZ1": ["1", "2"]})
    assert str(info.value) == "unknown locus 'XYZ1': not a known STR marker and not in any stored frequency table"
    with pytest.raises(AlleleValueError) as info:
        attach_profile(session, sample, {"TH01": ["9.33", "6"]})
    assert str(info.value).startswith("allele '9.33' at locus TH01 cannot be read")
    with pytest.raises(ConflictError, match="already has a different profile"):
        attach_profile(session, sample, {"TH01": ["7", "9.3"]}, kit="TestKit", lab="Lab1", run="R1")


def test_load_matching_input_gives_plain_remains_and_families(session):
    remains, sample = _remains_with_sample(session)
    attach_profile(session, sample, {"TH01": ["6", "9.3"], "AMEL": ["X", "Y"]})
    attach_profile(session, sample, {"TH01": ["6", "9.3"], "VWA": ["14", "17"]}, run="R2")
    mp = register_report(session, _report(), case_code="MP-MI")
    mother = add_donor(session, mp, "mother", consent=CONSENT)
    brother = add_donor(session, mp, "brother", consent=CONSENT)
    for donor, alleles in ((mother, ["6", "7"]), (brother, ["7", "9.3"])):
        s = record_sample(session, f"REF-{donor.pseudonym}", SampleType.BUCCAL, donor=donor)
        attach_profile(session, s, {"TH01": alleles})
    withdraw_consent(session, brother, date(2024, 6, 1), reason="test")
    data = load_matching_input(session)
    assert len(data.remains) == 1
    r = data.remains[0]
    assert (r.remains_id, r.sex, r.loci) == (remains.id, 1, {"TH01": ("6", "9.3"), "VWA": ("14", "17")})
    (family,) = data.families
    assert family.missing_person_ids == (mp.id,)
    assert family.typed_labels == (mother.pseudonym,)  # the brother withdrew consent
    by_label = {p.label: p for p in family.persons}
    mp_node = by_label[mp.case_code]
    assert by_label[mp_node.mother].loci == {"TH01": ("6", "7")}
    assert by_label[brother.pseudonym].loci is None and by_label[brother.pseudonym].mother == mp_node.mother
    assert {p.sex for p in family.persons} <= {1, 2}


def test_register_counts(session):
    mp = register_report(session, _report(), case_code="MP-C")
    add_donor(session, mp, "father", consent=CONSENT)
    _remains_with_sample(session)
    counts = register_counts(session)
    assert counts.entities["missing_persons"] == 1 and counts.entities["donors"] == 1
    assert counts.entities["samples"] == 1 and counts.entities["sites"] == 1
    assert counts.cases_by_status["references_collected"] == 1 and counts.cases_by_status["closed"] == 0
    assert counts.cases_by_region == {"Region A": 1}


def test_a_second_partner_is_a_new_person_not_the_first_one_replaced(session):
    mp = register_report(session, _report(), case_code="MP-SP")
    child = add_donor(session, mp, "son", consent=CONSENT)
    first = add_donor(session, mp, "spouse", consent=CONSENT)
    second = add_donor(session, mp, "spouse", consent=CONSENT)
    assert child.pedigree_person.mother_id == first.pedigree_person.id  # the child's mother gave a sample
    assert second.pedigree_person is not None and second.pedigree_person.id != first.pedigree_person.id
    assert first.pedigree_person.donor_id == first.id


def test_the_case_history_does_not_name_donors(session):
    mp = register_report(session, _report(), case_code="MP-H")
    donor = add_donor(session, mp, "maternal aunt", consent=CONSENT)
    reasons = [event.reason or "" for event in mp.status_events]
    assert reasons[-1] == "reference donor registered (maternal aunt)"
    assert not any(donor.pseudonym in reason for reason in reasons)
