from datetime import date, timedelta

import streamlit as st

from trustdesk.moderation import review
from trustdesk.web import ui
from trustdesk.data.export import safe_csv
from trustdesk.accounts.auth import PermissionDenied
from trustdesk.moderation.cases import ACTION_WORDS, ACTIONS, POLICIES, ModerationError

who = ui.require("moderator")
st.title("Review queue")
wh = ui.warehouse()
if wh is None:
    st.stop()
ui.footer(wh)
root = wh.root
FLASH = "review_queue_flash"


def attempt(success, fn, *args) -> None:
    """Run a store action from a widget's callback, so it acts on what the person saw when they
    clicked (the case may have changed since); the next run says what happened."""
    try:
        result = fn(root, ui.principal(), *args)
    except (ModerationError, PermissionDenied) as exc:
        st.session_state[FLASH] = ("warning", review.refusal(exc))
    else:
        st.session_state[FLASH] = success(result) if callable(success) else ("success", success)


def open_business(business_id: str) -> None:
    st.session_state["business"] = business_id
    st.switch_page("pages/moderation/business.py", query_params={"business": business_id})


kind, text = st.session_state.pop(FLASH, (None, None))
if kind:
    getattr(st, kind)(text)

q = review.open_queue(wh, who, lambda *args: ui.cached(review.flags, *args))
st.caption(
    f"Businesses flagged on any day of the {q.lookback:,} days up to {q.as_of:%d %b %Y} (the last day in the "
    f"data), highest risk first. A business is flagged when its risk score (0–100, from report, block, "
    f"opt-out and unsolicited-message rates over a trailing window) reaches {q.flag_score:.0f}. A decided "
    "business leaves the queue until a later day flags it again."
)
if q.opened:
    st.info(f"{q.opened:,} newly flagged {'business' if q.opened == 1 else 'businesses'} got a case.")

counts = q.counts(who.name)
cols = st.columns(5)
cols[0].metric("Flagged businesses", f"{counts['flagged']:,}")
cols[1].metric("Waiting for a moderator", f"{counts['waiting']:,}")
cols[2].metric("Claimed by you", f"{counts['mine']:,}")
cols[3].metric("Claimed by others", f"{counts['others']:,}")
cols[4].metric("Snoozed", f"{counts['snoozed']:,}")

if st.button("Next case", type="primary", key="next_case", icon=":material/play_arrow:",
             help="Claim the highest-risk, then oldest, case nobody is working on and open its business page"):
    case = review.next_case(root, who)
    if case is None:
        st.session_state[FLASH] = ("info", "No case is waiting: every case is decided, claimed by someone else "
                                           "or snoozed.")
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
    table = q.table.filter(q.table["snoozed_until"].is_null()) if hide else q.table
    st.dataframe(
        table.select("rank", "name", "risk_score", "rating", "status", "claimed_by", "reasons", "snoozed_until",
                     "case_id", "business_id", "category", "first_flagged", "peak_day", "reached_users"),
        hide_index=True, width="stretch",
        column_config={
            "rank": st.column_config.NumberColumn("Rank", format="%d"),
            "name": st.column_config.TextColumn("Business name", pinned=True),
            "risk_score": st.column_config.ProgressColumn("Risk score", min_value=0, max_value=100, format="%.1f"),
            "rating": st.column_config.TextColumn("Quality rating",
                                                  help="Over the 7 days up to the last day in the data"),
            "reasons": st.column_config.TextColumn("Reasons", width="large"),
            "status": st.column_config.TextColumn("Case status"),
            "claimed_by": st.column_config.TextColumn("Claimed by"),
            "snoozed_until": st.column_config.TextColumn("Snoozed until (UTC)"),
            "case_id": st.column_config.NumberColumn("Case", format="%d"),
            "business_id": st.column_config.TextColumn("Business"),
            "category": st.column_config.TextColumn("Category"),
            "first_flagged": st.column_config.DateColumn("First flagged"),
            "peak_day": st.column_config.DateColumn("Riskiest day"),
            "reached_users": st.column_config.NumberColumn("Reached users (window)", format="localized"),
        },
    )
    st.download_button("Download CSV", safe_csv(table), file_name=f"review_queue_{q.as_of}.csv", mime="text/csv",
                       icon=":material/download:")

