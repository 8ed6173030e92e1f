"""The Jinja2 environment shared by the pages and the PDF reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

from mpid.reports.formatting import fmt_date, fmt_log10, fmt_lr, fmt_prob
from mpid.reports.match_report import REPORT_TEMPLATE_DIR
from mpid.web.translation import LANGUAGES, choose_language, translations

__all__ = ["TEMPLATE_DIR", "make_templates", "render"]

TEMPLATE_DIR = Path(__file__).parent / "templates"


def make_templates() -> Jinja2Templates:
    """Templates with the filters the pages and reports use."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(TEMPLATE_DIR), str(REPORT_TEMPLATE_DIR)]), autoescape=True
    )
    templates = Jinja2Templates(env=env)
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
