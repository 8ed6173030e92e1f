"""Missing persons: search in any script, the list with paging, the case page, new cases and donors."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from mpid.registry.errors import RegisterError
from mpid.registry.models import (
    CandidateMatch,
    CaseStatus,
    DatePrecision,
    Donor,
    Family,
    Identification,
    MissingPerson,
    Notification,
    NotificationChannel,
    PedigreePerson,
    Remains,
    Sex,
)
from mpid.registry.repositories import get_missing_person
from mpid.security.audit import AuditAction, append_audit
from mpid.security.auth import hash_case_secret, new_case_secret
from mpid.security.roles import Permission
from mpid.services.intake import ReportInput, register_report
from mpid.services.lifecycle import move_case
from mpid.services.references import RELATIONSHIPS, ConsentInput, add_donor
from mpid.services.review import candidate_state
from mpid.web.deps import Caller, CallerDep, SessionDep, check_csrf
from mpid.web.routers.common import (
    case_filter,
    donor_decision,
    ensure_case_visible,
    is_htmx,
    optional_date,
    optional_int,
)
from mpid.web.schemas import (
    CandidateRead,
    CaseRead,
    DonorCreate,
    DonorRead,
    MissingPersonCreate,
    MissingPersonRead,
    Page,
    ReportRead,
    StatusEventRead,
)
from mpid.web.svg import PedigreeNode, pedigree_svg
from mpid.web.templating import render

__all__ = ["api", "pages"]

pages = APIRouter(tags=["pages"], include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["missing persons"])


# ----------------------------------------------------------------------------- queries


def list_cases(
    request: Request, session: Session, caller: Caller, *, q: str | None, status: str | None, page: int,
    page_size: int,
) -> tuple[list[MissingPerson], int]:
    """One page of cases (newest first), optionally searched by name in any script or by case code."""
    allowed = case_filter(caller)
    conditions = [allowed]
    if status:
        if status not in {s.value for s in CaseStatus}:
            raise RegisterError(f"unknown status {status!r}", field="status")
        conditions.append(MissingPerson.status == CaseStatus(status))
    offset = (page - 1) * page_size
    if q and q.strip():
        ids = request.app.state.name_index.search(session, q)
        ids.reverse()  # newest first
        if len(conditions) > 1 or caller.principal.role.value == "partner_agency":
            kept: list[int] = []
            for start in range(0, len(ids), 5000):
                chunk = ids[start : start + 5000]
                kept += session.scalars(
                    select(MissingPerson.id).where(MissingPerson.id.in_(chunk), *conditions)
                ).all()
            ids = sorted(kept, reverse=True)
        total = len(ids)
        wanted = ids[offset : offset + page_size]
        rows = session.scalars(select(MissingPerson).where(MissingPerson.id.in_(wanted))).all() if wanted else []
        by_id = {r.id: r for r in rows}
        return [by_id[i] for i in wanted if i in by_id], total
    total = int(session.scalar(select(func.count()).select_from(MissingPerson).where(*conditions)) or 0)
    if offset > total // 2:
        # Deep pages: walk from the other end (an OFFSET costs a step per skipped row).
        size = max(0, min(page_size, total - offset))
        from_end = max(0, total - offset - size)
        rows = session.scalars(
            select(MissingPerson).where(*conditions).order_by(MissingPerson.id.asc()).offset(from_end).limit(size)
        ).all()
        return list(reversed(rows)), total
    rows = session.scalars(
        select(MissingPerson).where(*conditions).order_by(MissingPerson.id.desc()).offset(offset).limit(page_size)
    ).all()
    return list(rows), total


def _pedigree(person: MissingPerson, session: Session) -> tuple[Family | None, list[PedigreeNode]]:
    pp = person.pedigree_person
    if pp is None:
        return None, []
    family = session.get(Family, pp.family_id)
    members = session.scalars(
        select(PedigreePerson).where(PedigreePerson.family_id == pp.family_id)
        .options(selectinload(PedigreePerson.donor).selectinload(Donor.samples))
    ).all()
    nodes = []
    for m in members:
        kind = "missing" if m.missing_person_id else ("donor" if m.donor_id else "untyped")
        typed = bool(m.donor and any(s.profiles for s in m.donor.samples))
        nodes.append(PedigreeNode(
            id=m.id, label=m.label, sex=m.sex.value, father_id=m.father_id, mother_id=m.mother_id, kind=kind,
            typed=typed, highlight=m.missing_person_id == person.id,
        ))
    return family, nodes


def case_details(session: Session, caller: Caller, person: MissingPerson) -> dict[str, Any]:
    """Everything the case page and the case API show, filtered by the caller's rights."""
    ensure_case_visible(caller, person)
    family, nodes = _pedigree(person, session)
    donors: list[dict[str, Any]] = []
    if family is not None and caller.can(Permission.DONOR_READ):
        for node in nodes:
            if node.kind != "donor":
                continue
            member = session.get(PedigreePerson, node.id)
            donor = member.donor  # type: ignore[union-attr]
            access = donor_decision(caller, donor)
            if not access.visible:
                continue
            record = donor.consents[-1] if donor.consents else None
            if record is None:
                consent = "no consent recorded"
            elif record.withdrawn_on:
                consent = f"withdrawn on {record.withdrawn_on}"
            else:
                scopes = ["identification"] + (["court"] if record.court_use else [])
                if record.shared_with_agencies:
                    scopes.append("shared with " + ", ".join(record.shared_with_agencies))
                consent = ", ".join(scopes) + f" (given {record.given_on})"
            donors.append({
                "pseudonym": donor.pseudonym, "sex": donor.sex, "relationship": donor.stated_relationship,
                "consent": consent, "has_profile": node.typed if access.genetic_visible else None,
                "access": access,
            })
    candidates: list[dict[str, Any]] = []
    if caller.can(Permission.MATCH_READ):
        rows = session.execute(
            select(CandidateMatch, Remains.code).join(Remains, Remains.id == CandidateMatch.remains_id)
            .where(CandidateMatch.missing_person_id == person.id)
            .options(selectinload(CandidateMatch.reviews))
            .order_by(CandidateMatch.lr.desc()).limit(50)
        ).all()
        for cand, remains_code in rows:
            candidates.append({"c": cand, "remains_code": remains_code, "state": candidate_state(session, cand)})
    identifications = session.scalars(
        select(Identification).where(Identification.missing_person_id == person.id).order_by(Identification.id)
    ).all()
    return {
        "person": person,
        "identifications": identifications,
        "reports": person.reports,
        "history": person.status_events,
        "family": family,
        # The pedigree names donors by pseudonym and shows who is typed: only for those who may read donors.
        "pedigree_svg": (pedigree_svg(nodes, title=f"pedigree of {person.case_code}")
                         if nodes and caller.can(Permission.DONOR_READ) else None),
        "donors": donors,
        "candidates": candidates,
    }


