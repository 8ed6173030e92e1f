"""`mpid dedupe` reads a report list, writes one person id per record and reports bad input precisely."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mpid.cli import app
from mpid.linkage.records import ReportFileError, read_reports_csv
from mpid.simulate.agencies import DEDUPE_COLUMNS, generate_agency_reports, generate_person_identities

HEADER = ",".join(DEDUPE_COLUMNS)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def report_list(tmp_path_factory) -> tuple[Path, list]:
    rng = random.Random(5)
    reports = generate_agency_reports(generate_person_identities(300, rng), rng)
    path = tmp_path_factory.mktemp("dedupe") / "reports.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=DEDUPE_COLUMNS)
        writer.writeheader()
        writer.writerows(r.as_row() for r in reports)
    return path, reports


def test_dedupe_writes_clusters_and_model(report_list, tmp_path: Path) -> None:
    path, reports = report_list
    out = tmp_path / "clusters.csv"
    result = CliRunner().invoke(app, ["dedupe", str(path), "--out", str(out), "--threshold", "0.9",
                                      "--pairs-out", str(tmp_path / "pairs.csv")])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["record_id", "person_id"]
    assert [row["record_id"] for row in rows] == [r.record_id for r in reports]
    assert len({row["person_id"] for row in rows}) < len(rows)
    model = json.loads((tmp_path / "clusters.model.json").read_text(encoding="utf-8"))
    assert model["link_type"] == "dedupe_only"
    assert (tmp_path / "pairs.csv").stat().st_size > 0

    # The saved model can be reused without training.
    again = tmp_path / "again.csv"
    result = CliRunner().invoke(app, ["dedupe", str(path), "--out", str(again), "--threshold", "0.9",
                                      "--model", str(tmp_path / "clusters.model.json")])
    assert result.exit_code == 0, result.output
    assert again.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


@pytest.mark.parametrize(("body", "line", "field"), [
    ("A1,sc,Əliyev,Əli,,M,1970-02-03,,,\nA2,sc,Əliyev,Əli,,M,03.02.1970,,,\n", 3, "birth_date"),
    ("A1,sc,Əliyev,Əli,,M,,,1992-13-14,\n", 2, "missing_date"),
    ("A1,sc,Əliyev,Əli,,M,,,,\nA1,sc,Əliyev,Əli,,M,,,,\n", 3, "record_id"),
    (",sc,Əliyev,Əli,,M,,,,\n", 2, "record_id"),
    ("A1,sc,Əliyev,Əli,,M,,,\n", 2, None),
])
def test_bad_rows_are_located(tmp_path: Path, body: str, line: int, field: str | None) -> None:
    path = write(tmp_path / "bad.csv", HEADER + "\n" + body)
    with pytest.raises(ReportFileError) as caught:
        read_reports_csv(path)
    assert caught.value.line == line
    assert caught.value.field == field
    result = CliRunner().invoke(app, ["dedupe", str(path), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code != 0
    assert "bad.csv" in result.output and f"line {line}" in result.output


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "cols.csv", "record_id,source,family_name\nA1,sc,Əliyev\n")
    with pytest.raises(ReportFileError, match="line 1.*given_name"):
        read_reports_csv(path)


def test_non_utf8_is_located(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    head = (HEADER + "\nA1,sc,Aliyev,Ali,,M,,,,\nA2,sc,").encode()
    path.write_bytes(head + "Müller".encode("latin-1") + b",x,,,,,,\n")
    with pytest.raises(ReportFileError, match="line 3.*UTF-8"):
        read_reports_csv(path)


def test_missing_file_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ReportFileError, match="no such file"):
        read_reports_csv(tmp_path / "absent.csv")
    with pytest.raises(ReportFileError, match="empty"):
        read_reports_csv(write(tmp_path / "empty.csv", ""))


def test_quoted_fields_bom_extra_columns_and_semicolons(tmp_path: Path) -> None:
    text = "\ufeffnote," + HEADER + '\n"a, b",A1,sc,"Əliyev",Əli,"Rəşid oğlu",kişi,1970,"Şuşa, rayon",,\n'
    frame = read_reports_csv(write(tmp_path / "ok.csv", text))
    assert frame.loc[0, "birth_place"] == "Şuşa, rayon"
    assert frame.loc[0, "patronymic"] == "Rəşid oğlu"
    semicolons = write(tmp_path / "semi.csv", HEADER.replace(",", ";") + "\nA1;sc;Əliyev;Əli;;;;;;\n")
    assert read_reports_csv(semicolons).loc[0, "family_name"] == "Əliyev"


def test_command_needs_input_and_output() -> None:
    result = CliRunner().invoke(app, ["dedupe"])
    assert result.exit_code != 0


def test_review_queue_round_trip(report_list, tmp_path: Path) -> None:
    path, reports = report_list
    queue = tmp_path / "queue.json"
    runner = CliRunner()
    result = runner.invoke(app, ["dedupe", str(path), "--out", str(tmp_path / "c.csv"), "--queue", str(queue)])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(app, ["dedupe-review", "list", str(queue), "--limit", "1"])
    assert listing.exit_code == 0 and "open pairs" in listing.output

    from mpid.linkage.review import JsonFileReviewStore, ReviewQueue

    review = ReviewQueue(JsonFileReviewStore(queue))
    first, second = review.pending()[:2]
    assert "family name" in first.fields
    accepted = runner.invoke(app, ["dedupe-review", "accept", str(queue), first.pair_id, "--by", "officer"])
    assert accepted.exit_code == 0, accepted.output
    merge_id = accepted.output.split(":")[0].strip()
    rejected = runner.invoke(app, ["dedupe-review", "reject", str(queue), second.pair_id, "--by", "officer"])
    assert rejected.exit_code == 0, rejected.output
    again = runner.invoke(app, ["dedupe-review", "reject", str(queue), second.pair_id, "--by", "officer"])
    assert again.exit_code == 1 and "already rejected" in again.output

    out = tmp_path / "after.csv"
    assert runner.invoke(app, ["dedupe-review", "export", str(queue), "--out", str(out)]).exit_code == 0
    with out.open(encoding="utf-8") as handle:
        after = {row["record_id"]: row["person_id"] for row in csv.DictReader(handle)}
    assert after[first.record_id_l] == after[first.record_id_r]
    assert len(after) == len(reports)

    undone = runner.invoke(app, ["dedupe-review", "undo", str(queue), merge_id, "--by", "officer"])
    assert undone.exit_code == 0, undone.output
    review = ReviewQueue(JsonFileReviewStore(queue))
    assert review.store.person_of(first.record_id_l) != review.store.person_of(first.record_id_r)
    assert second.pair_id not in {p.pair_id for p in review.pending()}


def test_review_of_a_file_that_is_no_queue(tmp_path: Path) -> None:
    path = write(tmp_path / "x.json", "[]")
    result = CliRunner().invoke(app, ["dedupe-review", "list", str(path)])
    assert result.exit_code == 2 and "not a review queue" in result.output
