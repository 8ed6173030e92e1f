"""Families of the missing: three generations and more, consanguinity, who is missing, who gives samples.

Each family is built around one missing person (the *index* missing person). It holds:
grandparents (and, when the parents are first cousins, the great-grandparents they share),
the parents and their siblings, the index person's full siblings, and, for adults, a spouse
(sometimes a first cousin) and children. Sibship sizes follow the large families of the
region (1 + Poisson(3) children per couple by default). Sometimes a brother, the father or
a son is missing too.

Who can still give a reference sample depends on age at collection (old parents are often
dead) and on the relationship (siblings and children often, uncles seldom); spouses are
typed as connectors for the children. The reference pedigree handed to the lab is the family
pruned to the typed donors, the missing persons and the untyped persons that connect them.
:func:`followup_pool` draws the close relatives who did not give a sample but would if asked again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .genotypes import GenotypeProfile, drop_genes, profile_dict
from .kit import KitFrequencies, kit_frequencies

__all__ = [
    "FEMALE",
    "MALE",
    "FamilyConfig",
    "FollowupDonor",
    "PedigreeMember",
    "PersonFacts",
    "SimulatedFamily",
    "followup_pool",
    "simulate_families",
]

MALE, FEMALE = 1, 2
_SEX_NAME = {MALE: "male", FEMALE: "female"}


@dataclass(frozen=True)
class FamilyConfig:
    """Parameters of family structure, disappearance and sampling (defaults: Karabakh conflict)."""

    extra_children_mean: float = 3.0
    """Children per couple are 1 + Poisson(this), at most ``max_children``."""
    max_children: int = 10
    p_parents_first_cousins: float = 0.08
    p_spouse_first_cousin: float = 0.06
    p_index_child: float = 0.04
    """Chance the index missing person is a child (under 16)."""
    p_index_male: float = 0.88
    """Chance an adult index missing person is a man."""
    p_second_missing: float = 0.12
    p_third_missing: float = 0.2
    """Chance of a third missing person, given a second."""
    missing_years: tuple[int, int] = (1988, 1994)
    collection_year: int = 2023
    p_family_without_references: float = 0.08
    typing_probability: dict[str, float] = field(default_factory=lambda: {
        "father": 0.8, "mother": 0.85, "brother": 0.6, "sister": 0.6, "son": 0.7, "daughter": 0.7,
        "spouse": 0.7, "grandparent": 0.8, "uncle_aunt": 0.1, "other": 0.0,
    })
    """Chance a living relative in each role gives a sample (spouse: only when a child is typed)."""
    mutation_rate: float = 0.001
    """Stepwise mutation rate per meiosis and locus used in gene-dropping (0 = Mendelian only)."""
    p_followup_consent: float = 0.6
    """Chance a living, untyped close relative of a missing person gives a sample when the commission
    comes back to ask (times the chance of being alive); see :func:`followup_pool`."""


@dataclass(frozen=True)
class PedigreeMember:
    """One person of a reference pedigree: ``(id, father, mother, sex)``, sex ``male``/``female``."""

    id: str
    father: str | None
    mother: str | None
    sex: str


@dataclass(frozen=True)
class PersonFacts:
    """What the simulation knows of a missing person or donor (sex, birth year, relation)."""

    sex: str
    birth_year: int
    relationship: str
    """Relation to the family's index missing person (``self`` for that person)."""


@dataclass(frozen=True)
class SimulatedFamily:
    """A reference family: pedigree records, typed donors' genotypes, the missing and their true genotypes."""

    family_id: str
    members: tuple[PedigreeMember, ...]
    """The reference pedigree, parents before children."""
    missing_ids: tuple[str, ...]
    donor_ids: tuple[str, ...]
    reference_genotypes: dict[str, GenotypeProfile]
    missing_genotypes: dict[str, GenotypeProfile]
    facts: dict[str, PersonFacts]
    """For each missing person and donor."""
    missing_year: int
    consanguineous: bool

    @property
    def index_missing_id(self) -> str:
        """The missing person the family was built around."""
        return self.missing_ids[0]


