"""The reference-requests page and API: which families to ask for more references after joint identification."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from test_web_api import bearer

from mpid.registry.db import session_scope
from mpid.registry.models.enums import MatchRunStatus
from mpid.services.reference_requests import CLOSE_RELATIVES, OWN_LINE

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reference_request_inputs import brothers_and_a_neighbour, joint_run, undecided  # noqa: E402

CLOSE = ", ".join(CLOSE_RELATIVES)
OWN = ", ".join(OWN_LINE)


@pytest.fixture
def joint(app: FastAPI) -> int:
    """FAM1: missing brothers MP-B1, MP-B2 (mother typed); FAM2: missing MP-C (mother typed); a finished joint
    run leaving B1/B2 undecided between each other and C with a weak LR; the newest finished joint run's id."""
    with session_scope(app.state.engine) as s:
        ids = brothers_and_a_neighbour(s)
        # an older finished joint run that asked about C only: the page must show the newest
        joint_run(s, [undecided("R9", "C", "FAM2", ids["C"], 1e5, 0.99)])
        newest = joint_run(s, [
            undecided("R1", "B1", "FAM1", ids["B1"], 1e12, 0.5,
                       [{"label": "B2", "family": "FAM1", "missing_person_id": ids["B2"], "posterior": 0.5}]),
            undecided("R2", "C", "FAM2", ids["C"], 1e5, 0.99),  # short of the ~2e6 the prior 1e-3 needs
            undecided("R3", "C", "FAM2", ids["C"], 50.0, 0.05),  # below probable_lr: no lead
        ])
        # a newer joint run still running is not the one to read
        joint_run(s, [], status=MatchRunStatus.RUNNING)
    return newest.id


def _rows(page: str) -> dict[str, list[str]]:
    """Case code → the cells (text) of the requests table."""
    table = re.search(r'<table class="grid" id="requests">(.*?)</table>', page, re.S)
    assert table, page[:2000]
    out = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", " ", c)).split()
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if len(cells) == 5:
            out[" ".join(cells[0])] = [" ".join(c) for c in cells]
    return out


def test_no_joint_run_yet(app, login):
    page = login("liaison").get("/requests")
    assert page.status_code == 200
    assert "Reference requests" in page.text and "No joint identification has been run yet" in page.text
    assert 'id="requests"' not in page.text
    assert bearer(app, "liaison").get("/api/v1/reference-requests").json() == {"joint_run": None, "requests": []}


def test_page_lists_the_families_to_ask(app, login, joint):
    page = login("liaison").get("/requests")
    assert page.status_code == 200, page.text
    assert "No joint identification" not in page.text
    assert f'<a href="/matching/runs/{joint}">{joint}</a>' in page.text and "2026-03-04 05:06" in page.text
    rows = _rows(page.text)
    assert set(rows) == {"MP-B1", "MP-B2", "MP-C"}
    assert rows["MP-B1"][1] == "FAM1" and rows["MP-B1"][2] == OWN and rows["MP-B2"][2] == OWN
    assert rows["MP-C"][1:3] == ["FAM2", CLOSE]
    assert "cannot tell B1 from B2" in rows["MP-B2"][3] and "short of" in rows["MP-C"][3]
    assert rows["MP-C"][4] == "R2" and rows["MP-B2"][4] == "R1"  # not R3 (no lead) nor R9 (older run)
    assert '<a href="/persons/MP-C">MP-C</a>' in page.text
    assert '<a href="/requests">Requests</a>' in page.text


def test_api_returns_the_requests(app, joint):
    body = bearer(app, "liaison").get("/api/v1/reference-requests").json()
    assert body["joint_run"] == joint
    found = {r["case_code"]: r for r in body["requests"]}
    assert set(found) == {"MP-B1", "MP-B2", "MP-C"}
    assert found["MP-B1"]["wanted"] == list(OWN_LINE) and found["MP-C"]["wanted"] == list(CLOSE_RELATIVES)
    assert (found["MP-C"]["family"], found["MP-C"]["label"], found["MP-C"]["remains"]) == ("FAM2", "C", ["R2"])
    assert any("cannot tell B1 from B2" in why for why in found["MP-B2"]["reasons"])


@pytest.mark.parametrize("user", ["officer", "analyst", "reviewer1"])
def test_other_roles_with_match_and_donor_read_see_it(app, login, joint, user):
    assert len(_rows(login(user).get("/requests").text)) == 3
    assert bearer(app, user).get("/api/v1/reference-requests").json()["joint_run"] == joint


@pytest.mark.parametrize("user", ["field", "partner", "admin"])
def test_roles_without_match_or_donor_read_are_refused(app, login, joint, user):
    page = login(user).get("/requests")
    assert page.status_code == 403 and "MP-B1" not in page.text
    response = bearer(app, user).get("/api/v1/reference-requests")
    assert response.status_code == 403 and "MP-B1" not in response.text


def test_signed_out_callers_are_sent_to_sign_in(app):
    from fastapi.testclient import TestClient

    client = TestClient(app)
    assert client.get("/requests", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/reference-requests").status_code == 401


def test_match_read_alone_is_not_enough(app, login, joint, monkeypatch):
    from mpid.security.roles import ROLE_PERMISSIONS, Permission, Role

    monkeypatch.setitem(ROLE_PERMISSIONS, Role.FAMILY_LIAISON,  # type: ignore[index]
                        ROLE_PERMISSIONS[Role.FAMILY_LIAISON] - {Permission.DONOR_READ})
    assert login("liaison").get("/requests").status_code == 403
    assert bearer(app, "liaison").get("/api/v1/reference-requests").status_code == 403
