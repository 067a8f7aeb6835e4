import streamlit as st

from trustdesk.analytics import views
from trustdesk.web import charts
from trustdesk.web import ui

viewer = ui.require("analyst")
st.title("Messaging health")
wh = ui.warehouse()
if wh is None:
    st.stop()
f = ui.filters(wh)
ui.footer(wh)
view = ui.cached(views.health_view, wh, f)

ui.caption(wh, f, "A conversation opens when a user writes to a business after 24 h without writing to it; it "
                  "is answered when the business's next message to that user comes within 24 h.")
if view.empty:
    ui.no_data(wh, f, "messages")
    st.stop()

total, before = view.total, view.previous
cols = st.columns(5)
ui.metric(cols[0], "Answered within 24 h", total["answered_24h_share"], "percent",
          ui.points(total["answered_24h_share"], before["answered_24h_share"]))
ui.metric(cols[1], "Conversations opened by users", total["opened"], "number",
          ui.change(total["opened"], before["opened"]))
ui.metric(cols[2], "Free-form outside window", total["freeform_outside"], "number",
          ui.change(total["freeform_outside"], before["freeform_outside"]), delta_color="inverse",
          help="Outbound messages without a template sent outside the 24 h customer-service window: "
               f"{ui.percent(total['freeform_outside_share'], 2)} of outbound messages")
ui.metric(cols[3], "Free-form share", total["freeform_outside_share"], "percent",
          ui.points(total["freeform_outside_share"], before["freeform_outside_share"]), digits=2,
          delta_color="inverse")
ui.metric(cols[4], "Cold marketing", total["cold_messages"], "number",
          ui.change(total["cold_messages"], before["cold_messages"]), delta_color="inverse",
          help="Marketing messages to users who had never written to the business before: "
               f"{ui.percent(total['cold_share'])} of marketing messages")

left, right = st.columns(2)
with left:
    st.subheader("Answered within 24 h, by day")
    ui.chart(charts.answered_by_day(view.by("day")), "conversations opened by users")
with right:
    st.subheader("Response time")
    buckets = view.buckets
    ui.chart(charts.response_time_buckets(buckets, views.RESPONSE_BUCKETS), "conversations opened by users")

SHARE = {"opened": ui.int_col("Conversations opened"), "answered_24h": ui.int_col("Answered within 24 h"),
         "answered_24h_share": ui.pct_col("Share answered within 24 h")}
st.subheader("By region")
regions = view.by("region")
ui.chart(charts.answered_by_region(regions), "conversations opened by users")
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
ui.chart(charts.outreach_by_category(categories), "outbound or marketing messages")
ui.table(categories, "outreach_by_category", f,
         {"category": ui.text_col("Business category"), "businesses": ui.int_col("Businesses"), **OUTREACH})

st.subheader("By business")
ui.table(view.businesses, "outreach_by_business", f, {
    "business_id": ui.text_col("Business"), "name": ui.text_col("Name"), "category": ui.text_col("Category"),
    **OUTREACH,
}, height=420)
