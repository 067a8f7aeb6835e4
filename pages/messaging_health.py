import altair as alt
import streamlit as st

from trustdesk import analytics, colors, ui

viewer = ui.require("analyst")
st.title("Messaging health")
wh = ui.warehouse()
if wh is None:
    st.stop()
f = ui.filters(wh)
ui.footer(wh)
view = ui.cached(analytics.health_view, wh, f)

st.caption(f"{ui.describe(f)}, compared with the {f.period.days:,} days before. A conversation opens when a "
           "user writes to a business after 24 h without writing to it; it is answered when the business's "
           "next message to that user comes within 24 h.")
if view.empty:
    ui.no_data(wh, f, "messages")
    st.stop()

total, before = view.total, view.previous
cols = st.columns(5)
cols[0].metric("Answered within 24 h", ui.percent(total["answered_24h_share"]),
               ui.points(total["answered_24h_share"], before["answered_24h_share"]))
cols[1].metric("Conversations opened by users", ui.number(total["opened"]), ui.change(total["opened"], before["opened"]))
cols[2].metric("Free-form outside window", ui.number(total["freeform_outside"]),
               ui.change(total["freeform_outside"], before["freeform_outside"]), delta_color="inverse",
               help="Outbound messages without a template sent outside the 24 h customer-service window: "
                    f"{ui.percent(total['freeform_outside_share'], 2)} of outbound messages")
cols[3].metric("Free-form share", ui.percent(total["freeform_outside_share"], 2),
               ui.points(total["freeform_outside_share"], before["freeform_outside_share"]), delta_color="inverse")
cols[4].metric("Cold marketing", ui.number(total["cold_messages"]),
               ui.change(total["cold_messages"], before["cold_messages"]), delta_color="inverse",
               help="Marketing messages to users who had never written to the business before: "
                    f"{ui.percent(total['cold_share'])} of marketing messages")

left, right = st.columns(2)
with left:
    st.subheader("Answered within 24 h, by day")
    st.altair_chart(
        alt.Chart(view.by("day")).mark_line(point=True, color=colors.MEASURE_COLOR).encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("answered_24h_share:Q", title=None, axis=alt.Axis(format="%")),
            tooltip=[alt.Tooltip("day:T", title="Day"),
                     alt.Tooltip("answered_24h_share:Q", title="Answered within 24 h", format=".1%"),
                     alt.Tooltip("opened:Q", title="Conversations opened", format=",")],
        ).properties(height=240),
        width="stretch",
    )
with right:
    st.subheader("Response time")
    buckets = view.buckets
    st.altair_chart(
        alt.Chart(buckets).mark_bar(color=colors.MEASURE_COLOR).encode(
            x=alt.X("bucket:N", sort=list(analytics.RESPONSE_BUCKETS), title="Time to the business's answer",
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("opened:Q", title="Conversations"),
            tooltip=[alt.Tooltip("bucket:N", title="Answered"), alt.Tooltip("opened:Q", title="Conversations", format=",")],
        ).properties(height=240),
        width="stretch",
    )

SHARE = {"opened": ui.int_col("Conversations opened"), "answered_24h": ui.int_col("Answered within 24 h"),
         "answered_24h_share": ui.pct_col("Share answered within 24 h")}
st.subheader("By region")
regions = view.by("region")
st.altair_chart(
    alt.Chart(regions).mark_bar().encode(
        x=alt.X("answered_24h_share:Q", title="Answered within 24 h", axis=alt.Axis(format="%")),
        y=alt.Y("region:N", sort="-x", title=None),
        color=colors.region(legend=None),
        tooltip=[alt.Tooltip("region:N", title="Region"),
                 alt.Tooltip("answered_24h_share:Q", title="Answered within 24 h", format=".1%"),
                 alt.Tooltip("opened:Q", title="Conversations opened", format=",")],
    ).properties(height=200),
    width="stretch",
)
ui.table(regions, "response_by_region", f, {"region": ui.text_col("Region"), **SHARE})
ui.table(buckets, "response_time_distribution", f, {"bucket": ui.text_col("Answered"), **SHARE})

OUTREACH = {
    "outbound_messages": ui.int_col("Outbound messages"), "freeform_outside": ui.int_col("Free-form outside the window"),
    "freeform_outside_share": ui.pct_col("Free-form share"), "marketing_messages": ui.int_col("Marketing messages"),
    "cold_messages": ui.int_col("Cold marketing"), "cold_share": ui.pct_col("Cold share of marketing"),
    "windows_opened": ui.int_col("Conversations opened"), "answered_24h": ui.int_col("Answered within 24 h"),
    "answered_24h_share": ui.pct_col("Share answered within 24 h"),
}
st.subheader("Free-form outside the window and cold outreach, by business category")
categories = view.categories
st.altair_chart(
    alt.Chart(categories).mark_circle(size=160).encode(
        x=alt.X("freeform_outside_share:Q", title="Free-form outside the window (share of outbound)",
                axis=alt.Axis(format="%")),
        y=alt.Y("cold_share:Q", title="Cold share of marketing", axis=alt.Axis(format="%")),
        color=colors.category(),
        tooltip=[alt.Tooltip("category:N", title="Business category"),
                 alt.Tooltip("freeform_outside:Q", title="Free-form outside", format=","),
                 alt.Tooltip("cold_messages:Q", title="Cold marketing", format=","),
                 alt.Tooltip("businesses:Q", title="Businesses", format=",")],
    ).properties(height=280),
    width="stretch",
)
ui.table(categories, "outreach_by_category", f,
         {"category": ui.text_col("Business category"), "businesses": ui.int_col("Businesses"), **OUTREACH})

st.subheader("By business")
ui.table(view.businesses, "outreach_by_business", f, {
    "business_id": ui.text_col("Business"), "name": ui.text_col("Name"), "category": ui.text_col("Category"),
    **OUTREACH,
}, height=420)
