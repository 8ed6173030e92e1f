"""Format detection from file content."""

from pathlib import Path

import pytest

from mpid.formats import RegisterRow
from mpid.formats.detect import detect_format
from mpid.formats.register_lists import REGISTER_FIELDS, write_register_csv, write_register_xlsx

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize(
    ("folder", "kind"),
    [("genemapper", "genemapper"), ("familias", "familias"), ("frequencies", "frequencies"),
     ("strider", "frequencies")],
)
def test_published_files(folder: str, kind: str) -> None:
    for path in sorted((DATA / folder).iterdir()):
        assert detect_format(path) == kind, path.name


def test_cmf_files() -> None:
    for path in sorted((DATA / "cmf").glob("*.xml")):
        assert detect_format(path) == "cmf", path.name
    assert detect_format(DATA / "cmf" / "CMF-2017.xsd") is None


def test_register_lists_and_unknown(tmp_path: Path) -> None:
    rows = [RegisterRow(2, dict.fromkeys(REGISTER_FIELDS) | {"family_name": "A"})]
    write_register_csv(rows, tmp_path / "a.csv")
    write_register_xlsx(rows, tmp_path / "a.xlsx")
    (tmp_path / "b.csv").write_text("Soyad;Ad\nA;B\n")
    (tmp_path / "c.txt").write_text("hello world\n")
    (tmp_path / "d.txt").write_text("")
    assert detect_format(tmp_path / "a.csv") == "register"
    assert detect_format(tmp_path / "a.xlsx") == "register"
    assert detect_format(tmp_path / "b.csv") == "register"
    assert detect_format(tmp_path / "c.txt") is None
    assert detect_format(tmp_path / "d.txt") is None
