"""`trustdesk transparency`: the export of every decision with the DSA statement-of-reasons fields,
and the monthly transparency report (docs/transparency.md).

The command runs as the person who holds the data directory, acting as a moderator (the export's
role), and is written to the moderation audit log as `cli:<user>`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import polars as pl

from trustdesk.accounts.auth import Principal
from trustdesk.cli.common import UserError, os_user, parse_date, root, write_table
from trustdesk.data.export import neutralise
from trustdesk.moderation import transparency as tr
from trustdesk.moderation.errors import ModerationError


def _operator() -> Principal:
    return Principal(f"cli:{os_user()}", "moderator")


def _range(date_from: str | None, date_to: str | None):
    return parse_date(date_from, "--from"), parse_date(date_to, "--to")


@click.group()
def transparency() -> None:
    """The transparency export of every decision and the monthly transparency report."""


RANGE = [
    click.option(
        "--from", "date_from", default=None, help="First day of decisions (YYYY-MM-DD, UTC); default: the first."
    ),
    click.option("--to", "date_to", default=None, help="Last day of decisions (YYYY-MM-DD, UTC); default: the last."),
]


def with_range(fn):
    for option in reversed(RANGE):
        fn = option(fn)
    return fn


@transparency.command()
@click.option("--format", "fmt", type=click.Choice(tr.FORMATS), default="csv", show_default=True)
@click.option("--out", default="-", show_default=True, help="File to write, or - for standard output.")
@with_range
@click.pass_context
def export(ctx, fmt, out, date_from, date_to) -> None:
    """Write every decision with the DSA statement-of-reasons fields, streamed (no size cap)."""
    start, end = _range(date_from, date_to)
    try:
        pieces = tr.export(root(ctx), _operator(), fmt, start, end, safe=neutralise)
    except ModerationError as exc:
        raise UserError(str(exc)) from exc
    if out == "-":
        for piece in pieces:
            sys.stdout.write(piece)
        sys.stdout.flush()
        return
    target = Path(out)
    part = target.with_name(target.name + ".part")
    try:
        # Written beside the target and renamed at the end: a file named FILE is always complete.
        with open(part, "w", encoding="utf-8", newline="") as fh:
            for piece in pieces:
                fh.write(piece)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(part, target)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise UserError(f"{exc.strerror or exc}: {out}") from exc
    click.echo(f"wrote {target}", err=True)


@transparency.command()
@click.option(
    "--by",
    type=click.Choice(["month", "policy"]),
    default="month",
    show_default=True,
    help="month: one row per month and a last row `all`; policy: decisions by month, policy and action.",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@with_range
@click.pass_context
def report(ctx, by, fmt, date_from, date_to) -> None:
    """Print the transparency report: actions, automatic detection, time to decision, appeals."""
    start, end = _range(date_from, date_to)
    try:
        shown = tr.report(root(ctx), _operator(), start, end)
    except ModerationError as exc:
        raise UserError(str(exc)) from exc
    if by == "policy":
        write_table(shown.actions.with_columns(pl.col("month").dt.strftime("%Y-%m")), fmt)
        return
    total = pl.DataFrame(
        [
            {
                "month": "all",
                "decisions": shown.decisions,
                "actioned": shown.actioned,
                "automatic": shown.automatic,
                "automatic_share": shown.automatic_share,
                "median_hours": shown.median_hours,
                "appeals_received": shown.appeals_received,
                "appeals_decided": shown.appeals_decided,
                "overturned": shown.overturned,
            }
        ],
        schema=tr.MONTHLY_SCHEMA,
    )
    write_table(pl.concat([shown.monthly.with_columns(pl.col("month").dt.strftime("%Y-%m")), total]), fmt)
