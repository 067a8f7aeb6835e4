"""The Altair charts of the dashboard's pages, drawn one way everywhere.

Each function takes the read side's frame and returns a chart, or None when there is nothing to
draw (no rows, or only empty or zero values): the page then says so instead of drawing an empty
frame, a flat line or an axis of "NaN". The rules every chart keeps:

- money columns may be Decimal (exact sums); charts get Float64 (`plain`), Vega-Lite has no decimals;
- counts cannot be negative: their axes start at 0, lines are straight between points (no smoothing
  that overshoots below zero) and ticks are whole numbers;
- money axes read "$0.05", "$250", "$18.3K", "$1.2M"; large counts "18.3K", "1.2M" (as the headlines);
- rates that all lie near one value (88-91%) get an axis zoomed to them, drawn as dots, not bars;
- dates read "10 Sep 2026", as in every caption.
"""

from __future__ import annotations

from collections.abc import Iterable

import altair as alt
import polars as pl

from trustdesk.web import colors

DATE_FORMAT = "%d %b %Y"  # d3-time-format, the same as formats.DATE_FORMAT for Python dates


# --------------------------------------------------------------------------- building blocks


def plain(df: pl.DataFrame) -> pl.DataFrame:
    """The frame with Decimal columns as Float64, which Vega-Lite can draw."""
    decimals = [name for name, dtype in df.schema.items() if isinstance(dtype, pl.Decimal)]
    return df.with_columns(pl.col(decimals).cast(pl.Float64)) if decimals else df


def _abbreviated(prefix: str, small: str) -> str:
    """A Vega expression labelling an axis value as the headlines do: K, M, B above a thousand."""
    v = "datum.value"
    steps = ((1e9, "B"), (1e6, "M"), (1e3, "K"))
    expr = f"'{prefix}' + format({v}, '{small}')"
    for size, suffix in reversed(steps):
        expr = f"abs({v}) >= {size:g} ? '{prefix}' + format({v} / {size:g}, '.1~f') + '{suffix}' : {expr}"
    return expr


MONEY_LABELS = _abbreviated("$", ",.2~f")
COUNT_LABELS = _abbreviated("", ",d")


# Streamlit's chart theme sets the vertical axis labels a few pixels above their grid lines, so a
# point at 0 looked as if it were below zero; each y axis centres them on the line.
Y_LABELS = {"labelBaseline": "middle"}


def money_axis(title: str | None = None, **kw) -> alt.Axis:
    return alt.Axis(title=title, labelExpr=MONEY_LABELS, **kw)


def count_axis(title: str | None = None, **kw) -> alt.Axis:
    """Whole-number ticks: a count of 2.5 businesses means nothing."""
    return alt.Axis(title=title, labelExpr=COUNT_LABELS, tickMinStep=1, **kw)


def from_zero() -> alt.Scale:
    return alt.Scale(zero=True, domainMin=0)


def day(field: str = "day", **kw) -> alt.X:
    return alt.X(f"{field}:T", title=None, axis=alt.Axis(format=DATE_FORMAT, labelOverlap=True), **kw)


def day_tooltip(field: str = "day", title: str = "Day") -> alt.Tooltip:
    return alt.Tooltip(f"{field}:T", title=title, format=DATE_FORMAT)


def _values(df: pl.DataFrame, column: str) -> list[float]:
    if df.is_empty() or column not in df.columns:
        return []
    return [float(v) for v in df[column].drop_nulls().to_list()]


def _drawable(df: pl.DataFrame, column: str) -> bool:
    """Something to draw: at least one value that is not null (nor NaN) and not zero."""
    return any(v == v and v != 0 for v in _values(df, column))


def share_scale(values: Iterable) -> alt.Scale:
    """A 0-100% scale, or, when the shares all lie near one value, one zoomed to them (88-91% on a
    0-100% axis is a row of equal bars)."""
    shown = [float(v) for v in values if v is not None and v == v]
    if not shown:
        return alt.Scale(domain=[0, 1])
    low, high = min(shown), max(shown)
    spread = high - low
    if low < 0.2 or spread > 0.3:
        return from_zero()
    pad = max(spread * 0.25, 0.01)
    return alt.Scale(domain=[max(0.0, low - pad), min(1.0, high + pad)], zero=False, nice=False)


