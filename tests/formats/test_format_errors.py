"""FormatError messages name the file, place and field."""

import pickle

from mpid.formats import AlleleParseError, FormatError, MissingElementError


def test_message_names_file_line_and_field() -> None:
    err = AlleleParseError(
        "/tmp/lab/profiles.txt", "allele '9.33' has more than one decimal", line=12, field="Allele 2"
    )
    assert str(err) == "profiles.txt, line 12, field 'Allele 2': allele '9.33' has more than one decimal"
    assert isinstance(err, FormatError) and isinstance(err, ValueError)
    assert (err.path, err.line, err.field) == ("/tmp/lab/profiles.txt", 12, "Allele 2")


def test_message_names_xml_element() -> None:
    where = "/CODISImportFile/SPECIMEN[1]/LOCUS[4]"
    err = MissingElementError("a.xml", "LOCUS has no LOCUSNAME", element=where)
    assert str(err) == "a.xml, element /CODISImportFile/SPECIMEN[1]/LOCUS[4]: LOCUS has no LOCUSNAME"


def test_pickles() -> None:
    err = AlleleParseError("p.txt", "bad", line=3, field="Allele 1")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is AlleleParseError and str(back) == str(err)
