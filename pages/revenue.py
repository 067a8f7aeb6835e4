import altair as alt
import streamlit as st

from trustdesk import analytics, colors, ui

viewer = ui.require("analyst")
st.title("Revenue by region")
wh = ui.warehouse()
if wh is None:
    st.stop()
f = ui.filters(wh)
ui.footer(wh)
view = ui.cached(analytics.revenue_view, wh, f)

st.caption(f"{ui.describe(f)}, compared with the {f.period.days:,} days before. Messaging revenue prices each "
           "billable message at the rate card in force on its day for its user's market; ad revenue is "
           "Status ad spend. Regions and markets are those of the user's country.")
if view.empty:
    ui.no_data(wh, f, "billable messages or ad events")
    st.stop()

now, before = view.current, view.previous
cols = st.columns(6)
cols[0].metric("Total revenue", ui.usd(now["total_revenue_usd"]),
               ui.change(now["total_revenue_usd"], before["total_revenue_usd"]))
cols[1].metric("Messaging revenue", ui.usd(now["messaging_revenue_usd"]),
               ui.change(now["messaging_revenue_usd"], before["messaging_revenue_usd"]))
cols[2].metric("Ad revenue", ui.usd(now["ad_revenue_usd"]), ui.change(now["ad_revenue_usd"], before["ad_revenue_usd"]))
cols[3].metric("Billable messages", ui.number(now["billable_messages"]),
               ui.change(now["billable_messages"], before["billable_messages"]))
cols[4].metric("Per billable message", ui.usd(now["revenue_per_billable_message"], 4),
               ui.change(now["revenue_per_billable_message"], before["revenue_per_billable_message"]),
               help="Messaging revenue / billable messages")
cols[5].metric("Per active business", ui.usd(now["revenue_per_active_business"]),
               ui.change(now["revenue_per_active_business"], before["revenue_per_active_business"]),
               help="Messaging revenue / active businesses (those that sent at least one outbound message "
                    f"in the period: {ui.number(now['active_businesses'])})")

st.subheader("Revenue over time")
st.altair_chart(
    alt.Chart(view.daily).mark_bar().encode(
        x=alt.X("yearmonthdate(day):T", title=None),
        y=alt.Y("sum(revenue_usd):Q", title="Revenue (USD)", axis=alt.Axis(format="$~s")),
        color=colors.stream(),
        tooltip=[alt.Tooltip("yearmonthdate(day):T", title="Day"), alt.Tooltip("stream:N", title="Stream"),
                 alt.Tooltip("sum(revenue_usd):Q", title="Revenue", format="$,.2f"),
                 alt.Tooltip("sum(billable_messages):Q", title="Billable messages", format=",")],
    ).properties(height=300),
    width="stretch",
)

MONEY = {
    "billable_messages": ui.int_col("Billable messages"),
    "messaging_revenue_usd": ui.usd_col("Messaging revenue"), "ad_revenue_usd": ui.usd_col("Ad revenue"),
    "total_revenue_usd": ui.usd_col("Total revenue"), "active_businesses": ui.int_col("Active businesses"),
    "revenue_per_billable_message": ui.dec_col("Revenue per billable message ($)", digits=4),
    "revenue_per_active_business": ui.usd_col("Messaging revenue per active business"),
    "previous_total_revenue_usd": ui.usd_col("Total revenue before"),
    "total_revenue_change": ui.pct_col("Change"),
}

st.subheader("By region")
st.altair_chart(
    alt.Chart(view.by_region).mark_bar().encode(
        x=alt.X("total_revenue_usd:Q", title="Total revenue (USD)", axis=alt.Axis(format="$~s")),
        y=alt.Y("region:N", sort="-x", title=None),
        color=colors.region(legend=None),
        tooltip=[alt.Tooltip("region:N", title="Region"),
                 alt.Tooltip("messaging_revenue_usd:Q", title="Messaging", format="$,.2f"),
                 alt.Tooltip("ad_revenue_usd:Q", title="Ads", format="$,.2f"),
                 alt.Tooltip("total_revenue_usd:Q", title="Total", format="$,.2f"),
                 alt.Tooltip("total_revenue_change:Q", title="Change", format="+.1%")],
    ).properties(height=220),
    width="stretch",
)
ui.table(view.by_region, "revenue_by_region", f, {"region": ui.text_col("Region"), **MONEY})

left, right = st.columns(2)
with left:
    st.subheader("By market")
    ui.table(view.by_market, "revenue_by_market", f, {"market": ui.text_col("Market"), **MONEY}, height=420)
with right:
    st.subheader("By category")
    st.caption("Rate-card categories of billable messages, and Status ads.")
    ui.table(view.by_stream, "revenue_by_stream", f, {
        "stream": ui.text_col("Stream"), "billable_messages": ui.int_col("Billable messages"),
        "revenue_usd": ui.usd_col("Revenue"), "previous_revenue_usd": ui.usd_col("Revenue before"),
        "revenue_change": ui.pct_col("Change"),
    })
