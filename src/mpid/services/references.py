"""Relatives who give reference samples: donors, their place in the pedigree, their consent."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from mpid.registry.errors import ConflictError, NotFoundError, PedigreeContradictionError, RegisterError
from mpid.registry.models import CaseStatus, Consent, Donor, Family, MissingPerson, PedigreePerson, Sex
from mpid.registry.repositories import find_donor_by_pseudonym, find_family_by_code, get_missing_person
from mpid.services._codes import new_code
from mpid.services.lifecycle import advance_if_possible

__all__ = [
    "RELATIONSHIPS",
    "ConsentInput",
    "PedigreePersonInput",
    "add_donor",
    "define_family",
    "family_of",
    "infer_relationship",
    "record_consent",
    "register_donor",
    "validate_pedigree",
    "withdraw_consent",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConsentInput:
    """What a donor agreed to: identification always; sharing with named agencies; use in court."""

    given_on: date
    identification: bool = True
    shared_with_agencies: tuple[str, ...] = ()
    court_use: bool = False


@dataclass(frozen=True)
class PedigreePersonInput:
    """A pedigree member for :func:`define_family`; ``father``/``mother`` are labels in the same list."""

    label: str
    sex: Sex
    father: str | None = None
    mother: str | None = None
    missing_person: MissingPerson | None = None
    donor: Donor | None = None


# relationship of the donor to the missing person → (path of parents to create, sex the donor must have).
# The path is walked from the missing person: "F"/"M" = that person's father/mother; the last step
# says what the donor is: "F"/"M" a parent, "S" a child of the current person's parents (a sibling),
# "C" a child of the current person, "P" a partner (the other parent of the current person's children).
_RELATIONSHIP_PATHS: dict[str, tuple[str, Sex | None]] = {
    "father": ("F", Sex.MALE),
    "mother": ("M", Sex.FEMALE),
    "full_sibling": ("S", None),
    "brother": ("S", Sex.MALE),
    "sister": ("S", Sex.FEMALE),
    "child": ("C", None),
    "son": ("C", Sex.MALE),
    "daughter": ("C", Sex.FEMALE),
    "partner": ("P", None),
    "spouse": ("P", None),
    "paternal_half_sibling": ("FH", None),
    "maternal_half_sibling": ("MH", None),
    "paternal_grandfather": ("FF", Sex.MALE),
    "paternal_grandmother": ("FM", Sex.FEMALE),
    "maternal_grandfather": ("MF", Sex.MALE),
    "maternal_grandmother": ("MM", Sex.FEMALE),
    "paternal_uncle": ("FS", Sex.MALE),
    "paternal_aunt": ("FS", Sex.FEMALE),
    "maternal_uncle": ("MS", Sex.MALE),
    "maternal_aunt": ("MS", Sex.FEMALE),
}
RELATIONSHIPS: tuple[str, ...] = tuple(_RELATIONSHIP_PATHS)


def new_donor_pseudonym(session: Session) -> str:
    """A donor pseudonym not yet used (``D-XXXX-XXXX``)."""
    while True:
        code = new_code("D")
        if find_donor_by_pseudonym(session, code) is None:
            return code


def family_of(session: Session, person: MissingPerson, *, create: bool = True) -> Family | None:
    """The family whose pedigree holds this missing person (created with them in it if ``create``)."""
    if person.pedigree_person is not None:
        return person.pedigree_person.family
    if not create:
        return None
    family = Family(code=f"FAM-{person.case_code}")
    session.add(family)
    session.flush()
    session.add(
        PedigreePerson(family_id=family.id, label=person.case_code, sex=person.sex, missing_person_id=person.id)
    )
    session.flush()
    session.refresh(person, ["pedigree_person"])
    return family


def add_donor(
    session: Session,
    case: MissingPerson | int | str,
    relationship: str,
    *,
    sex: Sex | None = None,
    pseudonym: str | None = None,
    consent: ConsentInput | None = None,
    actor: str | None = None,
) -> Donor:
    """Register a donor related to a missing person, placing them (and any untyped link) in the pedigree."""
    person = case if isinstance(case, MissingPerson) else get_missing_person(session, case)
    key = relationship.strip().lower().replace(" ", "_").replace("-", "_")
    if key not in _RELATIONSHIP_PATHS:
        raise RegisterError(
            f"unknown relationship {relationship!r}; known: {', '.join(RELATIONSHIPS)}", field="relationship"
        )
    path, required_sex = _RELATIONSHIP_PATHS[key]
    if sex is not None and sex != Sex.UNKNOWN and required_sex is not None and sex != required_sex:
        raise PedigreeContradictionError(
            f"pedigree contradiction: a {key.replace('_', ' ')} must be {required_sex.value}, "
            f"the donor is recorded as {sex.value}",
            field="sex",
        )
    donor_sex = required_sex or sex or Sex.UNKNOWN
    if pseudonym is not None and find_donor_by_pseudonym(session, pseudonym) is not None:
        raise ConflictError(f"donor pseudonym {pseudonym!r} is already used", field="pseudonym")
    family = family_of(session, person)
    assert family is not None and person.pedigree_person is not None
    slot = _place_in_pedigree(session, family, person.pedigree_person, path, donor_sex, key)
    donor = Donor(pseudonym=pseudonym or new_donor_pseudonym(session), sex=donor_sex, stated_relationship=key)
    session.add(donor)
    session.flush()
    slot.donor_id = donor.id
    slot.label = donor.pseudonym if slot.label.startswith("~") else slot.label
    if consent is not None:
        record_consent(session, donor, consent)
    session.flush()
    advance_if_possible(
        session,
        person,
        CaseStatus.REFERENCES_COLLECTED,
        from_statuses=(CaseStatus.REPORTED,),
        actor=actor,
        # No pseudonym here: the case history is shown to partner agencies the donor's consent may exclude.
        reason=f"reference donor registered ({key.replace('_', ' ')})",
    )
    log.info("donor %s added to family %s as %s", donor.pseudonym, family.code, key)
    return donor


def register_donor(
    session: Session,
    *,
    sex: Sex = Sex.UNKNOWN,
    stated_relationship: str | None = None,
    pseudonym: str | None = None,
    consent: ConsentInput | None = None,
) -> Donor:
    """Register a donor not (yet) placed in any pedigree, e.g. a lab reference with no known family."""
    if pseudonym is not None and find_donor_by_pseudonym(session, pseudonym) is not None:
        raise ConflictError(f"donor pseudonym {pseudonym!r} is already used", field="pseudonym")
    donor = Donor(pseudonym=pseudonym or new_donor_pseudonym(session), sex=sex, stated_relationship=stated_relationship)
    session.add(donor)
    session.flush()
    if consent is not None:
        record_consent(session, donor, consent)
    return donor


def _place_in_pedigree(
    session: Session, family: Family, mp: PedigreePerson, path: str, sex: Sex, relationship: str
) -> PedigreePerson:
    """Walk ``path`` from the missing person, creating untyped links, and return the donor's slot."""
    current = mp
    steps, last = path[:-1], path[-1]
    for step in steps:
        _ensure_parents(session, family, current)
        current = current.father if step == "F" else current.mother
        assert current is not None
    if last in "FM":
        _ensure_parents(session, family, current)
        slot = current.father if last == "F" else current.mother
        assert slot is not None
        if slot.donor_id is not None or slot.missing_person_id is not None:
            taken = slot.donor.pseudonym if slot.donor is not None else "a missing person"
            raise PedigreeContradictionError(
                f"pedigree contradiction: that {relationship.replace('_', ' ')} is already in the pedigree "
                f"({taken}); a person has one {'father' if last == 'F' else 'mother'}",
                field="relationship",
            )
        return slot
    if last == "S":
        _ensure_parents(session, family, current)
        return _new_person(session, family, sex, current.father, current.mother)
    if last == "H":  # half sibling through the parent reached by the previous step
        child = mp
        _ensure_parents(session, family, child)
        shared = child.father if path[0] == "F" else child.mother
        other = _new_person(session, family, Sex.FEMALE if path[0] == "F" else Sex.MALE)
        father, mother = (shared, other) if path[0] == "F" else (other, shared)
        return _new_person(session, family, sex, father, mother)
    if last == "P":
        if current.sex == Sex.UNKNOWN:
            raise PedigreeContradictionError(
                "pedigree contradiction: the missing person's sex must be known to place a partner", field="sex"
            )
        partner_sex = Sex.FEMALE if current.sex == Sex.MALE else Sex.MALE
        if sex not in (Sex.UNKNOWN, partner_sex):
            raise PedigreeContradictionError(
                f"pedigree contradiction: the partner of a {current.sex.value} parent must be {partner_sex.value}",
                field="sex",
            )
        existing = _sole_partner(family, current)
        if existing is not None and existing.donor_id is None and existing.missing_person_id is None:
            return existing  # the untyped other parent of the missing person's children
        return _new_person(session, family, partner_sex)  # no partner yet, or another one
    if last == "C":
        if current.sex == Sex.UNKNOWN:
            raise PedigreeContradictionError(
                "pedigree contradiction: the missing person's sex must be known to place a child", field="sex"
            )
        partner = _sole_partner(family, current) or _new_person(
            session, family, Sex.FEMALE if current.sex == Sex.MALE else Sex.MALE
        )
        father, mother = (current, partner) if current.sex == Sex.MALE else (partner, current)
        return _new_person(session, family, sex, father, mother)
    raise AssertionError(path)  # pragma: no cover


