"""The review queue: risk signals per business and day, a score, and reasons in words and numbers.

Each day D of the look-back is judged on the trailing windows up to it (`risk_signals.sql`): the
risk window (`risk_window_days`, 7 by default), LONG_DAYS of steady evidence, and the business's
own BASELINE_DAYS before the risk window. Every threshold is relative to the data:

- **Peers.** A business's report and block rates are compared with its category's typical rates
  that day (the interquartile mean of the per-business rates of the businesses with enough data,
  so that the bad actors do not raise the bar; a category with fewer than PEERS_MIN of them uses
  everyone's).
- **Uncertainty.** A rate is judged by a 95% lower bound of it, shrunk toward the category with
  one pseudo-event at the peers' rate (`lower_ratio`): two reports on a tiny base prove little,
  a steady excess on a large base proves a lot. `excess` is log2 of that lower bound over the
  peers' rate (1 = at least twice the peers, confidently); `surprise` is the variance-stabilised
  z-score of the counts against what the peers' rate predicts.
- **Own history.** The risk window against the business's own baseline (with enough history:
  MIN_HISTORY_DAYS active days), with the same lower bound: a sudden change (a takeover).
- **Campaigns.** Accounts that send the same texts to overlapping recipients
  (trustdesk/moderation/campaigns.py) are judged together: their pooled counts against peers.
- **Traffic.** The share of outbound that is marketing to users who never wrote first (cold);
  it counts only with a surprise in the feedback, so legitimate senders to opted-in audiences
  stay out. Free-form outside the 24 h window, political bursts and what the platform itself
  said (`platform_events`) add to it.

`POINTS` says how much each can add to the score (0-100: the points bent under 100); a business is flagged on a day when its
score reaches `risk_flag_score` and its queue score is its highest flagged day. Rates, never
absolute counts, make the score, so a very large sender with many reports but typical rates stays
out. `learning.py` can re-rank the flagged businesses from moderators' decisions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

from etl.settings import Settings
from trustdesk.analytics.metrics import Period, compute
from trustdesk.moderation import campaigns as campaign_finder
from trustdesk.warehouse import Warehouse, has_table, run

MIN_MESSAGES = 50  # outbound messages in the window before report rates mean anything
LONG_DAYS = 28  # the steady window
BASELINE_DAYS = 28  # the business's own days before the risk window (risk_signals.sql)
MIN_HISTORY_DAYS = 14  # active days in the baseline before a change against it is judged
PEERS_MIN = 8
CANDIDATE_SURPRISE = 0.5  # who can be part of a campaign: feedback this far above peers on some day,
CANDIDATE_COLD = 0.25  # or this share of its messages cold marketing
PEER_TRIM = 0.1
Z95 = 1.645
POLITICAL_MIN_REPORTS = 5
POLITICAL_CONCENTRATION = 0.8

# (feature, points at full strength, where it starts to count, where it counts fully)
POINTS = (
    ("peer_excess", 45.0, 0.0, 3.0),  # log2 of the lower bound of rate / peers' rate (3 = 8x)
    ("history_change", 55.0, 1.0, 3.0),  # log2 of the lower bound of rate / own baseline (from 2x)
    # log2 of the lower bound of a campaign's pooled rates over its accounts' peers (1 = 2x): a rate,
    # so that a large chain sharing texts and customers at a modest 1.3x does not add up by volume
    ("campaign_excess", 50.0, 0.0, 1.0),
    # a campaign's pooled share of cold marketing, as far as its pooled feedback is above peers
    ("campaign_cold", 30.0, 0.0, 1.0),
    ("political_burst", 30.0, 0.0, 1.0),
    ("platform", 25.0, 0.0, 1.0),  # the platform found fault (violations, downgrades to RED)
    ("freeform_outside_share", 10.0, 0.0, 0.1),
)
SATURATION = 40 / math.log(1 / 0.6)  # 40 points score 40; 100 score 72, 200 score 92
COLD_POINTS = 50.0  # x cold share x how surprising the feedback is (ramp of surprise over 0..2)

# The numeric columns of a business-day row (and of the queue's rows, at their peak day) that a
# model learns from (trustdesk.moderation.learning): the strengths of the signals, each >= 0.
FEATURES = (
    "peer_excess",
    "surprise",
    "cold_share",
    "history_change",
    "campaign_surprise",
    "campaign_excess",
    "campaign_cold",
    "political_burst",
    "platform",
    "freeform_outside_share",
    "opt_out_rate",
)


def _ramp(expr: pl.Expr, lo: float, hi: float) -> pl.Expr:
    return ((expr - lo) / (hi - lo)).clip(0.0, 1.0).fill_null(0.0).fill_nan(0.0)


def _ratio(num: str, den: str) -> pl.Expr:
    return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).otherwise(None)


def lower_ratio(events: pl.Expr, exposure: pl.Expr, rate: pl.Expr) -> pl.Expr:
    """A 95% lower bound of (events / exposure) / rate, the events shrunk toward `rate` with one
    pseudo-event: (sqrt(x + 1) - z/2)^2 / (n + 1/rate), the square-root approximation of the
    Poisson bound."""
    root = ((events.cast(pl.Float64) + 1).sqrt() - Z95 / 2).clip(0.0, None)
    return (root * root / (exposure.cast(pl.Float64) + 1 / rate) / rate).fill_null(0.0).fill_nan(0.0)


def excess(events: pl.Expr, exposure: pl.Expr, rate: pl.Expr) -> pl.Expr:
    """log2 of the lower-bound ratio, 0 when the bound is not above the reference rate."""
    return lower_ratio(events, exposure, rate).clip(1.0, None).log(2)


def surprise(events: pl.Expr, exposure: pl.Expr, rate: pl.Expr) -> pl.Expr:
    """How many standard deviations the events lie above what `rate` predicts (Anscombe's
    variance-stabilised Poisson z), 0 at or below."""
    expected = exposure.cast(pl.Float64) * rate
    z = 2 * ((events.cast(pl.Float64) + 0.375).sqrt() - (expected + 0.375).sqrt())
    return z.clip(0.0, None).fill_null(0.0).fill_nan(0.0)


def signals(
    wh: Warehouse, as_of: date, lookback: int, settings: Settings, campaigns: list | None = None
) -> pl.DataFrame:
    """One row per business and day with its windows' rates, features and score (0-100); the
    coordinated campaigns found on the way are appended to `campaigns` when given."""
    window = settings.risk_window_days
    df = run(wh, "risk_signals", as_of=as_of, lookback=lookback, window=window, long=max(LONG_DAYS, window))
    if df.is_empty():
        return df
    df = df.with_columns(
        (_ratio("reports", "outbound_ok") * 1000).alias("report_rate"),
        _ratio("blocking_users", "reached_users").alias("block_rate"),
        _ratio("unsolicited", "outbound").alias("unsolicited_share"),
        _ratio("cold_marketing", "marketing").alias("cold_marketing_share"),
        _ratio("long_cold_marketing", "long_outbound").fill_null(0.0).alias("cold_share"),
        _ratio("freeform_outside", "outbound").fill_null(0.0).alias("freeform_outside_share"),
        _ratio("opt_outs", "reached_users").fill_null(0.0).alias("opt_out_rate"),
        (_ratio("long_reports", "long_outbound_ok") * 1000).alias("long_report_rate"),
        (_ratio("long_blocks", "long_outbound_ok") * 1000).alias("long_block_rate"),
        (_ratio("base_reports", "base_outbound_ok") * 1000).alias("base_report_rate"),
        (_ratio("base_blocks", "base_outbound_ok") * 1000).alias("base_block_rate"),
        (
            (pl.col("reports_political") >= POLITICAL_MIN_REPORTS)
            & (pl.col("top_country_political") >= POLITICAL_CONCENTRATION * pl.col("reports_political"))
        )
        .cast(pl.Float64)
        .alias("political_burst"),
        # peers are the businesses whose window rates mean something on their own; any business
        # with MIN_MESSAGES in the steady window is judged, its bound saying how sure
        ((pl.col("reached_users") >= settings.quality_min_reached) & (pl.col("outbound_ok") >= MIN_MESSAGES)).alias(
            "peer_eligible"
        ),
        ((pl.col("long_outbound_ok") >= MIN_MESSAGES) & (pl.col("outbound") > 0)).alias("enough_data"),
    )
    df = df.with_columns(pl.lit(wh.date_range()[0], pl.Date).alias("data_from"))
    df = df.join(_peers(df), on=["day", "category"], how="left").with_columns(
        # the risk window is judged against the typical rates of the steady window, per message:
        # seven days hold too few reports and blocks for a typical business to make a stable median
        pl.col("peer_long_report").alias("peer_report"),
        pl.col("peer_long_block").alias("peer_block"),
    )
    df = _judged(df)
    df = _with_campaigns(wh, df, as_of, lookback, settings, campaigns)
    df = _with_platform(wh, df, as_of, lookback, window)
    return _scored(df)


_PEER_RATES = {  # peer column: (events, exposure) of the business, per message unless said
    "peer_long_report": ("long_reports", "long_outbound_ok"),
    "peer_long_block": ("long_blocks", "long_outbound_ok"),
}


def _iqm(r: pl.Expr) -> pl.Expr:
    """The interquartile mean: the mean of the middle half of the rates. As robust to a few bad
    actors as the median, and not stuck on the few values small counts take (2 or 3 reports)."""
    return r.filter((r >= r.quantile(0.25, "lower")) & (r <= r.quantile(0.75, "higher"))).mean()


def _peers(df: pl.DataFrame) -> pl.DataFrame:
    """Per day and category, the typical rate of each kind: the interquartile mean of the
    per-business rates of the businesses with enough data (where most have none, the mean leaving
    out the top PEER_TRIM of them), so that a few bad actors do not raise the bar; where a category has
    fewer than PEERS_MIN such businesses that day, every category's. Never zero: at least a
    tenth of the day's rate over everyone, and one event over everyone's exposure."""
    base = df.filter(pl.col("peer_eligible"))
    rates = {name: (pl.col(n) / pl.col(d)) for name, (n, d) in _PEER_RATES.items()}

    def trimmed(keys: list[str]) -> pl.DataFrame:
        return base.group_by(keys).agg(
            pl.len().alias("peers"),
            *[
                pl.when(_iqm(r) > 0)
                .then(_iqm(r))
                .otherwise(r.filter(r <= r.quantile(1 - PEER_TRIM, "higher")).mean())
                .alias(name)
                for name, r in ((name, r.fill_nan(None)) for name, r in rates.items())
            ],
        )

    by_cat = trimmed(["day", "category"])
    overall = trimmed(["day"]).rename({name: f"all_{name}" for name in _PEER_RATES}).drop("peers")
    floors = df.group_by("day").agg(
        *[(1 / pl.col(d).sum().clip(1, None)).alias(f"floor_{name}") for name, (_, d) in _PEER_RATES.items()],
        *[
            (pl.col(n).sum() / pl.col(d).sum().clip(1, None) / 10).alias(f"pool_{name}")
            for name, (n, d) in _PEER_RATES.items()
        ],
    )
    cats = df.select("day", "category").unique()
    out = (
        cats.join(by_cat, on=["day", "category"], how="left")
        .join(overall, on="day", how="left")
        .join(floors, on="day", how="left")
        .with_columns((pl.col("peers").fill_null(0) >= PEERS_MIN).alias("has_peers"))
    )
    return out.select(
        "day",
        "category",
        "has_peers",
        *[
            pl.max_horizontal(
                pl.when(pl.col("has_peers")).then(pl.col(name)).otherwise(pl.col(f"all_{name}")).fill_null(0.0),
                pl.col(f"pool_{name}"),
                pl.col(f"floor_{name}"),
            ).alias(name)
            for name in _PEER_RATES
        ],
    )


def _judged(df: pl.DataFrame) -> pl.DataFrame:
    """The features against peers and against the business's own history."""
    col = pl.col
    # the baseline's own rate, never zero: half an event added (not the peers' rate, which would
    # swamp a small baseline and compare the business with its peers again)
    base_report = (col("base_reports") + 0.5) / col("base_outbound_ok").clip(1, None)
    base_block = (col("base_blocks") + 0.5) / col("base_outbound_ok").clip(1, None)
    history = (col("base_days") >= MIN_HISTORY_DAYS) & (col("base_outbound_ok") >= MIN_MESSAGES)
    df = df.with_columns(
        x_report=lower_ratio(col("reports"), col("outbound_ok"), col("peer_report")),
        x_block=lower_ratio(col("blocks"), col("outbound_ok"), col("peer_block")),
        x_long_report=lower_ratio(col("long_reports"), col("long_outbound_ok"), col("peer_long_report")),
        x_long_block=lower_ratio(col("long_blocks"), col("long_outbound_ok"), col("peer_long_block")),
        h_report=pl.when(history).then(lower_ratio(col("reports"), col("outbound_ok"), base_report)),
        h_block=pl.when(history).then(lower_ratio(col("blocks"), col("outbound_ok"), base_block)),
    )
    return df.with_columns(
        pl.max_horizontal(
            excess(col("reports"), col("outbound_ok"), col("peer_report")),
            excess(col("blocks"), col("outbound_ok"), col("peer_block")),
            excess(col("long_reports"), col("long_outbound_ok"), col("peer_long_report")),
            excess(col("long_blocks"), col("long_outbound_ok"), col("peer_long_block")),
        ).alias("peer_excess"),
        pl.max_horizontal(
            (
                surprise(col("reports"), col("outbound_ok"), col("peer_report"))
                + surprise(col("blocks"), col("outbound_ok"), col("peer_block"))
            )
            / math.sqrt(2),
            (
                surprise(col("long_reports"), col("long_outbound_ok"), col("peer_long_report"))
                + surprise(col("long_blocks"), col("long_outbound_ok"), col("peer_long_block"))
            )
            / math.sqrt(2),
        ).alias("surprise"),
        pl.when(history)
        .then(
            pl.max_horizontal(
                excess(col("reports"), col("outbound_ok"), base_report),
                excess(col("blocks"), col("outbound_ok"), base_block),
            )
        )
        .otherwise(0.0)
        .alias("history_change"),
    )


