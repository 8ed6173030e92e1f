"""Alembic migrations of the register (run through :mod:`mpid.registry.migrate`, no alembic.ini)."""
