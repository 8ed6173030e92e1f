"""`mpid dedupe --register`: the register's reports feed the review queue; accept merges, undo restores."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mpid.linkage.review import PairStatus
from mpid.registry.db import session_scope
from mpid.registry.models import MissingPerson, Report
from mpid.registry.models.enums import CaseStatus, DatePrecision, Sex
from mpid.registry.testing import migrated_register
from mpid.services.dedupe import dedupe_register, open_register_queue, register_reports_frame, report_key
from mpid.services.intake import ReportInput, register_report

REPORTS = [
    ("state_commission", "SC1", "Məmmədov Əli Rəşid oğlu", "Rəşid oğlu", Sex.MALE, dt.date(1961, 3, 5), "1961-03-05"),
    ("icrc", "IC1", "Mammadov Ali Rashid oglu", "Rashid oglu", Sex.MALE, dt.date(1961, 1, 1), "1961"),
    ("ngo", "NG1", "Мамедов Али Рашидович", "Рашидович", Sex.MALE, dt.date(1961, 5, 3), "1961-05-03"),
    ("ngo", "NG2", "Алиева Айнур Вагифовна", "Вагифовна", Sex.FEMALE, dt.date(1970, 2, 1), "1970-02-01"),
    ("icrc", "IC2", "Aliyeva Aynur Vagif gizi", "Vagif gizi", Sex.FEMALE, dt.date(1970, 1, 2), "1970-01-02"),
    ("state_commission", "SC2", "Həsənov Elçin", None, Sex.MALE, None, None),
]


@pytest.fixture
def engine(tmp_path: Path):
    with migrated_register("sqlite", tmp_path) as engine:
        with session_scope(engine) as session:
            for agency, reference, name, patronymic, sex, birth, written in REPORTS:
                register_report(session, ReportInput(
                    source_agency=agency, source_reference=reference, name_original=name,
                    patronymic_original=patronymic,
                    sex=sex, birth_date=birth, birth_date_precision=DatePrecision.DAY if birth else None,
                    birth_date_original=written, disappeared_on=dt.date(1992, 5, 8), disappearance_place="Şuşa",
                    details={"birth_place": "Şuşa"}), actor="test")
        yield engine


def test_register_reports_become_dedupe_rows(engine) -> None:
    with session_scope(engine) as session:
        frame = register_reports_frame(session)
    first = frame.iloc[0]
    assert (first["family_name"], first["given_name"], first["patronymic"]) == ("Məmmədov", "Əli", "Rəşid oğlu")
    assert first["sex"] == "M" and first["birth_date"] == "1961-03-05" and first["missing_place"] == "Şuşa"
    assert len(frame) == len(REPORTS)


def test_queue_accept_undo_reject(engine, tmp_path: Path) -> None:
    queue_path = tmp_path / "queue.json"
    summary = dedupe_register(engine, queue_path=queue_path)
    assert summary.reports == 6 and summary.cases == 6
    assert summary.persons_found == 3
    assert summary.pairs_queued >= 4

    with session_scope(engine) as session:
        queue = open_register_queue(session, queue_path)
        keys = {r.source_reference: report_key(r) for r in session.query(Report)}
        pair = next(p for p in queue.pending() if {p.record_id_l, p.record_id_r} == {keys["SC1"], keys["IC1"]})
        assert pair.fields["family name"][0] == "Məmmədov"
        merge = queue.accept(pair.pair_id, "officer")
    with session_scope(engine) as session:
        kept = session.query(MissingPerson).filter_by(case_code=merge.kept_person_id).one()
        absorbed = session.query(MissingPerson).filter_by(case_code=merge.absorbed_person_id).one()
        assert {r.source_reference for r in kept.reports} == {"SC1", "IC1"}
        assert absorbed.status == CaseStatus.MERGED_DUPLICATE
        moved = next(r for r in kept.reports if report_key(r) in merge.moved_report_ids)
        assert moved.provenance["merged_from_case"] == absorbed.case_code
        assert moved.source_agency in {"state_commission", "icrc"}  # the report keeps its source

    with session_scope(engine) as session:
        open_register_queue(session, queue_path).undo(merge.merge_id, "officer")
    with session_scope(engine) as session:
        absorbed = session.query(MissingPerson).filter_by(case_code=merge.absorbed_person_id).one()
        assert absorbed.status == CaseStatus.REPORTED and len(absorbed.reports) == 1
        queue = open_register_queue(session, queue_path)
        assert queue.store.get_pair(pair.pair_id).status == PairStatus.OPEN
        other = next(p for p in queue.pending() if keys["NG2"] in (p.record_id_l, p.record_id_r))
        queue.reject(other.pair_id, "officer")

    # A second run proposes nothing already decided.
    again = dedupe_register(engine, queue_path=queue_path)
    assert again.pairs_queued == 0
    with session_scope(engine) as session:
        assert other.pair_id not in {p.pair_id for p in open_register_queue(session, queue_path).pending()}


def test_command_line_on_the_register(engine, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mpid.cli import app

    url = str(engine.url)
    queue = tmp_path / "q.json"
    runner = CliRunner()
    result = runner.invoke(app, ["dedupe", "--register", "--database-url", url, "--queue", str(queue)])
    assert result.exit_code == 0, result.output
    assert "queued" in result.output
    listing = runner.invoke(app, ["dedupe-review", "list", "register", "--database-url", url,
                                  "--register-queue", str(queue)])
    assert listing.exit_code == 0 and "open pairs" in listing.output
    with session_scope(engine) as session:
        pair_id = open_register_queue(session, queue).pending()[0].pair_id
    accepted = runner.invoke(app, ["dedupe-review", "accept", "register", pair_id, "--by", "officer",
                                   "--database-url", url, "--register-queue", str(queue)])
    assert accepted.exit_code == 0, accepted.output
    with session_scope(engine) as session:
        assert session.query(MissingPerson).filter_by(status=CaseStatus.MERGED_DUPLICATE).count() == 1
