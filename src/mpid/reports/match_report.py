"""The DNA match report (F9): one candidate, its statistics, the references used, the reviewers.

:func:`build_match_report` gathers everything from the register as plain data;
:func:`render_match_report_html` renders ``templates/match_report.html`` (the same template the
web app shows at ``/review/{id}/report``); :func:`render_match_report_pdf` prints that HTML with
WeasyPrint. The report states the hypotheses, the combined LR (product of the per-locus LRs),
the prior and the posterior P(H1 | data) = LR·π / (LR·π + 1 − π), the ENFSI verbal equivalent,
the settings and code versions of the run, and who confirmed it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy import select
from sqlalchemy.orm import Session

import mpid
from mpid.matching.policy import verbal_scale
from mpid.registry.models import (
    CandidateMatch,
    Donor,
    Family,
    FrequencyTable,
    Identification,
    MatchRun,
    MissingPerson,
    PedigreePerson,
    Profile,
    Remains,
    Sample,
)
from mpid.registry.repositories import get_by_id
from mpid.reports.formatting import fmt_date, fmt_log10, fmt_lr, fmt_prob

__all__ = [
    "REPORT_TEMPLATE_DIR",
    "LocusRow",
    "MatchReport",
    "ReferenceUsed",
    "build_match_report",
    "render_match_report_html",
    "render_match_report_pdf",
]

REPORT_TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class ReferenceUsed:
    """A typed relative whose profile entered the computation (pseudonymised)."""

    pseudonym: str
    relationship: str | None
    label: str
    profile_id: int
    kit: str
    lab: str
    run: str
    n_loci: int
    alleles: dict[str, list[str | None]]


@dataclass(frozen=True)
class LocusRow:
    """One locus of the per-locus table."""

    locus: str
    remains: str
    references: list[str]
    lr: float | None
    incompatible: bool


@dataclass
class MatchReport:
    """Everything the report shows."""

    candidate: CandidateMatch
    run: MatchRun
    person: MissingPerson
    remains: Remains
    family_code: str | None
    remains_profile: Profile | None
    references: list[ReferenceUsed]
    loci: list[LocusRow]
    combined_lr: float
    log10_lr: float | None
    prior: float | None
    posterior: float | None
    verbal: str
    conclusion: str | None
    n_exclusions: int
    n_loci_compared: int | None
    settings: dict[str, Any]
    versions: dict[str, Any]
    reviews: list[Any]
    identification: Identification | None
    generated_at: datetime
    generated_by: str | None = None
    pedigree_svg: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def confirmed(self) -> bool:
        """True when two reviewers confirmed and the identification stands."""
        return self.identification is not None and self.identification.candidate_id == self.candidate.id


def _best_profile(session: Session, *, remains_id: int | None = None, donor_id: int | None = None) -> Profile | None:
    query = select(Profile).join(Sample, Sample.id == Profile.sample_id)
    query = query.where(Sample.remains_id == remains_id) if remains_id is not None else query.where(
        Sample.donor_id == donor_id)
    profiles = session.scalars(query).all()
    if not profiles:
        return None
    return max(profiles, key=lambda p: (sum(1 for v in p.alleles.values() if any(a is not None for a in v)), p.id))


def _genotype_text(values: list[str | None] | None) -> str:
    if not values:
        return "–"
    return "/".join("?" if v is None else str(v) for v in values)


def build_match_report(session: Session, candidate: CandidateMatch | int, *, generated_by: str | None = None,
                       pedigree_svg: str | None = None,
                       donor_visible: Callable[[Donor], bool] | None = None) -> MatchReport:
    """Gather the report of a remains–missing-person candidate from the register.

    ``donor_visible`` decides, per donor, whether the reader may see that donor's genotypes
    (the web app passes the consent decision of :func:`mpid.security.consent.donor_access`);
    donors it refuses are listed in ``extra["withheld_references"]`` by pseudonym only.
    """
    cand = candidate if isinstance(candidate, CandidateMatch) else get_by_id(session, CandidateMatch, candidate)
    if cand.missing_person_id is None:
        raise ValueError("a DNA match report is for a remains–missing-person candidate")
    run = get_by_id(session, MatchRun, cand.run_id)
    person = get_by_id(session, MissingPerson, cand.missing_person_id)
    remains = get_by_id(session, Remains, cand.remains_id)
    remains_profile = (session.get(Profile, cand.profile_id) if cand.profile_id else None) or _best_profile(
        session, remains_id=remains.id)
    family_code = None
    references: list[ReferenceUsed] = []
    withheld: list[str] = []
    if person.pedigree_person is not None:
        family = session.get(Family, person.pedigree_person.family_id)
        family_code = family.code if family else None
        members = session.scalars(
            select(PedigreePerson).where(PedigreePerson.family_id == person.pedigree_person.family_id,
                                         PedigreePerson.donor_id.is_not(None)).order_by(PedigreePerson.id)
        ).all()
        for m in members:
            profile = _best_profile(session, donor_id=m.donor_id)
            if profile is None or m.donor is None:
                continue
            if donor_visible is not None and not donor_visible(m.donor):
                withheld.append(m.donor.pseudonym)
                continue
            references.append(ReferenceUsed(
                pseudonym=m.donor.pseudonym, relationship=m.donor.stated_relationship, label=m.label,
                profile_id=profile.id, kit=profile.kit, lab=profile.lab, run=profile.run, n_loci=profile.n_loci,
                alleles=dict(profile.alleles),
            ))
    rows: list[LocusRow] = []
    per_locus = dict(cand.per_locus or {})
    loci = list(per_locus) or sorted((remains_profile.alleles if remains_profile else {}).keys())
    for locus in loci:
        lr = per_locus.get(locus)
        value = None if lr is None else float(lr)
        rows.append(LocusRow(
            locus=locus,
            remains=_genotype_text(remains_profile.alleles.get(locus) if remains_profile else None),
            references=[_genotype_text(r.alleles.get(locus)) for r in references],
            lr=value, incompatible=value == 0.0,
        ))
    frequency = dict((run.inputs or {}).get("frequency_table") or {})
    if not frequency and run.frequency_table_id:
        table = session.get(FrequencyTable, run.frequency_table_id)
        if table is not None:
            frequency = {"id": table.id, "name": table.name, "version": table.version}
    versions = {"mpid (run)": run.code_version, "mpid (report)": mpid.__version__, "frequency table": frequency,
                "markers": len((run.inputs or {}).get("markers") or loci)}
    identification = session.scalar(select(Identification).where(Identification.remains_id == remains.id))
    log10_lr = cand.log10_lr if cand.log10_lr is not None else (
        math.log10(cand.lr) if cand.lr and cand.lr > 0 and not math.isinf(cand.lr) else None)
    return MatchReport(
        candidate=cand, run=run, person=person, remains=remains, family_code=family_code,
        remains_profile=remains_profile, references=references, loci=rows, combined_lr=cand.lr,
        log10_lr=log10_lr, prior=cand.prior, posterior=cand.posterior, verbal=verbal_scale(cand.lr),
        conclusion=cand.conclusion, n_exclusions=cand.n_exclusions, n_loci_compared=cand.n_loci_compared,
        settings=dict(run.settings or {}), versions=versions, reviews=list(cand.reviews),
        identification=identification, generated_at=datetime.now(UTC), generated_by=generated_by,
        pedigree_svg=pedigree_svg, extra={"withheld_references": withheld},
    )


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(REPORT_TEMPLATE_DIR)), autoescape=True)
    env.filters.update(lr=fmt_lr, prob=fmt_prob, log10=fmt_log10, d=fmt_date)
    return env


def render_match_report_html(report: MatchReport, env: jinja2.Environment | None = None) -> str:
    """The report as a standalone HTML document (print styles inline)."""
    return (env or _environment()).get_template("match_report.html").render(report=report, standalone=True)


def render_match_report_pdf(report: MatchReport) -> bytes:
    """The report as PDF (WeasyPrint from the same HTML)."""
    from weasyprint import HTML

    return HTML(string=render_match_report_html(report), base_url=str(REPORT_TEMPLATE_DIR)).write_pdf()
