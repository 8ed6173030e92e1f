"""Crash safety: SIGKILL in the middle of an import and of a match run leaves the register
consistent, and the work can be repeated with the same result.

``tests/services/test_services_import_crash.py`` kills a refcase import; this file kills imports
of the other paths (CMF profiles of new remains, an agency's register list) and ``mpid match``
over the register, at two points: after the run row is written (the search in progress) and in
the middle of writing the candidates. The pause points are set by a wrapper around the real CLI
(``mpid.services.importing``'s hook for imports; a patched ``blind_search`` /
``candidate_per_locus`` for matching), so the kill always lands inside the open transaction.

After each kill: SQLite's integrity and foreign-key checks pass; every table has the rows it had
before (nothing half-written is visible); no run is marked finished without its candidates and
every candidate belongs to a finished run; the audit chain verifies; and the import or run
repeated from scratch completes, the run giving exactly the candidates of an uninterrupted run on
a copy of the same register.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select, text

from mpid.registry.db import make_engine, session_scope
from mpid.registry.migrate import prepare_database
from mpid.registry.models import CandidateMatch, MatchRun, MatchRunStatus, MissingPerson, Remains
from mpid.security.audit import verify_chain
from mpid.services.importing import PAUSE_AFTER_ROWS_ENV, PAUSE_SECONDS_ENV, import_file

pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parents[1]
CASE = TESTS / "refcases" / "F07_dvi_medium_30vic_15fam.json"
LOCI = ["D3S1358", "TH01", "D21S11", "D18S51", "D5S818", "D13S317", "D7S820", "D16S539", "CSF1PO", "VWA", "D8S1179",
        "TPOX", "FGA"]
MARKER = "HX-PAUSED"

MATCH_WRAPPER = """
import os, sys, time
import mpid.services.matching as m
point = os.environ["HX_PAUSE_AT"]
def pause():
    print("HX-PAUSED " + point, file=sys.stderr, flush=True)
    time.sleep(600)
if point == "search":
    real_search = m.blind_search
    def blind_search(*args, **kwargs):
        pause()
    m.blind_search = blind_search
else:
    # One call per candidate written (most per-locus LRs come from the search's tables, so the
    # exact engine itself may not be called at all).
    after = int(point.split(":")[1])
    real_per_locus = m.candidate_per_locus
    calls = [0]
    def candidate_per_locus(*args, **kwargs):
        calls[0] += 1
        if calls[0] == after:
            pause()
        return real_per_locus(*args, **kwargs)
    m.candidate_per_locus = candidate_per_locus
from mpid.cli import main
sys.argv = ["mpid", *sys.argv[1:]]
main()
"""


def open_register(url: str) -> Engine:
    engine = make_engine(url)
    prepare_database(engine)
    return engine


def snapshot(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one()
                for t in sorted(inspect(engine).get_table_names())}


def check_consistent(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    with session_scope(engine) as s:
        runs = {r.id: r for r in s.scalars(select(MatchRun))}
        for run in runs.values():
            if run.status == MatchRunStatus.FINISHED:
                assert run.finished_at is not None and run.summary is not None
                n = s.scalar(select(func.count()).select_from(CandidateMatch).where(CandidateMatch.run_id == run.id))
                if run.kind == "blind":
                    assert n == run.summary["n_candidates"], f"run {run.id}: {n} candidates stored"
        for run_id in s.scalars(select(CandidateMatch.run_id).distinct()):
            assert runs[run_id].status == MatchRunStatus.FINISHED, f"candidates of unfinished run {run_id}"
        result = verify_chain(s)
        assert result.ok, result


def spawn(args: list[str], env: dict[str, str], wrapper: str | None = None) -> subprocess.Popen[str]:
    code = wrapper or "import sys\nfrom mpid.cli import main\nsys.argv = ['mpid', *sys.argv[1:]]\nmain()"
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **env})


def kill_when(proc: subprocess.Popen[str], marker: str, timeout: float = 240.0) -> list[str]:
    """Read stderr until ``marker`` appears, then SIGKILL the process."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            line = proc.stderr.readline()  # type: ignore[union-attr]
            if not line:
                break
            lines.append(line)
            if marker in line:
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert any(marker in line for line in lines), "".join(lines)[-2000:]
    assert proc.returncode == -signal.SIGKILL
    return lines


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy with SQLite's online backup (WAL included)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def candidates(engine: Engine) -> list[tuple[str, str, float, int, str]]:
    with session_scope(engine) as s:
        rows = s.execute(
            select(Remains.code, MissingPerson.case_code, CandidateMatch.lr, CandidateMatch.rank,
                   CandidateMatch.conclusion)
            .join(Remains, Remains.id == CandidateMatch.remains_id)
            .join(MissingPerson, MissingPerson.id == CandidateMatch.missing_person_id)
            .order_by(CandidateMatch.rank)).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


@pytest.fixture(scope="module")
def matched_reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, str, float, int, str]]]:
    """A register with F07 imported (no run yet), and the candidates of an uninterrupted run on a copy of it."""
    folder = tmp_path_factory.mktemp("crash")
    base = folder / "base.sqlite"
    engine = open_register(f"sqlite:///{base}")
    import_file(engine, "refcase", CASE)
    engine.dispose()
    reference = folder / "reference.sqlite"
    copy_sqlite(base, reference)
    url = f"sqlite:///{reference}"
    proc = spawn(["match", "--database", url, "--json"], {})
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    ref_engine = make_engine(url)
    found = candidates(ref_engine)
    ref_engine.dispose()
    assert found, "the reference run found no candidates"
    return base, found


