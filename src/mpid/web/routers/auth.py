"""Signing in and out (pages: session cookie; API: bearer tokens)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import text

from mpid.security.audit import AuditAction, record_audit
from mpid.security.auth import (
    SESSION_COOKIE_NAME,
    AccountLockedError,
    AuthenticationError,
    authenticate,
    issue_token,
    principal_for,
    revoke_token,
    session_cookie_settings,
)
from mpid.security.models import TokenKind
from mpid.security.ratelimit import RateLimitError
from mpid.web.deps import CallerDep, OptionalCallerDep, SessionDep, check_csrf
from mpid.web.schemas import TokenCreate, TokenRead
from mpid.web.templating import render

__all__ = ["api", "pages"]

pages = APIRouter(tags=["pages"], include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["auth"])


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@pages.get("/login")
def login_page(request: Request, caller: OptionalCallerDep, next: str | None = None) -> Response:  # noqa: A002
    """The sign-in form."""
    if caller is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


def _sign_in(request: Request, session, username: str, password: str, kind: str):  # type: ignore[no-untyped-def]
    """Check limits and credentials; audit both outcomes. Returns (issued token | None, error text)."""
    settings = request.app.state.settings
    try:
        request.app.state.limits.check_login(_client(request), username)
    except RateLimitError as exc:
        return None, f"too many attempts; try again in {int(exc.retry_after) + 1} s", 429
    if session.get_bind().dialect.name == "sqlite":
        # Take SQLite's write lock before the ~0.5 s password check: a read transaction cannot write
        # once another connection has committed ("database is locked" at once), so a sign-in would fail
        # whenever anyone wrote during its argon2 verification. Other writers wait (busy timeout).
        session.execute(text("UPDATE users SET id = id WHERE 0"))
    try:
        user = authenticate(session, username, password, policy=settings.auth_policy)
    except AccountLockedError:
        session.commit()
        record_audit(request.app.state.session_factory, actor=username or "anonymous",
                     action=AuditAction.LOGIN_FAILED, object_type="user", object_id=username,
                     details={"reason": "locked"})
        return None, "this account is locked; ask an administrator or try later", 403
    except AuthenticationError:
        session.commit()
        record_audit(request.app.state.session_factory, actor=username or "anonymous",
                     action=AuditAction.LOGIN_FAILED, object_type="user", object_id=username)
        return None, "invalid user name or password", 401
    issued = issue_token(session, user, kind=kind, client=_client(request), policy=settings.auth_policy)
    session.commit()
    record_audit(request.app.state.session_factory, actor=principal_for(user), action=AuditAction.LOGIN,
                 object_type="user", object_id=user.username, details={"kind": kind})
    return issued, None, 200


@pages.post("/login")
def login(
    request: Request, session: SessionDep, username: Annotated[str, Form()], password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",  # noqa: A002
) -> Response:
    """Check the password and set the session cookie."""
    issued, error, status = _sign_in(request, session, username, password, TokenKind.SESSION)
    if issued is None:
        return render(request, "login.html", {"next": _safe_next(next), "error": error}, status_code=status)
    response = RedirectResponse(_safe_next(next), status_code=303)
    cookie = session_cookie_settings(request.app.state.settings.auth_policy,
                                     secure=request.app.state.settings.secure_cookies)
    response.set_cookie(value=issued.token, **cookie)
    return response


@pages.post("/logout")
async def logout(request: Request, session: SessionDep, caller: CallerDep) -> Response:
    """Revoke the session and clear the cookie."""
    await check_csrf(request, caller)
    revoke_token(session, caller.token)
    session.commit()
    record_audit(request.app.state.session_factory, actor=caller.principal, action=AuditAction.LOGOUT,
                 object_type="user", object_id=caller.username)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE_NAME, path="/")
    return response


@api.post("/tokens", response_model=TokenRead, status_code=201, responses={401: {}, 429: {}})
def create_token(request: Request, session: SessionDep, body: TokenCreate) -> Response:
    """Exchange a user name and password for an API bearer token."""
    issued, error, status = _sign_in(request, session, body.username, body.password, TokenKind.API)
    if issued is None:
        return JSONResponse({"detail": error}, status_code=status)
    return JSONResponse(TokenRead(token=issued.token, expires_at=issued.expires_at).model_dump(mode="json"),
                        status_code=201)


@api.get("/me")
def me(caller: CallerDep) -> dict[str, object]:
    """Who the token or cookie belongs to, and what the role may do."""
    from mpid.security.roles import permissions_for

    return {"username": caller.username, "role": caller.principal.role.value, "agency": caller.principal.agency,
            "permissions": sorted(p.value for p in permissions_for(caller.principal.role))}
