import altair as alt
import streamlit as st

from trustdesk.moderation import business
from trustdesk.moderation import review
from trustdesk.moderation import risk
from trustdesk.web import ui
from trustdesk.accounts.auth import PermissionDenied
from etl.settings import Settings
from trustdesk.moderation.cases import ACTION_WORDS, ACTIONS, POLICIES, ModerationError

who = ui.require("moderator")
st.title("Business")
wh = ui.warehouse()
if wh is None:
    st.stop()
root = wh.root
FLASH = "business_flash"
VERDICTS = {"Uphold the decision": "upheld", "Overturn the decision": "overturned"}
RATING_COLORS = alt.Scale(domain=["HIGH", "MEDIUM", "LOW", "UNKNOWN"],
                          range=["#2e7d32", "#f9a825", "#c62828", "#9e9e9e"])


def attempt(success, fn, *args) -> None:
    """Run a store action from a widget's callback, on the case the person saw when they clicked
    (someone may have decided it since: they are told who); the next run says what happened."""
    try:
        fn(root, ui.principal(), *args)
    except (ModerationError, PermissionDenied) as exc:
        st.session_state[FLASH] = ("warning", review.refusal(exc))
    else:
        st.session_state[FLASH] = ("success", success() if callable(success) else success)


def when(iso: str | None) -> str:
    return "–" if not iso else iso[:16].replace("T", " ")


# The business comes from the link (?business=ID), else from the last one opened in this session
# (the review queue's "Next case" puts it in both), else from the choice below.
choices = review.queue_businesses(wh, who, lambda *args: ui.cached(review.flags, *args))
names = dict(zip(choices["business_id"], choices["name"]))
requested = st.query_params.get("business") or st.session_state.get("business")
if requested and "business_pick" not in st.session_state:
    st.session_state["business_pick"] = requested
options = list(names)
if st.session_state.get("business_pick") and st.session_state["business_pick"] not in names:
    options.insert(0, st.session_state["business_pick"])
if not options:
    st.info("No business to show: the review queue is empty and no case is open. Open a business from a "
            "link with `?business=ID`, or come back when the queue has businesses.")
    st.stop()
picked = st.selectbox(
    "Business", options, key="business_pick",
    format_func=lambda b: f"{b} · {names.get(b) or ''}".rstrip(" ·"),
    help="The businesses of the review queue and those with an open case",
)
st.session_state["business"] = picked
if st.query_params.get("business") != picked:
    st.query_params["business"] = picked
sidebar_period = ui.period_filter(wh)
ui.footer(wh)
# A flagged business opens on the days its flag was judged on: the sidebar's last 30 days may hold
# none of the abuse (it may have happened weeks before the last day in the data).
flag = review.flag_period(choices, picked)
FLAG, SIDEBAR = "flag", "sidebar"
evidence = FLAG if flag else SIDEBAR
if flag:
    evidence = st.radio(
        "Evidence period", [FLAG, SIDEBAR], key=f"evidence-{picked}", horizontal=True,
        format_func=lambda v: (f"The flag's {flag.days:,} days ({risk.span(flag.date_from, flag.date_to)})"
                               if v == FLAG else "The sidebar's period"),
        help="The flag is judged on the trailing days up to the business's riskiest day; its reasons "
             "describe those days",
    )
period = flag if evidence == FLAG else sidebar_period
period_words = (f"the {flag.days:,} days the flag was based on, up to its riskiest day" if evidence == FLAG
                else "the sidebar's period")

kind, text = st.session_state.pop(FLASH, (None, None))
if kind:
    getattr(st, kind)(text)

view = ui.cached(business.view, wh, picked, period, Settings.load(root))
if not view.exists:
    st.warning("This business is not in the data: no file or event names it. Choose another one above.")
    st.stop()
cases = review.case_file(root, who, picked)
as_of = wh.date_range()[1]