# --------------------------------------------------------------------------- trends (Overview, Status ads)


def empty_measures(trends: pl.DataFrame, order: list[str]) -> list[str]:
    """The measures of a long trend frame (day, measure, value) with nothing to draw."""
    return [m for m in order if not _drawable(trends.filter(pl.col("measure") == m), "value")]


def trend_panels(
    trends: pl.DataFrame, order: list[str], columns: int, panel_width: int, money: Iterable[str] = ()
) -> alt.ConcatChart | None:
    """One small line chart per measure (long frame: day, measure, value), each on its own scale
    starting at 0; measures with nothing to draw are left out (see `empty_measures`)."""
    trends = plain(trends)
    money = set(money)
    skip = set(empty_measures(trends, order))
    panels = []
    for measure in (m for m in order if m not in skip):
        is_money = measure in money
        panels.append(
            alt.Chart(trends.filter(pl.col("measure") == measure), title=measure)
            .mark_line(point=True, interpolate="linear", color=colors.MEASURE_COLOR)
            .encode(
                x=day(),
                y=alt.Y(
                    "value:Q",
                    title=None,
                    scale=from_zero(),
                    axis=money_axis(**Y_LABELS) if is_money else count_axis(**Y_LABELS),
                ),
                tooltip=[
                    day_tooltip(),
                    alt.Tooltip("measure:N", title="Measure"),
                    alt.Tooltip("value:Q", title="Value", format="$,.2f" if is_money else ","),
                ],
            )
            .properties(height=150, width=panel_width)
        )
    if not panels:
        return None
    return alt.concat(*panels, columns=columns)


# --------------------------------------------------------------------------- bars by a dimension


def ranked_bars(
    frame: pl.DataFrame,
    value: str,
    key: str,
    color: alt.Color | None,
    title: str,
    tooltip: list,
    axis: alt.Axis | None = None,
    height: int = 220,
) -> alt.Chart | None:
    """Horizontal bars of `value` by `key`, longest first, from 0."""
    if not _drawable(frame, value):
        return None
    mark = alt.Chart(plain(frame)).mark_bar(**({} if color is not None else {"color": colors.MEASURE_COLOR}))
    encoding = dict(
        x=alt.X(f"{value}:Q", title=title, scale=from_zero(), axis=axis or alt.Axis()),
        y=alt.Y(f"{key}:N", sort="-x", title=None),
        tooltip=tooltip,
    )
    if color is not None:
        encoding["color"] = color
    return mark.encode(**encoding).properties(height=height)


def share_dots(
    frame: pl.DataFrame, share: str, key: str, color: alt.Color, title: str, tooltip: list, height: int = 200
) -> alt.Chart | None:
    """Shares by `key` as dots on an axis zoomed to them when they are close (bars would need 0)."""
    values = _values(frame, share)
    if not values:
        return None
    return (
        alt.Chart(plain(frame))
        .mark_point(filled=True, size=160)
        .encode(
            x=alt.X(f"{share}:Q", title=title, scale=share_scale(values), axis=alt.Axis(format="%")),
            y=alt.Y(f"{key}:N", sort="-x", title=None),
            color=color,
            tooltip=tooltip,
        )
        .properties(height=height)
    )


# --------------------------------------------------------------------------- Spam reports


