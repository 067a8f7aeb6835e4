import streamlit as st

from trustdesk.analytics import views
from trustdesk.web import cache, charts, columns, display, formats, page, session, tables
from trustdesk.web.display import Headline

viewer = session.require("analyst")
wh, f = page.analytics("Messaging health")
view = cache.cached(views.health_view, wh, f)

page.described(
    wh,
    f,
    view.empty,
    "messages",
    "A conversation opens when a user writes to a business after 24 h without writing to it; it "
    "is answered when the business's next message to that user comes within 24 h.",
)

total = view.total
display.headlines(
    total,
    view.previous,
    [
        Headline("Answered within 24 h", "answered_24h_share", "percent", "points"),
        Headline("Conversations opened by users", "opened"),
        Headline(
            "Free-form outside window",
            "freeform_outside",
            delta_color="inverse",
            help="Outbound messages without a template sent outside the 24 h customer-service window: "
            f"{formats.percent(total['freeform_outside_share'], 2)} of outbound messages",
        ),
        Headline("Free-form share", "freeform_outside_share", "percent", "points", digits=2, delta_color="inverse"),
        Headline(
            "Cold marketing",
            "cold_messages",
            delta_color="inverse",
            help="Marketing messages to users who had never written to the business before: "
            f"{formats.percent(total['cold_share'])} of marketing messages",
        ),
    ],
)

left, right = st.columns(2)
with left:
    st.subheader("Answered within 24 h, by day")
    display.chart(charts.answered_by_day(view.by("day")), "conversations opened by users")
with right:
    st.subheader("Response time")
    buckets = view.buckets
    display.chart(charts.response_time_buckets(buckets, views.RESPONSE_BUCKETS), "conversations opened by users")

SHARE = {
    "opened": columns.int_col("Conversations opened"),
    "answered_24h": columns.int_col("Answered within 24 h"),
    "answered_24h_share": columns.pct_col("Share answered within 24 h"),
}
st.subheader("By region")
regions = view.by("region")
display.chart(charts.answered_by_region(regions), "conversations opened by users")
tables.table(regions, "response_by_region", f, {"region": columns.text_col("Region"), **SHARE})
tables.table(buckets, "response_time_distribution", f, {"bucket": columns.text_col("Answered"), **SHARE})

OUTREACH = {
    "outbound_messages": columns.int_col("Outbound messages"),
    "freeform_outside": columns.int_col("Free-form outside the window"),
    "freeform_outside_share": columns.pct_col("Free-form share"),
    "marketing_messages": columns.int_col("Marketing messages"),
    "cold_messages": columns.int_col("Cold marketing"),
    "cold_share": columns.pct_col("Cold share of marketing"),
    "windows_opened": columns.int_col("Conversations opened"),
    "answered_24h": columns.int_col("Answered within 24 h"),
    "answered_24h_share": columns.pct_col("Share answered within 24 h"),
}
st.subheader("Free-form outside the window and cold outreach, by business category")
categories = view.categories
display.chart(charts.outreach_by_category(categories), "outbound or marketing messages")
tables.table(
    categories,
    "outreach_by_category",
    f,
    {"category": columns.text_col("Business category"), "businesses": columns.int_col("Businesses"), **OUTREACH},
)

st.subheader("By business")
tables.table(
    view.businesses,
    "outreach_by_business",
    f,
    {
        "business_id": columns.text_col("Business"),
        "name": columns.text_col("Name"),
        "category": columns.text_col("Category"),
        **OUTREACH,
    },
    height=420,
)