left, right = st.columns([3, 2])
with left:
    st.subheader("Profile")
    st.text(view.name)
    st.dataframe(view.profile_rows(), hide_index=True, width="stretch", height="content", column_config={
        "field": st.column_config.TextColumn("Field"), "value": st.column_config.TextColumn("Value")})
with right:
    rev = view.revenue
    st.subheader("Revenue at stake")
    st.caption(f"{rev.date_from:%d %b %Y} – {rev.date_to:%d %b %Y}, the last 30 days in the data: billable "
               "messages priced with the rate card in force on each message's day, plus Status ad spend.")
    st.metric("Total", f"${rev.total_usd:,.2f}")
    a, b = st.columns(2)
    a.metric("Messaging revenue", f"${rev.messaging_revenue_usd:,.2f}",
             help=f"{rev.billable_messages:,} billable messages")
    b.metric("Ad spend", f"${rev.ad_spend_usd:,.2f}")

events = ui.cached(business.platform_events, wh, picked)
if events.height:
    st.subheader("What the platform said")
    st.caption("Quality ratings, messaging limits, violations, restrictions, bans and template status, as "
               "WhatsApp's webhooks reported them, newest first.")
    st.dataframe(events.select("day", "event", "subject", "change", "detail"), hide_index=True, width="stretch",
                 column_config={"day": st.column_config.DateColumn("Date"),
                                "event": st.column_config.TextColumn("Event"),
                                "subject": st.column_config.TextColumn("About"),
                                "change": st.column_config.TextColumn("Old -> new"),
                                "detail": st.column_config.TextColumn("Detail", width="large")})

# --------------------------------------------------------------------------- the case and its decision
st.subheader("Case")
case = cases.active
state = st.session_state
if case is not None and case["status"] in ("open", "claimed"):
    holder = cases.claimed_by(case)
    st.caption(f"Case {case['id']} opened {when(case['opened_at'])} UTC, first flagged on {case['flagged_on']}; "
               f"risk score {case['risk_score'] or 0:.1f} when last seen in the queue.")
    st.text(f"Reasons: {case['reasons'] or '–'}")
    if holder is None:
        st.info(f"Case {case['id']} is open and nobody is working on it: claim it to decide it.")
        st.button(f"Claim case {case['id']}", type="primary", icon=":material/pan_tool:", key="claim_case",
                  on_click=attempt, args=(f"You claimed case {case['id']}.", review.claim, case["id"]))
    elif holder != who.name:
        st.warning(review.plain(f"Case {case['id']} is being worked on by {holder}; it is theirs to decide."))
    else:
        with st.form("decision"):
            st.caption(f"You hold case {case['id']}. Every decision but dismiss needs a policy and a rationale.")
            st.selectbox("Decision", ACTIONS, index=None, format_func=ACTION_WORDS.get, key="decision_action",
                         placeholder="Choose a decision")
            st.selectbox("Policy", POLICIES, index=None, key="decision_policy",
                         placeholder="Choose the policy broken (not needed to dismiss)")
            st.text_area("Rationale", key="decision_rationale")
            st.form_submit_button(
                "Record the decision", type="primary", key="decide",
                on_click=lambda case_id=case["id"]: attempt(
                    lambda: f"Case {case_id}: {ACTION_WORDS[state['decision_action']]} recorded.",
                    review.decide, case_id,
                    state["decision_action"], state["decision_policy"], state["decision_rationale"], as_of),
            )
        st.button("Release the case", icon=":material/undo:", key="release_case", on_click=attempt,
                  args=(f"Case {case['id']} is back in the queue.", review.release, case["id"]))
elif case is not None and case["status"] == "appealed":
    first = cases.first_decision(case["id"]) or {}
    st.info(review.plain(
        f"Case {case['id']} is under appeal. The first decision, {ACTION_WORDS.get(first.get('action'), '?')} "
        f"by {first.get('decided_by', '?')}, is decided again by another moderator."))
    with st.form("appeal_decision"):
        st.radio("The appeal", list(VERDICTS), key="appeal_verdict")
        st.text_area("Rationale", key="appeal_rationale")
        st.form_submit_button(
            "Decide the appeal", type="primary", key="decide_appeal",
            on_click=lambda case_id=case["id"]: attempt(
                f"The appeal of case {case_id} is decided: the decision is {VERDICTS[state['appeal_verdict']]}.",
                review.decide_appeal, case_id, state["appeal_verdict"].startswith("Overturn"),
                state["appeal_rationale"]),
        )