def spam_reports(reports: pl.DataFrame, baseline: pl.DataFrame) -> alt.LayerChart | None:
    if not _drawable(reports, "reports"):
        return None
    spikes = baseline.filter(pl.col("far_above")) if "far_above" in baseline.columns else baseline.clear()
    bars = (
        alt.Chart(plain(reports))
        .mark_bar()
        .encode(
            x=day("yearmonthdate(date)"),
            y=alt.Y("sum(reports):Q", title="Reports", scale=from_zero(), axis=count_axis("Reports", **Y_LABELS)),
            color=colors.report_reason(),
            tooltip=[
                day_tooltip("yearmonthdate(date)"),
                alt.Tooltip("reason:N", title="Reason"),
                alt.Tooltip("sum(reports):Q", title="Reports", format=","),
            ],
        )
    )
    line = (
        alt.Chart(plain(baseline))
        .mark_line(strokeDash=[4, 3], color="#555555", interpolate="linear")
        .encode(
            x="yearmonthdate(date):T",
            y=alt.Y("baseline:Q"),
            tooltip=[
                day_tooltip("yearmonthdate(date)"),
                alt.Tooltip("baseline:Q", title="Baseline (mean of the 14 days before)", format=",.1f"),
                alt.Tooltip("upper:Q", title="Far above from", format=",.1f"),
            ],
        )
    )
    marks = (
        alt.Chart(plain(spikes))
        .mark_point(shape="triangle-down", size=140, filled=True, color=colors.ALERT_COLOR, yOffset=-10)
        .encode(
            x="yearmonthdate(date):T",
            y=alt.Y("reports:Q"),
            tooltip=[
                day_tooltip("yearmonthdate(date)", "Far above the baseline on"),
                alt.Tooltip("reports:Q", title="Reports", format=","),
                alt.Tooltip("baseline:Q", title="Baseline", format=",.1f"),
            ],
        )
    )
    return (bars + line + marks).properties(height=320)


def _rate_tooltip(key: str, key_title: str) -> list:
    return [
        alt.Tooltip(f"{key}:N", title=key_title),
        alt.Tooltip("reports:Q", title="Reports", format=","),
        alt.Tooltip("messages:Q", title="Messages", format=","),
        alt.Tooltip("reports_per_1000:Q", title="Per 1,000 messages", format=",.2f"),
    ]


def report_rates_by_region(frame: pl.DataFrame) -> alt.Chart | None:
    return ranked_bars(
        frame,
        "reports_per_1000",
        "region",
        colors.region(legend=None),
        "Reports per 1,000 messages",
        _rate_tooltip("region", "Region"),
    )


def report_rates_by_category(frame: pl.DataFrame) -> alt.Chart | None:
    return ranked_bars(
        frame,
        "reports_per_1000",
        "category",
        colors.category(legend=None),
        "Reports per 1,000 messages",
        _rate_tooltip("category", "Business category"),
        height=300,
    )


# --------------------------------------------------------------------------- Block rates & quality


def block_rate_distribution(businesses: pl.DataFrame) -> alt.Chart | None:
    if not _values(businesses, "block_rate"):
        return None
    return (
        alt.Chart(plain(businesses))
        .mark_bar()
        .encode(
            x=alt.X("block_rate:Q", bin=alt.Bin(maxbins=40), title="Block rate", axis=alt.Axis(format="%")),
            y=alt.Y("count():Q", title="Businesses", axis=count_axis("Businesses", **Y_LABELS)),
            color=colors.category(),
            tooltip=[
                alt.Tooltip("block_rate:Q", bin=alt.Bin(maxbins=40), title="Block rate", format=".1%"),
                alt.Tooltip("category:N", title="Business category"),
                alt.Tooltip("count():Q", title="Businesses"),
            ],
        )
        .properties(height=260)
    )


def block_reasons(reasons: pl.DataFrame) -> alt.Chart | None:
    return ranked_bars(
        reasons,
        "blocks",
        "reason",
        colors.block_reason(legend=None),
        "Blocks",
        [
            alt.Tooltip("reason:N", title="Reason"),
            alt.Tooltip("blocks:Q", title="Blocks", format=","),
            alt.Tooltip("blocking_users:Q", title="Users", format=","),
            alt.Tooltip("businesses:Q", title="Businesses", format=","),
        ],
        axis=count_axis("Blocks"),
    )


def ratings_over_time(ratings: pl.DataFrame) -> alt.Chart | None:
    if not _drawable(ratings, "businesses"):
        return None
    return (
        alt.Chart(plain(ratings))
        .mark_area(interpolate="linear")
        .encode(
            x=day(),
            y=alt.Y("businesses:Q", stack=True, title="Businesses", axis=count_axis("Businesses", **Y_LABELS)),
            color=colors.rating(),
            order=alt.Order("rating_order:Q"),
            tooltip=[
                day_tooltip(),
                alt.Tooltip("rating:N", title="Rating"),
                alt.Tooltip("businesses:Q", title="Businesses", format=","),
            ],
        )
        .transform_calculate(rating_order=f"indexof({list(colors.RATINGS)!r}, datum.rating)")
        .properties(height=260)
    )


