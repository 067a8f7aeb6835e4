"""`trustdesk load`: validated, atomic, idempotent loads of log-format v1 files.

One file is one DuckDB transaction in `ingest.duckdb`: its accepted rows, its quarantined rows and
its line in the load history become visible together, or (killed, failed) not at all. After the
files, the marts are rebuilt into a new warehouse file and published (see `etl.store`).

The steps live beside this module: `csvfile` (checks before DuckDB reads a file), `scan` (byte
scans: hashes, line numbers, read-whole checks), `stage` (read, type and check the rows),
`dedupe` (duplicates and conflicts), `schema` (the store's tables), `rejects` (refused rows and
files, reason groups), `foreign` (files read through `etl.formats`), `result` (what a load says).
"""

from __future__ import annotations

import getpass
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from etl import store
from etl.build import build_warehouse
from etl.contract import LOAD_KINDS as KINDS
from etl.contract import FileRejected
from etl.ingest.csvfile import Prepared, prepare
from etl.ingest.dedupe import classify, conflict_raw_text
from etl.ingest.foreign import is_foreign, load_foreign
from etl.ingest.rejects import (
    REASON_GROUP,
    REASON_LINES,
    quarantine_broken,
    read_rejects,
    reason_groups,
    record_rejected,
)
from etl.ingest.result import FileResult, exit_code
from etl.ingest.scan import MAX_LINE_BYTES, Scan, attach_lines, check_encoding, check_line_ends, scan, sha_if_small
from etl.ingest.schema import ensure_schema, raw_table
from etl.ingest.stage import drop_temp, stage
from etl.ingest.validate import q
from etl.settings import Settings

# What callers import from here (the CLI, the Upload page, the webhook fold, maintenance, tests).
__all__ = [
    "REASON_GROUP",
    "REASON_LINES",
    "FileRejected",
    "FileResult",
    "OutOfMemory",
    "current_user",
    "ensure_schema",
    "exit_code",
    "load_files",
]

Progress = Callable[[str, float], None]


class OutOfMemory(ValueError):
    """DuckDB could not load a file within `duckdb_memory_limit`; str(exc) is the sentence. Files
    before it are committed; the marts are not rebuilt (`trustdesk status` says so)."""


