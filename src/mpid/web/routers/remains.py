"""Remains and samples with their chain of custody; STR profiles for those who may read genetic data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from mpid.registry.models import (
    CandidateMatch,
    CustodyAction,
    Identification,
    MissingPerson,
    Remains,
    RemainsKind,
    Sample,
    SampleType,
    Sex,
)
from mpid.registry.repositories import find_sample_by_barcode, get_by_id
from mpid.security.roles import Permission, PermissionDeniedError
from mpid.services.sites import RemainsInput, add_custody_event, record_remains, record_sample
from mpid.web.deps import CallerDep, SessionDep, check_csrf
from mpid.web.routers.common import (
    audit_genetic_view,
    donor_decision,
    optional_date,
    optional_float,
    optional_int,
)
from mpid.web.schemas import RemainsRead
from mpid.web.templating import render

__all__ = ["api", "pages"]

pages = APIRouter(tags=["pages"], include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["remains"])


@pages.get("/remains")
def remains_page(request: Request, session: SessionDep, caller: CallerDep,
                 page: Annotated[int, Query(ge=1)] = 1) -> Response:
    """Remains, newest first, with their site and number of samples."""
    caller.require(Permission.SITE_READ)
    size = request.app.state.settings.page_size
    total = int(session.scalar(select(func.count()).select_from(Remains)) or 0)
    rows = session.scalars(select(Remains).options(selectinload(Remains.samples), selectinload(Remains.site))
                           .order_by(Remains.id.desc()).offset((page - 1) * size).limit(size)).all()
    return render(request, "remains_list.html", {
        "rows": rows, "total": total, "page": page, "pages": max(1, -(-total // size)),
        "kinds": [k.value for k in RemainsKind], "sexes": [s.value for s in Sex],
    })


@pages.post("/remains")
async def create_remains(
    request: Request, session: SessionDep, caller: CallerDep, kind: Annotated[RemainsKind, Form()],
    site_id: Annotated[str, Form()] = "", body_part: Annotated[str, Form()] = "",
    anthropological_sex: Annotated[Sex, Form()] = Sex.UNKNOWN, age_min: Annotated[str, Form()] = "",
    age_max: Annotated[str, Form()] = "", stature_min_cm: Annotated[str, Form()] = "",
    stature_max_cm: Annotated[str, Form()] = "", recovered_on: Annotated[str, Form()] = "",
) -> Response:
    """Record remains (field officers)."""
    await check_csrf(request, caller)
    caller.require(Permission.SITE_WRITE)
    row = record_remains(session, RemainsInput(
        kind=kind, body_part=body_part or None, anthropological_sex=anthropological_sex,
        age_min=optional_int(age_min), age_max=optional_int(age_max),
        stature_min_cm=optional_float(stature_min_cm), stature_max_cm=optional_float(stature_max_cm),
        recovered_on=optional_date(recovered_on),
    ), site=optional_int(site_id))
    session.commit()
    return RedirectResponse(f"/remains/{row.id}", status_code=303)


@pages.get("/remains/{remains_id}")
def remains_detail(request: Request, session: SessionDep, caller: CallerDep, remains_id: int) -> Response:
    """Remains: findings, samples with chain of custody, profiles (genetic readers only, audited)."""
    caller.require(Permission.SITE_READ)
    remains = get_by_id(session, Remains, remains_id)
    genetic = caller.can(Permission.GENETIC_READ)
    if genetic and any(s.profiles for s in remains.samples):
        audit_genetic_view(request, caller, "remains", remains.code, {"page": "remains"})
    candidates: list[tuple[CandidateMatch, str | None]] = []
    if caller.can(Permission.MATCH_READ):
        candidates = [(c, code) for c, code in session.execute(
            select(CandidateMatch, MissingPerson.case_code)
            .outerjoin(MissingPerson, MissingPerson.id == CandidateMatch.missing_person_id)
            .where(CandidateMatch.remains_id == remains.id).order_by(CandidateMatch.lr.desc()).limit(20))]
    identification = session.scalar(select(Identification).where(Identification.remains_id == remains.id))
    return render(request, "remains.html", {
        "r": remains, "genetic": genetic, "candidates": candidates, "identification": identification,
        "sample_types": [t.value for t in SampleType],
        "actions": [a.value for a in CustodyAction],
    })


@pages.post("/remains/{remains_id}/samples")
async def add_sample(
    request: Request, session: SessionDep, caller: CallerDep, remains_id: int,
    barcode: Annotated[str, Form()], sample_type: Annotated[SampleType, Form()],
    description: Annotated[str, Form()] = "", collected_on: Annotated[str, Form()] = "",
) -> Response:
    """Take a bar-coded sample from the remains (its custody starts with 'collected')."""
    await check_csrf(request, caller)
    caller.require(Permission.SAMPLE_WRITE)
    record_sample(session, barcode.strip(), sample_type, remains=remains_id, description=description or None,
                  collected_on=optional_date(collected_on), collected_by=caller.username)
    session.commit()
    return RedirectResponse(f"/remains/{remains_id}#samples", status_code=303)


@pages.post("/samples/{barcode}/custody")
async def add_custody(
    request: Request, session: SessionDep, caller: CallerDep, barcode: str,
    action: Annotated[CustodyAction, Form()], location: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
) -> Response:
    """Add a step to a sample's chain of custody."""
    await check_csrf(request, caller)
    caller.require(Permission.SAMPLE_WRITE)
    sample = find_sample_by_barcode(session, barcode)
    if sample is None:
        from mpid.registry.errors import NotFoundError

        raise NotFoundError(f"no sample with bar code {barcode!r}")
    add_custody_event(session, sample, action, at=datetime.now().astimezone(), actor=caller.username,
                      location=location or None, notes=notes or None)
    session.commit()
    target = f"/remains/{sample.remains_id}#samples" if sample.remains_id else "/remains"
    return RedirectResponse(target, status_code=303)