def campaign_period(as_of: date, lookback: int, settings: Settings) -> tuple[date, date]:
    """The days campaigns are looked for over: the look-back and the steady window before it."""
    return as_of - timedelta(days=lookback + max(LONG_DAYS, settings.risk_window_days) - 1), as_of


def _with_campaigns(
    wh: Warehouse, df: pl.DataFrame, as_of: date, lookback: int, settings: Settings, found_out: list | None
) -> pl.DataFrame:
    """Each campaign's pooled counts against its accounts' peers, on every account's rows. Only
    businesses out of the ordinary on some day (feedback above their peers', or CANDIDATE_COLD of
    their messages cold marketing) can be part of one."""
    candidates = set(
        df.filter((pl.col("surprise") >= CANDIDATE_SURPRISE) | (pl.col("cold_share") >= CANDIDATE_COLD))[
            "business_id"
        ].unique()
    )
    found = campaign_finder.find(wh, *campaign_period(as_of, lookback, settings), candidates) if candidates else []
    if found_out is not None:
        found_out.extend(found)
    members = campaign_finder.members(found)
    df = df.join(members, on="business_id", how="left")
    if members.is_empty():
        return df.with_columns(
            pl.lit(0.0).alias("campaign_surprise"),
            pl.lit(0.0).alias("campaign_excess"),
            pl.lit(0.0).alias("campaign_cold"),
            pl.lit(None, pl.Float64).alias("campaign_cold_share"),
            pl.lit(None, pl.Float64).alias("campaign_ratio"),
        )
    col = pl.col
    pooled = (
        df.filter(col("campaign_id").is_not_null())
        .group_by("campaign_id", "day")
        .agg(
            col("long_reports").sum().alias("c_reports"),
            col("long_blocks").sum().alias("c_blocks"),
            col("long_outbound_ok").sum().alias("c_ok"),
            (col("long_cold_marketing").sum() / col("long_outbound").sum().clip(1, None)).alias("c_cold"),
            (
                (col("peer_long_report") * col("long_outbound_ok")).sum() / col("long_outbound_ok").sum().clip(1, None)
            ).alias("c_peer_report"),
            (
                (col("peer_long_block") * col("long_outbound_ok")).sum() / col("long_outbound_ok").sum().clip(1, None)
            ).alias("c_peer_block"),
        )
        .with_columns(
            (
                (
                    surprise(col("c_reports"), col("c_ok"), col("c_peer_report"))
                    + surprise(col("c_blocks"), col("c_ok"), col("c_peer_block"))
                )
                / math.sqrt(2)
            ).alias("campaign_surprise"),
            pl.max_horizontal(
                lower_ratio(col("c_reports"), col("c_ok"), col("c_peer_report")),
                lower_ratio(col("c_blocks"), col("c_ok"), col("c_peer_block")),
            ).alias("campaign_ratio"),
        )
        .with_columns(col("campaign_ratio").clip(1.0, None).log(2).alias("campaign_excess"))
        .with_columns((col("c_cold") * _ramp(col("campaign_surprise"), 0.0, 1.0)).alias("campaign_cold"))
        .rename({"c_cold": "campaign_cold_share"})
        .select(
            "campaign_id",
            "day",
            "campaign_surprise",
            "campaign_ratio",
            "campaign_excess",
            "campaign_cold",
            "campaign_cold_share",
        )
    )
    return df.join(pooled, on=["campaign_id", "day"], how="left").with_columns(
        col("campaign_surprise").fill_null(0.0),
        col("campaign_excess").fill_null(0.0),
        col("campaign_cold").fill_null(0.0),
    )


