"""Languages of the pages (Azerbaijani, Russian, English) from the Babel catalogues in ``i18n/``.

The catalogues (``.po``, and the compiled ``.mo`` the app loads) live in
``src/mpid/web/i18n/<lang>/LC_MESSAGES/messages.po``; recompile after editing with
``pybabel compile -d src/mpid/web/i18n -D messages``.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request

__all__ = ["LANGUAGES", "LOCALE_COOKIE", "choose_language", "translations"]

LOCALE_DIR = Path(__file__).parent / "i18n"
LANGUAGES: dict[str, str] = {"az": "Azərbaycanca", "ru": "Русский", "en": "English"}
LOCALE_COOKIE = "mpid_lang"


@lru_cache(maxsize=8)
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``language`` (English text when there is none)."""
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation("messages", localedir=str(LOCALE_DIR), languages=[language], fallback=True)


def choose_language(request: Request, explicit: str | None = None, default: str = "az") -> str:
    """``explicit`` (a ``lang`` field or parameter), else the cookie, else Accept-Language, else ``default``."""
    for candidate in (explicit, request.query_params.get("lang"), request.cookies.get(LOCALE_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default