def _candidate_read(item: dict[str, Any], case_code: str | None, genetic: bool) -> CandidateRead:
    c = item["c"]
    return CandidateRead(
        id=c.id, run_id=c.run_id, remains_code=item["remains_code"], case_code=case_code, lr=c.lr,
        log10_lr=c.log10_lr if c.log10_lr is not None else (math.log10(c.lr) if c.lr and c.lr > 0 else None),
        prior=c.prior, posterior=c.posterior, n_exclusions=c.n_exclusions, n_loci_compared=c.n_loci_compared,
        conclusion=c.conclusion, rank=c.rank, state=item["state"], per_locus=dict(c.per_locus) if genetic else None,
    )


# ----------------------------------------------------------------------------- pages


@pages.get("/persons")
def persons_page(
    request: Request, session: SessionDep, caller: CallerDep,
    q: str | None = None, status: str | None = None, page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """The list of cases with search (any script) and paging; htmx gets only the results."""
    size = request.app.state.settings.page_size
    rows, total = list_cases(request, session, caller, q=q, status=status or None, page=page, page_size=size)
    context = {
        "rows": rows, "total": total, "page": page, "pages": max(1, math.ceil(total / size)), "q": q or "",
        "status": status or "", "statuses": [s.value for s in CaseStatus],
    }
    return render(request, "persons_results.html" if is_htmx(request) else "persons.html", context)


@pages.get("/persons/new")
def new_person_page(request: Request, caller: CallerDep) -> Response:
    """The form to register a missing person from a report."""
    caller.require(Permission.MISSING_PERSON_WRITE)
    return render(request, "person_new.html", {"sexes": [s.value for s in Sex]})


def _create_case(request: Request, session: Session, caller: Caller, data: MissingPersonCreate) -> tuple[
        MissingPerson, str]:
    caller.require(Permission.MISSING_PERSON_WRITE)
    script = "Cyrl" if any("\u0400" <= ch <= "\u04ff" for ch in data.name_original) else "Latn"
    report = ReportInput(**{**data.model_dump(), "full_name": data.full_name or data.name_original,
                            "name_script": script})
    person = register_report(session, report, actor=caller.username)
    secret = new_case_secret()
    person.case_secret_hash = hash_case_secret(secret, request.app.state.settings.auth_policy)
    session.flush()
    append_audit(session, actor=caller.principal, action=AuditAction.RECORD_CREATE, object_type="missing_person",
                 object_id=person.case_code, details={"source_agency": data.source_agency})
    session.commit()
    request.app.state.name_index.add(person.id, [person.full_name, data.name_original], session)
    return person, secret


@pages.post("/persons")
async def create_person_page(
    request: Request, session: SessionDep, caller: CallerDep,
    source_agency: Annotated[str, Form()], name_original: Annotated[str, Form()],
    full_name: Annotated[str, Form()] = "", source_reference: Annotated[str, Form()] = "",
    sex: Annotated[Sex, Form()] = Sex.UNKNOWN, birth_date: Annotated[str, Form()] = "",
    birth_year: Annotated[str, Form()] = "", region: Annotated[str, Form()] = "",
    disappeared_on: Annotated[str, Form()] = "", disappearance_place: Annotated[str, Form()] = "",
    circumstances: Annotated[str, Form()] = "", reporter_name: Annotated[str, Form()] = "",
    reporter_relationship: Annotated[str, Form()] = "",
) -> Response:
    """Register the report as a new case; the family's portal secret is shown once."""
    await check_csrf(request, caller)
    born = optional_date(birth_date)
    precision = DatePrecision.DAY if born else None
    if born is None and birth_year.strip():
        year = optional_int(birth_year)
        if year is None or not 1 <= year <= 9999:
            raise RegisterError(f"birth year {birth_year.strip()[:12]!r} is not a year", field="birth_year")
        born, precision = date(year, 1, 1), DatePrecision.YEAR
    data = MissingPersonCreate(
        source_agency=source_agency, name_original=name_original, full_name=full_name or None,
        source_reference=source_reference or None, sex=sex, birth_date=born, birth_date_precision=precision,
        region=region or None, disappeared_on=optional_date(disappeared_on),
        disappearance_place=disappearance_place or None, circumstances=circumstances or None,
        reporter_name=reporter_name or None, reporter_relationship=reporter_relationship or None,
        reported_on=date.today(),
    )
    person, secret = _create_case(request, session, caller, data)
    return render(request, "person_created.html", {"person": person, "secret": secret}, status_code=201)


@pages.get("/persons/{case_code}")
def case_page(request: Request, session: SessionDep, caller: CallerDep, case_code: str) -> Response:
    """The case: reports with provenance, donors and pedigree, candidate matches, history."""
    person = get_missing_person(session, case_code)
    context = case_details(session, caller, person)
    context["relationships"] = RELATIONSHIPS
    return render(request, "case.html", context)


@pages.post("/persons/{case_code}/donors")
async def add_donor_page(
    request: Request, session: SessionDep, caller: CallerDep, case_code: str,
    relationship: Annotated[str, Form()], sex: Annotated[str, Form()] = "",
    consent_given_on: Annotated[str, Form()] = "", shared_with_agencies: Annotated[str, Form()] = "",
    court_use: Annotated[str, Form()] = "",
) -> Response:
    """Add a relative as a reference donor, placed in the pedigree, with consent."""
    await check_csrf(request, caller)
    body = DonorCreate(
        relationship=relationship, sex=Sex(sex) if sex else None,
        consent_given_on=optional_date(consent_given_on) or date.today(),
        shared_with_agencies=[a.strip() for a in shared_with_agencies.split(",") if a.strip()],
        court_use=bool(court_use),
    )
    _add_donor(session, caller, case_code, body)
    return RedirectResponse(f"/persons/{case_code}#donors", status_code=303)


@pages.post("/persons/{case_code}/notifications")
async def notify_family_page(
    request: Request, session: SessionDep, caller: CallerDep, case_code: str,
    channel: Annotated[NotificationChannel, Form()] = NotificationChannel.LIAISON_OFFICER,
    note: Annotated[str, Form()] = "",
) -> Response:
    """Record that the family was told of the identification (the case moves to family_notified)."""
    await check_csrf(request, caller)
    caller.require(Permission.NOTIFICATION_SEND)
    person = get_missing_person(session, case_code)
    ensure_case_visible(caller, person)
    identification = session.scalars(select(Identification).where(Identification.missing_person_id == person.id)
                                     .order_by(Identification.id.desc())).first()
    if identification is None:
        raise RegisterError(f"case {case_code} has no identification to notify", field="case_code")
    session.add(Notification(missing_person_id=person.id, identification_id=identification.id, channel=channel,
                             notified_by=caller.username, note=note or None))
    move_case(session, person, CaseStatus.FAMILY_NOTIFIED, actor=caller.username,
              reason=f"family notified ({channel.value})")
    append_audit(session, actor=caller.principal, action=AuditAction.RECORD_CREATE, object_type="notification",
                 object_id=person.case_code, details={"channel": channel.value})
    session.commit()
    return RedirectResponse(f"/persons/{case_code}#history", status_code=303)


def _add_donor(session: Session, caller: Caller, case_code: str, body: DonorCreate) -> Donor:
    caller.require(Permission.DONOR_WRITE)
    caller.require(Permission.CONSENT_WRITE)
    person = get_missing_person(session, case_code)
    ensure_case_visible(caller, person)
    consent = ConsentInput(
        given_on=body.consent_given_on or date.today(), shared_with_agencies=tuple(body.shared_with_agencies),
        court_use=body.court_use,
    )
    donor = add_donor(session, person, body.relationship, sex=body.sex, consent=consent, actor=caller.username)
    append_audit(session, actor=caller.principal, action=AuditAction.RECORD_CREATE, object_type="donor",
                 object_id=donor.pseudonym, details={"case": person.case_code, "relationship": body.relationship})
    session.commit()
    return donor


# ----------------------------------------------------------------------------- API


@api.get("/persons", response_model=Page)
def api_list_persons(
    request: Request, session: SessionDep, caller: CallerDep, q: str | None = None, status: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1, page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page:
    """Cases, newest first; ``q`` searches names in any script (and case codes)."""
    rows, total = list_cases(request, session, caller, q=q, status=status, page=page, page_size=page_size)
    return Page(items=[MissingPersonRead.model_validate(r) for r in rows], page=page, page_size=page_size,
                total=total)


@api.post("/persons", response_model=dict, status_code=201)
async def api_create_person(request: Request, session: SessionDep, caller: CallerDep,
                            body: MissingPersonCreate) -> dict[str, Any]:
    """Register a report as a new case; the answer carries the portal secret (shown once)."""
    await check_csrf(request, caller)
    person, secret = _create_case(request, session, caller, body)
    return {"case": MissingPersonRead.model_validate(person).model_dump(mode="json"), "case_secret": secret}


@api.get("/persons/{case_code}", response_model=CaseRead)
def api_case(session: SessionDep, caller: CallerDep, case_code: str) -> CaseRead:
    """A case with its reports, history, donors (as consent allows) and candidates."""
    person = get_missing_person(session, case_code)
    d = case_details(session, caller, person)
    return CaseRead(
        **MissingPersonRead.model_validate(person).model_dump(),
        disappearance_place=person.disappearance_place, circumstances=person.circumstances,
        reports=[ReportRead.model_validate(r) for r in d["reports"]],
        history=[StatusEventRead.model_validate(e) for e in d["history"]],
        donors=[DonorRead(**{k: v for k, v in x.items() if k != "access"}) for x in d["donors"]],
        candidates=[_candidate_read(c, person.case_code, False) for c in d["candidates"]],
    )


@api.post("/persons/{case_code}/donors", response_model=DonorRead, status_code=201)
async def api_add_donor(request: Request, session: SessionDep, caller: CallerDep, case_code: str,
                        body: DonorCreate) -> DonorRead:
    """Add a reference donor to the case's pedigree."""
    await check_csrf(request, caller)
    donor = _add_donor(session, caller, case_code, body)
    return DonorRead(pseudonym=donor.pseudonym, sex=donor.sex, relationship=donor.stated_relationship,
                     consent="recorded")