def _with_platform(wh: Warehouse, df: pl.DataFrame, as_of: date, lookback: int, window: int) -> pl.DataFrame:
    if has_table(wh, "platform_events"):
        said = run(wh, "risk_platform", as_of=as_of, lookback=lookback, window=window)
    else:
        said = pl.DataFrame(schema={"business_id": pl.String, "day": pl.Date, "platform_faults": pl.Int64})
    if "platform_said" not in said.columns:
        said = said.with_columns(pl.lit(None, pl.String).alias("platform_said"))
    return df.join(said, on=["business_id", "day"], how="left").with_columns(
        (pl.col("platform_faults").fill_null(0) > 0).cast(pl.Float64).alias("platform")
    )


def _scored(df: pl.DataFrame) -> pl.DataFrame:
    """Each feature's points (`pts_<feature>`, `pts_cold`), and the score: their sum bent under 100
    (100 x (1 - exp(-points / SATURATION))), equal to the points at 40, so that strong cases stay
    ordered instead of tying at a cap."""
    points = {f"pts_{name}": w * _ramp(pl.col(name), lo, hi) for name, w, lo, hi in POINTS}
    points["pts_cold"] = COLD_POINTS * pl.col("cold_share") * _ramp(pl.col("surprise"), 0.0, 2.0)
    df = df.with_columns(**points)
    score = 100 * (1 - (-pl.sum_horizontal(list(points)) / SATURATION).exp())
    return df.with_columns(pl.when(pl.col("enough_data")).then(score).otherwise(0.0).alias("risk_score"))


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.1f}%"


