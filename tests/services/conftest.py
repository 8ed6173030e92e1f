"""Register fixtures (SQLite, and PostgreSQL when MPID_TEST_POSTGRES_URL is set), shared with tests/registry."""

from mpid.registry.testing_fixtures import *  # noqa: F403
