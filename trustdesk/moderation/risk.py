"""The review queue: risk signals per business and day, a score, and reasons in words and numbers.

Each day D of the look-back is judged on its trailing window (`risk_signals.sql`). A business is
flagged on a day when it has enough data (reached users and messages) and its score reaches the
flag threshold; its queue score is its highest flagged day. Rates, never absolute counts, make the
score, so a very large sender with many reports but low rates stays out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from etl.settings import Settings
from trustdesk.analytics.metrics import Period, compute
from trustdesk.warehouse import Warehouse, run

MIN_MESSAGES = 50  # outbound messages in the window before report rates mean anything

# (signal, weight, value at which it starts to count, value at which it counts fully)
COMPONENTS = (
    ("report_rate", 0.35, 5.0, 30.0),  # reports per 1,000 delivered-or-sent messages
    ("block_rate", 0.25, 0.01, 0.06),
    ("unsolicited_share", 0.15, 0.5, 0.9),  # outbound to users who never wrote first
    ("freeform_outside_share", 0.10, 0.0, 0.10),
    ("opt_out_rate", 0.10, 0.02, 0.10),
    ("political_burst", 0.05, 0.0, 1.0),
)
BASELINE_DAYS = 28  # the business's own days before the window (risk_signals.sql)
POLITICAL_MIN_REPORTS = 5
POLITICAL_CONCENTRATION = 0.8


def _ramp(col: str, lo: float, hi: float) -> pl.Expr:
    return ((pl.col(col) - lo) / (hi - lo)).clip(0.0, 1.0).fill_null(0.0).fill_nan(0.0)


def _ratio(num: str, den: str) -> pl.Expr:
    return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).otherwise(None)


def signals(wh: Warehouse, as_of: date, lookback: int, settings: Settings) -> pl.DataFrame:
    """One row per business and day with its window's rates and its score (0-100)."""
    df = run(wh, "risk_signals", as_of=as_of, lookback=lookback, window=settings.risk_window_days)
    if df.is_empty():
        return df
    df = df.with_columns(
        (_ratio("reports", "outbound_ok") * 1000).alias("report_rate"),
        _ratio("blocking_users", "reached_users").alias("block_rate"),
        _ratio("unsolicited", "outbound").alias("unsolicited_share"),
        _ratio("cold_marketing", "marketing").alias("cold_share"),
        _ratio("freeform_outside", "outbound").alias("freeform_outside_share"),
        _ratio("opt_outs", "reached_users").alias("opt_out_rate"),
        _ratio("base_reports", "base_outbound_ok").alias("base_report_rate_raw"),
        (
            (pl.col("reports_political") >= POLITICAL_MIN_REPORTS)
            & (pl.col("top_country_political") >= POLITICAL_CONCENTRATION * pl.col("reports_political"))
        )
        .cast(pl.Float64)
        .alias("political_burst"),
        ((pl.col("reached_users") >= settings.quality_min_reached) & (pl.col("outbound_ok") >= MIN_MESSAGES)).alias(
            "enough_data"
        ),
    )
    score = sum(w * _ramp(name, lo, hi) for name, w, lo, hi in COMPONENTS) * 100
    return df.with_columns(
        pl.when(pl.col("enough_data")).then(score).otherwise(0.0).alias("risk_score"),
        (pl.col("base_report_rate_raw") * 1000).alias("base_report_rate"),
    )


PEERS_MIN = 3


