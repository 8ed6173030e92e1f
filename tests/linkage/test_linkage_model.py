"""The Splink model trained without labels finds the duplicates of a synthetic list."""

from __future__ import annotations

import json
import random
from collections import Counter

import pandas as pd
import pytest

from mpid.linkage.model import (
    DEFAULT_THRESHOLD,
    PartialDate,
    build_settings,
    deduplicate,
    parse_partial_date,
    prepare_records,
)
from mpid.simulate.agencies import generate_agency_reports, generate_person_identities


def pairwise(truth: dict[str, str], predicted: dict[str, str]) -> tuple[float, float]:
    def pairs(counts: Counter) -> int:
        return sum(v * (v - 1) // 2 for v in counts.values())

    both = pairs(Counter((predicted[r], truth[r]) for r in truth))
    return both / max(pairs(Counter(predicted.values())), 1), both / max(pairs(Counter(truth.values())), 1)


@pytest.fixture(scope="module")
def synthetic() -> tuple[pd.DataFrame, dict[str, str]]:
    rng = random.Random(11)
    reports = generate_agency_reports(generate_person_identities(900, rng), rng)
    frame = pd.DataFrame([r.as_row() for r in reports])
    return frame, {r.record_id: r.true_person_id for r in reports}


@pytest.fixture(scope="module")
def result(synthetic):
    frame, _ = synthetic
    return deduplicate(frame)


def test_one_row_per_record_in_input_order(synthetic, result) -> None:
    frame, _ = synthetic
    assert result.clusters["record_id"].tolist() == frame["record_id"].tolist()
    assert result.clusters["person_id"].str.startswith("PERSON-").all()


def test_precision_and_recall_on_a_small_list(synthetic, result) -> None:
    _, truth = synthetic
    precision, recall = pairwise(truth, dict(zip(result.clusters.record_id, result.clusters.person_id, strict=True)))
    assert precision >= 0.97
    assert recall >= 0.93


def test_trained_model_is_json_and_reusable(synthetic, result) -> None:
    frame, truth = synthetic
    text = json.dumps(result.settings)
    settings = json.loads(text)
    levels = settings["comparisons"][0]["comparison_levels"]
    assert all("m_probability" in level for level in levels if not level.get("is_null_level"))
    again = deduplicate(frame, settings=settings)
    assert again.clusters["person_id"].tolist() == result.clusters["person_id"].tolist()
    assert again.timings.get("train") is None


def test_pairs_carry_weights_and_fields(result) -> None:
    pairs = result.pairs
    assert {"record_id_l", "record_id_r", "match_weight", "match_probability", "fam_key_l", "fam_key_r"} <= set(pairs)
    assert (pairs["match_probability"] >= 0.2).all()


def test_settings_cover_every_field() -> None:
    names = [c["output_column_name"] for c in build_settings()["comparisons"]]
    assert names == ["family_name", "given_name", "patronymic", "sex", "birth_date", "birth_place",
                     "missing_date", "missing_place"]
    assert 0.5 < DEFAULT_THRESHOLD < 1


def test_the_three_spellings_of_one_person_are_merged() -> None:
    frame = pd.DataFrame([
        dict(record_id="1", source="sc", family_name="Məmmədov", given_name="Əli", patronymic="Rəşid oğlu",
             sex="kişi", birth_date="1961-03-05", birth_place="Şuşa", missing_date="1992-05-08", missing_place="Şuşa"),
        dict(record_id="2", source="icrc", family_name="Mammadov", given_name="Ali", patronymic="Rashid oglu",
             sex="M", birth_date="1961-05-03", birth_place="Shusha", missing_date="1992-05", missing_place=""),
        dict(record_id="3", source="ngo", family_name="Мамедов", given_name="Али", patronymic="Рашидович",
             sex="м", birth_date="1961", birth_place="Шуша", missing_date="1992-05-10", missing_place="Шуша"),
        dict(record_id="4", source="ngo", family_name="Мамедов", given_name="Гусейн", patronymic="Рашидович",
             sex="м", birth_date="1958", birth_place="Шуша", missing_date="1992-05-08", missing_place="Шуша"),
    ])
    rng = random.Random(3)
    filler = pd.DataFrame([r.as_row() for r in generate_agency_reports(generate_person_identities(400, rng), rng)])
    clusters = deduplicate(pd.concat([frame, filler], ignore_index=True)).clusters.set_index("record_id")
    person = clusters.loc["1", "person_id"]
    assert clusters.loc["2", "person_id"] == person
    assert clusters.loc["3", "person_id"] == person
    assert clusters.loc["4", "person_id"] != person  # the brother


def test_single_record() -> None:
    frame = pd.DataFrame([dict(record_id="x", family_name="Əliyev")])
    assert deduplicate(frame).clusters["record_id"].tolist() == ["x"]


@pytest.mark.parametrize(("text", "expected"), [
    ("1961-03-05", PartialDate(1961, 3, 5)), ("1961-03", PartialDate(1961, 3)), ("1961", PartialDate(1961)),
    ("", None), (None, None), ("1961-25-03", PartialDate(1961, 3, 25)), ("1943-02-29", PartialDate(1943, 2, 29)),
])
def test_parse_partial_date(text: str | None, expected: PartialDate | None) -> None:
    assert parse_partial_date(text) == expected


@pytest.mark.parametrize("text", ["05.03.1961", "1961-13-13", "61", "1961-00", "abcd", "1961-03-32", "1961/03/05"])
def test_parse_partial_date_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_partial_date(text)


def test_prepare_records_infers_sex_and_keys() -> None:
    frame = pd.DataFrame([dict(record_id="1", family_name="Алиева", given_name="Айнур", patronymic="",
                               birth_date="1970"),
                          dict(record_id="2", family_name="Huseynzade", given_name="Anar", patronymic="Ali oglu")])
    prepared = prepare_records(frame).set_index("unique_id")
    assert prepared.loc["1", "sex"] == "F"
    assert prepared.loc["1", "fam_key"] == "aliav"
    assert prepared.loc["2", "sex"] == "M"
    assert prepared.loc["2", "pat_key"] == "ali"
    assert prepared.loc["1", "b_year"] == 1970


def test_bad_date_names_the_record_and_field() -> None:
    frame = pd.DataFrame([dict(record_id="R9", birth_date="09/1970")])
    with pytest.raises(ValueError, match="R9.*birth_date"):
        prepare_records(frame)


def three_spellings_and_a_brother() -> pd.DataFrame:
    return pd.DataFrame([
        dict(record_id="1", source="sc", family_name="Məmmədov", given_name="Əli", patronymic="Rəşid oğlu",
             sex="kişi", birth_date="1961-03-05", birth_place="Şuşa", missing_date="1992-05-08", missing_place="Şuşa"),
        dict(record_id="2", source="icrc", family_name="Mammadov", given_name="Ali", patronymic="Rashid oglu",
             sex="M", birth_date="1961-05-03", birth_place="Shusha", missing_date="1992-05", missing_place=""),
        dict(record_id="3", source="ngo", family_name="Мамедов", given_name="Али", patronymic="Рашидович",
             sex="м", birth_date="1961", birth_place="Шуша", missing_date="1992-05-10", missing_place="Шуша"),
        dict(record_id="4", source="ngo", family_name="Мамедов", given_name="Гусейн", patronymic="Рашидович",
             sex="м", birth_date="1958", birth_place="Шуша", missing_date="1992-05-08", missing_place="Шуша"),
        dict(record_id="5", source="ngo", family_name="Алиева", given_name="Айнур", patronymic="Вагифовна",
             sex="ж", birth_date="1970-02-01", birth_place="Агдам", missing_date="1993-07-23", missing_place="Агдам"),
        dict(record_id="6", source="icrc", family_name="Aliyeva", given_name="Aynur", patronymic="Vagif gizi",
             sex="F", birth_date="1970-01-02", birth_place="Aghdam", missing_date="1993", missing_place="Agdam"),
        dict(record_id="7", source="sc", family_name="Həsənov", given_name="Elçin"),
    ])


def test_a_short_list_uses_the_reference_model() -> None:
    result = deduplicate(three_spellings_and_a_brother())
    person = dict(zip(result.clusters.record_id, result.clusters.person_id, strict=True))
    assert person["1"] == person["2"] == person["3"] != person["4"]
    assert person["5"] == person["6"] != person["7"]
    assert result.timings.get("train") is None
    assert 0 < result.settings["probability_two_random_records_match"] < 1


@pytest.mark.parametrize("blank", [("birth_date", "missing_date"),
                                   ("patronymic", "birth_place", "missing_place", "birth_date", "missing_date", "sex"),
                                   ("family_name", "given_name")])
def test_training_survives_empty_fields(synthetic, blank: tuple[str, ...]) -> None:
    frame, _ = synthetic
    result = deduplicate(frame.assign(**dict.fromkeys(blank, "")))
    assert len(result.clusters) == len(frame)
    for comparison in result.settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                assert 0 < level["m_probability"] <= 1 and 0 < level["u_probability"] <= 1


def test_identical_reports_are_one_person() -> None:
    frame = three_spellings_and_a_brother().iloc[[0] * 5].assign(record_id=[f"x{i}" for i in range(5)])
    assert deduplicate(frame).clusters["person_id"].nunique() == 1
