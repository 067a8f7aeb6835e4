"""The overview page's numbers: headlines for a period and the one before it, and daily trends."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from trustdesk.analytics import views
from trustdesk.analytics.filters import Filters, Period
from trustdesk.warehouse import Warehouse, run

HEADLINES = ("messages", "active_businesses", "reports", "block_rate", "ad_reach", "revenue_usd")
TRENDS = {
    "messages": "Messages",
    "active_businesses": "Active businesses",
    "reports": "Spam reports",
    "blocks": "Blocks",
    "ad_reach": "Status ad reach (users that day)",
    "revenue_usd": "Revenue (USD)",
}


@dataclass
class Overview:
    period: Period
    current: dict
    previous: dict
    daily: pl.DataFrame  # day, messages, active_businesses, reports, blocks, ad_reach, revenue_usd
    filters: Filters | None = None

    def change(self, key: str) -> float | None:
        return views.change(self.current.get(key), self.previous.get(key))

    @property
    def empty(self) -> bool:
        return self.daily.is_empty()

    @property
    def trends(self) -> pl.DataFrame:
        """The daily series in long form (day, measure, value), in the order of TRENDS."""
        return views.daily_trends(self.daily, TRENDS)


def _filters(filters: Filters | Period, region: str | None) -> Filters:
    return filters if isinstance(filters, Filters) else Filters(filters, region)


def headline(wh: Warehouse, filters: Filters | Period, region: str | None = None) -> dict:
    """Headline numbers for filters (or, as before, for a period and a region)."""
    return views.headline(wh, _filters(filters, region))


def overview(wh: Warehouse, filters: Filters | Period, region: str | None = None) -> Overview:
    f = _filters(filters, region)
    earlier = views.comparison(wh, f)
    jobs = dict(
        current=lambda: headline(wh, f),
        activity=lambda: run(wh, "daily_activity", f.params()),
        revenue=lambda: views.daily_revenue(wh, f),
    )
    if earlier is not None:
        jobs["previous"] = lambda: headline(wh, earlier)
    r = views.together(**jobs)
    # No fair comparison (see views.coverage): every previous number is None, so no change shows.
    previous = r["previous"] if earlier is not None else dict.fromkeys(r["current"])
    revenue = r["revenue"].group_by("day").agg(pl.col("revenue_usd").sum().cast(pl.Float64))
    daily = (
        r["activity"]
        .join(revenue, on="day", how="full", coalesce=True)
        .with_columns(pl.exclude("day").fill_null(0))
        .sort("day")
    )
    return Overview(period=f.period, current=r["current"], previous=previous, daily=daily, filters=f)