else:
    decided = cases.latest_decided
    if decided is None:
        st.info("This business has no open case: it is not flagged now, or it was decided and not flagged since.")
    else:
        first = cases.first_decision(decided["id"]) or {}
        st.info(review.plain(
            f"Case {decided['id']} was decided: {ACTION_WORDS.get(first.get('action'), '?')} by "
            f"{first.get('decided_by', '?')} on {when(first.get('decided_at'))} UTC."))
        with st.expander("Record an appeal from the business"):
            with st.form("appeal"):
                st.text_area("What the business appeals against, in its words", key="appeal_text")
                st.form_submit_button(
                    "Record the appeal", key="record_appeal",
                    on_click=lambda case_id=decided["id"]: attempt(
                        f"The appeal of case {case_id} is recorded; another moderator decides it.",
                        review.appeal, case_id, state["appeal_text"]),
                )

# --------------------------------------------------------------------------- the evidence
st.caption(f"Evidence over {risk.span(period.date_from, period.date_to)}: {period_words}.")
activity, feedback, reported, ads, history = st.tabs(
    ["Activity and quality", "Reports and blocks", "Reported messages", "Ad campaigns", "Cases and notes"])
days = view.days
with activity:
    if days["messages_sent"].sum() == 0 and days["reports"].sum() + days["blocks"].sum() + days["opt_outs"].sum() == 0:
        st.info("This business sent nothing and got no feedback in this period; choose a longer period.")
    else:
        min_reached, medium_from, low_from = view.thresholds
        st.markdown("**Quality rating per day**")
        st.caption(f"Negative users (blocked or reported) / reached users over the 7 days up to each day: HIGH "
                   f"under {medium_from:.0%}, MEDIUM under {low_from:.0%}, LOW from {low_from:.0%}; UNKNOWN with "
                   f"fewer than {min_reached:,} reached users.")
        base = alt.Chart(days).encode(x=alt.X("day:T", title=None))
        st.altair_chart(
            base.mark_line(color="#9e9e9e").encode(y=alt.Y("negative_rate_7d:Q", title="Negative rate (7 days)",
                                                          axis=alt.Axis(format="%")))
            + base.mark_circle(size=60).encode(
                y="negative_rate_7d:Q",
                color=alt.Color("rating:N", scale=RATING_COLORS, title="Rating"),
                tooltip=[alt.Tooltip("day:T", title="Day"), alt.Tooltip("rating:N", title="Rating"),
                         alt.Tooltip("negative_rate_7d:Q", title="Negative rate", format=".1%"),
                         alt.Tooltip("negative_7d:Q", title="Negative users", format=","),
                         alt.Tooltip("reached_7d:Q", title="Reached users", format=",")])
            + alt.Chart(alt.Data(values=[{"at": medium_from}, {"at": low_from}]))
            .mark_rule(strokeDash=[4, 3], color="#555555").encode(y="at:Q"),
            width="stretch",
        )
        st.markdown("**Messages sent and feedback per day**")
        st.altair_chart(
            alt.Chart(days).mark_bar(color="#90caf9").encode(
                x=alt.X("day:T", title=None), y=alt.Y("messages_sent:Q", title="Messages sent"),
                tooltip=[alt.Tooltip("day:T", title="Day"),
                         alt.Tooltip("messages_sent:Q", title="Messages sent", format=","),
                         alt.Tooltip("messages_ok:Q", title="Not failed", format=",")],
            ).properties(height=200),
            width="stretch",
        )
        st.altair_chart(
            alt.Chart(days).transform_fold(["reports", "blocks", "opt_outs"], as_=["what", "count"])
            .transform_calculate(what="datum.what == 'opt_outs' ? 'marketing opt-outs' : datum.what")
            .mark_line(point=True)
            .encode(
                x=alt.X("day:T", title=None), y=alt.Y("count:Q", title="Per day"),
                color=alt.Color("what:N", title=None, scale=alt.Scale(
                    domain=["reports", "blocks", "marketing opt-outs"], range=["#c62828", "#6a1b9a", "#ef6c00"])),
                tooltip=[alt.Tooltip("day:T", title="Day"), alt.Tooltip("what:N", title="What"),
                         alt.Tooltip("count:Q", title="Count", format=",")],
            ).properties(height=200),
            width="stretch",
        )
        st.dataframe(days, hide_index=True, width="stretch", column_config={
            "day": st.column_config.DateColumn("Day"),
            "messages_sent": st.column_config.NumberColumn("Messages sent", format="localized"),
            "messages_ok": st.column_config.NumberColumn("Not failed", format="localized"),
            "reports": st.column_config.NumberColumn("Reports", format="localized"),
            "blocks": st.column_config.NumberColumn("Blocks", format="localized"),
            "opt_outs": st.column_config.NumberColumn("Marketing opt-outs", format="localized"),
            "reached_7d": st.column_config.NumberColumn("Reached users (7 days)", format="localized"),
            "negative_7d": st.column_config.NumberColumn("Negative users (7 days)", format="localized"),
            "negative_rate_7d": st.column_config.NumberColumn("Negative rate (7 days)", format="percent"),
            "rating": st.column_config.TextColumn("Rating"),
        })
