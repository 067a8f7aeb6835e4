"""`trustdesk load`: validated, atomic, idempotent loads of log-format v1 files.

One file is one DuckDB transaction in `ingest.duckdb`: its accepted rows, its quarantined rows and
its line in the load history become visible together, or (killed, failed) not at all. After the
files, the marts are rebuilt into a new warehouse file and published (see `etl.store`).
"""

from __future__ import annotations

import csv
import getpass
import os
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import duckdb
import numpy as np
import polars as pl

from etl import store
from etl.contract import LOAD_KINDS as KINDS, MONEY_TYPE, Kind
from concurrent.futures import ThreadPoolExecutor

from etl.ingest.csvfile import (FileRejected, Prepared, Scan, line_end_problem, prepare, record_lines,
                         record_lines_exact, scan, sha256_of)
from etl.ingest.validate import REASON_SEP, q, validation_sql
from etl.settings import Settings

MAX_LINE_BYTES = 16 << 20
DUCK_TYPES = {
    "id": "VARCHAR", "text": "VARCHAR", "countries": "VARCHAR", "timestamp": "TIMESTAMP",
    "date": "DATE", "country": "VARCHAR", "bool": "BOOLEAN", "money": MONEY_TYPE,
    "enum": "VARCHAR", "int_pos": "BIGINT",
}
STRUCTURAL = {
    "MISSING COLUMNS": "has fewer fields than the header",
    "TOO MANY COLUMNS": "has more fields than the header",
    "UNQUOTED VALUE": "has a quoted field followed by other characters (broken quoting)",
    "LINE SIZE OVER MAXIMUM": f"is longer than {MAX_LINE_BYTES >> 20} MB",
}

Progress = Callable[[str, float], None]

# A reason (the SQL name `r`) with every value taken out, so that rows with the same problem group
# together and the groups can be shown to anyone: load history, the load summary, the Upload
# page's check ("sent_at: 'yesterday' is not a timestamp" -> "sent_at: a value is not a
# timestamp"). `(?s)` because a value may hold line breaks; the last step drops any quoted part
# that a reason added later might carry.
REASON_GROUP = (
    "regexp_replace(regexp_replace(regexp_replace(regexp_replace(r, "
    r"'(?s)^(\S+): ''.*''( (?:is|has) [^'']*)$', '\1: a value\2'), "
    r"'(?s)^(\S+) .* conflicts with .*$', '\1 conflicts with a row already read'), "
    r"'(?s)^(\S+) \S+ is before (\S+) .*$', '\1 is before \2'), "
    r"'(?s)''.*''', 'a value')"
)
REASON_LINES = 5  # line numbers kept per reason group in a load's result


class OutOfMemory(ValueError):
    """DuckDB could not load a file within `duckdb_memory_limit`; str(exc) is the sentence. Files
    before it are committed; the marts are not rebuilt (`trustdesk status` says so)."""


@dataclass
class FileResult:
    file: str
    kind: str | None
    status: str  # loaded | partial | rejected
    rows_read: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    error: str | None = None
    load_id: int | None = None
    top_reasons: list[tuple[str, int]] = field(default_factory=list)
    # Every reason group: (reason without values, rows, the first REASON_LINES lines)
    reasons: list[tuple[str, int, list[int]]] = field(default_factory=list)
    # Rows that name a business (a campaign, for ad events) that no loaded file defines, and how
    # many such ids; counted after the whole batch, so that a later file of the batch counts.
    undefined_rows: int = 0
    undefined_ids: int = 0
    undefined_entity: str | None = None  # business | campaign
    note: str | None = None  # why a file was skipped
    unknown_columns: list[str] = field(default_factory=list)
    already_loaded: str | None = None
    sha256: str | None = None
    duration_s: float = 0.0
    # A foreign file (etl/formats): the format it was read as, what it held and became, what was
    # not used, and one result per kind it was converted into (`kind` is then the format's name).
    source: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    unused: dict[str, int] = field(default_factory=dict)
    conversion: list[str] = field(default_factory=list)
    parts: list["FileResult"] = field(default_factory=list)

    def as_json(self) -> dict:
        d = asdict(self)
        d["parts"] = [p.as_json() for p in self.parts]
        # docs/cli.md: what a reader did not use is counted (`ignored`) and named (`unused`).
        d["ignored"] = sum(self.unused.values())
        d["top_reasons"] = [{"reason": r, "rows": n} for r, n in self.top_reasons]
        d["reasons"] = [{"reason": r, "rows": n, "lines": lines} for r, n, lines in self.reasons]
        return d


def exit_code(results: list[FileResult]) -> int:
    if any(r.status == "rejected" for r in results):
        return 2
    if any(r.quarantined for r in results):
        return 1
    return 0


# --------------------------------------------------------------------------- schema

def _raw_table(kind: Kind) -> str:
    return f"raw_{kind.name}"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SEQUENCE IF NOT EXISTS load_ids START 1")
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS loads (
            load_id INTEGER PRIMARY KEY, file_name VARCHAR, file_path VARCHAR, sha256 VARCHAR,
            file_bytes BIGINT, kind VARCHAR, status VARCHAR, rows_read BIGINT, loaded BIGINT,
            duplicates BIGINT, quarantined BIGINT, unknown_columns VARCHAR[], error VARCHAR,
            top_reasons VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, duration_s DOUBLE,
            loaded_by VARCHAR
        )
        """
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS quarantine (
            load_id INTEGER, kind VARCHAR, file_name VARCHAR, line BIGINT, raw_text VARCHAR,
            reasons VARCHAR[]
        )
        """
    )
    con.execute("CREATE TABLE IF NOT EXISTS store_meta (version INTEGER)")
    if con.execute("SELECT count(*) FROM store_meta").fetchall()[0][0] == 0:
        con.execute("INSERT INTO store_meta VALUES (0)")
    for kind in KINDS.values():
        cols = ", ".join(f"{q(c.name)} {DUCK_TYPES[c.type]}" for c in kind.columns)
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {_raw_table(kind)} "
            f"({cols}, load_id INTEGER, line BIGINT, row_hash UBIGINT)"
        )
        _money_to_decimal(con, kind)


