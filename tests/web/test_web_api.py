"""The JSON API under /api/v1: every endpoint, with bearer tokens and cookie sessions, and its schema."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import F01, PASSWORD

from mpid.registry.db import session_scope
from mpid.registry.models import CandidateMatch, MatchRun, Remains
from mpid.security.models import AuditEntry

# Every API endpoint (method, path template) this file calls; the last test checks none is left out.
TESTED = {
    ("POST", "/api/v1/tokens"), ("GET", "/api/v1/me"),
    ("GET", "/api/v1/persons"), ("POST", "/api/v1/persons"), ("GET", "/api/v1/persons/{case_code}"),
    ("POST", "/api/v1/persons/{case_code}/donors"),
    ("GET", "/api/v1/statistics"), ("GET", "/api/v1/statistics.csv"),
    ("GET", "/api/v1/sites"), ("GET", "/api/v1/sites.geojson"), ("GET", "/api/v1/sites/{site_id}"),
    ("GET", "/api/v1/remains/{remains_id}"), ("GET", "/api/v1/samples/{barcode}"),
    ("POST", "/api/v1/imports"),
    ("POST", "/api/v1/match-runs"), ("GET", "/api/v1/match-runs"), ("GET", "/api/v1/jobs/{job_id}"),
    ("GET", "/api/v1/match-runs/{run_id}/candidates"),
    ("GET", "/api/v1/review-queue"), ("GET", "/api/v1/candidates/{candidate_id}"),
    ("POST", "/api/v1/candidates/{candidate_id}/reviews"), ("GET", "/api/v1/candidates/{candidate_id}/report.pdf"),
    ("GET", "/api/v1/dedupe/pairs"), ("POST", "/api/v1/dedupe/merge"), ("POST", "/api/v1/dedupe/dismiss"),
    ("GET", "/api/v1/reference-requests"),
}


def bearer(app, username: str) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    response = client.post("/api/v1/tokens", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['token']}"
    return client


def test_tokens_and_me(app):
    client = TestClient(app)
    assert client.post("/api/v1/tokens", json={"username": "analyst", "password": "nope nope nope"}).status_code == 401
    analyst = bearer(app, "analyst")
    me = analyst.get("/api/v1/me").json()
    assert me["role"] == "dna_analyst" and "genetic:read" in me["permissions"]
    assert TestClient(app).get("/api/v1/me", headers={"Authorization": "Bearer mpid_forged"}).status_code == 401


def test_persons_create_search_case_and_donor(app):
    officer = bearer(app, "officer")
    created = officer.post("/api/v1/persons", json={
        "source_agency": "NGO", "name_original": "Мамедова Гюнель", "full_name": "Məmmədova Günel", "sex": "female",
        "birth_date": "1980-03-02", "birth_date_precision": "day", "region": "Ağdam"})
    assert created.status_code == 201, created.text
    body = created.json()
    code, secret = body["case"]["case_code"], body["case_secret"]
    assert secret and len(secret) >= 10
    found = officer.get("/api/v1/persons", params={"q": "Mamedova"}).json()
    assert found["total"] == 1 and found["items"][0]["case_code"] == code
    assert officer.get("/api/v1/persons", params={"q": "Мамедова Гюнель"}).json()["total"] == 1
    assert officer.get("/api/v1/persons", params={"page_size": 1000}).status_code == 422
    liaison = bearer(app, "liaison")
    donor = liaison.post(f"/api/v1/persons/{code}/donors", json={"relationship": "mother",
                                                                   "consent_given_on": "2024-01-02"})
    assert donor.status_code == 201 and donor.json()["relationship"] == "mother"
    assert officer.post(f"/api/v1/persons/{code}/donors", json={"relationship": "father"}).status_code == 403
    case = officer.get(f"/api/v1/persons/{code}").json()
    assert case["status"] == "references_collected"
    assert case["reports"][0]["name_original"] == "Мамедова Гюнель"
    assert [e["to_status"] for e in case["history"]] == ["reported", "references_collected"]
    assert case["donors"][0]["relationship"] == "mother"
    assert bearer(app, "field").post("/api/v1/persons", json={"source_agency": "x", "name_original": "y"}
                                     ).status_code == 403


def test_cookie_sessions_need_csrf_on_api_changes(app, login):
    officer = login("officer")
    payload = {"source_agency": "NGO", "name_original": "Test Person"}
    assert officer.post("/api/v1/persons", json=payload).status_code == 403
    assert officer.api_post("/api/v1/persons", json=payload).status_code == 201


def test_statistics_sites_remains_samples(matched):
    officer = bearer(matched, "officer")
    stats = officer.get("/api/v1/statistics").json()
    assert stats["lifecycle"]["reported"] == 2 and stats["lifecycle"]["candidate"] == 2
    assert sum(v["reported"] for v in stats["by_source"].values()) >= 2
    csv = officer.get("/api/v1/statistics.csv")
    assert csv.status_code == 200 and csv.text.startswith("dimension,value")
    field = bearer(matched, "field")
    assert field.get("/api/v1/sites").json() == [] or isinstance(field.get("/api/v1/sites").json(), list)
    assert field.get("/api/v1/sites.geojson").json()["type"] == "FeatureCollection"
    assert field.get("/api/v1/sites/12345").status_code == 404
    with session_scope(matched.state.engine) as s:
        remains = s.scalars(select(Remains)).first()
        rid, barcode = remains.id, remains.samples[0].barcode
    assert field.get(f"/api/v1/remains/{rid}").json()["id"] == rid
    sample = field.get(f"/api/v1/samples/{barcode}").json()
    assert "profiles" not in sample and sample["barcode"] == barcode
    analyst = bearer(matched, "analyst")
    assert analyst.get(f"/api/v1/samples/{barcode}").json()["profiles"]
    assert analyst.get("/api/v1/samples/NOPE").status_code == 404


def test_site_api_with_a_site(app, login):
    field = login("field")
    field.form("/sites", {"name": "Grave A", "site_type": "individual_grave", "latitude": "40.0",
                          "longitude": "46.9"})
    client = bearer(app, "field")
    sites = client.get("/api/v1/sites").json()
    assert sites[0]["name"] == "Grave A" and sites[0]["n_remains"] == 0
    assert client.get(f"/api/v1/sites/{sites[0]['id']}").json()["code"] == sites[0]["code"]


def test_import_and_matching_run_through_the_api(app):
    analyst = bearer(app, "analyst")
    with F01.open("rb") as fh:
        imported = analyst.post("/api/v1/imports", data={"kind": "refcase"},
                                files={"file": (F01.name, fh, "application/json")})
    assert imported.status_code == 201, imported.text
    assert imported.json()["counts"]["profiles"] == 7
    with F01.open("rb") as fh:
        again = analyst.post("/api/v1/imports", data={"kind": "refcase"}, files={"file": (F01.name, fh)})
    assert again.status_code == 200 and again.json()["already_imported"]
    bad = analyst.post("/api/v1/imports", data={"kind": "cmf"}, files={"file": ("x.xml", b"<nope/>")})
    assert bad.status_code == 422
    assert bearer(app, "field").post("/api/v1/imports", data={"kind": "refcase"},
                                     files={"file": ("x.json", b"{}")}).status_code == 403
    started = analyst.post("/api/v1/match-runs", json={"kind": "blind", "threshold_lr": 1000})
    assert started.status_code == 202
    job_id = started.json()["id"]
    deadline = time.monotonic() + 120
    job = started.json()
    while job["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = analyst.get(f"/api/v1/jobs/{job_id}").json()
    assert job["state"] == "finished", job
    runs = analyst.get("/api/v1/match-runs").json()
    assert runs[0]["id"] == job["run_id"] and runs[0]["status"] == "finished"
    candidates = analyst.get(f"/api/v1/match-runs/{job['run_id']}/candidates").json()
    assert len(candidates) == 2 and candidates[0]["per_locus"] is None
    assert analyst.get("/api/v1/jobs/999").status_code == 404
    assert bearer(app, "officer").post("/api/v1/match-runs", json={}).status_code == 403


def test_candidates_reviews_and_report_pdf(matched):
    with session_scope(matched.state.engine) as s:
        cid = s.scalars(select(CandidateMatch.id).order_by(CandidateMatch.lr.desc())).first()
    r1, r2 = bearer(matched, "reviewer1"), bearer(matched, "reviewer2")
    queue = r1.get("/api/v1/review-queue").json()
    assert {c["id"] for c in queue} >= {cid}
    detail = r1.get(f"/api/v1/candidates/{cid}").json()
    assert detail["per_locus"] and detail["state"] == "open"
    officer_view = bearer(matched, "officer").get(f"/api/v1/candidates/{cid}").json()
    assert officer_view["per_locus"] is None
    first = r1.post(f"/api/v1/candidates/{cid}/reviews", json={"decision": "confirm",
                                                                  "non_dna_evidence": {"sex": "consistent"}})
    assert first.status_code == 201 and first.json() == {
        "id": first.json()["id"], "reviewer": "reviewer1", "decision": "confirm",
        "state": "awaiting_second_reviewer", "identified": False}
    assert r1.post(f"/api/v1/candidates/{cid}/reviews", json={"decision": "confirm"}).status_code == 409
    second = r2.post(f"/api/v1/candidates/{cid}/reviews", json={"decision": "confirm"}).json()
    assert second["identified"] and second["state"] == "identified"
    pdf = r2.get(f"/api/v1/candidates/{cid}/report.pdf")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    assert bearer(matched, "analyst").post(f"/api/v1/candidates/{cid}/reviews",
                                           json={"decision": "confirm"}).status_code == 403
    with session_scope(matched.state.engine) as s:
        views = s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "genetic.view",
                                                         AuditEntry.object_type == "candidate_match")).all()
        assert "reviewer1" in views and "officer" not in views
        assert s.scalar(select(MatchRun.id)) is not None


def test_dedupe_api(app):
    officer = bearer(app, "officer")
    codes = []
    for original, full in (("Hüseynov Elçin", "Hüseynov Elçin"), ("Гусейнов Эльчин", "Guseynov Elchin"),
                           ("Huseynov Elchin", "Huseynov Elchin")):
        r = officer.post("/api/v1/persons", json={"source_agency": "X" + original[:3], "name_original": original,
                                                  "full_name": full, "birth_date": "1965-01-01",
                                                  "birth_date_precision": "year"})
        codes.append(r.json()["case"]["case_code"])
    pairs = officer.get("/api/v1/dedupe/pairs").json()
    assert len(pairs) == 3
    assert officer.post("/api/v1/dedupe/dismiss", data={"a": codes[0], "b": codes[2]}).status_code == 200
    merged = officer.post("/api/v1/dedupe/merge", data={"keep": codes[0], "duplicate": codes[1]}).json()
    assert merged == {"kept": codes[0], "merged": codes[1], "reports": 2}
    assert officer.get("/api/v1/dedupe/pairs").json() == []
    assert bearer(app, "analyst").get("/api/v1/dedupe/pairs").status_code == 403


def test_openapi_schema_and_every_endpoint_is_tested(app):
    schema = TestClient(app).get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "mpid"
    assert "/api/v1/persons" in schema["paths"] and "/login" not in schema["paths"]
    assert "MissingPersonRead" in schema["components"]["schemas"]
    documented = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    assert documented == TESTED


def test_docs_list_every_api_endpoint(app):
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "web.md").read_text(encoding="utf-8")
    schema = TestClient(app).get("/api/v1/openapi.json").json()
    missing = [f"{m.upper()} {p}" for p, item in schema["paths"].items() for m in item
               if f"| {m.upper()} | `{p}` |" not in docs]
    assert not missing


def test_no_page_loads_anything_from_the_internet(app, login):
    import re

    pages = [TestClient(app).get("/inquiry").text, TestClient(app).get("/login").text]
    officer = login("officer")
    pages += [officer.get(p).text for p in ("/", "/persons", "/sites")]
    for html in pages:
        assert not re.search(r'(src|href)="(https?:)?//', html)
    assert TestClient(app).get("/api/v1/docs").status_code == 404
