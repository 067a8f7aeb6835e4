import streamlit as st

from trustdesk.moderation import review
from trustdesk.web import columns, session, tables

who = session.require("moderator")
st.title("Audit log")
root = session.data_root()
st.caption(
    "Every moderation event, newest first: cases opened, claimed, released and snoozed, decisions, "
    "appeals and notes, with who did it and when (UTC). The log is append-only."
)

choices = review.audit_choices(root, who)
if choices.total == 0:
    st.info(
        "The audit log is empty: no case has been opened yet. Cases open when a moderator visits the "
        "review queue and a business is flagged."
    )
    st.stop()
EVERYONE, ALL_EVENTS, ALL_BUSINESSES = "Everyone", "All events", "All businesses"
left, middle, right = st.columns(3)
actor = left.selectbox("Who", [EVERYONE, *choices.actors], key="audit_actor")
event = middle.selectbox("Event", [ALL_EVENTS, *choices.events], key="audit_event")
business_id = right.selectbox("Business", [ALL_BUSINESSES, *choices.businesses], key="audit_business")

rows = review.audit_log(
    root,
    who,
    None if actor == EVERYONE else actor,
    None if event == ALL_EVENTS else event,
    None if business_id == ALL_BUSINESSES else business_id,
)
st.caption(f"{rows.height:,} of {choices.total:,} entries.")
if rows.is_empty():
    st.info("No entry matches these filters: set Who, Event or Business back to all.")
    st.stop()
st.dataframe(rows, hide_index=True, width="stretch", column_config=columns.AUDIT_LOG)
tables.download(rows, "moderation_audit_log.csv", key="audit_csv")
