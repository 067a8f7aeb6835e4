import altair as alt
import streamlit as st

from trustdesk import analytics, colors, config, ui

viewer = ui.require("analyst")
st.title("Block rates & quality")
wh = ui.warehouse()
if wh is None:
    st.stop()
f = ui.filters(wh)
ui.footer(wh)
settings = config.Settings.load(wh.root)
view = ui.cached(analytics.block_view, wh, f, settings)

st.caption(f"{ui.describe(f)}, compared with the {f.period.days:,} days before. Blocks, reports and "
           "opt-outs count by the acting user's country.")
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
cols[0].metric("Businesses with reached users", ui.number(total["businesses"]),
               ui.change(total["businesses"], before["businesses"]))
cols[1].metric("Block rate, all businesses", ui.percent(total["block_rate"], 2),
               ui.points(total["block_rate"], before["block_rate"]), delta_color="inverse",
               help="Blocking users / reached users, both summed over the businesses in the table")
cols[2].metric("Businesses with a block", ui.number(total["businesses_blocked"]),
               ui.change(total["businesses_blocked"], before["businesses_blocked"]), delta_color="inverse")
cols[3].metric(f"Rated LOW on {view.rating_day:%d %b %Y}", ui.number(total["low_rated"]), delta_color="off")

st.subheader("Distribution of block rates")
st.altair_chart(
    alt.Chart(view.businesses)
    .mark_bar()
    .encode(
        x=alt.X("block_rate:Q", bin=alt.Bin(maxbins=40), title="Block rate", axis=alt.Axis(format="%")),
        y=alt.Y("count():Q", title="Businesses"),
        color=colors.category(),
        tooltip=[alt.Tooltip("block_rate:Q", bin=alt.Bin(maxbins=40), title="Block rate", format=".1%"),
                 alt.Tooltip("category:N", title="Business category"),
                 alt.Tooltip("count():Q", title="Businesses")],
    )
    .properties(height=260),
    width="stretch",
)

st.subheader("Businesses")
st.caption(f"Quality rating and negative rate for the 7 days ending {view.rating_day:%d %b %Y}. "
           "Changes are in rate points against the previous period.")
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
    st.altair_chart(
        alt.Chart(view.reasons).mark_bar().encode(
            x=alt.X("blocks:Q", title="Blocks"),
            y=alt.Y("reason:N", sort="-x", title=None),
            color=colors.block_reason(legend=None),
            tooltip=[alt.Tooltip("reason:N", title="Reason"), alt.Tooltip("blocks:Q", title="Blocks", format=","),
                     alt.Tooltip("blocking_users:Q", title="Users", format=","),
                     alt.Tooltip("businesses:Q", title="Businesses", format=",")],
        ).properties(height=220),
        width="stretch",
    )
    ui.table(view.reasons, "block_reasons", f, {
        "reason": ui.text_col("Reason"), "blocks": ui.int_col("Blocks"),
        "blocking_users": ui.int_col("Users"), "businesses": ui.int_col("Businesses"),
    })
with right:
    st.subheader("Businesses by quality rating")
    st.caption("Every region and market (the daily rating is kept for the whole platform); the business "
               "category filter applies.")
    st.altair_chart(
        alt.Chart(view.ratings).mark_area().encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("businesses:Q", stack=True, title="Businesses"),
            color=colors.rating(),
            order=alt.Order("rating_order:Q"),
            tooltip=[alt.Tooltip("day:T", title="Day"), alt.Tooltip("rating:N", title="Rating"),
                     alt.Tooltip("businesses:Q", title="Businesses", format=",")],
        ).transform_calculate(
            rating_order=f"indexof({list(colors.RATINGS)!r}, datum.rating)"
        ).properties(height=260),
        width="stretch",
    )
    ui.table(view.ratings, "ratings_by_day", f, {
        "day": st.column_config.DateColumn("Day"), "rating": ui.text_col("Rating"),
        "businesses": ui.int_col("Businesses"),
    }, height=220)
