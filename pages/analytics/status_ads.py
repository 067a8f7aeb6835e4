import streamlit as st

from trustdesk.analytics import views
from trustdesk.web import cache, charts, columns, display, page, session, tables
from trustdesk.web.display import Headline

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

display.headlines(
    view.total,
    view.previous,
    [
        Headline("Reach", "reach"),
        Headline("Impressions", "impressions"),
        Headline("Frequency", "frequency", "per_1000", help="Impressions per user reached"),
        Headline("Clicks", "clicks"),
    ],
)
display.headlines(
    view.total,
    view.previous,
    [
        Headline("CTR", "ctr", "percent", "points", digits=2),
        Headline("Replies", "replies"),
        Headline("Spend", "spend_usd", "usd"),
        Headline("CPM", "cpm_usd", "usd", delta_color="inverse", help="Spend per 1,000 impressions"),
    ],
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
