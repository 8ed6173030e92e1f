"""An import killed with SIGKILL in the middle leaves the register as it was, and consistent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from mpid.registry.db import session_scope
from mpid.services.importing import PAUSE_AFTER_ROWS_ENV, PAUSE_SECONDS_ENV, import_file
from mpid.services.statistics import register_counts

REFCASES = Path(__file__).resolve().parents[2] / "tests" / "refcases"
SMALL = REFCASES / "F01_dvi_small_2fam_3vic.json"
LARGE = REFCASES / "F08_dvi_large_blind_search_200x100.json"


def _snapshot(engine) -> dict[str, int]:
    counts = {}
    with engine.connect() as conn:
        for table in sorted(inspect(engine).get_table_names()):
            counts[table] = conn.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar_one()
    return counts


@pytest.mark.slow
def test_sigkill_during_an_import_leaves_the_register_unchanged_and_consistent(engine):
    import_file(engine, "refcase", SMALL)
    before = _snapshot(engine)
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, PAUSE_AFTER_ROWS_ENV: "120", PAUSE_SECONDS_ENV: "300"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from mpid.cli import main; main()", "import", "refcase", str(LARGE), "--database", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        lines = []
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            if "import paused after 120 rows" in line:
                break
        assert any("import paused after 120 rows" in line for line in lines), "".join(lines)
        # The paused import has written rows inside its open transaction: now kill it.
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    assert _snapshot(engine) == before
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    # Nothing is left locked or half-written: the same file imports completely afterwards.
    result = import_file(engine, "refcase", LARGE)
    assert not result.already_imported and result.counts["remains"] == 200
    with session_scope(engine) as s:
        assert register_counts(s).entities["remains"] == before["remains"] + 200
