import streamlit as st

from trustdesk.analytics import views
from trustdesk.web import charts
from trustdesk.web import ui

viewer = ui.require("analyst")
st.title("Status ads")
wh = ui.warehouse()
if wh is None:
    st.stop()
f = ui.filters(wh)
ui.footer(wh)
view = ui.cached(views.ads_view, wh, f)

ui.caption(wh, f, "Reach is the number of distinct users with an impression, counted over each row's whole "
                  "period: it does not add up across days, campaigns or countries.")
if view.empty:
    ui.no_data(wh, f, "Status ad events")
    st.stop()

total, before = view.total, view.previous
row1, row2 = st.columns(4), st.columns(4)
ui.metric(row1[0], "Reach", total["reach"], "number", ui.change(total["reach"], before["reach"]))
ui.metric(row1[1], "Impressions", total["impressions"], "number", ui.change(total["impressions"], before["impressions"]))
ui.metric(row1[2], "Frequency", total["frequency"], "per_1000", ui.change(total["frequency"], before["frequency"]),
          help="Impressions per user reached")
ui.metric(row1[3], "Clicks", total["clicks"], "number", ui.change(total["clicks"], before["clicks"]))
ui.metric(row2[0], "CTR", total["ctr"], "percent", ui.points(total["ctr"], before["ctr"]), digits=2)
ui.metric(row2[1], "Replies", total["replies"], "number", ui.change(total["replies"], before["replies"]))
ui.metric(row2[2], "Spend", total["spend_usd"], "usd", ui.change(total["spend_usd"], before["spend_usd"]))
ui.metric(row2[3], "CPM", total["cpm_usd"], "usd", ui.change(total["cpm_usd"], before["cpm_usd"]),
          delta_color="inverse", help="Spend per 1,000 impressions")

COLUMNS = {
    "impressions": ui.int_col("Impressions"), "reach": ui.int_col("Reach"), "frequency": ui.dec_col("Frequency"),
    "clicks": ui.int_col("Clicks"), "ctr": ui.pct_col("CTR"), "replies": ui.int_col("Replies"),
    "spend_usd": ui.usd_col("Spend"), "cpm_usd": ui.usd_col("CPM"),
}

st.subheader("By day")
ui.trends(view.trends, list(views.AD_TRENDS.values()), columns=2, panel_width=380,
          money=[views.AD_TRENDS["spend_usd"]])
ui.table(view.by("day"), "status_ads_by_day", f, {"day": ui.date_col("Day"), **COLUMNS}, height=260)

st.subheader("By campaign")
ui.table(view.campaigns, "ad_reach", f, {
    "campaign_id": ui.text_col("Campaign"), "name": ui.text_col("Name"), "business_id": ui.text_col("Business"),
    "business_name": ui.text_col("Business name"), "category": ui.text_col("Business category"), **COLUMNS,
}, height=320)

st.subheader("By region and country")
left, right = st.columns(2)
with left:
    regions = view.by("region")
    ui.chart(charts.ad_reach_by_region(regions), "Status ad reach")
    ui.table(regions, "status_ads_by_region", f, {"region": ui.text_col("Region"), **COLUMNS})
with right:
    ui.table(view.by("country"), "status_ads_by_country", f,
             {"country": ui.text_col("Country"), "region": ui.text_col("Region"), **COLUMNS}, height=420)
