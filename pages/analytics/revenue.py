import streamlit as st

from trustdesk.analytics import views
from trustdesk.web import cache, charts, columns, display, filters, formats, page, session, tables
from trustdesk.web.display import Headline

viewer = session.require("analyst")
wh, f = page.analytics("Revenue by region")
view = cache.cached(views.revenue_view, wh, f)

filters.caption(
    wh,
    f,
    "Messaging revenue prices each billable message at the rate card in force on its day for its "
    "user's market; ad revenue is Status ad spend. Regions and markets are those of the user's "
    "country.",
)


def billed_beside_rate_card() -> None:
    billed = view.billed
    if not billed.height:
        return
    st.subheader("What Meta billed beside the rate card")
    st.caption(
        "Meta's pricing_analytics (loaded as billed pricing) for the period, beside TrustDesk's rate-card "
        "revenue of the same billable messages, by the user's country and the category; the difference "
        "is billed minus rate card. The region, market and category filters do not apply here."
    )
    st.dataframe(
        billed,
        hide_index=True,
        width="stretch",
        column_config={
            "country": columns.text_col("Country"),
            "category": columns.text_col("Category"),
            "billable_messages": columns.int_col("Billable messages"),
            "ratecard_usd": columns.usd_col("Rate-card revenue"),
            "billed_volume": columns.int_col("Billed by Meta (messages)"),
            "billed_usd": columns.usd_col("Billed by Meta"),
            "difference_usd": columns.usd_col("Difference"),
        },
    )


if view.empty:
    filters.no_data(wh, f, "billable messages or ad events")
    billed_beside_rate_card()
    st.stop()

now = view.current
display.headlines(
    now,
    view.previous,
    [
        Headline("Total revenue", "total_revenue_usd", "usd"),
        Headline("Messaging revenue", "messaging_revenue_usd", "usd"),
        Headline("Ad revenue", "ad_revenue_usd", "usd"),
        Headline("Billable messages", "billable_messages"),
        Headline(
            "Per billable message",
            "revenue_per_billable_message",
            "usd",
            digits=4,
            help="Messaging revenue / billable messages",
        ),
        Headline(
            "Per active business",
            "revenue_per_active_business",
            "usd",
            help="Messaging revenue / active businesses (those that sent at least one outbound message "
            f"in the period: {formats.number(now['active_businesses'])})",
        ),
    ],
)

st.subheader("Revenue over time")
display.chart(charts.revenue_over_time(view.daily), "revenue")

MONEY = {
    "billable_messages": columns.int_col("Billable messages"),
    "messaging_revenue_usd": columns.usd_col("Messaging revenue"),
    "ad_revenue_usd": columns.usd_col("Ad revenue"),
    "total_revenue_usd": columns.usd_col("Total revenue"),
    "active_businesses": columns.int_col("Active businesses"),
    "revenue_per_billable_message": columns.dec_col("Revenue per billable message ($)", digits=4),
    "revenue_per_active_business": columns.usd_col("Messaging revenue per active business"),
    "previous_total_revenue_usd": columns.usd_col("Total revenue before"),
    "total_revenue_change": columns.pct_col("Change"),
}

st.subheader("By region")
display.chart(charts.revenue_by_region(view.by_region), "revenue")
tables.table(view.by_region, "revenue_by_region", f, {"region": columns.text_col("Region"), **MONEY})

left, right = st.columns(2)
with left:
    st.subheader("By market")
    tables.table(view.by_market, "revenue_by_market", f, {"market": columns.text_col("Market"), **MONEY}, height=420)
with right:
    st.subheader("By category")
    st.caption("Rate-card categories of billable messages, and Status ads.")
    tables.table(
        view.by_stream,
        "revenue_by_stream",
        f,
        {
            "stream": columns.text_col("Stream"),
            "billable_messages": columns.int_col("Billable messages"),
            "revenue_usd": columns.usd_col("Revenue"),
            "previous_revenue_usd": columns.usd_col("Revenue before"),
            "revenue_change": columns.pct_col("Change"),
        },
    )

billed_beside_rate_card()
