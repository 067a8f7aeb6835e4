import streamlit as st

from trustdesk.analytics import views
from trustdesk.web import charts
from etl import settings as config
from trustdesk.web import ui

viewer = ui.require("analyst")
st.title("Block rates & quality")
wh = ui.warehouse()
if wh is None:
    st.stop()
f = ui.filters(wh)
ui.footer(wh)
settings = config.Settings.load(wh.root)
view = ui.cached(views.block_view, wh, f, settings)

ui.caption(wh, f, "Blocks, reports and opt-outs count by the acting user's country.")
st.text(
    f"Quality rating thresholds in force: UNKNOWN under {settings.quality_min_reached:,} reached users in "
    f"7 days; HIGH under {settings.quality_medium_from:.1%} negative users; MEDIUM from "
    f"{settings.quality_medium_from:.1%}; LOW from {settings.quality_low_from:.1%} "
    "(settings quality_min_reached, quality_medium_from, quality_low_from)."
)
if view.empty:
    ui.no_data(wh, f, "businesses with reached users")
    st.stop()

total, before = view.total, view.previous
cols = st.columns(4)
ui.metric(cols[0], "Businesses with reached users", total["businesses"], "number",
          ui.change(total["businesses"], before["businesses"]))
ui.metric(cols[1], "Block rate, all businesses", total["block_rate"], "percent",
          ui.points(total["block_rate"], before["block_rate"]), digits=2, delta_color="inverse",
          help="Blocking users / reached users, both summed over the businesses in the table")
ui.metric(cols[2], "Businesses with a block", total["businesses_blocked"], "number",
          ui.change(total["businesses_blocked"], before["businesses_blocked"]), delta_color="inverse")
ui.metric(cols[3], f"Rated LOW on {ui.day(view.rating_day)}", total["low_rated"], "number", delta_color="off")

st.subheader("Distribution of block rates")
ui.chart(charts.block_rate_distribution(view.businesses), "block rates")

st.subheader("Businesses")
st.caption(f"Highest block rate first. Quality rating and negative rate for the 7 days ending "
           f"{ui.day(view.rating_day)}. Changes are in rate points against the previous period.")
ui.table(view.businesses, "block_rates", f, {
    "business_id": ui.text_col("Business"), "name": ui.text_col("Name"), "category": ui.text_col("Category"),
    "rating": ui.text_col("Quality rating"), "reached_users": ui.int_col("Reached users"), "blocking_users": ui.int_col("Blocking users"),
    "block_rate": ui.pct_col("Block rate"), "reports": ui.int_col("Reports"),
    "report_rate": ui.dec_col("Reports per 1,000 messages"), "outbound_messages": ui.int_col("Messages"),
    "marketing_users": ui.int_col("Marketing recipients"), "opted_out_users": ui.int_col("Opted out"),
    "opt_out_rate": ui.pct_col("Opt-out rate"), "negative_rate": ui.pct_col("Negative rate (7 days)"),
    "previous_block_rate": ui.pct_col("Block rate before"),
    "previous_report_rate": ui.dec_col("Report rate before"),
    "block_rate_change": ui.pct_col("Block rate change"), "report_rate_change": ui.dec_col("Report rate change"),
}, height=420)

left, right = st.columns(2)
with left:
    st.subheader("Block reasons")
    ui.chart(charts.block_reasons(view.reasons), "blocks")
    ui.table(view.reasons, "block_reasons", f, {
        "reason": ui.text_col("Reason"), "blocks": ui.int_col("Blocks"),
        "blocking_users": ui.int_col("Users"), "businesses": ui.int_col("Businesses"),
    })
with right:
    st.subheader("Businesses by quality rating")
    st.caption("Every region and market (the daily rating is kept for the whole platform); the business "
               "category filter applies.")
    ui.chart(charts.ratings_over_time(view.ratings), "rated businesses")
    ui.table(view.ratings, "ratings_by_day", f, {
        "day": ui.date_col("Day"), "rating": ui.text_col("Rating"),
        "businesses": ui.int_col("Businesses"),
    }, height=220)
