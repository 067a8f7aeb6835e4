"""Data quality: what the loaded data lacks or does oddly, read from the marts (never raw events).

Each check is one SQL model in `trustdesk/warehouse/sql/dq_*.sql`; `report` runs them all for the Data
quality page, once per warehouse version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from etl.contract import BILLABLE_CATEGORIES, KIND_NAMES
from trustdesk.warehouse import Warehouse, run

# A day with more than SPIKE_FACTOR times a kind's median day (or less than the median divided by
# it) is flagged.
SPIKE_FACTOR = 3.0


@dataclass(frozen=True)
class DataQuality:
    version: int
    built_at: str | None
    first_day: date | None
    last_day: date | None
    rows: dict[str, int]  # kind -> loaded rows
    rows_by_day: pl.DataFrame  # kind, day, rows, median_rows, flag (gap | spike | dip | null)
    undefined: pl.DataFrame  # entity, id, rows, rows per kind, first_day, last_day
    countries_without_market: pl.DataFrame  # country, messages, ad_events
    markets_without_price: pl.DataFrame  # market, category, problem, countries, priced_from, unpriced_messages

    @property
    def rows_table(self) -> pl.DataFrame:
        """Loaded rows per kind, as the page lists them."""
        return pl.DataFrame({"kind": list(self.rows), "loaded rows": list(self.rows.values())})

    @property
    def flagged_days(self) -> pl.DataFrame:
        return self.rows_by_day.filter(pl.col("flag").is_not_null())

    @property
    def problems(self) -> int:
        return (
            self.flagged_days.height
            + self.undefined.height
            + self.countries_without_market.height
            + self.markets_without_price.height
        )


def rows_by_day(wh: Warehouse, factor: float = SPIKE_FACTOR) -> pl.DataFrame:
    return run(wh, "dq_rows_by_day", factor=factor)


def undefined_references(wh: Warehouse) -> pl.DataFrame:
    return run(wh, "dq_undefined_references")


def countries_without_market(wh: Warehouse) -> pl.DataFrame:
    return run(wh, "dq_countries_without_market")


def markets_without_price(wh: Warehouse, first_day: date | None) -> pl.DataFrame:
    return run(wh, "dq_markets_without_price", categories=list(BILLABLE_CATEGORIES), first_day=first_day)


def report(wh: Warehouse, factor: float = SPIKE_FACTOR) -> DataQuality:
    first, last = wh.date_range()
    loaded = wh.pointer.get("rows") or {}
    return DataQuality(
        version=wh.version,
        built_at=wh.pointer.get("built_at"),
        first_day=first,
        last_day=last,
        rows={k: int(loaded.get(k, 0)) for k in KIND_NAMES},
        rows_by_day=rows_by_day(wh, factor),
        undefined=undefined_references(wh),
        countries_without_market=countries_without_market(wh),
        markets_without_price=markets_without_price(wh, first),
    )