@dataclass
class _Draft:
    """A family under construction: parallel lists, parents before children (local indices)."""

    family_id: str
    missing_year: int
    father: list[int] = field(default_factory=list)
    mother: list[int] = field(default_factory=list)
    sex: list[int] = field(default_factory=list)
    birth: list[int] = field(default_factory=list)
    role: list[str] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    typed: list[bool] = field(default_factory=list)
    consanguineous: bool = False
    gives_references: bool = True
    """False for a family that refused to give any sample (it is not asked again either)."""

    def add(self, father: int, mother: int, sex: int, birth: int, role: str) -> int:
        """Append a person and return its local index."""
        self.father.append(father)
        self.mother.append(mother)
        self.sex.append(sex)
        self.birth.append(birth)
        self.role.append(role)
        self.typed.append(False)
        return len(self.sex) - 1

    def person_id(self, local: int) -> str:
        """Global id of a family member."""
        return f"{self.family_id}-{local + 1:02d}"


def _gap(rng: np.random.Generator, mean: float, sd: float, low: int, high: int) -> int:
    """A generation gap or age, normal and clipped."""
    return min(high, max(low, round(rng.normal(mean, sd))))


def _random_sex(rng: np.random.Generator) -> int:
    return MALE if rng.random() < 0.51 else FEMALE


def _sibship(draft: _Draft, rng: np.random.Generator, config: FamilyConfig, father: int, mother: int,
             anchor_birth: int, roles: tuple[str, str], n: int | None = None) -> list[int]:
    """Add ``n`` (random if None) full siblings of a person born ``anchor_birth``, roles (male, female)."""
    if n is None:
        n = min(int(rng.poisson(config.extra_children_mean)), config.max_children - 1)
    added = []
    for _ in range(n):
        sex = _random_sex(rng)
        birth = anchor_birth + min(14, max(-14, round(rng.normal(0, 6))))
        added.append(draft.add(father, mother, sex, birth, roles[0] if sex == MALE else roles[1]))
    return added


def _index_age(rng: np.random.Generator, config: FamilyConfig) -> tuple[int, int]:
    """Sex and age at disappearance of the index missing person."""
    if rng.random() < config.p_index_child:
        return _random_sex(rng), int(rng.integers(2, 16))
    if rng.random() < config.p_index_male:
        return MALE, _gap(rng, 31, 10, 17, 75)
    return FEMALE, _gap(rng, 40, 15, 17, 85)


