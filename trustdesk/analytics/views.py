"""The read side of the analytics pages: one function per page, returning all that page draws.

Each query is a model in `trustdesk/warehouse/sql/` run with bound parameters. The tables that are metrics
of `docs/metrics.md` come from `metrics.compute`, the one model per metric that `trustdesk metrics`
runs too (the pages' extra filters, market of the user's country and business category, are
parameters of the same model), so a table and its CSV hold the command's rows for the same filters
(a page may order them differently, e.g. businesses by block rate).

Changes are shown only against a previous period that the data fully covers (`coverage`): a
period before the data's first day holds no activity, and a change against it would be a
fiction (+700% because the previous 30 days hold 9 days of data). Each view asks `comparison`
once and leaves its previous numbers empty (None) when there is no fair comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import partial, wraps
from typing import Any

import polars as pl

from etl.contract import BUSINESS_CATEGORIES
from etl.settings import Settings
from trustdesk.analytics.filters import Filters, MetricError, Period, markets, regions_of
from trustdesk.analytics.metrics import compute, quality_thresholds
from trustdesk.warehouse import Warehouse, has_table, run

NO_REASON = "(no reason given)"  # a block without a reason (the reason column is optional)
NO_TEMPLATE = "(free-form or no message)"  # a report of a free-form message, or of no message
TOP = 20
BASELINE_MIN_REPORTS = 5
CATEGORIES = (*BUSINESS_CATEGORIES, "unknown")
RESPONSE_BUCKETS = ("< 5 min", "5-60 min", "1-4 h", "4-24 h", ">= 24 h", "no answer")
STREAMS = ("marketing", "utility", "authentication", "ads")

# Queries of one page run side by side: DuckDB releases the GIL, and a query's single-threaded
# phases (planning, small joins, conversion to Polars) leave cores idle. Jobs are leaf queries that
# never wait on the pool themselves.
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="trustdesk-query")


def checked(view: Callable) -> Callable:
    """A page's view of (wh, filters, ...) that first refuses a region the warehouse does not have
    (the metrics it reads through `compute` are checked there too)."""

    @wraps(view)
    def checked_view(wh: Warehouse, f: Filters, *args, **kwargs):
        f.check(wh)
        return view(wh, f, *args, **kwargs)

    return checked_view


def together(**jobs: Callable[[], Any]) -> dict[str, Any]:
    """Run independent queries at once; their results by name."""
    futures = {name: _POOL.submit(job) for name, job in jobs.items()}
    return {name: future.result() for name, future in futures.items()}


def with_previous(
    f: Filters, earlier: Filters | None, compared: dict[str, Callable[[Filters], Any]], **others: Callable[[], Any]
) -> dict[str, Any]:
    """Run each `compared` job for the period and, with a fair comparison (`earlier`), for the one
    before as `<name>_before`, together with the `others`; their results by name."""
    jobs = {name: partial(job, f) for name, job in compared.items()} | others
    if earlier is not None:
        jobs |= {f"{name}_before": partial(job, earlier) for name, job in compared.items()}
    return together(**jobs)


def metric(wh: Warehouse, name: str, f: Filters, settings: Settings | None = None) -> pl.DataFrame:
    """A metric of docs/metrics.md for these filters (through `compute`, as the CLI's)."""
    return compute(wh, name, f.period, f.region, settings, f.market, f.category)


# --------------------------------------------------------------------------- what the data covers


def _overlap(period: Period | None, first: date | None, last: date | None) -> int:
    if period is None or first is None or last is None:
        return 0
    start, end = max(period.date_from, first), min(period.date_to, last)
    return max((end - start).days + 1, 0)


@dataclass(frozen=True)
class Coverage:
    """How much of a period, and of the period of equal length before it, the data covers."""

    period: Period
    first_day: date | None
    last_day: date | None

    @property
    def days_with_data(self) -> int:
        return _overlap(self.period, self.first_day, self.last_day)

    @property
    def complete(self) -> bool:
        return self.days_with_data == self.period.days

    @property
    def covered(self) -> Period | None:
        """The days of the period that lie in the data's range."""
        if not self.days_with_data:
            return None
        return Period(max(self.period.date_from, self.first_day), min(self.period.date_to, self.last_day))

    @property
    def previous(self) -> Period | None:
        """The period before, or None when the calendar has no such period (before year 1)."""
        try:
            return self.period.previous()
        except (OverflowError, MetricError):
            return None

    @property
    def previous_days_with_data(self) -> int:
        return _overlap(self.previous, self.first_day, self.last_day)

    @property
    def comparable(self) -> bool:
        """Both periods lie wholly inside the data, so a change compares like with like."""
        previous = self.previous
        return self.complete and previous is not None and self.previous_days_with_data == previous.days


def coverage(wh: Warehouse, period: Period) -> Coverage:
    first, last = wh.date_range()
    return Coverage(period, first, last)


def comparison(wh: Warehouse, f: Filters) -> Filters | None:
    """The filters of the period to compare with, or None when the data does not cover both."""
    return f.previous() if coverage(wh, f.period).comparable else None


# --------------------------------------------------------------------------- filter choices


@dataclass
class Choices:
    first_day: date | None
    last_day: date | None
    markets: dict[str, tuple[str, ...]]  # market -> the regions it has countries in
    categories: tuple[str, ...]
    regions: tuple[str, ...] = ()  # from the reference data, as the filters accept them


def choices(wh: Warehouse) -> Choices:
    """The values the filters offer: regions and markets from the reference data, categories from
    the contract."""
    first, last = wh.date_range()
    offered = markets(wh)
    return Choices(first, last, offered, CATEGORIES, regions_of(offered))


# --------------------------------------------------------------------------- overview


def daily_trends(daily: pl.DataFrame, measures: dict[str, str]) -> pl.DataFrame:
    """The daily series of `measures` (column: label) in long form (day, value, measure), in their order."""
    return (
        daily.unpivot(index="day", on=list(measures), variable_name="field", value_name="value")
        .with_columns(pl.col("field").replace_strict(measures).alias("measure"))
        .drop("field")
    )


def _share(num, den):
    return None if not den else num / den


def change(now, before) -> float | None:
    """Relative change against the previous period; None when there is nothing to compare with."""
    if now is None or not before:
        return None
    # float(): money may be Decimal and counts int; the ratio is shown, not summed.
    return (float(now) - float(before)) / float(before)


def revenue_by_region(wh: Warehouse, f: Filters) -> pl.DataFrame:
    return metric(wh, "revenue_by_region", f)


@checked
def headline(wh: Warehouse, f: Filters) -> dict:
    row = run(wh, "headline", f.params()).to_dicts()[0]
    revenue = revenue_by_region(wh, f)
    row["revenue_usd"] = float(revenue["total_revenue_usd"].sum()) if revenue.height else 0.0
    row["messaging_revenue_usd"] = float(revenue["messaging_revenue_usd"].sum()) if revenue.height else 0.0
    row["billable_messages"] = int(revenue["billable_messages"].sum()) if revenue.height else 0
    return row


def daily_revenue(wh: Warehouse, f: Filters) -> pl.DataFrame:
    return run(wh, "revenue_daily", f.params())


# --------------------------------------------------------------------------- spam reports


@dataclass
class SpamView:
    filters: Filters
    reports: pl.DataFrame  # the spam_reports metric: date, reason, reports
    baseline: pl.DataFrame  # date, reports, baseline, upper, far_above
    breakdown: pl.DataFrame  # dimension, value, reports, messages, reports_per_1000
    top_businesses: pl.DataFrame
    top_templates: pl.DataFrame
    previous: dict

    def by(self, dimension: str) -> pl.DataFrame:
        return self.breakdown.filter(pl.col("dimension") == dimension).drop("dimension").rename({"value": dimension})

    @property
    def total(self) -> dict:
        rows = self.by("all").to_dicts()
        return rows[0] if rows else {"reports": 0, "messages": 0, "reports_per_1000": None}

    @property
    def empty(self) -> bool:
        return self.reports.is_empty() and not self.total["messages"]


SPAM_TOTALS = ("reports", "messages", "reports_per_1000")


@checked
def spam_view(wh: Warehouse, f: Filters) -> SpamView:
    params = f.params(top=TOP, min_reports=BASELINE_MIN_REPORTS)
    earlier = comparison(wh, f)
    jobs = dict(
        reports=lambda: metric(wh, "spam_reports", f),
        baseline=lambda: run(wh, "spam_baseline", params),
        breakdown=lambda: run(wh, "spam_breakdown", params),
        top_businesses=lambda: run(wh, "spam_top_businesses", params),
        top_templates=lambda: run(wh, "spam_top_templates", params),
    )
    if earlier is not None:
        jobs["before"] = lambda: run(wh, "spam_breakdown", earlier.params())
    r = together(**jobs)
    previous = dict.fromkeys(SPAM_TOTALS)
    if earlier is not None:
        before = r.pop("before").filter(pl.col("dimension") == "all").to_dicts()
        previous = before[0] if before else {"reports": 0, "messages": 0, "reports_per_1000": None}
    r["top_templates"] = r["top_templates"].with_columns(pl.col("template").fill_null(NO_TEMPLATE))
    return SpamView(filters=f, **r, previous=previous)


# --------------------------------------------------------------------------- block rates and quality


@dataclass
class BlockView:
    filters: Filters
    settings: Settings
    businesses: pl.DataFrame  # the block_rates metric's columns first, then the page's
    reasons: pl.DataFrame
    ratings: pl.DataFrame  # day, rating, businesses (quality_day: every region)
    rating_day: date
    previous: dict

    @property
    def empty(self) -> bool:
        return self.businesses.is_empty() and self.reasons.is_empty()

    @property
    def total(self) -> dict:
        return _block_totals(self.businesses)


BLOCK_TOTALS = ("businesses", "reached_users", "blocking_users", "block_rate", "businesses_blocked", "low_rated")


def _block_totals(rates: pl.DataFrame) -> dict:
    reached = int(rates["reached_users"].sum()) if rates.height else 0
    blocking = int(rates["blocking_users"].sum()) if rates.height else 0
    return {
        "businesses": rates.height,
        "reached_users": reached,
        "blocking_users": blocking,
        "block_rate": _share(blocking, reached),
        "businesses_blocked": rates.filter(pl.col("blocking_users") > 0).height,
        "low_rated": rates.filter(pl.col("rating") == "LOW").height if "rating" in rates.columns else 0,
    }


def settings_of(wh: Warehouse) -> Settings:
    """The settings in force for this warehouse's data directory (thresholds a page states)."""
    return Settings.load(wh.root)


@checked
def block_view(wh: Warehouse, f: Filters, settings: Settings) -> BlockView:
    thresholds = quality_thresholds(settings)
    earlier = comparison(wh, f)
    jobs = dict(
        rates=lambda: metric(wh, "block_rates", f, settings),
        quality=lambda: metric(wh, "quality", f, settings),
        opt_outs=lambda: run(wh, "opt_out_rates", f.params()),
        ratings=lambda: run(wh, "ratings_by_day", f.params(**thresholds)),
        reasons=lambda: run(wh, "block_reasons", f.params()),
    )
    if earlier is not None:
        jobs["before"] = lambda: metric(wh, "block_rates", earlier, settings)
    r = together(**jobs)
    rates = r["rates"]
    if earlier is not None:
        before = r["before"].select(
            "business_id",
            pl.col("block_rate").alias("previous_block_rate"),
            pl.col("report_rate").alias("previous_report_rate"),
        )
        previous = _block_totals(r["before"])
    else:
        before = pl.DataFrame(
            schema={
                "business_id": rates.schema["business_id"],
                "previous_block_rate": rates.schema["block_rate"],
                "previous_report_rate": rates.schema["report_rate"],
            }
        )
        previous = dict.fromkeys(BLOCK_TOTALS)
    businesses = (
        rates.join(
            r["opt_outs"].select("business_id", "marketing_users", "opted_out_users", "opt_out_rate"),
            on="business_id",
            how="left",
        )
        .join(r["quality"].select("business_id", "negative_rate", "rating"), on="business_id", how="left")
        .join(before, on="business_id", how="left")
        .with_columns(
            (pl.col("block_rate") - pl.col("previous_block_rate")).alias("block_rate_change"),
            (pl.col("report_rate") - pl.col("previous_report_rate")).alias("report_rate_change"),
        )
        # The businesses to look at first: highest block rate, then most reached users.
        .sort("block_rate", "reached_users", "business_id", descending=[True, True, False], nulls_last=True)
    )
    reasons = r["reasons"].with_columns(pl.col("reason").fill_null(NO_REASON))
    return BlockView(f, settings, businesses, reasons, r["ratings"], f.period.date_to, previous)


# --------------------------------------------------------------------------- Status ads

AD_TOTALS = ("impressions", "reach", "frequency", "clicks", "ctr", "replies", "spend_usd", "cpm_usd")
AD_TRENDS = {
    "reach": "Reach (users that day)",
    "impressions": "Impressions",
    "clicks": "Clicks",
    "spend_usd": "Spend (USD)",
}


@dataclass
class AdsView:
    filters: Filters
    campaigns: pl.DataFrame  # the ad_reach metric, then business category
    breakdown: pl.DataFrame  # dimension (day, region, country, all), the ad_reach columns
    previous: dict

    def by(self, dimension: str) -> pl.DataFrame:
        keep = {"day": ["day"], "region": ["region"], "country": ["country", "region"], "all": []}[dimension]
        frame = self.breakdown.filter(pl.col("dimension") == dimension).select(*keep, *AD_TOTALS)
        return frame.sort("reach", *keep, descending=[True] + [False] * len(keep)) if dimension == "country" else frame

    @property
    def total(self) -> dict:
        rows = self.by("all").to_dicts()
        return rows[0] if rows else dict.fromkeys(AD_TOTALS)

    @property
    def empty(self) -> bool:
        return self.campaigns.is_empty()

    @property
    def trends(self) -> pl.DataFrame:
        """The daily series in long form (day, measure, value), in the order of AD_TRENDS."""
        return daily_trends(self.by("day"), AD_TRENDS)


@checked
def ads_view(wh: Warehouse, f: Filters) -> AdsView:
    earlier = comparison(wh, f)
    jobs = dict(
        campaigns=lambda: metric(wh, "ad_reach", f),
        businesses=lambda: run(wh, "names_of_businesses", {}),
        breakdown=lambda: run(wh, "ad_breakdown", f.params()),
    )
    if earlier is not None:
        jobs["before"] = lambda: run(wh, "ad_totals", earlier.params())
    r = together(**jobs)
    campaigns = (
        r["campaigns"]
        .join(r["businesses"], on="business_id", how="left")
        .with_columns(pl.col("category").fill_null("unknown"))
    )
    before = r["before"].to_dicts() if earlier is not None else []
    return AdsView(f, campaigns, r["breakdown"], before[0] if before else dict.fromkeys(AD_TOTALS))


# --------------------------------------------------------------------------- revenue


@dataclass
class RevenueView:
    filters: Filters
    by_region: pl.DataFrame  # the revenue_by_region metric's columns first, then the page's
    by_market: pl.DataFrame
    by_stream: pl.DataFrame
    daily: pl.DataFrame  # day, stream, revenue_usd, billable_messages
    current: dict
    previous: dict
    # What Meta billed beside the rate card, by country and category (`billed_vs_ratecard`).
    billed: pl.DataFrame = field(default_factory=pl.DataFrame)

    @property
    def empty(self) -> bool:
        return self.by_region.is_empty()


def _revenue_totals(by_region: pl.DataFrame, active: pl.DataFrame) -> dict:
    """Totals over the revenue_by_region metric's rows, so they add up to the table shown."""

    def total(column):
        return by_region[column].sum() if by_region.height else 0

    billable, messaging_usd = int(total("billable_messages")), float(total("messaging_revenue_usd"))
    businesses = active.filter(pl.col("dimension") == "all")["active_businesses"]
    businesses = int(businesses[0]) if businesses.len() else 0
    return {
        "billable_messages": billable,
        "messaging_revenue_usd": messaging_usd,
        "ad_revenue_usd": float(total("ad_revenue_usd")),
        "total_revenue_usd": float(total("total_revenue_usd")),
        "revenue_per_billable_message": _share(messaging_usd, billable),
        "active_businesses": businesses,
        "revenue_per_active_business": _share(messaging_usd, businesses),
    }


def _revenue_by(daily: pl.DataFrame, key: str) -> pl.DataFrame:
    return (
        daily.group_by(key)
        .agg(
            pl.col("billable_messages").sum(),
            pl.col("revenue_usd").filter(pl.col("stream") != "ads").sum().alias("messaging_revenue_usd"),
            pl.col("revenue_usd").filter(pl.col("stream") == "ads").sum().alias("ad_revenue_usd"),
        )
        .with_columns((pl.col("messaging_revenue_usd") + pl.col("ad_revenue_usd")).alias("total_revenue_usd"))
    )


def _per_message(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(
        pl.when(pl.col("billable_messages") > 0)
        .then(pl.col("messaging_revenue_usd") / pl.col("billable_messages"))
        .alias("revenue_per_billable_message"),
        pl.when(pl.col("active_businesses") > 0)
        .then(pl.col("messaging_revenue_usd") / pl.col("active_businesses"))
        .alias("revenue_per_active_business"),
        pl.when(pl.col("previous_total_revenue_usd") > 0)
        .then(pl.col("total_revenue_usd") / pl.col("previous_total_revenue_usd") - 1)
        .alias("total_revenue_change"),
    )


REVENUE_TOTALS = (
    "billable_messages",
    "messaging_revenue_usd",
    "ad_revenue_usd",
    "total_revenue_usd",
    "revenue_per_billable_message",
    "active_businesses",
    "revenue_per_active_business",
)


@checked
def revenue_view(wh: Warehouse, f: Filters) -> RevenueView:
    earlier = comparison(wh, f)
    r = with_previous(
        f,
        earlier,
        dict(
            regions=lambda g: revenue_by_region(wh, g),
            daily=lambda g: daily_revenue(wh, g),
            active=lambda g: run(wh, "active_businesses", g.params()),
        ),
        billed=lambda: billed_vs_ratecard(wh, f),
    )
    regions, daily, active = r["regions"], r["daily"], r["active"]
    # Without a fair comparison the previous frames are the current ones emptied: same columns, no
    # rows, so every "before" and "change" column is null.
    regions_before = r.get("regions_before", regions.clear())
    daily_before = r.get("daily_before", daily.clear())
    active_before = r.get("active_before", active.clear())

    def active_by(frame, dimension):
        return frame.filter(pl.col("dimension") == dimension).select(
            pl.col("value").alias(dimension), "active_businesses"
        )

    by_region = _per_message(
        regions.join(active_by(active, "region"), on="region", how="left")
        .join(
            regions_before.select("region", pl.col("total_revenue_usd").alias("previous_total_revenue_usd")),
            on="region",
            how="left",
        )
        .with_columns(pl.col("active_businesses").fill_null(0))
    )
    by_market = _per_message(
        _revenue_by(daily, "market")
        .join(active_by(active, "market"), on="market", how="left")
        .join(
            _revenue_by(daily_before, "market").select(
                "market", pl.col("total_revenue_usd").alias("previous_total_revenue_usd")
            ),
            on="market",
            how="left",
        )
        .with_columns(pl.col("active_businesses").fill_null(0))
    ).sort("total_revenue_usd", "market", descending=[True, False])
    by_stream = (
        daily.group_by("stream")
        .agg(pl.col("billable_messages").sum(), pl.col("revenue_usd").sum())
        .join(
            daily_before.group_by("stream").agg(pl.col("revenue_usd").sum().alias("previous_revenue_usd")),
            on="stream",
            how="left",
        )
        .with_columns(
            pl.when(pl.col("previous_revenue_usd") > 0)
            .then(pl.col("revenue_usd") / pl.col("previous_revenue_usd") - 1)
            .alias("revenue_change")
        )
        .sort(pl.col("stream").replace_strict({s: i for i, s in enumerate(STREAMS)}, default=len(STREAMS)))
    )
    trend = (
        daily.group_by("day", "stream")
        .agg(pl.col("revenue_usd").sum(), pl.col("billable_messages").sum())
        .sort("day", "stream")
    )
    previous = _revenue_totals(regions_before, active_before) if earlier is not None else dict.fromkeys(REVENUE_TOTALS)
    return RevenueView(
        f, by_region, by_market, by_stream, trend, _revenue_totals(regions, active), previous, r["billed"]
    )


# --------------------------------------------------------------------------- messaging health


@dataclass
class HealthView:
    filters: Filters
    responses: pl.DataFrame  # dimension (day, region, bucket, all), opened, answered_24h, share
    businesses: pl.DataFrame
    previous: dict
    categories: pl.DataFrame = field(default_factory=pl.DataFrame)

    def by(self, dimension: str) -> pl.DataFrame:
        keep = {"day": ["day"], "region": ["region"], "bucket": ["bucket"], "all": []}[dimension]
        return self.responses.filter(pl.col("dimension") == dimension).select(
            *keep, "opened", "answered_24h", "answered_24h_share"
        )

    @property
    def total(self) -> dict:
        return _health_totals(self.responses, self.businesses)

    @property
    def buckets(self) -> pl.DataFrame:
        order = {b: i for i, b in enumerate(RESPONSE_BUCKETS)}
        df = self.by("bucket")
        return df.sort(pl.col("bucket").replace_strict(order, default=len(order)))

    @property
    def empty(self) -> bool:
        return self.businesses.is_empty()


def _health_totals(responses: pl.DataFrame, businesses: pl.DataFrame) -> dict:
    rows = (
        responses.filter(pl.col("dimension") == "all").select("opened", "answered_24h", "answered_24h_share").to_dicts()
    )
    out = rows[0] if rows else {"opened": 0, "answered_24h": 0, "answered_24h_share": None}

    def total(column):
        return int(businesses[column].sum()) if businesses.height else 0

    outbound, freeform = total("outbound_messages"), total("freeform_outside")
    marketing, cold = total("marketing_messages"), total("cold_messages")
    return {
        **out,
        "outbound_messages": outbound,
        "freeform_outside": freeform,
        "freeform_outside_share": _share(freeform, outbound),
        "marketing_messages": marketing,
        "cold_messages": cold,
        "cold_share": _share(cold, marketing),
    }


def _by_category(businesses: pl.DataFrame) -> pl.DataFrame:
    sums = (
        "outbound_messages",
        "freeform_outside",
        "marketing_messages",
        "cold_messages",
        "windows_opened",
        "answered_24h",
    )
    return (
        businesses.group_by("category")
        .agg(pl.len().alias("businesses"), *[pl.col(c).sum() for c in sums])
        .with_columns(
            pl.when(pl.col("outbound_messages") > 0)
            .then(pl.col("freeform_outside") / pl.col("outbound_messages"))
            .alias("freeform_outside_share"),
            pl.when(pl.col("marketing_messages") > 0)
            .then(pl.col("cold_messages") / pl.col("marketing_messages"))
            .alias("cold_share"),
            pl.when(pl.col("windows_opened") > 0)
            .then(pl.col("answered_24h") / pl.col("windows_opened"))
            .alias("answered_24h_share"),
        )
        .sort("freeform_outside", "category", descending=[True, False])
    )


HEALTH_TOTALS = (
    "opened",
    "answered_24h",
    "answered_24h_share",
    "outbound_messages",
    "freeform_outside",
    "freeform_outside_share",
    "marketing_messages",
    "cold_messages",
    "cold_share",
)


@checked
def health_view(wh: Warehouse, f: Filters) -> HealthView:
    earlier = comparison(wh, f)
    r = with_previous(
        f,
        earlier,
        dict(
            businesses=lambda g: run(wh, "outreach", g.params()),
            responses=lambda g: run(wh, "response_times", g.params()),
        ),
    )
    previous = (
        _health_totals(r["responses_before"], r["businesses_before"])
        if earlier is not None
        else dict.fromkeys(HEALTH_TOTALS)
    )
    return HealthView(
        filters=f,
        responses=r["responses"],
        businesses=r["businesses"],
        previous=previous,
        categories=_by_category(r["businesses"]),
    )


def billed_vs_ratecard(wh: Warehouse, f: Filters) -> pl.DataFrame:
    """What Meta billed (a loaded `pricing_analytics` response) beside TrustDesk's rate-card revenue
    of the period, by country and category: country, category, billable_messages, ratecard_usd,
    billed_volume, billed_usd, difference_usd (billed - rate card). Empty when nothing billed
    was loaded for the period."""
    if not has_table(wh, "billed_pricing"):
        return pl.DataFrame(schema={"country": pl.String, "category": pl.String})
    rows = run(wh, "billed_vs_ratecard", {"date_from": f.period.date_from, "date_to": f.period.date_to})
    return rows if rows.height and rows["billed_volume"].sum() else rows.clear()