with feedback:
    if view.reasons.is_empty():
        st.info("Nobody reported or blocked this business in this period.")
    else:
        charts = st.columns(2)
        for col, kind, title in ((charts[0], "report", "Reports by reason"), (charts[1], "block", "Blocks by reason")):
            col.altair_chart(
                alt.Chart(view.reasons, title=title).transform_filter(alt.datum.kind == kind).mark_bar(
                    color="#c62828" if kind == "report" else "#6a1b9a").encode(
                    x=alt.X("events:Q", title=f"{kind.capitalize()}s"), y=alt.Y("reason:N", sort="-x", title=None),
                    tooltip=[alt.Tooltip("reason:N", title="Reason"),
                             alt.Tooltip("events:Q", title=f"{kind.capitalize()}s", format=","),
                             alt.Tooltip("users:Q", title="Distinct users", format=",")],
                ).properties(height=alt.Step(22)),
                width="stretch",
            )
        st.dataframe(view.reasons, hide_index=True, width="stretch", column_config={
            "kind": st.column_config.TextColumn("Kind"), "reason": st.column_config.TextColumn("Reason"),
            "events": st.column_config.NumberColumn("Events", format="localized"),
            "users": st.column_config.NumberColumn("Distinct users", format="localized")})
        st.markdown("**Most reported templates**")
        st.dataframe(view.templates, hide_index=True, width="stretch", column_config={
            "template": st.column_config.TextColumn("Template"),
            "reports": st.column_config.NumberColumn("Reports", format="localized"),
            "main_reason": st.column_config.TextColumn("Main reason")})
with reported:
    hidden = int(days["reports"].sum())
    st.caption("Reported messages can be abusive or distressing: their texts stay hidden until you reveal them.")
    if hidden == 0:
        st.info("No report about this business in this period.")
    elif st.toggle(f"Reveal the {hidden:,} reported messages", key="reveal"):
        messages = ui.cached(business.reported_messages, wh, who, picked, period)
        if messages.height < hidden:
            st.caption(f"The newest {messages.height:,} reports.")
        st.dataframe(messages, hide_index=True, width="stretch", column_order=(
            "reported_at", "reason", "template", "text", "category", "sent_at", "user_id", "message_id", "report_id",
        ), column_config={
            "report_id": st.column_config.TextColumn("Report"),
            "reported_at": st.column_config.DatetimeColumn("Reported (UTC)", format="DD MMM YYYY HH:mm"),
            "reason": st.column_config.TextColumn("Reason"), "user_id": st.column_config.TextColumn("User"),
            "message_id": st.column_config.TextColumn("Message"),
            "sent_at": st.column_config.DatetimeColumn("Sent (UTC)", format="DD MMM YYYY HH:mm"),
            "category": st.column_config.TextColumn("Category"), "template": st.column_config.TextColumn("Template"),
            "text": st.column_config.TextColumn("Text", width="large"),
        })