def _sole_partner(family: Family, person: PedigreePerson) -> PedigreePerson | None:
    """The other parent of this person's children, if there is exactly one."""
    partners = {
        (p.mother if p.father_id == person.id else p.father)
        for p in family.persons
        if person.id in (p.father_id, p.mother_id)
    }
    partners.discard(None)
    return next(iter(partners)) if len(partners) == 1 else None


def _ensure_parents(session: Session, family: Family, person: PedigreePerson) -> None:
    if person.father_id is not None:
        return
    father = _new_person(session, family, Sex.MALE)
    mother = _new_person(session, family, Sex.FEMALE)
    person.father, person.mother = father, mother
    session.flush()


def _new_person(
    session: Session,
    family: Family,
    sex: Sex,
    father: PedigreePerson | None = None,
    mother: PedigreePerson | None = None,
) -> PedigreePerson:
    label = f"~{len(family.persons) + 1}"
    while any(p.label == label for p in family.persons):
        label += "'"
    person = PedigreePerson(family=family, label=label, sex=sex, father=father, mother=mother)
    session.add(person)
    session.flush()
    return person


def infer_relationship(persons: Sequence[PedigreePersonInput], donor: str, missing: str) -> str | None:
    """Name the donor's relationship to the missing person (one of :data:`RELATIONSHIPS`), if a simple one."""
    by_label = {p.label: p for p in persons}
    d, m = by_label[donor], by_label[missing]

    def parents(p: PedigreePersonInput) -> tuple[str | None, str | None]:
        return p.father, p.mother

    if donor == m.father:
        return "father"
    if donor == m.mother:
        return "mother"
    if missing in (d.father, d.mother):
        return "son" if d.sex == Sex.MALE else "daughter" if d.sex == Sex.FEMALE else "child"
    if m.father is not None and parents(d) == parents(m):
        return "brother" if d.sex == Sex.MALE else "sister" if d.sex == Sex.FEMALE else "full_sibling"
    if m.father is not None and d.father == m.father:
        return "paternal_half_sibling"
    if m.mother is not None and d.mother == m.mother:
        return "maternal_half_sibling"
    if any(missing in (c.father, c.mother) and donor in (c.father, c.mother) for c in persons):
        return "spouse"
    for side, parent_label in (("paternal", m.father), ("maternal", m.mother)):
        if parent_label is None:
            continue
        parent = by_label[parent_label]
        if donor == parent.father:
            return f"{side}_grandfather"
        if donor == parent.mother:
            return f"{side}_grandmother"
        if parent.father is not None and parents(d) == parents(parent) and d.sex != Sex.UNKNOWN:
            return f"{side}_{'uncle' if d.sex == Sex.MALE else 'aunt'}"
    return None


