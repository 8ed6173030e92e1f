"""Fold names and places written in Azerbaijani Latin, Russian Cyrillic or English transliteration.

One person is reported as *Məmmədov Əli Rəşid oğlu* by one agency, *Mammadov Ali Rashid oglu*
by another and *Мамедов Али Рашидович* by a third. The functions here map every such spelling
to the same comparison keys so the linkage model (:mod:`mpid.linkage.model`) can see that the
three reports agree:

* :func:`transliterate` — any script to plain lower-case ASCII Latin (readable, English-style);
* :func:`name_key` — an aggressive folding of :func:`transliterate` in which the letters that the
  three writing traditions render differently collapse into one class (ə/e/a, ı/i/y/ы,
  g/ğ/q/h/x/k/kh/gh, c/ç/j/ch/dzh/zh, ş/sh/s, doubled letters);
* :func:`phonetic_key` — the consonant skeleton of :func:`name_key` (first letter kept);
* :func:`surname_key` — :func:`name_key` with feminine endings (-ova/-eva/-ова/-yeva/-ina)
  folded to the masculine form;
* :func:`parse_patronymic` — *Rəşid oğlu*, *Rashid oglu*, *Rashidovich*, *Рашидович*,
  *Rəşid qızı*, *Rashid gizi*, *Рашид кызы*, *Рашидовна* all give the father's given-name key
  ``rasid`` and the sex the form implies;
* :func:`place_key` — a place name without administrative words (rayonu, район, district...);
* :func:`parse_sex` — the many ways agencies write sex.

The rules are written for the spelling variation seen in Azerbaijani, Russian and English
registers; they are deliberately lossy because the model compares several fields at once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "Patronymic",
    "name_key",
    "parse_patronymic",
    "parse_sex",
    "phonetic_key",
    "place_key",
    "split_given_and_patronymic",
    "sex_from_surname",
    "surname_key",
    "transliterate",
]

_VOWELS = frozenset("aeiouy")
_CYR_VOWELS = frozenset("аеёиоуыэюяәөүі")

# Russian (and old Azerbaijani) Cyrillic to English-style Latin.
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    # Azerbaijani Cyrillic (1939-1991 orthography) and Kazakh/Tatar look-alikes.
    "ә": "a", "ғ": "gh", "һ": "h", "ө": "o", "ү": "u", "ј": "y", "ҹ": "j", "ҝ": "g", "ҡ": "q",
    "і": "i", "ї": "yi", "є": "ye",
}
# After a consonant the iotated vowels only soften it (Гюнель = Günel, Кёнуль = Könül).
_CYR_SOFT = {"ю": "u", "ё": "o", "я": "a"}

# Azerbaijani Latin letters (and a few Turkish ones) to English-style Latin.
_AZ_LATIN = {
    "ə": "a", "ä": "a", "ş": "sh", "ç": "ch", "ğ": "gh", "ı": "i", "ö": "o", "ü": "u",
    "q": "g", "x": "kh", "c": "j", "ǵ": "g", "ñ": "n",
}

# Multi-letter spellings that stand for one sound, longest first, in the key alphabet.
_DIGRAPHS = (
    ("shch", "s"), ("dzh", "c"), ("tch", "c"), ("sch", "s"), ("kh", "h"), ("gh", "h"),
    ("zh", "c"), ("dj", "c"), ("sh", "s"), ("ch", "c"), ("ts", "s"), ("ph", "f"),
)
_KEY_LETTERS = str.maketrans({
    "e": "a", "y": "i", "g": "h", "q": "h", "x": "h", "k": "h", "j": "c", "w": "v",
})

_NON_LETTER = re.compile(r"[^a-z ]+")
_SPACES = re.compile(r"\s+")
_REPEATS = re.compile(r"(.)\1+")
# Latin "yu"/"yo" after a consonant (Gyunel, Kyonul) only mark a front vowel, as ü/ö do.
_GLIDE = re.compile(r"(?<=[aou])i(?=[aou])")
_SOFT_VOWEL = re.compile(r"([^aeiou ])i([uo])")


def _lower(text: str) -> str:
    """Lower-case with the Turkic dotted/dotless I handled before Unicode's rules apply."""
    return unicodedata.normalize("NFC", text).replace("İ", "i").replace("I", "i").lower()