def _peer_medians(day_rows: pl.DataFrame, flag_score: float) -> pl.DataFrame:
    """Pooled rates of unflagged businesses with enough data, per day and category; where a
    category has fewer than PEERS_MIN of them that day, the day's pooled rates over all of them."""
    typical = day_rows.filter(pl.col("enough_data") & (pl.col("risk_score") < flag_score))
    by_cat = typical.group_by("day", "category").agg(
        pl.len().alias("peers"),
        (pl.col("blocking_users").sum() / pl.col("reached_users").sum()).alias("cat_block_rate"),
        (pl.col("reports").sum() / pl.col("outbound_ok").sum() * 1000).alias("cat_report_rate"),
    )
    overall = typical.group_by("day").agg(
        (pl.col("blocking_users").sum() / pl.col("reached_users").sum()).alias("all_block_rate"),
        (pl.col("reports").sum() / pl.col("outbound_ok").sum() * 1000).alias("all_report_rate"),
    )
    cats = day_rows.select("day", "category").unique()
    return (
        cats.join(by_cat, on=["day", "category"], how="left")
        .join(overall, on="day", how="left")
        .with_columns((pl.col("peers").fill_null(0) >= PEERS_MIN).alias("has_peers"))
        .select(
            "day",
            "category",
            "has_peers",
            pl.when(pl.col("has_peers"))
            .then(pl.col("cat_block_rate"))
            .otherwise(pl.col("all_block_rate"))
            .alias("peer_block_rate"),
            pl.when(pl.col("has_peers"))
            .then(pl.col("cat_report_rate"))
            .otherwise(pl.col("all_report_rate"))
            .alias("peer_report_rate"),
        )
    )


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


def window_of(day: date, window_days: int) -> tuple[date, date]:
    """The trailing window a day is judged on (as risk_signals.sql sums it)."""
    return day - timedelta(days=window_days - 1), day


# What the queue can be filtered by: each signal of a flag, in the words the filter shows.
SIGNALS = {
    "reports": "Spam reports",
    "blocks": "Blocks",
    "unsolicited": "Messages to users who never wrote first",
    "outside_window": "Free-form outside the 24 h window",
    "opt_outs": "Marketing opt-outs",
    "political_burst": "Burst of political reports",
}


