"""Reference requests: which families a family liaison officer should ask for more reference samples.

After joint identification some remains stay undecided; :mod:`mpid.services.reference_requests`
reads the newest finished joint run's summary and says, per missing person, which relatives to ask
and why. This page and its API show that list (the same as ``mpid requests``); nothing is
recomputed or stored here. Reading it needs ``match:read`` and ``donor:read``: it is about matching
results and the family's donors. Like the other list pages (matching, review queue), a view is not
audited.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from mpid.registry.models import MatchRun
from mpid.security.roles import Permission
from mpid.services.reference_requests import ReferenceRequest, latest_joint_run, reference_requests
from mpid.web.deps import Caller, CallerDep, SessionDep
from mpid.web.templating import render

__all__ = ["api", "current_requests", "pages"]

pages = APIRouter(tags=["pages"], include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["reference requests"])


def _require(caller: Caller) -> None:
    caller.require(Permission.MATCH_READ)
    caller.require(Permission.DONOR_READ)


def current_requests(session: Session) -> tuple[MatchRun | None, list[ReferenceRequest]]:
    """The newest finished joint run (None if there is none) and the requests it calls for."""
    run = latest_joint_run(session)
    return run, (reference_requests(session, run) if run is not None else [])


@pages.get("/requests")
def requests_page(request: Request, session: SessionDep, caller: CallerDep) -> Response:
    """The families to ask for more reference samples, which relatives and why."""
    _require(caller)
    run, found = current_requests(session)
    return render(request, "requests.html", {"run": run, "requests": found,
                                             "families": len({r.family for r in found})})


@api.get("/reference-requests")
def api_requests(session: SessionDep, caller: CallerDep) -> dict[str, Any]:
    """The reference requests of the newest finished joint run (``joint_run`` is null when there is none)."""
    _require(caller)
    run, found = current_requests(session)
    return {"joint_run": run.id if run is not None else None, "requests": [r.to_json() for r in found]}
