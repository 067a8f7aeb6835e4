"""The transactional store for people and decisions: accounts, audit logs, moderation cases.

By default SQLite in WAL mode with synchronous=FULL, in `<data dir>/trustdesk.sqlite`, a file the
loader never touches. With the environment variable TRUSTDESK_DATABASE_URL set to a postgresql://
URL, the same tables live in that PostgreSQL database instead (trustdesk/appdb/postgres.py,
docs/postgres.md). Either way every write is one short transaction that holds the store's write
lock, and a confirmed write survives the process being killed. This package is the only place that
opens the store; callers write SQL both engines run, with `?` placeholders, and read rows by name
or position.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from etl.store import private_dir

try:  # the `postgres` extra
    import psycopg
except ImportError:
    psycopg = None

DB_FILE = "trustdesk.sqlite"
URL_ENV = "TRUSTDESK_DATABASE_URL"

# Errors of either engine, for callers that catch them.
DatabaseError: tuple[type[Exception], ...] = (sqlite3.DatabaseError,) + ((psycopg.DatabaseError,) if psycopg else ())
IntegrityError: tuple[type[Exception], ...] = (sqlite3.IntegrityError,) + ((psycopg.IntegrityError,) if psycopg else ())


class StoreUnavailable(Exception):
    """The store cannot be opened (a PostgreSQL server that does not answer, a missing driver):
    one sentence, naming the server without its password."""


SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('analyst', 'moderator', 'admin')),
    password_hash TEXT,
    email TEXT UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    failed_count INTEGER NOT NULL DEFAULT 0,
    last_failed_at TEXT,
    locked_until TEXT
);
CREATE TABLE IF NOT EXISTS auth_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT,
    account TEXT,
    event TEXT NOT NULL,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
-- A signed-in browser session. The browser holds only a random cookie whose hash is cookie_hash;
-- the one-time ticket that fetches the cookie is also kept hashed. A session is valid while the
-- account exists with the same version, is not locked, and the session is neither revoked, idle
-- past the setting, nor past expires_at.
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    account_version INTEGER NOT NULL,
    address TEXT,
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ticket_hash TEXT UNIQUE,
    ticket_expires TEXT,
    cookie_hash TEXT UNIQUE,
    revoked_at TEXT,
    revoked_why TEXT
);
CREATE INDEX IF NOT EXISTS sessions_by_account ON sessions (account);
-- Failed sign-ins per (name, client address), for names that exist or not alike, and per address
-- across names: the slow-down and the lock are kept here, so a stranger elsewhere cannot lock a
-- person out and the answers do not tell which names exist.
CREATE TABLE IF NOT EXISTS signin_failures (
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    failed_count INTEGER NOT NULL,
    last_failed_at TEXT NOT NULL,
    locked_until TEXT,
    PRIMARY KEY (name, address)
);
CREATE TABLE IF NOT EXISTS address_failures (
    address TEXT PRIMARY KEY,
    failed_count INTEGER NOT NULL,
    last_failed_at TEXT NOT NULL,
    blocked_until TEXT
);
"""

# Columns added after the first release: (table, column, definition).
MIGRATIONS = (("accounts", "version", "INTEGER NOT NULL DEFAULT 1"),)

_extra_schemas: list[str] = []
_extra_columns: list[tuple[str, str, str]] = []
# Audit logs: a row once written is never changed or removed, whoever holds the connection.
_append_only: list[str] = ["auth_audit"]


def register_schema(
    sql: str, append_only: tuple[str, ...] = (), columns: tuple[tuple[str, str, str], ...] = ()
) -> None:
    """Other modules (moderation) add their tables here, so one `connect` sets everything up;
    `append_only` names their audit logs; `columns` (table, column, definition) are columns added
    to their tables after a release, added to an older store when it is opened. The SQL is
    SQLite's; the PostgreSQL backend translates its few SQLite-only words (postgres.ddl)."""
    if sql not in _extra_schemas:
        _extra_schemas.append(sql)
    _append_only.extend(t for t in append_only if t not in _append_only)
    _extra_columns.extend(c for c in columns if c not in _extra_columns)


