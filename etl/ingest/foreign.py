"""Foreign files (WhatsApp webhook bodies, Twilio logs, Meta analytics; see `etl.formats`):
converted into v1 files of each kind they hold, and loaded together in one transaction with the
converter's quarantined items."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

import polars as pl

from etl.contract import LOAD_KINDS as KINDS
from etl.contract import FileRejected
from etl.formats import convert, detect
from etl.ingest.csvfile import prepare
from etl.ingest.rejects import REASON_LINES, record_rejected
from etl.ingest.result import FileResult
from etl.ingest.scan import sha_if_small
from etl.ingest.schema import raw_table
from etl.settings import Settings

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
        sql = f"SELECT business_id AS k FROM {raw_table(KINDS['businesses'])}"
        col = "business_id"
    elif kind_name == "messages" and source == "whatsapp_webhook":
        sql = f"SELECT message_id AS k FROM {raw_table(KINDS['messages'])} WHERE direction = 'outbound'"
        col = "message_id"
    else:
        return
    known = {r[0] for r in con.execute(sql).fetchall()}
    if not known:
        return
    df = pl.read_csv(path, infer_schema=False)
    keep = df.filter(
        ~(
            pl.col(col).is_in(list(known))
            & (pl.lit(True) if kind_name == "businesses" else pl.col("direction") == "outbound")
        )
    )
    if keep.height != df.height:
        keep.write_csv(path)


def load_foreign(
    con, root: Path, path: Path, source: str | None, user: str, report, dry_run: bool, settings: Settings, load_one
) -> FileResult:
    """Convert a foreign file (etl/formats) into a temporary folder under the data directory and
    load every kind it became with `load_one` (the loader's one-file step, inside this
    transaction); the converter's quarantined items go to the quarantine table with their place
    (body or line number as the line, the JSON path in the reason)."""
    name = path.name
    work = root / "tmp" / f"convert-{uuid.uuid4().hex[:12]}"
    try:
        try:
            conv = convert(path, source, work, max_bytes=settings.load_max_mb << 20)
        except FileRejected as exc:
            res = FileResult(
                name,
                source,
                "rejected",
                error=str(exc),
                source=source,
                sha256=sha_if_small(path, settings.load_max_mb << 20),
            )
            if not dry_run:
                res.load_id = record_rejected(con, name, path, res.sha256, None, source, res.error, user)
            return res
        total = FileResult(
            name,
            conv.source,
            "loaded",
            source=conv.source,
            counts=dict(conv.counts),
            unused=dict(conv.unused),
            conversion=conv.summary(),
        )
        # One transaction for the whole file: every kind it became, and its quarantine, or nothing.
        con.execute("BEGIN TRANSACTION")
        try:
            _load_parts(con, root, path, conv, total, work, user, report, dry_run, settings, load_one)
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


def _load_parts(
    con,
    root: Path,
    path: Path,
    conv,
    total: FileResult,
    work: Path,
    user: str,
    report,
    dry_run: bool,
    settings: Settings,
    load_one,
) -> None:
    name = path.name
    for kind_name in sorted(conv.files, key=lambda k: (_PART_ORDER + (k,)).index(k)):
        _keep_new(con, kind_name, conv.files[kind_name], conv.source)
        prep = prepare(conv.files[kind_name], work, kind_name, settings.load_max_mb << 20)
        prep.source = path  # the person's file names the load, not the converted copy
        part = load_one(
            con, root, prep, user, lambda s, x, k=kind_name: report(f"{name} ({k})", s, x), dry_run, outer=True
        )
        part.unknown_columns = []  # the reader's own columns; `unused` names what was not used
        total.parts.append(part)
    quarantined = conv.quarantined
    added = False
    first = next((p for p in total.parts if p.load_id is not None), None)
    if quarantined and not dry_run:
        if first is None:
            first = FileResult(name, conv.source, "partial")
            first.load_id = record_rejected(
                con,
                name,
                path,
                sha_if_small(path, settings.load_max_mb << 20),
                None,
                conv.source,
                "no item of the file could be read",
                user,
            )
            con.execute("UPDATE loads SET status = 'partial', error = NULL WHERE load_id = ?", [first.load_id])
            total.parts.append(first)
        rows = pl.DataFrame(
            {
                "line": [_place_line(item.place) for item in quarantined],
                "raw_text": [item.raw_text for item in quarantined],
                "reasons": [[f"{item.place}: {r}" for r in item.reasons] for item in quarantined],
            },
            schema={"line": pl.Int64, "raw_text": pl.String, "reasons": pl.List(pl.String)},
        )
        con.register("converter_rows", rows)
        try:
            con.execute(
                "INSERT INTO quarantine SELECT $id, $kind, $file, line, raw_text, reasons FROM converter_rows",
                {"id": first.load_id, "kind": first.kind, "file": name},
            )
        finally:
            con.unregister("converter_rows")
        con.execute(
            "UPDATE loads SET quarantined = quarantined + ?, status = 'partial' WHERE load_id = ?",
            [len(quarantined), first.load_id],
        )
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
    for item in quarantined:
        for r in item.reasons:
            g = groups.setdefault(r, [0, []])
            g[0] += 1
            if len(g[1]) < REASON_LINES and _place_line(item.place) is not None:
                g[1].append(_place_line(item.place))
    reasons = [(r, n, lines) for r, (n, lines) in groups.items()]
    for p in total.parts:
        reasons.extend(p.reasons)
    total.reasons = sorted(reasons, key=lambda x: (-x[1], x[0]))
    total.top_reasons = [(r, n) for r, n, _ in total.reasons[:5]]
    total.load_id = first.load_id if first is not None else None
    total.already_loaded = next((p.already_loaded for p in total.parts if p.already_loaded), None)
    total.duration_s = sum(p.duration_s for p in total.parts)
    total.status = "partial" if total.quarantined else "loaded"


def is_foreign(path: Path, source: str | None, kind: str | None) -> bool:
    """Whether the file is read through `etl.formats` rather than as a v1 CSV: as the person
    said (`source`), or as detected when they named neither a format nor a kind."""
    if source is not None:
        return source != "v1"
    if kind is not None:
        return False
    return detect(path) not in (None, "v1")
