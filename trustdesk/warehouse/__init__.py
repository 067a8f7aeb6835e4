"""Read access to the published warehouse: the file `CURRENT` names, opened read-only.

Readers never touch `ingest.duckdb`, so a loader can run at any time. A reader checks the pointer
on each use and reopens when a newer warehouse has been published.

Every query of the read side is a model `trustdesk/warehouse/sql/<name>.sql` run by `run`, which
binds exactly the parameters the model names. A model may call the clauses of
`trustdesk.warehouse.clauses` as `{{ filters('s') }}`; they expand to SQL that refers to bound
parameters only, never to values.
"""

from __future__ import annotations

import ast
import re
import threading
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl

from etl import store
from trustdesk.warehouse import clauses

SQL_DIR = "trustdesk/warehouse/sql"
_PARAM = re.compile(r"\$([a-z_]+)")
_CLAUSE = re.compile(r"\{\{(.*?)\}\}", re.S)


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
        return dict(run(self, "meta").iter_rows())

    def date_range(self) -> tuple[date | None, date | None]:
        first, last = self.pointer.get("first_day"), self.pointer.get("last_day")
        return (date.fromisoformat(first) if first else None, date.fromisoformat(last) if last else None)

    def close(self) -> None:
        self.con.close()


def open_current(root: Path) -> Warehouse:
    pointer = store.read_pointer(root)
    if pointer is None:
        raise NoData(f"no data in {root} yet: run `trustdesk demo` for demo data, or `trustdesk load FILE...`")
    path = root / pointer["file"]
    con = duckdb.connect(
        str(path), read_only=True, config={"enable_external_access": False, "lock_configuration": True}
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


# --------------------------------------------------------------------------- the query runner


class QueryError(ValueError):
    """A model that cannot be read or expanded: the message names its file and the problem."""


def _expand(name: str, found: re.Match) -> str:
    where = f"{SQL_DIR}/{name}.sql: {found.group(0)}"
    try:
        call = ast.parse(found.group(1).strip(), mode="eval").body
    except SyntaxError:
        raise QueryError(f"{where} is not a call like {{{{ filters('s') }}}}") from None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in clauses.CLAUSES):
        raise QueryError(f"{where} calls none of {', '.join(clauses.CLAUSES)}")
    try:
        args = [ast.literal_eval(a) for a in call.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        return clauses.CLAUSES[call.func.id](*args, **kwargs)
    except (ValueError, TypeError) as exc:
        raise QueryError(f"{where}: {exc}") from None


@cache
def sql_for(name: str) -> str:
    """The model `<name>.sql` with its clauses expanded: plain SQL, values left to the binding."""
    try:
        text = (
            resources.files("trustdesk.warehouse").joinpath("sql").joinpath(f"{name}.sql").read_text(encoding="utf-8")
        )
    except FileNotFoundError:
        raise QueryError(f"{SQL_DIR}/{name}.sql does not exist: no query is named {name!r}") from None
    return _CLAUSE.sub(lambda found: _expand(name, found), text)


@cache
def params_named(name: str) -> frozenset[str]:
    return frozenset(_PARAM.findall(sql_for(name)))


def bind(name: str, params: dict) -> dict:
    """Of `params`, exactly those `<name>.sql` names (others are ignored); a missing one is refused."""
    wanted = params_named(name)
    missing = wanted - params.keys()
    if missing:
        raise KeyError(f"{SQL_DIR}/{name}.sql needs parameters {sorted(missing)}, which were not given")
    return {k: params[k] for k in wanted}


def run(wh: Warehouse, name: str, params: dict | None = None, /, **more) -> pl.DataFrame:
    """Run the model `trustdesk/warehouse/sql/<name>.sql` with its parameters bound, as a frame.

    Parameters come as a dict, as keywords, or both (keywords win)."""
    return wh.query(sql_for(name), bind(name, {**(params or {}), **more}))


def has_table(wh: Warehouse, name: str) -> bool:
    """A warehouse built before the table existed lacks it until its next build."""
    return bool(run(wh, "has_table", table=name)["found"].item())
