"""`mpid simulate` in-process."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from mpid.cli import app


def test_simulate_small(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["simulate", "--preset", "small", "--seed", "3", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "scenario.json").is_file() and (tmp_path / "truth" / "samples.csv").is_file()
    assert "missing" in result.output


def test_unknown_preset_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["simulate", "--preset", "mars", "--out", str(tmp_path)])
    assert result.exit_code != 0