def span(first: date, last: date) -> str:
    """A range of days as people write it: 16–22 Sep 2026, 28 Aug – 3 Sep 2026."""
    if first == last:
        return f"{last.day} {last:%b %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


def evidence_window(day: date, settings: Settings) -> tuple[date, date]:
    """The days a flag on `day` rests on: the steady window, which holds the risk window (the
    baseline before it is named in the reasons)."""
    return window_of(day, max(LONG_DAYS, settings.risk_window_days))


def window_of(day: date, window_days: int) -> tuple[date, date]:
    """The trailing window a day is judged on (as risk_signals.sql sums it)."""
    return day - timedelta(days=window_days - 1), day


# What the queue can be filtered by: each signal of a flag, in the words the filter shows.
SIGNALS = {
    "reports": "Spam reports",
    "blocks": "Blocks",
    "unsolicited": "Marketing to users who never wrote first",
    "history": "A change against its own history",
    "campaign": "Part of a coordinated campaign",
    "platform": "The platform found fault",
    "outside_window": "Free-form outside the 24 h window",
    "political_burst": "Burst of political reports",
}


def _times(ratio: float) -> str:
    return f"{ratio:.1f}x" if ratio < 10 else f"{ratio:,.0f}x"


def _per_1000(events: int, exposure: int) -> str:
    return f"{events / exposure * 1000:.1f}" if exposure else "n/a"