def validate_pedigree(persons: Sequence[PedigreePersonInput]) -> None:
    """Raise :class:`PedigreeContradictionError` for anything that cannot be a pedigree."""
    by_label: dict[str, PedigreePersonInput] = {}
    for p in persons:
        if not p.label:
            raise PedigreeContradictionError("pedigree contradiction: a person has no label", field="label")
        if p.label in by_label:
            raise PedigreeContradictionError(f"pedigree contradiction: person {p.label!r} appears twice", field="label")
        by_label[p.label] = p
    for p in persons:
        if (p.father is None) != (p.mother is None):
            raise PedigreeContradictionError(
                f"pedigree contradiction: {p.label!r} has one parent listed; give both or neither",
                field="father" if p.father is None else "mother",
            )
        for role, parent_label, needed in (("father", p.father, Sex.MALE), ("mother", p.mother, Sex.FEMALE)):
            if parent_label is None:
                continue
            parent = by_label.get(parent_label)
            if parent is None:
                raise PedigreeContradictionError(
                    f"pedigree contradiction: {role} {parent_label!r} of {p.label!r} is not in the pedigree",
                    field=role,
                )
            if parent.sex != needed:
                raise PedigreeContradictionError(
                    f"pedigree contradiction: {parent_label!r} is the {role} of {p.label!r} "
                    f"but is recorded as {parent.sex.value}",
                    field=role,
                )
    _check_acyclic(by_label)
    seen_mp: set[int] = set()
    seen_donor: set[int] = set()
    for p in persons:
        if p.missing_person is not None and p.donor is not None:
            raise PedigreeContradictionError(
                f"pedigree contradiction: {p.label!r} cannot be both missing and a donor", field="label"
            )
        for obj, seen, what in ((p.missing_person, seen_mp, "missing person"), (p.donor, seen_donor, "donor")):
            if obj is None:
                continue
            if id(obj) in seen:
                raise PedigreeContradictionError(
                    f"pedigree contradiction: the same {what} appears twice (again as {p.label!r})", field="label"
                )
            seen.add(id(obj))


