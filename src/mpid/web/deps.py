"""Dependencies of the routes: the database session, the caller, permissions and CSRF.

Pages authenticate with the session cookie (and must send the CSRF value with every change);
the JSON API also takes ``Authorization: Bearer <token>``. Who may do what is decided by
:mod:`mpid.security.roles` only: routes call :func:`require` with a permission.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from mpid.security.auth import SESSION_COOKIE_NAME, InvalidTokenError, csrf_token, resolve_request, verify_csrf
from mpid.security.models import User
from mpid.security.roles import Permission, Principal, has_permission
from mpid.security.roles import require as require_permission

__all__ = [
    "Caller",
    "CallerDep",
    "CsrfError",
    "LoginRequired",
    "OptionalCallerDep",
    "SessionDep",
    "check_csrf",
    "get_session",
]


class LoginRequired(Exception):  # noqa: N818 - a signal, handled by the app
    """No valid session or token: pages redirect to the login page, the API answers 401."""


class CsrfError(Exception):
    """A change was submitted without the session's anti-forgery value."""


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of a request."""

    user: User
    principal: Principal
    token: str
    via_cookie: bool

    @property
    def username(self) -> str:
        """The caller's user name (from the principal: usable after the session has closed)."""
        return self.principal.username or ""

    @property
    def csrf(self) -> str:
        """The anti-forgery value for the caller's forms."""
        return csrf_token(self.token)

    def can(self, permission: Permission | str) -> bool:
        """True when the caller's role grants ``permission``."""
        return has_permission(self.principal, permission)

    def require(self, permission: Permission | str) -> None:
        """Raise :class:`~mpid.security.roles.PermissionDeniedError` unless the role grants it."""
        require_permission(self.principal, permission)


def get_session(request: Request) -> Iterator[Session]:
    """A session for the request; routes commit their unit of work, anything else rolls back."""
    factory = request.app.state.session_factory
    with factory() as session:
        try:
            yield session
        finally:
            session.rollback()


SessionDep = Annotated[Session, Depends(get_session)]


def _resolve(request: Request, session: Session) -> Caller | None:
    cookie = request.cookies.get(SESSION_COOKIE_NAME)
    authorization = request.headers.get("authorization")
    if not cookie and not authorization:
        return None
    policy = request.app.state.settings.auth_policy
    try:
        try:
            user, principal = resolve_request(session, cookie=cookie, authorization=authorization, policy=policy)
            session.commit()  # resolve_request may have touched last_used_at
        except OperationalError:
            # SQLite refuses to turn a read into a write if another connection committed in between
            # ("database is locked" at once, no busy wait): retry holding the write lock from the start.
            session.rollback()
            if session.get_bind().dialect.name == "sqlite":
                session.execute(text("UPDATE auth_tokens SET id = id WHERE 0"))
            user, principal = resolve_request(session, cookie=cookie, authorization=authorization, policy=policy)
            session.commit()
    except InvalidTokenError:
        return None
    via_cookie = not (authorization or "").lower().startswith("bearer ")
    token = cookie if via_cookie else authorization.split(" ", 1)[1].strip()  # type: ignore[union-attr]
    caller = Caller(user=user, principal=principal, token=token or "", via_cookie=via_cookie)
    request.state.caller = caller
    return caller


def optional_caller(request: Request, session: SessionDep) -> Caller | None:
    """The caller if signed in, else None."""
    return _resolve(request, session)


def current_caller(request: Request, session: SessionDep) -> Caller:
    """The signed-in caller; changes sent with the cookie must carry the CSRF value."""
    caller = _resolve(request, session)
    if caller is None:
        raise LoginRequired()
    return caller


OptionalCallerDep = Annotated[Caller | None, Depends(optional_caller)]
CallerDep = Annotated[Caller, Depends(current_caller)]


async def check_csrf(request: Request, caller: Caller) -> None:
    """Refuse a cookie-authenticated change whose form field or header lacks the session's CSRF value."""
    if not caller.via_cookie:
        return
    submitted = request.headers.get("x-csrf-token")
    if submitted is None:
        content_type = request.headers.get("content-type", "")
        if "form" in content_type:
            form = await request.form()
            value = form.get("csrf")
            submitted = value if isinstance(value, str) else None
    if not verify_csrf(caller.token, submitted):
        raise CsrfError()


def permission_dependency(permission: Permission):  # type: ignore[no-untyped-def]
    """A dependency that yields the caller after checking ``permission``."""

    def dependency(caller: CallerDep) -> Caller:
        caller.require(permission)
        return caller

    return dependency
