"""An independent reading of docs/metrics.md in Polars, straight from the CSV files.

Used as the oracle for the SQL metrics: it shares no code with etl/ or trustdesk/warehouse/sql/. Money is a
decimal here too (docs/log-format.md): amounts are read as exact decimals and summed exactly, so the
metric tables can be compared to the last digit; ratios (CPM) are floats.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

MONEY = pl.Decimal(38, 9)  # wide enough for any amount the log format's files hold exactly


def _ts(col: str) -> pl.Expr:
    """ISO 8601 with or without offset (naive = UTC), or Unix seconds -> naive UTC datetime."""
    s = pl.col(col).str.strip_chars()
    epoch = pl.from_epoch(s.cast(pl.Int64, strict=False), time_unit="s")
    iso = (
        s.str.replace(r"([+-]\d\d)(\d\d)$", "$1:$2")
        .str.replace(r"[zZ]$", "+00:00")
        .str.replace(r"^(\d{4}-\d\d-\d\d)[ tT]", "${1}T")
    )
    with_tz = (
        iso.str.to_datetime("%Y-%m-%dT%H:%M:%S%:z", strict=False, time_unit="us")
        .dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None)
    )
    naive = iso.str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False, time_unit="us")
    return (
        pl.when(s.str.contains(r"^-?\d+$")).then(epoch.cast(pl.Datetime("us"))).otherwise(pl.coalesce(with_tz, naive))
    )


def read(world: Path, kind: str, ts: str | None) -> pl.DataFrame:
    files = sorted(world.glob(f"{kind}*.csv"))
    frames = []
    for f in files:
        df = pl.read_csv(f, infer_schema=False)
        df = df.rename({c: c.strip().lower().lstrip("\ufeff") for c in df.columns})
        frames.append(df)
    if not frames:
        return pl.DataFrame()
    df = pl.concat(frames, how="diagonal")
    if ts:
        df = df.with_columns(_ts(ts).alias(ts))
    return df


class Reference:
    def __init__(self, world: Path, markets: Path, rate_card: Path):
        key = {"messages": "message_id", "reports": "report_id", "blocks": "block_id", "ad_events": "event_id"}
        self.messages = (
            read(world, "messages", "sent_at")
            .unique("message_id", keep="first")
            .with_columns(
                pl.col("user_country").str.to_uppercase(),
                pl.col("direction").str.to_lowercase(),
                pl.col("category").str.to_lowercase(),
                pl.col("status").str.to_lowercase(),
            )
        )
        self.reports = read(world, "reports", "reported_at").unique(key["reports"], keep="first")
        self.blocks = read(world, "blocks", "blocked_at").unique(key["blocks"], keep="first")
        self.ads = (
            read(world, "ad_events", "occurred_at")
            .unique(key["ad_events"], keep="first")
            .with_columns(
                pl.col("user_country").str.to_uppercase(),
                pl.col("event").str.to_lowercase(),
                pl.col("cost_usd").str.strip_chars().cast(MONEY).fill_null(0),
            )
        )
        self.markets = pl.read_csv(markets, infer_schema=False)
        self.rates = pl.read_csv(rate_card, infer_schema=False).with_columns(
            pl.col("price_usd").str.strip_chars().cast(MONEY), pl.col("effective_from").str.to_date()
        )
        region = dict(zip(self.markets["country"], self.markets["region"]))
        self.region_of = lambda c: region.get(c, "Other")
        m_latest = self.messages.sort(["sent_at", "message_id"]).group_by("user_id").agg(pl.col("user_country").last())
        a_latest = self.ads.sort(["occurred_at", "event_id"]).group_by("user_id").agg(pl.col("user_country").last())
        self.user_country = {
            **dict(zip(a_latest["user_id"], a_latest["user_country"])),
            **dict(zip(m_latest["user_id"], m_latest["user_country"])),
        }

    def user_region(self, user: str) -> str:
        c = self.user_country.get(user)
        return self.region_of(c) if c else "Other"

    @staticmethod
    def _in(df: pl.DataFrame, col: str, d_from: date, d_to: date) -> pl.DataFrame:
        lo = datetime(d_from.year, d_from.month, d_from.day)
        hi = datetime(d_to.year, d_to.month, d_to.day) + timedelta(days=1)
        return df.filter((pl.col(col) >= lo) & (pl.col(col) < hi))

    def _msg_region(self, df, region):
        if region is None:
            return df
        return df.filter(pl.col("user_country").map_elements(self.region_of, return_dtype=pl.String) == region)

    def _fb_region(self, df, region):
        if region is None:
            return df
        return df.filter(pl.col("user_id").map_elements(self.user_region, return_dtype=pl.String) == region)

    def block_rates(self, d_from, d_to, region=None) -> pl.DataFrame:
        out = self._msg_region(self._in(self.messages, "sent_at", d_from, d_to), region).filter(
            (pl.col("direction") == "outbound") & (pl.col("status") != "failed")
        )
        reached = out.group_by("business_id").agg(
            pl.col("user_id").n_unique().alias("reached_users"), pl.len().alias("ok")
        )
        blocks = (
            self._fb_region(self._in(self.blocks, "blocked_at", d_from, d_to), region)
            .group_by("business_id")
            .agg(pl.col("user_id").n_unique().alias("blocking_users"))
        )
        reports = (
            self._fb_region(self._in(self.reports, "reported_at", d_from, d_to), region)
            .group_by("business_id")
            .agg(pl.len().alias("reports"))
        )
        df = reached.join(blocks, on="business_id", how="left").join(reports, on="business_id", how="left").fill_null(0)
        return df.select(
            "business_id",
            "reached_users",
            "blocking_users",
            (pl.col("blocking_users") / pl.col("reached_users")).alias("block_rate"),
            "reports",
            (pl.col("reports") / pl.col("ok") * 1000).alias("report_rate"),
        ).sort("business_id")

    def ad_reach(self, d_from, d_to, region=None) -> pl.DataFrame:
        ev = self._msg_region(self._in(self.ads, "occurred_at", d_from, d_to), region)
        df = ev.group_by("campaign_id").agg(
            (pl.col("event") == "impression").sum().alias("impressions"),
            pl.col("user_id").filter(pl.col("event") == "impression").n_unique().alias("reach"),
            (pl.col("event") == "click").sum().alias("clicks"),
            (pl.col("event") == "reply").sum().alias("replies"),
            pl.col("cost_usd").sum().alias("spend_usd"),
        )
        nz = lambda num, den: pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den))  # noqa: E731
        return df.select(
            "campaign_id",
            "impressions",
            "reach",
            nz("impressions", "reach").alias("frequency"),
            "clicks",
            nz("clicks", "impressions").alias("ctr"),
            "replies",
            "spend_usd",
            pl.when(pl.col("impressions") > 0)
            .then(pl.col("spend_usd").cast(pl.Float64) * 1000 / pl.col("impressions"))
            .alias("cpm_usd"),
        ).sort("campaign_id")

    def spam_reports(self, d_from, d_to, region=None) -> pl.DataFrame:
        r = self._fb_region(self._in(self.reports, "reported_at", d_from, d_to), region)
        return (
            r.group_by(pl.col("reported_at").dt.date().alias("date"), pl.col("reason").str.to_lowercase())
            .agg(pl.len().alias("reports"))
            .sort("date", "reason")
        )

    def revenue_by_region(self, d_from, d_to, region=None) -> pl.DataFrame:
        m = self.messages.sort("sent_at")
        inbound = m.filter(pl.col("direction") == "inbound").select(
            "business_id", "user_id", pl.col("sent_at").alias("t")
        )
        out = self._in(m, "sent_at", d_from, d_to).filter(pl.col("direction") == "outbound")
        # inside the CSW: the latest inbound at or before s is less than 24 h before it
        last_in = out.sort("sent_at").join_asof(
            inbound.sort("t"),
            left_on="sent_at",
            right_on="t",
            by=["business_id", "user_id"],
            strategy="backward",
            check_sortedness=False,
        )
        last_in = last_in.with_columns(
            (pl.col("t").is_not_null() & (pl.col("sent_at") < pl.col("t") + timedelta(hours=24))).alias("inside")
        )
        bill = last_in.filter(
            pl.col("category").is_in(["marketing", "utility", "authentication"])
            & pl.col("status").is_in(["delivered", "read"])
            & ~((pl.col("category") == "utility") & pl.col("inside"))
        )
        bill = self._msg_region(bill, region)
        market = dict(zip(self.markets["country"], self.markets["market"]))
        bill = bill.with_columns(
            pl.col("user_country")
            .map_elements(lambda c: market.get(c, "Other"), return_dtype=pl.String)
            .alias("market"),
            pl.col("user_country").map_elements(self.region_of, return_dtype=pl.String).alias("region"),
            pl.col("sent_at").dt.date().alias("day"),
        )
        priced = (
            bill.sort("day")
            .join_asof(
                self.rates.sort("effective_from"),
                left_on="day",
                right_on="effective_from",
                by=["market", "category"],
                strategy="backward",
                check_sortedness=False,
            )
            .with_columns(pl.col("price_usd").fill_null(0))
        )
        msg = priced.group_by("region").agg(
            pl.len().alias("billable_messages"), pl.col("price_usd").sum().alias("messaging_revenue_usd")
        )
        ads = (
            self._msg_region(self._in(self.ads, "occurred_at", d_from, d_to), region)
            .with_columns(pl.col("user_country").map_elements(self.region_of, return_dtype=pl.String).alias("region"))
            .group_by("region")
            .agg(pl.col("cost_usd").sum().alias("ad_revenue_usd"))
        )
        df = msg.join(ads, on="region", how="full", coalesce=True).fill_null(0)
        return df.select(
            "region",
            "billable_messages",
            "messaging_revenue_usd",
            "ad_revenue_usd",
            (pl.col("messaging_revenue_usd") + pl.col("ad_revenue_usd")).alias("total_revenue_usd"),
        ).sort("region")

    def quality(self, day: date, region=None, min_reached=50, medium=0.02, low=0.05) -> pl.DataFrame:
        d_from = day - timedelta(days=6)
        br = self.block_rates(d_from, day, region).select("business_id", "reached_users")
        neg = (
            pl.concat(
                [
                    self._fb_region(self._in(self.blocks, "blocked_at", d_from, day), region).select(
                        "business_id", "user_id"
                    ),
                    self._fb_region(self._in(self.reports, "reported_at", d_from, day), region).select(
                        "business_id", "user_id"
                    ),
                ]
            )
            .group_by("business_id")
            .agg(pl.col("user_id").n_unique().alias("negative_users"))
        )
        df = br.join(neg, on="business_id", how="full", coalesce=True).fill_null(0)
        rate = pl.col("negative_users") / pl.col("reached_users")
        return df.select(
            "business_id",
            "reached_users",
            "negative_users",
            pl.when(pl.col("reached_users") > 0).then(rate).alias("negative_rate"),
            pl.when(pl.col("reached_users") < min_reached)
            .then(pl.lit("UNKNOWN"))
            .when(rate < medium)
            .then(pl.lit("HIGH"))
            .when(rate < low)
            .then(pl.lit("MEDIUM"))
            .otherwise(pl.lit("LOW"))
            .alias("rating"),
        ).sort("business_id")
