"""Staff pages through the test client: sign-in, dashboard, persons, case, donors, sites, remains, imports."""

from __future__ import annotations

import re

from sqlalchemy import select
from web_helpers import F01, PASSWORD, case_code_from

from mpid.registry.db import session_scope
from mpid.registry.models import MissingPerson, Site
from mpid.security.models import AuditEntry


def register_case(client, name_original: str, full_name: str = "", **extra: str) -> str:  # type: ignore[no-untyped-def]
    response = client.form("/persons", {"source_agency": "State Commission", "name_original": name_original,
                                        "full_name": full_name, "sex": "male", **extra})
    assert response.status_code == 201, response.text
    return case_code_from(response.text)


def test_pages_redirect_to_login_without_a_session(app):
    from fastapi.testclient import TestClient

    client = TestClient(app)
    for path in ("/", "/persons", "/sites", "/review", "/matching"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    assert client.get("/api/v1/persons").status_code == 401


def test_login_failure_logout_and_audit(app, login):
    from fastapi.testclient import TestClient

    client = TestClient(app)
    bad = client.post("/login", data={"username": "officer", "password": "wrong password!!"})
    assert bad.status_code == 401 and "invalid user name or password" in bad.text
    officer = login("officer")
    assert officer.get("/").status_code == 200
    # a change without the CSRF value is refused
    assert officer.post("/logout", follow_redirects=False).status_code == 403
    out = officer.form("/logout")
    assert out.status_code == 303
    assert officer.get("/", follow_redirects=False).status_code == 303
    with session_scope(app.state.engine) as s:
        actions = set(s.scalars(select(AuditEntry.action)))
    assert {"auth.login", "auth.login_failed", "auth.logout"} <= actions


def test_login_redirects_only_within_the_site(app):
    from fastapi.testclient import TestClient

    client = TestClient(app)
    response = client.post("/login", data={"username": "officer", "password": PASSWORD, "next": "//evil.example"},
                           follow_redirects=False)
    assert response.headers["location"] == "/"


def test_dashboard_counts_and_charts(matched, login):
    page = login("officer").get("/")
    assert page.status_code == 200
    assert page.text.count("<svg") >= 4
    reported = re.search(r'data-stage="reported">(\d+)<', page.text)
    candidate = re.search(r'data-stage="candidate">(\d+)<', page.text)
    assert reported and int(reported.group(1)) == 2
    assert candidate and int(candidate.group(1)) == 2


def test_statistics_csv_export(matched, login):
    response = login("officer").get("/statistics.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0].startswith("dimension,value,reported,with_references,sampled,candidate")
    assert lines[1].split(",")[:3] == ["total", "all", "2"]
    assert login("field").get("/statistics.csv").status_code == 403


def test_register_search_in_any_script_and_case_page(app, login):
    officer = login("officer")
    assert officer.get("/persons/new").status_code == 200
    code = register_case(officer, "Мамедов Али Рашидович", "Məmmədov Əli", birth_year="1970", region="Şuşa")
    register_case(officer, "Aliyev Rashid")
    for query in ("Mamedov", "Məmmədov", "Мамедов", "mammadov ali"):
        page = officer.get("/persons", params={"q": query})
        assert page.status_code == 200
        assert code in page.text, query
        assert "Aliyev" not in page.text
    partial = officer.get("/persons", params={"q": "Mamedov"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.text and code in partial.text
    case = officer.get(f"/persons/{code}")
    assert case.status_code == 200
    assert "Мамедов Али Рашидович" in case.text and "State Commission" in case.text
    assert "reported" in case.text


def test_persons_list_pages(app, login):
    from mpid.web.fixtures import seed_missing_persons

    seed_missing_persons(app.state.engine, 120, seed=3)
    officer = login("officer")
    first = officer.get("/persons")
    assert "page 1 of 3" in first.text
    third = officer.get("/persons", params={"page": 3})
    assert third.status_code == 200 and "page 3 of 3" in third.text
    rows = re.findall(r'<a href="/persons/(MP-[^"]+)"', third.text)
    assert len(rows) == 20
    assert officer.get("/persons", params={"page": 0}).status_code == 422


def test_partner_agency_sees_only_cases_it_reported(app, login):
    officer = login("officer")
    mine = register_case(officer, "Həsənov Vüqar")
    theirs_resp = officer.form("/persons", {"source_agency": "ICRC", "name_original": "Hasanov Vugar"})
    theirs = case_code_from(theirs_resp.text)
    partner = login("partner")
    listing = partner.get("/persons", params={"q": "Hasanov"})
    assert theirs in listing.text and mine not in listing.text
    assert partner.get(f"/persons/{mine}").status_code == 403
    page = partner.get(f"/persons/{theirs}")
    assert page.status_code == 200 and "Candidate matches" not in page.text


def test_add_donor_moves_case_and_draws_pedigree(app, login):
    code = register_case(login("officer"), "Quliyev Samir")
    liaison = login("liaison")
    response = liaison.form(f"/persons/{code}/donors", {"relationship": "mother", "consent_given_on": "2024-05-01",
                                                        "shared_with_agencies": "ICRC"})
    assert response.status_code == 303
    page = liaison.get(f"/persons/{code}")
    assert "references_collected" in page.text
    assert 'class="pedigree"' in page.text and "mother" in page.text
    assert "shared with ICRC" in page.text
    # case officers may not add donors
    assert login("officer").form(f"/persons/{code}/donors", {"relationship": "father"}).status_code == 403
    bad = liaison.form(f"/persons/{code}/donors", {"relationship": "cousin twice removed"})
    assert bad.status_code == 422


def test_case_page_shows_candidates_and_donors_of_an_imported_family(matched, login):
    with session_scope(matched.state.engine) as s:
        code = s.scalars(select(MissingPerson.case_code).order_by(MissingPerson.id)).first()
    page = login("analyst").get(f"/persons/{code}")
    assert page.status_code == 200
    assert "Candidate matches" in page.text and "/review/" in page.text
    assert "typed" in page.text


def test_sites_map_site_page_remains_and_custody(app, login):
    field = login("field")
    response = field.form("/sites", {"name": "Edilli grave", "site_type": "mass_grave", "latitude": "39.6",
                                     "longitude": "47.1", "region": "Khojavend"})
    assert response.status_code == 303
    site_url = response.headers["location"]
    assert field.form(site_url + "/exhumations", {"started_on": "2023-04-01", "ended_on": "2023-04-20",
                                                  "team_lead": "A. Field"}).status_code == 303
    site_id = site_url.rsplit("/", 1)[1]
    made = field.form("/remains", {"site_id": site_id, "kind": "body", "anthropological_sex": "male",
                                   "age_min": "25", "age_max": "40"})
    assert made.status_code == 303
    remains_url = made.headers["location"]
    assert field.form(remains_url + "/samples", {"barcode": "BC-0001", "sample_type": "bone",
                                                 "description": "left femur"}).status_code == 303
    assert field.form("/samples/BC-0001/custody", {"action": "shipped", "location": "Baku lab"}).status_code == 303
    page = field.get(remains_url)
    assert "BC-0001" in page.text and "shipped" in page.text and "collected" in page.text
    site_page = field.get(site_url)
    assert "2023-04-01" in site_page.text and "MNI" in site_page.text
    sites = field.get("/sites")
    assert "leaflet.js" in sites.text and "Edilli grave" in sites.text
    geo = field.get("/api/v1/sites.geojson").json()
    assert geo["features"][0]["geometry"]["coordinates"] == [47.1, 39.6]
    assert login("officer").form("/sites", {"name": "x", "site_type": "surface"}).status_code == 403


def test_static_assets_ship_with_the_package(app):
    from fastapi.testclient import TestClient

    client = TestClient(app)
    for path in ("/static/vendor/htmx/htmx.min.js", "/static/vendor/leaflet/leaflet.js",
                 "/static/vendor/leaflet/leaflet.css", "/static/geo/region.geojson", "/static/css/mpid.css",
                 "/static/js/map.js", "/static/vendor/htmx/LICENSE", "/static/vendor/leaflet/LICENSE"):
        assert client.get(path).status_code == 200, path
    geo = client.get("/static/geo/region.geojson").json()
    assert {f["properties"]["kind"] for f in geo["features"]} == {"country", "region"}


def test_import_page_uploads_a_refcase(app, login):
    analyst = login("analyst")
    assert analyst.get("/imports").status_code == 200
    with F01.open("rb") as fh:
        response = analyst.post("/imports", data={"csrf": analyst.csrf, "kind": "refcase"},
                                files={"file": (F01.name, fh, "application/json")})
    assert response.status_code == 200 and 'id="import-result"' in response.text
    with F01.open("rb") as fh:
        again = analyst.post("/imports", data={"csrf": analyst.csrf, "kind": "refcase"},
                             files={"file": (F01.name, fh, "application/json")})
    assert "Already imported" in again.text
    bad = analyst.post("/imports", data={"csrf": analyst.csrf, "kind": "genemapper"},
                       files={"file": ("x.txt", b"not a genemapper file", "text/plain")})
    assert bad.status_code == 422
    assert login("field").get("/imports").status_code == 403


def test_remains_page_shows_profiles_to_genetic_readers_only_and_audits(matched, login):
    from mpid.registry.models import Remains

    with session_scope(matched.state.engine) as s:
        rid = s.scalars(select(Remains.id)).first()
    analyst_page = login("analyst").get(f"/remains/{rid}")
    assert "Profile" in analyst_page.text and "D10S1248" in analyst_page.text
    field_page = login("field").get(f"/remains/{rid}")
    assert "D10S1248" not in field_page.text and "genetic data not shown" in field_page.text
    with session_scope(matched.state.engine) as s:
        views = s.scalars(select(AuditEntry).where(AuditEntry.action == "genetic.view")).all()
    assert any(v.actor == "analyst" and v.object_type == "remains" for v in views)
    assert not any(v.actor == "field" for v in views)


def test_dedupe_queue_merge_and_dismiss(app, login):
    officer = login("officer")
    a = register_case(officer, "Məmmədov Əli", "Məmmədov Əli", birth_year="1970")
    b = register_case(officer, "Мамедов Али", "Mamedov Ali", birth_year="1970")
    c = register_case(officer, "Mammadov Ali", "Mammadov Ali", birth_year="1970")
    page = officer.get("/dedupe")
    assert page.status_code == 200 and a in page.text and b in page.text
    assert officer.form("/dedupe/dismiss", {"a": a, "b": c}).status_code == 303
    assert officer.form("/dedupe/merge", {"keep": a, "duplicate": b}).status_code == 303
    with session_scope(app.state.engine) as s:
        dup = s.scalar(select(MissingPerson).where(MissingPerson.case_code == b))
        assert dup.status.value == "merged_duplicate"
        kept = s.scalar(select(MissingPerson).where(MissingPerson.case_code == a))
        assert len(kept.reports) == 2
    after = officer.get("/dedupe")
    assert f"{a}</a>" not in after.text or c not in after.text
    assert login("analyst").get("/dedupe").status_code == 403


def test_unknown_records_answer_404(app, login):
    officer = login("officer")
    assert officer.get("/persons/MP-NOPE").status_code == 404
    assert login("field").get("/sites/999").status_code == 404
    assert officer.get("/api/v1/persons/MP-NOPE").json()["detail"].startswith("no case")


def test_security_headers(app):
    from fastapi.testclient import TestClient

    response = TestClient(app).get("/login")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    _ = Site


def test_deep_pages_are_the_same_from_either_end(app, login):
    from mpid.web.fixtures import seed_missing_persons

    seed_missing_persons(app.state.engine, 230, seed=4)
    officer = login("officer")
    seen: list[str] = []
    for page in range(1, 6):
        html = officer.get("/persons", params={"page": page}).text
        seen += re.findall(r'<a href="/persons/(MP-[^"]+)"', html)
    assert len(seen) == 230 == len(set(seen))
    numbers = [int(code.rsplit("-", 1)[1]) for code in seen]
    assert numbers == sorted(numbers, reverse=True)
    assert officer.get("/persons", params={"page": 9}).status_code == 200
