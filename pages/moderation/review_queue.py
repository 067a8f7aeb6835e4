from datetime import date, timedelta

import streamlit as st

from trustdesk.moderation import review, risk, views
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
saved = review.saved_views(root, who)
VIEW_KEYS = {"queue": "view_queue", "policy": "view_policy", "signal": "view_signal", "market": "view_market"}
VIEW_KEYS["category"] = "view_category"


def apply_saved() -> None:
    chosen = saved.get(state.get("saved_view"))
    for name, key in VIEW_KEYS.items():
        state[key] = getattr(chosen, name) if chosen else None


view = review.QueueFilter(**{name: state.get(key) for name, key in VIEW_KEYS.items()})
shown = views.review_queue(wh, who, cache.cached, view)
q = shown.queue
# After a decision on the business page, the next case comes from this view too.
state[casework.VIEW_CASES] = q.case_ids() if view.as_dict() else None
st.caption(
    f"Businesses flagged on any day of the {q.lookback:,} days up to {q.as_of:%d %b %Y} (the last day in the "
    f"data), highest risk first. A business is flagged when its risk score (0–100, from report, block, "
    f"opt-out and unsolicited-message rates over a trailing window) reaches {q.flag_score:.0f}. A decided "
    "business leaves the queue until a later day flags it again."
)
if q.opened:
    st.info(
        f"{q.opened:,} newly flagged {'business' if q.opened == 1 else 'businesses'} got a case (in every queue; "
        "this page shows those of the queues you work)."
    )

with st.expander(f"View: {view.words()}", expanded=bool(view.as_dict())):
    st.selectbox(
        "Saved views",
        list(saved),
        index=None,
        key="saved_view",
        on_change=apply_saved,
        placeholder="Choose a saved view" if saved else "No saved view yet: filter below and save it",
    )
    a, b, c, d, e = st.columns(5)
    a.selectbox(
        "Queue",
        [x["name"] for x in q.queues],
        index=None,
        key="view_queue",
        format_func={x["name"]: x["title"] for x in q.queues}.get,
        placeholder="Every queue",
    )
    b.selectbox(
        "Likely policy",
        list(shown.policies),
        index=None,
        key="view_policy",
        format_func=shown.policies.get,
        placeholder="Any policy",
    )
    c.selectbox(
        "Signal", list(risk.SIGNALS), index=None, key="view_signal", format_func=risk.SIGNALS.get, placeholder="Any"
    )
    d.selectbox("Market", shown.choices("country"), index=None, key="view_market", placeholder="Any market")
    e.selectbox("Category", shown.choices("category"), index=None, key="view_category", placeholder="Any category")
    with st.form("save_view", clear_on_submit=True, border=False):
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        left.text_input("Save these filters as", key="view_name", placeholder="e.g. Scams in Brazil")
        right.form_submit_button(
            "Save the view",
            icon=":material/bookmark_add:",
            on_click=lambda: act(f"View '{state['view_name']}' saved.", review.save_view, state["view_name"], view),
        )
    if state.get("saved_view"):
        st.button(
            f"Delete the view '{state['saved_view']}'",
            icon=":material/delete:",
            key="delete_view",
            on_click=lambda: act(
                f"View '{state['saved_view']}' deleted.", review.delete_view, state.pop("saved_view", None)
            ),
        )

counts = q.counts(who.name)
OVERDUE_HELP = "Cases past a service target: claim, decision or appeal (targets on the Settings page)"
HEADLINES = {
    "flagged": "Flagged businesses",
    "waiting": "Waiting for a moderator",
    "mine": "Claimed by you",
    "others": "Claimed by others",
    "paused": "Snoozed or on hold",
    "overdue": "Overdue",
}
for col, (count, title) in zip(st.columns(6), HEADLINES.items(), strict=True):
    col.metric(title, f"{counts[count]:,}", help=OVERDUE_HELP if count == "overdue" else None)

if st.button(
    "Next case",
    type="primary",
    key="next_case",
    icon=":material/play_arrow:",
    shortcut="Alt+N",
    help="Claim the highest-risk, then oldest, case of this view nobody is working on and open its business "
    "page (Alt+N)",
):
    case = review.next_case(root, who, q.case_ids())
    if case is None:
        state[FLASH] = (
            "info",
            "No case is waiting in this view: every case is decided, claimed by someone else, snoozed or on hold.",
        )
        st.rerun()
    open_business(case["business_id"])

if q.empty and view.as_dict():
    st.info(f"No flagged business matches this view ({view.words()}): clear a filter to see more.")
elif q.empty:
    st.info(
        f"The queue is empty: no business was flagged in the last {q.lookback:,} days up to {q.as_of:%d %b %Y} "
        "(or every flagged business has been decided since). New data loaded with `trustdesk load` is judged "
        "on the next visit."
    )
else:
    hide = st.toggle("Hide snoozed and held cases", value=False, key="hide_snoozed")
    table = shown.snoozed_hidden if hide else q.table
    # An account of a coordinated campaign links to the campaign, to decide its accounts together.
    linked = columns.with_link(table, "campaign_id", "campaigns", "campaign", "campaign_link")
    st.dataframe(
        linked.select(*columns.REVIEW_QUEUE),
        hide_index=True,
        width="stretch",
        column_config={**columns.REVIEW_QUEUE, "overdue": columns.overdue_col(q.overdue_phrases)},
    )
    tables.download(table, f"review_queue_{q.as_of}.csv")

if not q.elsewhere.is_empty():
    st.subheader("Other active cases")
    st.caption(
        "Cases whose business is not flagged in the current window: appeals waiting for a second "
        "moderator, and flags that have aged out. Decide appeals on the business page."
    )
    st.dataframe(
        q.elsewhere.select(*columns.OTHER_CASES),
        hide_index=True,
        width="stretch",
        column_config={**columns.OTHER_CASES, "overdue": columns.overdue_col(q.overdue_phrases)},
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
        "bulk",
        root,
        "Every decision but dismiss needs a written rationale; each case gets its own decision and audit line",
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
            state["bulk_override"],
        ),
    )
