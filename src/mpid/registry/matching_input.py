"""What matching reads from the register, as plain data: remains profiles and families.

Matching (``mpid.matching``, ``mpid.services.matching``) never touches ORM objects: it gets
frozen dataclasses from :func:`load_matching_input`, loaded with a handful of bulk queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from mpid.registry.models import (
    CaseStatus,
    Consent,
    Family,
    MissingPerson,
    PedigreePerson,
    Profile,
    Remains,
    Sample,
    Sex,
)
from mpid.registry.repositories import latest_frequency_table

__all__ = [
    "FamilyInput",
    "FrequencyInput",
    "MatchingInput",
    "PedigreeMember",
    "RemainsProfile",
    "best_profiles",
    "genetic_sex",
    "load_frequency_input",
    "load_matching_input",
    "matching_sex",
]

Genotype = tuple[str | None, ...]


@dataclass(frozen=True)
class RemainsProfile:
    """The profile used for one set of remains; ``sex`` is 1 male, 2 female, 0 unknown."""

    remains_id: int
    remains_code: str
    profile_id: int
    sex: int
    loci: dict[str, Genotype]
    site_id: int | None = None


@dataclass(frozen=True)
class PedigreeMember:
    """A person of a family pedigree; ``father``/``mother`` are labels within the family."""

    person_id: int
    label: str
    sex: int
    father: str | None
    mother: str | None
    missing_person_id: int | None = None
    donor_id: int | None = None
    profile_id: int | None = None
    loci: dict[str, Genotype] | None = None

    @property
    def is_typed(self) -> bool:
        """True when this member has a usable profile."""
        return bool(self.loci)


@dataclass(frozen=True)
class FamilyInput:
    """A reference family: its pedigree, which members are missing, which are typed donors."""

    family_id: int
    code: str
    persons: tuple[PedigreeMember, ...]

    @property
    def missing_person_ids(self) -> tuple[int, ...]:
        """Register ids of the missing persons in this pedigree."""
        return tuple(p.missing_person_id for p in self.persons if p.missing_person_id is not None)

    @property
    def missing_labels(self) -> tuple[str, ...]:
        """Pedigree labels of the missing persons."""
        return tuple(p.label for p in self.persons if p.missing_person_id is not None)

    @property
    def typed_labels(self) -> tuple[str, ...]:
        """Pedigree labels of the members with a profile."""
        return tuple(p.label for p in self.persons if p.is_typed)


@dataclass(frozen=True)
class MatchingInput:
    """Everything blind search needs from the register."""

    remains: tuple[RemainsProfile, ...]
    families: tuple[FamilyInput, ...]


@dataclass(frozen=True)
class FrequencyInput:
    """A stored frequency table as plain data (the version a match run must record)."""

    table_id: int
    name: str
    version: int
    markers: dict[str, dict[str, float]]
    sample_sizes: dict[str, int]
    mutation_models: dict[str, dict] | None


def load_frequency_input(session: Session, name: str | None = None) -> FrequencyInput | None:
    """The newest version of the named table (default: the table stored last), or None."""
    table = latest_frequency_table(session, name)
    if table is None:
        return None
    return FrequencyInput(
        table_id=table.id,
        name=table.name,
        version=table.version,
        markers=table.as_markers(),
        sample_sizes=dict(table.sample_sizes or {}),
        mutation_models=dict(table.mutation_models) if table.mutation_models else None,
    )


def genetic_sex(loci: dict[str, Genotype]) -> int:
    """Sex from amelogenin: 1 if a Y is seen, 2 for X only (both alleles), else 0."""
    amel = loci.get("AMEL")
    if not amel:
        return 0
    seen = {a for a in amel if a is not None}
    if "Y" in seen:
        return 1
    if seen == {"X"} and None not in amel:
        return 2
    return 0


def matching_sex(loci: dict[str, Genotype], anthropological: int) -> int:
    """The sex that may exclude a missing person: amelogenin when the lab typed it, else anthropology.

    When amelogenin was typed, DNA decides alone: anthropology misjudges sex in a few percent of
    skeletons, and a wrong hard exclusion hides the true family. A single X peak in bone stays
    undetermined (0), since the Y may have dropped out. Without amelogenin the anthropological sex
    is all there is (as in dvir's victim data).
    """
    amel = loci.get("AMEL")
    if amel and any(a is not None for a in amel):
        return genetic_sex(loci)
    return anthropological


def _as_loci(alleles: dict[str, list[str | None]]) -> dict[str, Genotype]:
    return {locus: tuple(values) for locus, values in alleles.items()}


def _typed_count(alleles: dict[str, list[str | None]]) -> int:
    return sum(1 for locus, values in alleles.items() if locus != "AMEL" and any(v is not None for v in values))


def best_profiles(rows: list[tuple[int, int, dict[str, list[str | None]]]]) -> dict[int, tuple[int, dict]]:
    """From (owner id, profile id, alleles) rows, each owner's profile with most typed loci (then newest)."""
    best: dict[int, tuple[int, int, dict]] = {}
    for owner_id, profile_id, alleles in rows:
        key = (_typed_count(alleles), profile_id)
        current = best.get(owner_id)
        if current is None or key > (current[0], current[1]):
            best[owner_id] = (key[0], profile_id, alleles)
    return {owner: (profile_id, alleles) for owner, (_n, profile_id, alleles) in best.items()}


def load_matching_input(
    session: Session,
    *,
    include_identified: bool = True,
    on_date: date | None = None,
) -> MatchingInput:
    """Remains profiles and families for matching.

    Each remains and each donor contributes its best profile (most typed loci, then newest).
    Donors count only with an active consent that covers identification (as of ``on_date``,
    default today); without one they stay in the pedigree as untyped members. Missing persons
    merged as duplicates are left out, and identified ones too unless ``include_identified``.
    """
    on_date = on_date or date.today()
    remains_rows = session.execute(
        select(Sample.remains_id, Profile.id, Profile.alleles)
        .join(Sample, Profile.sample_id == Sample.id)
        .where(Sample.remains_id.is_not(None))
    ).all()
    remains_best = best_profiles([tuple(r) for r in remains_rows])
    remains_info = (
        {
            rid: (code, sex, site_id)
            for rid, code, sex, site_id in session.execute(
                select(Remains.id, Remains.code, Remains.anthropological_sex, Remains.site_id).where(
                    Remains.id.in_(list(remains_best))
                )
            )
        }
        if remains_best
        else {}
    )
    remains: list[RemainsProfile] = []
    for remains_id in sorted(remains_best):
        profile_id, alleles = remains_best[remains_id]
        code, sex, site_id = remains_info[remains_id]
        loci = _as_loci(alleles)
        sex_code = matching_sex(loci, Sex(sex).pedigree_code)
        remains.append(RemainsProfile(remains_id, code, profile_id, sex_code, loci, site_id))

    consenting = set(
        session.scalars(
            select(Consent.donor_id).where(
                Consent.identification.is_(True),
                Consent.given_on <= on_date,
                (Consent.withdrawn_on.is_(None)) | (Consent.withdrawn_on > on_date),
            )
        )
    )
    donor_rows = session.execute(
        select(Sample.donor_id, Profile.id, Profile.alleles)
        .join(Sample, Profile.sample_id == Sample.id)
        .where(Sample.donor_id.is_not(None))
    ).all()
    donor_best = best_profiles([tuple(r) for r in donor_rows if r[0] in consenting])

    excluded = {CaseStatus.MERGED_DUPLICATE}
    if not include_identified:
        excluded |= {CaseStatus.IDENTIFIED, CaseStatus.FAMILY_NOTIFIED, CaseStatus.CLOSED}
    mp_status = dict(session.execute(select(MissingPerson.id, MissingPerson.status)).all())

    persons = session.scalars(select(PedigreePerson).order_by(PedigreePerson.family_id, PedigreePerson.id)).all()
    labels = {p.id: p.label for p in persons}
    by_family: dict[int, list[PedigreeMember]] = {}
    for p in persons:
        profile = donor_best.get(p.donor_id) if p.donor_id is not None else None
        mp_id = p.missing_person_id
        if mp_id is not None and CaseStatus(mp_status[mp_id]) in excluded:
            mp_id = None  # still a pedigree member, no longer a candidate
        by_family.setdefault(p.family_id, []).append(
            PedigreeMember(
                person_id=p.id,
                label=p.label,
                sex=Sex(p.sex).pedigree_code,
                father=labels.get(p.father_id) if p.father_id else None,
                mother=labels.get(p.mother_id) if p.mother_id else None,
                missing_person_id=mp_id,
                donor_id=p.donor_id,
                profile_id=profile[0] if profile else None,
                loci=_as_loci(profile[1]) if profile else None,
            )
        )
    codes = dict(session.execute(select(Family.id, Family.code)).all())
    families = tuple(
        FamilyInput(family_id, codes[family_id], tuple(members))
        for family_id, members in sorted(by_family.items())
        if any(m.missing_person_id is not None for m in members)
    )
    return MatchingInput(remains=tuple(remains), families=families)
