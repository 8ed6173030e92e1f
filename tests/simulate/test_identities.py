"""Identities of the missing agree with their families; agency reports cover every one of them."""

from __future__ import annotations

import numpy as np

from mpid.simulate import FamilyConfig, simulate_families
from mpid.simulate.identities import identities_for_family


def _masculine(family_name: str, sex: str) -> str:
    """Əliyeva → Əliyev for a woman's surname."""
    return family_name.removesuffix("a") if sex == "F" and family_name.endswith(("ova", "eva")) else family_name


def test_relatives_share_names_as_families_do() -> None:
    rng = np.random.default_rng(21)
    config = FamilyConfig(p_second_missing=0.8, p_third_missing=0.5)
    families = simulate_families(200, None, rng, config=config)
    checked = set()
    for family in families:
        people = {p.person_id: p for p in identities_for_family(family, rng)}
        assert list(people) == list(family.missing_ids)
        index = people[family.index_missing_id]
        for pid, person in people.items():
            facts = family.facts[pid]
            assert person.sex == ("M" if facts.sex == "male" else "F")
            assert person.birth_date.year == facts.birth_year
            assert person.birth_date <= person.missing_date
            assert _masculine(person.family_name, person.sex) == _masculine(index.family_name, index.sex)
            if facts.relationship == "brother":
                assert person.father_name == index.father_name and person.given_name != index.given_name
                checked.add("brother")
            if facts.relationship == "father":
                assert person.given_name == index.father_name
                checked.add("father")
            if facts.relationship == "son" and index.sex == "M":
                assert person.father_name == index.given_name
                checked.add("son")
    assert {"brother", "father"} <= checked