# --------------------------------------------------------------------------- Status ads


def ad_reach_by_region(regions: pl.DataFrame) -> alt.Chart | None:
    return ranked_bars(
        regions,
        "reach",
        "region",
        colors.region(legend=None),
        "Reach",
        [
            alt.Tooltip("region:N", title="Region"),
            alt.Tooltip("reach:Q", title="Reach", format=","),
            alt.Tooltip("impressions:Q", title="Impressions", format=","),
            alt.Tooltip("ctr:Q", title="CTR", format=".2%"),
            alt.Tooltip("spend_usd:Q", title="Spend", format="$,.2f"),
        ],
        axis=count_axis("Reach"),
    )


# --------------------------------------------------------------------------- Revenue


def revenue_over_time(daily: pl.DataFrame) -> alt.Chart | None:
    if not _drawable(daily, "revenue_usd"):
        return None
    return (
        alt.Chart(plain(daily))
        .mark_bar()
        .encode(
            x=day("yearmonthdate(day)"),
            y=alt.Y(
                "sum(revenue_usd):Q",
                title="Revenue (USD)",
                scale=from_zero(),
                axis=money_axis("Revenue (USD)", **Y_LABELS),
            ),
            color=colors.stream(),
            tooltip=[
                day_tooltip("yearmonthdate(day)"),
                alt.Tooltip("stream:N", title="Stream"),
                alt.Tooltip("sum(revenue_usd):Q", title="Revenue", format="$,.2f"),
                alt.Tooltip("sum(billable_messages):Q", title="Billable messages", format=","),
            ],
        )
        .properties(height=300)
    )


def revenue_by_region(by_region: pl.DataFrame) -> alt.Chart | None:
    return ranked_bars(
        by_region,
        "total_revenue_usd",
        "region",
        colors.region(legend=None),
        "Total revenue (USD)",
        [
            alt.Tooltip("region:N", title="Region"),
            alt.Tooltip("messaging_revenue_usd:Q", title="Messaging", format="$,.2f"),
            alt.Tooltip("ad_revenue_usd:Q", title="Ads", format="$,.2f"),
            alt.Tooltip("total_revenue_usd:Q", title="Total", format="$,.2f"),
            alt.Tooltip("total_revenue_change:Q", title="Change", format="+.1%"),
        ],
        axis=money_axis("Total revenue (USD)"),
    )


# --------------------------------------------------------------------------- Messaging health


def answered_by_day(days: pl.DataFrame) -> alt.Chart | None:
    values = _values(days, "answered_24h_share")
    if not values:
        return None
    return (
        alt.Chart(plain(days))
        .mark_line(point=True, interpolate="linear", color=colors.MEASURE_COLOR)
        .encode(
            x=day(),
            y=alt.Y(
                "answered_24h_share:Q", title=None, scale=share_scale(values), axis=alt.Axis(format="%", **Y_LABELS)
            ),
            tooltip=[
                day_tooltip(),
                alt.Tooltip("answered_24h_share:Q", title="Answered within 24 h", format=".1%"),
                alt.Tooltip("opened:Q", title="Conversations opened", format=","),
            ],
        )
        .properties(height=240)
    )