def _build_draft(family_id: str, rng: np.random.Generator, config: FamilyConfig) -> _Draft:
    """Draw one family's structure, its missing persons and who gives samples."""
    year = int(rng.integers(config.missing_years[0], config.missing_years[1] + 1))
    d = _Draft(family_id, year)
    sex, age = _index_age(rng, config)
    b = year - age
    fb = b - _gap(rng, 29, 6, 19, 50)
    mb = b - _gap(rng, 25, 5, 17, 42)
    gp_births = [fb - _gap(rng, 29, 6, 19, 50), fb - _gap(rng, 25, 5, 17, 42),
                 mb - _gap(rng, 29, 6, 19, 50), mb - _gap(rng, 25, 5, 17, 42)]
    gp_sex = [MALE, FEMALE, MALE, FEMALE]
    gp_roles = ["paternal_grandfather", "paternal_grandmother",
                "maternal_grandfather", "maternal_grandmother"]
    gp_parents = [(-1, -1)] * 4
    if rng.random() < config.p_parents_first_cousins:
        # One paternal and one maternal grandparent are full siblings: the parents are first cousins.
        d.consanguineous = True
        pair = (int(rng.integers(0, 2)), 2 + int(rng.integers(0, 2)))
        oldest = min(gp_births[pair[0]], gp_births[pair[1]])
        ggf = d.add(-1, -1, MALE, oldest - _gap(rng, 30, 6, 19, 50), "great_grandfather")
        ggm = d.add(-1, -1, FEMALE, oldest - _gap(rng, 26, 5, 17, 42), "great_grandmother")
        for i in pair:
            gp_parents[i] = (ggf, ggm)
    gp = [d.add(*gp_parents[i], gp_sex[i], gp_births[i], gp_roles[i]) for i in range(4)]
    father = d.add(gp[0], gp[1], MALE, fb, "father")
    paternal_sibs = _sibship(d, rng, config, gp[0], gp[1], fb, ("paternal_uncle", "paternal_aunt"))
    mother = d.add(gp[2], gp[3], FEMALE, mb, "mother")
    _sibship(d, rng, config, gp[2], gp[3], mb, ("maternal_uncle", "maternal_aunt"))
    index = d.add(father, mother, sex, b, "self")
    siblings = _sibship(d, rng, config, father, mother, b, ("brother", "sister"))
    children: list[int] = []
    married = age >= 20 and rng.random() < (0.85 if age >= 25 else 0.4)
    if married:
        spouse_sex = FEMALE if sex == MALE else MALE
        spouse_birth = b + (_gap(rng, 4, 3, -2, 15) if sex == MALE else -_gap(rng, 4, 3, -2, 15))
        uncles = [i for i in paternal_sibs if d.sex[i] == MALE]
        if uncles and rng.random() < config.p_spouse_first_cousin:
            d.consanguineous = True
            uncle = uncles[int(rng.integers(0, len(uncles)))]
            aunt_by_marriage = d.add(-1, -1, FEMALE, d.birth[uncle] - 3, "paternal_uncle_wife")
            spouse_role = "wife_first_cousin" if spouse_sex == FEMALE else "husband_first_cousin"
            spouse = d.add(uncle, aunt_by_marriage, spouse_sex, spouse_birth, spouse_role)
        else:
            spouse = d.add(-1, -1, spouse_sex, spouse_birth, "wife" if spouse_sex == FEMALE else "husband")
        wanted = 1 + int(rng.poisson(config.extra_children_mean * 0.7))
        mother_birth = b if sex == FEMALE else spouse_birth
        t = b + _gap(rng, 23, 3, 18, 35)
        dad, mum = (index, spouse) if sex == MALE else (spouse, index)
        while len(children) < wanted and t <= year and t - mother_birth <= 45:
            child_sex = _random_sex(rng)
            children.append(d.add(dad, mum, child_sex, t, "son" if child_sex == MALE else "daughter"))
            t += 1 + int(rng.poisson(1.5))
    d.missing = [index]
    _add_co_missing(d, rng, config, father, siblings, children)
    # Drawn from a spawned stream, so the rest of the family (and every later one) is as without them.
    own_rng = rng.spawn(1)[0]
    gives_references = _choose_donors(d, rng, config, spouse if married else -1, children)
    d.gives_references = gives_references
    _add_families_of_co_missing_brothers(d, own_rng, config, gives_references)
    return d


