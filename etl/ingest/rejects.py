"""Rows and files a load refuses: DuckDB's structural rejects, their quarantine rows, the load
history's line for a refused file, and the quarantine's reasons grouped without their values."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from etl.ingest.scan import MAX_LINE_BYTES

STRUCTURAL = {
    "MISSING COLUMNS": "has fewer fields than the header",
    "TOO MANY COLUMNS": "has more fields than the header",
    "UNQUOTED VALUE": "has a quoted field followed by other characters (broken quoting)",
    "LINE SIZE OVER MAXIMUM": f"is longer than {MAX_LINE_BYTES >> 20} MB",
}

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


def read_rejects(con) -> list[tuple[int, str, str, str]]:
    """DuckDB's rejected records (its line number, error type, text, message), one per line."""
    try:
        rows = con.execute("SELECT line, error_type, csv_line, error_message FROM rej_errors ORDER BY line").fetchall()
    except duckdb.CatalogException:
        return []
    out = {}
    for line, etype, text, msg in rows:
        if line in out:
            continue
        out[line] = (line, etype, (text or "").lstrip("\r\n"), msg)
    return list(out.values())


def quarantine_broken(con, meta: dict, rejects, rej_lines: dict[int, int]) -> None:
    """Quarantine the structurally broken rows (`read_rejects`) at their physical lines."""
    if not rejects:
        return
    # One insert for all structurally broken rows: a file may have tens of thousands.
    broken = pl.DataFrame(
        {
            "line": [rej_lines.get(d, d) for d, _, _, _ in rejects],
            "raw_text": [t for _, _, t, _ in rejects],
            # DuckDB's own message can quote the line: only its error type is kept.
            "why": ["line " + STRUCTURAL.get(e, f"could not be read as CSV ({e.lower()})") for _, e, _, _ in rejects],
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


def reason_groups(con, load_id: int) -> list[tuple[str, int, list[int]]]:
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


def record_rejected(
    con, name: str, path: Path, sha: str | None, size: int | None, kind: str | None, error: str, user: str
) -> int:
    now = datetime.now(UTC).replace(tzinfo=None)
    load_id = con.execute("SELECT nextval('load_ids')").fetchall()[0][0]
    con.execute(
        """
        INSERT INTO loads VALUES ($id, $file, $path, $sha, $bytes, $kind, 'rejected', 0, 0, 0, 0,
          [], $error, NULL, $now, $now, 0, $user)
        """,
        {
            "id": load_id,
            "file": name,
            "path": str(path),
            "sha": sha,
            "bytes": size,
            "kind": kind,
            "error": error,
            "now": now,
            "user": user,
        },
    )
    return load_id
