"""Create and upgrade the register's schema with Alembic, programmatically (no alembic.ini)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

__all__ = [
    "MIGRATIONS_DIR",
    "SchemaOutOfDateError",
    "alembic_config",
    "current_revision",
    "head_revision",
    "downgrade_database",
    "make_revision",
    "prepare_database",
    "require_current_schema",
    "upgrade_database",
]

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class SchemaOutOfDateError(RuntimeError):
    """The database's schema is not at the revision this code expects."""


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (and at ``engine`` if given)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def head_revision() -> str:
    """The newest revision in the migration chain."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest), in one transaction."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    log.info("register schema at %s", current_revision(engine))


def downgrade_database(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (``"base"`` drops everything)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def require_current_schema(engine: Engine) -> None:
    """Raise :class:`SchemaOutOfDateError` unless the database is at the head revision."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutOfDateError(
            f"register schema is at {current or 'no revision (empty database)'}, code expects {head}; "
            "run `mpid db upgrade`"
        )


def prepare_database(engine: Engine) -> None:
    """Create the schema in an empty database; refuse one at another revision (upgrade explicitly)."""
    current = current_revision(engine)
    if current is None:
        from sqlalchemy import inspect

        existing = set(inspect(engine).get_table_names())
        if existing:
            raise SchemaOutOfDateError(
                f"the database holds tables ({', '.join(sorted(existing)[:5])}...) but no register revision; "
                "it is not an mpid register"
            )
        upgrade_database(engine)
        return
    require_current_schema(engine)


def make_revision(engine: Engine, message: str) -> None:
    """Autogenerate a new migration by comparing the models with a database at head (developers)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
