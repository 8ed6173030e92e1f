"""Matching: start a run over the register, follow its progress, read its candidates."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload

from mpid.registry.errors import NotFoundError
from mpid.registry.models import CandidateMatch, MatchRun, MissingPerson, Remains
from mpid.registry.repositories import get_by_id
from mpid.security.roles import Permission
from mpid.services.review import candidate_state
from mpid.web.deps import Caller, CallerDep, SessionDep, check_csrf
from mpid.web.routers.common import optional_float
from mpid.web.schemas import CandidateRead, JobRead, MatchRunCreate, MatchRunRead
from mpid.web.templating import render

__all__ = ["api", "pages", "run_candidates"]

pages = APIRouter(tags=["pages"], include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["matching"])


def run_candidates(session: Session, run_id: int, limit: int = 500) -> list[dict[str, Any]]:
    """The run's candidates, strongest first, with remains code, case code and review state."""
    other_remains = aliased(Remains)
    other = (select(other_remains.code).where(other_remains.id == CandidateMatch.other_remains_id)
             .correlate(CandidateMatch).scalar_subquery())
    rows = session.execute(
        select(CandidateMatch, Remains.code, MissingPerson.case_code, MissingPerson.full_name, other)
        .join(Remains, Remains.id == CandidateMatch.remains_id)
        .outerjoin(MissingPerson, MissingPerson.id == CandidateMatch.missing_person_id)
        .where(CandidateMatch.run_id == run_id).options(selectinload(CandidateMatch.reviews))
        .order_by(CandidateMatch.lr.desc()).limit(limit)
    ).all()
    return [{"c": c, "remains_code": rc, "case_code": cc, "name": name, "other_code": oc,
             "state": candidate_state(session, c) if c.missing_person_id else "re-association"}
            for c, rc, cc, name, oc in rows]


def _start(request: Request, caller: Caller, body: MatchRunCreate) -> JobRead:
    caller.require(Permission.MATCH_RUN)
    key = "direct_threshold_lr" if body.kind == "direct" else "threshold_lr"
    settings: dict[str, Any] = {key: body.threshold_lr}
    if body.prior is not None:
        settings["prior"] = body.prior
    if body.frequency_table:
        settings["frequency_table"] = body.frequency_table
    job = request.app.state.jobs.start(caller.principal, body.kind, settings)
    return JobRead(**job.as_dict())


@pages.get("/matching")
def matching_page(request: Request, session: SessionDep, caller: CallerDep) -> Response:
    """Runs, running jobs and the form to start one."""
    caller.require(Permission.MATCH_READ)
    runs = session.scalars(select(MatchRun).order_by(MatchRun.id.desc()).limit(50)).all()
    counts = dict(session.execute(select(CandidateMatch.run_id, func.count()).group_by(CandidateMatch.run_id)).all())
    return render(request, "matching.html", {"runs": runs, "counts": counts,
                                             "jobs": request.app.state.jobs.recent()})


@pages.post("/matching/runs")
async def start_run_page(
    request: Request, caller: CallerDep, kind: Annotated[str, Form()] = "blind",
    threshold_lr: Annotated[str, Form()] = "1000", prior: Annotated[str, Form()] = "",
) -> Response:
    """Start a run; the page follows its progress."""
    await check_csrf(request, caller)
    job = _start(request, caller, MatchRunCreate(kind=kind, threshold_lr=optional_float(threshold_lr) or 1e3,
                                                 prior=optional_float(prior)))
    return RedirectResponse(f"/matching/jobs/{job.id}", status_code=303)


@pages.get("/matching/jobs/{job_id}")
def job_page(request: Request, caller: CallerDep, job_id: int) -> Response:
    """A job's progress (htmx polls the fragment until the run is finished)."""
    caller.require(Permission.MATCH_READ)
    job = request.app.state.jobs.get(job_id)
    if job is None:
        raise NotFoundError(f"no matching job {job_id}")
    fragment = request.headers.get("hx-request") == "true"
    if fragment and job.state == "finished" and job.run_id is not None:
        return Response(status_code=204, headers={"HX-Redirect": f"/matching/runs/{job.run_id}"})
    return render(request, "job_fragment.html" if fragment else "job.html", {"job": job})


@pages.get("/matching/runs/{run_id}")
def run_page(request: Request, session: SessionDep, caller: CallerDep, run_id: int) -> Response:
    """A run: settings, versions, inputs and its candidates."""
    caller.require(Permission.MATCH_READ)
    run = get_by_id(session, MatchRun, run_id)
    return render(request, "run.html", {"run": run, "candidates": run_candidates(session, run.id)})


@api.post("/match-runs", response_model=JobRead, status_code=202)
async def api_start_run(request: Request, caller: CallerDep, body: MatchRunCreate) -> Response:
    """Start a run over the register; follow it at ``/api/v1/jobs/{id}``."""
    await check_csrf(request, caller)
    job = _start(request, caller, body)
    return JSONResponse(job.model_dump(), status_code=202, headers={"Location": f"/api/v1/jobs/{job.id}"})


@api.get("/jobs/{job_id}", response_model=JobRead)
def api_job(request: Request, caller: CallerDep, job_id: int) -> JobRead:
    """A matching job of this server process."""
    caller.require(Permission.MATCH_READ)
    job = request.app.state.jobs.get(job_id)
    if job is None:
        raise NotFoundError(f"no matching job {job_id}")
    return JobRead(**job.as_dict())


@api.get("/match-runs", response_model=list[MatchRunRead])
def api_runs(session: SessionDep, caller: CallerDep) -> list[MatchRunRead]:
    """Stored runs, newest first."""
    caller.require(Permission.MATCH_READ)
    return [MatchRunRead.model_validate(r) for r in
            session.scalars(select(MatchRun).order_by(MatchRun.id.desc()).limit(200))]


@api.get("/match-runs/{run_id}/candidates", response_model=list[CandidateRead])
def api_run_candidates(session: SessionDep, caller: CallerDep, run_id: int) -> list[CandidateRead]:
    """A run's candidates (statistics only; per-locus LRs are on ``/api/v1/candidates/{id}``)."""
    caller.require(Permission.MATCH_READ)
    get_by_id(session, MatchRun, run_id)
    out = []
    for it in run_candidates(session, run_id):
        c = it["c"]
        out.append(CandidateRead(
            id=c.id, run_id=c.run_id, remains_code=it["remains_code"], case_code=it["case_code"], lr=c.lr,
            log10_lr=c.log10_lr if c.log10_lr is not None else (math.log10(c.lr) if c.lr and c.lr > 0 else None),
            prior=c.prior, posterior=c.posterior, n_exclusions=c.n_exclusions, n_loci_compared=c.n_loci_compared,
            conclusion=c.conclusion, rank=c.rank, state=it["state"]))
    return out
