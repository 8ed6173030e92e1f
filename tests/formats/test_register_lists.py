"""Agency register lists: header mapping, normalisation, validation messages, CSV/XLSX round trips.

All names here are invented for the tests.
"""

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from mpid.formats import BadDateError, BadValueError, MalformedFileError, MissingColumnError, RegisterRow
from mpid.formats.register_lists import (
    REGISTER_FIELDS,
    parse_register_list,
    write_register_csv,
    write_register_xlsx,
)


def write(tmp_path: Path, text: str, name: str = "list.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_field_name_headers(tmp_path: Path) -> None:
    text = (
        "record_id,source,family_name,given_name,patronymic,sex,birth_date,birth_place,missing_date,"
        "missing_place,region,reporter,report_date,notes\n"
        "SC-1,state_commission,Testov, Test ,Testovich,M,1970-05-06,Village A,1993-04,Field B,North,Kin,1994,\n"
    )
    (row,) = parse_register_list(write(tmp_path, text))
    assert row.line == 2
    assert list(row.fields) == list(REGISTER_FIELDS)
    assert row.fields["given_name"] == "Test" and row.fields["birth_date"] == "1970-05-06"
    assert row.fields["missing_date"] == "1993-04" and row.fields["report_date"] == "1994"
    assert row.fields["notes"] is None


def test_azerbaijani_headers_semicolon_bom(tmp_path: Path) -> None:
    text = "\ufeffSoyad;Ad;Ata adı;Cins;Doğum tarixi;Rayon\r\nNümunəli;Əli;Vəli oğlu;kişi;1980;Şəki\r\n" \
           "Sınaq;Aygün;;qadın;05.03.1982;\r\n"
    first, second = parse_register_list(write(tmp_path, text))
    assert first.fields["family_name"] == "Nümunəli" and first.fields["patronymic"] == "Vəli oğlu"
    assert first.fields["sex"] == "M" and first.fields["birth_date"] == "1980" and first.fields["region"] == "Şəki"
    assert second.fields["sex"] == "F" and second.fields["birth_date"] == "1982-03-05"
    assert second.fields["patronymic"] is None and second.line == 3


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1251"])
def test_russian_headers_in_any_usual_encoding(tmp_path: Path, encoding: str) -> None:
    text = "Фамилия,Имя,Отчество,Пол,Дата рождения\nПримеров,Пример,Примерович,м,1979-12\nПримерова,Анна,,ж,\n"
    first, second = parse_register_list(write(tmp_path, text, encoding=encoding))
    assert (first.fields["sex"], second.fields["sex"]) == ("M", "F")
    assert first.fields["family_name"] == "Примеров"
    assert first.fields["birth_date"] == "1979-12" and second.fields["birth_date"] is None


def test_latin1_list_is_read_as_cp1252(tmp_path: Path) -> None:
    (row,) = parse_register_list(write(tmp_path, "Surname,First name\nDupré,Zoé\n", encoding="cp1252"))
    assert (row.fields["family_name"], row.fields["given_name"]) == ("Dupré", "Zoé")
    (row,) = parse_register_list(write(tmp_path, "Surname\nÇələbi\n", encoding="utf-8"), encoding="utf-8")
    assert row.fields["family_name"] == "Çələbi"


def test_custom_mapping(tmp_path: Path) -> None:
    text = "Ref,Nom,Prenom,Genre\nX1,Essai,Jean,?\n"
    (row,) = parse_register_list(
        write(tmp_path, text),
        mapping={"Ref": "record_id", "Nom": "family_name", "Prenom": "given_name", "Genre": "sex"},
    )
    assert row.fields["record_id"] == "X1" and row.fields["sex"] == "unknown"


def test_errors_name_file_line_and_field(tmp_path: Path) -> None:
    with pytest.raises(BadDateError) as info:
        parse_register_list(write(tmp_path, "Surname,Date of birth\nA,1975-02-30\n"))
    assert str(info.value) == "list.csv, line 2, field 'Date of birth': date '1975-02-30' is not a real day"
    with pytest.raises(BadDateError, match="line 2, field 'birth_date': date '1975-13' has month 13, not 1-12"):
        parse_register_list(write(tmp_path, "family_name,birth_date\nA,1975-13\n"))
    with pytest.raises(BadDateError, match="date '1066' has year 1066, outside 1800-2100"):
        parse_register_list(write(tmp_path, "family_name,birth_date\nA,1066\n"))
    with pytest.raises(BadDateError, match="date 'spring 1993' is not YYYY-MM-DD, YYYY-MM or YYYY"):
        parse_register_list(write(tmp_path, "family_name,missing_date\nA,spring 1993\n"))
    with pytest.raises(BadValueError, match="line 3, field 'Gender': sex 'yes' is not M, F or unknown"):
        parse_register_list(write(tmp_path, "Surname,Gender\nA,F\nB,yes\n"))
    with pytest.raises(BadValueError, match="line 3, field 'ID': record_id 'A1' already used on line 2"):
        parse_register_list(write(tmp_path, "ID,Surname\nA1,X\nA1,Y\n"))
    with pytest.raises(BadValueError, match="line 3: row has neither a family name nor a given name"):
        parse_register_list(write(tmp_path, "ID,Surname,First name\nA1,X,\nA2,,\n"))


def test_errors_on_columns_and_mapping(tmp_path: Path) -> None:
    with pytest.raises(MissingColumnError) as info:
        parse_register_list(write(tmp_path, "Col1,Col2\na,b\n"))
    assert str(info.value).startswith(
        "list.csv, line 1: missing name columns: expected 'family_name' or 'given_name'"
    )
    with pytest.raises(BadValueError, match="columns 'Surname' and 'Фамилия' both map to field 'family_name'"):
        parse_register_list(write(tmp_path, "Surname,Фамилия\na,b\n"))
    with pytest.raises(BadValueError, match="mapping sends 'Nom' to unknown field 'surname'"):
        parse_register_list(write(tmp_path, "Nom\na\n"), mapping={"Nom": "surname"})
    with pytest.raises(MalformedFileError, match="list.csv: empty file: no header row"):
        parse_register_list(write(tmp_path, "\n,,\n"))


def sample_rows() -> list[RegisterRow]:
    return [
        RegisterRow(2, dict.fromkeys(REGISTER_FIELDS) | {
            "record_id": "SC-000001", "source": "state_commission", "family_name": "Nümunəli",
            "given_name": "Əli", "patronymic": "Vəli oğlu", "sex": "M", "birth_date": "1975-03",
            "missing_date": "1993", "notes": "=not a formula, 'quoted', \"double\""}),
        RegisterRow(3, dict.fromkeys(REGISTER_FIELDS) | {
            "record_id": "SC-000002", "family_name": "Примерова", "given_name": "Анна", "sex": "F",
            "birth_date": "1980-01-02", "report_date": "2024-11-30"}),
    ]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    rows = sample_rows()
    path = tmp_path / f"agency.{suffix}"
    (write_register_csv if suffix == "csv" else write_register_xlsx)(rows, path)
    assert parse_register_list(path) == rows


def test_round_trip_with_agency_headers(tmp_path: Path) -> None:
    headers = {"family_name": "Soyad", "given_name": "Ad", "birth_date": "Doğum tarixi"}
    path = tmp_path / "sc.xlsx"
    write_register_xlsx(sample_rows(), path, headers=headers, sheet_name="state_commission")
    assert openpyxl.load_workbook(path).sheetnames == ["state_commission"]
    assert parse_register_list(path, sheet="state_commission") == sample_rows()
    with pytest.raises(BadValueError, match="no sheet named 'other'; sheets are 'state_commission'"):
        parse_register_list(path, sheet="other")


def test_xlsx_real_dates_and_numbers(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Surname", "DOB", "Date missing", "ID"])
    sheet.append(["A", dt.datetime(1971, 7, 8), 1992, 17])
    path = tmp_path / "real.xlsx"
    book.save(path)
    (row,) = parse_register_list(path)
    assert row.fields["birth_date"] == "1971-07-08" and row.fields["missing_date"] == "1992"
    assert row.fields["record_id"] == "17"


def test_broken_xlsx(tmp_path: Path) -> None:
    path = write(tmp_path, "PK\x03\x04 this is not a zip", "broken.xlsx")
    with pytest.raises(MalformedFileError, match="broken.xlsx: not a readable XLSX workbook"):
        parse_register_list(path)


def test_writer_refuses_unknown_fields(tmp_path: Path) -> None:
    with pytest.raises(BadValueError, match="row of line 5 has unknown fields: surname"):
        write_register_csv([RegisterRow(5, {"surname": "x"})], tmp_path / "x.csv")
    with pytest.raises(BadValueError, match="headers names unknown field 'surname'"):
        write_register_csv([], tmp_path / "x.csv", headers={"surname": "Soyad"})


def test_title_rows_above_the_header_are_skipped(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["List of missing persons"])
    sheet.append(["Printed", "2024-05-01"])
    sheet.append([])
    sheet.append(["No", "Surname", "First name", "Sex"])
    sheet.append([1, "A", "B", "F"])
    path = tmp_path / "titled.xlsx"
    book.save(path)
    (row,) = parse_register_list(path, mapping={"No": "record_id"})
    assert row.line == 5 and row.fields["record_id"] == "1" and row.fields["sex"] == "F"


def test_xlsx_writer_refuses_control_characters(tmp_path: Path) -> None:
    row = RegisterRow(2, dict.fromkeys(REGISTER_FIELDS) | {"family_name": "A\x07"})
    with pytest.raises(BadValueError, match="row 2: 'A\\\\x07' holds a control character that XLSX cannot carry"):
        write_register_xlsx([row], tmp_path / "x.xlsx")
