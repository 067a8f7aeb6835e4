import streamlit as st

from trustdesk.moderation import views
from trustdesk.web import charts, columns, formats, session

who = session.require("moderator")
st.title("Moderator metrics")
shown = views.metrics_page(session.data_root(), who)
m = shown.metrics
st.caption(
    "From the moderation store, all time. Time to decision runs from the case's opening (the flag "
    "reaching the queue) to its first decision."
)

cols = st.columns(4)
cols[0].metric("Decisions", f"{shown.decisions:,}")
cols[1].metric("Median time to decision", formats.duration(m.median_hours_to_decision))
cols[2].metric(
    "Cases waiting",
    f"{m.waiting.height:,}",
    help="Open, claimed or under appeal"
    + (f"; the oldest waits {shown.oldest_wait_hours:,.1f} h" if m.waiting.height else ""),
)
cols[3].metric(
    "Overturned appeals",
    f"{m.overturned:,} of {m.appeals:,}",
    help="Appeals decided, and how many of them overturned the first decision",
)

st.subheader("Decisions per moderator")
if m.decisions_by_moderator.is_empty():
    st.info("No decision yet: decisions are taken on the Review queue and Business pages.")
else:
    st.altair_chart(charts.decisions_by_moderator(m.decisions_by_moderator), width="stretch")
    st.dataframe(
        m.decisions_by_moderator, hide_index=True, width="stretch", column_config=columns.DECISIONS_BY_MODERATOR
    )

st.subheader("Cases waiting")
if m.waiting.is_empty():
    st.info("No case is waiting: every case is decided.")
else:
    oldest = m.waiting.head(25)
    st.caption(
        f"The {oldest.height:,} oldest of {m.waiting.height:,} cases waiting, and how long they have waited "
        "since their case opened."
        if m.waiting.height > oldest.height
        else "How long each case has waited since it opened."
    )
    st.altair_chart(charts.cases_waiting(oldest), width="stretch")
    st.dataframe(m.waiting, hide_index=True, width="stretch", column_config=columns.CASES_WAITING)
