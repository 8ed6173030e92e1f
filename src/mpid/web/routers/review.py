"""Review of candidate matches (two different reviewers, enforced in :mod:`mpid.services.review`)
and the DNA match report (HTML page and PDF from the same template)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from mpid.registry.models import (
    CandidateMatch,
    Identification,
    MissingPerson,
    Remains,
    Review,
    ReviewDecision,
    Sex,
)
from mpid.registry.repositories import get_by_id
from mpid.reports.match_report import MatchReport, build_match_report, render_match_report_pdf
from mpid.security.audit import AuditAction, record_audit
from mpid.security.roles import Permission
from mpid.services.review import candidate_state, record_review
from mpid.web.deps import Caller, CallerDep, SessionDep, check_csrf
from mpid.web.routers.common import audit_genetic_view, donor_decision, ensure_case_visible
from mpid.web.routers.persons import _pedigree
from mpid.web.schemas import CandidateRead, ReviewCreate, ReviewRead
from mpid.web.svg import pedigree_svg
from mpid.web.templating import render

__all__ = ["api", "pages"]

pages = APIRouter(tags=["pages"], include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["review"])

EVIDENCE_FIELDS = ("sex", "age", "stature", "clothing", "circumstances")


def review_queue(session: Session, limit: int = 200) -> list[dict[str, Any]]:
    """Candidates waiting for a decision (no rejection, remains not identified), strongest first."""
    rejected = exists(select(1).where(Review.candidate_id == CandidateMatch.id,
                                      Review.decision == ReviewDecision.REJECT))
    identified = exists(select(1).where(Identification.remains_id == CandidateMatch.remains_id))
    rows = session.execute(
        select(CandidateMatch, Remains.code, MissingPerson.case_code, MissingPerson.full_name)
        .join(Remains, Remains.id == CandidateMatch.remains_id)
        .join(MissingPerson, MissingPerson.id == CandidateMatch.missing_person_id)
        .where(~rejected, ~identified).order_by(CandidateMatch.lr.desc()).limit(limit)
    ).all()
    return [{"c": c, "remains_code": rc, "case_code": cc, "name": n, "state": candidate_state(session, c),
             "reviewers": [r.reviewer for r in c.reviews]} for c, rc, cc, n in rows]


def _age_at(person: MissingPerson) -> int | None:
    if person.birth_date is None or person.disappeared_on is None:
        return None
    b, d = person.birth_date, person.disappeared_on
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def non_dna_evidence(person: MissingPerson, remains: Remains) -> list[dict[str, Any]]:
    """Ante-mortem facts of the missing person beside the post-mortem findings, with a consistency hint."""
    age = _age_at(person)
    sex_hint = None
    if person.sex != Sex.UNKNOWN and remains.anthropological_sex != Sex.UNKNOWN:
        sex_hint = person.sex == remains.anthropological_sex
    age_hint = None
    if age is not None and (remains.age_min is not None or remains.age_max is not None):
        age_hint = (remains.age_min or 0) <= age <= (remains.age_max if remains.age_max is not None else 200)
    stature = None
    for report in person.reports:
        stature = stature or (report.details or {}).get("stature_cm") or (report.details or {}).get("height")
    stature_hint = None
    if stature and (remains.stature_min_cm or remains.stature_max_cm):
        try:
            s = float(stature)
            stature_hint = (remains.stature_min_cm or 0) - 5 <= s <= (remains.stature_max_cm or 300) + 5
        except (TypeError, ValueError):
            stature_hint = None
    rng = "{}–{}"
    return [
        {"field": "sex", "am": person.sex.value, "pm": remains.anthropological_sex.value, "consistent": sex_hint},
        {"field": "age", "am": f"{age} at disappearance" if age is not None else "unknown",
         "pm": rng.format(remains.age_min if remains.age_min is not None else "?",
                          remains.age_max if remains.age_max is not None else "?"), "consistent": age_hint},
        {"field": "stature (cm)", "am": stature or "unknown",
         "pm": rng.format(remains.stature_min_cm or "?", remains.stature_max_cm or "?"), "consistent": stature_hint},
        {"field": "when / found", "am": str(person.disappeared_on or "unknown"),
         "pm": str(remains.recovered_on or "unknown"), "consistent": None},
        {"field": "place / site", "am": person.disappearance_place or person.region or "unknown",
         "pm": remains.site.name if remains.site else "unknown", "consistent": None},
        {"field": "circumstances / notes", "am": person.circumstances or "", "pm": remains.notes or "",
         "consistent": None},
    ]


def _report(session: Session, caller: Caller, candidate_id: int) -> MatchReport:
    cand = get_by_id(session, CandidateMatch, candidate_id)
    person = get_by_id(session, MissingPerson, cand.missing_person_id) if cand.missing_person_id else None
    if person is None:
        from mpid.registry.errors import NotFoundError

        raise NotFoundError(f"candidate {candidate_id} is not a remains–missing-person candidate")
    ensure_case_visible(caller, person)
    _family, nodes = _pedigree(person, session)
    svg = pedigree_svg(nodes, title=f"pedigree of {person.case_code}") if nodes else None
    return build_match_report(session, cand, generated_by=caller.username, pedigree_svg=svg,
                              donor_visible=lambda donor: donor_decision(caller, donor).genetic_visible)


@pages.get("/review")
def review_page(request: Request, session: SessionDep, caller: CallerDep) -> Response:
    """The queue of candidates to review."""
    caller.require(Permission.REVIEW_READ)
    return render(request, "review_queue.html", {"items": review_queue(session)})


@pages.get("/review/{candidate_id}")
def candidate_page(request: Request, session: SessionDep, caller: CallerDep, candidate_id: int) -> Response:
    """LR, posterior, per-locus table, exclusions, pedigree and non-DNA evidence side by side; decide."""
    caller.require(Permission.REVIEW_READ)
    caller.require(Permission.GENETIC_READ)
    report = _report(session, caller, candidate_id)
    audit_genetic_view(request, caller, "candidate_match", candidate_id, {"page": "review"})
    state = candidate_state(session, report.candidate)
    already = any(r.reviewer == caller.username for r in report.reviews)
    return render(request, "review.html", {
        "report": report, "state": state, "evidence": non_dna_evidence(report.person, report.remains),
        "already_reviewed": already, "evidence_fields": EVIDENCE_FIELDS,
    })


@pages.post("/review/{candidate_id}")
async def decide_page(
    request: Request, session: SessionDep, caller: CallerDep, candidate_id: int,
    decision: Annotated[ReviewDecision, Form()], comment: Annotated[str, Form()] = "",
) -> Response:
    """Record the reviewer's decision (the service refuses a second decision by the same person)."""
    await check_csrf(request, caller)
    form = await request.form()
    evidence = {f: str(form.get(f"ev_{f}")) for f in EVIDENCE_FIELDS if form.get(f"ev_{f}")}
    record_review(session, candidate_id, caller.principal, decision, comment=comment or None,
                  non_dna_evidence=evidence)
    session.commit()
    return RedirectResponse(f"/review/{candidate_id}", status_code=303)


