"""Data in and what it holds: generate, load, build (rebuild), status, quarantine."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from etl import spark
from etl.contract import KINDS
from etl.formats import FORMAT_NAMES, FORMATS, detect
from etl.ingest.csvfile import is_truth_header, read_header
from etl.ingest.load import FileResult, exit_code, load_files
from etl.store import read_pointer
from etl.synth import Abuse, generate_world
from trustdesk.cli.common import UserError, guard, open_wh, progress, root, write_table
from trustdesk.data.loads import quarantined_rows, summary_lines
from trustdesk.data.maintenance import rebuild_marts
from trustdesk.data.status import describe
from trustdesk.webhook.fold import fold

KIND_CHOICES = tuple(KINDS)


@click.command()
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False), help="Directory to write the CSV files into."
)
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--businesses", default=300, show_default=True, type=click.IntRange(1))
@click.option("--days", default=60, show_default=True, type=click.IntRange(1))
@click.option("--messages", default=500_000, show_default=True, type=click.IntRange(1))
@click.option("--start", default="2026-09-01", show_default=True, help="First day (YYYY-MM-DD).")
@click.option(
    "--subtle-mult",
    default="2,4",
    show_default=True,
    help="Subtle spammers' report and block rates against their category's median business: LO,HI or X.",
)
@click.option("--ring-size", default="3,8", show_default=True, help="Accounts per coordinated ring: LO,HI or N.")
@click.option("--rings", default=None, type=click.IntRange(0), help="Coordinated rings (default: by world size).")
def generate(
    out: str,
    seed: int,
    businesses: int,
    days: int,
    messages: int,
    start: str,
    subtle_mult: str,
    ring_size: str,
    rings: int | None,
) -> None:
    """Write a synthetic world as log-format v1 CSV files plus truth.csv."""
    try:
        first = date.fromisoformat(start)
    except ValueError as exc:
        raise UserError(f"--start {start!r} is not a date like 2026-09-01") from exc
    try:
        abuse = Abuse(
            subtle_mult=_range("--subtle-mult", subtle_mult, float),
            ring_size=_range("--ring-size", ring_size, int),
            rings=rings,
        )
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    with progress("generating messages", messages) as update:
        counts = generate_world(
            Path(out),
            seed=seed,
            businesses=businesses,
            days=days,
            messages=messages,
            start=first,
            abuse=abuse,
            progress=lambda done, total: update(done, total),
        )
    for name, n in counts.items():
        click.echo(f"{name}: {n:,} rows")
    click.echo(f"wrote {Path(out)}")


def _range(option: str, text: str, kind):
    """'2,4' -> (2, 4); '3' -> (3, 3)."""
    lo, _, hi = text.partition(",")
    try:
        return kind(lo.strip()), kind((hi or lo).strip())
    except ValueError as exc:
        raise ValueError(f"{option} {text!r} is not a number or a range like 2,4") from exc


def print_results(results, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps([r.as_json() for r in results], indent=2, default=str))
        return
    for line in summary_lines(results):
        click.echo(line)


def is_truth_file(path: Path) -> bool:
    header = read_header(path) if path.is_file() else None
    return header is not None and is_truth_header(header)


def _truth_note(path: Path) -> str:
    return (
        "the ground truth of `trustdesk generate` (business_id, archetype), not a log; "
        f"score the review queue with it: trustdesk evaluate --truth {path}"
    )


@click.command()
@click.argument("files", nargs=-1, required=False, type=click.Path(dir_okay=False))
@click.option(
    "--kind",
    type=click.Choice(KIND_CHOICES),
    default=None,
    help="Kind of records, instead of detecting it from the header.",
)
@click.option(
    "--source",
    type=click.Choice(["auto", *FORMAT_NAMES]),
    default="auto",
    show_default=True,
    help="Format of the files (docs/formats), instead of recognising it from their content.",
)
@click.option(
    "--inbox",
    is_flag=True,
    default=False,
    help="Fold the webhook receiver's inbox into the store, exactly once per body.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def load(ctx, files, kind, source, inbox, fmt) -> None:
    """Validate FILES and load them into the data directory (exit 0 clean, 1 rows quarantined, 2 a file rejected).

    Log format v1 CSV, WhatsApp Cloud API webhook bodies (.json, .jsonl, .ndjson), Twilio message
    exports (CSV, BulkExport JSON lines) and Meta pricing_analytics responses, plain or .gz."""
    data_root = root(ctx)
    built_before = (read_pointer(data_root) or {}).get("version")
    source = None if source == "auto" else source
    if not files and not inbox:
        raise UserError("name the files to load, or --inbox to fold the webhook receiver's inbox")
    if kind and source and source != "v1":
        raise UserError(f"--kind is for log format v1 files; --source {source} decides the kinds itself")
    paths = [Path(f) for f in files]
    # `trustdesk generate` writes truth.csv beside the logs, so `trustdesk load world/*.csv` names
    # it too: it is not a log, and is passed over with a note rather than rejected.
    skipped = {p: _truth_note(p) for p in paths if is_truth_file(p)}
    todo = [p for p in paths if p not in skipped]
    results = []
    if todo:
        with progress("loading") as update:
            state = {"i": 0, "file": None}

            def report(file, stage, frac):
                if file and file != state["file"]:
                    state["file"] = file
                    state["i"] += 1
                base = state["i"] - 1 if file else len(todo)
                update(base + frac, len(todo) + 1, f"{file or 'marts'}: {stage}")

            results = guard(lambda: load_files(data_root, todo, kind=kind, progress=report, source=source))
    loaded = iter(results)
    results = [FileResult(p.name, None, "skipped", note=skipped[p]) if p in skipped else next(loaded) for p in paths]
    if inbox:
        folded: list = []
        outcome = guard(lambda: fold(data_root, folded))
        results.extend(folded)
        if fmt == "text":
            click.echo(
                f"inbox: {outcome.bodies:,} bodies folded in {len(outcome.batches):,} batches"
                + (f" ({len(outcome.replayed):,} replayed)" if outcome.replayed else "")
            )
    print_results(results, fmt)
    if fmt == "text":
        _print_guidance(paths, results)
        built = read_pointer(data_root) or {}
        if built.get("version") != built_before and built.get("build"):
            _said_built(built)
    ctx.exit(exit_code(results))


def _print_guidance(paths: list[Path], results) -> None:
    """A file rejected without matching any format: the formats TrustDesk reads, once."""
    lost = [
        p
        for p, r in zip(paths, results)
        if r.status == "rejected" and r.source is None and p.is_file() and detect(p) is None
    ]
    if lost:
        click.echo("The formats TrustDesk reads (--source NAME forces one; docs/formats/README.md describes them):")
        for f in FORMATS.values():
            click.echo(f"  {f.name}: {f.title} ({f.doc}, sample {f.sample})")


@click.command()
@click.pass_context
def rebuild(ctx) -> None:
    """Rebuild the marts from the loaded events (after replacing markets.csv or rate_card.csv)."""
    _said_built(guard(lambda: rebuild_marts(root(ctx))))


def _said_built(meta: dict) -> None:
    """What a build did (full, incremental or a copy) and why, then the version it published."""
    words = {"full": "full build", "incremental": "incremental build", "reuse": "nothing changed"}
    if meta.get("build"):
        click.echo(f"{words[meta['build']]}: {meta['build_reason']}")
    click.echo(f"warehouse version {meta['version']} built")


@click.command()
@click.option("--full", is_flag=True, help="Rebuild every mart from all loaded events, not only what new loads change.")
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="What builds the marts.",
)
@click.option("--master", default=None, help="Spark master URL (only with --engine spark).")
@click.pass_context
def build(ctx, full: bool, engine: str, master: str | None) -> None:
    """Build the marts from the loaded events and publish them (`rebuild` is `build --full`)."""
    if master and engine != "spark":
        raise UserError("--master names a Spark master: use it with --engine spark")
    if engine == "spark":
        click.echo(f"building every mart with Apache Spark on {master or spark.DEFAULT_MASTER}")
        _said_built(guard(lambda: rebuild_marts(root(ctx), engine=spark.engine(master))))
        return
    _said_built(guard(lambda: rebuild_marts(root(ctx), full=full)))


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def status(ctx, fmt) -> None:
    """What the data directory holds."""
    info = guard(lambda: describe(root(ctx)))
    if fmt == "json":
        click.echo(json.dumps(info, indent=2, default=str))
        return
    click.echo(f"data directory: {info['data_dir']}")
    if not info["warehouse_version"]:
        click.echo("no data yet: run `trustdesk demo`, or `trustdesk load FILE...`")
        return
    click.echo(f"warehouse version {info['warehouse_version']}, built {info['built_at']}")
    click.echo(f"data from {info['first_day']} to {info['last_day']}")
    click.echo(f"loads: {info['loads']:,}, quarantined rows: {info['quarantined']:,}")
    for kind, n in info["rows"].items():
        click.echo(f"  {kind:<17} {n:>12,}")
    for warning in info["warnings"]:
        click.echo(f"warning: {warning}")


@click.command()
@click.option("--load", "load_id", type=int, default=None, help="Only rows of this load.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.pass_context
def quarantine(ctx, load_id, fmt) -> None:
    """List quarantined rows with file, line and reasons."""
    wh = open_wh(root(ctx))
    try:
        df = quarantined_rows(wh, load_id=load_id)
    finally:
        wh.close()
    write_table(df, fmt)