def _money_to_decimal(con, kind: Kind) -> None:
    """Stores written before money was exact hold it as DOUBLE: convert those columns once, and
    refresh the row fingerprints (hashed from the typed values) so re-sent rows stay duplicates."""
    money = [c.name for c in kind.columns if c.type == "money"]
    if not money:
        return
    types = dict(con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = ?", [_raw_table(kind)]).fetchall())
    stale = [m for m in money if types.get(m) == "DOUBLE"]
    if not stale:
        return
    try:
        con.execute("BEGIN TRANSACTION")
        own = True
    except duckdb.TransactionException:  # the caller's transaction holds it all
        own = False
    for m in stale:
        con.execute(f"ALTER TABLE {_raw_table(kind)} ALTER {q(m)} SET DATA TYPE {MONEY_TYPE}")
    con.execute(f"UPDATE {_raw_table(kind)} SET row_hash = hash({', '.join(q(c.name) for c in kind.columns)})")
    if own:
        con.execute("COMMIT")


# --------------------------------------------------------------------------- one file

def _read_csv_sql(prep: Prepared, store_rejects: bool) -> str:
    cols = ", ".join(f"'{c}': 'VARCHAR'" for c in prep.columns)
    rejects = (
        "store_rejects = true, rejects_table = 'rej_errors', rejects_scan = 'rej_scans'"
        if store_rejects
        else "ignore_errors = true"
    )
    return (
        "read_csv($path, header = true, auto_detect = false, delim = ',', quote = '\"', "
        f"escape = '\"', columns = {{{cols}}}, {rejects}, max_line_size = {MAX_LINE_BYTES}, "
        f"buffer_size = {MAX_LINE_BYTES}, encoding = 'utf-8')"
    )


def _raw_text_expr(prep: Prepared) -> str:
    """The record written back as CSV: what the person exported, field for field."""
    parts = []
    for c in prep.columns:
        x = q(c)
        parts.append(
            f"CASE WHEN {x} IS NULL THEN '' "
            f"WHEN regexp_matches({x}, '[\",\\r\\n]') THEN '\"' || replace({x}, '\"', '\"\"') || '\"' "
            f"ELSE {x} END"
        )
    return " || ',' || ".join(parts)


def _stage(con, prep: Prepared, future_limit: datetime) -> None:
    """Read, type and check every row in one pass into the temp table `typed`.

    `rec` is the row's position among the rows DuckDB could parse: the temp table's rowid, which
    follows the file's order because DuckDB preserves insertion order.
    """
    kind = prep.kind
    v = validation_sql(kind)
    present = set(prep.columns)
    # Columns the file does not have at all are NULL in every row.
    missing = [f"NULL::VARCHAR AS {q('raw_' + c.name)}" for c in kind.columns if "raw_" + c.name not in present]
    inner_extra = (", " + ", ".join(missing)) if missing else ""
    hashed = ", ".join(q("v_" + c.name) for c in kind.columns)
    params = dict(v.params, path=str(prep.csv_path))
    if any(c.type == "timestamp" for c in kind.columns):
        params["future_limit"] = future_limit
    con.execute("DROP TABLE IF EXISTS rej_errors; DROP TABLE IF EXISTS rej_scans; DROP TABLE IF EXISTS typed0")
    try:
        _create_typed0(con, prep, kind, v, inner_extra, hashed, params)
    except duckdb.InvalidInputException as exc:
        raise FileRejected(_unreadable(prep, exc)) from exc


def _create_typed0(con, prep: Prepared, kind: Kind, v, inner_extra: str, hashed: str, params: dict) -> None:
    con.execute(
        f"""
        CREATE TEMP TABLE typed0 AS
        WITH src AS (
            SELECT *{inner_extra} FROM {_read_csv_sql(prep, True)}
        ), trimmed AS (
            SELECT *, {v.trimmed} FROM src
        ), cast_ AS (
            SELECT *, {v.typed} FROM trimmed
        ), checked AS (
            SELECT *, {v.reasons} AS reasons FROM cast_
        )
        SELECT {', '.join(q('v_' + c.name) for c in kind.columns)}, reasons,
               hash({hashed}) AS row_hash,
               CASE WHEN reasons <> '' THEN {_raw_text_expr(prep)} END AS raw_text
        FROM checked
        """,
        params,
    )


def _unreadable(prep: Prepared, exc: Exception) -> str:
    """Why DuckDB could not read the file at all, as a sentence: in practice, line ends."""
    name = prep.source.name
    problem = line_end_problem(prep.csv_path)
    if problem:
        return f"{name}: {problem}"
    detail = (str(exc).strip().splitlines() or ["unknown error"])[0].removeprefix("Invalid Input Error: ")
    # DuckDB may quote the line it stopped at, or the file's path: neither goes into the sentence.
    detail = re.sub(r"Original Line.*$", "", re.sub(r"(['\"]).*?\1", "…", detail)).strip(" :,") or "unknown error"
    return f"{name}: could not be read as CSV ({detail})"


def _drop_temp(con, *names: str) -> None:
    # Asked first, not tried: a failed DROP VIEW on a table would abort an enclosing transaction
    # (a foreign file loads all its kinds in one).
    try:
        found = con.execute(
            "SELECT 'VIEW', view_name FROM duckdb_views() WHERE database_name = 'temp' "
            "UNION ALL SELECT 'TABLE', table_name FROM duckdb_tables() WHERE database_name = 'temp'"
        ).fetchall()
    except duckdb.TransactionException:
        return  # an aborted transaction: its rollback takes them
    wanted = set(names)
    for what, name in found:
        if name in wanted:
            con.execute(f"DROP {what} IF EXISTS temp.main.{name}")


def _rejects(con) -> list[tuple[int, str, str]]:
    try:
        rows = con.execute(
            "SELECT line, error_type, csv_line, error_message FROM rej_errors ORDER BY line"
        ).fetchall()
    except duckdb.CatalogException:
        return []
    out = {}
    for line, etype, text, msg in rows:
        if line in out:
            continue
        out[line] = (line, etype, (text or "").lstrip("\r\n"), msg)
    return list(out.values())


def _attach_lines(con, prep: Prepared, n_good: int, rejects, lines: int) -> dict[int, int]:
    """Give every staged row `rec` and its physical `line` in the temp table `typed`.

    Returns DuckDB's number for each rejected record -> its physical line.
    """
    total = n_good + len(rejects)
    reject_duck = np.array(sorted(r[0] for r in rejects), dtype=np.int64)
    # Rows written inside a transaction get rowids from a high base; their order is still the file's.
    base = con.execute("SELECT coalesce(min(rowid), 0) FROM typed0").fetchall()[0][0]
    if lines == total + 1:  # every line is one record: no blank lines, no newlines in quotes
        if not len(reject_duck):
            # A view, not a copy: the base is DuckDB's own integer, not a value from the file.
            con.execute(
                f"CREATE TEMP VIEW typed AS SELECT rowid - {int(base)} + 1 AS rec, "
                f"rowid - {int(base)} + 2 AS line, * FROM typed0"
            )
            return {}
        phys = np.arange(1, total + 2, dtype=np.int64)
        duck = phys
    else:
        phys, duck = record_lines(prep.csv_path)
        if len(phys) - 1 != total or not np.isin(reject_duck, duck).all():
            # A quote inside an unquoted field flips the fast scan's idea of what is quoted.
            try:
                phys, duck = record_lines_exact(prep.csv_path)
            except csv.Error:
                pass  # a quote that never closes: refused just below
    # Records after the header, minus the rejected ones, in order, are the staged rows.
    data_phys, data_duck = phys[1:], duck[1:]
    _check_read_whole(con, prep, rejects, data_phys, data_duck, total)
    keep = ~np.isin(data_duck, reject_duck)
    good_lines = data_phys[keep][:n_good]
    if len(good_lines) < n_good:  # cannot happen on a well-formed scan; never lose a row over it
        good_lines = np.concatenate([good_lines, np.full(n_good - len(good_lines), -1)])
    mapping = pl.DataFrame({"rec": np.arange(1, n_good + 1, dtype=np.int64), "line": good_lines})
    con.register("line_map", mapping)
    con.execute(
        "CREATE TEMP TABLE typed AS SELECT m.rec, m.line, t.* EXCLUDE (rec) "
        "FROM (SELECT rowid - $b + 1 AS rec, * FROM typed0) t JOIN line_map m USING (rec) ORDER BY m.rec",
        {"b": base},
    )
    con.unregister("line_map")
    rej_map = dict(zip(data_duck[~keep].tolist(), data_phys[~keep].tolist()))
    return rej_map


class _Bytes:
    """Reads a file forward from an offset, a chunk at a time."""

    def __init__(self, fh):
        self.fh, self.buf, self.i, self.size = fh, b"", 0, 1 << 12

    def _fill(self) -> bool:
        # Small reads first: most records end within a few kilobytes.
        if self.i >= len(self.buf):
            self.buf, self.i, self.size = self.fh.read(self.size), 0, min(self.size * 4, 1 << 22)
        return bool(self.buf)

    def next(self) -> bytes:
        if not self._fill():
            return b""
        self.i += 1
        return self.buf[self.i - 1:self.i]

    def skip_past(self, *stops: bytes) -> tuple[bytes, bool]:
        """Moves past the next stop byte; returns it (b"" at the end) and whether a line break
        came before it."""
        newline = False
        while self._fill():
            hits = [k for k in (self.buf.find(c, self.i) for c in stops) if k != -1]
            end = min(hits) if hits else len(self.buf)
            newline = newline or self.buf.find(b"\n", self.i, end) != -1
            self.i = end + 1 if hits else end
            if hits:
                return self.buf[end:end + 1], newline
        return b"", newline


def _runaway_quote(path: Path, start: int) -> bool:
    """True when the record at byte `start` has a quoted field that never closes, or that runs over
    a line break and is followed by more characters: DuckDB reads the lines after such a quote as
    part of one value."""
    with open(path, "rb") as fh:
        fh.seek(start)
        r = _Bytes(fh)
        while True:
            ch = r.next()
            if ch == b'"':
                spans = False
                while True:
                    quote, newline = r.skip_past(b'"')
                    spans = spans or newline
                    if not quote:
                        return True
                    after = r.next()
                    if after != b'"':
                        break
                if after == b",":
                    continue
                return after not in (b"", b"\r", b"\n") and spans
            if ch == b",":
                continue
            if ch in (b"", b"\r", b"\n"):
                return False
            if r.skip_past(b",", b"\n")[0] != b",":
                return False


def _first_long_line(path: Path) -> tuple[int, int] | None:
    """The first physical line longer than DuckDB's line limit, and its length."""
    with open(path, "rb") as fh:
        number = 0
        while part := fh.readline(MAX_LINE_BYTES + 1):
            number += 1
            size = len(part)
            while not part.endswith(b"\n") and (part := fh.readline(1 << 24)):
                size += len(part)
            if size > MAX_LINE_BYTES + 2:  # the line end itself does not count
                return number, size
    return None


def _check_read_whole(con, prep: Prepared, rejects, data_phys, data_duck, total: int) -> None:
    """Refuse the file when DuckDB could not read it as CSV records: a quote that never closes
    swallows the lines after it, and a line over MAX_LINE_BYTES can vanish without a reject."""
    name = prep.source.name
    broken = con.execute(
        "SELECT line, min(line_byte_position) FROM rej_errors WHERE error_type = 'UNQUOTED VALUE' "
        "GROUP BY line ORDER BY line"
    ).fetchall() if rejects else []
    too_long = rejects and con.execute(
        "SELECT count(*) FROM rej_errors WHERE error_type = 'LINE SIZE OVER MAXIMUM'"
    ).fetchall()[0][0]
    for duck_line, start in broken:
        if _runaway_quote(prep.csv_path, start):
            at = np.flatnonzero(data_duck == duck_line)
            line = int(data_phys[at[0]]) if len(at) else duck_line
            raise FileRejected(
                f"{name}: line {line} opens a quoted field that is never closed, so the rest of "
                "the file cannot be read as CSV; close the quote (a quote inside a field is "
                "written twice) and load it again"
            )
    # DuckDB reports a line over its limit only sometimes (it can also drop it without a word), so
    # any such line refuses the whole file: the same outcome every time, naming the line.
    if len(data_phys) > total or too_long:
        long = _first_long_line(prep.csv_path)
        if long:
            raise FileRejected(
                f"{name}: line {long[0]} is {long[1] / 2**20:,.1f} MB long, more than the "
                f"{MAX_LINE_BYTES >> 20} MB a line may have; shorten or remove that line"
            )
        raise FileRejected(
            f"{name}: has {len(data_phys):,} records but only {total:,} could be read as CSV; "
            "check its quoting (a quote inside a field is written twice)"
        )


def _classify(con, kind: Kind) -> None:
    """Decide each valid row: load, duplicate, or conflict (quarantined). Writes `verdict`."""
    key = q("v_" + kind.key)
    raw = _raw_table(kind)
    con.execute("DROP TABLE IF EXISTS verdict")
    if kind.is_dimension:
        # A later row with the same id updates the dimension; identical rows are duplicates.
        con.execute(
            f"""
            CREATE TEMP TABLE verdict AS
            WITH cur AS (
                SELECT {q(kind.key)} AS k, arg_max(row_hash, (load_id, line)) AS h
                FROM {raw} GROUP BY 1
            ), ranked AS (
                SELECT rec, {key} AS k, row_hash,
                       row_number() OVER (PARTITION BY {key}, row_hash ORDER BY rec) AS nth,
                       min(rec) OVER (PARTITION BY {key}) AS first_rec
                FROM typed WHERE reasons = ''
            )
            SELECT r.rec, 'duplicate' AS verdict, NULL::VARCHAR AS reason
            FROM ranked r LEFT JOIN cur c ON c.k = r.k
            WHERE r.nth > 1 OR (r.rec = r.first_rec AND c.h = r.row_hash)
            """
        )
        return
    con.execute(
        f"""
        CREATE TEMP TABLE verdict AS
        WITH old AS (
            SELECT t.rec, r.row_hash AS old_hash, l.file_name, l.started_at
            FROM typed t
            JOIN {raw} r ON r.{q(kind.key)} = t.{key}
            JOIN loads l ON l.load_id = r.load_id
            WHERE t.reasons = ''
        ), firsts AS (
            SELECT {key} AS k, min(rec) AS first_rec, arg_min(row_hash, rec) AS first_hash,
                   arg_min(line, rec) AS first_line
            FROM typed WHERE reasons = '' GROUP BY 1 HAVING count(*) > 1
        )
        SELECT t.rec,
               CASE
                 WHEN o.rec IS NOT NULL AND o.old_hash = t.row_hash THEN 'duplicate'
                 WHEN o.rec IS NOT NULL THEN 'conflict'
                 WHEN t.row_hash = f.first_hash THEN 'duplicate'
                 ELSE 'conflict'
               END AS verdict,
               CASE
                 WHEN o.rec IS NOT NULL AND o.old_hash <> t.row_hash THEN
                   '{kind.key} ' || t.{key} || ' conflicts with the row loaded on '
                   || strftime(o.started_at, '%Y-%m-%d %H:%M') || ' from ' || o.file_name
                 WHEN o.rec IS NULL AND t.row_hash <> f.first_hash THEN
                   '{kind.key} ' || t.{key} || ' conflicts with line ' || f.first_line
                   || ' of this file'
               END AS reason
        FROM typed t
        LEFT JOIN old o USING (rec)
        LEFT JOIN firsts f ON f.k = t.{key}
        WHERE t.reasons = '' AND (o.rec IS NOT NULL OR (f.k IS NOT NULL AND t.rec <> f.first_rec))
        """
    )


def _conflict_raw_text(con, prep: Prepared) -> None:
    """Valid rows keep no raw text while staged; conflicting ones (rare) get it from a re-read."""
    con.execute("DROP TABLE IF EXISTS conflict_text")
    n = con.execute("SELECT count(*) FROM verdict WHERE verdict = 'conflict'").fetchall()[0][0]
    if not n:
        con.execute("CREATE TEMP TABLE conflict_text (rec BIGINT, txt VARCHAR)")
        return
    con.execute(
        f"""
        CREATE TEMP TABLE conflict_text AS
        SELECT rec, {_raw_text_expr(prep)} AS txt
        FROM (SELECT row_number() OVER () AS rec, * FROM {_read_csv_sql(prep, False)})
        WHERE rec IN (SELECT rec FROM verdict WHERE verdict = 'conflict')
        """,
        {"path": str(prep.csv_path)},
    )


def _load_one(con, root: Path, prep: Prepared, user: str, progress: Progress,
              dry_run: bool = False, outer: bool = False) -> FileResult:
    """One file in one transaction; `outer`: inside the caller's transaction (the kinds a foreign
    file became load together), which the caller commits or rolls back."""
    kind = prep.kind
    started = datetime.now(timezone.utc).replace(tzinfo=None)
    t0 = time.perf_counter()
    result = FileResult(prep.source.name, kind.name, "loaded", unknown_columns=list(prep.unknown))
    with ThreadPoolExecutor(max_workers=1) as pool:
        scanning = pool.submit(scan, prep)
        if not outer:
            con.execute("BEGIN TRANSACTION")
        try:
            progress("reading and validating", 0.05)
            _stage(con, prep, started + timedelta(days=1))
        except BaseException:
            if not outer:
                con.execute("ROLLBACK")
            raise
        finally:
            facts: Scan = scanning.result()
    result.sha256 = facts.sha256
    try:
        prev = con.execute(
            "SELECT load_id, started_at FROM loads WHERE sha256 = ? AND status <> 'rejected' "
            "ORDER BY load_id LIMIT 1",
            [facts.sha256],
        ).fetchall()
        prev = prev[0] if prev else None
        if prev:
            result.already_loaded = f"this file was already loaded on {prev[1]:%Y-%m-%d %H:%M} (load {prev[0]})"
        if facts.line_ends_unclear:
            # Checked whether or not DuckDB complained: it can read such a line without an error
            # and still lose the record, or start a new one inside it.
            problem = line_end_problem(prep.csv_path)
            if problem:
                raise FileRejected(f"{prep.source.name}: {problem}")
        n_good = con.execute("SELECT count(*) FROM typed0").fetchall()[0][0]
        rejects = _rejects(con)
        bad_encoding = [r for r in rejects if r[1] == "INVALID ENCODING"]
        if bad_encoding:
            phys, duck = record_lines(prep.csv_path)
            hit = np.flatnonzero(duck == bad_encoding[0][0])
            line = int(phys[hit[0]]) if len(hit) else bad_encoding[0][0]
            raise FileRejected(
                f"{prep.source.name}: line {line} is not UTF-8 text; re-export the file as UTF-8"
            )
        progress("numbering lines", 0.45)
        rej_lines = _attach_lines(con, prep, n_good, rejects, facts.lines)
        progress("checking duplicates", 0.55)
        _classify(con, kind)
        _conflict_raw_text(con, prep)
        # A dry run's rows never commit; -1 keeps the id sequence (not transactional) gap-free.
        # Below -1 for the second and later kinds of a foreign file, checked in one transaction.
        load_id = (-1 - con.execute("SELECT count(*) FROM loads WHERE load_id < 0").fetchall()[0][0] if dry_run
                   else con.execute("SELECT nextval('load_ids')").fetchall()[0][0])
        result.load_id = load_id
        progress("writing", 0.7)
        cols = ", ".join(q(c.name) for c in kind.columns)
        vcols = ", ".join(q("v_" + c.name) for c in kind.columns)
        if con.execute("SELECT count(*) FROM verdict").fetchall()[0][0]:
            con.execute(
                f"""
                INSERT INTO {_raw_table(kind)} ({cols}, load_id, line, row_hash)
                SELECT {vcols}, $load_id, line, row_hash FROM typed t
                WHERE reasons = '' AND NOT EXISTS (SELECT 1 FROM verdict v WHERE v.rec = t.rec)
                ORDER BY rec
                """,
                {"load_id": load_id},
            )
        else:
            # No duplicates: a scan keeps the file's order without the sort, which under a small
            # memory limit could not hold wide rows.
            con.execute(
                f"""
                INSERT INTO {_raw_table(kind)} ({cols}, load_id, line, row_hash)
                SELECT {vcols}, $load_id, line, row_hash FROM typed WHERE reasons = ''
                """,
                {"load_id": load_id},
            )
        meta = {"load_id": load_id, "kind": kind.name, "file": prep.source.name}
        con.execute(
            """
            INSERT INTO quarantine
            SELECT $load_id, $kind, $file, t.line, coalesce(t.raw_text, c.txt),
                   CASE WHEN t.reasons <> '' THEN string_split(t.reasons, chr(31))
                        ELSE [v.reason] END
            FROM typed t
            LEFT JOIN verdict v USING (rec)
            LEFT JOIN conflict_text c USING (rec)
            WHERE t.reasons <> '' OR v.verdict = 'conflict'
            ORDER BY t.line
            """,
            meta,
        )
        if rejects:
            # One insert for all structurally broken rows: a file may have tens of thousands.
            broken = pl.DataFrame(
                {
                    "line": [rej_lines.get(d, d) for d, _, _, _ in rejects],
                    "raw_text": [t for _, _, t, _ in rejects],
                    # DuckDB's own message can quote the line: only its error type is kept.
                    "why": ["line " + STRUCTURAL.get(e, f"could not be read as CSV ({e.lower()})")
                            for _, e, _, _ in rejects],
                },
                schema={"line": pl.Int64, "raw_text": pl.String, "why": pl.String},
            )
            con.register("broken_rows", broken)
            try:
                con.execute(
                    "INSERT INTO quarantine SELECT $load_id, $kind, $file, line, raw_text, [why] "
                    "FROM broken_rows ORDER BY line",
                    meta,
                )
            finally:
                con.unregister("broken_rows")
        counts = con.execute(
            """
            SELECT
              (SELECT count(*) FROM typed),
              (SELECT count(*) FROM verdict WHERE verdict = 'duplicate'),
              (SELECT count(*) FROM quarantine WHERE load_id = $load_id)
            """,
            {"load_id": load_id},
        ).fetchall()[0]
        result.rows_read = counts[0] + len(rejects)
        result.duplicates = counts[1]
        result.quarantined = counts[2]
        result.loaded = result.rows_read - result.duplicates - result.quarantined
        result.reasons = _reason_groups(con, load_id)
        result.top_reasons = [(r, n) for r, n, _ in result.reasons[:5]]
        if dry_run:  # a load counts them after its whole batch (`load_files`)
            _count_undefined(con, kind.name, load_id, result)
        result.status = "partial" if result.quarantined else "loaded"
        result.duration_s = time.perf_counter() - t0
        con.execute(
            """
            INSERT INTO loads VALUES ($load_id, $file, $path, $sha, $bytes, $kind, $status, $read,
              $loaded, $dups, $quar, $unknown, NULL, $reasons, $started, $finished, $duration, $user)
            """,
            dict(
                meta, path=str(prep.source), sha=facts.sha256, bytes=prep.size, status=result.status,
                read=result.rows_read, loaded=result.loaded, dups=result.duplicates,
                quar=result.quarantined, unknown=prep.unknown,
                reasons="; ".join(f"{r} ({n})" for r, n in result.top_reasons),
                started=started, finished=datetime.now(timezone.utc).replace(tzinfo=None),
                duration=result.duration_s, user=user,
            ),
        )
        if result.loaded or result.quarantined:
            con.execute("UPDATE store_meta SET version = version + 1")
        if dry_run:
            # Everything above ran against the store as it is; undo it all.
            result.load_id = None
            if not outer:
                con.execute("ROLLBACK")
        elif not outer:
            con.execute("COMMIT")
    except BaseException:
        if not outer:
            con.execute("ROLLBACK")
        raise
    finally:
        _drop_temp(con, "typed", "typed0", "verdict", "conflict_text")
    progress("checked" if dry_run else "committed", 1.0)
    return result


def _reason_groups(con, load_id: int) -> list[tuple[str, int, list[int]]]:
    """The load's quarantine by reason without values, most rows first, with the first lines."""
    rows = con.execute(
        f"""
        WITH r AS (
            SELECT DISTINCT line, {REASON_GROUP} AS reason
            FROM (SELECT line, unnest(reasons) AS r FROM quarantine WHERE load_id = $load_id)
        ), numbered AS (
            SELECT reason, line, count(*) OVER (PARTITION BY reason) AS n,
                   row_number() OVER (PARTITION BY reason ORDER BY line) AS k
            FROM r
        )
        SELECT reason, any_value(n) AS n, list(line ORDER BY line) AS lines
        FROM numbered WHERE k <= $keep
        GROUP BY reason ORDER BY n DESC, reason
        """,
        {"load_id": load_id, "keep": REASON_LINES},
    ).fetchall()
    return [(reason, int(n), [int(x) for x in lines]) for reason, n, lines in rows]


# What each kind's rows name that another kind defines: (column, defining kind, entity).
REFERENCES = {
    "messages": ("business_id", "businesses", "business"),
    "reports": ("business_id", "businesses", "business"),
    "blocks": ("business_id", "businesses", "business"),
    "opt_outs": ("business_id", "businesses", "business"),
    "ad_campaigns": ("business_id", "businesses", "business"),
    "ad_events": ("campaign_id", "ad_campaigns", "campaign"),
}


def _count_undefined(con, kind: str, load_id: int, result: FileResult) -> None:
    """Late dimensions load (docs/log-format.md); the summary says how many rows wait for one."""
    ref = REFERENCES.get(kind)
    result.undefined_rows, result.undefined_ids, result.undefined_entity = 0, 0, None
    if ref is None or not result.loaded:
        return
    col, defining, entity = ref
    n, ids = con.execute(
        f"""
        SELECT count(*), count(DISTINCT e.{q(col)})
        FROM {_raw_table(KINDS[kind])} AS e
        WHERE e.load_id = $load_id
          AND NOT EXISTS (SELECT 1 FROM {_raw_table(KINDS[defining])} AS d WHERE d.{q(col)} = e.{q(col)})
        """,
        {"load_id": load_id},
    ).fetchall()[0]
    if n:
        result.undefined_rows, result.undefined_ids, result.undefined_entity = int(n), int(ids), entity


def _record_rejected(con, name: str, path: Path, sha: str | None, size: int | None, kind: str | None,
                     error: str, user: str) -> int:
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    load_id = con.execute("SELECT nextval('load_ids')").fetchall()[0][0]
    con.execute(
        """
        INSERT INTO loads VALUES ($id, $file, $path, $sha, $bytes, $kind, 'rejected', 0, 0, 0, 0,
          [], $error, NULL, $now, $now, 0, $user)
        """,
        dict(id=load_id, file=name, path=str(path), sha=sha, bytes=size, kind=kind, error=error,
             now=now, user=user),
    )
    return load_id


def _sha_if_small(path: Path, settings: Settings) -> str | None:
    try:
        if path.is_file() and path.stat().st_size <= settings.load_max_mb << 20:
            return sha256_of(path)
    except OSError:
        pass
    return None


def _fit_threads(con) -> None:
    """Each CSV-reading thread holds read buffers of MAX_LINE_BYTES that cannot spill; under a
    small memory limit, fewer threads leave DuckDB room to spill the rest to `<data dir>/tmp`."""
    limit = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    m = re.fullmatch(r"([0-9.]+) ?([KMGT]?)i?B|([0-9]+) bytes", str(limit))
    if not m:
        return
    size = float(m[3]) if m[3] else float(m[1]) * 1024 ** " KMGT".index(m[2] or " ")
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    fit = max(1, int(size // (4 * MAX_LINE_BYTES)))
    if fit < threads:
        con.execute(f"SET threads = {fit}")


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return os.environ.get("USER", "unknown")


# Kinds a converted file loads first: the dimensions before the events that name them.
_PART_ORDER = ("businesses", "billed_pricing", "messages", "message_statuses", "opt_outs", "platform_events")


def _place_line(place: str) -> int | None:
    m = re.match(r"\s*(?:body|line|record|response)\s+(\d+)", place)
    return int(m[1]) if m else None


def _keep_new(con, kind_name: str, path: Path, source: str) -> None:
    """Webhook-derived rows that would overwrite or conflict with what is stored are left out:
    a business the webhook names only by its number (a richer row may be loaded already), and an
    outbound message already stored (its later statuses load as `message_statuses`, and the marts
    take the furthest status from there)."""
    if kind_name == "businesses":
        sql = f"SELECT business_id AS k FROM {_raw_table(KINDS['businesses'])}"
        col = "business_id"
    elif kind_name == "messages" and source == "whatsapp_webhook":
        sql = f"SELECT message_id AS k FROM {_raw_table(KINDS['messages'])} WHERE direction = 'outbound'"
        col = "message_id"
    else:
        return
    known = {r[0] for r in con.execute(sql).fetchall()}
    if not known:
        return
    df = pl.read_csv(path, infer_schema=False)
    keep = df.filter(~(pl.col(col).is_in(list(known)) & (
        pl.lit(True) if kind_name == "businesses" else pl.col("direction") == "outbound")))
    if keep.height != df.height:
        keep.write_csv(path)


def _load_foreign(con, root: Path, path: Path, source: str | None, user: str, report,
                  dry_run: bool, settings: Settings) -> FileResult:
    """Convert a foreign file (etl/formats) into a temporary folder under the data directory and
    load every kind it became; the converter's quarantined items go to the quarantine table with
    their place (body or line number as the line, the JSON path in the reason)."""
    import shutil
    import uuid

    from etl.formats import convert

    name = path.name
    work = root / "tmp" / f"convert-{uuid.uuid4().hex[:12]}"
    try:
        try:
            conv = convert(path, source, work, max_bytes=settings.load_max_mb << 20)
        except FileRejected as exc:
            res = FileResult(name, source, "rejected", error=str(exc), source=source,
                             sha256=_sha_if_small(path, settings))
            if not dry_run:
                res.load_id = _record_rejected(con, name, path, res.sha256, None, source, res.error, user)
            return res
        total = FileResult(name, conv.source, "loaded", source=conv.source, counts=dict(conv.counts),
                           unused=dict(conv.unused), conversion=conv.summary())
        # One transaction for the whole file: every kind it became, and its quarantine, or nothing.
        con.execute("BEGIN TRANSACTION")
        try:
            _load_parts(con, root, path, conv, total, work, user, report, dry_run, settings)
            if dry_run:
                con.execute("ROLLBACK")
            else:
                con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return total
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _load_parts(con, root: Path, path: Path, conv, total: FileResult, work: Path, user: str, report,
                dry_run: bool, settings: Settings) -> None:
    name = path.name
    for kind_name in sorted(conv.files, key=lambda k: (_PART_ORDER + (k,)).index(k)):
        _keep_new(con, kind_name, conv.files[kind_name], conv.source)
        prep = prepare(conv.files[kind_name], work, kind_name, settings.load_max_mb << 20)
        prep.source = path  # the person's file names the load, not the converted copy
        part = _load_one(con, root, prep, user, lambda s, x, k=kind_name: report(f"{name} ({k})", s, x),
                         dry_run, outer=True)
        part.unknown_columns = []  # the reader's own columns; `unused` names what was not used
        total.parts.append(part)
    quarantined = conv.quarantined
    added = False
    first = next((p for p in total.parts if p.load_id is not None), None)
    if quarantined and not dry_run:
        if first is None:
            first = FileResult(name, conv.source, "partial")
            first.load_id = _record_rejected(con, name, path, _sha_if_small(path, settings), None,
                                             conv.source, "no item of the file could be read", user)
            con.execute("UPDATE loads SET status = 'partial', error = NULL WHERE load_id = ?", [first.load_id])
            total.parts.append(first)
        rows = pl.DataFrame({
            "line": [_place_line(q.place) for q in quarantined],
            "raw_text": [q.raw_text for q in quarantined],
            "reasons": [[f"{q.place}: {r}" for r in q.reasons] for q in quarantined],
        }, schema={"line": pl.Int64, "raw_text": pl.String, "reasons": pl.List(pl.String)})
        con.register("converter_rows", rows)
        try:
            con.execute("INSERT INTO quarantine SELECT $id, $kind, $file, line, raw_text, reasons "
                        "FROM converter_rows", {"id": first.load_id, "kind": first.kind, "file": name})
        finally:
            con.unregister("converter_rows")
        con.execute("UPDATE loads SET quarantined = quarantined + ?, status = 'partial' WHERE load_id = ?",
                    [len(quarantined), first.load_id])
        first.quarantined += len(quarantined)
        first.status = "partial"
        added = True
    for p in total.parts:
        for f in ("rows_read", "loaded", "duplicates", "quarantined"):
            setattr(total, f, getattr(total, f) + getattr(p, f))
    if not added:
        total.quarantined += len(quarantined)
    total.rows_read += len(quarantined)
    groups: dict[str, list] = {}
    for q in quarantined:
        for r in q.reasons:
            g = groups.setdefault(r, [0, []])
            g[0] += 1
            if len(g[1]) < REASON_LINES and _place_line(q.place) is not None:
                g[1].append(_place_line(q.place))
    reasons = [(r, n, lines) for r, (n, lines) in groups.items()]
    for p in total.parts:
        reasons.extend(p.reasons)
    total.reasons = sorted(reasons, key=lambda x: (-x[1], x[0]))
    total.top_reasons = [(r, n) for r, n, _ in total.reasons[:5]]
    total.load_id = first.load_id if first is not None else None
    total.already_loaded = next((p.already_loaded for p in total.parts if p.already_loaded), None)
    total.duration_s = sum(p.duration_s for p in total.parts)
    total.status = "partial" if total.quarantined else "loaded"


def _is_foreign(path: Path, source: str | None, kind: str | None) -> bool:
    if source is not None:
        return source != "v1"
    if kind is not None:
        return False
    from etl.formats import detect

    return detect(path) not in (None, "v1")


def load_files(
    root: Path,
    paths: list[Path],
    kind: str | None = None,
    user: str | None = None,
    progress: Callable[[str, str, float], None] | None = None,
    rebuild: bool = True,
    dry_run: bool = False,
    source: str | None = None,
) -> list[FileResult]:
    """Load each file in its own transaction, then rebuild and publish the marts once.

    `dry_run` checks the files against the store exactly as a load would, then rolls each
    transaction back: nothing is recorded, not even a rejected file, and nothing is rebuilt."""
    from etl.build import build_warehouse

    settings = Settings.load(root)
    user = user or current_user()
    report = progress or (lambda f, s, x: None)
    results: list[FileResult] = []
    with store.load_lock(root):
        con = store.connect_ingest(root, settings.duckdb_memory_limit)
        try:
            _fit_threads(con)
            ensure_schema(con)
            for path in paths:
                name = Path(path).name
                prep = None
                try:
                    if _is_foreign(Path(path), source, kind):
                        results.append(_load_foreign(con, root, Path(path), source, user, report,
                                                     dry_run, settings))
                        continue
                    prep = prepare(Path(path), root / "tmp", kind, settings.load_max_mb << 20)
                    res = _load_one(con, root, prep, user, lambda s, x, n=name: report(n, s, x),
                                    dry_run)
                except duckdb.OutOfMemoryException as exc:
                    raise OutOfMemory(
                        f"DuckDB ran out of memory loading {name} (setting duckdb_memory_limit is "
                        f"{settings.duckdb_memory_limit}); nothing of it was loaded; raise the "
                        "setting and load it again"
                    ) from exc
                except FileRejected as exc:
                    res = FileResult(name, prep.kind.name if prep else kind, "rejected", error=str(exc),
                                     sha256=_sha_if_small(Path(path), settings))
                    if not dry_run:
                        res.load_id = _record_rejected(
                            con, name, Path(path), res.sha256, prep.size if prep else None,
                            res.kind, res.error, user,
                        )
                finally:
                    if prep is not None and prep.temp:
                        prep.csv_path.unlink(missing_ok=True)
                results.append(res)
            if not dry_run:
                # A businesses file later in the same batch defines what earlier files named.
                for res in results:
                    for part in res.parts:
                        if part.status != "rejected" and part.load_id is not None:
                            _count_undefined(con, part.kind, part.load_id, part)
                    if res.parts:
                        res.undefined_rows = sum(p.undefined_rows for p in res.parts)
                        res.undefined_ids = sum(p.undefined_ids for p in res.parts)
                        res.undefined_entity = next((p.undefined_entity for p in res.parts
                                                     if p.undefined_entity), None)
                    elif res.status != "rejected" and res.load_id is not None:
                        _count_undefined(con, res.kind, res.load_id, res)
            if rebuild and not dry_run:
                report("", "rebuilding marts", 0.0)
                build_warehouse(root, con, settings)
        finally:
            con.close()
    return results