@pages.get("/review/{candidate_id}/report", response_class=HTMLResponse)
def report_page(request: Request, session: SessionDep, caller: CallerDep, candidate_id: int) -> Response:
    """The DNA match report as HTML (the template the PDF is printed from)."""
    caller.require(Permission.REPORT_DOWNLOAD)
    caller.require(Permission.GENETIC_READ)
    report = _report(session, caller, candidate_id)
    audit_genetic_view(request, caller, "match_report", candidate_id, {"format": "html"})
    return request.app.state.templates.TemplateResponse(request, "match_report.html",
                                                        {"report": report, "standalone": True})


@pages.get("/review/{candidate_id}/report.pdf")
async def report_pdf(request: Request, session: SessionDep, caller: CallerDep, candidate_id: int) -> Response:
    """The DNA match report as PDF (WeasyPrint)."""
    caller.require(Permission.REPORT_DOWNLOAD)
    caller.require(Permission.GENETIC_READ)
    report = _report(session, caller, candidate_id)
    pdf = await run_in_threadpool(render_match_report_pdf, report)
    record_audit(request.app.state.session_factory, actor=caller.principal, action=AuditAction.EXPORT,
                 object_type="match_report", object_id=candidate_id,
                 details={"format": "pdf", "case": report.person.case_code, "confirmed": report.confirmed})
    name = f"dna-match-report-{report.person.case_code}-{report.remains.code}.pdf"
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@api.get("/review-queue", response_model=list[CandidateRead])
def api_queue(session: SessionDep, caller: CallerDep) -> list[CandidateRead]:
    """Candidates waiting for review."""
    caller.require(Permission.REVIEW_READ)
    return [CandidateRead(
        id=it["c"].id, run_id=it["c"].run_id, remains_code=it["remains_code"], case_code=it["case_code"],
        lr=it["c"].lr, prior=it["c"].prior, posterior=it["c"].posterior, n_exclusions=it["c"].n_exclusions,
        n_loci_compared=it["c"].n_loci_compared, conclusion=it["c"].conclusion, rank=it["c"].rank,
        state=it["state"]) for it in review_queue(session)]


@api.get("/candidates/{candidate_id}", response_model=CandidateRead)
def api_candidate(request: Request, session: SessionDep, caller: CallerDep, candidate_id: int) -> CandidateRead:
    """A candidate with per-locus LRs (genetic readers only; the view is audited)."""
    caller.require(Permission.MATCH_READ)
    cand = get_by_id(session, CandidateMatch, candidate_id)
    genetic = caller.can(Permission.GENETIC_READ)
    person = session.get(MissingPerson, cand.missing_person_id) if cand.missing_person_id else None
    if person is not None:
        ensure_case_visible(caller, person)
    if genetic:
        audit_genetic_view(request, caller, "candidate_match", candidate_id, {"api": True})
    remains = get_by_id(session, Remains, cand.remains_id)
    return CandidateRead(
        id=cand.id, run_id=cand.run_id, remains_code=remains.code, case_code=person.case_code if person else None,
        lr=cand.lr, log10_lr=cand.log10_lr, prior=cand.prior, posterior=cand.posterior,
        n_exclusions=cand.n_exclusions, n_loci_compared=cand.n_loci_compared, conclusion=cand.conclusion,
        rank=cand.rank, state=candidate_state(session, cand) if person else "re-association",
        per_locus=dict(cand.per_locus) if genetic else None)


@api.post("/candidates/{candidate_id}/reviews", response_model=ReviewRead, status_code=201)
async def api_review(request: Request, session: SessionDep, caller: CallerDep, candidate_id: int,
                     body: ReviewCreate) -> ReviewRead:
    """Record a reviewer's decision; the second different confirmation yields the identification."""
    await check_csrf(request, caller)
    outcome = await run_in_threadpool(
        record_review, session, candidate_id, caller.principal, body.decision, comment=body.comment,
        non_dna_evidence=body.non_dna_evidence)
    session.commit()
    return ReviewRead(id=outcome.review.id, reviewer=outcome.review.reviewer, decision=outcome.review.decision,
                      state=outcome.state, identified=outcome.identification is not None)


@api.get("/candidates/{candidate_id}/report.pdf", response_class=Response)
async def api_report_pdf(request: Request, session: SessionDep, caller: CallerDep, candidate_id: int) -> Response:
    """The DNA match report PDF."""
    return await report_pdf(request, session, caller, candidate_id)
