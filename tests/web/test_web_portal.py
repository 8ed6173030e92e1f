"""The family inquiry portal: plain-language status in az/ru/en, nothing genetic, constant time, rate limits."""

from __future__ import annotations

import gettext
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import case_code_from, case_secret_from

from mpid.registry.db import session_scope
from mpid.security.models import AuditEntry
from mpid.web.routers.inquiry import STATUS_MESSAGES

I18N = Path(__file__).resolve().parents[2] / "src" / "mpid" / "web" / "i18n"
TEMPLATE = Path(__file__).resolve().parents[2] / "src" / "mpid" / "web" / "templates" / "inquiry.html"


def _new_case(login) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    page = login("officer").form("/persons", {"source_agency": "State Commission",
                                              "name_original": "Əliyev Tural", "sex": "male"})
    return case_code_from(page.text), case_secret_from(page.text)


def _ask(client: TestClient, code: str, secret: str, lang: str):  # type: ignore[no-untyped-def]
    return client.post("/inquiry", data={"case_code": code, "secret": secret, "lang": lang})


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "Your report has been registered"),
    ("az", "Müraciətiniz qeydə alınıb"),
    ("ru", "Ваше заявление зарегистрировано"),
])
def test_status_in_plain_words_in_three_languages(app, login, lang, expected):
    code, secret = _new_case(login)
    response = _ask(TestClient(app), code.lower(), secret.lower().replace("-", " "), lang)
    assert response.status_code == 200
    assert expected in response.text
    assert f'lang="{lang}"' in response.text


def test_unknown_code_and_wrong_secret_look_the_same_and_take_the_same_time(app, login):
    code, secret = _new_case(login)
    client = TestClient(app)
    _ask(client, "MP-WARM-UP00", "x", "en")
    timings = {}
    texts = {}
    for label, (c, s) in {"wrong": (code, "AAAAA-BBBBB"), "unknown": ("MP-0000-0000", secret)}.items():
        started = time.monotonic()
        response = _ask(client, c, s, "en")
        timings[label] = time.monotonic() - started
        texts[label] = re.search(r'id="answer"[^>]*>([^<]+)<', response.text).group(1)
        assert response.status_code == 200
    assert texts["wrong"] == texts["unknown"]
    floor = app.state.settings.portal_answer_seconds
    assert all(t >= floor for t in timings.values())
    assert abs(timings["wrong"] - timings["unknown"]) < 0.15
    with session_scope(app.state.engine) as s:
        outcomes = [e.details for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "portal.query"))]
    assert len(outcomes) == 3 and all('"no_match"' in o for o in outcomes)


def test_portal_shows_nothing_genetic_or_of_other_families(matched, login):
    code, secret = _new_case(login)
    response = _ask(TestClient(matched), code, secret, "en")
    text = response.text
    for word in ("LR", "D10S1248", "allele", "posterior", "donor", "MP-"):
        assert word not in text.replace(code, ""), word


def test_portal_rate_limit_per_case(app, login):
    code, _secret = _new_case(login)
    client = TestClient(app)
    statuses = [_ask(client, code, "WRONG-SECRET", "en").status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[-1] == 429
    assert "Too many attempts" in _ask(client, code, "x", "en").text


def test_merged_case_answers_with_the_surviving_case_status(app, login):
    code_a, _ = _new_case(login)
    code_b, secret_b = _new_case(login)
    officer = login("officer")
    assert officer.form("/dedupe/merge", {"keep": code_a, "duplicate": code_b}).status_code == 303
    response = _ask(TestClient(app), code_b, secret_b, "en")
    assert "Your report has been registered" in response.text


def test_form_in_each_language_and_language_cookie(app):
    client = TestClient(app)
    assert "Ailə sorğusu" in client.get("/inquiry").text  # default: Azerbaijani
    assert "Запрос семьи" in client.get("/inquiry", params={"lang": "ru"}).text
    assert "Запрос семьи" in client.get("/inquiry").text  # remembered
    assert "Family inquiry" in client.get("/inquiry", headers={"accept-language": "en"},
                                          params={"lang": "en"}).text


@pytest.mark.parametrize("lang", ["az", "ru"])
def test_catalogues_translate_every_message(lang):
    catalogue = gettext.GNUTranslations((I18N / lang / "LC_MESSAGES" / "messages.mo").open("rb"))
    template_ids = re.findall(r'_\("([^"]+)"\)', TEMPLATE.read_text(encoding="utf-8"))
    ids = set(template_ids) | set(STATUS_MESSAGES.values())
    assert len(ids) >= 15
    missing = [m for m in ids if catalogue.gettext(m) == m]
    assert not missing
    po = (I18N / lang / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    assert all(f'msgid "{m}"' in po or m[:30] in po for m in ids)
