"""Names, dates and places of the simulated missing persons, consistent with their families.

Brothers share the surname and the father's name; a missing father's given name is his
son's patronymic; women carry the feminine surname. Names come from the synthetic
vocabulary of :mod:`mpid.simulate.names`; the agency lists are then written by
:func:`mpid.simulate.agencies.generate_agency_reports`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from .agencies import PersonIdentity
from .families import SimulatedFamily
from .names import FEMALE_GIVEN_NAMES, MALE_GIVEN_NAMES, PLACES, SURNAMES, NameForm, feminine_surname

__all__ = ["KARABAKH_PLACES", "identities_for_family"]

KARABAKH_PLACES = frozenset({
    "Şuşa", "Ağdam", "Laçın", "Kəlbəcər", "Füzuli", "Cəbrayıl", "Qubadlı", "Zəngilan", "Xocalı",
    "Xocavənd", "Tərtər", "Ağdərə", "Xankəndi",
})


_CUMULATIVE: dict[int, np.ndarray] = {}


def _pick(forms: Sequence[NameForm], rng: np.random.Generator, avoid: set[str] | None = None) -> NameForm:
    """A weighted draw from a vocabulary, avoiding names already used in the family."""
    cumulative = _CUMULATIVE.get(id(forms))
    if cumulative is None:
        cumulative = np.cumsum([f.weight for f in forms])
        cumulative = cumulative / cumulative[-1]
        _CUMULATIVE[id(forms)] = cumulative
    for _ in range(20):
        form = forms[min(int(np.searchsorted(cumulative, rng.random(), side="right")), len(forms) - 1)]
        if not avoid or form.az not in avoid:
            return form
    return form


def _date_in_year(year: int, rng: np.random.Generator, not_after: dt.date | None = None) -> dt.date:
    """A random day of ``year``, no later than ``not_after``."""
    start = dt.date(year, 1, 1)
    day = start + dt.timedelta(days=int(rng.integers(0, 365)))
    if not_after is not None and day > not_after:
        day = start + dt.timedelta(days=int(rng.integers(0, max(1, (not_after - start).days + 1))))
    return day


def identities_for_family(family: SimulatedFamily, rng: np.random.Generator) -> list[PersonIdentity]:
    """Identities of a family's missing persons (``person_id`` = the pedigree id), in ``missing_ids`` order."""
    surname = _pick(SURNAMES, rng)
    index_father = _pick(MALE_GIVEN_NAMES, rng)
    grandfather = _pick(MALE_GIVEN_NAMES, rng, {index_father.az})
    birth_place = _pick(PLACES, rng)
    missing_place = birth_place if rng.random() < 0.6 else _pick(PLACES, rng)
    missing_date = _date_in_year(family.missing_year, rng)
    used = {index_father.az, grandfather.az}
    index_given: NameForm | None = None
    result = []
    for person_id in family.missing_ids:
        facts = family.facts[person_id]
        sex = "M" if facts.sex == "male" else "F"
        relation = facts.relationship
        if relation == "father":
            given, father = index_father, grandfather
        else:
            given = _pick(MALE_GIVEN_NAMES if sex == "M" else FEMALE_GIVEN_NAMES, rng, used)
            used.add(given.az)
            father = index_father
            if relation == "son" and index_given is not None:
                father = index_given
        if relation == "self":
            index_given = given
        family_name = feminine_surname(surname.az, surname.ru)[0] if sex == "F" else surname.az
        own_missing = missing_date + dt.timedelta(days=int(rng.integers(0, 3)))
        birth_date = _date_in_year(facts.birth_year, rng, not_after=own_missing)
        result.append(PersonIdentity(
            person_id=person_id, family_name=family_name, given_name=given.az, father_name=father.az,
            sex=sex, birth_date=birth_date, birth_place=birth_place.az, missing_date=own_missing,
            missing_place=missing_place.az,
            region="Karabakh" if missing_place.az in KARABAKH_PLACES else "other",
            surname_form=surname, given_form=given, father_form=father, birth_place_form=birth_place,
            missing_place_form=missing_place,
        ))
    return result
