import streamlit as st

from trustdesk.moderation import backtest
from trustdesk.moderation.errors import ModerationError
from trustdesk.moderation.review import refusal
from trustdesk.web import backtest_charts, cache, colors, session

who = session.require("moderator")
st.title("Queue backtest")
st.caption(
    "What the review queue would have flagged on past days, with the settings of now, against the decisions "
    "moderators took: on each judged day, the share of its top k that was decided against (precision) and the "
    "share of the businesses decided against whose flag falls in the day's look-back that made the top k (recall). "
    "Decided businesses are not left out of the past queues, and a decision before or after the day counts."
)
wh = cache.warehouse()
if wh is None:
    st.stop()
try:
    default_from, default_to = backtest.span(wh, None, None)
except ModerationError as exc:
    st.info(refusal(exc))
    st.stop()
first, last = wh.date_range()
cols = st.columns(4)
date_from = cols[0].date_input(
    "From", value=default_from, min_value=first, max_value=last, format="YYYY-MM-DD", key="backtest_from"
)
date_to = cols[1].date_input(
    "To (inclusive)", value=default_to, min_value=first, max_value=last, format="YYYY-MM-DD", key="backtest_to"
)
k = cols[2].number_input("Top k", 1, 1000, backtest.DEFAULT_K, step=1, key="backtest_k")
every = cols[3].number_input("Every N days", 1, 365, backtest.DEFAULT_EVERY, step=1, key="backtest_every")
try:
    with st.spinner("Computing the past queues…"):
        shown = backtest.backtest(wh, who, date_from, date_to, int(k), int(every), cache.cached)
except ModerationError as exc:
    st.warning(refusal(exc))
    st.stop()

ready = shown.readiness
if shown.scorer == "rules":
    st.markdown(
        "**Ranked by the rules' risk score.**"
        + (f" A model learned from decisions takes over when ready: {ready.sentence}." if not ready.ready else "")
    )
else:
    st.markdown(
        f"**Ranked by the {shown.scorer}** ({ready.against:,} decided against, {ready.dismissed:,} dismissed). "
        "It learned from every decision, later ones too, so its figures on past days flatter it."
    )

if not shown.has_decisions:
    st.info(
        "No decision yet: precision against decisions needs decided cases; showing what the queue flagged. "
        "Decisions are taken on the Review queue and Business pages."
    )
    chart = backtest_charts.flagged(shown)
else:
    chart = backtest_charts.precision_recall(shown)
    if chart is None:
        st.info("No judged day has a business in its queue or decided against in its look-back: widen the dates.")
if chart is not None:
    st.altair_chart(chart, width="stretch")
st.dataframe(
    shown.frame,
    hide_index=True,
    width="stretch",
    placeholder=colors.MISSING,
    column_config=backtest_charts.table_columns(shown.k),
)
st.caption(
    f"{shown.frame.height:,} days judged, every {shown.every:,} days back from {shown.date_to:%d %b %Y} to "
    f"{shown.date_from:%d %b %Y}; top {shown.k:,} of each day's queue."
)
