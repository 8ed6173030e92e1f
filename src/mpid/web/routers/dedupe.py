"""The deduplication review queue: pairs of cases that may be one person, merged or dismissed.

Pairs are proposed from the name keys of :mod:`mpid.linkage.normalise` (family name and the
start of the given name in any script) and the birth year; a case officer merges them
(:func:`mpid.services.intake.merge_duplicate`, provenance kept) or dismisses them. A dismissal is
an audit entry (``dedupe.dismiss``), so dismissed pairs are not proposed again. When the
Splink-based queue is stored in the register, this page is where it belongs.
"""

from __future__ import annotations

import hashlib
from itertools import combinations
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mpid.linkage.normalise import name_key, surname_key
from mpid.registry.models import CaseStatus, MissingPerson
from mpid.registry.repositories import get_missing_person
from mpid.security.audit import append_audit
from mpid.security.models import AuditEntry
from mpid.security.roles import Permission
from mpid.services.intake import merge_duplicate
from mpid.web.deps import CallerDep, SessionDep, check_csrf
from mpid.web.templating import render

__all__ = ["api", "candidate_pairs", "pages"]

pages = APIRouter(tags=["pages"], include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["deduplication"])

DISMISS_ACTION = "dedupe.dismiss"
MAX_BLOCK = 12


def pair_id(code_a: str, code_b: str) -> str:
    """Stable id of an unordered pair of case codes."""
    low, high = sorted((code_a, code_b))
    return hashlib.sha1(f"{low}|{high}".encode()).hexdigest()[:16]


def _block_key(person: MissingPerson) -> tuple[str, str, int | None] | None:
    words = (person.full_name or "").split()
    if len(words) < 2:
        return None
    return surname_key(words[0]), name_key(words[1])[:3], person.birth_date.year if person.birth_date else None


def candidate_pairs(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    """Open pairs of active cases agreeing on family name, given-name start and birth year."""
    dismissed = set(session.scalars(select(AuditEntry.object_id).where(AuditEntry.action == DISMISS_ACTION)))
    blocks: dict[tuple[str, str, int | None], list[tuple[int, str]]] = {}
    for mp_id, code, name, born in session.execute(
        select(MissingPerson.id, MissingPerson.case_code, MissingPerson.full_name, MissingPerson.birth_date)
        .where(MissingPerson.status.not_in([CaseStatus.MERGED_DUPLICATE, CaseStatus.CLOSED]))
    ):
        person = MissingPerson(full_name=name, birth_date=born)
        key = _block_key(person)
        if key is not None:
            blocks.setdefault(key, []).append((mp_id, code))
    pairs: list[tuple[int, int]] = []
    for members in blocks.values():
        if 1 < len(members) <= MAX_BLOCK:
            for (a, ca), (b, cb) in combinations(members, 2):
                if pair_id(ca, cb) not in dismissed:
                    pairs.append((a, b))
    pairs.sort()
    pairs = pairs[:limit]
    ids = {i for p in pairs for i in p}
    people = {p.id: p for p in session.scalars(
        select(MissingPerson).where(MissingPerson.id.in_(ids)).options(selectinload(MissingPerson.reports)))}
    return [{"a": people[a], "b": people[b], "id": pair_id(people[a].case_code, people[b].case_code)}
            for a, b in pairs]


@pages.get("/dedupe")
def dedupe_page(request: Request, session: SessionDep, caller: CallerDep) -> Response:
    """Pairs of cases that may be one person, side by side."""
    caller.require(Permission.MISSING_PERSON_MERGE)
    return render(request, "dedupe.html", {"pairs": candidate_pairs(session)})


@pages.post("/dedupe/merge")
async def merge_page(
    request: Request, session: SessionDep, caller: CallerDep, keep: Annotated[str, Form()],
    duplicate: Annotated[str, Form()],
) -> Response:
    """Merge ``duplicate`` into ``keep``: every report moves with its provenance."""
    await check_csrf(request, caller)
    _merge(request, session, caller, keep, duplicate)
    return RedirectResponse("/dedupe", status_code=303)


def _merge(request: Request, session: Session, caller, keep: str, duplicate: str) -> MissingPerson:  # type: ignore[no-untyped-def]
    caller.require(Permission.MISSING_PERSON_MERGE)
    kept = merge_duplicate(session, get_missing_person(session, duplicate), get_missing_person(session, keep),
                           actor=caller.username, reason=f"duplicate of {keep}, merged by {caller.username}")
    append_audit(session, actor=caller.principal, action="dedupe.merge", object_type="missing_person",
                 object_id=kept.case_code, details={"merged": duplicate})
    session.commit()
    request.app.state.name_index.ensure_fresh(session)
    return kept


@pages.post("/dedupe/dismiss")
async def dismiss_page(
    request: Request, session: SessionDep, caller: CallerDep, a: Annotated[str, Form()], b: Annotated[str, Form()],
) -> Response:
    """Record that two cases are different people."""
    await check_csrf(request, caller)
    _dismiss(session, caller, a, b)
    return RedirectResponse("/dedupe", status_code=303)


def _dismiss(session: Session, caller, a: str, b: str) -> str:  # type: ignore[no-untyped-def]
    caller.require(Permission.MISSING_PERSON_MERGE)
    get_missing_person(session, a)
    get_missing_person(session, b)
    pid = pair_id(a, b)
    append_audit(session, actor=caller.principal, action=DISMISS_ACTION, object_type="case_pair", object_id=pid,
                 details={"cases": sorted((a, b))})
    session.commit()
    return pid


@api.get("/dedupe/pairs")
def api_pairs(session: SessionDep, caller: CallerDep) -> list[dict[str, Any]]:
    """Open candidate pairs."""
    caller.require(Permission.MISSING_PERSON_MERGE)
    return [{"id": p["id"], "a": p["a"].case_code, "b": p["b"].case_code, "a_name": p["a"].full_name,
             "b_name": p["b"].full_name} for p in candidate_pairs(session)]


@api.post("/dedupe/merge")
async def api_merge(request: Request, session: SessionDep, caller: CallerDep, keep: Annotated[str, Form()],
                    duplicate: Annotated[str, Form()]) -> dict[str, Any]:
    """Merge ``duplicate`` into ``keep``."""
    await check_csrf(request, caller)
    kept = _merge(request, session, caller, keep, duplicate)
    return {"kept": kept.case_code, "merged": duplicate, "reports": len(kept.reports)}


@api.post("/dedupe/dismiss")
async def api_dismiss(request: Request, session: SessionDep, caller: CallerDep, a: Annotated[str, Form()],
                      b: Annotated[str, Form()]) -> dict[str, str]:
    """Dismiss a pair."""
    await check_csrf(request, caller)
    return {"dismissed": _dismiss(session, caller, a, b)}
