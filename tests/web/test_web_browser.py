"""The main flows in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium).

Skipped when that browser is absent (``.ci/run`` installs it; never download a browser).
Screenshots of the dashboard, a case page, the map and the review page go to ``test-artifacts/``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_helpers import F01, PASSWORD, make_test_app

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    """The app served by uvicorn on a loopback port, in a thread."""
    import uvicorn
    app = make_test_app(f"sqlite:///{tmp_path / 'browser.sqlite'}")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)
    app.state.engine.dispose()


@pytest.fixture
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def _page_as(browser, base: str, username: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    return page


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_main_flows_end_to_end(live_server, browser):
    base = live_server
    # 1. a case officer registers a missing person (the family gets a code and a secret)
    officer = _page_as(browser, base, "officer")
    officer.goto("/persons/new")
    officer.fill("input[name=source_agency]", "State Commission")
    officer.fill("input[name=name_original]", "Мамедов Али Рашидович")
    officer.fill("input[name=full_name]", "Məmmədov Əli")
    officer.select_option("select[name=sex]", "male")
    officer.fill("input[name=birth_year]", "1968")
    officer.fill("input[name=region]", "Şuşa")
    officer.click("#new-person button[type=submit]")
    code = officer.text_content("#case-code").strip()
    secret = officer.text_content("#case-secret").strip()
    # search in another script finds it (htmx updates the results)
    officer.goto("/persons")
    officer.fill("#q", "Mamedov")
    officer.wait_for_selector(f"#persons-table a:has-text('{code}')")

    # 2. a family liaison officer adds the mother as a donor
    liaison = _page_as(browser, base, "liaison")
    liaison.goto(f"/persons/{code}")
    liaison.select_option("#add-donor select[name=relationship]", "mother")
    liaison.click("#add-donor button[type=submit]")
    liaison.wait_for_selector("#donors td:has-text('mother')")
    assert liaison.text_content("#case-status").strip() == "references_collected"

    # 3. a DNA analyst imports profiles (a reference DVI case) and runs blind matching
    analyst = _page_as(browser, base, "analyst")
    analyst.goto("/imports")
    analyst.select_option("#import-form select[name=kind]", "refcase")
    analyst.set_input_files("#import-form input[name=file]", str(F01))
    analyst.click("#import-form button[type=submit]")
    assert "7 profiles" in analyst.text_content("#import-result")
    analyst.goto("/matching")
    analyst.click("#start-run button[type=submit]")
    analyst.wait_for_url("**/matching/runs/*", timeout=120_000)
    links = analyst.locator("#candidates a.review-link")
    assert links.count() == 2
    review_url = links.first.get_attribute("href")

    # 4. two different reviewers confirm; the first cannot confirm twice
    first = _page_as(browser, base, "reviewer1")
    first.goto(review_url)
    first.wait_for_selector("#per-locus")
    _shot(first, "review")
    first.select_option("select[name=ev_sex]", "consistent")
    first.click("#confirm")
    first.wait_for_selector("#already")
    assert first.get_attribute("#review-state", "data-state") == "awaiting_second_reviewer"
    second = _page_as(browser, base, "reviewer2")
    second.goto(review_url)
    second.click("#confirm")
    second.wait_for_selector("#review-state[data-state=identified]")
    with second.expect_download() as download_info:
        second.click("#report-pdf")
    pdf = Path(download_info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "dna-match-report.pdf").write_bytes(pdf)
    second.click("#report-html")
    second.wait_for_selector("#combined-lr")
    assert "DRAFT" not in second.content()
    _shot(second, "report")

    # 5. the family asks the portal, in Russian and in Azerbaijani
    family = browser.new_context(base_url=base).new_page()
    family.goto("/inquiry?lang=ru")
    family.fill("input[name=case_code]", code)
    family.fill("input[name=secret]", secret)
    family.click("#inquiry-form button[type=submit]")
    assert "Образцы для сравнения от семьи получены" in family.text_content("#answer")
    family.goto("/inquiry?lang=az")
    family.fill("input[name=case_code]", code)
    family.fill("input[name=secret]", "WRONG-WRONG")
    family.click("#inquiry-form button[type=submit]")
    assert "tapılmadı" in family.text_content("#answer")

    # screenshots: dashboard, a case page with its pedigree and candidates, the map with a site
    officer.goto("/")
    officer.wait_for_selector("svg.chart")
    _shot(officer, "dashboard")
    case_link = analyst.locator("#candidates td a[href^='/persons/']").first.get_attribute("href")
    analyst.goto(case_link)
    analyst.wait_for_selector("svg.pedigree")
    _shot(analyst, "case")
    field = _page_as(browser, base, "field")
    field.goto("/sites")
    field.fill("#new-site input[name=name]", "Edilli mass grave")
    field.select_option("#new-site select[name=site_type]", "mass_grave")
    field.fill("#new-site input[name=latitude]", "39.62")
    field.fill("#new-site input[name=longitude]", "47.15")
    field.click("#new-site button[type=submit]")
    field.goto("/sites")
    field.wait_for_selector("#map[data-loaded='1']")
    assert field.locator("#map path.leaflet-interactive").count() >= 3  # outline polygons and the site
    _shot(field, "map")
    for name in ("dashboard", "case", "map", "review"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
