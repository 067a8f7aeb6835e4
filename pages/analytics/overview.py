import streamlit as st

from trustdesk.analytics.overview import TRENDS, overview
from trustdesk.web import cache, display, filters, page, session
from trustdesk.web.display import Headline

viewer = session.require("analyst")
wh, f = page.analytics("Overview")
view = cache.cached(overview, wh, f)

filters.caption(wh, f)
display.headlines(
    view.current,
    view.previous,
    [
        Headline("Messages", "messages"),
        Headline("Active businesses", "active_businesses", none_as_zero=True),
        Headline("Spam reports", "reports", delta_color="inverse", none_as_zero=True),
        Headline(
            "Block rate",
            "block_rate",
            "percent",
            digits=2,
            delta_color="inverse",
            help="Users who blocked a business / users it reached, over business-user pairs",
        ),
        Headline(
            "Status ad reach",
            "ad_reach",
            help="Distinct users who saw a Status ad in the period (not a sum of days)",
            none_as_zero=True,
        ),
        Headline("Revenue", "revenue_usd", "usd", help="Messaging revenue at rate-card prices plus Status ad spend"),
    ],
)

if view.empty:
    filters.no_data(wh, f, "activity")
    st.stop()

st.subheader("Trends")
display.trends(view.trends, list(TRENDS.values()), columns=3, panel_width=280, money=[TRENDS["revenue_usd"]])
