import streamlit as st

from trustdesk import charts, ui
from trustdesk.overview import TRENDS, overview

viewer = ui.require("analyst")
st.title("Overview")
wh = ui.warehouse()
if wh is None:
    st.stop()
f = ui.filters(wh)
ui.footer(wh)
view = ui.cached(overview, wh, f)

st.caption(f"{ui.describe(f)}, compared with the {f.period.days:,} days before")
now, before = view.current, view.previous
cols = st.columns(6)
cols[0].metric("Messages", ui.number(now["messages"]), ui.change(now["messages"], before["messages"]))
cols[1].metric("Active businesses", ui.number(now["active_businesses"] or 0),
               ui.change(now["active_businesses"], before["active_businesses"]))
cols[2].metric("Spam reports", ui.number(now["reports"] or 0), ui.change(now["reports"], before["reports"]),
               delta_color="inverse")
cols[3].metric("Block rate", ui.percent(now["block_rate"], 2), ui.change(now["block_rate"], before["block_rate"]),
               delta_color="inverse", help="Users who blocked a business / users it reached, over business-user pairs")
cols[4].metric("Status ad reach", ui.number(now["ad_reach"] or 0), ui.change(now["ad_reach"], before["ad_reach"]),
               help="Distinct users who saw a Status ad in the period (not a sum of days)")
cols[5].metric("Revenue", ui.usd(now["revenue_usd"]), ui.change(now["revenue_usd"], before["revenue_usd"]),
               help="Messaging revenue at rate-card prices plus Status ad spend")

if view.empty:
    ui.no_data(wh, f, "activity")
    st.stop()

st.subheader("Trends")
st.altair_chart(charts.trend_panels(view.trends, list(TRENDS.values()), columns=3, panel_width=280),
                width="stretch")
