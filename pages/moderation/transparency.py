import streamlit as st

from trustdesk.moderation import transparency
from trustdesk.moderation.errors import ModerationError
from trustdesk.web import charts, columns, formats, session

# The report holds counts only, for analysts too; the export it links is moderators' (and the
# endpoint checks that again).
who = session.require("analyst")
root = session.data_root()
st.title("Transparency report")
st.caption(
    "What moderation did, from the moderation store, by month (UTC): actions by policy, the share of cases the "
    "risk score detected automatically, the median time from a case's opening to its decision, and appeals. "
    "A decision counts in the month it was taken, an appeal in the month it was received or decided."
)

left, right = st.columns(2)
date_from = left.date_input("Decisions from", value=None, format="YYYY-MM-DD", key="transparency_from")
date_to = right.date_input("Decisions to (inclusive)", value=None, format="YYYY-MM-DD", key="transparency_to")
try:
    shown = transparency.report(root, who, date_from, date_to)
except ModerationError as exc:
    st.warning(f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
    st.stop()

if shown.decisions == 0 and shown.appeals_received == 0 and shown.appeals_decided == 0:
    if date_from or date_to:
        st.info("No decision in these dates: clear the dates to see every month.")
    else:
        st.info("No decision yet: decisions are taken on the Review queue and Business pages.")
    st.stop()

cols = st.columns(5)
cols[0].metric(
    "Decisions", f"{shown.decisions:,}", help=f"{shown.actioned:,} took an action; the others dismissed the case"
)
cols[1].metric(
    "Detected automatically",
    formats.percent(shown.automatic_share),
    help="Share of decided cases that the risk score opened; the others a moderator opened",
)
cols[2].metric(
    "Median time to decision",
    formats.duration(shown.median_hours),
    help="From the case's opening (the flag reaching the queue) to its decision",
)
cols[3].metric("Appeals received", f"{shown.appeals_received:,}")
cols[4].metric(
    "Overturned on appeal",
    f"{shown.overturned:,} of {shown.appeals_decided:,}",
    help="Appeals decided, and how many of them overturned the first decision",
)

st.subheader("Actions by month")
by_action, by_policy = st.tabs(["By action", "By policy"])
by_action.altair_chart(charts.transparency_actions(shown.actions, "action"), width="stretch")
by_policy.altair_chart(charts.transparency_actions(shown.actions, "policy"), width="stretch")
st.dataframe(
    shown.actions.select(*columns.TRANSPARENCY_ACTIONS),
    hide_index=True,
    width="stretch",
    column_config=columns.TRANSPARENCY_ACTIONS,
)

st.subheader("Detection, time to decision and appeals by month")
share, speed, appeals = st.columns(3)
share.altair_chart(charts.transparency_automatic(shown.monthly), width="stretch")
speed.altair_chart(charts.transparency_speed(shown.monthly), width="stretch")
appeals.altair_chart(charts.transparency_appeals(shown.monthly), width="stretch")
st.dataframe(shown.monthly, hide_index=True, width="stretch", column_config=columns.TRANSPARENCY_MONTHLY)

if not who.can("moderator"):
    st.caption("The export of every decision, with its rationale, is for moderators.")
    st.stop()
st.subheader("Every decision, for the DSA Transparency Database")
st.caption(
    "One row per decision with the fields of the DSA statement of reasons (docs/transparency.md maps each), "
    "for the dates above or all time. Rows whose sor_status is `statement` are the statements to submit. "
    "The file is written as it is read, however many decisions there are."
)
base = "/" + (st.get_option("server.baseUrlPath") or "").strip("/")
query = "&".join(f"{k}={v.isoformat()}" for k, v in (("from", date_from), ("to", date_to)) if v)
csv_col, jsonl_col = st.columns(2)
for col, fmt, label in ((csv_col, "csv", "CSV"), (jsonl_col, "jsonl", "JSON lines")):
    url = base.rstrip("/") + f"/api/export/decisions.{fmt}" + (f"?{query}" if query else "")
    col.link_button(f"Download every decision ({label})", url, icon=":material/download:")
