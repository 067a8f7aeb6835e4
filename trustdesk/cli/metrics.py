"""`trustdesk metrics`: a metric table as docs/metrics.md defines it."""

from __future__ import annotations

from datetime import date

import click

from trustdesk.analytics.metrics import METRICS, MetricError, Period, compute
from trustdesk.cli.common import UserError, open_wh, parse_date, root, write_table


@click.command()
@click.argument("name", type=click.Choice(list(METRICS)))
@click.option("--from", "date_from", default=None, help="First day (default: the 30 days that end on --to).")
@click.option("--to", "date_to", default=None, help="Last day (default: the last day in the data).")
@click.option("--region", default=None, help="Only this region (e.g. 'Asia Pacific').")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.pass_context
def metrics(ctx, name, date_from, date_to, region, fmt) -> None:
    """Print a metric table as docs/metrics.md defines it."""
    wh = open_wh(root(ctx))
    try:
        last = parse_date(date_to, "--to") or wh.date_range()[1] or date.today()
        first = parse_date(date_from, "--from") or Period.last(30, last).date_from
        df = compute(wh, name, Period(first, last), region)
    except MetricError as exc:
        raise UserError(str(exc)) from exc
    finally:
        wh.close()
    write_table(df, fmt)
