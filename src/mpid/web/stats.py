"""Counts along the case lifecycle, by region and by year of disappearance (F11), in a few SQL queries."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import case, extract, func, select
from sqlalchemy.orm import Session, aliased

from mpid.registry.models import (
    CandidateMatch,
    CaseStatus,
    Identification,
    MissingPerson,
    Notification,
    PedigreePerson,
    Profile,
    Report,
    Sample,
)

__all__ = ["LIFECYCLE", "Statistics", "compute_statistics", "statistics_csv"]

# The stages shown along the lifecycle, in order.
LIFECYCLE = ("reported", "with_references", "sampled", "candidate", "under_review", "identified", "notified")


@dataclass(frozen=True)
class Statistics:
    """Lifecycle counts overall, by region, by year of disappearance and by reporting source; cases by status."""

    lifecycle: dict[str, int]
    by_status: dict[str, int]
    by_region: dict[str, dict[str, int]]
    by_year: dict[str, dict[str, int]]
    by_source: dict[str, dict[str, int]]


def _flags():  # type: ignore[no-untyped-def]
    """Each stage as ``case id IN (one uncorrelated subquery)``: the database evaluates each once."""
    mp = MissingPerson
    own = aliased(PedigreePerson)
    rel = aliased(PedigreePerson)
    with_refs = (select(own.missing_person_id).join(rel, rel.family_id == own.family_id)
                 .where(own.missing_person_id.is_not(None), rel.donor_id.is_not(None)))
    sampled = (select(own.missing_person_id).join(rel, rel.family_id == own.family_id)
               .join(Sample, Sample.donor_id == rel.donor_id).join(Profile, Profile.sample_id == Sample.id)
               .where(own.missing_person_id.is_not(None)))
    candidate = select(CandidateMatch.missing_person_id).where(CandidateMatch.missing_person_id.is_not(None))
    identified = select(Identification.missing_person_id)
    notified = select(Notification.missing_person_id)
    return {
        "with_references": mp.id.in_(with_refs), "sampled": mp.id.in_(sampled), "candidate": mp.id.in_(candidate),
        "under_review": mp.status == CaseStatus.UNDER_REVIEW, "identified": mp.id.in_(identified),
        "notified": mp.id.in_(notified),
    }


def compute_statistics(session: Session) -> Statistics:
    """Every count of the dashboard (merged duplicates are not counted as cases)."""
    mp = MissingPerson
    flags = _flags()
    year = extract("year", mp.disappeared_on)
    columns = [mp.region, year.label("year"), func.count().label("reported")]
    columns += [func.sum(case((cond, 1), else_=0)).label(name) for name, cond in flags.items()]
    rows = session.execute(
        select(*columns).where(mp.status != CaseStatus.MERGED_DUPLICATE).group_by(mp.region, year)
    ).all()
    total = dict.fromkeys(LIFECYCLE, 0)
    by_region: dict[str, dict[str, int]] = {}
    by_year: dict[str, dict[str, int]] = {}
    for row in rows:
        region = row.region or "unknown"
        yr = str(int(row.year)) if row.year is not None else "unknown"
        for stage in LIFECYCLE:
            n = int(getattr(row, stage) or 0)
            total[stage] += n
            by_region.setdefault(region, dict.fromkeys(LIFECYCLE, 0))[stage] += n
            by_year.setdefault(yr, dict.fromkeys(LIFECYCLE, 0))[stage] += n
    # By source: a case counts once for every agency that reported it.
    pairs = select(Report.missing_person_id.label("mid"), Report.source_agency.label("agency")).distinct().subquery()
    source_columns = [pairs.c.agency, func.count().label("reported")]
    source_columns += [func.sum(case((cond, 1), else_=0)).label(name) for name, cond in flags.items()]
    by_source: dict[str, dict[str, int]] = {}
    for row in session.execute(
        select(*source_columns).select_from(pairs).join(mp, mp.id == pairs.c.mid)
        .where(mp.status != CaseStatus.MERGED_DUPLICATE).group_by(pairs.c.agency)
    ):
        by_source[row.agency] = {stage: int(getattr(row, stage) or 0) for stage in LIFECYCLE}
    by_status = {s.value: 0 for s in CaseStatus}
    for status, n in session.execute(select(mp.status, func.count()).group_by(mp.status)):
        by_status[CaseStatus(status).value] = int(n)
    return Statistics(
        lifecycle=total,
        by_status=by_status,
        by_region=dict(sorted(by_region.items())),
        by_year=dict(sorted(by_year.items())),
        by_source=dict(sorted(by_source.items())),
    )


def statistics_csv(stats: Statistics) -> str:
    """One CSV: a row per (dimension, value) with every lifecycle count; the total first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["dimension", "value", *LIFECYCLE])
    writer.writerow(["total", "all", *(stats.lifecycle[s] for s in LIFECYCLE)])
    for dimension, table in (("region", stats.by_region), ("year", stats.by_year), ("source", stats.by_source)):
        for value, counts in table.items():
            writer.writerow([dimension, value, *(counts[s] for s in LIFECYCLE)])
    for status, n in stats.by_status.items():
        writer.writerow(["status", status, n, *([""] * (len(LIFECYCLE) - 1))])
    return out.getvalue()


