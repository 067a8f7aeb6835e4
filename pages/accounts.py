import polars as pl
import streamlit as st

from trustdesk import admin, auth, ui

viewer = ui.require("admin")
root = ui.data_root()
st.title("Accounts")

rows = admin.accounts(root, viewer)
if rows:
    st.dataframe(pl.DataFrame(rows), hide_index=True, width="stretch")
else:
    st.info("No accounts yet.")

with st.form("account", clear_on_submit=True):
    st.subheader("Add or update an account")
    name = st.text_input("Name")
    role = st.selectbox("Role", auth.ROLES)
    password = st.text_input("Password (leave empty to keep the current one)", type="password")
    email = st.text_input("E-mail for single sign-on (optional)")
    if st.form_submit_button("Save", type="primary"):
        try:
            what = admin.save_account(root, viewer, name.strip(), role, password, email.strip())
            st.success(f"Account {what}.")
        except auth.AuthError as exc:
            st.error(str(exc))

with st.form("remove"):
    st.subheader("Remove an account")
    gone = st.selectbox("Account", [r["name"] for r in rows] or ["–"])
    if st.form_submit_button("Remove"):
        try:
            if admin.delete_account(root, viewer, gone):
                st.success("Removed.")
            else:
                st.warning("No such account.")
        except auth.AuthError as exc:
            st.error(str(exc))

st.subheader("Sign-in audit log")
log = auth.audit_log(root, viewer, limit=500)
st.dataframe(pl.DataFrame(log) if log else pl.DataFrame(), hide_index=True, width="stretch")
