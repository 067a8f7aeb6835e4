"""The open lake: every validated raw event also kept as Parquet, by kind and day, for other engines.

`ingest.duckdb` stays the loader's store of record (it deduplicates against it and rolls a failed
file back in one transaction); the lake is a copy of its committed raw rows in an open format that
Apache Spark, Polars or anybody's DuckDB reads without opening our file:

    lake/manifest.json                                   what is in the lake, and nothing else is
    lake/<kind>/day=YYYY-MM-DD/batch-<from>-<to>.parquet  rows of loads <from>..<to> on that day
    lake/<kind>/batch-<from>-<to>.parquet                dimensions without a time column

A file holds exactly the raw table's columns (the contract's, then load_id, line, row_hash); the day
is in the path (hive partitioning), taken from the kind's time column in UTC. Files are only ever
added: a load adds one file per kind and day it touched, so the lake grows with the files loaded,
never rewriting a day.

Readers take the file list from the manifest, never from a directory listing. A sync writes its files
under a temporary directory, fsyncs them, renames them into place, and only then replaces the
manifest (temporary name, fsync, rename): a sync killed at any moment leaves the previous manifest,
which names only complete files; the files it had renamed are removed by the next sync. The caller
holds the load lock, so there is one writer.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb

from etl.contract import KIND_NAMES, LOAD_KINDS
from etl.store import fsync_dir, private_dir, private_file, replace_json

LAKE_DIR = "lake"
MANIFEST = "manifest.json"
FORMAT = 1


class LakeError(RuntimeError):
    """The lake could not be written; str(exc) is the sentence."""


def lake_dir(root: Path) -> Path:
    return Path(root) / LAKE_DIR


def _empty() -> dict:
    return {"format": FORMAT, "through_load": 0, "store_version": None, "schemas": {}, "files": []}


def read_manifest(root: Path) -> dict:
    """The manifest as written (an empty lake when there is none). Only replaced by rename, so it
    is never torn; one that is not ours to read is an error, not an empty lake."""
    path = lake_dir(root) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _empty()
    except ValueError as exc:
        raise LakeError(
            f"{path} is not a lake manifest TrustDesk can read ({exc}); move it away to rebuild it"
        ) from None
    if manifest.get("format") != FORMAT:
        raise LakeError(f"{path} has lake format {manifest.get('format')!r}; this version reads format {FORMAT}")
    return manifest


def files(root: Path, kind: str) -> list[Path]:
    """The Parquet files of raw_<kind> the manifest lists, oldest load first."""
    if kind not in KIND_NAMES:
        raise LakeError(f"the lake has no kind {kind!r}")
    base = lake_dir(root)
    return [base / f["path"] for f in read_manifest(root)["files"] if f["kind"] == kind]


def _schema(con, table: str) -> str:
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
        [table],
    ).fetchall()
    return ", ".join(f"{name} {type_}" for name, type_ in rows)


def _time_column(kind: str) -> str | None:
    return LOAD_KINDS[kind].time_column


def sync(con: duckdb.DuckDBPyConnection, root: Path, progress: Callable[[str, float], None] | None = None) -> dict:
    """Bring the lake up to date with the committed raw tables of the ingest connection `con`:
    export the rows of every load the manifest does not cover yet, then publish the new manifest.
    A kind whose raw table changed its column types since it was exported (a store upgrade) is
    exported again whole. Returns the new manifest."""
    report = progress or (lambda s, x: None)
    base = private_dir(lake_dir(root))
    manifest = read_manifest(root)
    _remove_unlisted(base, manifest)
    through = con.execute("SELECT coalesce(max(load_id), 0) FROM loads WHERE load_id > 0").fetchall()[0][0]
    version = con.execute("SELECT version FROM store_meta").fetchall()[0][0]
    schemas = {kind: _schema(con, f"raw_{kind}") for kind in KIND_NAMES}
    stale = {k for k in KIND_NAMES if manifest["schemas"].get(k) not in (None, schemas[k])}
    if through == manifest["through_load"] and not stale:
        if manifest["store_version"] != version:
            manifest["store_version"] = version
            _write_manifest(base, manifest)
        return manifest
    kept = [f for f in manifest["files"] if f["kind"] not in stale]
    tmp = base / f".tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    private_dir(tmp)
    added: list[dict] = []
    try:
        for i, kind in enumerate(KIND_NAMES):
            report(f"writing the lake: {kind}", i / len(KIND_NAMES))
            since = 0 if kind in stale else manifest["through_load"]
            added.extend(_export(con, base, tmp, kind, since, through))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    new = {"format": FORMAT, "through_load": through, "store_version": version, "schemas": schemas}
    new["files"] = kept + added
    _write_manifest(base, new)
    report("lake written", 1.0)
    return new


def _export(con, base: Path, tmp: Path, kind: str, since: int, through: int) -> list[dict]:
    """Rows of loads in (since, through] of one kind, one file per day, moved into place. One COPY
    a day rather than one partitioned COPY: a partitioned write holds every day's rows in memory
    at once, which a small duckdb_memory_limit cannot."""
    table = f"raw_{kind}"
    time_column = _time_column(kind)
    day = f'CAST("{time_column}" AS DATE)' if time_column else "NULL::DATE"
    counts = con.execute(
        f"""
        SELECT {day} AS day, count(*), min(load_id), max(load_id) FROM {table}
        WHERE load_id > $since AND load_id <= $through GROUP BY 1 ORDER BY 1
        """,
        {"since": since, "through": through},
    ).fetchall()
    if not counts:
        return []
    name = f"batch-{min(c[2] for c in counts):06d}-{max(c[3] for c in counts):06d}.parquet"
    written: list[dict] = []
    for d, rows, lo, hi in counts:
        rel_dir = f"{kind}/day={d.isoformat()}" if time_column else kind
        src = private_dir(tmp / rel_dir) / name
        params = {"since": since, "through": through} | ({"day": d} if time_column else {})
        on_day = f" AND {day} = $day" if time_column else ""
        con.execute(
            # The scan keeps the table's order (load, then line): no sort, which at 100M rows would spill.
            f"COPY (SELECT * FROM {table} WHERE load_id > $since AND load_id <= $through{on_day}) "
            f"TO '{_sql_path(src)}' (FORMAT parquet, COMPRESSION zstd)",
            params,
        )
        final_dir = private_dir(base / rel_dir)
        _durable_move(src, final_dir / name)
        fsync_dir(final_dir)
        written.append(
            {
                "kind": kind,
                "day": d.isoformat() if time_column else None,
                "path": f"{rel_dir}/{name}",
                "rows": rows,
                "first_load": lo,
                "last_load": hi,
            }
        )
    return written


def _sql_path(path: Path) -> str:
    # COPY ... TO takes no parameter for its target; the path is ours (data dir + fixed names)
    # and quotes are doubled so that no directory name can end the literal.
    return str(path).replace("'", "''")


def _durable_move(src: Path, dst: Path) -> None:
    with open(src, "rb+") as fh:
        os.fsync(fh.fileno())
    private_file(src)
    os.replace(src, dst)


def _write_manifest(base: Path, manifest: dict) -> None:
    replace_json(base / MANIFEST, manifest)


def _remove_unlisted(base: Path, manifest: dict) -> None:
    """Files a killed sync renamed into place before its manifest: nobody reads them; remove them,
    and temporary directories of syncs that died."""
    listed = {f["path"] for f in manifest["files"]}
    for tmp in base.glob(".tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)
    for path in base.rglob("*.parquet"):
        if path.relative_to(base).as_posix() not in listed:
            path.unlink(missing_ok=True)
