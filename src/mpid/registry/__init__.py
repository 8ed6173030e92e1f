"""mpid.registry: the register's tables, storage (SQLite or PostgreSQL) and migrations.

* :mod:`mpid.registry.models` — every table (SQLAlchemy 2 typed mapped classes);
* :mod:`mpid.registry.lifecycle` — case statuses and the one table of allowed transitions;
* :mod:`mpid.registry.db` — ``make_engine(url | settings)``, ``session_scope(factory | engine)``;
* :mod:`mpid.registry.settings` — where the database is (option, ``MPID_DATABASE_URL``, default file);
* :mod:`mpid.registry.migrate` — Alembic, programmatically (``upgrade_database``, ``prepare_database``);
* :mod:`mpid.registry.repositories` — queries (they never commit);
* :mod:`mpid.registry.matching_input` — ``load_matching_input(session)``: plain data for matching.
"""

from mpid.registry.db import make_engine, make_session_factory, session_scope
from mpid.registry.settings import RegistrySettings, resolve_database_url

__all__ = ["RegistrySettings", "make_engine", "make_session_factory", "resolve_database_url", "session_scope"]
