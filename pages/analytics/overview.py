import streamlit as st

from trustdesk.web import ui
from trustdesk.analytics.overview import TRENDS, overview

viewer = ui.require("analyst")
st.title("Overview")
wh = ui.warehouse()
if wh is None:
    st.stop()
f = ui.filters(wh)
ui.footer(wh)
view = ui.cached(overview, wh, f)

ui.caption(wh, f)
now, before = view.current, view.previous
cols = st.columns(6)
ui.metric(cols[0], "Messages", now["messages"], "number", ui.change(now["messages"], before["messages"]))
ui.metric(cols[1], "Active businesses", now["active_businesses"] or 0, "number",
          ui.change(now["active_businesses"], before["active_businesses"]))
ui.metric(cols[2], "Spam reports", now["reports"] or 0, "number", ui.change(now["reports"], before["reports"]),
          delta_color="inverse")
ui.metric(cols[3], "Block rate", now["block_rate"], "percent", ui.change(now["block_rate"], before["block_rate"]),
          digits=2, delta_color="inverse",
          help="Users who blocked a business / users it reached, over business-user pairs")
ui.metric(cols[4], "Status ad reach", now["ad_reach"] or 0, "number", ui.change(now["ad_reach"], before["ad_reach"]),
          help="Distinct users who saw a Status ad in the period (not a sum of days)")
ui.metric(cols[5], "Revenue", now["revenue_usd"], "usd", ui.change(now["revenue_usd"], before["revenue_usd"]),
          help="Messaging revenue at rate-card prices plus Status ad spend")

if view.empty:
    ui.no_data(wh, f, "activity")
    st.stop()

st.subheader("Trends")
ui.trends(view.trends, list(TRENDS.values()), columns=3, panel_width=280, money=[TRENDS["revenue_usd"]])