@lru_cache(maxsize=200_000)
def transliterate(text: str | None) -> str:
    """Any of Azerbaijani Latin, Cyrillic or English Latin to plain lower-case ASCII words."""
    if not text:
        return ""
    lowered = _lower(text)
    out: list[str] = []
    previous = ""
    for index, char in enumerate(lowered):
        if char in _CYR_SOFT and previous and previous.isalpha() and previous not in _CYR_VOWELS \
                and previous not in "ьъ":
            out.append(_CYR_SOFT[char])
        elif char in _CYRILLIC:
            out.append(_CYRILLIC[char])
        elif char == "c" and lowered[index + 1 : index + 2] in ("h", "k", "z"):
            out.append("c")  # English "ch", German-style "ck", Polish-style "cz": not Azerbaijani c.
        elif char in _AZ_LATIN:
            out.append(_AZ_LATIN[char])
        else:
            out.append(char)
        previous = char
    ascii_text = unicodedata.normalize("NFKD", "".join(out))
    ascii_text = "".join(c for c in ascii_text if not unicodedata.combining(c))
    ascii_text = _NON_LETTER.sub(" ", ascii_text.replace("'", "").replace("ʼ", "").replace("’", ""))
    return _SPACES.sub(" ", ascii_text).strip()


@lru_cache(maxsize=200_000)
def name_key(text: str | None) -> str:
    """Fold a name to a spelling-independent key: Məmmədov, Mammadov, Mamedov, Мамедов → mamadov."""
    words = transliterate(text)
    if not words:
        return ""
    for source, target in _DIGRAPHS:
        words = words.replace(source, target)
    words = words.translate(_KEY_LETTERS)
    words = _SOFT_VOWEL.sub(r"\1\2", words)
    words = words.replace("zadah", "zada")
    words = _REPEATS.sub(r"\1", words.replace(" ", ""))
    # A y between vowels is a glide some spellings drop: Mustafayev, Мустафаев; Xəyalə, Хаяла.
    return _REPEATS.sub(r"\1", _GLIDE.sub("", words))


def _skeleton(key: str) -> str:
    """Consonant skeleton of a key: first letter (vowels as 'a'), then consonants, repeats merged."""
    if not key:
        return ""
    first = "a" if key[0] in _VOWELS else key[0]
    rest = "".join(c for c in key[1:] if c not in _VOWELS)
    return _REPEATS.sub(r"\1", (first + rest).translate(_PHONETIC_LETTERS))


_PHONETIC_LETTERS = str.maketrans({"d": "t", "b": "p", "v": "f"})


@lru_cache(maxsize=200_000)
def phonetic_key(text: str | None) -> str:
    """Consonant skeleton of :func:`name_key` (Hüseynov, Guseynov, Гусейнов → hsnf)."""
    return _skeleton(name_key(text))


# Feminine surname endings in key form (after name_key: -ova → ova, -eva/-yeva/-ева → ava).
_FEMININE_ENDINGS = (("ova", "ov"), ("ava", "av"), ("ina", "in"), ("sahaia", "sahii"), ("shaia", "shii"))


@lru_cache(maxsize=200_000)
def surname_key(text: str | None) -> str:
    """Name key of a family name with feminine forms folded: Əliyeva, Aliyeva, Алиева → aliav."""
    key = name_key(text)
    for ending, masculine in _FEMININE_ENDINGS:
        if len(key) > len(ending) + 2 and key.endswith(ending):
            return key[: -len(ending)] + masculine
    return key


def sex_from_surname(text: str | None) -> str | None:
    """Sex implied by a Russian-style surname ending (-ova/-eva/-ина → F, -ov/-ev/-in → M), or None."""
    words = transliterate(text).split()
    if not words:
        return None
    word = words[-1]
    if re.search(r"(ova|eva|yeva|ina|aya)$", word):
        return "F"
    if re.search(r"(ov|ev|yev|in|iy|skiy)$", word):
        return "M"
    return None


@dataclass(frozen=True, slots=True)
class Patronymic:
    """A patronymic reduced to the father's given-name key, and the sex its form implies."""

    father_key: str
    sex: str | None


# Azerbaijani "son of" / "daughter of" words as they come out of transliterate().
_SON_WORDS = frozenset({"oglu", "oghlu", "ogly", "ohlu", "oglou", "ogli", "oqlu", "oglu."})
_DAUGHTER_WORDS = frozenset({"gizi", "qizi", "kizi", "kyzy", "gyzy", "qyzy", "ghizi", "kizy", "gizy", "khizi"})
# Russian-style suffixes (transliterated), longest first: (suffix, sex).
_RUSSIAN_SUFFIXES = (
    ("yevich", "M"), ("ovich", "M"), ("evich", "M"),
    ("ovitch", "M"), ("evitch", "M"), ("ovic", "M"), ("evic", "M"), ("ich", "M"),
    ("yevna", "F"), ("ovna", "F"), ("evna", "F"),
    ("inichna", "F"), ("ichna", "F"),
)
_RUSSIAN_SUFFIXES = tuple(sorted(_RUSSIAN_SUFFIXES, key=lambda item: -len(item[0])))


