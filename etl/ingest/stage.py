"""One file's rows staged in DuckDB: read as text, trimmed, typed and checked in one pass into
the temp table `typed0` (`etl.ingest.validate` writes the SQL), and the temp tables dropped after."""

from __future__ import annotations

import re
from datetime import datetime

import duckdb

from etl.contract import FileRejected, Kind
from etl.ingest.csvfile import Prepared
from etl.ingest.scan import MAX_LINE_BYTES, line_end_problem
from etl.ingest.validate import q, validation_sql


def read_csv_sql(prep: Prepared, store_rejects: bool) -> str:
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


def raw_text_expr(prep: Prepared) -> str:
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


def stage(con, prep: Prepared, future_limit: datetime) -> None:
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
            SELECT *{inner_extra} FROM {read_csv_sql(prep, True)}
        ), trimmed AS (
            SELECT *, {v.trimmed} FROM src
        ), cast_ AS (
            SELECT *, {v.typed} FROM trimmed
        ), checked AS (
            SELECT *, {v.reasons} AS reasons FROM cast_
        )
        SELECT {", ".join(q("v_" + c.name) for c in kind.columns)}, reasons,
               hash({hashed}) AS row_hash,
               CASE WHEN reasons <> '' THEN {raw_text_expr(prep)} END AS raw_text
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


def drop_temp(con, *names: str) -> None:
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