def _rate_words(events: int, exposure: int, rate: float | None) -> str:
    return f"{events:,} per {exposure:,} messages ({(rate or 0):.1f} per 1,000)"


def _days_words(day: date, days: int, data_from: date | None) -> str:
    """'the 7 days 16–22 Sep 2026', cut at the first day of the data ('the 5 days ...')."""
    first, last = window_of(day, days)
    if data_from and first < data_from <= last:
        first = data_from
    return f"the {(last - first).days + 1:,} days {span(first, last)}"


def _signals(row: dict, window_days: int = 7) -> list[tuple[float, str, str]]:
    """The signals behind a flag as (points, signal, words), strongest first: the one place the
    reasons live (the reasons text and the signal filter both read it). Each says its period."""
    parts: list[tuple[float, str, str]] = []
    day = row.get("day")
    cat = (row.get("category") or "unknown") if row.get("has_peers") else "all businesses"
    data_from = row.get("data_from")
    short = _days_words(day, window_days, data_from) if isinstance(day, date) else "the window"
    steady = _days_words(day, max(LONG_DAYS, window_days), data_from) if isinstance(day, date) else "the steady window"
    peer_pts = row.get("pts_peer_excess") or 0.0
    if peer_pts >= 1:
        # the strongest of the four comparisons with peers says it
        top_n, top = _top_report_kind(row)  # of the risk window's reports: said with that window only
        kind_of = f", {top_n / max(row['reports'], 1):.0%} {top}" if top_n else ""
        options = [
            (
                row.get("x_report"),
                "reports",
                f"reports over {short}: {_rate_words(row['reports'], row['outbound_ok'], row['report_rate'])}{kind_of} vs {(row.get('peer_report') or 0) * 1000:.2f} per 1,000 for {cat}",
            ),
            (
                row.get("x_block"),
                "blocks",
                f"blocks over {short}: {row['blocks']:,} per {row['outbound_ok']:,} messages ({_per_1000(row['blocks'], row['outbound_ok'])} per 1,000, {_pct(row['block_rate'])} of {row['reached_users']:,} reached users) vs {(row.get('peer_block') or 0) * 1000:.2f} per 1,000 for {cat}",
            ),
            (
                row.get("x_long_report"),
                "reports",
                f"reports over {steady}: {_rate_words(row['long_reports'], row['long_outbound_ok'], row['long_report_rate'])} vs {(row.get('peer_long_report') or 0) * 1000:.2f} for {cat}",
            ),
            (
                row.get("x_long_block"),
                "blocks",
                f"blocks over {steady}: {row['long_blocks']:,} per {row['long_outbound_ok']:,} messages ({(row['long_block_rate'] or 0):.1f} per 1,000) vs {(row.get('peer_long_block') or 0) * 1000:.2f} for {cat}",
            ),
        ]
        ratio, tag, text = max(options, key=lambda o: o[0] or 0.0)
        parts.append((peer_pts, tag, f"{text}: at least {_times(ratio or 1.0)} its peers with 95% confidence"))
    cold_pts = row.get("pts_cold") or 0.0
    if cold_pts >= 1:
        parts.append(
            (
                cold_pts,
                "unsolicited",
                f"{row['cold_share']:.0%} of its messages over {steady} were marketing to users who never wrote "
                f"first, with feedback {row['surprise']:.1f} standard deviations above its peers'",
            )
        )
    hist_pts = row.get("pts_history_change") or 0.0
    if hist_pts >= 1:
        before = (
            "its own " + _days_words(day - timedelta(days=window_days), BASELINE_DAYS, data_from)[4:]
            if isinstance(day, date)
            else "its own baseline"
        )
        by_reports = (row.get("h_report") or 0) >= (row.get("h_block") or 0)
        if by_reports:
            text = (
                f"reports jumped to {row['report_rate'] or 0:.1f} per 1,000 messages over {short} ({row['reports']:,}) "
                f"from {row['base_report_rate'] or 0:.2f} over {before} ({row['base_reports']:,})"
            )
        else:
            text = (
                f"blocks jumped to {row['blocks']:,} per {row['outbound_ok']:,} messages over {short} "
                f"from {row['base_blocks']:,} per {row['base_outbound_ok']:,} over {before}"
            )
        ratio = max(row.get("h_report") or 1.0, row.get("h_block") or 1.0)
        parts.append((hist_pts, "history", f"{text}: at least {_times(ratio)} its own rate"))
    camp_pts = (row.get("pts_campaign_excess") or 0.0) + (row.get("pts_campaign_cold") or 0.0)
    if row.get("campaign") and camp_pts >= 1:
        parts.append(
            (
                camp_pts,
                "campaign",
                f"{row['campaign']}: over {steady} its pooled feedback is at least "
                f"{_times(row.get('campaign_ratio') or 1.0)} its peers' with 95% confidence "
                f"({row['campaign_surprise']:.1f} standard deviations above)"
                + (
                    f" and {row['campaign_cold_share']:.0%} of its accounts' messages were marketing to users "
                    "who never wrote first"
                    if (row.get("pts_campaign_cold") or 0) >= 1
                    else ""
                ),
            )
        )
    if (row.get("pts_political_burst") or 0) >= 1:
        parts.append(
            (
                row["pts_political_burst"],
                "political_burst",
                f"burst of {row['reports_political']} political reports over {short}, "
                f"{row['top_country_political'] / row['reports_political']:.0%} from {row['top_country']}",
            )
        )
    if (row.get("pts_platform") or 0) >= 1:
        parts.append(
            (
                row["pts_platform"],
                "platform",
                f"the platform found fault over {short}: {row.get('platform_said') or 'events'}",
            )
        )
    if (row.get("pts_freeform_outside_share") or 0) >= 1:
        parts.append(
            (
                row["pts_freeform_outside_share"],
                "outside_window",
                f"{row['freeform_outside']:,} free-form messages outside the 24 h window over {short} "
                f"({row['freeform_outside_share']:.1%})",
            )
        )
    parts.sort(key=lambda p: -p[0])
    return parts


