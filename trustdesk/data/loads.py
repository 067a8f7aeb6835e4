"""Load history and quarantined rows, as the warehouse's copy of them shows.

`trustdesk quarantine` and the Quarantine page both list rows through `quarantined_rows`, so they
show the same rows; `summary_lines` is the text `trustdesk load` prints for a load's results, and
`reason_table` a load's (or a dry run's) reasons grouped with their first line numbers. Reasons
are shown grouped, with the values taken out (`etl.ingest.load.REASON_GROUP`, which the models
call as `{{ reason_group() }}`): analysts read them too.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from trustdesk.data.export import safe_csv
from trustdesk.warehouse import Warehouse, run

NO_LIMIT = 2**62


def quarantined_rows(
    wh: Warehouse,
    load_id: int | None = None,
    kind: str | None = None,
    reason_contains: str | None = None,
    limit: int | None = None,
    file: str | None = None,
    reason: str | None = None,
) -> pl.DataFrame:
    """Quarantined rows, newest load first, each load's rows in file order. `reason` is one of
    the groups that `quarantine_facets` lists; `reason_contains` matches any part of any reason."""
    return run(
        wh,
        "quarantined_rows",
        load_id=load_id,
        kind=kind,
        file=file,
        needle=reason_contains,
        reason=reason,
        limit=limit if limit is not None else NO_LIMIT,
    )


def quarantine_csv(wh: Warehouse, **filters) -> str:
    """Every quarantined row the filters select, as CSV safe to open in a spreadsheet."""
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
    loads = run(wh, "quarantine_loads")
    return QuarantineFacets(
        int(loads["rows"].sum() or 0),
        loads,
        run(wh, "quarantine_files"),
        run(wh, "quarantine_kinds"),
        run(wh, "quarantine_reasons"),
    )


OUTCOMES = ("loaded", "partial", "rejected")


def load_history(wh: Warehouse, outcome: str | None = None) -> pl.DataFrame:
    """Every load (or those with one outcome), newest first: when, who, which file (name and
    SHA-256), kind, counts, how long, the outcome, and whether the same file was loaded before."""
    return run(wh, "load_history", outcome=outcome)


DATA_QUALITY = "the Data quality page lists them (businesses and campaigns no file has defined)"


def summary_lines(results) -> list[str]:
    """What `trustdesk load` prints for these `etl.ingest.load.FileResult`s (its text format), and what
    the Upload page shows after a load. No value of the data appears in it."""
    out = []
    for r in results:
        if r.status == "rejected":
            out.append(f"{r.file}: REJECTED: {r.error}")
            continue
        if r.status == "skipped":
            out.append(f"{r.file}: skipped: {r.note}")
            continue
        out.append(
            f"{r.file}: {r.kind}, {r.rows_read:,} rows read, {r.loaded:,} loaded, "
            f"{r.duplicates:,} duplicates skipped, {r.quarantined:,} quarantined (load {r.load_id})"
        )
        # A foreign file: the format found, what it held and became, what was not used, per kind.
        for sentence in getattr(r, "conversion", None) or []:
            out.append(f"  {sentence}")
        for p in getattr(r, "parts", None) or []:
            out.append(
                f"  -> {p.kind}: {p.rows_read:,} rows, {p.loaded:,} loaded, {p.duplicates:,} duplicates "
                f"skipped, {p.quarantined:,} quarantined (load {p.load_id})"
            )
        out.extend(f"  {label.lower()}: {text}" for label, text in load_notes(r))
        lines = {reason: found for reason, _, found in r.reasons}
        for reason, n in r.top_reasons:
            found = lines.get(reason) or []
            where = (
                (
                    f" (line{'s' if len(found) > 1 else ''} {', '.join(map(str, found))}"
                    f"{', …' if n > len(found) else ''})"
                )
                if found
                else ""
            )
            out.append(f"  {n:>8,} × {reason}{where}")
        if r.quarantined:
            out.append(f"  see them on the Quarantine page, or with: trustdesk quarantine --load {r.load_id}")
    return out


def load_notes(r) -> list[tuple[str, str]]:
    """What else a checked or loaded file (`etl.ingest.load.FileResult`) tells, as (label, text):
    a file loaded before, columns ignored, rows naming what no file defines."""
    notes = []
    if r.already_loaded:
        notes.append(("Note", r.already_loaded))
    if r.unknown_columns:
        notes.append(("Unknown columns ignored", ", ".join(r.unknown_columns)))
    if r.undefined_rows:
        notes.append(("Note", undefined_sentence(r)))
    return notes


def undefined_sentence(r) -> str:
    """Rows loaded that name a business (campaign) no loaded file defines yet, as one sentence."""
    entity = r.undefined_entity or "business"
    plural = {"business": "businesses", "campaign": "campaigns"}[entity]
    ids = f"{r.undefined_ids:,} {entity if r.undefined_ids == 1 else plural}"
    rows = f"{r.undefined_rows:,} row{'s' if r.undefined_rows != 1 else ''}"
    return (
        f"{rows} name{'s' if r.undefined_rows == 1 else ''} {ids} that no loaded file defines; "
        f"they are loaded and show as unknown until a {plural} file defines them; "
        f"{DATA_QUALITY}"
    )


def reason_table(result, lines: int | None = None) -> pl.DataFrame:
    """A load's (or a dry run's) quarantined rows grouped by reason, values taken out: one row per
    reason with its number of rows and the first line numbers, most rows first. For the Upload
    page's check and summary. Columns: reason (str), rows (int), lines (list of int, at most
    `etl.ingest.load.REASON_LINES`), first_lines (str, e.g. "2, 5, 9, …")."""
    groups = result.reasons or [(r, n, []) for r, n in result.top_reasons]
    rows = []
    for reason, n, found in groups:
        found = list(found) if lines is None else list(found)[:lines]
        more = n > len(found)
        rows.append(
            {
                "reason": reason,
                "rows": int(n),
                "lines": found,
                "first_lines": ", ".join(str(x) for x in found) + (", …" if more and found else ""),
            }
        )
    return pl.DataFrame(
        rows, schema={"reason": pl.String, "rows": pl.Int64, "lines": pl.List(pl.Int64), "first_lines": pl.String}
    )
