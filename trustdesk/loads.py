"""Load history and quarantined rows, as the warehouse's copy of them shows.

`trustdesk quarantine` and the Quarantine page both list rows through `quarantined_rows`, so they
show the same rows; `summary_lines` is the text `trustdesk load` prints for a load's results.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from trustdesk.warehouse import Warehouse

# A reason with its value taken out, so that rows with the same problem group together
# ("sent_at: 'yesterday' is not a timestamp" -> "sent_at: a value is not a timestamp").
REASON_GROUP = (
    "regexp_replace(regexp_replace(r, ': ''.*''( is)', ': a value\\1'), "
    "'^(\\S+) .* conflicts with .*$', '\\1 conflicts with a row already read')"
)

NO_LIMIT = 2**62


def quarantined_rows(wh: Warehouse, load_id: int | None = None, kind: str | None = None,
                     reason_contains: str | None = None, limit: int | None = None,
                     file: str | None = None, reason: str | None = None) -> pl.DataFrame:
    """Quarantined rows, oldest load first, in file order. `reason` is one of the groups that
    `quarantine_facets` lists; `reason_contains` matches any part of any reason."""
    sql = f"""
        SELECT q.load_id, q.file_name AS file, q.kind, q.line, q.reasons, q.raw_text
        FROM quarantine AS q
        WHERE ($load_id::INTEGER IS NULL OR q.load_id = $load_id)
          AND ($kind::VARCHAR IS NULL OR q.kind = $kind)
          AND ($file::VARCHAR IS NULL OR q.file_name = $file)
          AND ($needle::VARCHAR IS NULL
               OR list_bool_or([contains(lower(r), lower($needle)) FOR r IN q.reasons]))
          AND ($reason::VARCHAR IS NULL
               OR list_bool_or([{REASON_GROUP} = $reason FOR r IN q.reasons]))
        ORDER BY q.load_id, q.line
        LIMIT $limit
    """
    return wh.query(sql, {"load_id": load_id, "kind": kind, "file": file, "needle": reason_contains,
                          "reason": reason, "limit": limit if limit is not None else NO_LIMIT})


def quarantine_csv(wh: Warehouse, **filters) -> str:
    """Every quarantined row the filters select, as CSV safe to open in a spreadsheet."""
    from trustdesk.export import safe_csv

    return safe_csv(quarantined_rows(wh, **filters))


@dataclass(frozen=True)
class QuarantineFacets:
    """What the quarantine holds, for the page's filters: each with its number of rows."""

    total: int
    loads: pl.DataFrame  # load_id, file, kind, started_at, rows
    files: pl.DataFrame  # file, rows
    kinds: pl.DataFrame  # kind, rows
    reasons: pl.DataFrame  # reason (a group), rows


def quarantine_facets(wh: Warehouse) -> QuarantineFacets:
    loads = wh.query(
        """
        SELECT q.load_id, any_value(q.file_name) AS file, any_value(q.kind) AS kind,
               any_value(l.started_at) AS started_at, count(*) AS rows
        FROM quarantine AS q LEFT JOIN loads AS l USING (load_id)
        GROUP BY q.load_id ORDER BY q.load_id DESC
        """
    )
    files = wh.query("SELECT file_name AS file, count(*) AS rows FROM quarantine GROUP BY 1 ORDER BY 1")
    kinds = wh.query("SELECT kind, count(*) AS rows FROM quarantine GROUP BY 1 ORDER BY 1")
    reasons = wh.query(
        f"""
        SELECT {REASON_GROUP} AS reason, count(DISTINCT (load_id, line)) AS rows
        FROM (SELECT load_id, line, unnest(reasons) AS r FROM quarantine)
        GROUP BY 1 ORDER BY 2 DESC, 1
        """
    )
    return QuarantineFacets(int(loads["rows"].sum() or 0), loads, files, kinds, reasons)


OUTCOMES = ("loaded", "partial", "rejected")


def load_history(wh: Warehouse, outcome: str | None = None) -> pl.DataFrame:
    """Every load (or those with one outcome), newest first: when, who, which file (name and
    SHA-256), kind, counts, how long, the outcome, and whether the same file was loaded before."""
    return wh.query(
        """
        WITH earlier AS (
            SELECT l.load_id, min(p.load_id) AS first_load
            FROM loads AS l JOIN loads AS p
              ON p.sha256 = l.sha256 AND p.load_id < l.load_id AND p.status <> 'rejected'
            GROUP BY l.load_id
        )
        SELECT l.load_id, l.started_at, l.loaded_by, l.file_name, l.sha256, l.kind,
               l.status AS outcome, l.rows_read, l.loaded, l.duplicates, l.quarantined,
               l.duration_s,
               CASE WHEN e.first_load IS NOT NULL
                    THEN 'already loaded in load ' || e.first_load END AS already_loaded,
               l.unknown_columns, l.error, l.top_reasons
        FROM loads AS l LEFT JOIN earlier AS e USING (load_id)
        WHERE $outcome::VARCHAR IS NULL OR l.status = $outcome
        ORDER BY l.load_id DESC
        """,
        {"outcome": outcome},
    )


def summary_lines(results) -> list[str]:
    """What `trustdesk load` prints for these `etl.load.FileResult`s (its text format)."""
    out = []
    for r in results:
        if r.status == "rejected":
            out.append(f"{r.file}: REJECTED: {r.error}")
            continue
        out.append(
            f"{r.file}: {r.kind}, {r.rows_read:,} rows read, {r.loaded:,} loaded, "
            f"{r.duplicates:,} duplicates skipped, {r.quarantined:,} quarantined (load {r.load_id})"
        )
        if r.already_loaded:
            out.append(f"  note: {r.already_loaded}")
        if r.unknown_columns:
            out.append(f"  unknown columns ignored: {', '.join(r.unknown_columns)}")
        for reason, n in r.top_reasons:
            out.append(f"  {n:>8,} × {reason}")
        if r.quarantined:
            out.append(f"  see them with: trustdesk quarantine --load {r.load_id}")
    return out