def response_time_buckets(buckets: pl.DataFrame, order: Iterable[str]) -> alt.Chart | None:
    if not _drawable(buckets, "opened"):
        return None
    return (
        alt.Chart(plain(buckets))
        .mark_bar(color=colors.MEASURE_COLOR)
        .encode(
            x=alt.X("bucket:N", sort=list(order), title="Time to the business's answer", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("opened:Q", title="Conversations", scale=from_zero(), axis=count_axis("Conversations", **Y_LABELS)),
            tooltip=[
                alt.Tooltip("bucket:N", title="Answered"),
                alt.Tooltip("opened:Q", title="Conversations", format=","),
            ],
        )
        .properties(height=240)
    )


def answered_by_region(regions: pl.DataFrame) -> alt.Chart | None:
    return share_dots(
        regions,
        "answered_24h_share",
        "region",
        colors.region(legend=None),
        "Answered within 24 h",
        [
            alt.Tooltip("region:N", title="Region"),
            alt.Tooltip("answered_24h_share:Q", title="Answered within 24 h", format=".1%"),
            alt.Tooltip("opened:Q", title="Conversations opened", format=","),
        ],
    )


def outreach_by_category(categories: pl.DataFrame) -> alt.Chart | None:
    frame = categories.drop_nulls(["freeform_outside_share", "cold_share"]) if not categories.is_empty() else categories
    if frame.is_empty():
        return None
    return (
        alt.Chart(plain(frame))
        .mark_circle(size=160)
        .encode(
            x=alt.X(
                "freeform_outside_share:Q",
                title="Free-form outside the window (share of outbound)",
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y("cold_share:Q", title="Cold share of marketing", axis=alt.Axis(format="%", **Y_LABELS)),
            color=colors.category(),
            tooltip=[
                alt.Tooltip("category:N", title="Business category"),
                alt.Tooltip("freeform_outside:Q", title="Free-form outside", format=","),
                alt.Tooltip("cold_messages:Q", title="Cold marketing", format=","),
                alt.Tooltip("businesses:Q", title="Businesses", format=","),
            ],
        )
        .properties(height=280)
    )


# --------------------------------------------------------------------------- moderation


def business_quality(days: pl.DataFrame, medium_from: float, low_from: float) -> alt.LayerChart:
    """One business's 7-day negative rate per day, each day's dot in its rating's colour, and the
    MEDIUM and LOW thresholds as dashed rules."""
    base = alt.Chart(days).encode(x=alt.X("day:T", title=None))
    return (
        base.mark_line(color=colors.NEUTRAL_COLOR).encode(
            y=alt.Y("negative_rate_7d:Q", title="Negative rate (7 days)", axis=alt.Axis(format="%"))
        )
        + base.mark_circle(size=60).encode(
            y="negative_rate_7d:Q",
            color=colors.rating(title="Rating"),
            tooltip=[
                alt.Tooltip("day:T", title="Day"),
                alt.Tooltip("rating:N", title="Rating"),
                alt.Tooltip("negative_rate_7d:Q", title="Negative rate", format=".1%"),
                alt.Tooltip("negative_7d:Q", title="Negative users", format=","),
                alt.Tooltip("reached_7d:Q", title="Reached users", format=","),
            ],
        )
        + alt.Chart(alt.Data(values=[{"at": medium_from}, {"at": low_from}]))
        .mark_rule(strokeDash=[4, 3], color=colors.THRESHOLD_COLOR)
        .encode(y="at:Q")
    )


def business_messages(days: pl.DataFrame) -> alt.Chart:
    return (
        alt.Chart(days)
        .mark_bar(color=colors.VOLUME_COLOR)
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("messages_sent:Q", title="Messages sent"),
            tooltip=[
                alt.Tooltip("day:T", title="Day"),
                alt.Tooltip("messages_sent:Q", title="Messages sent", format=","),
                alt.Tooltip("messages_ok:Q", title="Not failed", format=","),
            ],
        )
        .properties(height=200)
    )


def business_feedback(days: pl.DataFrame) -> alt.Chart:
    """Reports, blocks and marketing opt-outs per day, one line each."""
    return (
        alt.Chart(days)
        .transform_fold(["reports", "blocks", "opt_outs"], as_=["what", "count"])
        .transform_calculate(what="datum.what == 'opt_outs' ? 'marketing opt-outs' : datum.what")
        .mark_line(point=True)
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("count:Q", title="Per day"),
            color=colors.feedback(),
            tooltip=[
                alt.Tooltip("day:T", title="Day"),
                alt.Tooltip("what:N", title="What"),
                alt.Tooltip("count:Q", title="Count", format=","),
            ],
        )
        .properties(height=200)
    )


