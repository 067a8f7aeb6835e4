"""A moderation store that cannot be reached (TRUSTDESK_DATABASE_URL naming a PostgreSQL server that
does not answer) is one sentence wherever a person meets it: the command line, a page, the export
endpoint; never a traceback, never the URL's password."""

from __future__ import annotations

import asyncio

import pytest
from starlette.requests import Request

from tests.worlds import td
from trustdesk import appdb
from trustdesk.accounts import auth

# Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
CLOSED = "postgresql://u:secret@127.0.0.1:9/x"
SAID = "the moderation store at postgresql://127.0.0.1:9/x could not be reached: "

pytest.importorskip("psycopg", reason="the postgres extra (psycopg) is not installed")


@pytest.fixture
def closed_store(monkeypatch):
    monkeypatch.setenv(appdb.URL_ENV, CLOSED)


@pytest.mark.usefixtures("closed_store")
@pytest.mark.parametrize(
    "args", [("users", "list"), ("outbox", "status"), ("transparency", "report")], ids=lambda a: " ".join(a)
)
def test_a_command_says_the_store_cannot_be_reached_in_one_line(tmp_path, args):
    done = td(tmp_path / "data", *args)
    assert done.returncode == 1 and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("trustdesk: " + SAID), done.stderr
    assert "secret" not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.usefixtures("closed_store")
def test_a_page_says_the_store_cannot_be_reached_without_an_error_id(tmp_path, monkeypatch, caplog):
    from trustdesk.web import server

    shown = []
    monkeypatch.setattr(server.st, "error", shown.append)
    with pytest.raises(appdb.StoreUnavailable) as caught:
        appdb.connect(tmp_path / "data")
    assert server.report_error(caught.value) is True
    (sentence,) = shown
    assert sentence.startswith("The moderation store at postgresql://127.0.0.1:9/x could not be reached: ")
    assert "secret" not in sentence + caplog.text and "Traceback" not in caplog.text


@pytest.mark.usefixtures("closed_store")
def test_the_export_endpoint_answers_503_with_the_sentence(tmp_path, monkeypatch):
    from trustdesk.web import exports

    monkeypatch.setenv("TRUSTDESK_DATA", str(tmp_path / "data"))
    request = Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/api/export/decisions.csv",
            "path_params": {"fmt": "csv"},
            "query_string": b"",
            "headers": [(b"cookie", f"{auth.SESSION_COOKIE}=a-cookie".encode())],
        }
    )
    answer = asyncio.run(exports.decisions_export(request))
    assert answer.status_code == 503
    said = answer.body.decode()
    assert said.startswith("The moderation store at postgresql://127.0.0.1:9/x could not be reached: ")
    assert "secret" not in said