def _add_families_of_co_missing_brothers(d: _Draft, rng: np.random.Generator, config: FamilyConfig,
                                         gives_references: bool) -> None:
    """A missing brother's own wife and children, who may give samples for him.

    Without them two missing brothers are the same to DNA (every typed relative is related to both
    alike); a commission therefore asks each missing man's children, with their mother as connector.
    """
    for brother in [m for m in d.missing if d.role[m] == "brother"]:
        age = d.missing_year - d.birth[brother]
        if age < 20 or rng.random() >= (0.85 if age >= 25 else 0.4):
            continue
        wife_birth = d.birth[brother] + _gap(rng, 4, 3, -2, 15)
        wife = d.add(-1, -1, FEMALE, wife_birth, "sister_in_law")
        wanted = 1 + int(rng.poisson(config.extra_children_mean * 0.7))
        kids: list[int] = []
        t = d.birth[brother] + _gap(rng, 23, 3, 18, 35)
        while len(kids) < wanted and t <= d.missing_year and t - wife_birth <= 45:
            sex = _random_sex(rng)
            kids.append(d.add(brother, wife, sex, t, "nephew" if sex == MALE else "niece"))
            t += 1 + int(rng.poisson(1.5))
        if not gives_references:
            continue
        for kid in kids:
            p_alive = _p_alive(config, d.birth[kid])
            group = "son" if d.sex[kid] == MALE else "daughter"  # the missing man's own children
            d.typed[kid] = bool(rng.random() < p_alive * config.typing_probability[group])
        if any(d.typed[k] for k in kids):
            p_alive = _p_alive(config, wife_birth)
            d.typed[wife] = bool(rng.random() < p_alive * config.typing_probability["spouse"])


def _add_co_missing(d: _Draft, rng: np.random.Generator, config: FamilyConfig, father: int,
                    siblings: list[int], children: list[int]) -> None:
    """Sometimes a brother, the father or a son went missing with the index person."""
    if rng.random() >= config.p_second_missing:
        return
    for round_ in range(2):
        if round_ == 1 and rng.random() >= config.p_third_missing:
            return
        candidates: list[tuple[int, float]] = []
        candidates += [(s, 0.65) for s in siblings
                       if d.sex[s] == MALE and d.missing_year - d.birth[s] >= 15 and s not in d.missing]
        if d.missing_year - d.birth[father] <= 75 and father not in d.missing:
            candidates.append((father, 0.2))
        candidates += [(c, 0.15) for c in children
                       if d.sex[c] == MALE and d.missing_year - d.birth[c] >= 14 and c not in d.missing]
        if not candidates:
            return
        weights = np.array([w for _, w in candidates])
        pick = int(rng.choice(len(candidates), p=weights / weights.sum()))
        d.missing.append(candidates[pick][0])


def _p_alive(config: FamilyConfig, birth: int) -> float:
    """Chance a relative born in ``birth`` is alive at sample collection (all under 55; none at 95)."""
    age_now = config.collection_year - birth
    return 1.0 if age_now < 55 else max(0.0, (95 - age_now) / 40)


def _role_group(role: str) -> str:
    """The typing-probability group of a relationship."""
    if role.endswith("grandfather") or role.endswith("grandmother"):
        return "grandparent"
    if role.startswith(("paternal_uncle", "paternal_aunt", "maternal_uncle", "maternal_aunt")):
        return "other" if role == "paternal_uncle_wife" else "uncle_aunt"
    if role in ("wife", "husband", "wife_first_cousin", "husband_first_cousin"):
        return "spouse"
    return role if role in ("father", "mother", "brother", "sister", "son", "daughter") else "other"


def _choose_donors(d: _Draft, rng: np.random.Generator, config: FamilyConfig, spouse: int,
                   children: list[int]) -> bool:
    """Mark the living relatives who give a reference sample; False for a family that gives none."""
    if rng.random() < config.p_family_without_references:
        return False
    missing = set(d.missing)
    for i, role in enumerate(d.role):
        if i in missing or i == spouse:
            continue
        p_alive = _p_alive(config, d.birth[i])
        p_typed = config.typing_probability.get(_role_group(role), 0.0)
        d.typed[i] = bool(rng.random() < p_alive * p_typed)
    if spouse >= 0 and any(d.typed[c] for c in children):
        p_alive = _p_alive(config, d.birth[spouse])
        d.typed[spouse] = bool(rng.random() < p_alive * config.typing_probability["spouse"])
    return True


