"""`mpid serve`: the web application (staff pages, JSON API, family portal) with uvicorn."""

from __future__ import annotations

import typer

from mpid.cli.status import DATABASE_OPTION

__all__ = ["register", "serve"]


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    database: str | None = DATABASE_OPTION,
    secure_cookies: bool = typer.Option(
        False, "--secure-cookies/--no-secure-cookies",
        help="Mark the session cookie Secure (use behind HTTPS).",
    ),
    portal_seconds: float = typer.Option(0.6, "--portal-seconds", help="Fixed answer time of the family portal."),
    log_level: str = typer.Option("warning", "--log-level", help="uvicorn log level."),
) -> None:
    """Serve the web app on HOST:PORT (SQLite by default; the schema is created if the database is empty)."""
    import uvicorn

    from mpid.registry.migrate import SchemaOutOfDateError
    from mpid.web import WebSettings, create_app

    settings = WebSettings.from_environment(database, secure_cookies=secure_cookies,
                                            portal_answer_seconds=portal_seconds)
    try:
        app = create_app(settings)
    except SchemaOutOfDateError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"mpid serving on http://{host}:{port}/ (portal: /inquiry, API schema: /api/v1/openapi.json)", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)


def register(app: typer.Typer) -> None:
    """Add `mpid serve`."""
    app.command("serve")(serve)
