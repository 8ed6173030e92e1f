"""Four-eyes review: the service refuses a lone or repeated reviewer; pages, API and the PDF report."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mpid.registry.db import session_scope
from mpid.registry.errors import ConflictError
from mpid.registry.models import CandidateMatch, Identification, MissingPerson, ReviewDecision
from mpid.security.models import AuditEntry
from mpid.security.roles import PermissionDeniedError, Principal, Role
from mpid.services.review import ReviewState, candidate_state, record_review


def _top_candidate(app) -> int:  # type: ignore[no-untyped-def]
    with session_scope(app.state.engine) as s:
        return int(s.scalars(select(CandidateMatch.id).where(CandidateMatch.missing_person_id.is_not(None))
                             .order_by(CandidateMatch.lr.desc())).first())


def reviewer(name: str) -> Principal:
    return Principal(role=Role.REVIEWER, username=name)


def test_service_needs_two_different_reviewers(matched):
    cid = _top_candidate(matched)
    with session_scope(matched.state.engine) as s:
        first = record_review(s, cid, reviewer("r1"), ReviewDecision.CONFIRM, non_dna_evidence={"sex": "consistent"})
        assert first.state == ReviewState.AWAITING_SECOND and first.identification is None
        case = s.get(MissingPerson, s.get(CandidateMatch, cid).missing_person_id)
        assert case.status.value == "under_review"
    with session_scope(matched.state.engine) as s, pytest.raises(ConflictError, match="second, different"):
        record_review(s, cid, reviewer("r1"), ReviewDecision.CONFIRM)
    with session_scope(matched.state.engine) as s:
        second = record_review(s, cid, reviewer("r2"), ReviewDecision.CONFIRM)
        assert second.state == ReviewState.IDENTIFIED
        assert second.identification is not None and second.identification.confirmed_by == ["r1", "r2"]
        case = s.get(MissingPerson, s.get(CandidateMatch, cid).missing_person_id)
        assert case.status.value == "identified"
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "review.decide", AuditEntry.actor == "r2"))
    with session_scope(matched.state.engine) as s, pytest.raises(ConflictError):
        record_review(s, cid, reviewer("r3"), ReviewDecision.REJECT)


def test_service_refuses_roles_without_review_permission(matched):
    cid = _top_candidate(matched)
    with session_scope(matched.state.engine) as s, pytest.raises(PermissionDeniedError):
        record_review(s, cid, Principal(role=Role.DNA_ANALYST, username="analyst"), ReviewDecision.CONFIRM)


def test_rejection_sends_the_case_back(matched):
    cid = _top_candidate(matched)
    with session_scope(matched.state.engine) as s:
        out = record_review(s, cid, reviewer("r1"), ReviewDecision.REJECT, comment="sex inconsistent")
        assert out.state == ReviewState.REJECTED
        cand = s.get(CandidateMatch, cid)
        assert s.get(MissingPerson, cand.missing_person_id).status.value == "candidate_match"
        assert candidate_state(s, cand) == ReviewState.REJECTED
    with session_scope(matched.state.engine) as s, pytest.raises(ConflictError):
        record_review(s, cid, reviewer("r2"), ReviewDecision.CONFIRM)


def test_review_pages_two_reviewers_and_pdf(matched, login):
    cid = _top_candidate(matched)
    r1, r2 = login("reviewer1"), login("reviewer2")
    queue = r1.get("/review")
    assert f"/review/{cid}" in queue.text
    page = r1.get(f"/review/{cid}")
    assert page.status_code == 200
    for part in ('id="per-locus"', 'id="evidence"', 'class="pedigree"', 'id="posterior"', "D10S1248",
                 'id="confirm"'):
        assert part in page.text, part
    assert r1.form(f"/review/{cid}", {"decision": "confirm", "ev_sex": "consistent"}).status_code == 303
    again = r1.get(f"/review/{cid}")
    assert 'id="already"' in again.text and "awaiting_second_reviewer" in again.text
    assert r1.form(f"/review/{cid}", {"decision": "confirm"}).status_code == 409
    assert r2.form(f"/review/{cid}", {"decision": "confirm"}).status_code == 303
    done = r2.get(f"/review/{cid}")
    assert 'data-state="identified"' in done.text and "reviewer1 and reviewer2" in done.text
    html = r2.get(f"/review/{cid}/report")
    assert html.status_code == 200 and "DNA match report" in html.text and "DRAFT" not in html.text
    pdf = r2.get(f"/review/{cid}/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 5000
    with session_scope(matched.state.engine) as s:
        assert s.scalar(select(Identification).where(Identification.candidate_id == cid)) is not None
        exported = s.scalars(select(AuditEntry).where(AuditEntry.action == "export",
                                                      AuditEntry.object_type == "match_report")).all()
        assert exported


def test_draft_report_before_confirmation_and_permissions(matched, login):
    cid = _top_candidate(matched)
    analyst = login("analyst")
    html = analyst.get(f"/review/{cid}/report")
    assert "DRAFT" in html.text
    assert analyst.form(f"/review/{cid}", {"decision": "confirm"}).status_code == 403
    assert login("officer").get(f"/review/{cid}").status_code == 403
    assert login("field").get(f"/review/{cid}/report.pdf").status_code == 403


def test_report_pdf_text_has_the_statistics(matched):
    from mpid.reports.match_report import build_match_report, render_match_report_html, render_match_report_pdf

    cid = _top_candidate(matched)
    with session_scope(matched.state.engine) as s:
        report = build_match_report(s, cid, generated_by="test")
        html = render_match_report_html(report)
        pdf = render_match_report_pdf(report)
    assert report.loci and report.references and report.combined_lr > 1e6
    assert "combined (product over loci)" in html and "ENFSI" in html and "frequency table" in html
    assert pdf[:4] == b"%PDF"


def test_withdrawn_consent_hides_the_donor_genotypes_in_the_report(matched, login):
    from datetime import date

    from mpid.registry.models import Donor
    from mpid.services.references import withdraw_consent

    cid = _top_candidate(matched)
    before = login("reviewer1").get(f"/review/{cid}/report").text
    with session_scope(matched.state.engine) as s:
        donors = s.scalars(select(Donor)).all()
        pseudonym = next(d.pseudonym for d in donors if d.pseudonym in before)
        withdraw_consent(s, pseudonym, date(2025, 1, 1), "family asked")
    after = login("reviewer1").get(f"/review/{cid}/report").text
    assert f"Genotypes not shown (consent): {pseudonym}" in after
    assert f"<th>{pseudonym}" not in after and f"<th>{pseudonym}" in before
    with session_scope(matched.state.engine) as s:
        barcode = next(x.barcode for d in s.scalars(select(Donor)) if d.pseudonym == pseudonym for x in d.samples)
    sample = login("analyst").get(f"/api/v1/samples/{barcode}").json()
    assert "profiles" not in sample


def test_case_and_remains_pages_show_the_identification(matched, login):
    cid = _top_candidate(matched)
    with session_scope(matched.state.engine) as s:
        record_review(s, cid, reviewer("r1"), ReviewDecision.CONFIRM)
        record_review(s, cid, reviewer("r2"), ReviewDecision.CONFIRM)
        cand = s.get(CandidateMatch, cid)
        code = s.get(MissingPerson, cand.missing_person_id).case_code
        remains_id = cand.remains_id
    analyst = login("analyst")
    case = analyst.get(f"/persons/{code}").text
    assert 'id="identification"' in case and f"/review/{cid}/report.pdf" in case
    remains = analyst.get(f"/remains/{remains_id}").text
    assert 'id="identification"' in remains and 'id="remains-candidates"' in remains and code in remains


def test_probabilities_never_round_to_certainty():
    from mpid.reports.formatting import fmt_lr, fmt_prob

    assert fmt_prob(0.999999999999997) == "> 99.9999 %"
    assert fmt_prob(1.0) == "100.0000 %" and fmt_prob(0.99951) == "99.9510 %" and fmt_prob(None) == "–"
    assert fmt_lr(3.358e14) == "3.358e+14" and fmt_lr(12.345) == "12.35" and fmt_lr(0.0) == "0"
