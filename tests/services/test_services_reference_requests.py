"""Asking families for more references after an undecided joint identification, and registering what they give."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mpid.registry.db import session_scope
from mpid.registry.errors import RegisterError
from mpid.registry.models import CaseStatus, Donor, PedigreePerson, Profile
from mpid.services.lifecycle import move_case
from mpid.services.reference_requests import (
    CLOSE_RELATIVES,
    OWN_LINE,
    ReferenceRequest,
    needed_lr,
    reference_requests,
)
from mpid.services.scenario import collect_followup_references

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reference_request_inputs import brothers_and_a_neighbour, joint_run, undecided  # noqa: E402


def test_needed_lr_is_the_lr_that_reaches_the_threshold() -> None:
    lr = needed_lr(1 / 3456, 0.9995)
    posterior = lr * (1 / 3456) / (lr * (1 / 3456) + 1 - 1 / 3456)
    assert posterior == pytest.approx(0.9995, rel=1e-12)
    with pytest.raises(ValueError):
        needed_lr(0.0, 0.9995)


def test_symmetric_brothers_ask_for_their_own_children_weak_lrs_for_close_relatives(session) -> None:
    ids = brothers_and_a_neighbour(session)
    joint_run(session, [
        undecided("R1", "B1", "FAM1", ids["B1"], 1e12, 0.5,
                   [{"label": "B2", "family": "FAM1", "missing_person_id": ids["B2"], "posterior": 0.5}]),
        undecided("R2", "C", "FAM2", ids["C"], 1e5, 0.99),  # needs ~2e6 at prior 1e-3
        undecided("R3", "C", "FAM2", ids["C"], 50.0, 0.05),  # below probable_lr: no lead
    ])
    requests = {r.label: r for r in reference_requests(session)}
    assert set(requests) == {"B1", "B2", "C"}
    assert requests["B1"].wanted == OWN_LINE and requests["B2"].wanted == OWN_LINE
    assert "cannot tell B1 from B2" in requests["B2"].reasons[0]
    assert requests["C"].wanted == CLOSE_RELATIVES and requests["C"].remains == ["R2"]
    assert "short of" in requests["C"].reasons[0]


def test_identified_cases_and_other_family_competitors(session) -> None:
    ids = brothers_and_a_neighbour(session)
    joint_run(session, [
        undecided("R1", "B1", "FAM1", ids["B1"], 1e9, 0.98,
                   [{"label": "C", "family": "FAM2", "missing_person_id": ids["C"], "posterior": 0.02}]),
    ])
    requests = {r.label: r for r in reference_requests(session)}
    assert requests["B1"].wanted == CLOSE_RELATIVES and requests["C"].wanted == CLOSE_RELATIVES
    for status in (CaseStatus.REFERENCES_COLLECTED, CaseStatus.CANDIDATE_MATCH, CaseStatus.UNDER_REVIEW,
                   CaseStatus.IDENTIFIED):
        move_case(session, ids["C"], status)
    assert [r.label for r in reference_requests(session)] == ["B1"]


def _followup_dir(root: Path, rows: list[str]) -> Path:
    (root / "followup").mkdir(parents=True)
    (root / "scenario.json").write_text(json.dumps({"kit": {}}), encoding="utf-8")
    (root / "followup" / "references.csv").write_text(
        "family_id,donor_id,sample_barcode,sex,relative_of,relationship\n" + "".join(r + "\n" for r in rows),
        encoding="utf-8")
    profiles = ["Sample Name\tMarker\tAllele 1\tAllele 2"]
    for barcode, (a, b) in {"RS-W1": ("6", "7"), "RS-K1": ("7", "9"), "RS-S1": ("6", "9"),
                            "RS-X": ("8", "8")}.items():
        profiles += [f"{barcode}\tTH01\t{a}\t{b}", f"{barcode}\tD8S1179\t12\t13"]
    (root / "followup" / "reference_samples_followup.txt").write_text("\n".join(profiles) + "\n", encoding="utf-8")
    return root


ROWS = ["FAM1,FAM1-W1,RS-W1,female,B1,partner", "FAM1,FAM1-K1,RS-K1,male,B1,son",
        "FAM1,FAM1-S1,RS-S1,female,B1,sister", "FAM9,FAM9-X,RS-X,male,Z,son"]


def test_collect_registers_only_the_relatives_asked_for_and_is_idempotent(engine, tmp_path) -> None:
    with session_scope(engine) as s:
        ids = brothers_and_a_neighbour(s)
    root = _followup_dir(tmp_path / "scenario", ROWS)
    own_line = [ReferenceRequest("FAM1", "B1", ids["B1"], "MP-B1", OWN_LINE)]
    counts = collect_followup_references(engine, root, own_line, consent_on=date(2025, 1, 1))
    assert (counts["donors"], counts["samples"], counts["profiles"]) == (2, 2, 2)
    with session_scope(engine) as s:
        persons = {p.label: p for p in s.scalars(select(PedigreePerson))}
        b1 = persons["B1"]
        son = next(p for p in persons.values() if p.donor is not None and p.donor.stated_relationship == "son")
        wife = next(p for p in persons.values() if p.donor is not None and p.donor.stated_relationship == "partner")
        assert son.father_id == b1.id and son.mother_id == wife.id  # the wife is the child's mother
        assert s.scalar(select(func.count()).select_from(Profile)) == 2  # the two collected, not the sister
    again = collect_followup_references(engine, root, own_line, consent_on=date(2025, 1, 1))
    assert (again["donors"], again["already_collected"]) == (0, 2)


def test_a_sister_asked_for_one_brother_is_placed_as_sister_of_both(engine, tmp_path) -> None:
    with session_scope(engine) as s:
        ids = brothers_and_a_neighbour(s)
    root = _followup_dir(tmp_path / "scenario", ROWS)
    counts = collect_followup_references(engine, root, [ReferenceRequest("FAM1", "B2", ids["B2"], "MP-B2",
                                                                         CLOSE_RELATIVES)],
                                         consent_on=date(2025, 1, 1))
    assert counts["donors"] == 1  # the sister (recorded against B1); B1's son and wife are not B2's
    with session_scope(engine) as s:
        persons = {p.label: p for p in s.scalars(select(PedigreePerson))}
        sister = next(p for p in persons.values() if p.donor is not None and p.donor.stated_relationship == "sister")
        assert (sister.father_id, sister.mother_id) == (persons["B2"].father_id, persons["B2"].mother_id)


def test_a_bad_row_names_file_line_and_field_and_writes_nothing(engine, tmp_path) -> None:
    with session_scope(engine) as s:
        ids = brothers_and_a_neighbour(s)
        before = s.scalar(select(func.count()).select_from(Donor))
    root = _followup_dir(tmp_path / "scenario", ["FAM1,FAM1-K1,RS-K1,male,B1,son", "FAM1,FAM1-Q,RS-Q,male,B1,cousin"])
    with pytest.raises(RegisterError) as info:
        collect_followup_references(engine, root, [ReferenceRequest("FAM1", "B1", ids["B1"], "MP-B1", OWN_LINE)],
                                    consent_on=date(2025, 1, 1))
    assert "references.csv: line 3: field relationship" in str(info.value) and info.value.field == "relationship"
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Donor)) == before


def test_cli_lists_the_requests_and_says_when_there_is_nojoint_run(engine) -> None:
    from typer.testing import CliRunner

    from mpid.cli import app

    if engine.dialect.name != "sqlite":
        pytest.skip("the CLI test reads the SQLite file")
    url = str(engine.url)
    runner = CliRunner()
    empty = runner.invoke(app, ["requests", "--database", url])
    assert empty.exit_code == 1 and "no finished joint identification" in empty.output
    with session_scope(engine) as s:
        ids = brothers_and_a_neighbour(s)
        joint_run(s, [undecided("R2", "C", "FAM2", ids["C"], 1e5, 0.99)])
    listed = runner.invoke(app, ["requests", "--json", "--database", url])
    assert listed.exit_code == 0, listed.output
    (request,) = json.loads(listed.stdout)["requests"]
    assert (request["case_code"], request["wanted"]) == ("MP-C", list(CLOSE_RELATIVES))