@lru_cache(maxsize=200_000)
def parse_patronymic(text: str | None) -> Patronymic:
    """Reduce any patronymic style to the father's name key: Rəşid oğlu, Рашидович, Rashidovna → rasid."""
    words = transliterate(text).split()
    if not words:
        return Patronymic("", None)
    sex: str | None = None
    if len(words) > 1 and words[-1] in _SON_WORDS:
        words, sex = words[:-1], "M"
    elif len(words) > 1 and words[-1] in _DAUGHTER_WORDS:
        words, sex = words[:-1], "F"
    elif len(words) == 1 and words[0].endswith(("oglu", "ogly")) and len(words[0]) > 6:
        # Written together: "Rashidoglu".
        words, sex = [words[0][:-4]], "M"
    elif len(words) == 1 and words[0].endswith(("gizi", "qizi", "kyzy")) and len(words[0]) > 6:
        words, sex = [words[0][:-4]], "F"
    else:
        last = words[-1]
        for suffix, suffix_sex in _RUSSIAN_SUFFIXES:
            if last.endswith(suffix) and len(last) - len(suffix) >= 2:
                words = [*words[:-1], last[: -len(suffix)]]
                sex = suffix_sex
                break
    return Patronymic(name_key(" ".join(words)), sex)


def split_given_and_patronymic(given: str | None, patronymic: str | None) -> tuple[str, str]:
    """Move a patronymic written into the given-name field to its own field (Əli Rəşid oğlu → Əli, Rəşid oğlu).

    Only when the patronymic field is empty and the given name ends with a patronymic marker
    (oğlu, qızı, кызы, -ovich, -ovna...), so double given names (Məmməd Əli) are left alone.
    """
    given, patronymic = (given or "").strip(), (patronymic or "").strip()
    words = given.split()
    if patronymic or len(words) < 2:
        return given, patronymic
    if len(words) >= 3 and transliterate(words[-1]) in _SON_WORDS | _DAUGHTER_WORDS:
        return " ".join(words[:-2]), " ".join(words[-2:])
    last = transliterate(words[-1])
    if any(last.endswith(suffix) and len(last) - len(suffix) >= 2 for suffix, _ in _RUSSIAN_SUFFIXES
           if len(suffix) >= 4):
        return " ".join(words[:-1]), words[-1]
    return given, patronymic


# Words that name the kind of place rather than the place itself, as written (lower case).
_PLACE_WORDS = frozenset({
    "rayonu", "rayon", "rayonunun", "r", "rn", "rnu", "r-nu", "r-n", "district", "region", "raion",
    "şəhəri", "seheri", "sheheri", "shahari", "city", "town", "village", "kəndi", "kendi", "kandi",
    "qəsəbəsi", "qesebesi", "gasabasi", "settlement", "the", "of", "respublikası", "republic",
    "azərbaycan", "azerbaijan", "azerbaycan", "район", "р-н", "р", "г", "город", "с", "село", "пос",
    "посёлок", "поселок", "деревня", "азербайджан", "ssr", "сср", "ar", "az", "обл", "область",
})
# Russian adjectival district names: Агдамский район, Shushinskiy rayon.
_ADJECTIVE_ENDING = re.compile(r"(?<=...)(ский|ская|ское|ского|skiy|skii|sky|skaya)$")
_PLACE_SPLIT = re.compile(r"[\s.,;:()/]+")


@lru_cache(maxsize=50_000)
def place_key(text: str | None) -> str:
    """Key of a place name without kind words or country: Şuşa rayonu, Shusha district, г. Шуша → susa."""
    if not text:
        return ""
    words = [_ADJECTIVE_ENDING.sub("", w) for w in _PLACE_SPLIT.split(_lower(text)) if w and w not in _PLACE_WORDS]
    return name_key(" ".join(words))


_MALE = frozenset({"m", "male", "man", "masculine", "kishi", "kisi", "k", "erkek", "muzhskoy", "muzh", "1",
                   "boy", "mr"})
_FEMALE = frozenset({"f", "female", "woman", "w", "feminine", "qadin", "gadin", "q", "zh", "zhenskiy",
                     "zhenskaya", "zhen", "2", "girl", "mrs", "ms", "qiz"})


_MALE_PREFIXES = ("male", "masc", "muzh", "kis", "erkek")
_FEMALE_PREFIXES = ("female", "fem", "woman", "women", "zhen", "qadin", "gadin")


def parse_sex(text: str | None) -> str | None:
    """Map the agencies' many spellings of sex (M, male, kişi, муж, Ж, qadın...) to 'M', 'F' or None."""
    word = transliterate(text).replace(" ", "")
    if word in _MALE or word.startswith(_MALE_PREFIXES):
        return "M"
    if word in _FEMALE or word.startswith(_FEMALE_PREFIXES):
        return "F"
    return None