@dataclass(frozen=True)
class FollowupDonor:
    """A living relative who did not give a sample but would if the commission asked.

    ``relative_of`` is the first missing person (in the family's order) the donor is directly
    related to, ``relationship`` the donor's relation to him (``father``, ``mother``, ``brother``,
    ``sister``, ``son``, ``daughter``, ``partner``); ``relations`` lists every missing person the
    donor is a ``parent``, ``child``, ``full_sibling`` or ``spouse`` of (the truth of the pool).
    """

    local: int
    """Index of the donor in the draft (row of the family's gene-dropped genotypes)."""
    person_id: str
    sex: str
    relative_of: str
    relationship: str
    relations: tuple[tuple[str, str], ...]
    """``(missing person id, parent/child/full_sibling/spouse)`` pairs, in the family's missing order."""


def _direct_relation(d: _Draft, i: int, m: int, partners: set[tuple[int, int]]) -> str | None:
    """What ``i`` is to ``m`` (parent, child, full_sibling, spouse) or None when not directly related."""
    if d.father[m] == i or d.mother[m] == i:
        return "parent"
    if d.father[i] == m or d.mother[i] == m:
        return "child"
    if i != m and d.father[i] >= 0 and d.mother[i] >= 0 and (d.father[i], d.mother[i]) == (d.father[m], d.mother[m]):
        return "full_sibling"
    if (min(i, m), max(i, m)) in partners:
        return "spouse"
    return None


def _relationship_word(relation: str, sex: int) -> str:
    """The word a liaison officer records for a direct relation, by the donor's sex."""
    if relation == "spouse":
        return "partner"
    male = sex == MALE
    return {"parent": ("father", "mother"), "child": ("son", "daughter"),
            "full_sibling": ("brother", "sister")}[relation][0 if male else 1]


def followup_pool(d: _Draft, rng: np.random.Generator, config: FamilyConfig) -> list[FollowupDonor]:
    """The untyped living parents, children, full siblings and partners of the missing who would give a sample.

    Pre-drawn so that a "who to ask next" policy can be tested against a fixed truth. A family that
    refused every sample gives none (no draw); otherwise one uniform is drawn per candidate, in member
    order, and the candidate is in the pool with chance ``p_alive × config.p_followup_consent``.
    """
    if not d.gives_references:
        return []
    missing = set(d.missing)
    # Partners: the two parents of some member (sorted pair), the spouse meaning of truth/persons.csv.
    partners = {(min(f, m), max(f, m)) for f, m in zip(d.father, d.mother, strict=True) if f >= 0 and m >= 0}
    pool = []
    for i in range(len(d.sex)):
        if d.typed[i] or i in missing:
            continue
        relations = [(m, r) for m in d.missing if (r := _direct_relation(d, i, m, partners)) is not None]
        if not relations:
            continue
        u = rng.random()
        if u >= _p_alive(config, d.birth[i]) * config.p_followup_consent:
            continue
        first, relation = relations[0]
        pool.append(FollowupDonor(
            local=i, person_id=d.person_id(i), sex=_SEX_NAME[d.sex[i]], relative_of=d.person_id(first),
            relationship=_relationship_word(relation, d.sex[i]),
            relations=tuple((d.person_id(m), r) for m, r in relations),
        ))
    return pool


def _prune(d: _Draft) -> list[int]:
    """Local indices of the reference pedigree: donors, missing and the untyped who connect them."""
    n = len(d.sex)
    keep = np.ones(n, dtype=bool)
    needed = np.array(d.typed, dtype=bool)
    needed[d.missing] = True
    father = np.array(d.father)
    mother = np.array(d.mother)
    is_founder = father < 0
    changed = True
    while changed:
        changed = False
        n_children = np.zeros(n, dtype=np.int64)
        kept_children = np.flatnonzero(keep & ~is_founder)
        np.add.at(n_children, father[kept_children], 1)
        np.add.at(n_children, mother[kept_children], 1)
        leaves = keep & ~needed & (n_children == 0)
        if leaves.any():
            keep &= ~leaves
            changed = True
            continue
        # An untyped founder couple with a single kept child: drop both, the child becomes a founder.
        for child in kept_children:
            f, m = father[child], mother[child]
            if (is_founder[f] and is_founder[m] and not needed[f] and not needed[m]
                    and n_children[f] == 1 and n_children[m] == 1):
                keep[f] = keep[m] = False
                is_founder[child] = True
                changed = True
    return [int(i) for i in np.flatnonzero(keep)]