def _load_one(
    con, root: Path, prep: Prepared, user: str, progress: Progress, dry_run: bool = False, outer: bool = False
) -> FileResult:
    """One file in one transaction; `outer`: inside the caller's transaction (the kinds a foreign
    file became load together), which the caller commits or rolls back."""
    kind = prep.kind
    started = datetime.now(UTC).replace(tzinfo=None)
    t0 = time.perf_counter()
    result = FileResult(prep.source.name, kind.name, "loaded", unknown_columns=list(prep.unknown))
    with ThreadPoolExecutor(max_workers=1) as pool:
        scanning = pool.submit(scan, prep)
        if not outer:
            con.execute("BEGIN TRANSACTION")
        try:
            progress("reading and validating", 0.05)
            stage(con, prep, started + timedelta(days=1))
        except BaseException:
            if not outer:
                con.execute("ROLLBACK")
            raise
        finally:
            facts: Scan = scanning.result()
    result.sha256 = facts.sha256
    try:
        prev = con.execute(
            "SELECT load_id, started_at FROM loads WHERE sha256 = ? AND status <> 'rejected' ORDER BY load_id LIMIT 1",
            [facts.sha256],
        ).fetchall()
        prev = prev[0] if prev else None
        if prev:
            result.already_loaded = f"this file was already loaded on {prev[1]:%Y-%m-%d %H:%M} (load {prev[0]})"
        check_line_ends(prep, facts)
        n_good = con.execute("SELECT count(*) FROM typed0").fetchall()[0][0]
        rejects = read_rejects(con)
        check_encoding(prep, rejects)
        progress("numbering lines", 0.45)
        rej_lines = attach_lines(con, prep, n_good, rejects, facts.lines)
        progress("checking duplicates", 0.55)
        classify(con, kind)
        conflict_raw_text(con, prep)
        # A dry run's rows never commit; -1 keeps the id sequence (not transactional) gap-free.
        # Below -1 for the second and later kinds of a foreign file, checked in one transaction.
        load_id = (
            -1 - con.execute("SELECT count(*) FROM loads WHERE load_id < 0").fetchall()[0][0]
            if dry_run
            else con.execute("SELECT nextval('load_ids')").fetchall()[0][0]
        )
        result.load_id = load_id
        progress("writing", 0.7)
        cols = ", ".join(q(c.name) for c in kind.columns)
        vcols = ", ".join(q("v_" + c.name) for c in kind.columns)
        if con.execute("SELECT count(*) FROM verdict").fetchall()[0][0]:
            con.execute(
                f"""
                INSERT INTO {raw_table(kind)} ({cols}, load_id, line, row_hash)
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
                INSERT INTO {raw_table(kind)} ({cols}, load_id, line, row_hash)
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
        quarantine_broken(con, meta, rejects, rej_lines)
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
        result.reasons = reason_groups(con, load_id)
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
                meta,
                path=str(prep.source),
                sha=facts.sha256,
                bytes=prep.size,
                status=result.status,
                read=result.rows_read,
                loaded=result.loaded,
                dups=result.duplicates,
                quar=result.quarantined,
                unknown=prep.unknown,
                reasons="; ".join(f"{r} ({n})" for r, n in result.top_reasons),
                started=started,
                finished=datetime.now(UTC).replace(tzinfo=None),
                duration=result.duration_s,
                user=user,
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
        drop_temp(con, "typed", "typed0", "verdict", "conflict_text")
    progress("checked" if dry_run else "committed", 1.0)
    return result


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
        FROM {raw_table(KINDS[kind])} AS e
        WHERE e.load_id = $load_id
          AND NOT EXISTS (SELECT 1 FROM {raw_table(KINDS[defining])} AS d WHERE d.{q(col)} = e.{q(col)})
        """,
        {"load_id": load_id},
    ).fetchall()[0]
    if n:
        result.undefined_rows, result.undefined_ids, result.undefined_entity = int(n), int(ids), entity


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
    except (ImportError, KeyError, OSError):  # no login name in some containers
        return os.environ.get("USER", "unknown")


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
                    if is_foreign(Path(path), source, kind):
                        # The same one-file step loads each kind it became (foreign imports nothing from here).
                        results.append(
                            load_foreign(con, root, Path(path), source, user, report, dry_run, settings, _load_one)
                        )
                        continue
                    prep = prepare(Path(path), root / "tmp", kind, settings.load_max_mb << 20)
                    res = _load_one(con, root, prep, user, lambda s, x, n=name: report(n, s, x), dry_run)
                except duckdb.OutOfMemoryException as exc:
                    raise OutOfMemory(
                        f"DuckDB ran out of memory loading {name} (setting duckdb_memory_limit is "
                        f"{settings.duckdb_memory_limit}); nothing of it was loaded; raise the "
                        "setting and load it again"
                    ) from exc
                except FileRejected as exc:
                    res = FileResult(
                        name,
                        prep.kind.name if prep else kind,
                        "rejected",
                        error=str(exc),
                        sha256=sha_if_small(Path(path), settings.load_max_mb << 20),
                    )
                    if not dry_run:
                        res.load_id = record_rejected(
                            con, name, Path(path), res.sha256, prep.size if prep else None, res.kind, res.error, user
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
                        res.undefined_entity = next((p.undefined_entity for p in res.parts if p.undefined_entity), None)
                    elif res.status != "rejected" and res.load_id is not None:
                        _count_undefined(con, res.kind, res.load_id, res)
            if rebuild and not dry_run:
                report("", "rebuilding marts", 0.0)
                build_warehouse(root, con, settings)
        finally:
            con.close()
    return results
