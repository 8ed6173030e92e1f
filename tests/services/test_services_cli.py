"""`mpid import`, `mpid export`, `mpid status`: exit codes, messages on stderr, the --database option."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mpid.cli import app

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_import_then_status_then_reimport(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    case = REPO / "tests" / "refcases" / "F01_dvi_small_2fam_3vic.json"
    first = runner.invoke(app, ["import", "refcase", str(case), "--database", url])
    assert first.exit_code == 0, first.output
    assert "imported as batch 1: 4 donors, 2 families, 1 frequency tables, 2 missing persons" in first.stdout
    again = runner.invoke(app, ["import", "refcase", str(case), "--database", url])
    assert again.exit_code == 0 and "imported before (batch 1); nothing changed" in again.stdout
    status = runner.invoke(app, ["status", "--json", "--database", url])
    assert status.exit_code == 0
    counts = json.loads(status.stdout)
    assert counts["entities"]["remains"] == 3 and counts["cases_by_status"]["references_collected"] == 2


def test_a_failed_import_exits_non_zero_with_its_message_on_stderr(tmp_path, monkeypatch):
    monkeypatch.setenv("MPID_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    bad = REPO / "tests" / "data" / "cmf" / "smartrank_broken-locus.xml"
    result = runner.invoke(app, ["import", "cmf", str(bad)])
    assert result.exit_code == 1
    assert result.stderr == (
        "error: smartrank_broken-locus.xml, line 45, element /CODISImportFile/SPECIMEN[1]/LOCUS[4]: "
        "LOCUS has no LOCUSNAME\n"
    )
    assert result.stdout == ""
    assert (tmp_path / "env.sqlite").exists()  # the database named by MPID_DATABASE_URL was used


def test_export_writes_the_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    runner.invoke(
        app, ["import", "refcase", str(REPO / "tests/refcases/B01_mp_mother_two_sibs.json"), "--database", url]
    )
    out = tmp_path / "out.xml"
    result = runner.invoke(app, ["export", "cmf", str(out), "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "written (4 profiles)" in result.stdout and "<SPECIMENCATEGORY>" in out.read_text()


def test_export_without_a_frequency_table_fails_clearly(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    result = runner.invoke(app, ["export", "familias", str(tmp_path / "x.fam"), "--database", url])
    assert result.exit_code == 1
    assert result.stderr == "error: no frequency table at all in the register\n"


def test_unknown_kind_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["import", "pdf", str(tmp_path / "x"), "--database", "sqlite://"])
    assert result.exit_code == 2
