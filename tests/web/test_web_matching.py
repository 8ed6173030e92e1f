"""Matching pages (start a run, follow the job, read the candidates), the name index, SVG, `mpid serve`."""

from __future__ import annotations

import time

from typer.testing import CliRunner
from web_helpers import F01, REFCASES

from mpid.services.importing import import_file
from mpid.web.search import NameIndex, search_keys
from mpid.web.svg import PedigreeNode, bar_chart, pedigree_svg


def test_start_a_run_follow_progress_and_see_candidates(app, login):
    import_file(app.state.session_factory, "refcase", F01)
    analyst = login("analyst")
    assert analyst.get("/matching").status_code == 200
    started = analyst.form("/matching/runs", {"kind": "blind", "threshold_lr": "1000"})
    assert started.status_code == 303
    job_url = started.headers["location"]
    page = analyst.get(job_url)
    assert 'id="job-state"' in page.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        fragment = analyst.get(job_url, headers={"HX-Request": "true"}, follow_redirects=False)
        if fragment.status_code == 204:
            run_url = fragment.headers["HX-Redirect"]
            break
        assert 'data-state="failed"' not in fragment.text, fragment.text
        time.sleep(0.2)
    else:
        raise AssertionError("the run did not finish")
    run_page = analyst.get(run_url)
    assert run_page.status_code == 200
    assert run_page.text.count('class="review-link"') == 2
    assert "code version" in run_page.text and "frequency_table" in run_page.text
    listing = analyst.get("/matching")
    assert run_url in listing.text
    assert login("officer").form("/matching/runs", {"kind": "blind"}).status_code == 403


def test_direct_run_gives_reassociations_and_mni_on_the_site_page(app, login):
    from sqlalchemy import update

    from mpid.registry.db import session_scope
    from mpid.registry.models import Remains, SiteType
    from mpid.services.sites import SiteInput, record_site

    import_file(app.state.session_factory, "refcase", REFCASES / "G05_mergePM_seven_samples.json")
    with session_scope(app.state.engine) as s:
        site = record_site(s, SiteInput(name="Grave G05", site_type=SiteType.MASS_GRAVE, latitude=39.8,
                                        longitude=46.7))
        site_id = site.id
        s.execute(update(Remains).values(site_id=site_id))
    analyst = login("analyst")
    started = analyst.form("/matching/runs", {"kind": "direct", "threshold_lr": "10000"})
    job = app.state.jobs.get(int(started.headers["location"].rsplit("/", 1)[1]))
    deadline = time.monotonic() + 120
    while job.state in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.state == "finished", job.error
    run_page = analyst.get(f"/matching/runs/{job.run_id}").text
    assert run_page.count("re-association") == 4
    site_page = analyst.get(f"/sites/{site_id}").text
    assert '<dd id="mni">4 ' in site_page
    assert analyst.get(f"/api/v1/sites/{site_id}").json()["mni"] == 4


def test_search_keys_fold_scripts():
    assert search_keys("Məmmədov") == search_keys("Мамедов") == search_keys("Mamedov")
    assert search_keys("Məmmədova Günel")[0] == search_keys("Mamedov")[0]
    assert search_keys("  ") == []


def test_name_index_prefix_and_refresh(app):
    from mpid.registry.db import session_scope
    from mpid.web.fixtures import seed_missing_persons

    seed_missing_persons(app.state.engine, 300, seed=5)
    index = NameIndex(app.state.engine)
    with session_scope(app.state.engine) as s:
        everyone = index.search(s, "ov")  # too short for a prefix: exact keys only
        hits = index.search(s, "Məmməd")
        assert hits and len(hits) < 300
        assert everyone == [] or len(everyone) < 300
        seed_missing_persons(app.state.engine, 10, seed=6)
        assert len(index.search(s, "Məmməd")) >= len(hits)
        code = s.execute(__import__("sqlalchemy").text("select case_code from missing_persons limit 1")).scalar()
        assert len(index.search(s, code)) == 1


def test_svg_charts_and_pedigree_escape_text():
    chart = bar_chart([("<b>", 3), ("x", 0)], title="t & t")
    assert "&lt;b&gt;" in chart and "t &amp; t" in chart
    nodes = [
        PedigreeNode(1, "father", "male", None, None, "untyped"),
        PedigreeNode(2, "mother", "female", None, None, "donor", typed=True),
        PedigreeNode(3, "MP", "male", 1, 2, "missing", highlight=True),
        PedigreeNode(4, "sib", "unknown", 1, 2, "donor", typed=True),
    ]
    svg = pedigree_svg(nodes)
    assert svg.count("<rect") == 2 and svg.count("<circle") == 1 and svg.count("<polygon") == 1
    assert 'stroke-width="4"' in svg


def test_serve_command_is_registered():
    from mpid.cli import app

    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.output and "--database" in result.output


def test_mpid_serve_answers_on_loopback(tmp_path):
    import socket
    import subprocess
    import sys
    from pathlib import Path

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mpid = Path(sys.executable).with_name("mpid")
    proc = subprocess.Popen([str(mpid), "serve", "--port", str(port), "--database",
                             f"sqlite:///{tmp_path / 'serve.sqlite'}"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/inquiry?lang=en", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read().decode()
                time.sleep(0.2)
        assert response.status_code == 200 and "Family inquiry" in response.text
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=5).json()["info"]["title"] == "mpid"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
