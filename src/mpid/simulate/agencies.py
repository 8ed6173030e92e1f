"""Synthetic missing persons and the overlapping, inconsistent lists agencies keep of them.

Families report a missing relative to several bodies, each writing names its own way. This
module draws persons (:func:`generate_person_identities`) and then the agency reports about
them (:func:`generate_agency_reports`) with a known truth, for the deduplication tests and
benchmark and for the scenario simulator. Three agencies are modelled by default:

* ``state_commission`` — Azerbaijani Latin, patronymic *Rəşid oğlu*, full dates, sometimes
  typed without Azerbaijani letters;
* ``icrc`` — English transliteration from the Azerbaijani (Mammadov) or from a Russian
  passport (Mamedov), patronymic *Rashid oglu* or *Rashidovich*, some day–month swaps;
* ``ngo`` — Russian Cyrillic (Мамедов Али Рашидович), many year-only dates.

Every report can carry typos, missing fields, partial or shifted dates and swapped name
fields; siblings who went missing together make hard non-matches.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

from mpid.simulate.names import (
    FEMALE_GIVEN_NAMES,
    MALE_GIVEN_NAMES,
    PLACES,
    SURNAMES,
    NameForm,
    patronymic_text,
    render_name,
)

__all__ = [
    "DEDUPE_COLUMNS",
    "DEFAULT_AGENCIES",
    "AgencyReport",
    "AgencyStyle",
    "NoiseLevels",
    "PersonIdentity",
    "generate_agency_reports",
    "generate_person_identities",
]

DEDUPE_COLUMNS = (
    "record_id", "source", "family_name", "given_name", "patronymic", "sex",
    "birth_date", "birth_place", "missing_date", "missing_place",
)

# Dates on which each district was overrun (public history): most people went missing then.
_EVENT_DATES = {
    "Xocalı": dt.date(1992, 2, 26), "Şuşa": dt.date(1992, 5, 8), "Laçın": dt.date(1992, 5, 18),
    "Kəlbəcər": dt.date(1993, 4, 3), "Ağdərə": dt.date(1993, 6, 27), "Ağdam": dt.date(1993, 7, 23),
    "Füzuli": dt.date(1993, 8, 23), "Cəbrayıl": dt.date(1993, 8, 23), "Qubadlı": dt.date(1993, 8, 31),
    "Zəngilan": dt.date(1993, 10, 29), "Xocavənd": dt.date(1992, 10, 2), "Tərtər": dt.date(1993, 6, 1),
    "Xankəndi": dt.date(1991, 12, 1),
}
_REGIONS = {
    "Şuşa": "Karabakh", "Ağdam": "Karabakh", "Laçın": "Karabakh", "Kəlbəcər": "Karabakh",
    "Füzuli": "Karabakh", "Cəbrayıl": "Karabakh", "Qubadlı": "Karabakh", "Zəngilan": "Karabakh",
    "Xocalı": "Karabakh", "Xocavənd": "Karabakh", "Tərtər": "Karabakh", "Ağdərə": "Karabakh",
    "Xankəndi": "Karabakh",
}


@dataclass(frozen=True, slots=True)
class PersonIdentity:
    """The true identity of one missing person, in canonical Azerbaijani Latin.

    ``family_name`` is already in the person's gendered form (Əliyeva for a woman);
    ``father_name`` is the father's given name, from which every patronymic style is written.
    """

    person_id: str
    family_name: str
    given_name: str
    father_name: str
    sex: str
    birth_date: dt.date
    birth_place: str
    missing_date: dt.date
    missing_place: str
    region: str
    surname_form: NameForm = field(repr=False)
    given_form: NameForm = field(repr=False)
    father_form: NameForm = field(repr=False)
    birth_place_form: NameForm = field(repr=False)
    missing_place_form: NameForm = field(repr=False)


@dataclass(frozen=True, slots=True)
class AgencyReport:
    """One agency's report of a missing person: the dedupe input columns, plus the truth apart.

    Dates are strings ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` or empty, as agencies send them;
    ``true_person_id`` is the generator's truth and is not part of :meth:`as_row`.
    """

    record_id: str
    source: str
    family_name: str
    given_name: str
    patronymic: str
    sex: str
    birth_date: str
    birth_place: str
    missing_date: str
    missing_place: str
    true_person_id: str

    def as_row(self) -> dict[str, str]:
        """The dedupe input columns only (no truth)."""
        row = asdict(self)
        return {column: row[column] for column in DEDUPE_COLUMNS}


@dataclass(frozen=True, slots=True)
class AgencyStyle:
    """How one agency writes: script of names, patronymic style, date habits and sex labels."""

    name_style: str  # 'az', 'ru' or 'en'
    patronymic_style: str  # 'az', 'ru' or 'en'
    plain_latin_rate: float = 0.0  # Azerbaijani typed without its letters
    year_only_rate: float = 0.05
    year_month_rate: float = 0.03
    day_month_swap_rate: float = 0.0
    sex_labels: tuple[str, str] = ("M", "F")
    id_prefix: str = "R"


DEFAULT_AGENCIES: dict[str, AgencyStyle] = {
    "state_commission": AgencyStyle("az", "az", plain_latin_rate=0.15, year_only_rate=0.05,
                                    year_month_rate=0.03, sex_labels=("kişi", "qadın"), id_prefix="SC"),
    "icrc": AgencyStyle("en", "en", year_only_rate=0.08, year_month_rate=0.05, day_month_swap_rate=0.08,
                        sex_labels=("M", "F"), id_prefix="IC"),
    "ngo": AgencyStyle("ru", "ru", year_only_rate=0.25, year_month_rate=0.05, day_month_swap_rate=0.03,
                       sex_labels=("м", "ж"), id_prefix="NG"),
}
_DEFAULT_COVERAGE = {"state_commission": 0.75, "icrc": 0.6, "ngo": 0.45}


@dataclass(frozen=True, slots=True)
class NoiseLevels:
    """Probabilities of each kind of error per report (per field where it says so)."""

    typo: float = 0.06  # per name field
    missing_patronymic: float = 0.12
    missing_sex: float = 0.15
    missing_birth_date: float = 0.08
    missing_birth_place: float = 0.2
    missing_missing_date: float = 0.15
    missing_missing_place: float = 0.2
    birth_year_error: float = 0.03
    missing_date_shift: float = 0.3  # families remember the day differently
    wrong_place: float = 0.04  # another district given (residence, nearest town)
    wrong_sex: float = 0.01
    swapped_names: float = 0.02
    within_agency_duplicate: float = 0.03
    given_initial_only: float = 0.01


_FRONT_PLACES = [form for form in PLACES if form.az in _EVENT_DATES]


def _weighted(forms: Sequence[NameForm], rng: random.Random) -> NameForm:
    """Draw one vocabulary word by weight."""
    return rng.choices(forms, weights=[f.weight for f in forms], k=1)[0]


def _random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A uniform date between start and end."""
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def generate_person_identities(n: int, rng: random.Random, *, sibling_rate: float = 0.15) -> list[PersonIdentity]:
    """Draw n synthetic missing persons; about sibling_rate of them went missing with a sibling."""
    persons: list[PersonIdentity] = []
    while len(persons) < n:
        surname = _weighted(SURNAMES, rng)
        father = _weighted(MALE_GIVEN_NAMES, rng)
        birth_place = _weighted(PLACES, rng)
        missing_place = birth_place
        if birth_place.az not in _EVENT_DATES or rng.random() < 0.3:
            missing_place = rng.choice(_FRONT_PLACES)
        event = _EVENT_DATES.get(missing_place.az)
        if event is not None and rng.random() < 0.75:
            missing_date = event + dt.timedelta(days=round(rng.expovariate(1 / 4)))
        else:
            missing_date = _random_date(rng, dt.date(1988, 2, 1), dt.date(1994, 5, 12))
        family_size = 1
        if rng.random() < sibling_rate:
            family_size = rng.choice([2, 2, 2, 3])
        used_given: set[str] = set()
        for _ in range(min(family_size, n - len(persons))):
            sex = "M" if rng.random() < 0.8 else "F"
            given = _weighted(MALE_GIVEN_NAMES if sex == "M" else FEMALE_GIVEN_NAMES, rng)
            while given.az in used_given:
                given = _weighted(MALE_GIVEN_NAMES if sex == "M" else FEMALE_GIVEN_NAMES, rng)
            used_given.add(given.az)
            birth_date = _random_date(rng, dt.date(1925, 1, 1), min(missing_date, dt.date(1980, 12, 31)))
            family_name = surname.az
            if sex == "F" and surname.az.endswith(("ov", "ev")):
                family_name += "a"
            persons.append(PersonIdentity(
                person_id=f"P{len(persons) + 1:07d}", family_name=family_name, given_name=given.az,
                father_name=father.az, sex=sex, birth_date=birth_date, birth_place=birth_place.az,
                missing_date=missing_date, missing_place=missing_place.az,
                region=_REGIONS.get(missing_place.az, "other"), surname_form=surname, given_form=given,
                father_form=father, birth_place_form=birth_place, missing_place_form=missing_place,
            ))
    return persons


_KEYBOARD_NEIGHBOURS = {
    "a": "sq", "e": "wr", "i": "uo", "o": "ip", "u": "yi", "n": "mb", "m": "n", "r": "et", "s": "ad",
    "l": "k", "d": "sf", "v": "bc", "h": "gj", "g": "fh", "k": "jl", "t": "ry", "z": "x", "y": "tu",
    "а": "вп", "е": "кн", "и": "мт", "о": "рл", "н": "ег", "р": "по", "л": "од", "м": "си", "в": "ыа",
    "д": "лж", "с": "чм", "к": "уе", "г": "нш", "у": "цк", "т": "иь", "ə": "e", "ı": "i", "ü": "u",
}


def _typo(text: str, rng: random.Random) -> str:
    """One keyboard error: a dropped, doubled, swapped or neighbouring letter."""
    if len(text) < 4:
        return text
    position = rng.randrange(1, len(text) - 1)
    kind = rng.random()
    if kind < 0.3:
        return text[:position] + text[position + 1:]
    if kind < 0.5:
        return text[:position] + text[position] + text[position:]
    if kind < 0.7:
        return text[:position] + text[position + 1] + text[position] + text[position + 2:]
    char = text[position]
    neighbours = _KEYBOARD_NEIGHBOURS.get(char.lower())
    if not neighbours:
        return text[:position] + text[position + 1:]
    return text[:position] + rng.choice(neighbours) + text[position + 1:]


def _format_date(date: dt.date, style: AgencyStyle, rng: random.Random, noise: NoiseLevels,
                 *, allow_year_error: bool) -> str:
    """Write a date with the agency's habits: year-only, year-month, day-month swaps, wrong years."""
    year, month, day = date.year, date.month, date.day
    if allow_year_error and rng.random() < noise.birth_year_error:
        year += rng.choice([-1, 1, -1, 1, -10, 10])
        if (month, day) == (2, 29):
            day = 28
    draw = rng.random()
    if draw < style.year_only_rate:
        return f"{year:04d}"
    if draw < style.year_only_rate + style.year_month_rate:
        return f"{year:04d}-{month:02d}"
    if day <= 12 and day != month and rng.random() < style.day_month_swap_rate:
        month, day = day, month
    return f"{year:04d}-{month:02d}-{day:02d}"


def _write_report(person: PersonIdentity, source: str, style: AgencyStyle, record_id: str,
                  rng: random.Random, noise: NoiseLevels) -> AgencyReport:
    """One agency's report about one person."""
    name_style = style.name_style
    if name_style == "az" and rng.random() < style.plain_latin_rate:
        name_style = "az_plain"
    feminine = person.sex == "F"
    family = render_name(person.surname_form, name_style, rng, feminine=feminine)
    given = render_name(person.given_form, name_style, rng)
    patronymic = patronymic_text(person.father_form, person.sex, style.patronymic_style, rng)
    if name_style == "az_plain":
        patronymic = render_name(NameForm(patronymic, patronymic), "az_plain", rng)
    if rng.random() < noise.typo:
        family = _typo(family, rng)
    if rng.random() < noise.typo:
        given = _typo(given, rng)
    if rng.random() < noise.typo / 2:
        patronymic = _typo(patronymic, rng)
    if rng.random() < noise.given_initial_only:
        given = given[0] + "."
    if rng.random() < noise.swapped_names:
        family, given = given, family
    if rng.random() < noise.missing_patronymic:
        patronymic = ""
    if rng.random() < 0.03:
        family, given = family.upper(), given.upper()
    true_sex = person.sex if rng.random() >= noise.wrong_sex else ("F" if person.sex == "M" else "M")
    sex = "" if rng.random() < noise.missing_sex else style.sex_labels[0 if true_sex == "M" else 1]
    birth_date = "" if rng.random() < noise.missing_birth_date else _format_date(
        person.birth_date, style, rng, noise, allow_year_error=True)
    missing = person.missing_date
    if rng.random() < noise.missing_date_shift:
        missing += dt.timedelta(days=rng.randint(-20, 20))
    missing_date = "" if rng.random() < noise.missing_missing_date else _format_date(
        missing, style, rng, noise, allow_year_error=False)
    birth_form, missing_form = person.birth_place_form, person.missing_place_form
    if rng.random() < noise.wrong_place:
        birth_form = _weighted(PLACES, rng)
    if rng.random() < noise.wrong_place:
        missing_form = _weighted(PLACES, rng)
    birth_place = "" if rng.random() < noise.missing_birth_place else render_name(birth_form, name_style, rng)
    missing_place = "" if rng.random() < noise.missing_missing_place else render_name(
        missing_form, name_style, rng)
    return AgencyReport(record_id, source, family, given, patronymic, sex, birth_date, birth_place,
                        missing_date, missing_place, person.person_id)


def generate_agency_reports(
    persons: Sequence[PersonIdentity],
    rng: random.Random,
    *,
    agencies: Mapping[str, AgencyStyle] | None = None,
    coverage: Mapping[str, float] | None = None,
    noise: NoiseLevels | None = None,
) -> list[AgencyReport]:
    """Reports of the persons by each agency (each person reported at least once), shuffled.

    ``coverage`` is the share of persons each agency knows of; ``noise`` the error rates.
    """
    agencies = dict(DEFAULT_AGENCIES if agencies is None else agencies)
    coverage = dict(coverage or {name: _DEFAULT_COVERAGE.get(name, 0.6) for name in agencies})
    noise = noise or NoiseLevels()
    names = list(agencies)
    reports: list[AgencyReport] = []
    counters = dict.fromkeys(names, 0)

    def add(person: PersonIdentity, source: str) -> None:
        counters[source] += 1
        record_id = f"{agencies[source].id_prefix}{counters[source]:07d}"
        reports.append(_write_report(person, source, agencies[source], record_id, rng, noise))

    for person in persons:
        sources = [name for name in names if rng.random() < coverage.get(name, 0.6)]
        if not sources:
            sources = [rng.choice(names)]
        for source in sources:
            add(person, source)
            if rng.random() < noise.within_agency_duplicate:
                add(person, source)
    rng.shuffle(reports)
    return reports
