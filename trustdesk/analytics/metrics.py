"""The metrics of `docs/metrics.md`, each one SQL model in `trustdesk/warehouse/sql/`, run on the marts.

Pages and `trustdesk metrics` both call `compute`, so they show the same numbers. Money columns are
`pl.Decimal` (exact, `etl.contract.MONEY_TYPE`): CSV prints them at their fixed scale (`581.895900000`),
`as_json` as exact JSON numbers.
"""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal

import polars as pl

from etl.settings import Settings
from trustdesk.analytics.filters import Filters, MetricError, Period, check_region
from trustdesk.warehouse import Warehouse, bind, has_table, run

__all__ = ["METRICS", "MetricError", "Period", "as_json", "compute", "params_for", "quality_thresholds"]

# name -> the columns the spec puts first, in order
METRICS: dict[str, tuple[str, ...]] = {
    "block_rates": ("business_id", "reached_users", "blocking_users", "block_rate", "reports", "report_rate"),
    "quality": ("business_id", "reached_users", "negative_users", "negative_rate", "rating"),
    "ad_reach": (
        "campaign_id",
        "impressions",
        "reach",
        "frequency",
        "clicks",
        "ctr",
        "replies",
        "spend_usd",
        "cpm_usd",
    ),
    "revenue_by_region": (
        "region",
        "billable_messages",
        "messaging_revenue_usd",
        "ad_revenue_usd",
        "total_revenue_usd",
    ),
    "spam_reports": ("date", "reason", "reports"),
}


def quality_thresholds(settings: Settings) -> dict:
    """The quality rating's thresholds in force, as the models' quality_rating(...) calls bind them."""
    return {
        "min_reached": settings.quality_min_reached,
        "medium_from": settings.quality_medium_from,
        "low_from": settings.quality_low_from,
    }


def params_for(
    name: str,
    period: Period,
    region: str | None,
    settings: Settings,
    market: str | None = None,
    category: str | None = None,
) -> dict:
    """Exactly the parameters the metric's model names, for these filters and settings."""
    return bind(name, Filters(period, region, market, category).params(**quality_thresholds(settings)))


def compute(
    wh: Warehouse,
    name: str,
    period: Period,
    region: str | None = None,
    settings: Settings | None = None,
    market: str | None = None,
    category: str | None = None,
) -> pl.DataFrame:
    """A metric table of docs/metrics.md; `market` and `category` narrow it further (pages)."""
    if name not in METRICS:
        raise MetricError(f"unknown metric '{name}'; choose one of: {', '.join(METRICS)}")
    check_region(wh, region)
    settings = settings or Settings.load(wh.root)
    params = params_for(name, period, region, settings, market, category)
    if name == "quality" and _quality_of_day(wh, period, region, market, category):
        return run(wh, "quality_of_day", params)
    return run(wh, name, params)


def _quality_of_day(wh: Warehouse, period: Period, region, market, category) -> bool:
    """Whether the quality table can be read from the quality_day mart (quality_of_day.sql): the
    mart's rows count the same distinct users over every region and category, for the days it
    covers. At 100M messages that is a lookup instead of counting a week's distinct users."""
    if region is not None or market is not None or category is not None or not has_table(wh, "quality_day"):
        return False
    last = run(wh, "quality_days")["last_day"].item()
    return last is not None and period.date_to <= last


def _plain(value: Decimal) -> str:
    """The exact decimal without the scale's trailing zeros: 581.8959, 0, 12.5."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def as_json(df: pl.DataFrame) -> str:
    """A table as `trustdesk ... --format json` prints it: a list of objects, money as exact JSON
    numbers (never text, never a binary float's approximation); other values as before (dates as
    text)."""
    # json writes a Decimal only as text, so each goes out as a marker string that is then replaced
    # by the bare number; the random marker cannot occur in the table's own text.
    marker = secrets.token_hex(8)

    def default(value):
        if isinstance(value, Decimal):
            return f"{marker}{_plain(value)}{marker}"
        return str(value)

    text = json.dumps(df.to_dicts(), indent=2, default=default)
    return re.sub(f'"{marker}(-?[0-9.]+){marker}"', r"\1", text)