def business_reasons(reasons: pl.DataFrame, kind: str, title: str) -> alt.Chart:
    """The business's reports (kind "report") or blocks ("block") by reason, most first."""
    what = f"{kind.capitalize()}s"
    return (
        alt.Chart(reasons, title=title)
        .transform_filter(alt.datum.kind == kind)
        .mark_bar(color=colors.FEEDBACK_COLORS[f"{kind}s"])
        .encode(
            x=alt.X("events:Q", title=what),
            y=alt.Y("reason:N", sort="-x", title=None),
            tooltip=[
                alt.Tooltip("reason:N", title="Reason"),
                alt.Tooltip("events:Q", title=what, format=","),
                alt.Tooltip("users:Q", title="Distinct users", format=","),
            ],
        )
        .properties(height=alt.Step(22))
    )


def rows_per_day(rows_by_day: pl.DataFrame) -> alt.FacetChart:
    """Loaded rows per day, one panel per kind, gaps, spikes and dips marked."""
    base = alt.Chart().encode(x=alt.X("day:T", title=None), y=alt.Y("rows:Q", title=None))
    marks = (
        base.transform_filter("datum.flag != null")
        .mark_point(size=60, filled=True)
        .encode(
            color=colors.day_flag(),
            tooltip=[alt.Tooltip("day:T"), "kind:N", alt.Tooltip("rows:Q", format=","), "flag:N"],
        )
    )
    return (
        alt.layer(base.mark_line(), marks, data=rows_by_day)
        .properties(height=120)
        .facet(row=alt.Row("kind:N", title=None))
        .resolve_scale(y="independent")
    )


# --------------------------------------------------------------------------- service times

# A waiting case's state (trustdesk.moderation.service.STATES): overdue ones stand out.
SERVICE_STATE_COLORS = {"overdue": colors.ALERT_COLOR, "on hold": "#999999", "on time": colors.MEASURE_COLOR}
SERVICE_MEASURES = (
    ("claim", "median_claim_h", "Time to first claim"),
    ("decision", "median_decision_h", "Time to decision"),
    ("appeal", "median_appeal_h", "Appeal turnaround"),
)


def service_medians(frame: pl.DataFrame, key: str, key_title: str, targets: dict[str, float]):
    """One panel per service time: the median hours by `key` (a moderator, a queue) as bars from 0,
    and the target from the settings as a dashed red line; times nobody has yet are left out."""
    panels = []
    for kind, column, title in SERVICE_MEASURES:
        if not _drawable(frame, column):
            continue
        data = frame.select(key, column).drop_nulls().with_columns(pl.lit(targets[kind]).alias("target_h"))
        # One scale for the bars and the line, wide enough for both: the target stays in the panel.
        scale = alt.Scale(domain=[0, 1.1 * max([targets[kind], *_values(data, column)])], nice=True)
        base = alt.Chart(data, title=f"{title} (target {targets[kind]:g} h)")
        bars = base.mark_bar(color=colors.MEASURE_COLOR).encode(
            x=alt.X(f"{column}:Q", title="Median (hours)", scale=scale),
            y=alt.Y(f"{key}:N", sort="-x", title=None),
            tooltip=[
                alt.Tooltip(f"{key}:N", title=key_title),
                alt.Tooltip(f"{column}:Q", title="Median (hours)", format=",.1f"),
                alt.Tooltip("target_h:Q", title="Target (hours)", format=",.1f"),
            ],
        )
        target = base.mark_rule(color=colors.ALERT_COLOR, strokeDash=[4, 3], size=2).encode(
            x=alt.X("target_h:Q", scale=scale)
        )
        panels.append((bars + target).properties(width=260, height=alt.Step(24)))
    return alt.hconcat(*panels) if panels else None


def waiting_times(waiting: pl.DataFrame) -> alt.Chart | None:
    """How long each waiting case has waited (hours), coloured overdue, on hold or on time."""
    if not _drawable(waiting, "waiting_h"):
        return None
    return (
        alt.Chart(plain(waiting))
        .mark_bar()
        .encode(
            x=alt.X("waiting_h:Q", title="Waiting (hours)", scale=from_zero()),
            y=alt.Y("case_id:N", sort="-x", title="Case"),
            color=alt.Color(
                "state:N",
                title=None,
                scale=alt.Scale(domain=list(SERVICE_STATE_COLORS), range=list(SERVICE_STATE_COLORS.values())),
            ),
            tooltip=[
                alt.Tooltip("case_id:N", title="Case"),
                alt.Tooltip("business_id:N", title="Business"),
                alt.Tooltip("queue:N", title="Queue"),
                alt.Tooltip("status:N", title="Status"),
                alt.Tooltip("waiting_h:Q", title="Waiting (hours)", format=",.1f"),
                alt.Tooltip("overdue:N", title="Overdue"),
            ],
        )
        .properties(height=alt.Step(20))
    )


