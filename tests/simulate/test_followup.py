"""Follow-up reference pools: who would give a sample if asked, and the three files that hold them."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from mpid.formats.genemapper import parse_genemapper
from mpid.simulate import PRESETS, FamilyConfig, write_scenario
from mpid.simulate.families import (
    FEMALE,
    MALE,
    _direct_relation,
    _Draft,
    _finalise,
    _simulate_drafts,
    followup_pool,
)
from mpid.simulate.kit import kit_frequencies
from mpid.simulate.scenario import _typed_relatives

FOLLOWUP_FILES = ("followup/references.csv", "followup/reference_samples_followup.txt",
                  "truth/followup_donors.csv")


def _toy_draft() -> _Draft:
    """Two missing (the index man and his father), every kind of direct relative, and some who are not."""
    d = _Draft("FAM000009", 1992)
    gf = d.add(-1, -1, MALE, 1975, "paternal_grandfather")          # 0: father of the missing father
    gm = d.add(-1, -1, FEMALE, 1975, "paternal_grandmother")        # 1: mother of the missing father
    fa = d.add(gf, gm, MALE, 1980, "father")                        # 2: missing
    d.add(gf, gm, MALE, 1980, "paternal_uncle")                     # 3: brother of the missing father
    mo = d.add(-1, -1, FEMALE, 1980, "mother")                      # 4: mother of 5, partner of 2
    index = d.add(fa, mo, MALE, 1985, "self")                       # 5: missing
    d.add(fa, mo, MALE, 1985, "brother")                            # 6: brother of 5, son of 2
    d.add(fa, mo, FEMALE, 1985, "sister")                           # 7: typed
    wife = d.add(-1, -1, FEMALE, 1985, "wife")                      # 8: partner of 5
    d.add(index, wife, MALE, 1990, "son")                           # 9: son of 5 (grandson of 2)
    d.add(index, wife, FEMALE, 1990, "daughter")                    # 10: typed
    other = d.add(-1, -1, FEMALE, 1930, "other_woman")              # 11: partner of 2 (mother of 12)
    d.add(fa, other, MALE, 1986, "half_brother")                    # 12: son of 2, not a full sibling of 5
    aunt = d.add(-1, -1, FEMALE, 1980, "paternal_uncle_wife")       # 13: not directly related
    d.add(3, aunt, MALE, 1990, "first_cousin")                      # 14: not directly related
    d.missing = [index, fa]
    d.typed[7] = d.typed[10] = True
    return d


EXPECTED = {  # local index: (relative_of local, word, relations)
    0: (2, "father", ((2, "parent"),)),
    1: (2, "mother", ((2, "parent"),)),
    3: (2, "brother", ((2, "full_sibling"),)),
    4: (5, "mother", ((5, "parent"), (2, "spouse"))),
    6: (5, "brother", ((5, "full_sibling"), (2, "child"))),
    8: (5, "partner", ((5, "spouse"),)),
    9: (5, "son", ((5, "child"),)),
    11: (2, "partner", ((2, "spouse"),)),
    12: (2, "son", ((2, "child"),)),
}


def test_pool_of_a_hand_built_family_has_the_right_relatives_and_words() -> None:
    d = _toy_draft()
    pool = followup_pool(d, np.random.default_rng(0), FamilyConfig(p_followup_consent=1.0, collection_year=2000))
    got = {p.local: p for p in pool}
    # 7 and 10 are typed, 2 and 5 missing, 13 and 14 not directly related; 11 (aged 70) is alive with 0.625.
    assert set(got) <= set(EXPECTED)
    assert {0, 1, 3, 4, 6, 8, 9, 12} <= set(got)
    for i, donor in got.items():
        relative, word, relations = EXPECTED[i]
        assert donor.person_id == d.person_id(i)
        assert donor.relative_of == d.person_id(relative)
        assert donor.relationship == word
        assert donor.relations == tuple((d.person_id(m), r) for m, r in relations)
        assert donor.sex == ("male" if d.sex[i] == MALE else "female")


def test_one_draw_per_candidate_in_member_order() -> None:
    d = _toy_draft()
    config = FamilyConfig(p_followup_consent=0.5, collection_year=2000)
    pool = followup_pool(d, np.random.default_rng(5), config)
    draws = np.random.default_rng(5).random(len(EXPECTED))
    p_alive = {i: 1.0 if 2000 - d.birth[i] < 55 else max(0.0, (95 - (2000 - d.birth[i])) / 40) for i in EXPECTED}
    expected = [i for i, u in zip(sorted(EXPECTED), draws, strict=True) if u < p_alive[i] * 0.5]
    assert [p.local for p in pool] == expected
    assert 0 < len(expected) < len(EXPECTED), "the seed should keep some and drop some"


def test_dead_relatives_and_refusing_families_give_nobody() -> None:
    d = _toy_draft()
    config = FamilyConfig(p_followup_consent=1.0, collection_year=2080)  # parents' generation over 95
    pool = followup_pool(d, np.random.default_rng(0), config)
    assert all(2080 - d.birth[p.local] < 95 for p in pool)
    assert {p.local for p in pool} <= {9, 12}
    assert followup_pool(d, np.random.default_rng(0), FamilyConfig(p_followup_consent=0.0)) == []
    d.gives_references = False
    rng = np.random.default_rng(0)
    assert followup_pool(d, rng, FamilyConfig(p_followup_consent=1.0)) == []
    assert rng.random() == np.random.default_rng(0).random(), "a refusing family uses no draw"


@pytest.fixture(scope="module")
def drafts() -> tuple[list[_Draft], list[np.ndarray]]:
    return _simulate_drafts(400, 1, kit_frequencies(None), np.random.default_rng(3), FamilyConfig())


def test_pools_of_simulated_families(drafts: tuple[list[_Draft], list[np.ndarray]]) -> None:
    config = FamilyConfig()
    rng = np.random.default_rng(8)
    words = {"parent": ("father", "mother"), "child": ("son", "daughter"), "full_sibling": ("brother", "sister")}
    seen: set[str] = set()
    for d in drafts[0]:
        if not d.gives_references:
            assert not any(d.typed), "a family recorded as refusing has no donor"
        pool = followup_pool(d, rng, config)
        assert d.gives_references or not pool
        for donor in pool:
            i = donor.local
            assert not d.typed[i] and i not in d.missing
            assert config.collection_year - d.birth[i] < 95, "alive-eligible"
            first = d.person_id(d.missing[[d.person_id(m) for m in d.missing].index(donor.relative_of)])
            assert donor.relations[0][0] == first == donor.relative_of
            relation = donor.relations[0][1]
            expected = "partner" if relation == "spouse" else words[relation][0 if d.sex[i] == MALE else 1]
            assert donor.relationship == expected
            seen.add(donor.relationship)
    assert seen == {"father", "mother", "brother", "sister", "son", "daughter", "partner"}
    assert any(not d.gives_references for d in drafts[0])


def test_relations_are_those_persons_csv_counts(drafts: tuple[list[_Draft], list[np.ndarray]]) -> None:
    """Counting typed donors with the pool's relation gives truth/persons.csv's typed_* columns."""
    kf = kit_frequencies(None)
    order = ("parent", "child", "full_sibling", "spouse")
    for d, genotypes in zip(*drafts, strict=True):
        family = _finalise(d, genotypes, kf)
        partners = {(min(f, m), max(f, m)) for f, m in zip(d.father, d.mother, strict=True) if f >= 0 and m >= 0}
        for m in d.missing:
            counts = dict.fromkeys(order, 0)
            for i in range(len(d.sex)):
                if d.typed[i] and (r := _direct_relation(d, i, m, partners)) is not None:
                    counts[r] += 1
            assert tuple(counts[r] for r in order) == _typed_relatives(family, d.person_id(m)), d.family_id


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# Small batches, so that the follow-up GeneMapper table is written across several batches.
SMALL = dataclasses.replace(PRESETS["small"], families_per_batch=12)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("followup")
    return out, write_scenario(SMALL, 7, out)


def test_followup_files_agree_with_each_other(scenario: tuple[Path, object]) -> None:
    out, summary = scenario
    lines = (out / "followup" / "references.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "family_id,donor_id,sample_barcode,sex,relative_of,relationship"
    truth_lines = (out / "truth" / "followup_donors.csv").read_text(encoding="utf-8").splitlines()
    assert truth_lines[0] == "family_id,donor_id,sample_barcode,missing_person_id,relation"
    refs = _csv(out / "followup" / "references.csv")
    truth = _csv(out / "truth" / "followup_donors.csv")
    assert len(refs) == summary.followup_donors > 20
    assert len({r["sample_barcode"] for r in refs}) == len({r["donor_id"] for r in refs}) == len(refs)
    by_barcode = {r["sample_barcode"]: r for r in refs}
    assert {t["sample_barcode"] for t in truth} == set(by_barcode)
    word = {"parent": {"father", "mother"}, "child": {"son", "daughter"}, "full_sibling": {"brother", "sister"},
            "spouse": {"partner"}}
    for t in truth:
        ref = by_barcode[t["sample_barcode"]]
        assert (t["family_id"], t["donor_id"]) == (ref["family_id"], ref["donor_id"])
        assert t["relation"] in word
        if t["missing_person_id"] == ref["relative_of"]:
            assert ref["relationship"] in word[t["relation"]]
    assert {(r["sample_barcode"], r["relative_of"]) for r in refs} <= {
        (t["sample_barcode"], t["missing_person_id"]) for t in truth}
    assert all(r["sex"] in ("male", "female") for r in refs)
    assert {r["relationship"] for r in refs} <= {"father", "mother", "brother", "sister", "son", "daughter",
                                                 "partner"}

    records = parse_genemapper(out / "followup" / "reference_samples_followup.txt")
    assert sorted(r.sample_id for r in records) == sorted(by_barcode)
    assert (out / "followup" / "reference_samples_followup.txt").read_text(encoding="utf-8").count("Sample Name") == 1
    first_round = parse_genemapper(out / "lab" / "reference_samples_001.txt")
    assert all(set(r.loci) == set(first_round[0].loci) for r in records), "same loci as first-round references"
    manifest = json.loads((out / "scenario.json").read_text(encoding="utf-8"))
    assert set(FOLLOWUP_FILES) <= set(manifest["files"])
    assert manifest["counts"]["followup_donors"] == len(refs)


def test_followup_donors_are_new_and_related_to_the_missing(scenario: tuple[Path, object]) -> None:
    out, _ = scenario
    families = {f["family_id"]: f for f in json.loads((out / "families.json").read_text(encoding="utf-8"))}
    refs = _csv(out / "followup" / "references.csv")
    first_round = {r.sample_id for p in (out / "lab").glob("reference_samples_*.txt") for r in parse_genemapper(p)}
    assert not first_round & {r["sample_barcode"] for r in refs}
    assert not any(p.match("lab/reference_samples_*.txt") for p in (out / "followup").iterdir())
    for r in refs:
        family = families[r["family_id"]]
        # (A family with no donor may still have a pool: it agreed, but nobody it was asked for could give.)
        assert r["donor_id"] not in {d["id"] for d in family["donors"]}
        assert r["relative_of"] in {m["id"] for m in family["missing_persons"]}
        assert r["donor_id"].startswith(r["family_id"] + "-")
    # Genotypes are the donor's own: parents and children share an allele with the missing person at
    # (nearly) every locus; mutation may break one.
    missing_profiles = {r.sample_id: r.loci for r in parse_genemapper(out / "truth" / "missing_persons_profiles.txt")}
    profiles = {r.sample_id: r.loci for r in parse_genemapper(out / "followup" / "reference_samples_followup.txt")}
    checked = 0
    for t in _csv(out / "truth" / "followup_donors.csv"):
        if t["relation"] in ("parent", "child"):
            mine, theirs = profiles[t["sample_barcode"]], missing_profiles[t["missing_person_id"]]
            unshared = sum(not set(mine[locus]) & set(theirs[locus]) for locus in theirs)
            assert unshared <= 1, t
            checked += 1
    assert checked > 5


def test_first_round_files_do_not_depend_on_the_pool(scenario: tuple[Path, object], tmp_path: Path) -> None:
    out, _ = scenario
    family = dataclasses.replace(SMALL.family, p_followup_consent=0.0)
    write_scenario(dataclasses.replace(SMALL, family=family), 7, tmp_path)
    with_pool, without = _files(out), _files(tmp_path)
    assert with_pool.keys() == without.keys()
    changed = {name for name in with_pool if with_pool[name] != without[name]}
    assert changed == {*FOLLOWUP_FILES, "scenario.json"}
    assert _csv(tmp_path / "followup" / "references.csv") == []
    assert parse_genemapper(tmp_path / "followup" / "reference_samples_followup.txt") == []


# md5 of first-round files of `small`, seed 1, written before follow-up pools existed. A pool drawn from
# a first-round random stream changes them even when the pool itself is empty. Update these only when the
# first-round simulation is changed on purpose.
FIRST_ROUND_MD5 = {
    "families.json": "d2907a4e18e915a94e22635dd0f1d4d8",
    "lab/reference_samples_001.txt": "b9cc67e601ca35c798e6ba4f0b5ee48c",
    "truth/missing_persons_profiles.txt": "4b406938c1366c6cb124e8bfebdc976e",
    "truth/persons.csv": "58f0e31990314bd4390a46b31360560d",
    "truth/reports.csv": "3461c50d47a2ca3510eb4416919538a9",
    "truth/samples.csv": "e65527f29c764b4c3880153a35af1b7c",
}


def test_first_round_files_are_those_written_before_the_pools(tmp_path: Path) -> None:
    write_scenario("small", 1, tmp_path)
    got = {name: hashlib.md5((tmp_path / name).read_bytes()).hexdigest() for name in FIRST_ROUND_MD5}
    assert got == FIRST_ROUND_MD5


def test_same_seed_same_pool(drafts: tuple[list[_Draft], list[np.ndarray]]) -> None:
    config = FamilyConfig()
    first = [followup_pool(d, np.random.default_rng(4), config) for d in drafts[0][:50]]
    again = [followup_pool(d, np.random.default_rng(4), config) for d in drafts[0][:50]]
    other = [followup_pool(d, np.random.default_rng(5), config) for d in drafts[0][:50]]
    assert first == again != other
