import streamlit as st

from trustdesk.analytics import views
from trustdesk.web import cache, charts, columns, display, filters, formats, page, session, tables
from trustdesk.web.display import Headline

viewer = session.require("analyst")
wh, f = page.analytics("Block rates & quality")
settings = views.settings_of(wh)
view = cache.cached(views.block_view, wh, f, settings)

filters.caption(wh, f, "Blocks, reports and opt-outs count by the acting user's country.")
st.text(
    f"Quality rating thresholds in force: UNKNOWN under {settings.quality_min_reached:,} reached users in "
    f"7 days; HIGH under {settings.quality_medium_from:.1%} negative users; MEDIUM from "
    f"{settings.quality_medium_from:.1%}; LOW from {settings.quality_low_from:.1%} "
    "(settings quality_min_reached, quality_medium_from, quality_low_from)."
)
if view.empty:
    filters.no_data(wh, f, "businesses with reached users")
    st.stop()

display.headlines(
    view.total,
    view.previous,
    [
        Headline("Businesses with reached users", "businesses"),
        Headline(
            "Block rate, all businesses",
            "block_rate",
            "percent",
            "points",
            digits=2,
            delta_color="inverse",
            help="Blocking users / reached users, both summed over the businesses in the table",
        ),
        Headline("Businesses with a block", "businesses_blocked", delta_color="inverse"),
        Headline(f"Rated LOW on {formats.day(view.rating_day)}", "low_rated", delta=None, delta_color="off"),
    ],
)

st.subheader("Distribution of block rates")
display.chart(charts.block_rate_distribution(view.businesses), "block rates")

st.subheader("Businesses")
st.caption(
    f"Highest block rate first. Quality rating and negative rate for the 7 days ending "
    f"{formats.day(view.rating_day)}. Changes are in rate points against the previous period."
)
tables.table(
    view.businesses,
    "block_rates",
    f,
    {
        "business_id": columns.text_col("Business"),
        "name": columns.text_col("Name"),
        "category": columns.text_col("Category"),
        "rating": columns.text_col("Quality rating"),
        "reached_users": columns.int_col("Reached users"),
        "blocking_users": columns.int_col("Blocking users"),
        "block_rate": columns.pct_col("Block rate"),
        "reports": columns.int_col("Reports"),
        "report_rate": columns.dec_col("Reports per 1,000 messages"),
        "outbound_messages": columns.int_col("Messages"),
        "marketing_users": columns.int_col("Marketing recipients"),
        "opted_out_users": columns.int_col("Opted out"),
        "opt_out_rate": columns.pct_col("Opt-out rate"),
        "negative_rate": columns.pct_col("Negative rate (7 days)"),
        "previous_block_rate": columns.pct_col("Block rate before"),
        "previous_report_rate": columns.dec_col("Report rate before"),
        "block_rate_change": columns.pct_col("Block rate change"),
        "report_rate_change": columns.dec_col("Report rate change"),
    },
    height=420,
)

left, right = st.columns(2)
with left:
    st.subheader("Block reasons")
    display.chart(charts.block_reasons(view.reasons), "blocks")
    tables.table(
        view.reasons,
        "block_reasons",
        f,
        {
            "reason": columns.text_col("Reason"),
            "blocks": columns.int_col("Blocks"),
            "blocking_users": columns.int_col("Users"),
            "businesses": columns.int_col("Businesses"),
        },
    )
with right:
    st.subheader("Businesses by quality rating")
    st.caption(
        "Every region and market (the daily rating is kept for the whole platform); the business "
        "category filter applies."
    )
    display.chart(charts.ratings_over_time(view.ratings), "rated businesses")
    tables.table(
        view.ratings,
        "ratings_by_day",
        f,
        {
            "day": columns.date_col("Day"),
            "rating": columns.text_col("Rating"),
            "businesses": columns.int_col("Businesses"),
        },
        height=220,
    )
