"""`trustdesk status`: what a data directory holds, read without blocking a running loader."""

from __future__ import annotations

from pathlib import Path

import duckdb

from etl import store
from etl.build import reference_hash
from etl.contract import KIND_NAMES


def describe(root: Path) -> dict:
    pointer = store.read_pointer(root)
    info = {
        "data_dir": str(root),
        "rows": {k: 0 for k in KIND_NAMES},
        "loads": 0,
        "quarantined": 0,
        "first_day": None,
        "last_day": None,
        "warehouse_version": None,
        "built_at": None,
        "warnings": [],
    }
    if pointer is None:
        return info
    info.update(
        rows=pointer.get("rows", info["rows"]),
        loads=pointer.get("loads", 0),
        quarantined=pointer.get("quarantined", 0),
        first_day=pointer.get("first_day"),
        last_day=pointer.get("last_day"),
        warehouse_version=pointer.get("version"),
        built_at=pointer.get("built_at"),
    )
    if pointer.get("reference") != reference_hash(root):
        info["warnings"].append(
            "markets.csv or rate_card.csv changed since the marts were built; run `trustdesk rebuild`"
        )
    behind = _store_ahead(root, pointer)
    if behind:
        info["warnings"].append(behind)
    return info


def _store_ahead(root: Path, pointer: dict) -> str | None:
    """A loader killed between its commit and its publish leaves marts behind the events."""
    ingest = root / store.INGEST_FILE
    if not ingest.exists():
        return None
    try:
        con = duckdb.connect(str(ingest), read_only=True)
    except duckdb.Error:
        return None  # a loader holds it right now; it will publish when done
    try:
        version = con.execute("SELECT version FROM store_meta").fetchall()[0][0]
    except duckdb.Error:
        return None
    finally:
        con.close()
    if version != pointer.get("store_version"):
        return "loaded events are newer than the marts (a load was interrupted); run `trustdesk rebuild`"
    return None
