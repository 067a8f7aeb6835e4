import streamlit as st

from trustdesk import admin
from trustdesk.accounts import auth
from trustdesk.moderation import review
from trustdesk.web import session

viewer = session.require("admin")
root = session.data_root()
st.title("Accounts")
FLASH = "accounts_flash"
WHEN = "DD MMM YYYY HH:mm"  # as every table shows a moment (UTC)


def save() -> None:
    # A form's callback runs before the page does, so the table below already holds the change.
    state = st.session_state
    try:
        what = admin.save_account(
            root,
            session.principal(),
            (state["account_name"] or "").strip(),
            state["account_role"],
            state["account_password"],
            (state["account_email"] or "").strip(),
        )
    except (auth.AuthError, ValueError) as exc:
        state[FLASH] = ("error", ui_sentence(exc))
        return
    state[FLASH] = ("success", f"Account {(state['account_name'] or '').strip()} {what}.")
    for key in ("account_name", "account_password", "account_email"):
        state[key] = ""


def remove() -> None:
    state = st.session_state
    name = state.get("remove_name")
    try:
        gone = bool(name) and admin.delete_account(root, session.principal(), name)
    except auth.AuthError as exc:
        state[FLASH] = ("error", ui_sentence(exc))
        return
    state[FLASH] = ("success", f"Account {name} removed.") if gone else ("warning", "No such account.")


def ui_sentence(exc: Exception) -> str:
    text = str(exc).strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


kind, text = st.session_state.pop(FLASH, (None, None))
if kind:
    getattr(st, kind)(review.plain(text))  # a name may hold Markdown characters

table = admin.accounts_table(root, viewer)
if table.is_empty():
    st.info("No accounts yet.")
else:
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "name": st.column_config.TextColumn("Name"),
            "role": st.column_config.TextColumn("Role"),
            "email": st.column_config.TextColumn("E-mail (single sign-on)"),
            "password": st.column_config.TextColumn("Password", help="Whether the account can sign in with a password"),
            "locked": st.column_config.TextColumn("Locked", help="After repeated failed sign-ins (UTC)"),
            "failed_sign_ins": st.column_config.NumberColumn("Failed sign-ins", format="%d"),
            "created_at": st.column_config.DatetimeColumn("Created (UTC)", format=WHEN),
            "updated_at": st.column_config.DatetimeColumn("Changed (UTC)", format=WHEN),
        },
    )

with st.form("account"):
    st.subheader("Add or update an account")
    st.text_input("Name", key="account_name")
    st.selectbox("Role", auth.ROLES, key="account_role")
    st.text_input("Password (leave empty to keep the current one)", type="password", key="account_password")
    st.text_input("E-mail for single sign-on (optional)", key="account_email")
    st.form_submit_button("Save", type="primary", on_click=save)

names = table["name"].to_list()
with st.form("remove"):
    st.subheader("Remove an account")
    st.selectbox("Account", names, index=None, placeholder="Choose an account", key="remove_name")
    st.form_submit_button("Remove", on_click=remove, disabled=not names)

st.subheader("Sign-in audit log")
log = admin.sign_in_log(root, viewer)
if log.is_empty():
    st.caption("Nothing recorded yet.")
else:
    st.caption(f"The newest {log.height:,} entries: sign-ins, failures, lockouts and account changes.")
    st.dataframe(
        log,
        hide_index=True,
        width="stretch",
        column_config={
            "id": st.column_config.NumberColumn("Entry", format="%d"),
            "at": st.column_config.DatetimeColumn("At (UTC)", format=WHEN),
            "actor": st.column_config.TextColumn("Who"),
            "account": st.column_config.TextColumn("Account"),
            "event": st.column_config.TextColumn("Event"),
            "detail": st.column_config.TextColumn("Detail", width="large"),
        },
    )
