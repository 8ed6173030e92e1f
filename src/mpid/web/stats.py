"""Counts along the case lifecycle, by region and by year of disappearance (F11), in a few SQL queries."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import case, exists, extract, func, select
from sqlalchemy.orm import Session, aliased

from mpid.registry.models import (
    CandidateMatch,
    CaseStatus,
    Identification,
    MissingPerson,
    Notification,
    PedigreePerson,
    Profile,
    Sample,
)

__all__ = ["LIFECYCLE", "Statistics", "compute_statistics", "statistics_csv"]

# The stages shown along the lifecycle, in order.
LIFECYCLE = ("reported", "with_references", "sampled", "candidate", "under_review", "identified", "notified")


@dataclass(frozen=True)
class Statistics:
    """Lifecycle counts overall, by region and by year; cases by status."""

    lifecycle: dict[str, int]
    by_status: dict[str, int]
    by_region: dict[str, dict[str, int]]
    by_year: dict[str, dict[str, int]]


def _flags():  # type: ignore[no-untyped-def]
    mp = MissingPerson
    own = aliased(PedigreePerson)
    rel = aliased(PedigreePerson)
    with_refs = exists(
        select(1).select_from(own).join(rel, rel.family_id == own.family_id)
        .where(own.missing_person_id == mp.id, rel.donor_id.is_not(None))
    )
    own2 = aliased(PedigreePerson)
    rel2 = aliased(PedigreePerson)
    sampled = exists(
        select(1).select_from(own2).join(rel2, rel2.family_id == own2.family_id)
        .join(Sample, Sample.donor_id == rel2.donor_id).join(Profile, Profile.sample_id == Sample.id)
        .where(own2.missing_person_id == mp.id)
    )
    candidate = exists(select(1).where(CandidateMatch.missing_person_id == mp.id))
    identified = exists(select(1).where(Identification.missing_person_id == mp.id))
    notified = exists(select(1).where(Notification.missing_person_id == mp.id))
    under_review = mp.status == CaseStatus.UNDER_REVIEW
    return {
        "with_references": with_refs, "sampled": sampled, "candidate": candidate,
        "under_review": under_review, "identified": identified, "notified": notified,
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
    by_status = {s.value: 0 for s in CaseStatus}
    for status, n in session.execute(select(mp.status, func.count()).group_by(mp.status)):
        by_status[CaseStatus(status).value] = int(n)
    return Statistics(
        lifecycle=total,
        by_status=by_status,
        by_region=dict(sorted(by_region.items())),
        by_year=dict(sorted(by_year.items())),
    )


def statistics_csv(stats: Statistics) -> str:
    """One CSV: a row per (dimension, value) with every lifecycle count; the total first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["dimension", "value", *LIFECYCLE])
    writer.writerow(["total", "all", *(stats.lifecycle[s] for s in LIFECYCLE)])
    for dimension, table in (("region", stats.by_region), ("year", stats.by_year)):
        for value, counts in table.items():
            writer.writerow([dimension, value, *(counts[s] for s in LIFECYCLE)])
    for status, n in stats.by_status.items():
        writer.writerow(["status", status, n, *([""] * (len(LIFECYCLE) - 1))])
    return out.getvalue()