def _top_report_kind(row: dict) -> tuple[int, str]:
    return max([(row["reports_scam"], "scam"), (row["reports_political"], "political"), (row["reports_spam"], "spam")])


def suggested_policy(row: dict) -> str:
    """The policy a flag most likely breaks, for filtering the queue before anyone decides: election
    integrity for political bursts or reports, scam when scam reports lead, else spam."""
    top_n, top = _top_report_kind(row)
    if row["political_burst"] or (top_n and top == "political"):
        return "election_integrity"
    return "scam" if top_n and top == "scam" else "spam"


def explain(parts: list[tuple[float, str, str]]) -> str:
    """The reasons for a flag (`_signals`), in words and numbers, strongest first, each naming the
    days it covers: the risk window of the flagged day, the steady window or the baseline."""
    return "; ".join(t for _, _, t in parts) or "no single signal stands out"


@dataclass
class QueueResult:
    as_of: date
    lookback: int
    table: pl.DataFrame  # rank, business_id, name, risk_score, rating, reasons, then details
    campaigns: list = field(default_factory=list)  # the coordinated campaigns found (campaigns.Campaign)


def queue(
    wh: Warehouse,
    as_of: date | None = None,
    lookback: int | None = None,
    settings: Settings | None = None,
    settled: dict[str, date] | None = None,
    ranker=None,
) -> QueueResult:
    """Flagged businesses, highest risk first.

    `settled`: business -> data date of its latest decision; only flags on later days count.
    `ranker` (learning.Ranker): re-ranks the flagged businesses from moderators' decisions.
    """
    settings = settings or Settings.load(wh.root)
    as_of = as_of or wh.date_range()[1] or date.today()
    lookback = lookback or settings.risk_lookback_days
    found: list = []
    days = signals(wh, as_of, lookback, settings, found)
    empty = pl.DataFrame(
        schema={
            "rank": pl.Int64,
            "business_id": pl.String,
            "name": pl.String,
            "risk_score": pl.Float64,
            "rating": pl.String,
            "reasons": pl.String,
            "signals": pl.List(pl.String),
            "suggested_policy": pl.String,
            "country": pl.String,
            "category": pl.String,
        }
    )
    if days.is_empty():
        return QueueResult(as_of, lookback, empty, found)
    flagged = days.filter(pl.col("risk_score") >= settings.risk_flag_score)
    if settled:
        cutoff = pl.DataFrame(
            {"business_id": list(settled), "settled_on": list(settled.values())},
            schema={"business_id": pl.String, "settled_on": pl.Date},
        )
        flagged = (
            flagged.join(cutoff, on="business_id", how="left")
            .filter(pl.col("settled_on").is_null() | (pl.col("day") > pl.col("settled_on")))
            .drop("settled_on")
        )
    if flagged.is_empty():
        return QueueResult(as_of, lookback, empty, found)
    peak = flagged.sort(["risk_score", "day"], descending=[True, True]).unique(
        "business_id", keep="first", maintain_order=True
    )
    first_flag = flagged.group_by("business_id").agg(pl.col("day").min().alias("first_flagged"))
    ratings = _ratings(wh, as_of, settings)
    rows = []
    window = settings.risk_window_days
    for row in peak.iter_rows(named=True):
        start, end = evidence_window(row["day"], settings)
        start = max(start, row["data_from"]) if row.get("data_from") else start
        parts = _signals(row, window)
        rows.append(
            {
                **row,
                "reasons": explain(parts),
                "signals": [tag for _, tag, _ in parts],
                "suggested_policy": suggested_policy(row),
                "window_from": start,
                "window_to": end,
            }
        )
    table = (
        pl.DataFrame(rows, infer_schema_length=None)  # columns null for most businesses: read them all
        .join(first_flag, on="business_id", how="left")
        .join(ratings, on="business_id", how="left")
        .with_columns(pl.col("rating").fill_null("UNKNOWN"), pl.col("risk_score").round(1))
        .sort(["risk_score", "reached_users", "business_id"], descending=[True, True, False])
        .with_row_index("rank", offset=1)
        .with_columns(pl.col("rank").cast(pl.Int64))
        .rename({"day": "peak_day"})
    )
    first = ["rank", "business_id", "name", "risk_score", "rating", "reasons"]
    rest = [
        "category",
        "country",
        "signals",
        "suggested_policy",
        "peak_day",
        "window_from",
        "window_to",
        "first_flagged",
        "reached_users",
        "outbound",
        "report_rate",
        "block_rate",
        "unsolicited_share",
        "cold_share",
        "freeform_outside_share",
        "opt_out_rate",
        "reports",
        "blocking_users",
        "campaign_id",
        "campaign",
        *[f for f in FEATURES if f not in ("cold_share", "freeform_outside_share", "opt_out_rate")],
    ]
    table = table.select(first + rest)
    if ranker is not None:
        table = ranker.rerank(table)
    return QueueResult(as_of, lookback, table, found)


def _ratings(wh: Warehouse, as_of: date, settings: Settings) -> pl.DataFrame:
    q = compute(wh, "quality", Period(as_of - timedelta(days=6), as_of), None, settings)
    return q.select("business_id", "rating")
