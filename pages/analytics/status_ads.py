import streamlit as st

from trustdesk.analytics import views
from trustdesk.web import cache, charts, columns, display, formats, page, session, tables

viewer = session.require("analyst")
wh, f = page.analytics("Status ads")
view = cache.cached(views.ads_view, wh, f)

page.described(
    wh,
    f,
    view.empty,
    "Status ad events",
    "Reach is the number of distinct users with an impression, counted over each row's whole "
    "period: it does not add up across days, campaigns or countries.",
)

total, before = view.total, view.previous
row1, row2 = st.columns(4), st.columns(4)
display.metric(row1[0], "Reach", total["reach"], "number", formats.change(total["reach"], before["reach"]))
display.metric(
    row1[1], "Impressions", total["impressions"], "number", formats.change(total["impressions"], before["impressions"])
)
display.metric(
    row1[2],
    "Frequency",
    total["frequency"],
    "per_1000",
    formats.change(total["frequency"], before["frequency"]),
    help="Impressions per user reached",
)
display.metric(row1[3], "Clicks", total["clicks"], "number", formats.change(total["clicks"], before["clicks"]))
display.metric(row2[0], "CTR", total["ctr"], "percent", formats.points(total["ctr"], before["ctr"]), digits=2)
display.metric(row2[1], "Replies", total["replies"], "number", formats.change(total["replies"], before["replies"]))
display.metric(row2[2], "Spend", total["spend_usd"], "usd", formats.change(total["spend_usd"], before["spend_usd"]))
display.metric(
    row2[3],
    "CPM",
    total["cpm_usd"],
    "usd",
    formats.change(total["cpm_usd"], before["cpm_usd"]),
    delta_color="inverse",
    help="Spend per 1,000 impressions",
)

COLUMNS = {
    "impressions": columns.int_col("Impressions"),
    "reach": columns.int_col("Reach"),
    "frequency": columns.dec_col("Frequency"),
    "clicks": columns.int_col("Clicks"),
    "ctr": columns.pct_col("CTR"),
    "replies": columns.int_col("Replies"),
    "spend_usd": columns.usd_col("Spend"),
    "cpm_usd": columns.usd_col("CPM"),
}

st.subheader("By day")
display.trends(
    view.trends, list(views.AD_TRENDS.values()), columns=2, panel_width=380, money=[views.AD_TRENDS["spend_usd"]]
)
tables.table(view.by("day"), "status_ads_by_day", f, {"day": columns.date_col("Day"), **COLUMNS}, height=260)

st.subheader("By campaign")
tables.table(
    view.campaigns,
    "ad_reach",
    f,
    {
        "campaign_id": columns.text_col("Campaign"),
        "name": columns.text_col("Name"),
        "business_id": columns.text_col("Business"),
        "business_name": columns.text_col("Business name"),
        "category": columns.text_col("Business category"),
        **COLUMNS,
    },
    height=320,
)

st.subheader("By region and country")
left, right = st.columns(2)
with left:
    regions = view.by("region")
    display.chart(charts.ad_reach_by_region(regions), "Status ad reach")
    tables.table(regions, "status_ads_by_region", f, {"region": columns.text_col("Region"), **COLUMNS})
with right:
    tables.table(
        view.by("country"),
        "status_ads_by_country",
        f,
        {"country": columns.text_col("Country"), "region": columns.text_col("Region"), **COLUMNS},
        height=420,
    )
