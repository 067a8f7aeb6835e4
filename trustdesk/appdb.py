"""The transactional store for people and decisions: accounts, audit logs, moderation cases.

SQLite in WAL mode with synchronous=FULL, in `<data dir>/trustdesk.sqlite`, a file the loader never
touches. Every write is one short transaction; a confirmed write survives the process being killed.
This module is the only place that opens it, so a multi-host deployment can swap in PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path

DB_FILE = "trustdesk.sqlite"

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
CREATE TRIGGER IF NOT EXISTS auth_audit_no_update BEFORE UPDATE ON auth_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS auth_audit_no_delete BEFORE DELETE ON auth_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
"""

_extra_schemas: list[str] = []


def register_schema(sql: str) -> None:
    """Other modules (moderation) add their tables here, so one `connect` sets everything up."""
    if sql not in _extra_schemas:
        _extra_schemas.append(sql)


def path_for(root: Path) -> Path:
    return root / DB_FILE


def connect(root: Path) -> sqlite3.Connection:
    root.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path_for(root), timeout=30, isolation_level=None, check_same_thread=False)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA foreign_keys=ON")
    con.executescript(SCHEMA + "".join(_extra_schemas))
    return con


@contextmanager
def transaction(con: sqlite3.Connection):
    """BEGIN IMMEDIATE: take the write lock up front, so two writers never interleave."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")
