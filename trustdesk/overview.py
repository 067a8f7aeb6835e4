"""The overview page's numbers: headlines for a period and the one before it, and daily trends."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from trustdesk.metrics import Period, compute, sql_for
from trustdesk.warehouse import Warehouse

HEADLINES = ("messages", "active_businesses", "reports", "block_rate", "ad_reach", "revenue_usd")


@dataclass
class Overview:
    period: Period
    current: dict
    previous: dict
    daily: pl.DataFrame

    def change(self, key: str) -> float | None:
        now, before = self.current.get(key), self.previous.get(key)
        if now is None or not before:
            return None
        return (now - before) / before


def headline(wh: Warehouse, period: Period, region: str | None) -> dict:
    params = {"date_from": period.date_from, "date_to": period.date_to, "region": region}
    row = wh.query(sql_for("headline"), params).to_dicts()[0]
    revenue = compute(wh, "revenue_by_region", period, region)
    row["revenue_usd"] = float(revenue["total_revenue_usd"].sum()) if revenue.height else 0.0
    row["messaging_revenue_usd"] = float(revenue["messaging_revenue_usd"].sum()) if revenue.height else 0.0
    return row


def overview(wh: Warehouse, period: Period, region: str | None = None) -> Overview:
    params = {"date_from": period.date_from, "date_to": period.date_to, "region": region}
    return Overview(
        period=period,
        current=headline(wh, period, region),
        previous=headline(wh, period.previous(), region),
        daily=wh.query(sql_for("daily_activity"), params),
    )
