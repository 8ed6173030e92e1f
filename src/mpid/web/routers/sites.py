"""Sites: a map of graves (Leaflet, shipped outline, no tiles), the site page with exhumations,
remains and the minimum number of individuals."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mpid.registry.models import MatchRun, MatchRunKind, MatchRunStatus, Remains, RemainsKind, Site, SiteType
from mpid.registry.repositories import get_by_id
from mpid.security.roles import Permission
from mpid.services.sites import SiteInput, record_exhumation, record_site
from mpid.web.deps import CallerDep, SessionDep, check_csrf
from mpid.web.routers.common import optional_date, optional_float
from mpid.web.schemas import SiteRead
from mpid.web.templating import render

__all__ = ["api", "pages"]

pages = APIRouter(tags=["pages"], include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["sites"])


def _remains_counts(session: Session) -> dict[int, int]:
    return {sid: int(n) for sid, n in session.execute(
        select(Remains.site_id, func.count()).where(Remains.site_id.is_not(None)).group_by(Remains.site_id))}


def mni_by_site(session: Session) -> dict[int, int]:
    """Minimum number of individuals per site from the newest finished direct-matching run."""
    run = session.scalars(
        select(MatchRun).where(MatchRun.kind == MatchRunKind.DIRECT, MatchRun.status == MatchRunStatus.FINISHED)
        .order_by(MatchRun.id.desc()).limit(1)
    ).first()
    if run is None:
        return {}
    out: dict[int, int] = {}
    for key, value in (run.summary or {}).get("mni_per_site", {}).items():
        try:
            out[int(key)] = int(value)
        except (TypeError, ValueError):
            continue
    return out


def _site_reads(session: Session) -> list[SiteRead]:
    counts, mni = _remains_counts(session), mni_by_site(session)
    sites = session.scalars(select(Site).order_by(Site.code)).all()
    return [SiteRead.model_validate(s).model_copy(update={"n_remains": counts.get(s.id, 0), "mni": mni.get(s.id)})
            for s in sites]


@pages.get("/sites")
def sites_page(request: Request, session: SessionDep, caller: CallerDep) -> Response:
    """The map and the list of sites."""
    caller.require(Permission.SITE_READ)
    return render(request, "sites.html", {"sites": _site_reads(session), "site_types": [t.value for t in SiteType]})


@pages.post("/sites")
async def create_site(
    request: Request, session: SessionDep, caller: CallerDep, name: Annotated[str, Form()],
    site_type: Annotated[SiteType, Form()], latitude: Annotated[str, Form()] = "",
    longitude: Annotated[str, Form()] = "", region: Annotated[str, Form()] = "",
    discovered_on: Annotated[str, Form()] = "",
) -> Response:
    """Record a site (field officers)."""
    await check_csrf(request, caller)
    caller.require(Permission.SITE_WRITE)
    site = record_site(session, SiteInput(
        name=name, site_type=site_type, latitude=optional_float(latitude), longitude=optional_float(longitude),
        region=region or None, discovered_on=optional_date(discovered_on),
    ))
    session.commit()
    return RedirectResponse(f"/sites/{site.id}", status_code=303)


def site_details(session: Session, site: Site) -> dict[str, Any]:
    """Exhumations, remains (with sample counts) and MNI of a site."""
    remains = session.scalars(select(Remains).where(Remains.site_id == site.id).order_by(Remains.code)).all()
    bodies = sum(1 for r in remains if r.kind == RemainsKind.BODY)
    return {"site": site, "exhumations": site.exhumations, "remains": remains,
            "mni": mni_by_site(session).get(site.id), "bodies": bodies}


@pages.get("/sites/{site_id}")
def site_page(request: Request, session: SessionDep, caller: CallerDep, site_id: int) -> Response:
    """A site: exhumations, remains, MNI."""
    caller.require(Permission.SITE_READ)
    site = get_by_id(session, Site, site_id)
    return render(request, "site.html", site_details(session, site))


@pages.post("/sites/{site_id}/exhumations")
async def add_exhumation(
    request: Request, session: SessionDep, caller: CallerDep, site_id: int,
    started_on: Annotated[str, Form()] = "", ended_on: Annotated[str, Form()] = "",
    team_lead: Annotated[str, Form()] = "",
) -> Response:
    """Record an exhumation at the site."""
    await check_csrf(request, caller)
    caller.require(Permission.SITE_WRITE)
    record_exhumation(session, site_id, started_on=optional_date(started_on), ended_on=optional_date(ended_on),
                      team_lead=team_lead or None)
    session.commit()
    return RedirectResponse(f"/sites/{site_id}", status_code=303)


@api.get("/sites", response_model=list[SiteRead])
def api_sites(session: SessionDep, caller: CallerDep) -> list[SiteRead]:
    """Every site with its number of remains and MNI."""
    caller.require(Permission.SITE_READ)
    return _site_reads(session)


@api.get("/sites.geojson")
def api_sites_geojson(session: SessionDep, caller: CallerDep) -> dict[str, Any]:
    """Sites with coordinates as a GeoJSON FeatureCollection (for the map)."""
    caller.require(Permission.SITE_READ)
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [s.longitude, s.latitude]},
         "properties": {"id": s.id, "code": s.code, "name": s.name, "site_type": s.site_type,
                        "n_remains": s.n_remains, "mni": s.mni}}
        for s in _site_reads(session) if s.latitude is not None and s.longitude is not None
    ]
    return {"type": "FeatureCollection", "features": features}


@api.get("/sites/{site_id}", response_model=SiteRead)
def api_site(session: SessionDep, caller: CallerDep, site_id: int) -> SiteRead:
    """One site."""
    caller.require(Permission.SITE_READ)
    site = get_by_id(session, Site, site_id)
    n = session.scalar(select(func.count()).select_from(Remains).where(Remains.site_id == site.id)) or 0
    return SiteRead.model_validate(site).model_copy(update={"n_remains": int(n),
                                                            "mni": mni_by_site(session).get(site.id)})