with ads:
    if view.campaigns.is_empty():
        st.info("This business has no Status ad campaign.")
    else:
        st.dataframe(view.campaigns, hide_index=True, width="stretch", column_config={
            "campaign_id": st.column_config.TextColumn("Campaign"), "name": st.column_config.TextColumn("Name"),
            "objective": st.column_config.TextColumn("Objective"),
            "starts_on": st.column_config.DateColumn("Starts"), "ends_on": st.column_config.DateColumn("Ends"),
            "budget_usd": st.column_config.NumberColumn("Budget", format="dollar"),
            "countries": st.column_config.TextColumn("Countries"),
            "impressions": st.column_config.NumberColumn("Impressions", format="localized"),
            "reach": st.column_config.NumberColumn("Reach", format="localized"),
            "clicks": st.column_config.NumberColumn("Clicks", format="localized"),
            "replies": st.column_config.NumberColumn("Replies", format="localized"),
            "spend_usd": st.column_config.NumberColumn("Spend", format="dollar"),
            "ctr": st.column_config.NumberColumn("CTR", format="percent"),
        })
        st.caption(f"Impressions, reach, clicks, replies and spend over {risk.span(period.date_from, period.date_to)}.")
with history:
    if not cases.cases:
        st.info("This business has never had a case.")
    else:
        st.markdown("**Cases**")
        st.dataframe(
            [{k: c[k] for k in ("id", "status", "flagged_on", "opened_at", "claimed_by", "decided_at",
                                "risk_score", "reasons")} for c in reversed(cases.cases)],
            hide_index=True, width="stretch", column_config={
                "id": st.column_config.NumberColumn("Case", format="%d"), "status": "Status",
                "flagged_on": "First flagged", "opened_at": "Opened (UTC)", "claimed_by": "Claimed or decided by",
                "decided_at": "Decided (UTC)", "risk_score": st.column_config.NumberColumn("Risk score", format="%.1f"),
                "reasons": st.column_config.TextColumn("Reasons", width="large")})
        st.markdown("**Decisions**")
        if cases.decisions.is_empty():
            st.caption("No decision yet.")
        else:
            st.dataframe(cases.decisions, hide_index=True, width="stretch", column_config={
                "case_id": st.column_config.NumberColumn("Case", format="%d"), "kind": "Kind", "action": "Decision",
                "policy": "Policy", "rationale": st.column_config.TextColumn("Rationale", width="large"),
                "decided_by": "By", "decided_at": "At (UTC)",
                "overturned": st.column_config.CheckboxColumn("Overturned on appeal"), "flagged_on": "Flagged on"})
        st.markdown("**Notes**")
        if cases.notes.is_empty():
            st.caption("No note yet.")
        else:
            st.dataframe(cases.notes, hide_index=True, width="stretch", column_config={
                "case_id": st.column_config.NumberColumn("Case", format="%d"), "author": "By", "at": "At (UTC)",
                "text": st.column_config.TextColumn("Note", width="large")})
        note_case = (case or cases.cases[-1])["id"]
        with st.form("note", clear_on_submit=True):
            st.text_area(f"Add a note to case {note_case}", key="note_text")
            st.form_submit_button(
                "Add the note", key="add_note",
                on_click=lambda case_id=note_case: attempt(f"Note added to case {case_id}.", review.add_note,
                                                           case_id, state["note_text"]),
            )
