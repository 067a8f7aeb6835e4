import altair as alt
import streamlit as st

from trustdesk import analytics, charts, colors, ui

viewer = ui.require("analyst")
st.title("Status ads")
wh = ui.warehouse()
if wh is None:
    st.stop()
f = ui.filters(wh)
ui.footer(wh)
view = ui.cached(analytics.ads_view, wh, f)

st.caption(f"{ui.describe(f)}, compared with the {f.period.days:,} days before. Reach is the number of "
           "distinct users with an impression, counted over each row's whole period: it does not add up "
           "across days, campaigns or countries.")
if view.empty:
    ui.no_data(wh, f, "Status ad events")
    st.stop()

total, before = view.total, view.previous
row1, row2 = st.columns(4), st.columns(4)
row1[0].metric("Reach", ui.number(total["reach"]), ui.change(total["reach"], before["reach"]))
row1[1].metric("Impressions", ui.number(total["impressions"]), ui.change(total["impressions"], before["impressions"]))
row1[2].metric("Frequency", ui.per_1000(total["frequency"]), ui.change(total["frequency"], before["frequency"]),
               help="Impressions per user reached")
row1[3].metric("Clicks", ui.number(total["clicks"]), ui.change(total["clicks"], before["clicks"]))
row2[0].metric("CTR", ui.percent(total["ctr"], 2), ui.points(total["ctr"], before["ctr"]))
row2[1].metric("Replies", ui.number(total["replies"]), ui.change(total["replies"], before["replies"]))
row2[2].metric("Spend", ui.usd(total["spend_usd"]), ui.change(total["spend_usd"], before["spend_usd"]))
row2[3].metric("CPM", ui.usd(total["cpm_usd"]), ui.change(total["cpm_usd"], before["cpm_usd"]),
               delta_color="inverse", help="Spend per 1,000 impressions")

COLUMNS = {
    "impressions": ui.int_col("Impressions"), "reach": ui.int_col("Reach"), "frequency": ui.dec_col("Frequency"),
    "clicks": ui.int_col("Clicks"), "ctr": ui.pct_col("CTR"), "replies": ui.int_col("Replies"),
    "spend_usd": ui.usd_col("Spend"), "cpm_usd": ui.usd_col("CPM"),
}

st.subheader("By day")
daily = view.by("day")
st.altair_chart(charts.trend_panels(view.trends, list(analytics.AD_TRENDS.values()), columns=2, panel_width=380),
                width="stretch")
ui.table(daily, "status_ads_by_day", f, {"day": st.column_config.DateColumn("Day"), **COLUMNS}, height=260)

st.subheader("By campaign")
ui.table(view.campaigns, "ad_reach", f, {
    "campaign_id": ui.text_col("Campaign"), "name": ui.text_col("Name"), "business_id": ui.text_col("Business"),
    "business_name": ui.text_col("Business name"), "category": ui.text_col("Business category"), **COLUMNS,
}, height=320)

st.subheader("By region and country")
left, right = st.columns(2)
with left:
    regions = view.by("region")
    st.altair_chart(
        alt.Chart(regions).mark_bar().encode(
            x=alt.X("reach:Q", title="Reach"),
            y=alt.Y("region:N", sort="-x", title=None),
            color=colors.region(legend=None),
            tooltip=[alt.Tooltip("region:N", title="Region"), alt.Tooltip("reach:Q", title="Reach", format=","),
                     alt.Tooltip("impressions:Q", title="Impressions", format=","),
                     alt.Tooltip("ctr:Q", title="CTR", format=".2%"),
                     alt.Tooltip("spend_usd:Q", title="Spend", format="$,.2f")],
        ).properties(height=220),
        width="stretch",
    )
    ui.table(regions, "status_ads_by_region", f, {"region": ui.text_col("Region"), **COLUMNS})
with right:
    ui.table(view.by("country"), "status_ads_by_country", f,
             {"country": ui.text_col("Country"), "region": ui.text_col("Region"), **COLUMNS}, height=420)
