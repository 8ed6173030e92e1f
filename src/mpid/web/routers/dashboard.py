"""The dashboard (counts along the lifecycle, by region and year, with charts) and statistics export."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mpid.security.audit import AuditAction, record_audit
from mpid.security.roles import Permission
from mpid.web.deps import CallerDep, SessionDep
from mpid.web.schemas import StatisticsRead
from mpid.web.stats import LIFECYCLE, compute_statistics, statistics_csv
from mpid.web.svg import bar_chart
from mpid.web.templating import render

__all__ = ["api", "pages"]

pages = APIRouter(tags=["pages"], include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["statistics"])

STAGE_LABELS = {
    "reported": "reported", "with_references": "with references", "sampled": "references typed",
    "candidate": "candidate match", "under_review": "under review", "identified": "identified",
    "notified": "family notified",
}


@pages.get("/")
def dashboard(request: Request, session: SessionDep, caller: CallerDep) -> Response:
    """Counts along the lifecycle, by region and by year, with SVG charts."""
    caller.require(Permission.STATISTICS_READ)
    stats = compute_statistics(session)
    charts = {
        "lifecycle": bar_chart([(STAGE_LABELS[s], stats.lifecycle[s]) for s in LIFECYCLE],
                               title="Cases along the lifecycle"),
        "region": bar_chart([(r, c["reported"]) for r, c in stats.by_region.items()][:25],
                            title="Reported cases by region", colour="#6c8e3a"),
        "identified_region": bar_chart([(r, c["identified"]) for r, c in stats.by_region.items()][:25],
                                       title="Identified by region", colour="#8e3a6c"),
        "source": bar_chart([(a, c["reported"]) for a, c in stats.by_source.items()][:25],
                            title="Cases by reporting source", colour="#9b6a2c"),
        "year": bar_chart([(y, c["reported"]) for y, c in stats.by_year.items()][-30:],
                          title="Reported cases by year of disappearance", colour="#3a6c8e"),
    }
    return render(request, "dashboard.html", {"stats": stats, "charts": charts, "labels": STAGE_LABELS,
                                              "stages": LIFECYCLE})


@pages.get("/statistics.csv")
def statistics_export(request: Request, session: SessionDep, caller: CallerDep) -> Response:
    """The statistics as CSV (a row per region, year and status)."""
    caller.require(Permission.STATISTICS_EXPORT)
    body = statistics_csv(compute_statistics(session))
    record_audit(request.app.state.session_factory, actor=caller.principal, action=AuditAction.EXPORT,
                 object_type="statistics", details={"format": "csv"})
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="mpid-statistics.csv"'})


@api.get("/statistics", response_model=StatisticsRead)
def api_statistics(session: SessionDep, caller: CallerDep) -> StatisticsRead:
    """Lifecycle counts overall, by region and by year; cases by status."""
    caller.require(Permission.STATISTICS_READ)
    s = compute_statistics(session)
    return StatisticsRead(lifecycle=s.lifecycle, by_status=s.by_status, by_region=s.by_region, by_year=s.by_year,
                          by_source=s.by_source)


@api.get("/statistics.csv", response_class=Response)
def api_statistics_csv(request: Request, session: SessionDep, caller: CallerDep) -> Response:
    """The statistics as CSV."""
    return statistics_export(request, session, caller)
