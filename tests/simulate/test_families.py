"""Families: valid reference pedigrees, consistent roles, Mendelian genotypes, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from mpid.simulate import DEFAULT_KIT, FamilyConfig, SimulatedFamily, kit_frequencies, simulate_families


@pytest.fixture(scope="module")
def families() -> list[SimulatedFamily]:
    return simulate_families(400, None, np.random.default_rng(11), config=FamilyConfig(mutation_rate=0.0))


def test_pedigrees_are_valid(families: list[SimulatedFamily]) -> None:
    for family in families:
        seen: dict[str, str] = {}
        for member in family.members:
            assert member.id not in seen, "duplicate id"
            assert (member.father is None) == (member.mother is None), "both parents or none"
            if member.father is not None:
                assert seen[member.father] == "male" and seen[member.mother] == "female", "parents first, sexes"
            assert member.sex in ("male", "female")
            seen[member.id] = member.sex
        ids = set(seen)
        assert set(family.missing_ids) <= ids and set(family.donor_ids) <= ids
        assert not set(family.missing_ids) & set(family.donor_ids)
        assert set(family.reference_genotypes) == set(family.donor_ids)
        assert set(family.missing_genotypes) == set(family.missing_ids)
        assert family.facts[family.index_missing_id].relationship == "self"


def test_pruned_pedigree_has_no_useless_untyped_leaves(families: list[SimulatedFamily]) -> None:
    for family in families:
        needed = set(family.missing_ids) | set(family.donor_ids)
        parents = {p for m in family.members for p in (m.father, m.mother) if p}
        for member in family.members:
            assert member.id in needed or member.id in parents


def test_structure_is_regional(families: list[SimulatedFamily]) -> None:
    missing = [f.facts[i] for f in families for i in f.missing_ids]
    men = sum(p.sex == "male" for p in missing) / len(missing)
    assert 0.75 < men < 0.97
    assert any(len(f.missing_ids) > 1 for f in families), "some families lost several members"
    assert any(f.consanguineous for f in families), "first-cousin unions occur"
    relations = {f.facts[i].relationship for f in families for i in f.missing_ids}
    assert {"self", "brother", "father"} <= relations
    donors = [f.facts[i].relationship for f in families for i in f.donor_ids]
    assert donors.count("brother") + donors.count("sister") > donors.count("father")
    assert any(not f.donor_ids for f in families), "some families give no references"


def test_full_profiles_on_the_kit(families: list[SimulatedFamily]) -> None:
    assert len(DEFAULT_KIT.loci) == 23
    for family in families[:50]:
        for profile in [*family.reference_genotypes.values(), *family.missing_genotypes.values()]:
            assert tuple(profile) == DEFAULT_KIT.loci
            for a, b in profile.values():
                assert a is not None and b is not None


def test_mendelian_without_mutation(families: list[SimulatedFamily]) -> None:
    checked = 0
    for family in families:
        genotypes = {**family.reference_genotypes, **family.missing_genotypes}
        for member in family.members:
            if member.id not in genotypes:
                continue
            for parent in (member.father, member.mother):
                if parent in genotypes:
                    for locus, child_alleles in genotypes[member.id].items():
                        assert set(child_alleles) & set(genotypes[parent][locus])
                    checked += 1
    assert checked > 100


def test_same_seed_same_families() -> None:
    first = simulate_families(30, None, np.random.default_rng(5))
    second = simulate_families(30, None, np.random.default_rng(5))
    assert first == second
    assert simulate_families(30, None, np.random.default_rng(6)) != first


def test_accepts_table_name_mapping_and_kit_frequencies() -> None:
    kf = kit_frequencies("CODIS13_dvir_icmp")
    assert len(kf.loci) == 13
    family = simulate_families(1, kf, np.random.default_rng(1))[0]
    assert set(family.missing_genotypes[family.index_missing_id]) <= set(kf.loci)
    mapping = {"TH01": {"6": 0.5, "9.3": 0.5}}
    family = simulate_families(1, mapping, np.random.default_rng(1))[0]
    assert set(family.missing_genotypes[family.index_missing_id]) == {"TH01"}


def test_rng_is_required() -> None:
    with pytest.raises(ValueError):
        simulate_families(1)


def test_a_missing_brother_can_have_his_own_children_typed() -> None:
    """Two missing brothers are told apart by DNA only through references of one and not the other."""
    families = simulate_families(1500, None, np.random.default_rng(3),
                                 config=FamilyConfig(mutation_rate=0.0, p_second_missing=0.5))
    found = 0
    for family in families:
        by_id = {m.id: m for m in family.members}
        for pid in family.missing_ids[1:]:
            if family.facts[pid].relationship != "brother":
                continue
            own_children = [d for d in family.donor_ids if by_id[d].father == pid]
            assert all(family.facts[d].relationship in ("nephew", "niece") for d in own_children)
            found += bool(own_children)
    assert found > 10
