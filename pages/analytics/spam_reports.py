import streamlit as st

from trustdesk.analytics import views
from trustdesk.web import charts
from trustdesk.web import colors
from trustdesk.web import ui

viewer = ui.require("analyst")
st.title("Spam reports")
wh = ui.warehouse()
if wh is None:
    st.stop()
f = ui.filters(wh)
ui.footer(wh)
view = ui.cached(views.spam_view, wh, f)

ui.caption(wh, f, "Reports count by the reporting user's country; messages are outbound and not failed.")
if view.empty:
    ui.no_data(wh, f, "spam reports or messages")
    st.stop()

total, before = view.total, view.previous
spikes = view.baseline.filter(view.baseline["far_above"])
cols = st.columns(4)
ui.metric(cols[0], "Spam reports", total["reports"], "number", ui.change(total["reports"], before["reports"]),
          delta_color="inverse")
ui.metric(cols[1], "Reports per 1,000 messages", total["reports_per_1000"], "per_1000",
          ui.change(total["reports_per_1000"], before["reports_per_1000"]), delta_color="inverse")
ui.metric(cols[2], "Messages (outbound, not failed)", total["messages"], "number",
          ui.change(total["messages"], before["messages"]))
ui.metric(cols[3], "Days far above the baseline", spikes.height, "number",
          help="More than 3 standard deviations (at least the Poisson noise) above the mean of the "
               f"14 days before, with at least {views.BASELINE_MIN_REPORTS} reports")

st.subheader("Reports over time, by reason")
ui.chart(charts.spam_reports(view.reports, view.baseline), "spam reports")
st.caption("Dashed line: the baseline, the mean of the 14 days before each day. Red marks: days far above it.")
ui.table(view.reports, "spam_reports", f, {
    "date": ui.date_col("Day"), "reason": ui.text_col("Reason"), "reports": ui.int_col("Reports"),
})

st.subheader("Reports per 1,000 messages")
RATE_COLUMNS = {
    "reports": ui.int_col("Reports"), "messages": ui.int_col("Messages"),
    "reports_per_1000": ui.dec_col("Reports per 1,000 messages"),
}
by_region, by_market, by_category = st.tabs(["By region", "By market", "By business category"])
with by_region:
    frame = view.by("region")
    ui.chart(charts.report_rates_by_region(frame), "spam reports")
    ui.table(frame, "spam_by_region", f, {"region": ui.text_col("Region"), **RATE_COLUMNS})
with by_market:
    ui.table(view.by("market"), "spam_by_market", f, {"market": ui.text_col("Market"), **RATE_COLUMNS})
with by_category:
    frame = view.by("category")
    ui.chart(charts.report_rates_by_category(frame), "spam reports")
    ui.table(frame, "spam_by_category", f, {"category": ui.text_col("Business category"), **RATE_COLUMNS})

left, right = st.columns(2)
with left:
    st.subheader("Most reported businesses")
    ui.table(view.top_businesses, "most_reported_businesses", f, {
        "business_id": ui.text_col("Business"), "name": ui.text_col("Name"),
        "category": ui.text_col("Category"), "reports": ui.int_col("Reports"),
        "reporting_users": ui.int_col("Reporting users"), "outbound_messages": ui.int_col("Messages"),
        "report_rate": ui.dec_col("Reports per 1,000 messages"),
    })
with right:
    st.subheader("Most reported templates")
    ui.table(view.top_templates, "most_reported_templates", f, {
        "template": ui.text_col("Template", help=f"{colors.NO_TEMPLATE}: a free-form message (no template), "
                                                 "or a report that names no message"),
        "reports": ui.int_col("Reports"), "businesses": ui.int_col("Businesses"),
    })
