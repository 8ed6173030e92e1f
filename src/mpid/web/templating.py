"""The Jinja2 environment shared by the pages and the PDF reports."""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

from mpid.web.i18n import LANGUAGES, choose_language, translations

__all__ = ["TEMPLATE_DIR", "make_templates", "render"]

TEMPLATE_DIR = Path(__file__).parent / "templates"


def fmt_lr(value: float | None) -> str:
    """An LR for people: 3 significant digits, scientific above 10^4."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if math.isinf(value):
        return "∞"
    if value == 0:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.3e}"
    return f"{value:.4g}"


def fmt_prob(value: float | None) -> str:
    """A probability as a percentage with enough digits to tell 99.95 % from 99.99 %."""
    if value is None:
        return "–"
    return f"{100 * value:.4f} %"


def fmt_log10(value: float | None) -> str:
    """log10 of a positive number, two decimals."""
    if value is None or value <= 0 or math.isinf(value):
        return "–"
    return f"{math.log10(value):.2f}"


def fmt_date(value: date | datetime | None) -> str:
    """ISO date (and minutes for times)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def make_templates() -> Jinja2Templates:
    """Templates with the filters the pages and reports use."""
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    env = templates.env
    env.filters.update(lr=fmt_lr, prob=fmt_prob, log10=fmt_log10, d=fmt_date)
    env.globals["LANGUAGES"] = LANGUAGES
    return templates


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200,
           language: str | None = None) -> HTMLResponse:
    """Render a page with the caller, the language and ``_`` (gettext) in its context."""
    settings = request.app.state.settings
    lang = language or choose_language(request, default=settings.default_locale)
    tr = translations(lang)
    ctx: dict[str, Any] = {
        "request": request,
        "caller": getattr(request.state, "caller", None),
        "lang": lang,
        "_": tr.gettext,
    }
    ctx.update(context or {})
    return request.app.state.templates.TemplateResponse(request, name, ctx, status_code=status_code)
