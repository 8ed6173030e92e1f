"""`mpid match`: a DVI case in dvir's layout (with --joint), wrong categories refused with the field named."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mpid.cli import app  # noqa: E402
from refcase_compare import REFCASE_DIR, assert_matches  # noqa: E402

runner = CliRunner()


def test_match_json_with_joint_blocks():
    path = REFCASE_DIR / "F01_dvi_small_2fam_3vic.json"
    res = runner.invoke(app, ["match", str(path), "--joint", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)["expected"]
    expected = json.loads(path.read_text())["expected"]
    for block in ("pairwise_lr", "exclusion_matrix", "bmarginal"):
        assert_matches(expected[block], out[block], block)
    numbers = {k: v for k, v in expected["joint"].items() if k != "note"}  # "note" is a comment of the case
    assert_matches(numbers, out["joint"], "joint")


def test_match_refuses_kinship_cases():
    res = runner.invoke(app, ["match", str(REFCASE_DIR / "A01_parent_child.json")])
    assert res.exit_code == 2
    assert "category" in res.stderr and "mpid kinship" in res.stderr


def test_match_register_joint(tmp_path: Path) -> None:
    """`mpid match --joint` on a register: blind search, re-association, then the joint step, all stored."""
    from sqlalchemy import select

    from mpid.registry.db import make_engine, session_scope
    from mpid.registry.migrate import upgrade_database
    from mpid.registry.models import CandidateMatch, MatchRun
    from mpid.registry.models.enums import MatchRunKind
    from mpid.services.importing import import_file

    url = f"sqlite:///{tmp_path / 'register.sqlite'}"
    engine = make_engine(url)
    upgrade_database(engine)
    import_file(engine, "refcase", REFCASE_DIR / "F01_dvi_small_2fam_3vic.json")
    res = runner.invoke(app, ["match", "--database", url, "--joint", "--json", "--threshold", "1"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert set(summary) == {"blind", "direct", "joint"}
    with session_scope(engine) as s:
        runs = {r.kind: r for r in s.scalars(select(MatchRun))}
        assert set(runs) == {MatchRunKind.BLIND, MatchRunKind.DIRECT, MatchRunKind.JOINT}
        joint = runs[MatchRunKind.JOINT]
        assert joint.id == summary["joint"]["run"]
        assert joint.settings["age_evidence"] == {"sigma_years": 5.0, "gross_error": 1e-4}
        rows = s.scalars(select(CandidateMatch).where(CandidateMatch.run_id == joint.id)).all()
        assert rows and all(0.0 <= r.posterior <= 1.0 for r in rows)
        assert sum(r.conclusion == "identified" for r in rows) >= summary["joint"]["n_identified"]
    engine.dispose()
