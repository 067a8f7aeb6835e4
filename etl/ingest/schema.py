"""The ingest store's tables: one raw table per kind, the load history, the quarantine and the
store's version; created when missing, and migrated where an older store differs."""

from __future__ import annotations

import duckdb

from etl.contract import LOAD_KINDS as KINDS
from etl.contract import MONEY_TYPE, Kind
from etl.ingest.validate import q

DUCK_TYPES = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "countries": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "country": "VARCHAR",
    "bool": "BOOLEAN",
    "money": MONEY_TYPE,
    "enum": "VARCHAR",
    "int_pos": "BIGINT",
}


def raw_table(kind: Kind) -> str:
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
            f"CREATE TABLE IF NOT EXISTS {raw_table(kind)} ({cols}, load_id INTEGER, line BIGINT, row_hash UBIGINT)"
        )
        _money_to_decimal(con, kind)


def _money_to_decimal(con, kind: Kind) -> None:
    """Stores written before money was exact hold it as DOUBLE: convert those columns once, and
    refresh the row fingerprints (hashed from the typed values) so re-sent rows stay duplicates."""
    money = [c.name for c in kind.columns if c.type == "money"]
    if not money:
        return
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = ?",
            [raw_table(kind)],
        ).fetchall()
    )
    stale = [m for m in money if types.get(m) == "DOUBLE"]
    if not stale:
        return
    try:
        con.execute("BEGIN TRANSACTION")
        own = True
    except duckdb.TransactionException:  # the caller's transaction holds it all
        own = False
    for m in stale:
        con.execute(f"ALTER TABLE {raw_table(kind)} ALTER {q(m)} SET DATA TYPE {MONEY_TYPE}")
    con.execute(f"UPDATE {raw_table(kind)} SET row_hash = hash({', '.join(q(c.name) for c in kind.columns)})")
    if own:
        con.execute("COMMIT")