def _finalise(d: _Draft, genotypes: np.ndarray, kf: KitFrequencies) -> SimulatedFamily:
    """Turn a draft and its genotypes into the public family record."""
    kept = _prune(d)
    kept_set = set(kept)
    members = []
    for i in kept:
        has_parents = d.father[i] >= 0 and d.father[i] in kept_set and d.mother[i] in kept_set
        members.append(PedigreeMember(
            d.person_id(i),
            d.person_id(d.father[i]) if has_parents else None,
            d.person_id(d.mother[i]) if has_parents else None,
            _SEX_NAME[d.sex[i]],
        ))
    donors = [i for i in kept if d.typed[i]]
    facts = {
        d.person_id(i): PersonFacts(_SEX_NAME[d.sex[i]], d.birth[i], d.role[i]) for i in d.missing + donors
    }
    return SimulatedFamily(
        family_id=d.family_id,
        members=tuple(members),
        missing_ids=tuple(d.person_id(i) for i in d.missing),
        donor_ids=tuple(d.person_id(i) for i in donors),
        reference_genotypes={d.person_id(i): profile_dict(kf, genotypes[i]) for i in donors},
        missing_genotypes={d.person_id(i): profile_dict(kf, genotypes[i]) for i in d.missing},
        facts=facts,
        missing_year=d.missing_year,
        consanguineous=d.consanguineous,
    )


def _simulate_drafts(n_families: int, first_number: int, kf: KitFrequencies, rng: np.random.Generator,
                     config: FamilyConfig) -> tuple[list[_Draft], list[np.ndarray]]:
    """Build ``n_families`` drafts and gene-drop through all of them at once."""
    drafts = [_build_draft(f"FAM{first_number + k:06d}", rng, config) for k in range(n_families)]
    offsets = np.cumsum([0] + [len(d.sex) for d in drafts])
    father = np.concatenate([np.where(np.array(d.father) >= 0, np.array(d.father) + o, -1)
                             for d, o in zip(drafts, offsets, strict=False)]) if drafts else np.empty(0, int)
    mother = np.concatenate([np.where(np.array(d.mother) >= 0, np.array(d.mother) + o, -1)
                             for d, o in zip(drafts, offsets, strict=False)]) if drafts else np.empty(0, int)
    genotypes = drop_genes(father, mother, kf, rng, config.mutation_rate)
    return drafts, [genotypes[offsets[k]:offsets[k + 1]] for k in range(len(drafts))]


def simulate_families(n_families: int, freq_table: object = None, rng: np.random.Generator | None = None, *,
                      config: FamilyConfig | None = None, first_number: int = 1) -> list[SimulatedFamily]:
    """Simulate ``n_families`` reference families with genotypes (pure Python, no files).

    ``freq_table`` is a built-in table name, a ``FrequencyTable``, a ``{locus: {allele: f}}``
    mapping or a :class:`KitFrequencies` (default: the Norwegian table, PowerPlex Fusion 6C, 23 loci).
    Family ids are ``FAM000001``…; person ids ``FAM000001-07``.
    """
    if rng is None:
        raise ValueError("pass a seeded numpy.random.Generator (no global random state)")
    kf = freq_table if isinstance(freq_table, KitFrequencies) else kit_frequencies(freq_table)
    config = config or FamilyConfig()
    drafts, genotypes = _simulate_drafts(n_families, first_number, kf, rng, config)
    return [_finalise(d, g, kf) for d, g in zip(drafts, genotypes, strict=True)]
