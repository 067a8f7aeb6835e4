import streamlit as st

from trustdesk.moderation import review
from trustdesk.web import ui
from trustdesk.data.export import safe_csv

who = ui.require("moderator")
st.title("Audit log")
root = ui.data_root()
st.caption("Every moderation event, newest first: cases opened, claimed, released and snoozed, decisions, "
           "appeals and notes, with who did it and when (UTC). The log is append-only.")

choices = review.audit_choices(root, who)
if choices.total == 0:
    st.info("The audit log is empty: no case has been opened yet. Cases open when a moderator visits the "
            "review queue and a business is flagged.")
    st.stop()
EVERYONE, ALL_EVENTS, ALL_BUSINESSES = "Everyone", "All events", "All businesses"
left, middle, right = st.columns(3)
actor = left.selectbox("Who", [EVERYONE, *choices.actors], key="audit_actor")
event = middle.selectbox("Event", [ALL_EVENTS, *choices.events], key="audit_event")
business_id = right.selectbox("Business", [ALL_BUSINESSES, *choices.businesses], key="audit_business")

rows = review.audit_log(root, who, None if actor == EVERYONE else actor, None if event == ALL_EVENTS else event,
                        None if business_id == ALL_BUSINESSES else business_id)
st.caption(f"{rows.height:,} of {choices.total:,} entries.")
if rows.is_empty():
    st.info("No entry matches these filters: set Who, Event or Business back to all.")
    st.stop()
st.dataframe(rows, hide_index=True, width="stretch", column_config={
    "id": st.column_config.NumberColumn("Entry", format="%d"),
    "at": st.column_config.TextColumn("At (UTC)"),
    "actor": st.column_config.TextColumn("Who"),
    "case_id": st.column_config.NumberColumn("Case", format="%d"),
    "business_id": st.column_config.TextColumn("Business"),
    "event": st.column_config.TextColumn("Event"),
    "detail": st.column_config.TextColumn("Detail", width="large"),
})
st.download_button("Download CSV", safe_csv(rows), file_name="moderation_audit_log.csv", mime="text/csv",
                   icon=":material/download:", key="audit_csv")
