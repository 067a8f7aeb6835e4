"""The metrics of `docs/metrics.md`, each one SQL model in `trustdesk/warehouse/sql/`, run on the marts.

Pages and `trustdesk metrics` both call `compute`, so they show the same numbers. Money columns are
`pl.Decimal` (exact, `etl.contract.MONEY_TYPE`): CSV prints them at their fixed scale (`581.895900000`),
`as_json` as exact JSON numbers.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal
from datetime import date, timedelta
from functools import cache
from importlib import resources

import polars as pl

from etl.settings import Settings
from trustdesk.warehouse import Warehouse

REGIONS = ("Asia Pacific", "Europe", "Latin America", "Middle East & Africa", "North America", "Other")

# name -> the columns the spec puts first, in order
METRICS: dict[str, tuple[str, ...]] = {
    "block_rates": ("business_id", "reached_users", "blocking_users", "block_rate", "reports", "report_rate"),
    "quality": ("business_id", "reached_users", "negative_users", "negative_rate", "rating"),
    "ad_reach": ("campaign_id", "impressions", "reach", "frequency", "clicks", "ctr", "replies", "spend_usd", "cpm_usd"),
    "revenue_by_region": ("region", "billable_messages", "messaging_revenue_usd", "ad_revenue_usd", "total_revenue_usd"),
    "spam_reports": ("date", "reason", "reports"),
}


class MetricError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    date_from: date
    date_to: date

    def __post_init__(self):
        if self.date_to < self.date_from:
            raise MetricError(f"the period ends ({self.date_to}) before it starts ({self.date_from})")

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> "Period":
        """The period of equal length just before this one."""
        return Period(self.date_from - timedelta(days=self.days), self.date_from - timedelta(days=1))

    @classmethod
    def last(cls, days: int, last_day: date) -> "Period":
        return cls(last_day - timedelta(days=days - 1), last_day)


@cache
def sql_for(name: str) -> str:
    return resources.files("trustdesk.warehouse").joinpath("sql").joinpath(f"{name}.sql").read_text(encoding="utf-8")


def params_for(name: str, period: Period, region: str | None, settings: Settings,
               market: str | None = None, category: str | None = None) -> dict:
    if region is not None and region not in REGIONS:
        raise MetricError(f"unknown region '{region}'; choose one of: {', '.join(REGIONS)}")
    params = {"date_to": period.date_to, "region": region, "market": market, "category": category}
    if name != "quality":
        params["date_from"] = period.date_from
    else:
        params.update(
            min_reached=settings.quality_min_reached,
            medium_from=settings.quality_medium_from,
            low_from=settings.quality_low_from,
        )
    return params


def compute(wh: Warehouse, name: str, period: Period, region: str | None = None,
            settings: Settings | None = None, market: str | None = None,
            category: str | None = None) -> pl.DataFrame:
    """A metric table of docs/metrics.md; `market` and `category` narrow it further (pages)."""
    if name not in METRICS:
        raise MetricError(f"unknown metric '{name}'; choose one of: {', '.join(METRICS)}")
    settings = settings or Settings.load(wh.root)
    return wh.query(sql_for(name), params_for(name, period, region, settings, market, category))


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
