"""The multi-agency generator is seeded, keeps the truth apart and writes in three scripts."""

from __future__ import annotations

import random
import re

from mpid.simulate.agencies import (
    DEDUPE_COLUMNS,
    AgencyReport,
    NoiseLevels,
    PersonIdentity,
    generate_agency_reports,
    generate_person_identities,
)
from mpid.simulate.names import MALE_GIVEN_NAMES, az_to_english, az_to_russian, patronymic_text, russian_to_english


def test_seeded_and_reproducible() -> None:
    first = generate_agency_reports(generate_person_identities(50, random.Random(1)), random.Random(2))
    second = generate_agency_reports(generate_person_identities(50, random.Random(1)), random.Random(2))
    assert first == second


def test_every_person_reported_and_truth_kept_apart() -> None:
    rng = random.Random(3)
    persons = generate_person_identities(200, rng)
    assert all(isinstance(p, PersonIdentity) for p in persons)
    assert len({p.person_id for p in persons}) == 200
    reports = generate_agency_reports(persons, rng)
    assert all(isinstance(r, AgencyReport) for r in reports)
    assert {r.true_person_id for r in reports} == {p.person_id for p in persons}
    assert len({r.record_id for r in reports}) == len(reports)
    row = reports[0].as_row()
    assert tuple(row) == DEDUPE_COLUMNS
    assert "true_person_id" not in row


def test_three_scripts_and_partial_dates() -> None:
    rng = random.Random(4)
    reports = generate_agency_reports(generate_person_identities(600, rng), rng)
    by_source = {source: [r for r in reports if r.source == source] for source in ("state_commission", "icrc", "ngo")}
    assert any(re.search("[əşçğıöü]", r.family_name + r.given_name) for r in by_source["state_commission"])
    assert all(re.fullmatch(r"[A-Za-z .'-]*", r.family_name) for r in by_source["icrc"])
    assert sum(bool(re.search("[а-яА-Я]", r.family_name)) for r in by_source["ngo"]) > 0.9 * len(by_source["ngo"])
    dates = [r.birth_date for r in reports]
    assert any(len(d) == 4 for d in dates) and any(len(d) == 7 for d in dates) and "" in dates
    assert any(r.patronymic.endswith(("оглы", "ович", "евич")) for r in by_source["ngo"])


def test_noise_can_be_switched_off() -> None:
    rng = random.Random(5)
    quiet = NoiseLevels(typo=0, missing_patronymic=0, missing_sex=0, missing_birth_date=0, missing_birth_place=0,
                        missing_missing_date=0, missing_missing_place=0, birth_year_error=0, missing_date_shift=0,
                        swapped_names=0, within_agency_duplicate=0, given_initial_only=0, wrong_place=0,
                        wrong_sex=0)
    reports = generate_agency_reports(generate_person_identities(100, rng), rng, noise=quiet,
                                      coverage={"state_commission": 1.0, "icrc": 0.0, "ngo": 0.0})
    assert len(reports) == 100
    assert all(r.patronymic and r.sex and r.birth_date for r in reports)


def test_transliterations() -> None:
    assert az_to_english("Cəfərov") == "Jafarov"
    assert russian_to_english("Джафаров") == "Dzhafarov"
    assert az_to_russian("Məmmədov") == "Маммадов"
    father = next(f for f in MALE_GIVEN_NAMES if f.az == "Əli")
    assert patronymic_text(father, "M", "az", random.Random(0)) == "Əli oğlu"
    assert patronymic_text(father, "F", "az", random.Random(0)) == "Əli qızı"
