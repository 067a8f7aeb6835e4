"""What the analytics read side is filtered by: a period, a region, a market, a business category.

`Filters.params` builds the bound parameters that the models' `{{ filters('s') }}` clause
(`trustdesk.warehouse.clauses.filters`) refers to. Regions come from the warehouse's reference
markets (`filter_markets.sql`, with the spec's region Other for a country no market lists), so a
replaced markets.csv changes them with the next build.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from trustdesk.warehouse import Warehouse, run


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

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        return Period(self.date_from - timedelta(days=self.days), self.date_from - timedelta(days=1))

    @classmethod
    def last(cls, days: int, last_day: date) -> Period:
        return cls(last_day - timedelta(days=days - 1), last_day)


@dataclass(frozen=True)
class Filters:
    """What every analytics page is filtered by. None means all."""

    period: Period
    region: str | None = None
    market: str | None = None
    category: str | None = None

    @property
    def extra(self) -> bool:
        """True when a filter beyond the command line's (market, category) is on."""
        return self.market is not None or self.category is not None

    @property
    def narrowed(self) -> bool:
        return self.region is not None or self.extra

    def previous(self) -> Filters:
        return replace(self, period=self.period.previous())

    def params(self, **more) -> dict:
        return {
            "date_from": self.period.date_from,
            "date_to": self.period.date_to,
            "region": self.region,
            "market": self.market,
            "category": self.category,
            **more,
        }

    def check(self, wh: Warehouse) -> Filters:
        """These filters, once their region is one of the warehouse's."""
        check_region(wh, self.region)
        return self


def markets(wh: Warehouse) -> dict[str, tuple[str, ...]]:
    """Each market of the reference data (and Other) with the regions it has countries in."""
    return {r["market"]: tuple(r["regions"]) for r in run(wh, "filter_markets").to_dicts()}


def regions_of(offered: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The regions of these markets, in the spec's order: by name, Other last."""
    found = {region for names in offered.values() for region in names}
    return tuple(sorted(found, key=lambda region: (region == "Other", region)))


def regions(wh: Warehouse) -> tuple[str, ...]:
    """The regions of the warehouse's reference markets (and Other)."""
    return regions_of(markets(wh))


def check_region(wh: Warehouse, region: str | None) -> None:
    if region is None:
        return
    known = regions(wh)
    if region not in known:
        raise MetricError(f"unknown region '{region}'; choose one of: {', '.join(known)}")
