"""Constants and helpers of the web tests (importable from every test module: ``from web_helpers import ...``)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI

from mpid.registry.db import session_scope
from mpid.security.auth import AuthPolicy, create_user
from mpid.web import WebSettings, create_app

REFCASES = Path(__file__).resolve().parents[1] / "refcases"
F01 = REFCASES / "F01_dvi_small_2fam_3vic.json"
PASSWORD = "correct horse battery staple"
FAST_POLICY = AuthPolicy(argon2_time_cost=1, argon2_memory_kib=8192, argon2_parallelism=1)

# user name → (role, agency)
USERS = {
    "officer": ("case_officer", None),
    "liaison": ("family_liaison", None),
    "field": ("field_officer", None),
    "analyst": ("dna_analyst", None),
    "reviewer1": ("reviewer", None),
    "reviewer2": ("reviewer", None),
    "partner": ("partner_agency", "icrc"),
    "admin": ("administrator", None),
}


def case_code_from(html: str) -> str:
    """The case code a page shows in ``#case-code``."""
    match = re.search(r'id="case-code">([^<]+)<', html)
    assert match, html[:500]
    return match.group(1)


def case_secret_from(html: str) -> str:
    """The portal secret a page shows in ``#case-secret``."""
    match = re.search(r'id="case-secret">([^<]+)<', html)
    assert match, html[:500]
    return match.group(1)


def make_test_app(database_url: str, **overrides: object) -> FastAPI:
    """An app with fast password hashing and a short portal answer time."""
    settings = WebSettings(database_url=database_url, auth_policy=FAST_POLICY,
                           **{"portal_answer_seconds": 0.5, **overrides})  # type: ignore[arg-type]
    app = create_app(settings)
    with session_scope(app.state.engine) as s:
        for name, (role, agency) in USERS.items():
            create_user(s, name, PASSWORD, role, agency=agency, policy=FAST_POLICY)
    return app
