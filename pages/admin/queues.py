import streamlit as st

from trustdesk.accounts.auth import ROLES
from trustdesk.moderation import review
from trustdesk.web import casework, page, session

viewer = session.require("admin")
root = session.data_root()
st.title("Queues")
st.caption(
    "Who may read and work each queue of cases. A person sees a queue's cases, claims and decides them when "
    "their role is listed or their name is; admins work every queue. A case goes to the senior queue when its "
    "risk score reaches the escalation setting, when the platform reported the business, or when a moderator "
    "escalates it."
)
FLASH = "queues_flash"
state = st.session_state
page.flash(FLASH)

queues = review.queues(root, viewer)
st.dataframe(
    [{**q, "roles": ", ".join(q["roles"]), "people": ", ".join(q["people"])} for q in queues],
    hide_index=True,
    width="stretch",
    column_order=["name", "title", "roles", "people", "description"],
    column_config={"name": "Queue", "title": "Title", "roles": "Roles", "people": "People", "description": "About"},
)

NEW = "(a new queue)"
chosen = st.selectbox("Change", [q["name"] for q in queues] + [NEW], key="queue_pick")
current = next((q for q in queues if q["name"] == chosen), None) or {
    "name": "",
    "title": "",
    "description": "",
    "roles": ["moderator", "admin"],
    "people": [],
}
with st.form(f"queue_{chosen}"):
    st.text_input(
        "Name (lowercase letters, digits, _)", current["name"], key=f"queue_name_{chosen}", disabled=chosen != NEW
    )
    st.text_input("Title", current["title"], key=f"queue_title_{chosen}")
    st.text_area("What belongs in it", current["description"], key=f"queue_description_{chosen}")
    st.multiselect(
        "Roles that may work it", [r for r in ROLES if r != "analyst"], current["roles"], key=f"queue_roles_{chosen}"
    )
    st.text_input(
        "People who may work it besides (account names, comma-separated)",
        ", ".join(current["people"]),
        key=f"queue_people_{chosen}",
    )
    st.form_submit_button(
        "Save the queue",
        type="primary",
        on_click=lambda: casework.attempt(
            FLASH,
            root,
            f"Queue {state[f'queue_name_{chosen}'] or chosen} saved.",
            review.save_queue,
            state[f"queue_name_{chosen}"] if chosen == NEW else chosen,
            state[f"queue_title_{chosen}"],
            state[f"queue_description_{chosen}"],
            state[f"queue_roles_{chosen}"],
            [p for p in state[f"queue_people_{chosen}"].split(",")],
        ),
    )
