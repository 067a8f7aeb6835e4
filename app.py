"""TrustDesk dashboard entry point: page config and navigation only."""

import streamlit as st

st.set_page_config(page_title="TrustDesk", page_icon="🛡️", layout="wide")

pages = {
    "Analytics": [
        st.Page("pages/overview.py", title="Overview", icon="📊", default=True),
    ],
}
st.navigation(pages).run()