def _check_acyclic(by_label: dict[str, PedigreePersonInput]) -> None:
    state: dict[str, int] = {}

    def visit(label: str, trail: list[str]) -> None:
        if state.get(label) == 2:
            return
        if state.get(label) == 1:
            cycle = " → ".join([*trail[trail.index(label) :], label])
            raise PedigreeContradictionError(
                f"pedigree contradiction: {label!r} is their own ancestor ({cycle})", field="father"
            )
        state[label] = 1
        p = by_label[label]
        for parent in (p.father, p.mother):
            if parent is not None:
                visit(parent, [*trail, label])
        state[label] = 2

    for label in by_label:
        visit(label, [])


def define_family(
    session: Session, code: str, persons: Iterable[PedigreePersonInput], *, notes: str | None = None
) -> Family:
    """Store a whole pedigree as a new family (e.g. from a Familias file or a refcase)."""
    persons = list(persons)
    validate_pedigree(persons)
    if find_family_by_code(session, code) is not None:
        raise ConflictError(f"family code {code!r} is already used", field="family")
    for p in persons:
        if p.missing_person is not None and p.missing_person.pedigree_person is not None:
            raise PedigreeContradictionError(
                f"pedigree contradiction: case {p.missing_person.case_code} is already in family "
                f"{p.missing_person.pedigree_person.family.code}",
                field="label",
            )
        if p.donor is not None and p.donor.pedigree_person is not None:
            raise PedigreeContradictionError(
                f"pedigree contradiction: donor {p.donor.pseudonym} is already in family "
                f"{p.donor.pedigree_person.family.code}",
                field="label",
            )
    family = Family(code=code, notes=notes)
    session.add(family)
    session.flush()
    rows: dict[str, PedigreePerson] = {}
    for p in persons:
        row = PedigreePerson(
            family_id=family.id,
            label=p.label,
            sex=p.sex,
            missing_person_id=p.missing_person.id if p.missing_person is not None else None,
            donor_id=p.donor.id if p.donor is not None else None,
        )
        session.add(row)
        rows[p.label] = row
    session.flush()
    for p in persons:
        if p.father is not None and p.mother is not None:
            rows[p.label].father_id = rows[p.father].id
            rows[p.label].mother_id = rows[p.mother].id
    session.flush()
    for p in persons:
        if p.missing_person is not None:
            session.refresh(p.missing_person, ["pedigree_person"])
        if p.donor is not None:
            session.refresh(p.donor, ["pedigree_person"])
    return family


def record_consent(session: Session, donor: Donor | str, consent: ConsentInput) -> Consent:
    """Record a donor's consent (``donor`` is the object or its pseudonym)."""
    donor = _donor(session, donor)
    if not consent.identification:
        raise RegisterError("consent must at least cover identification", field="identification")
    row = Consent(
        donor_id=donor.id,
        identification=True,
        shared_with_agencies=sorted(set(consent.shared_with_agencies)),
        court_use=consent.court_use,
        given_on=consent.given_on,
    )
    session.add(row)
    session.flush()
    return row


def withdraw_consent(session: Session, donor: Donor | str, on: date, reason: str | None = None) -> int:
    """Withdraw every active consent of a donor; returns how many were withdrawn."""
    donor = _donor(session, donor)
    withdrawn = 0
    for consent in donor.consents:
        if consent.withdrawn_on is None:
            consent.withdrawn_on, consent.withdrawal_reason = on, reason
            withdrawn += 1
    session.flush()
    log.info("donor %s withdrew %d consent(s)", donor.pseudonym, withdrawn)
    return withdrawn


def _donor(session: Session, donor: Donor | str) -> Donor:
    if isinstance(donor, Donor):
        return donor
    found = find_donor_by_pseudonym(session, donor)
    if found is None:
        raise NotFoundError(f"no donor with pseudonym {donor!r}", field="donor")
    return found
