"""`mpid kinship`: JSON in the case's layout, readable table, and errors that name the field."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mpid.cli import app  # noqa: E402
from refcase_compare import REFCASE_DIR, assert_matches  # noqa: E402

runner = CliRunner()


def test_json_output_diffs_against_the_case():
    path = REFCASE_DIR / "B01_mp_mother_two_sibs.json"
    res = runner.invoke(app, ["kinship", str(path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    expected = json.loads(path.read_text())["expected"]
    assert_matches(expected["lr"], out["expected"]["lr"], "lr")
    assert_matches(expected["forrel_missingPersonLR"], out["expected"]["forrel_missingPersonLR"], "mp")


def test_table_output_and_direct_match():
    res = runner.invoke(app, ["kinship", str(REFCASE_DIR / "G05_mergePM_seven_samples.json")])
    assert res.exit_code == 0, res.output
    assert "individual S2: S2, S6, S7" in res.stdout


def _broken(tmp_path: Path, mutate) -> Path:
    case = json.loads((REFCASE_DIR / "A01_parent_child.json").read_text())
    mutate(case)
    p = tmp_path / "case.json"
    p.write_text(json.dumps(case))
    return p


def test_malformed_cases_name_the_field(tmp_path):
    def short_freqs(c):
        c["markers"][2]["freqs"] = c["markers"][2]["freqs"][:-1]

    def bad_allele(c):
        person = next(iter(c["genotypes"]))
        marker = next(iter(c["genotypes"][person]))
        c["genotypes"][person][marker] = ["9.33", "10"]

    def bad_sex(c):
        c["hypotheses"][0]["components"][0][0]["sex"] = 3

    def no_reference(c):
        c["settings"]["reference_hypothesis"] = "H9"

    cases = [
        (short_freqs, "markers[2].freqs"),
        (bad_allele, "more than one decimal"),
        (bad_sex, "hypotheses[0].components[0][0].sex"),
        (no_reference, "settings.reference_hypothesis"),
    ]
    for mutate, needle in cases:
        res = runner.invoke(app, ["kinship", str(_broken(tmp_path, mutate))])
        assert res.exit_code == 2
        assert needle in res.stderr, (needle, res.stderr)


def test_invalid_json_names_the_line(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('{"category": "pairwise",\n "settings": }')
    res = runner.invoke(app, ["kinship", str(p)])
    assert res.exit_code == 2
    assert "line 2" in res.stderr
