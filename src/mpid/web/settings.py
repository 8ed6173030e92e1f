"""Settings of the web application, declared once as data (the CLI and the docs read them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from mpid.registry.settings import resolve_database_url
from mpid.security.auth import DEFAULT_POLICY, AuthPolicy

__all__ = ["WebSettings"]


@dataclass(frozen=True)
class WebSettings:
    """What :func:`mpid.web.app.create_app` needs.

    ``secure_cookies`` marks the session cookie ``Secure`` (on behind HTTPS; off for plain HTTP on
    loopback). ``portal_answer_seconds`` is the fixed time every portal answer takes, so a
    caller cannot tell an existing case code from a made-up one by timing.
    """

    database_url: str
    secure_cookies: bool = False
    migrate: bool = True
    page_size: int = 50
    portal_answer_seconds: float = 0.6
    auth_policy: AuthPolicy = field(default=DEFAULT_POLICY)
    default_locale: str = "az"
    search_refresh_seconds: float = 300.0

    @classmethod
    def from_environment(cls, database_url: str | None = None, **overrides: object) -> WebSettings:
        """Settings on the database of ``database_url``, ``$MPID_DATABASE_URL`` or the default file."""
        return cls(database_url=resolve_database_url(database_url), **overrides)  # type: ignore[arg-type]
