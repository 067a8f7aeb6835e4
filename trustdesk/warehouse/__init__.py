"""Read access to the published warehouse: the file `CURRENT` names, opened read-only.

Readers never touch `ingest.duckdb`, so a loader can run at any time. A reader checks the pointer
on each use and reopens when a newer warehouse has been published.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from etl import store


class NoData(LookupError):
    """The data directory has no published warehouse yet."""


@dataclass
class Warehouse:
    root: Path
    path: Path
    pointer: dict
    con: duckdb.DuckDBPyConnection

    @property
    def version(self) -> int:
        return int(self.pointer["version"])

    def query(self, sql: str, params: dict | list | None = None) -> pl.DataFrame:
        cur = self.con.cursor()  # one cursor per query: sessions run on different threads
        try:
            return cur.sql(sql, params=params or None).pl()
        finally:
            cur.close()

    def scalar(self, sql: str, params: dict | list | None = None):
        cur = self.con.cursor()
        try:
            rows = cur.execute(sql, params or {}).fetchall()
            return rows[0][0] if rows else None
        finally:
            cur.close()

    def meta(self) -> dict:
        return dict(self.query("SELECT key, value FROM meta").iter_rows())

    def date_range(self) -> tuple[date | None, date | None]:
        first, last = self.pointer.get("first_day"), self.pointer.get("last_day")
        return (
            date.fromisoformat(first) if first else None,
            date.fromisoformat(last) if last else None,
        )

    def close(self) -> None:
        self.con.close()


def open_current(root: Path) -> Warehouse:
    pointer = store.read_pointer(root)
    if pointer is None:
        raise NoData(
            f"no data in {root} yet: run `trustdesk demo` for demo data, or `trustdesk load FILE...`"
        )
    path = root / pointer["file"]
    con = duckdb.connect(
        str(path),
        read_only=True,
        config={"enable_external_access": False, "lock_configuration": True},
    )
    return Warehouse(root, path, pointer, con)


class WarehouseCache:
    """Keeps one open warehouse per data directory and swaps it when the pointer moves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[Path, Warehouse] = {}

    def get(self, root: Path) -> Warehouse:
        pointer = store.read_pointer(root)
        with self._lock:
            current = self._open.get(root)
            if current is not None and pointer is not None and current.pointer.get("file") == pointer.get("file"):
                return current
            fresh = open_current(root)
            self._open[root] = fresh
            # The old connection is left to the garbage collector: another thread may still be
            # reading through it, and its file stays readable on POSIX even once removed.
            return fresh
