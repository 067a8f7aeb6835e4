import altair as alt
import streamlit as st

from trustdesk import analytics, colors, ui

viewer = ui.require("analyst")
st.title("Spam reports")
wh = ui.warehouse()
if wh is None:
    st.stop()
f = ui.filters(wh)
ui.footer(wh)
view = ui.cached(analytics.spam_view, wh, f)

st.caption(f"{ui.describe(f)}, compared with the {f.period.days:,} days before. Reports count by the "
           "reporting user's country; messages are outbound and not failed.")
if view.empty:
    ui.no_data(wh, f, "spam reports or messages")
    st.stop()

total, before = view.total, view.previous
spikes = view.baseline.filter(view.baseline["far_above"])
cols = st.columns(4)
cols[0].metric("Spam reports", ui.number(total["reports"]), ui.change(total["reports"], before["reports"]),
               delta_color="inverse")
cols[1].metric("Reports per 1,000 messages", ui.per_1000(total["reports_per_1000"]),
               ui.change(total["reports_per_1000"], before["reports_per_1000"]), delta_color="inverse")
cols[2].metric("Messages (outbound, not failed)", ui.number(total["messages"]),
               ui.change(total["messages"], before["messages"]))
cols[3].metric("Days far above the baseline", ui.number(spikes.height),
               help="More than 3 standard deviations (at least the Poisson noise) above the mean of the "
                    f"14 days before, with at least {analytics.BASELINE_MIN_REPORTS} reports")

st.subheader("Reports over time, by reason")
bars = (
    alt.Chart(view.reports)
    .mark_bar()
    .encode(
        x=alt.X("yearmonthdate(date):T", title=None),
        y=alt.Y("sum(reports):Q", title="Reports"),
        color=colors.report_reason(),
        tooltip=[alt.Tooltip("yearmonthdate(date):T", title="Day"), alt.Tooltip("reason:N", title="Reason"),
                 alt.Tooltip("sum(reports):Q", title="Reports", format=",")],
    )
)
baseline = (
    alt.Chart(view.baseline)
    .mark_line(strokeDash=[4, 3], color="#555555")
    .encode(
        x="yearmonthdate(date):T",
        y=alt.Y("baseline:Q"),
        tooltip=[alt.Tooltip("yearmonthdate(date):T", title="Day"),
                 alt.Tooltip("baseline:Q", title="Baseline (mean of the 14 days before)", format=",.1f"),
                 alt.Tooltip("upper:Q", title="Far above from", format=",.1f")],
    )
)
marks = (
    alt.Chart(spikes)
    .mark_point(shape="triangle-down", size=140, filled=True, color=colors.ALERT_COLOR, yOffset=-10)
    .encode(
        x="yearmonthdate(date):T",
        y=alt.Y("reports:Q"),
        tooltip=[alt.Tooltip("yearmonthdate(date):T", title="Far above the baseline on"),
                 alt.Tooltip("reports:Q", title="Reports", format=","),
                 alt.Tooltip("baseline:Q", title="Baseline", format=",.1f")],
    )
)
st.altair_chart((bars + baseline + marks).properties(height=320), width="stretch")
st.caption("Dashed line: the baseline, the mean of the 14 days before each day. Red marks: days far above it.")
ui.table(view.reports, "spam_reports", f, {
    "date": st.column_config.DateColumn("Day"), "reason": ui.text_col("Reason"), "reports": ui.int_col("Reports"),
})

st.subheader("Reports per 1,000 messages")
RATE_COLUMNS = {
    "reports": ui.int_col("Reports"), "messages": ui.int_col("Messages"),
    "reports_per_1000": ui.dec_col("Reports per 1,000 messages"),
}
by_region, by_market, by_category = st.tabs(["By region", "By market", "By business category"])
with by_region:
    frame = view.by("region")
    st.altair_chart(
        alt.Chart(frame).mark_bar().encode(
            x=alt.X("reports_per_1000:Q", title="Reports per 1,000 messages"),
            y=alt.Y("region:N", sort="-x", title=None),
            color=colors.region(legend=None),
            tooltip=[alt.Tooltip("region:N", title="Region"), alt.Tooltip("reports:Q", title="Reports", format=","),
                     alt.Tooltip("messages:Q", title="Messages", format=","),
                     alt.Tooltip("reports_per_1000:Q", title="Per 1,000 messages", format=",.2f")],
        ).properties(height=220),
        width="stretch",
    )
    ui.table(frame, "spam_by_region", f, {"region": ui.text_col("Region"), **RATE_COLUMNS})
with by_market:
    ui.table(view.by("market"), "spam_by_market", f, {"market": ui.text_col("Market"), **RATE_COLUMNS})
with by_category:
    frame = view.by("category")
    st.altair_chart(
        alt.Chart(frame).mark_bar().encode(
            x=alt.X("reports_per_1000:Q", title="Reports per 1,000 messages"),
            y=alt.Y("category:N", sort="-x", title=None),
            color=colors.category(legend=None),
            tooltip=[alt.Tooltip("category:N", title="Business category"),
                     alt.Tooltip("reports:Q", title="Reports", format=","),
                     alt.Tooltip("reports_per_1000:Q", title="Per 1,000 messages", format=",.2f")],
        ).properties(height=300),
        width="stretch",
    )
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
        "template": ui.text_col("Template", help="Empty: a free-form message, or a report without a message"),
        "reports": ui.int_col("Reports"), "businesses": ui.int_col("Businesses"),
    })
