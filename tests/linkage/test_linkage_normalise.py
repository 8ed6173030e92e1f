"""Spellings of one name in Azerbaijani Latin, Russian Cyrillic and English fold to one key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mpid.linkage.normalise import (
    name_key,
    parse_patronymic,
    parse_sex,
    phonetic_key,
    place_key,
    sex_from_surname,
    split_given_and_patronymic,
    surname_key,
    transliterate,
)

# Each group: spellings met in agency lists for one surname (masculine and feminine forms).
SURNAME_GROUPS = [
    ["Məmmədov", "Mammadov", "Mamedov", "Мамедов", "MƏMMƏDOV", "Mammedov", "Memmedov", "Məmmədova", "Мамедова"],
    ["Hüseynov", "Huseynov", "Guseynov", "Гусейнов", "Huseinov", "Hüseynova", "Гусейнова", "Guseynova"],
    ["Cəfərov", "Jafarov", "Dzhafarov", "Джафаров", "Djafarov", "Cafarov", "Jafarova", "Джафарова"],
    ["Əliyev", "Aliyev", "Aliev", "Алиев", "Əliyeva", "Алиева", "Aliyeva", "Alieva", "ALIYEV"],
    ["Hüseynzadə", "Huseynzade", "Гусейнзаде", "Huseynzadeh", "Guseynzade"],
    ["Qasımov", "Gasimov", "Гасымов", "Gasymov", "Qasımova"],
    ["Quliyev", "Guliyev", "Гулиев", "Guliev", "Quliyeva"],
    ["Hacıyev", "Hajiyev", "Гаджиев", "Gadzhiev", "Haciyev", "Hajiyeva", "Гаджиева"],
    ["Şükürov", "Shukurov", "Шукюров", "Sukurov"],
    ["Mustafayev", "Мустафаев", "Mustafaev", "Mustafayeva"],
    ["Xəlilov", "Khalilov", "Халилов", "Xalilov"],
    ["Ağayev", "Aghayev", "Агаев", "Agayev", "Agaev"],
    ["Süleymanov", "Suleymanov", "Сулейманов", "Suleimanov"],
    ["Əhmədov", "Ahmadov", "Ахмедов", "Akhmedov", "Ahmedov"],
    ["Rəhimov", "Rahimov", "Рагимов", "Ragimov"],
    ["Kərimov", "Karimov", "Керимов", "Kerimov"],
]


@pytest.mark.parametrize("group", SURNAME_GROUPS, ids=lambda g: g[0])
def test_surname_spellings_share_one_key(group: list[str]) -> None:
    assert {surname_key(spelling) for spelling in group} == {surname_key(group[0])}


GIVEN_NAME_GROUPS = [
    ["Əli", "Ali", "Али", "ƏLİ"],
    ["Rəşid", "Rashid", "Рашид", "Reshid", "Rasid"],
    ["Hüseyn", "Huseyn", "Гусейн", "Guseyn", "Husein"],
    ["Elçin", "Elchin", "Эльчин", "Elcin"],
    ["Vüqar", "Vugar", "Вугар", "Vuqar"],
    ["Tofiq", "Tofig", "Тофик", "Tofik"],
    ["İlham", "Ilham", "Ильхам", "Ilkham"],
    ["Günel", "Gunel", "Гюнель", "Gyunel"],
    ["Xəyalə", "Khayala", "Хаяла", "Xayala"],
    ["Sevinc", "Sevinj", "Севиндж", "Sevindzh"],
    ["Könül", "Konul", "Кёнуль", "Kyonul"],
    ["Çingiz", "Chingiz", "Чингиз", "Cingiz"],
    ["Yaqub", "Yagub", "Якуб", "Yakub"],
    ["Nərgiz", "Nargiz", "Наргиз"],
]


@pytest.mark.parametrize("group", GIVEN_NAME_GROUPS, ids=lambda g: g[0])
def test_given_name_spellings_share_one_key(group: list[str]) -> None:
    assert {name_key(spelling) for spelling in group} == {name_key(group[0])}


PATRONYMICS = [
    ("Rəşid oğlu", "rasid", "M"),
    ("Rashid oglu", "rasid", "M"),
    ("Rashid ogly", "rasid", "M"),
    ("Rashidovich", "rasid", "M"),
    ("Рашидович", "rasid", "M"),
    ("Рашид оглы", "rasid", "M"),
    ("Rəşid qızı", "rasid", "F"),
    ("Rashid gizi", "rasid", "F"),
    ("Rashid kyzy", "rasid", "F"),
    ("Рашид кызы", "rasid", "F"),
    ("Рашидовна", "rasid", "F"),
    ("Rashidovna", "rasid", "F"),
    ("Əli oğlu", "ali", "M"),
    ("Алиевич", "ali", "M"),
    ("Aliyevich", "ali", "M"),
    ("Алиевна", "ali", "F"),
    ("Musayevich", "musa", "M"),
    ("Мусаевна", "musa", "F"),
    ("Гусейнович", "husain", "M"),
    ("Hüseyn oğlu", "husain", "M"),
    ("Мамедович", "mamad", "M"),
    ("Məmməd oğlu", "mamad", "M"),
    ("Рамилевич", "ramil", "M"),
    ("Ramil oglu", "ramil", "M"),
    ("Rashidoglu", "rasid", "M"),
    ("Rəşid", "rasid", None),
]


@pytest.mark.parametrize(("text", "father", "sex"), PATRONYMICS)
def test_patronymic_styles_fold_to_the_fathers_name(text: str, father: str, sex: str | None) -> None:
    patronymic = parse_patronymic(text)
    assert patronymic.father_key == name_key(father) == father
    assert patronymic.sex == sex


def test_patronymic_key_equals_the_fathers_given_name_key() -> None:
    assert parse_patronymic("Джафарович").father_key == name_key("Cəfər")
    assert parse_patronymic("Vüqar qızı").father_key == name_key("Вугар")


@pytest.mark.parametrize("text", ["", None, "   "])
def test_empty_patronymic(text: str | None) -> None:
    assert parse_patronymic(text).father_key == ""


PLACES = [
    (["Şuşa", "Shusha", "Шуша", "Şuşa rayonu", "г. Шуша", "Shusha district", "Susa"], "susa"),
    (["Ağdam", "Aghdam", "Агдам", "Agdam", "Агдамский район", "Ağdam r-nu"], "ahdam"),
    (["Kəlbəcər", "Kalbajar", "Кельбаджар", "Kelbecer"], "halbacar"),
    (["Xocalı", "Khojaly", "Ходжалы", "Xocali"], "hocali"),
    (["Laçın", "Lachin", "Лачин", "Лачинский р-н"], "lacin"),
]


@pytest.mark.parametrize(("spellings", "key"), PLACES, ids=lambda v: v if isinstance(v, str) else v[0])
def test_place_spellings_share_one_key(spellings: list[str], key: str) -> None:
    assert {place_key(spelling) for spelling in spellings} == {key}


def test_different_surnames_stay_different() -> None:
    assert surname_key("Həsənov") != surname_key("Hüseynov")
    assert name_key("Həsən") != name_key("Hüseyn")
    assert surname_key("Məmmədov") != surname_key("Məmmədli")


def test_phonetic_key_absorbs_vowel_and_voicing_variation() -> None:
    assert phonetic_key("Qasımov") == phonetic_key("Касумов")
    assert phonetic_key("Mehdiyev") == phonetic_key("Мехтиев")
    assert phonetic_key("Məhəmməd") == phonetic_key("Магомед")


def test_transliterate_gives_plain_ascii() -> None:
    assert transliterate("Məmmədov Əli") == "mammadov ali"
    assert transliterate("Джафаров") == "dzhafarov"
    assert transliterate("İLHAM") == "ilham"
    assert transliterate("Elchin") == "elchin"


@pytest.mark.parametrize(("text", "sex"), [
    ("M", "M"), ("male", "M"), ("kişi", "M"), ("м", "M"), ("муж.", "M"),
    ("F", "F"), ("female", "F"), ("qadın", "F"), ("ж", "F"), ("Ж", "F"), ("жен", "F"),
    ("", None), ("?", None),
])
def test_parse_sex(text: str, sex: str | None) -> None:
    assert parse_sex(text) == sex


@pytest.mark.parametrize(("surname", "sex"), [
    ("Əliyeva", "F"), ("Алиева", "F"), ("Mamedova", "F"), ("Əliyev", "M"), ("Мамедов", "M"),
    ("Hüseynzadə", None), ("Məmmədli", None),
])
def test_sex_from_surname(surname: str, sex: str | None) -> None:
    assert sex_from_surname(surname) == sex


@given(st.text(max_size=30))
def test_keys_never_fail_and_are_ascii(text: str) -> None:
    for key in (name_key(text), surname_key(text), phonetic_key(text), place_key(text),
                parse_patronymic(text).father_key):
        assert key.isascii()
        assert key == key.strip()
    assert parse_sex(text) in {"M", "F", None}


@pytest.mark.parametrize(("given", "patronymic", "expected"), [
    ("Əli Rəşid oğlu", "", ("Əli", "Rəşid oğlu")),
    ("Али Рашидович", "", ("Али", "Рашидович")),
    ("Aynur Rashid gizi", "", ("Aynur", "Rashid gizi")),
    ("Məmməd Əli", "", ("Məmməd Əli", "")),
    ("Əli Rəşid oğlu", "Rəşid oğlu", ("Əli Rəşid oğlu", "Rəşid oğlu")),
])
def test_patronymic_written_into_the_given_name_field(given: str, patronymic: str, expected: tuple) -> None:
    assert split_given_and_patronymic(given, patronymic) == expected


@pytest.mark.parametrize(("text", "sex"), [("Мужской", "M"), ("Женский", "F"), ("Kişi", "M"), ("FEMALE", "F")])
def test_parse_sex_long_forms(text: str, sex: str) -> None:
    assert parse_sex(text) == sex
