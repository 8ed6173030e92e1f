"""The same app on PostgreSQL (when MPID_TEST_POSTGRES_URL is set): pages, search, statistics, matching, review."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from web_helpers import F01, PASSWORD, case_code_from, make_test_app

from mpid.registry.testing import TEST_POSTGRES_URL_ENV, postgres_test_url, temporary_postgres_database

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(postgres_test_url() is None, reason=f"{TEST_POSTGRES_URL_ENV} not set"),
]


@pytest.fixture
def pg_app():  # type: ignore[no-untyped-def]
    with temporary_postgres_database(postgres_test_url()) as url:  # type: ignore[arg-type]
        app = make_test_app(url)
        yield app
        app.state.jobs.shutdown()
        app.state.engine.dispose()


def test_pages_and_api_on_postgresql(pg_app):
    from fastapi.testclient import TestClient

    from mpid.registry.db import session_scope
    from mpid.registry.models import CandidateMatch
    from mpid.security.auth import SESSION_COOKIE_NAME, csrf_token
    from mpid.services.importing import import_file
    from mpid.services.matching import run_matching

    def login(name: str) -> tuple[TestClient, str]:
        client = TestClient(pg_app)
        assert client.post("/login", data={"username": name, "password": PASSWORD},
                           follow_redirects=False).status_code == 303
        return client, csrf_token(client.cookies[SESSION_COOKIE_NAME])

    officer, csrf = login("officer")
    made = officer.post("/persons", data={"csrf": csrf, "source_agency": "NGO", "name_original": "Мамедов Али",
                                          "full_name": "Məmmədov Əli", "disappeared_on": "1992-02-26"})
    code = case_code_from(made.text)
    assert code in officer.get("/persons", params={"q": "Mamedov"}).text
    assert officer.get(f"/persons/{code}").status_code == 200
    import_file(pg_app.state.session_factory, "refcase", F01)
    with session_scope(pg_app.state.engine) as s:
        run_matching(s, started_by="analyst")
    stats = officer.get("/api/v1/statistics").json()
    assert stats["lifecycle"]["reported"] == 3 and stats["by_year"]["1992"]["reported"] == 1
    assert officer.get("/statistics.csv").status_code == 200
    with session_scope(pg_app.state.engine) as s:
        cid = s.scalars(select(CandidateMatch.id).order_by(CandidateMatch.lr.desc())).first()
    for name in ("reviewer1", "reviewer2"):
        client, token = login(name)
        assert client.get(f"/review/{cid}").status_code == 200
        assert client.post(f"/review/{cid}", data={"csrf": token, "decision": "confirm"},
                           follow_redirects=False).status_code == 303
    client, _ = login("reviewer2")
    assert client.get(f"/review/{cid}/report.pdf").content[:4] == b"%PDF"
    assert officer.get("/dedupe").status_code == 200
