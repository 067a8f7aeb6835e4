import altair as alt
import streamlit as st

from trustdesk.moderation import review
from trustdesk.web import ui

who = ui.require("moderator")


def duration(hours: float | None) -> str:
    if hours is None:
        return "–"
    return f"{hours * 60:,.0f} min" if hours < 1 else f"{hours:,.1f} h"


st.title("Moderator metrics")
m = review.moderator_metrics(ui.data_root(), who)
st.caption("From the moderation store, all time. Time to decision runs from the case's opening (the flag "
           "reaching the queue) to its first decision.")

decisions = int(m.decisions_by_moderator["decisions"].sum()) if m.decisions_by_moderator.height else 0
cols = st.columns(4)
cols[0].metric("Decisions", f"{decisions:,}")
cols[1].metric("Median time to decision", duration(m.median_hours_to_decision))
cols[2].metric("Cases waiting", f"{m.waiting.height:,}",
               help="Open, claimed or under appeal" + (
                   f"; the oldest waits {m.waiting['age_hours'].max():,.1f} h" if m.waiting.height else ""))
cols[3].metric("Overturned appeals", f"{m.overturned:,} of {m.appeals:,}",
               help="Appeals decided, and how many of them overturned the first decision")

st.subheader("Decisions per moderator")
if m.decisions_by_moderator.is_empty():
    st.info("No decision yet: decisions are taken on the Review queue and Business pages.")
else:
    st.altair_chart(
        alt.Chart(m.decisions_by_moderator).mark_bar().encode(
            x=alt.X("decisions:Q", title="Decisions", axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y("decided_by:N", sort="-x", title=None),
            tooltip=[alt.Tooltip("decided_by:N", title="Moderator"),
                     alt.Tooltip("decisions:Q", title="Decisions", format=","),
                     alt.Tooltip("overturned:Q", title="Overturned on appeal", format=",")],
        ).properties(height=max(120, 28 * m.decisions_by_moderator.height)),
        width="stretch",
    )
    st.dataframe(m.decisions_by_moderator, hide_index=True, width="stretch", column_config={
        "decided_by": st.column_config.TextColumn("Moderator"),
        "decisions": st.column_config.NumberColumn("Decisions", format="localized"),
        "overturned": st.column_config.NumberColumn("Overturned on appeal", format="localized"),
    })

st.subheader("Cases waiting")
if m.waiting.is_empty():
    st.info("No case is waiting: every case is decided.")
else:
    oldest = m.waiting.head(25)
    st.caption(f"The {oldest.height:,} oldest of {m.waiting.height:,} cases waiting, and how long they have waited "
               "since their case opened." if m.waiting.height > oldest.height else
               "How long each case has waited since it opened.")
    st.altair_chart(
        alt.Chart(oldest).mark_bar().encode(
            x=alt.X("age_hours:Q", title="Waiting for (hours)"),
            y=alt.Y("case_id:N", sort="-x", title="Case"),
            color=alt.Color("status:N", title="Status"),
            tooltip=[alt.Tooltip("case_id:N", title="Case"), alt.Tooltip("business_id:N", title="Business"),
                     alt.Tooltip("status:N", title="Status"), alt.Tooltip("claimed_by:N", title="Claimed by"),
                     alt.Tooltip("age_hours:Q", title="Waiting for (hours)", format=",.1f")],
        ).properties(height=alt.Step(20)),
        width="stretch",
    )
    st.dataframe(m.waiting, hide_index=True, width="stretch", column_config={
        "case_id": st.column_config.NumberColumn("Case", format="%d"),
        "business_id": st.column_config.TextColumn("Business"),
        "status": st.column_config.TextColumn("Status"),
        "risk_score": st.column_config.NumberColumn("Risk score", format="%.1f"),
        "claimed_by": st.column_config.TextColumn("Claimed by"),
        "age_hours": st.column_config.NumberColumn("Waiting for (hours)", format="%.1f"),
    })
