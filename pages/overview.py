import altair as alt
import streamlit as st

from trustdesk import ui
from trustdesk.overview import overview

viewer = ui.require("analyst")
st.title("Overview")
wh = ui.warehouse()
if wh is None:
    st.stop()
period = ui.period_filter(wh)
region = ui.region_filter()
view = ui.cached(overview, wh, period, region)

st.caption(f"{period.date_from:%d %b %Y} – {period.date_to:%d %b %Y}, compared with the {period.days} days before"
           + (f" · region {region}" if region else ""))


def delta(key):
    change = view.change(key)
    return None if change is None else f"{change:+.1%}"


now = view.current
cols = st.columns(6)
cols[0].metric("Messages", f"{now['messages']:,}", delta("messages"))
cols[1].metric("Active businesses", f"{now['active_businesses'] or 0:,}", delta("active_businesses"))
cols[2].metric("Spam reports", f"{now['reports'] or 0:,}", delta("reports"), delta_color="inverse")
cols[3].metric("Block rate", "–" if now["block_rate"] is None else f"{now['block_rate']:.2%}",
               delta("block_rate"), delta_color="inverse")
cols[4].metric("Status ad reach", f"{now['ad_reach'] or 0:,}", delta("ad_reach"))
cols[5].metric("Revenue", f"${now['revenue_usd']:,.2f}", delta("revenue_usd"))

if view.daily.is_empty():
    st.info("No activity in this period. Choose a longer period or another region.")
    st.stop()

daily = view.daily.unpivot(index="day", variable_name="measure", value_name="count")
chart = (
    alt.Chart(daily)
    .mark_line(point=True)
    .encode(
        x=alt.X("day:T", title=None),
        y=alt.Y("count:Q", title=None),
        color=alt.Color("measure:N", title=None),
        tooltip=[alt.Tooltip("day:T"), "measure:N", alt.Tooltip("count:Q", format=",")],
    )
    .properties(height=220)
    .facet(row=alt.Row("measure:N", title=None))
    .resolve_scale(y="independent")
)
st.altair_chart(chart, width="stretch")
ui.footer(wh)
