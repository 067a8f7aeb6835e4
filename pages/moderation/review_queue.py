from datetime import date, timedelta

import streamlit as st

from trustdesk.moderation import review, views
from trustdesk.web import cache, casework, columns, page, session, tables

who = session.require("moderator")
wh = page.start("Review queue")
page.footer(wh)
root = wh.root
FLASH = "review_queue_flash"
state = st.session_state


def act(success, fn, *args) -> None:
    casework.attempt(FLASH, root, success, fn, *args)


def open_business(business_id: str) -> None:
    state["business"] = business_id
    st.switch_page("pages/moderation/business.py", query_params={"business": business_id})


page.flash(FLASH)
shown = views.review_queue(wh, who, cache.cached)
q = shown.queue
st.caption(
    f"Businesses flagged on any day of the {q.lookback:,} days up to {q.as_of:%d %b %Y} (the last day in the "
    f"data), highest risk first. A business is flagged when its risk score (0–100, from report, block, "
    f"opt-out and unsolicited-message rates over a trailing window) reaches {q.flag_score:.0f}. A decided "
    "business leaves the queue until a later day flags it again."
)
if q.opened:
    st.info(f"{q.opened:,} newly flagged {'business' if q.opened == 1 else 'businesses'} got a case.")

counts = q.counts(who.name)
HEADLINES = {
    "flagged": "Flagged businesses",
    "waiting": "Waiting for a moderator",
    "mine": "Claimed by you",
    "others": "Claimed by others",
    "snoozed": "Snoozed",
}
for col, (count, title) in zip(st.columns(5), HEADLINES.items(), strict=True):
    col.metric(title, f"{counts[count]:,}")

if st.button(
    "Next case",
    type="primary",
    key="next_case",
    icon=":material/play_arrow:",
    help="Claim the highest-risk, then oldest, case nobody is working on and open its business page",
):
    case = review.next_case(root, who)
    if case is None:
        state[FLASH] = ("info", "No case is waiting: every case is decided, claimed by someone else or snoozed.")
        st.rerun()
    open_business(case["business_id"])

if q.empty:
    st.info(
        f"The queue is empty: no business was flagged in the last {q.lookback:,} days up to {q.as_of:%d %b %Y} "
        "(or every flagged business has been decided since). New data loaded with `trustdesk load` is judged "
        "on the next visit."
    )
else:
    hide = st.toggle("Hide snoozed cases", value=False, key="hide_snoozed")
    table = shown.snoozed_hidden if hide else q.table
    st.dataframe(
        table.select(*columns.REVIEW_QUEUE), hide_index=True, width="stretch", column_config=columns.REVIEW_QUEUE
    )
    tables.download(table, f"review_queue_{q.as_of}.csv")

if not q.elsewhere.is_empty():
    st.subheader("Other active cases")
    st.caption(
        "Cases whose business is not flagged in the current window: appeals waiting for a second "
        "moderator, and flags that have aged out. Decide appeals on the business page."
    )
    st.dataframe(
        q.elsewhere.select(*columns.OTHER_CASES), hide_index=True, width="stretch", column_config=columns.OTHER_CASES
    )

every_case = shown.cases
if not every_case:
    st.stop()


def label(case_id: int) -> str:
    return casework.case_label(case_id, every_case[case_id])


st.subheader("Work on one case")
chosen = st.selectbox("Case", list(every_case), format_func=label, key="case")
row = every_case[chosen]
st.text(f"Reasons: {row.get('reasons') or row.get('case_reasons') or '–'}")
left, middle, right = st.columns(3)
if left.button("Open the business page", icon=":material/storefront:", key="open_business"):
    open_business(row["business_id"])
middle.button(
    "Claim",
    icon=":material/pan_tool:",
    key="claim",
    help="Nobody else may decide it while your claim lasts",
    on_click=lambda: act(f"You claimed case {state['case']}.", review.claim, state["case"]),
)
right.button(
    "Release",
    icon=":material/undo:",
    key="release",
    help="Give the case back to the queue",
    on_click=lambda: act(f"Case {state['case']} is back in the queue.", review.release, state["case"]),
)
with st.form("snooze"):
    tomorrow = date.today() + timedelta(days=1)
    st.date_input(
        "Snooze until (00:00 UTC of that day)",
        key="snooze_until",
        value=tomorrow,
        min_value=tomorrow,
        format="YYYY-MM-DD",
    )
    st.form_submit_button(
        "Snooze",
        icon=":material/snooze:",
        key="snooze",
        on_click=lambda: act(
            lambda moment: (
                f"Case {state['case']} is snoozed until {moment:%Y-%m-%d %H:%M} UTC; Next case skips it until then."
            ),
            review.snooze,
            state["case"],
            state["snooze_until"],
        ),
    )

st.subheader("Decide several cases")
if shown.workable.is_empty():
    st.info("No open or claimed case is waiting for a decision.")
    st.stop()
with st.form("bulk"):
    st.multiselect("Cases", shown.workable["case_id"].to_list(), format_func=label, key="bulk_cases")
    casework.decision_fields(
        "bulk", "Every decision but dismiss needs a written rationale; each case gets its own decision and audit line"
    )
    st.form_submit_button(
        "Record the decision",
        type="primary",
        key="bulk_decide",
        on_click=lambda: act(
            lambda outcome: casework.bulk_outcome(state["bulk_action"], outcome),
            review.decide_many,
            state["bulk_cases"],
            state["bulk_action"],
            state["bulk_policy"],
            state["bulk_rationale"],
            q.as_of,
        ),
    )