@pytest.mark.parametrize("point", ["search", "candidates:5"])
def test_sigkill_during_a_match_run(point: str, matched_reference: tuple[Path, list], tmp_path: Path) -> None:
    base, expected = matched_reference
    register = tmp_path / "register.sqlite"
    copy_sqlite(base, register)
    url = f"sqlite:///{register}"
    engine = make_engine(url)
    before = snapshot(engine)

    proc = spawn(["match", "--database", url, "--json"], {"HX_PAUSE_AT": point}, MATCH_WRAPPER)
    kill_when(proc, MARKER)

    # Nothing of the killed run is visible: no run row, no candidate, no case moved.
    assert snapshot(engine) == before
    check_consistent(engine)
    with session_scope(engine) as s:
        assert s.scalars(select(MatchRun)).all() == []

    # The run repeated from scratch gives exactly the candidates of an uninterrupted run.
    again = spawn(["match", "--database", url, "--json"], {})
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert candidates(engine) == expected
    check_consistent(engine)
    with session_scope(engine) as s:
        [run] = s.scalars(select(MatchRun)).all()
        assert run.status == MatchRunStatus.FINISHED
    engine.dispose()


def _cmf(n: int) -> str:
    import random

    rng = random.Random(7)
    specimens = []
    for k in range(n):
        loci = "".join(
            f"<LOCUS><LOCUSNAME>{name}</LOCUSNAME>"
            + "".join(f"<ALLELE><ALLELEVALUE>{rng.randint(6, 30)}</ALLELEVALUE></ALLELE>" for _ in range(2))
            + "</LOCUS>" for name in LOCI)
        specimens.append(f"<SPECIMEN><SPECIMENID>HX-R{k:05d}</SPECIMENID>"
                         f"<SPECIMENCATEGORY>Unidentified Person</SPECIMENCATEGORY>{loci}</SPECIMEN>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<CODISImportFile xmlns="urn:CODISImportFile-schema">'
            "<SOURCELAB>HXLAB</SOURCELAB><KIT>Identifiler</KIT>" + "\n".join(specimens) + "</CODISImportFile>\n")


def _register_csv(n: int) -> str:
    rows = ["record_id,source,family_name,given_name,sex,birth_date,missing_date,region"]
    rows += [f"HX-{k:05d},ngo,Həsənov{k},Rəşad,M,19{50 + k % 40}-0{1 + k % 9}-1{k % 9},1993,Ağdam" for k in range(n)]
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("kind", ["cmf", "register"])
def test_sigkill_during_an_import(kind: str, tmp_path: Path) -> None:
    register = tmp_path / "register.sqlite"
    url = f"sqlite:///{register}"
    engine = open_register(url)
    import_file(engine, "refcase", TESTS / "refcases" / "F01_dvi_small_2fam_3vic.json")
    before = snapshot(engine)
    source = tmp_path / ("profiles.xml" if kind == "cmf" else "agency.csv")
    source.write_text(_cmf(300) if kind == "cmf" else _register_csv(400), encoding="utf-8")
    extra = ["--category", "remains"] if kind == "cmf" else ["--agency", "NGO"]

    proc = spawn(["import", kind, str(source), "--database", url, *extra],
                 {PAUSE_AFTER_ROWS_ENV: "150", PAUSE_SECONDS_ENV: "600"})
    kill_when(proc, "import paused after 150 rows")

    assert snapshot(engine) == before
    check_consistent(engine)

    # Nothing is left locked or half-written: the same file imports completely.
    result = import_file(engine, kind, source, _options(kind))
    assert not result.already_imported
    after = snapshot(engine)
    if kind == "cmf":
        assert after["remains"] == before["remains"] + 300
    else:
        assert after["missing_persons"] == before["missing_persons"] + 400
    check_consistent(engine)
    engine.dispose()


def _options(kind: str):  # type: ignore[no-untyped-def]
    from mpid.services.importing import ImportOptions

    return ImportOptions(category="remains") if kind == "cmf" else ImportOptions(source_agency="NGO")


def test_a_sign_in_is_not_blocked_by_a_running_match(matched_reference: tuple[Path, list], tmp_path: Path) -> None:
    from fastapi.testclient import TestClient
    from hardening_helpers import FAST_POLICY, PASSWORD

    from mpid.security.auth import create_user
    from mpid.web import WebSettings, create_app

    base, _ = matched_reference
    register = tmp_path / "register.sqlite"
    copy_sqlite(base, register)
    url = f"sqlite:///{register}"
    app = create_app(WebSettings(database_url=url, auth_policy=FAST_POLICY))
    with session_scope(app.state.engine) as s:
        create_user(s, "officer", PASSWORD, "case_officer", policy=FAST_POLICY)
    proc = spawn(["match", "--database", url, "--json"], {"HX_PAUSE_AT": "search"}, MATCH_WRAPPER)
    try:
        lines: list[str] = []
        while not any(MARKER in line for line in lines):
            line = proc.stderr.readline()  # type: ignore[union-attr]
            assert line, "".join(lines)
            lines.append(line)
        started = time.monotonic()
        response = TestClient(app, raise_server_exceptions=False).post(
            "/login", data={"username": "officer", "password": PASSWORD}, follow_redirects=False)
        waited = time.monotonic() - started
    finally:
        proc.kill()
        proc.wait()
        app.state.jobs.shutdown()
        app.state.engine.dispose()
    assert response.status_code == 303 and waited < 5, (response.status_code, waited)
