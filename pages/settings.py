import streamlit as st

from trustdesk import admin, ui

viewer = ui.require("admin")
root = ui.data_root()
st.title("Settings")
current = admin.settings(root, viewer)

with st.form("settings"):
    st.subheader("Quality rating")
    min_reached = st.number_input("Reached users below which a business is UNKNOWN", 1, 100_000,
                                  current["quality_min_reached"])
    medium = st.number_input("Negative rate from which the rating is MEDIUM", 0.0, 1.0,
                             current["quality_medium_from"], step=0.005, format="%.3f")
    low = st.number_input("Negative rate from which the rating is LOW", 0.0, 1.0,
                          current["quality_low_from"], step=0.005, format="%.3f")
    st.subheader("Loads")
    upload = st.number_input("Largest upload (MB)", 1, 100_000, current["upload_max_mb"])
    load_max = st.number_input("Largest file the loader accepts (MB)", 1, 1_000_000, current["load_max_mb"])
    idle = st.number_input("Sign-out after idle minutes", 1, 24 * 60, current["session_idle_minutes"])
    if st.form_submit_button("Save", type="primary"):
        try:
            admin.save_settings(root, viewer, {
                "quality_min_reached": int(min_reached), "quality_medium_from": float(medium),
                "quality_low_from": float(low), "upload_max_mb": int(upload),
                "load_max_mb": int(load_max), "session_idle_minutes": int(idle),
            })
            st.success("Saved. Pages use the new values on their next run.")
        except ValueError as exc:
            st.error(str(exc))

st.subheader("Rate card")
st.caption("Price of one billable message per market and category, from its effective date.")
st.code(admin.rate_card_text(root, viewer), language=None)
new = st.file_uploader("Replace the rate card (market,category,price_usd,effective_from)", type=["csv"])
if new is not None and st.button("Install and rebuild the marts"):
    try:
        with st.spinner("Rebuilding the marts with the new prices…"):
            n = admin.replace_rate_card(root, viewer, new.getvalue())
        st.success(f"Installed {n} prices; the marts were rebuilt.")
    except ValueError as exc:
        st.error(str(exc))
