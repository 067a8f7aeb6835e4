import streamlit as st

from trustdesk.analytics import views
from trustdesk.web import cache, charts, columns, display, page, session, tables
from trustdesk.web.display import Headline

viewer = session.require("analyst")
wh, f = page.analytics("Spam reports")
view = cache.cached(views.spam_view, wh, f)

page.described(
    wh,
    f,
    view.empty,
    "spam reports or messages",
    "Reports count by the reporting user's country; messages are outbound and not failed.",
)

spikes = view.baseline.filter(view.baseline["far_above"])
display.headlines(
    {**view.total, "days_far_above": spikes.height},
    view.previous,
    [
        Headline("Spam reports", "reports", delta_color="inverse"),
        Headline("Reports per 1,000 messages", "reports_per_1000", "per_1000", delta_color="inverse"),
        Headline("Messages (outbound, not failed)", "messages"),
        Headline(
            "Days far above the baseline",
            "days_far_above",
            delta=None,
            help="More than 3 standard deviations (at least the Poisson noise) above the mean of the "
            f"14 days before, with at least {views.BASELINE_MIN_REPORTS} reports",
        ),
    ],
)

st.subheader("Reports over time, by reason")
display.chart(charts.spam_reports(view.reports, view.baseline), "spam reports")
st.caption("Dashed line: the baseline, the mean of the 14 days before each day. Red marks: days far above it.")
tables.table(
    view.reports,
    "spam_reports",
    f,
    {"date": columns.date_col("Day"), "reason": columns.text_col("Reason"), "reports": columns.int_col("Reports")},
)

st.subheader("Reports per 1,000 messages")
RATE_COLUMNS = {
    "reports": columns.int_col("Reports"),
    "messages": columns.int_col("Messages"),
    "reports_per_1000": columns.dec_col("Reports per 1,000 messages"),
}
by_region, by_market, by_category = st.tabs(["By region", "By market", "By business category"])
with by_region:
    frame = view.by("region")
    display.chart(charts.report_rates_by_region(frame), "spam reports")
    tables.table(frame, "spam_by_region", f, {"region": columns.text_col("Region"), **RATE_COLUMNS})
with by_market:
    tables.table(view.by("market"), "spam_by_market", f, {"market": columns.text_col("Market"), **RATE_COLUMNS})
with by_category:
    frame = view.by("category")
    display.chart(charts.report_rates_by_category(frame), "spam reports")
    tables.table(frame, "spam_by_category", f, {"category": columns.text_col("Business category"), **RATE_COLUMNS})

left, right = st.columns(2)
with left:
    st.subheader("Most reported businesses")
    tables.table(
        view.top_businesses,
        "most_reported_businesses",
        f,
        {
            "business_id": columns.text_col("Business"),
            "name": columns.text_col("Name"),
            "category": columns.text_col("Category"),
            "reports": columns.int_col("Reports"),
            "reporting_users": columns.int_col("Reporting users"),
            "outbound_messages": columns.int_col("Messages"),
            "report_rate": columns.dec_col("Reports per 1,000 messages"),
        },
    )
with right:
    st.subheader("Most reported templates")
    tables.table(
        view.top_templates,
        "most_reported_templates",
        f,
        {
            "template": columns.text_col(
                "Template",
                help=f"{views.NO_TEMPLATE}: a free-form message (no template), or a report that names no message",
            ),
            "reports": columns.int_col("Reports"),
            "businesses": columns.int_col("Businesses"),
        },
    )