def _signals(row: dict) -> list[tuple[float, str, str]]:
    """The signals behind a flag as (strength, signal, words), strongest first: the one place the
    reasons' thresholds live (the reasons text and the signal filter both read it)."""
    parts: list[tuple[float, str, str]] = []
    cat = (row.get("category") or "unknown") if row.get("has_peers") else "all businesses"
    if row["report_rate"] is not None and row["report_rate"] >= 5:
        top_n, top = _top_report_kind(row)
        peer = row.get("peer_report_rate")
        text = f"{row['report_rate']:.1f} reports per 1,000 messages vs {peer or 0:.1f} for {cat}"
        if top_n:
            text += f" ({top_n / max(row['reports'], 1):.0%} {top})"
        base = row.get("base_report_rate")
        if base is not None and row["report_rate"] >= 3 * max(base, 0.5):
            text += f", up from {base:.1f} in the {BASELINE_DAYS} days before"
        parts.append((row["report_rate"] / 30, "reports", text))
    if row["block_rate"] is not None and row["block_rate"] >= 0.01:
        parts.append(
            (
                row["block_rate"] / 0.06,
                "blocks",
                f"block rate {_pct(row['block_rate'])} vs {_pct(row.get('peer_block_rate'))} for {cat}",
            )
        )
    if row["unsolicited_share"] is not None and row["unsolicited_share"] >= 0.5:
        cold = row.get("cold_share")
        text = f"{row['unsolicited_share']:.0%} of messages sent to users who never wrote first"
        if cold is not None and row["marketing"]:
            text += f" ({cold:.0%} of marketing sent cold)"
        parts.append((row["unsolicited_share"], "unsolicited", text))
    if row["freeform_outside_share"] and row["freeform_outside_share"] >= 0.01:
        parts.append(
            (
                row["freeform_outside_share"] / 0.1,
                "outside_window",
                f"{row['freeform_outside']:,} free-form messages outside the 24 h window "
                f"({row['freeform_outside_share']:.1%})",
            )
        )
    if row["opt_out_rate"] is not None and row["opt_out_rate"] >= 0.02:
        parts.append(
            (
                row["opt_out_rate"] / 0.1,
                "opt_outs",
                f"marketing opt-outs from {_pct(row['opt_out_rate'])} of reached users",
            )
        )
    if row["political_burst"]:
        parts.append(
            (
                1.0,
                "political_burst",
                f"burst of {row['reports_political']} political reports, "
                f"{row['top_country_political'] / row['reports_political']:.0%} from {row['top_country']}",
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


def explain(row: dict, window_days: int | None = None) -> str:
    """The reasons for a flag, in words and numbers, strongest first, led by the days they cover:
    the trailing window of the flagged day `row["day"]` (and the baseline before it)."""
    text = "; ".join(t for _, _, t in _signals(row)) or "no single signal stands out"
    day = row.get("day")
    if window_days and isinstance(day, date):
        text = f"Over the {window_days:,} days {span(*window_of(day, window_days))}: {text}"
    return text


@dataclass
class QueueResult:
    as_of: date
    lookback: int
    table: pl.DataFrame  # rank, business_id, name, risk_score, rating, reasons, then details


def queue(
    wh: Warehouse,
    as_of: date | None = None,
    lookback: int | None = None,
    settings: Settings | None = None,
    settled: dict[str, date] | None = None,
) -> QueueResult:
    """Flagged businesses, highest risk first.

    `settled`: business -> data date of its latest decision; only flags on later days count.
    """
    settings = settings or Settings.load(wh.root)
    as_of = as_of or wh.date_range()[1] or date.today()
    lookback = lookback or settings.risk_lookback_days
    days = signals(wh, as_of, lookback, settings)
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
        return QueueResult(as_of, lookback, empty)
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
        return QueueResult(as_of, lookback, empty)
    peers = _peer_medians(days, settings.risk_flag_score)
    peak = (
        flagged.sort(["risk_score", "day"], descending=[True, True])
        .unique("business_id", keep="first", maintain_order=True)
        .join(peers, on=["day", "category"], how="left")
    )
    first_flag = flagged.group_by("business_id").agg(pl.col("day").min().alias("first_flagged"))
    ratings = _ratings(wh, as_of, settings)
    rows = []
    window = settings.risk_window_days
    for row in peak.iter_rows(named=True):
        start, end = window_of(row["day"], window)
        rows.append(
            {
                **row,
                "reasons": explain(row, window),
                "signals": [tag for _, tag, _ in _signals(row)],
                "suggested_policy": suggested_policy(row),
                "window_from": start,
                "window_to": end,
            }
        )
    table = (
        pl.DataFrame(rows)
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
        "political_burst",
    ]
    return QueueResult(as_of, lookback, table.select(first + rest))


def _ratings(wh: Warehouse, as_of: date, settings: Settings) -> pl.DataFrame:
    q = compute(wh, "quality", Period(as_of - timedelta(days=6), as_of), None, settings)
    return q.select("business_id", "rating")


# --------------------------------------------------------------------------- evaluation

BAD_ARCHETYPES = ("spammer", "scammer", "election_spammer")


@dataclass
class Evaluation:
    k: int
    planted: int
    found: int
    precision: float
    recall: float
    false_positives: list[str]
    missed: list[str]
    hard_negatives_in_top_k: list[str]


def evaluate(table: pl.DataFrame, truth: pl.DataFrame, k: int | None = None) -> Evaluation:
    truth = truth.with_columns(pl.col("archetype").str.strip_chars().str.to_lowercase())
    bad = set(truth.filter(pl.col("archetype").is_in(BAD_ARCHETYPES))["business_id"])
    hard = set(truth.filter(~pl.col("archetype").is_in(BAD_ARCHETYPES))["business_id"])
    k = k or len(bad)
    top = table.sort("rank")["business_id"].head(k).to_list()
    hits = [b for b in top if b in bad]
    return Evaluation(
        k=k,
        planted=len(bad),
        found=len(hits),
        precision=len(hits) / k if k else 0.0,
        recall=len(hits) / len(bad) if bad else 0.0,
        false_positives=[b for b in top if b not in bad],
        missed=sorted(bad - set(top)),
        hard_negatives_in_top_k=[b for b in top if b in hard],
    )
