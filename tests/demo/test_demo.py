"""`mpid demo --no-serve --preset small` end to end, then `mpid evaluate` on what it left."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mpid.cli import app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("demo") / "work"
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--preset", "small", "--seed", "1",
                                      "--workdir", str(workdir)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return workdir


def test_demo_leaves_scenario_truth_register_and_figures(demo_dir: Path) -> None:
    for name in ("scenario.json", "families.json", "sites.csv", "remains_samples.csv", "truth/persons.csv",
                 "truth/samples.csv", "mpid.sqlite", "evaluation.json", "lr_distribution.png"):
        assert (demo_dir / name).exists(), name
    report = json.loads((demo_dir / "evaluation.json").read_text(encoding="utf-8"))
    demo = report["demo"]
    register = demo["register"]
    assert register["agency reports"] == 125
    assert register["references (donors)"] > 100
    assert register["remains"] == 44
    assert 25 <= register["individuals after re-association"] <= 44
    assert register["candidates (blind, LR ≥ 10²)"] > 0
    assert demo["deduplication"]["cases_merged"] > 40
    assert set(demo["times"]) >= {"simulate scenario", "import files", "deduplicate agency lists", "blind search",
                                  "re-association (direct)", "joint identification", "follow-up references",
                                  "blind search (follow-up)", "joint identification (follow-up)",
                                  "check against truth"}


def test_demo_asks_families_again_and_decides_with_what_they_give(demo_dir: Path) -> None:
    """The undecided of the first joint run lead to reference requests; the relatives who give samples
    are registered and the second joint run identifies more, never fewer, and no one wrongly."""
    report = json.loads((demo_dir / "evaluation.json").read_text(encoding="utf-8"))
    follow_up = report["demo"]["follow_up"]
    assert follow_up["requests"] >= 1 and follow_up["donors"] >= 1 and follow_up["profiles"] == follow_up["donors"]
    before, after = report["stages"]["joint identification before follow-up"], report["stages"]["joint identification"]
    assert after["true_identifications"] > before["true_identifications"]
    assert after["false_identifications"] == 0
    assert (demo_dir / "followup" / "collected_1.txt").exists()


def test_evaluate_json(demo_dir: Path) -> None:
    result = CliRunner().invoke(app, ["evaluate", str(demo_dir), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    for key in ("true_identifications", "false_identifications", "missed", "true_positive_rate",
                "false_positive_count", "identification_rate_eligible", "lr_distribution", "plot"):
        assert key in report
    assert report["false_identifications"] == []
    assert report["false_positive_count"] == 0
    assert len(report["true_identifications"]) >= 15
    assert {m["reason"] for m in report["missed"]} <= {
        "no references", "no profile", "excluded", "too degraded", "below threshold", "competing candidates"}
    # Every recovered missing person is either identified or missed with a reason.
    assert len(report["true_identifications"]) + len(report["missed"]) == report["recovered_missing"]
    assert report["lr_distribution"]["true_pairs"]["median"] > report["lr_distribution"]["false_pairs"]["median"]
    assert Path(report["plot"]).read_bytes()[:4] == b"\x89PNG"


def test_evaluate_table_and_errors(demo_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["evaluate", str(demo_dir), "--no-plot"])
    assert result.exit_code == 0, result.output
    assert "true identifications" in result.output
    missing = CliRunner().invoke(app, ["evaluate", str(tmp_path)])
    assert missing.exit_code == 2


def test_scale_run_stops_after_blind_search(tmp_path: Path) -> None:
    """`--until blind-search` (the balkans scale run) imports, deduplicates and searches, then stops."""
    workdir = tmp_path / "scale"
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--preset", "small", "--seed", "2",
                                      "--workdir", str(workdir), "--until", "blind-search"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    demo = json.loads((workdir / "evaluation.json").read_text(encoding="utf-8"))["demo"]
    assert list(demo["times"]) == ["simulate scenario", "create register", "import files",
                                   "deduplicate agency lists", "blind search"]
    assert demo["register"]["pairs searched"] > 0
    assert "stopped after blind-search" in result.output
    bad = CliRunner().invoke(app, ["demo", "--no-serve", "--preset", "small", "--workdir", str(workdir),
                                   "--until", "joint"])
    assert bad.exit_code == 2 and "unknown step 'joint'" in bad.output