# --------------------------------------------------------------------------- transparency report

MONTH = alt.X("yearmonth(month):T", title=None, axis=alt.Axis(format="%b %Y", labelOverlap=True))
MONTH_TIP = alt.Tooltip("yearmonth(month):T", title="Month", format="%b %Y")
ACTION_COLORS = {  # from no action to the most severe
    "Dismiss (no violation)": "#BAB0AC",
    "Warn": "#F2B701",
    "Restrict the messaging limit": "#E69F00",
    "Pause templates": "#D55E00",
    "Suspend": "#CC79A7",
    "Ban": "#7A1F1F",
}


def transparency_actions(actions: pl.DataFrame, by: str) -> alt.Chart:
    """Decisions per month stacked by action (`by="action"`) or by policy (`by="policy"`)."""
    color, title = ("action_words", "Action") if by == "action" else ("policy_label", "Policy")
    scale = alt.Scale(domain=list(ACTION_COLORS), range=list(ACTION_COLORS.values())) if by == "action" else alt.Scale()
    return (
        alt.Chart(actions)
        .mark_bar()
        .encode(
            x=MONTH,
            y=alt.Y("sum(decisions):Q", title="Decisions", axis=count_axis("Decisions", **Y_LABELS)),
            color=alt.Color(f"{color}:N", title=title, scale=scale),
            tooltip=[
                MONTH_TIP,
                alt.Tooltip(f"{color}:N", title=title),
                alt.Tooltip("sum(decisions):Q", title="Decisions", format=","),
                alt.Tooltip("sum(overturned):Q", title="Overturned on appeal", format=","),
            ],
        )
    )


def transparency_automatic(monthly: pl.DataFrame) -> alt.Chart:
    return (
        alt.Chart(monthly, title="Detected automatically")
        .mark_line(point=True)
        .encode(
            x=MONTH,
            y=alt.Y("automatic_share:Q", title=None, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            tooltip=[
                MONTH_TIP,
                alt.Tooltip("automatic_share:Q", title="Detected automatically", format=".1%"),
                alt.Tooltip("automatic:Q", title="Cases the risk score opened", format=","),
                alt.Tooltip("decisions:Q", title="Decisions", format=","),
            ],
        )
    )


def transparency_speed(monthly: pl.DataFrame) -> alt.Chart:
    return (
        alt.Chart(monthly, title="Median hours to decision")
        .mark_bar(color=colors.MEASURE_COLOR)
        .encode(
            x=MONTH,
            y=alt.Y("median_hours:Q", title=None, scale=from_zero()),
            tooltip=[MONTH_TIP, alt.Tooltip("median_hours:Q", title="Median hours", format=",.1f")],
        )
    )


def transparency_appeals(monthly: pl.DataFrame) -> alt.Chart:
    return (
        alt.Chart(monthly, title="Appeals")
        .transform_fold(["appeals_received", "overturned"], as_=["measure", "appeals"])
        .mark_bar()
        .encode(
            x=MONTH,
            xOffset="measure:N",
            y=alt.Y("appeals:Q", title=None, axis=count_axis(None)),
            color=alt.Color(
                "measure:N",
                title=None,
                scale=alt.Scale(domain=["appeals_received", "overturned"], range=["#4C72B0", colors.ALERT_COLOR]),
                legend=alt.Legend(orient="bottom", labelExpr="datum.value == 'overturned' ? 'Overturned' : 'Received'"),
            ),
            tooltip=[MONTH_TIP, alt.Tooltip("measure:N", title="Appeals"), alt.Tooltip("appeals:Q", title="Count")],
        )
    )
