"""The family inquiry portal (F10): case code + secret → where the case stands, in plain words.

Azerbaijani, Russian or English (Babel catalogues). Nothing genetic and nothing about any other
family is ever shown. Every answer takes the same time (``portal_answer_seconds``) whether the
code exists or not: an unknown code is verified against a dummy hash, the query is audited in
both cases, and the answer is padded to the fixed time. Queries are rate-limited by client and
by case code.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from mpid.registry.lifecycle import CaseStatus
from mpid.registry.models import MissingPerson
from mpid.registry.repositories import find_missing_person_by_case_code
from mpid.security.audit import AuditAction, record_audit
from mpid.security.auth import verify_case_secret
from mpid.security.ratelimit import RateLimitError
from mpid.security.roles import Principal
from mpid.web.deps import SessionDep
from mpid.web.templating import render
from mpid.web.translation import LANGUAGES, LOCALE_COOKIE, choose_language

__all__ = ["STATUS_MESSAGES", "pages"]

pages = APIRouter(tags=["pages"], include_in_schema=False)


def N_(text: str) -> str:  # noqa: N802 - gettext's marker for extraction
    """Mark a message for translation without translating it here."""
    return text


STATUS_MESSAGES: dict[CaseStatus, str] = {
    CaseStatus.REPORTED: N_("Your report has been registered. The search for your relative continues."),
    CaseStatus.REFERENCES_COLLECTED: N_(
        "Reference samples from the family have been received. The search for your relative continues."),
    CaseStatus.CANDIDATE_MATCH: N_("Specialists are examining possible results. There is no confirmed result yet."),
    CaseStatus.UNDER_REVIEW: N_("Specialists are examining possible results. There is no confirmed result yet."),
    CaseStatus.IDENTIFIED: N_(
        "There is important news about your relative. A family liaison officer will contact you in person."),
    CaseStatus.FAMILY_NOTIFIED: N_(
        "Your family has been informed of the result. For any question, please contact the commission."),
    CaseStatus.CLOSED: N_("The case is closed. For any question, please contact the commission."),
}


def _normalise_code(code: str) -> str:
    return code.strip().upper()[:40]


def _lookup(session: Session, code: str, secret: str, policy) -> CaseStatus | None:  # type: ignore[no-untyped-def]
    """The case's status if code and secret match, else None (the same argon2 work either way)."""
    person = find_missing_person_by_case_code(session, code) if code else None
    ok = verify_case_secret(person.case_secret_hash if person else None, secret, policy)
    if not ok or person is None:
        return None
    seen = {person.id}
    while person.status == CaseStatus.MERGED_DUPLICATE and person.merged_into_id is not None:
        nxt = session.get(MissingPerson, person.merged_into_id)
        if nxt is None or nxt.id in seen:
            break
        person = nxt
        seen.add(person.id)
    return CaseStatus(person.status)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _language_response(request: Request, response: Response, lang: str) -> Response:
    response.set_cookie(LOCALE_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True,
                        secure=request.app.state.settings.secure_cookies)
    return response


@pages.get("/inquiry")
def inquiry_form(request: Request, lang: str | None = None) -> Response:
    """The portal's form, in the family's language."""
    language = choose_language(request, lang, default=request.app.state.settings.default_locale)
    response = render(request, "inquiry.html", {"answer": None, "code": "", "languages": LANGUAGES},
                      language=language)
    return _language_response(request, response, language)


@pages.post("/inquiry")
async def inquiry(
    request: Request, session: SessionDep, case_code: Annotated[str, Form(max_length=80)],
    secret: Annotated[str, Form(max_length=80)], lang: Annotated[str, Form()] = "",
) -> Response:
    """Answer with the status in plain words, after the same fixed time whatever the outcome."""
    started = time.monotonic()
    settings = request.app.state.settings
    language = choose_language(request, lang or None, default=settings.default_locale)
    code = _normalise_code(case_code)
    limited = False
    try:
        request.app.state.limits.check_portal(_client(request), code or "-")
    except RateLimitError:
        limited = True
    status: CaseStatus | None = None
    if not limited:
        status = await run_in_threadpool(_lookup, session, code, secret, settings.auth_policy)
        session.rollback()
    outcome = "limited" if limited else ("answered" if status is not None else "no_match")
    await run_in_threadpool(
        record_audit, request.app.state.session_factory, actor=Principal.family_member(code or "-"),
        action=AuditAction.PORTAL_QUERY, object_type="case", object_id=code or None, details={"outcome": outcome})
    remaining = settings.portal_answer_seconds - (time.monotonic() - started)
    if remaining > 0:
        await asyncio.sleep(remaining)
    answer = {"outcome": outcome, "message": STATUS_MESSAGES.get(status) if status else None}
    response = render(request, "inquiry.html", {"answer": answer, "code": code, "languages": LANGUAGES},
                      status_code=429 if limited else 200, language=language)
    return _language_response(request, response, language)
