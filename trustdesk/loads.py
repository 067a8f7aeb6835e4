"""Load history and quarantined rows, as the warehouse's copy of them shows."""

from __future__ import annotations

import polars as pl

from trustdesk.warehouse import Warehouse


def quarantined_rows(wh: Warehouse, load_id: int | None = None, kind: str | None = None,
                     reason_contains: str | None = None, limit: int | None = None) -> pl.DataFrame:
    sql = """
        SELECT q.load_id, q.file_name AS file, q.kind, q.line, q.reasons, q.raw_text
        FROM quarantine AS q
        WHERE ($load_id::INTEGER IS NULL OR q.load_id = $load_id)
          AND ($kind::VARCHAR IS NULL OR q.kind = $kind)
          AND ($needle::VARCHAR IS NULL
               OR list_bool_or([contains(lower(r), lower($needle)) FOR r IN q.reasons]))
        ORDER BY q.load_id, q.line
        LIMIT $limit
    """
    return wh.query(sql, {"load_id": load_id, "kind": kind, "needle": reason_contains,
                          "limit": limit if limit is not None else 2**62})


def load_history(wh: Warehouse) -> pl.DataFrame:
    return wh.query(
        """
        SELECT load_id, started_at, loaded_by, file_name, sha256, kind, status, rows_read, loaded,
               duplicates, quarantined, duration_s, error, top_reasons
        FROM loads ORDER BY load_id DESC
        """
    )