cases = q.workable()
if not q.elsewhere.is_empty():
    st.subheader("Other active cases")
    st.caption("Cases whose business is not flagged in the current window: appeals waiting for a second "
               "moderator, and flags that have aged out. Decide appeals on the business page.")
    st.dataframe(
        q.elsewhere.select("case_id", "business_id", "status", "claimed_by", "snoozed_until", "opened_at",
                           "case_risk_score", "case_reasons"),
        hide_index=True, width="stretch",
        column_config={
            "case_id": st.column_config.NumberColumn("Case", format="%d"),
            "business_id": st.column_config.TextColumn("Business"),
            "status": st.column_config.TextColumn("Case status"),
            "claimed_by": st.column_config.TextColumn("Claimed by"),
            "snoozed_until": st.column_config.TextColumn("Snoozed until (UTC)"),
            "opened_at": st.column_config.TextColumn("Opened (UTC)"),
            "case_risk_score": st.column_config.NumberColumn("Risk score when flagged", format="%.1f"),
            "case_reasons": st.column_config.TextColumn("Reasons when flagged", width="large"),
        },
    )

every_case = {r["case_id"]: r for r in q.table.filter(q.table["case_id"].is_not_null()).iter_rows(named=True)}
every_case |= {r["case_id"]: r for r in q.elsewhere.iter_rows(named=True)}
if not every_case:
    st.stop()


def label(case_id: int) -> str:
    r = every_case[case_id]
    holder = f", claimed by {r['claimed_by']}" if r["claimed_by"] else ""
    return f"case {case_id} · {r['business_id']} · {r.get('name') or ''} ({r['status']}{holder})"


def bulk_outcome(outcome: dict[int, str]) -> tuple[str, str]:
    decided = [c for c, result in outcome.items() if result == "decided"]
    refused = [result for result in outcome.values() if result != "decided"]
    words = ACTION_WORDS[st.session_state["bulk_action"]]
    text = f"{words}: {len(decided):,} of {len(outcome):,} {'case' if len(outcome) == 1 else 'cases'} decided"
    text += f" ({', '.join(map(str, decided))})." if decided else "."
    if refused:
        return "warning", text + " Refused: " + " ".join(review.refusal(why) for why in refused)
    return "success", text


st.subheader("Work on one case")
chosen = st.selectbox("Case", list(every_case), format_func=label, key="case")
row = every_case[chosen]
st.text(f"Reasons: {row.get('reasons') or row.get('case_reasons') or '–'}")
left, middle, right = st.columns(3)
if left.button("Open the business page", icon=":material/storefront:", key="open_business"):
    open_business(row["business_id"])
middle.button("Claim", icon=":material/pan_tool:", key="claim", help="Nobody else may decide it while your claim lasts",
              on_click=lambda: attempt(f"You claimed case {st.session_state['case']}.", review.claim,
                                       st.session_state["case"]))
right.button("Release", icon=":material/undo:", key="release", help="Give the case back to the queue",
             on_click=lambda: attempt(f"Case {st.session_state['case']} is back in the queue.", review.release,
                                      st.session_state["case"]))
with st.form("snooze"):
    st.date_input("Snooze until (00:00 UTC of that day)", key="snooze_until", value=date.today() + timedelta(days=1),
                  min_value=date.today() + timedelta(days=1), format="YYYY-MM-DD")
    st.form_submit_button(
        "Snooze", icon=":material/snooze:", key="snooze",
        on_click=lambda: attempt(
            lambda moment: ("success", f"Case {st.session_state['case']} is snoozed until {moment:%Y-%m-%d %H:%M} "
                                       "UTC; Next case skips it until then."),
            review.snooze, st.session_state["case"], st.session_state["snooze_until"]),
    )

st.subheader("Decide several cases")
if cases.is_empty():
    st.info("No open or claimed case is waiting for a decision.")
    st.stop()
with st.form("bulk"):
    st.multiselect("Cases", cases["case_id"].to_list(), format_func=label, key="bulk_cases")
    st.selectbox("Decision", ACTIONS, index=None, format_func=ACTION_WORDS.get, key="bulk_action",
                 placeholder="Choose a decision")
    st.selectbox("Policy", POLICIES, index=None, placeholder="Choose the policy broken (not needed to dismiss)",
                 key="bulk_policy")
    st.text_area("Rationale", key="bulk_rationale",
                 help="Every decision but dismiss needs a written rationale; each case gets its own decision and "
                      "audit line")
    st.form_submit_button(
        "Record the decision", type="primary", key="bulk_decide",
        on_click=lambda: attempt(bulk_outcome, review.decide_many, st.session_state["bulk_cases"],
                                 st.session_state["bulk_action"], st.session_state["bulk_policy"],
                                 st.session_state["bulk_rationale"], q.as_of),
    )
