"""XML attacks against the CMF import: entity expansion, external entities, DTD retrieval.

Each attack document is refused by :func:`mpid.formats.cmf.parse_cmf` with a FormatError that
names the file, before anything is expanded or fetched (a loopback HTTP server records any
fetch; a secret file's content must never appear), quickly (no expansion), and ``mpid import
cmf`` and the web import refuse it with that message and store nothing.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from hardening_helpers import Seeded, bearer_client, build_app
from sqlalchemy import Engine, inspect, text
from typer.testing import CliRunner

from mpid.cli import app as cli
from mpid.formats.cmf import parse_cmf
from mpid.formats.errors import FormatError
from mpid.registry.db import make_engine

SECRET = "TOP-SECRET-7f3a9c"
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
BODY = ('<CODISImportFile xmlns="urn:CODISImportFile-schema"><SOURCELAB>{lab}</SOURCELAB>'
        "<SPECIMEN><SPECIMENID>S1</SPECIMENID><LOCUS><LOCUSNAME>TH01</LOCUSNAME>"
        "<ALLELE><ALLELEVALUE>9</ALLELEVALUE></ALLELE></LOCUS></SPECIMEN></CODISImportFile>")


def billion_laughs() -> str:
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{k} "{("&lol" + str(k - 1) + ";") * 10}">'
                                          for k in range(1, 10)]
    return HEAD + "<!DOCTYPE CODISImportFile [" + "".join(entities) + "]>\n" + BODY.format(lab="&lol9;")


def quadratic_blowup() -> str:
    big = "A" * 50_000
    return (HEAD + f'<!DOCTYPE CODISImportFile [<!ENTITY a "{big}">]>\n'
            + BODY.format(lab="&a;" * 2000))


def attacks(secret_file: Path, url: str) -> dict[str, str]:
    """name → document; ``url`` is a loopback server that records every request."""
    return {
        "billion_laughs": billion_laughs(),
        "quadratic_blowup": quadratic_blowup(),
        "xxe_file": (HEAD + f'<!DOCTYPE CODISImportFile [<!ENTITY xxe SYSTEM "file://{secret_file}">]>\n'
                     + BODY.format(lab="&xxe;")),
        "xxe_http": (HEAD + f'<!DOCTYPE CODISImportFile [<!ENTITY xxe SYSTEM "{url}/entity">]>\n'
                     + BODY.format(lab="&xxe;")),
        "xxe_parameter_entity": (HEAD + f'<!DOCTYPE CODISImportFile [<!ENTITY % ext SYSTEM "{url}/param.dtd"> %ext;]>\n'
                                 + BODY.format(lab="x")),
        "external_dtd": HEAD + f'<!DOCTYPE CODISImportFile SYSTEM "{url}/cmf.dtd">\n' + BODY.format(lab="x"),
        "public_dtd": (HEAD + f'<!DOCTYPE CODISImportFile PUBLIC "-//X//DTD CMF//EN" "{url}/public.dtd">\n'
                       + BODY.format(lab="x")),
        "unparsed_entity": (HEAD + f'<!DOCTYPE CODISImportFile [<!NOTATION n SYSTEM "x">'
                            f'<!ENTITY u SYSTEM "{url}/u" NDATA n>]>\n' + BODY.format(lab="x")),
        "xxe_in_attribute": (HEAD + '<!DOCTYPE CODISImportFile [<!ENTITY a "v">]>\n'
                             + BODY.format(lab="x").replace("<SPECIMEN>", '<SPECIMEN note="&a;">')),
        "doctype_without_entities": HEAD + "<!DOCTYPE CODISImportFile>\n" + BODY.format(lab="x"),
    }


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, Seeded]]:
    """The app on a seeded register without a match run (this module only imports)."""
    app, seeded = build_app(f"sqlite:///{tmp_path_factory.mktemp('xml-app') / 'r.sqlite'}", matched=False)
    yield app, seeded
    app.state.jobs.shutdown()
    app.state.engine.dispose()


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        body = f'<!ENTITY leak "{SECRET}">'.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def recorder() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records the paths it is asked for."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.hits
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory, recorder: tuple[str, list[str]]) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("xml")
    secret = folder / "secret.txt"
    secret.write_text(SECRET)
    out = {}
    for name, doc in attacks(secret, recorder[0]).items():
        path = folder / f"{name}.xml"
        path.write_text(doc, encoding="utf-8")
        out[name] = path
    # The same attack in UTF-16 (a parser that sniffed only ASCII would miss the DOCTYPE).
    utf16 = folder / "billion_laughs_utf16.xml"
    utf16.write_bytes(billion_laughs().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))
    out["billion_laughs_utf16"] = utf16
    return out


NAMES = [*attacks(Path("x"), "http://x"), "billion_laughs_utf16"]


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one()
                for t in sorted(inspect(engine).get_table_names()) if t != "audit_log"}


def test_the_plain_document_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "plain.xml"
    path.write_text(HEAD + BODY.format(lab="LAB1"))
    [record] = parse_cmf(path)
    assert record.sample_id == "S1" and record.lab == "LAB1"


@pytest.mark.parametrize("name", NAMES)
def test_parse_cmf_refuses(name: str, documents: dict[str, Path], recorder: tuple[str, list[str]]) -> None:
    started = time.monotonic()
    with pytest.raises(FormatError) as info:
        parse_cmf(documents[name])
    assert time.monotonic() - started < 5.0
    message = str(info.value)
    assert message.startswith(f"{name}.xml"), message
    assert "refused" in message and "DTD" in message, message
    assert SECRET not in message
    assert recorder[1] == [], f"the parser fetched {recorder[1]}"


@pytest.mark.parametrize("name", ["billion_laughs", "xxe_file", "xxe_http", "external_dtd", "xxe_parameter_entity"])
def test_mpid_import_cmf_refuses_and_stores_nothing(name: str, documents: dict[str, Path], tmp_path: Path,
                                                    recorder: tuple[str, list[str]]) -> None:
    url = f"sqlite:///{tmp_path / 'register.sqlite'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["status", "--database", url]).exit_code == 0  # the schema, empty
    engine = make_engine(url)
    before = _counts(engine)
    result = runner.invoke(cli, ["import", "cmf", str(documents[name]), "--category", "remains", "--database", url])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {name}.xml: refused"), result.stderr
    assert SECRET not in result.output
    assert _counts(engine) == before
    assert before.get("import_batches", 0) == 0
    engine.dispose()
    assert recorder[1] == []


def test_web_import_refuses_and_stores_nothing(seeded_app: tuple[FastAPI, Seeded], documents: dict[str, Path],
                                               recorder: tuple[str, list[str]]) -> None:
    app, _ = seeded_app
    analyst = bearer_client(app, "dna_analyst")
    before = _counts(app.state.engine)
    for name in ("billion_laughs", "xxe_file", "external_dtd"):
        response = analyst.post("/api/v1/imports", data={"kind": "cmf", "category": "remains"},
                                files={"file": (f"{name}.xml", documents[name].read_bytes(), "application/xml")})
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert detail.startswith(f"{name}.xml: refused"), detail
        assert SECRET not in response.text
    assert _counts(app.state.engine) == before
    assert recorder[1] == []
