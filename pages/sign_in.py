import streamlit as st

from trustdesk import ui

st.title("TrustDesk")
st.caption("Trust & safety and business-messaging analytics. Sign in to continue.")
if flash := st.session_state.pop("flash", None):
    st.info(flash)

with st.form("sign_in", border=True):
    name = st.text_input("Name", autocomplete="username")
    password = st.text_input("Password", type="password", autocomplete="current-password")
    submitted = st.form_submit_button("Sign in", type="primary")
if submitted:
    error = ui.try_sign_in(name, password)
    if error:
        st.error(error)
    else:
        st.rerun()

ui.offer_single_sign_on()
st.caption("No account yet? An admin creates one with `trustdesk users add NAME --role analyst`.")
