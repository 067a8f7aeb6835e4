import streamlit as st

from trustdesk.analytics.overview import TRENDS, overview
from trustdesk.web import cache, display, filters, formats, page, session

viewer = session.require("analyst")
wh, f = page.analytics("Overview")
view = cache.cached(overview, wh, f)

filters.caption(wh, f)
now, before = view.current, view.previous
cols = st.columns(6)
display.metric(cols[0], "Messages", now["messages"], "number", formats.change(now["messages"], before["messages"]))
display.metric(
    cols[1],
    "Active businesses",
    now["active_businesses"] or 0,
    "number",
    formats.change(now["active_businesses"], before["active_businesses"]),
)
display.metric(
    cols[2],
    "Spam reports",
    now["reports"] or 0,
    "number",
    formats.change(now["reports"], before["reports"]),
    delta_color="inverse",
)
display.metric(
    cols[3],
    "Block rate",
    now["block_rate"],
    "percent",
    formats.change(now["block_rate"], before["block_rate"]),
    digits=2,
    delta_color="inverse",
    help="Users who blocked a business / users it reached, over business-user pairs",
)
display.metric(
    cols[4],
    "Status ad reach",
    now["ad_reach"] or 0,
    "number",
    formats.change(now["ad_reach"], before["ad_reach"]),
    help="Distinct users who saw a Status ad in the period (not a sum of days)",
)
display.metric(
    cols[5],
    "Revenue",
    now["revenue_usd"],
    "usd",
    formats.change(now["revenue_usd"], before["revenue_usd"]),
    help="Messaging revenue at rate-card prices plus Status ad spend",
)

if view.empty:
    filters.no_data(wh, f, "activity")
    st.stop()

st.subheader("Trends")
display.trends(view.trends, list(TRENDS.values()), columns=3, panel_width=280, money=[TRENDS["revenue_usd"]])
