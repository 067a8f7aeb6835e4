import streamlit as st

from trustdesk.moderation import service
from trustdesk.web import charts, colors, columns, formats, session

who = session.require("moderator")
st.title("Moderator metrics")
m = service.metrics(session.data_root(), who)
goal = m.targets
st.caption(
    f"From the moderation store, all time, at {m.now:%d %b %Y %H:%M} UTC; the queues you may work. Targets from "
    f"the settings: a case claimed within {goal['claim']:g} h of opening and decided within "
    f"{goal['decision']:g} h, an appeal decided within {goal['appeal']:g} h of arriving."
)

top = st.columns(4)
top[0].metric("Decisions", f"{m.decisions:,}")
top[1].metric("Cases waiting", f"{m.waiting.height:,}", help="Open, claimed or under appeal")
kinds = m.overdue_by_kind()
top[2].metric(
    "Overdue cases",
    f"{m.overdue:,}",
    help=(
        f"Waiting cases past a target of the settings: {kinds['claim']:,} never claimed after "
        f"{goal['claim']:g} h (claim_target_hours), {kinds['decision']:,} not decided after {goal['decision']:g} h "
        f"(decision_target_hours), {kinds['appeal']:,} appeals not decided after {goal['appeal']:g} h "
        f"(appeal_target_hours). A case on hold is not counted while held ({m.on_hold:,} on hold now)."
    ),
)
top[3].metric(
    "Overturned appeals",
    f"{m.overturned:,} of {m.appeals:,}",
    help="Appeals decided, and how many of them overturned the first decision",
)

HEADLINES = (
    ("claim", "Median time to first claim", "From a case's opening to its first claim"),
    ("decision", "Median time to decision", "From a case's opening to its decision"),
    ("appeal", "Median appeal turnaround", "From an appeal's arrival to its decision"),
)
times = st.columns(3)
for box, (kind, label, what) in zip(times, HEADLINES):
    met = m.on_target(kind)
    box.metric(
        label,
        formats.duration(m.median(kind)),
        delta=f"target {goal[kind]:g} h",
        delta_color="gray" if met is None else "green" if met else "red",
        delta_arrow="off",
        help=f"{what}; over the cases where it has ended. Green: the median meets the target.",
    )

if m.cases.is_empty():
    st.info(
        "No case yet: cases open when a moderator opens the Review queue and it finds flagged businesses; "
        "their service times show here once they are claimed and decided."
    )
    st.stop()

st.subheader("Cases waiting")
if m.waiting.is_empty():
    st.info("No case is waiting: every case is decided.")
else:
    st.caption(
        f"Overdue cases first, then the longest waiting. {m.overdue:,} of {m.waiting.height:,} are overdue"
        + (f"; {m.on_hold:,} on hold." if m.on_hold else ".")
    )
    chart = charts.waiting_times(m.waiting.head(25))
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    st.dataframe(
        m.waiting,
        hide_index=True,
        width="stretch",
        placeholder=colors.MISSING,
        column_config={**columns.SERVICE_WAITING, "overdue": columns.overdue_col(m.overdue_phrases, pinned=True)},
    )

st.subheader("Service times")
st.dataframe(
    m.times.drop("kind"),
    hide_index=True,
    width="stretch",
    placeholder=colors.MISSING,
    column_config=columns.SERVICE_TIMES,
)

st.subheader("Per moderator")
if m.by_moderator.is_empty():
    st.info("Nobody has claimed or decided a case yet: cases are worked on the Review queue and Business pages.")
else:
    chart = charts.service_medians(m.by_moderator, "moderator", "Moderator", goal)
    if chart is not None:
        st.altair_chart(chart)
    st.dataframe(
        m.by_moderator,
        hide_index=True,
        width="stretch",
        placeholder=colors.MISSING,
        column_config=columns.SERVICE_BY_MODERATOR,
    )

st.subheader("Per queue")
chart = charts.service_medians(m.by_queue, "queue", "Queue", goal)
if chart is not None:
    st.altair_chart(chart)
st.dataframe(
    m.by_queue, hide_index=True, width="stretch", placeholder=colors.MISSING, column_config=columns.SERVICE_BY_QUEUE
)

with st.expander(f"Every case's service times ({m.cases.height:,} cases)"):
    st.dataframe(
        m.cases,
        hide_index=True,
        width="stretch",
        placeholder=colors.MISSING,
        column_config={**columns.SERVICE_CASES, "overdue": columns.overdue_col(m.overdue_phrases)},
    )
