"""A PostgreSQL server for the store-level tests: the fixture `store_backend` runs a test once on
SQLite and once on PostgreSQL, in a schema of its own that is dropped afterwards, so that tests
never see each other's rows.

The server's URL comes from TRUSTDESK_TEST_DATABASE_URL, or from the file that
TRUSTDESK_TEST_DATABASE_URL_FILE names (what .ci/services/postgres.sh writes). Without either, the
PostgreSQL runs are skipped on a person's machine and fail in CI (the CI variable set): CI must
prove both engines.

tests/conftest.py loads this module as a plugin (`pytest_plugins`), so every test module can ask
for the fixture without importing it::

    @pytest.mark.usefixtures("store_backend")
    def test_something(tmp_path): ...
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import pytest

from trustdesk import appdb

URL_ENV = "TRUSTDESK_TEST_DATABASE_URL"
URL_FILE_ENV = "TRUSTDESK_TEST_DATABASE_URL_FILE"
BACKENDS = ("sqlite", "postgresql")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def server_url() -> str | None:
    """The test server's URL (a secret: never print it), or None when none is configured."""
    url = os.environ.get(URL_ENV, "").strip()
    if not url and os.environ.get(URL_FILE_ENV, "").strip():
        url = Path(os.environ[URL_FILE_ENV]).read_text(encoding="utf-8").strip()
    return url or None


def in_schema(url: str, schema: str) -> str:
    """The URL with `schema` first on the search path, so every table the store makes lands there."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", f"-c search_path={schema}"))
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))  # libpq reads no '+'


def _missing() -> None:
    why = (
        "no PostgreSQL server for the tests: run `bash .ci/services/postgres.sh` and set "
        f"{URL_FILE_ENV} to the file it prints (or {URL_ENV})"
    )
    if in_ci():
        pytest.fail(f"CI runs the store's tests on PostgreSQL too, but there is {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture(params=BACKENDS)
def store_backend(request, monkeypatch):
    """'sqlite' (the data directory's file, as without the variable) or 'postgresql' (a fresh
    schema of the test server, named by TRUSTDESK_DATABASE_URL for the test and the processes it
    starts)."""
    if request.param == "sqlite":
        monkeypatch.delenv(appdb.URL_ENV, raising=False)
        yield "sqlite"
        return
    base = server_url()
    if base is None:
        _missing()
    psycopg = pytest.importorskip("psycopg", reason="the postgres extra (psycopg) is not installed")
    from trustdesk.appdb import postgres

    schema = f"test_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(base, autocommit=True, connect_timeout=10) as admin:
            admin.execute(f"CREATE SCHEMA {schema}")
    except psycopg.OperationalError as exc:
        pytest.fail(f"the test PostgreSQL server {postgres.redact(base)} could not be reached: {exc}", pytrace=False)
    monkeypatch.setenv(appdb.URL_ENV, in_schema(base, schema))
    try:
        yield "postgresql"
    finally:
        postgres.close_pools()
        with psycopg.connect(base, autocommit=True, connect_timeout=10) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def write_lock_is_free(root: Path) -> bool:
    """Whether another connection could take the store's write lock at once (no waiting): the
    lock BEGIN IMMEDIATE takes in SQLite, the advisory write lock in PostgreSQL."""
    if appdb.backend() == "sqlite":
        import sqlite3

        other = sqlite3.connect(appdb.path_for(root), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()
    import psycopg

    from trustdesk.appdb import postgres

    with psycopg.connect(appdb.database_url()) as other:
        return other.execute("SELECT pg_try_advisory_xact_lock(%s)", (postgres.WRITE_LOCK,)).fetchone()[0]


def every_value(root: Path, table: str) -> bytes:
    """Every value of `table` as bytes, whatever the engine: what someone reading the store sees."""
    con = appdb.connect(root)
    try:
        rows = con.execute(f"SELECT * FROM {table}").fetchall()
    finally:
        con.close()
    return b"\n".join(v if isinstance(v, bytes) else str(v).encode() for r in rows for v in r)