def _append_only_triggers() -> str:
    return "".join(
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{change} BEFORE {change.upper()} ON {table}\n"
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;\n"
        for table in _append_only
        for change in ("update", "delete")
    )


class SecretUrl(str):
    """A URL that may hold a password: its repr (what tracebacks, debuggers and test reports show)
    names the server only."""

    def __repr__(self) -> str:
        # An import inside: postgres.py needs psycopg, an optional extra that SQLite users lack.
        from trustdesk.appdb.postgres import redact

        return repr(redact(self))


def database_url() -> SecretUrl | None:
    """The PostgreSQL URL the store lives at, or None for the SQLite file. A secret: never log it
    (postgres.redact gives the form to show)."""
    url = os.environ.get(URL_ENV, "").strip()
    return SecretUrl(url) if url else None


def backend() -> str:
    """'postgresql' or 'sqlite': where `connect` opens the store now."""
    return "postgresql" if database_url() else "sqlite"


def path_for(root: Path) -> Path:
    return root / DB_FILE


def connect(root: Path):
    """The store of the data directory `root`: a sqlite3 connection, or with TRUSTDESK_DATABASE_URL a
    pooled PostgreSQL connection with the same surface (execute, executemany, rows by name or
    position, in_transaction, close). Close it when done; with PostgreSQL that returns it to the pool."""
    private_dir(root)
    url = database_url()
    if url:
        # An import inside: postgres.py needs psycopg, an optional extra that SQLite users lack.
        from trustdesk.appdb import postgres

        return postgres.connect(url, (SCHEMA, *_extra_schemas), tuple(_append_only), (*MIGRATIONS, *_extra_columns))
    path = path_for(root)
    if not path.exists():
        # Password hashes and decisions: owner-only from the first byte (the WAL and shared-memory
        # files SQLite creates next to it take the database file's mode).
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    con = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA foreign_keys=ON")
    con.executescript(SCHEMA + "".join(_extra_schemas) + _append_only_triggers())
    _migrate(con)
    return con


def _migrate(con: sqlite3.Connection) -> None:
    for table, column, definition in (*MIGRATIONS, *_extra_columns):
        have = {r["name"] for r in con.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            try:
                con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
            except sqlite3.OperationalError as exc:  # another process added it first
                if "duplicate column" not in str(exc):
                    raise


def unique_violation(exc: Exception, table: str, columns: tuple[str, ...]) -> bool:
    """Whether `exc` is the unique index on `table` (`columns`) refusing a row, and nothing else."""
    if psycopg is not None and isinstance(exc, psycopg.errors.UniqueViolation):
        detail = exc.diag.message_detail or ""
        return exc.diag.table_name == table and detail.startswith(f"Key ({', '.join(columns)})=")
    return isinstance(exc, sqlite3.IntegrityError) and str(exc) == "UNIQUE constraint failed: " + ", ".join(
        f"{table}.{c}" for c in columns
    )


def moment(text: str | None) -> datetime | None:
    """A moment the store holds (ISO 8601 text, written in UTC) as an aware datetime; None for none.
    Text without an offset is taken as UTC."""
    if not text:
        return None
    at = datetime.fromisoformat(str(text))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def chunks(con, sql: str, params=(), size: int = 1000) -> Iterator[list]:
    """The rows of a query, `size` at a time, each chunk read from the engine when it is asked for,
    so a caller that writes them out holds one chunk, however many rows there are: a sqlite3
    cursor steps through them; PostgreSQL needs a server-side cursor (postgres.Connection.chunks),
    since its ordinary cursors take the whole result at once."""
    if not isinstance(con, sqlite3.Connection):
        yield from con.chunks(sql, params, size)
        return
    cur = con.execute(sql, params)
    while chunk := cur.fetchmany(size):
        yield chunk


@contextmanager
def transaction(con):
    """One write transaction that holds the store's write lock from its start, so two writers never
    interleave: BEGIN IMMEDIATE in SQLite; in PostgreSQL a transaction-scoped advisory lock."""
    if not isinstance(con, sqlite3.Connection):
        with con.transaction():
            yield con
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")