@api.get("/remains/{remains_id}", response_model=RemainsRead)
def api_remains(session: SessionDep, caller: CallerDep, remains_id: int) -> RemainsRead:
    """Remains and the anthropologist's findings (no genetic data)."""
    caller.require(Permission.SITE_READ)
    return RemainsRead.model_validate(get_by_id(session, Remains, remains_id))


@api.get("/samples/{barcode}")
def api_sample(request: Request, session: SessionDep, caller: CallerDep, barcode: str) -> dict[str, object]:
    """A sample with its chain of custody; its profiles only for genetic readers (audited)."""
    caller.require(Permission.SITE_READ)
    sample: Sample | None = find_sample_by_barcode(session, barcode)
    if sample is None:
        from mpid.registry.errors import NotFoundError

        raise NotFoundError(f"no sample with bar code {barcode!r}")
    genetic = caller.can(Permission.GENETIC_READ)
    if sample.donor is not None:
        caller.require(Permission.DONOR_READ)
        access = donor_decision(caller, sample.donor)
        if not access.visible:
            raise PermissionDeniedError(caller.principal.role, Permission.DONOR_READ, caller.username)
        genetic = genetic and access.genetic_visible
    out: dict[str, object] = {
        "barcode": sample.barcode, "sample_type": sample.sample_type.value,
        "remains_id": sample.remains_id, "collected_on": sample.collected_on,
        "custody": [{"action": e.action.value, "at": e.at, "actor": e.actor, "location": e.location,
                     "notes": e.notes} for e in sample.custody_events],
    }
    if genetic:
        audit_genetic_view(request, caller, "sample", sample.barcode, {"api": True})
        out["profiles"] = [{"id": p.id, "kit": p.kit, "lab": p.lab, "run": p.run, "n_loci": p.n_loci,
                            "alleles": p.alleles} for p in sample.profiles]
    return out


