"""Synthetic Azerbaijani names and places, and how each writing tradition renders them.

The vocabulary is common Azerbaijani given names, surname stems and district names, each
with the conventional Russian Cyrillic form. Persons are random combinations of these words,
so no generated record is a real person's. The renderers write one canonical Azerbaijani
Latin name the way the three kinds of agencies do: Azerbaijani Latin (with or without
diacritics), Russian Cyrillic (conventional forms such as Мамедов, Гусейнов, Джафаров) and
English transliteration, either from the Azerbaijani (Mammadov, Huseynov, Jafarov) or from
the Russian passport form (Mamedov, Guseynov, Dzhafarov).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = [
    "FEMALE_GIVEN_NAMES",
    "MALE_GIVEN_NAMES",
    "PLACES",
    "SURNAMES",
    "NameForm",
    "az_to_english",
    "az_to_russian",
    "feminine_surname",
    "patronymic_text",
    "render_name",
    "russian_to_english",
    "strip_diacritics",
]


@dataclass(frozen=True, slots=True)
class NameForm:
    """One vocabulary word: its Azerbaijani Latin form, conventional Russian form and weight."""

    az: str
    ru: str
    weight: float = 1.0


def _table(text: str) -> tuple[NameForm, ...]:
    """Parse 'az ru [weight]' lines into NameForms."""
    forms = []
    for line in text.strip().splitlines():
        parts = line.split()
        forms.append(NameForm(parts[0], parts[1], float(parts[2]) if len(parts) > 2 else 1.0))
    return tuple(forms)


# Surname stems (masculine form). Weights mimic the strong concentration of Azerbaijani surnames.
SURNAMES = _table("""
Məmmədov Мамедов 12
Əliyev Алиев 10
Həsənov Гасанов 7
Hüseynov Гусейнов 7
Quliyev Кулиев 5
İsmayılov Исмаилов 5
Abbasov Аббасов 4
Cəfərov Джафаров 4
Qasımov Касумов 4
Hacıyev Гаджиев 4
Rzayev Рзаев 3
Babayev Бабаев 3
Süleymanov Сулейманов 3
Ağayev Агаев 3
Orucov Оруджев 2
Bayramov Байрамов 3
Kərimov Керимов 3
Rəhimov Рагимов 2
Əhmədov Ахмедов 3
Musayev Мусаев 3
Vəliyev Велиев 3
Nəbiyev Набиев 2
Sadıqov Садыхов 2
Mustafayev Мустафаев 2
Əsgərov Аскеров 2
Hümbətov Гумбатов 1
Zeynalov Зейналов 2
Şükürov Шукюров 1
Xəlilov Халилов 2
Səfərov Сафаров 2
Cəlilov Джалилов 2
Qurbanov Курбанов 3
Salmanov Салманов 1
Mehdiyev Мехтиев 2
Tağıyev Тагиев 2
Novruzov Новрузов 2
Yusifov Юсифов 2
Rüstəmov Рустамов 2
Eyvazov Эйвазов 1
Bağırov Багиров 2
Paşayev Пашаев 2
Nağıyev Нагиев 1
Nəsirov Насиров 1
Əmirov Амиров 1
Kazımov Кязимов 1
Sultanov Султанов 2
Allahverdiyev Аллахвердиев 2
İbrahimov Ибрагимов 3
Həmidov Гамидов 1
Fərzəliyev Фарзалиев 1
Hüseynzadə Гусейнзаде 1
Əlizadə Ализаде 1
Quluzadə Кулизаде 1
Məmmədli Мамедли 1
Qarayev Караев 2
Hacızadə Гаджизаде 1
Abdullayev Абдуллаев 2
Nəzərov Назаров 1
Kərimli Керимли 1
Seyidov Сеидов 1
Muradov Мурадов 1
Heydərov Гейдаров 2
Əsədov Асадов 1
Rəsulov Расулов 1
Qədirov Кадыров 1
Əkbərov Акперов 0.5
Əzizov Азизов 1
Bəşirov Баширов 0.5
Cahangirov Джахангиров 0.5
Dadaşov Дадашов 1
Fətəliyev Фаталиев 0.5
Hətəmov Гатамов 0.5
İmanov Иманов 1
Kərimzadə Керимзаде 0.3
Mikayılov Микаилов 1
Nuriyev Нуриев 1
Osmanov Османов 0.5
Pənahov Панахов 0.5
Ramazanov Рамазанов 1
Sabirov Сабиров 0.5
Talıbov Талыбов 0.5
Usubov Усубов 0.5
Vahabov Вахабов 0.5
Yaqubov Ягубов 0.5
Zülfüqarov Зульфугаров 0.5
Şirinov Ширинов 0.5
Xanlarov Ханларов 0.5
Əhmədli Ахмедли 0.3
Hüseynli Гусейнли 0.3
Qəhrəmanov Гахраманов 0.5
Məlikov Меликов 0.5
İsgəndərov Искендеров 0.5
Ələkbərov Алекперов 0.5
Nəcəfov Наджафов 1
Şahbazov Шахбазов 0.5
Mirzəyev Мирзоев 1
Qafarov Гафаров 0.5
Həşimov Гашимов 0.5
Səlimov Салимов 0.5
Bəylərov Бейлеров 0.3
Əsədullayev Асадуллаев 0.5
Hidayətov Гидаятов 0.3
Eminov Эминов 0.5
Mahmudov Махмудов 1
Ədalətov Адалатов 0.3
Veysəlov Вейсалов 0.3
Tahirov Тагиров 0.5
Nəsibov Насибов 0.5
Məhərrəmov Магеррамов 1
Rəsulzadə Расулзаде 0.3
Axundov Ахундов 0.5
Kazımlı Кязимли 0.3
Zamanov Заманов 0.5
Qənbərov Ганбаров 0.5
""")

MALE_GIVEN_NAMES = _table("""
Əli Али 4
Məmməd Мамед 4
Hüseyn Гусейн 3
Həsən Гасан 3
Rəşid Рашид 2
Elçin Эльчин 2
Vüqar Вугар 2
Tofiq Тофик 2
İlham Ильхам 2
Rövşən Ровшан 2
Elnur Эльнур 2
Orxan Орхан 2
Ramil Рамиль 2
Nicat Ниджат 1
Kamran Камран 2
Fərid Фарид 1
Zaur Заур 2
Anar Анар 2
Namiq Намик 2
Natiq Натик 1
Səbuhi Сабухи 1
Vaqif Вагиф 2
Şahin Шахин 1
Elvin Эльвин 1
Rauf Рауф 1
Samir Самир 1
Mübariz Мубариз 1
Fuad Фуад 1
Ceyhun Джейхун 1
Emin Эмин 1
Tural Турал 1
İsmayıl Исмаил 1
İbrahim Ибрагим 1
Yaqub Якуб 1
Qasım Касум 1
Musa Муса 2
İsa Иса 1
Cavid Джавид 1
Əhməd Ахмед 1
Rəhim Рагим 1
Xəlil Халил 1
Heydər Гейдар 1
Bəhruz Бахруз 1
Aydın Айдын 1
Eldar Эльдар 1
Elşən Эльшан 1
Yusif Юсиф 1
Qurban Курбан 1
Nazim Назим 1
Arif Ариф 1
Mahir Махир 1
Səməd Самед 1
Cavanşir Джаваншир 1
Ağa Ага 1
Zakir Закир 1
Fazil Фазиль 1
Sabir Сабир 1
Etibar Этибар 1
Telman Тельман 1
Oqtay Октай 1
Akif Акиф 1
Azər Азер 1
Bəxtiyar Бахтияр 1
Elxan Эльхан 1
Elman Эльман 1
Fikrət Фикрет 1
Firudin Фирудин 0.5
Hikmət Хикмет 1
Xaqani Хагани 0.5
İlqar Ильгар 1
Kənan Кенан 0.5
Mais Маис 0.5
Malik Малик 0.5
Nadir Надир 0.5
Nurlan Нурлан 0.5
Polad Полад 0.5
Rafiq Рафик 1
Rasim Расим 1
Sahib Сахиб 0.5
Seymur Сеймур 0.5
Şamil Шамиль 0.5
Tahir Тахир 1
Teymur Теймур 0.5
Ülvi Ульви 0.5
Vasif Васиф 0.5
Yaşar Яшар 0.5
Zahid Захид 0.5
Əbülfəz Абульфаз 0.5
Ənvər Анвар 0.5
Əziz Азиз 1
Cəmil Джамиль 0.5
Mirzə Мирза 0.5
Novruz Новруз 0.5
Qabil Габиль 0.5
Ramiz Рамиз 1
Rüfət Руфат 0.5
Sərvər Сарвар 0.5
Vidadi Видади 0.5
Yunis Юнис 0.5
Zöhrab Зохраб 0.5
""")

FEMALE_GIVEN_NAMES = _table("""
Aynur Айнур 2
Günel Гюнель 2
Səbinə Сабина 2
Leyla Лейла 2
Nərgiz Наргиз 2
Könül Кёнуль 1
Sevinc Севиндж 1
Gülnarə Гюльнара 1
Xədicə Хадиджа 1
Fatimə Фатима 2
Zəhra Захра 1
Aysel Айсель 2
Ülviyyə Ульвия 1
Nigar Нигяр 1
Lalə Лала 1
Elmira Эльмира 1
Şəhla Шахла 1
Sevda Севда 1
Rəna Рена 1
Solmaz Солмаз 1
Mehriban Мехрибан 1
Xəyalə Хаяла 1
Pərvin Парвин 1
Aytən Айтан 1
Samirə Самира 1
Vüsalə Вусала 1
İradə Ирада 1
Zərifə Зарифа 1
Təranə Тарана 1
Nazilə Назиля 1
Gülşən Гюльшан 1
Sürəyya Сурая 1
Məleykə Малейка 1
Kifayət Кифаят 1
Səkinə Сакина 1
Rəhilə Рахиля 1
Tamilla Тамилла 1
Firuzə Фируза 1
Afaq Афаг 0.5
Bahar Бахар 0.5
Dilarə Дилара 0.5
Esmira Эсмира 0.5
Gülbəniz Гюльбениз 0.5
Humay Гумай 0.5
İlahə Илаха 0.5
Jalə Жала 0.5
Kəmalə Кямаля 0.5
Lamiyə Ламия 0.5
Mələk Малак 0.5
Nailə Наиля 1
Ofelya Офелия 0.3
Pəri Пери 0.5
Rəqsanə Рагсана 0.5
Sona Сона 0.5
Şəfiqə Шафига 0.5
Tünzalə Тунзаля 0.3
Validə Валида 0.5
Yeganə Егана 0.5
Zülfiyyə Зульфия 0.5
Ədilə Адиля 0.5
Gülxanım Гюльханым 0.3
Mətanət Матанат 0.5
Sədaqət Садагат 0.5
Zemfira Земфира 0.5
""")

# Districts and towns, most of them in the regions where people went missing.
PLACES = _table("""
Şuşa Шуша 3
Ağdam Агдам 4
Laçın Лачин 3
Kəlbəcər Кельбаджар 3
Füzuli Физули 3
Cəbrayıl Джебраил 3
Qubadlı Кубатлы 2
Zəngilan Зангелан 2
Xocalı Ходжалы 3
Xocavənd Ходжавенд 2
Tərtər Тертер 2
Bakı Баку 3
Gəncə Гянджа 2
Sumqayıt Сумгаит 1
Ağcabədi Агджабеди 1
Bərdə Барда 1
Goranboy Геранбой 1
Beyləqan Бейлаган 1
Qazax Газах 1
Naxçıvan Нахичевань 1
Şəmkir Шамкир 1
Mingəçevir Мингечевир 1
Ağdərə Агдере 1
Xankəndi Ханкенди 1
""")

_DIACRITICS = str.maketrans({"ə": "e", "Ə": "E", "ş": "s", "Ş": "S", "ç": "c", "Ç": "C", "ğ": "g", "Ğ": "G",
                             "ı": "i", "İ": "I", "ö": "o", "Ö": "O", "ü": "u", "Ü": "U"})
_DIACRITICS_A = str.maketrans({"ə": "a", "Ə": "A"})

_AZ_TO_EN = {"ə": "a", "ş": "sh", "ç": "ch", "ğ": "gh", "ı": "i", "ö": "o", "ü": "u", "q": "g", "x": "kh",
             "c": "j", "i̇": "i"}
_RU_TO_EN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya",
}
_AZ_TO_RU = {
    "a": "а", "b": "б", "c": "дж", "ç": "ч", "d": "д", "e": "е", "ə": "а", "f": "ф", "g": "г", "ğ": "г",
    "h": "г", "x": "х", "ı": "ы", "i": "и", "j": "ж", "k": "к", "q": "г", "l": "л", "m": "м", "n": "н",
    "o": "о", "ö": "ё", "p": "п", "r": "р", "s": "с", "ş": "ш", "t": "т", "u": "у", "ü": "ю", "v": "в",
    "y": "й", "z": "з",
}
_RU_VOWELS = "аеёиоуыэюя"


def _match_case(word: str, template: str) -> str:
    """Capitalise word like template (Title or UPPER)."""
    if template.isupper() and len(template) > 1:
        return word.upper()
    return word[:1].upper() + word[1:]


def strip_diacritics(text: str, *, schwa_as_a: bool = False) -> str:
    """Azerbaijani Latin typed on a keyboard without its letters (Məmmədov → Memmedov or Mammadov)."""
    if schwa_as_a:
        text = text.translate(_DIACRITICS_A)
    return text.translate(_DIACRITICS)


def az_to_english(text: str) -> str:
    """Official-style English transliteration of Azerbaijani Latin (Cəfərov → Jafarov)."""
    out = "".join(_AZ_TO_EN.get(c, c) for c in text.replace("İ", "i").replace("I", "ı").lower())
    return " ".join(_match_case(w, w) for w in out.split(" "))


def russian_to_english(text: str) -> str:
    """Passport-style English transliteration of a Russian form (Джафаров → Dzhafarov)."""
    out = "".join(_RU_TO_EN.get(c, c) for c in text.lower())
    return " ".join(_match_case(w, w) for w in out.split(" "))


def az_to_russian(text: str) -> str:
    """Letter-by-letter Cyrillic of an Azerbaijani Latin word (Məmmədov → Маммадов), the modern style."""
    lowered = text.replace("İ", "i").replace("I", "ı").lower()
    out: list[str] = []
    index = 0
    while index < len(lowered):
        char = lowered[index]
        following = lowered[index + 1] if index + 1 < len(lowered) else ""
        if char == "y" and following and following in "aeuo":
            out.append({"a": "я", "e": "е", "u": "ю", "o": "ё"}[following])
            index += 2
            continue
        if char == "e" and (not out or out[-1][-1] in _RU_VOWELS):
            out.append("э")
        else:
            out.append(_AZ_TO_RU.get(char, char))
        index += 1
    return "".join(out).capitalize()


def feminine_surname(surname_az: str, surname_ru: str) -> tuple[str, str]:
    """Feminine forms of a surname in Azerbaijani Latin and Russian (Əliyev → Əliyeva, Алиева)."""
    if surname_az.endswith(("ov", "ev", "yev")):
        return surname_az + "a", surname_ru + "а"
    return surname_az, surname_ru


def patronymic_text(father: NameForm, sex: str, style: str, rng: random.Random) -> str:
    """Write a patronymic in one agency style: 'az' (Rəşid oğlu), 'ru' (Рашидович) or 'en' (Rashid oglu)."""
    son = sex == "M"
    if style == "az":
        return f"{father.az} {'oğlu' if son else 'qızı'}"
    if style == "ru":
        if rng.random() < 0.25:
            return f"{father.ru} {'оглы' if son else 'кызы'}"
        stem = father.ru
        if stem[-1] in "аяи":
            stem = stem[:-1] + ("ае" if stem[-1] in "ая" else "ие")
            suffix = "вич" if son else "вна"
        elif stem[-1] in "йь":
            stem = stem[:-1]
            suffix = "евич" if son else "евна"
        else:
            suffix = "ович" if son else "овна"
        return stem + suffix
    # English: from the Azerbaijani or the Russian form.
    choice = rng.random()
    if choice < 0.5:
        word = rng.choice(["oglu", "oglu", "ogly"]) if son else rng.choice(["gizi", "qizi", "kyzy"])
        return f"{az_to_english(father.az)} {word}"
    return russian_to_english(patronymic_text(father, sex, "ru", rng))


def render_name(form: NameForm, style: str, rng: random.Random, *, feminine: bool = False) -> str:
    """Write one vocabulary word as an agency would: style 'az', 'az_plain', 'ru' or 'en'."""
    az, ru = (feminine_surname(form.az, form.ru) if feminine else (form.az, form.ru))
    if style == "az":
        return az
    if style == "az_plain":
        return strip_diacritics(az, schwa_as_a=rng.random() < 0.5)
    if style == "ru":
        return az_to_russian(az) if rng.random() < 0.1 else ru
    # English: official transliteration of the Azerbaijani, or passport transliteration of the Russian.
    return az_to_english(az) if rng.random() < 0.55 else russian_to_english(ru)
