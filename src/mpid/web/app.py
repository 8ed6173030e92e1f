"""The web application: ``create_app(settings)`` builds it (no app or engine at import time).

Pages are server-rendered Jinja2 with htmx for partial updates; the JSON API lives under
``/api/v1`` with its OpenAPI schema at ``/api/v1/openapi.json``. Static files (htmx, Leaflet,
the region outline) ship in the package, so the app works with no internet.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from mpid.registry.db import make_engine, make_session_factory
from mpid.registry.errors import ConflictError, NotFoundError, RegisterError
from mpid.registry.lifecycle import StatusTransitionError
from mpid.registry.migrate import prepare_database
from mpid.security.auth import verify_case_secret
from mpid.security.ratelimit import AccessLimits
from mpid.security.roles import PermissionDeniedError
from mpid.web.deps import CsrfError, LoginRequired
from mpid.web.jobs import MatchingJobs
from mpid.web.search import NameIndex
from mpid.web.settings import WebSettings
from mpid.web.templating import make_templates, render

__all__ = ["API_PREFIX", "create_app"]

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
STATIC_DIR = Path(__file__).parent / "static"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _error(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)


def create_app(settings: WebSettings) -> FastAPI:
    """Build the app on the register of ``settings`` (its schema created if the database is empty)."""
    engine = make_engine(settings.database_url)
    if settings.migrate:
        prepare_database(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        # The portal verifies unknown codes against a dummy hash: make it now, not on a first query.
        await run_in_threadpool(verify_case_secret, None, "", settings.auth_policy)
        yield
        app.state.jobs.shutdown()
        engine.dispose()

    app = FastAPI(
        title="mpid",
        summary="Accounting for missing persons: register, DNA matching, review, family portal.",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # Swagger UI loads from a CDN; the app must work offline
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.templates = make_templates()
    app.state.limits = AccessLimits.defaults()
    app.state.name_index = NameIndex(engine, refresh_seconds=settings.search_refresh_seconds)
    app.state.jobs = MatchingJobs(app.state.session_factory)

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "authentication required"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(PermissionDeniedError)
    async def _denied(request: Request, exc: PermissionDeniedError) -> Response:
        return _error(request, 403, str(exc))

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, _exc: CsrfError) -> Response:
        return _error(request, 403, "the form is out of date or was not sent by this site; reload the page")

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, exc: NotFoundError) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(ConflictError)
    async def _conflict(request: Request, exc: ConflictError) -> Response:
        return _error(request, 409, str(exc))

    @app.exception_handler(StatusTransitionError)
    async def _transition(request: Request, exc: StatusTransitionError) -> Response:
        return _error(request, 409, str(exc))

    @app.exception_handler(RegisterError)
    async def _register_error(request: Request, exc: RegisterError) -> Response:
        return _error(request, 422, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            # Location, message and type only: echoing the input could hold values JSON cannot carry (inf, bytes).
            errors = [{"loc": list(e["loc"]), "msg": str(e["msg"]), "type": str(e["type"])} for e in exc.errors()]
            return JSONResponse({"detail": errors}, status_code=422)
        fields = ", ".join(".".join(str(p) for p in e["loc"][1:]) + ": " + e["msg"] for e in exc.errors())
        return _error(request, 422, f"invalid input — {fields}")

    @app.middleware("http")
    async def _headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    from mpid.web.routers import ALL_ROUTERS

    for router in ALL_ROUTERS:
        app.include_router(router)
    return app
