"""TrustDesk dashboard entry point: page config, sign-in, and navigation by role. Nothing else."""

import streamlit as st

from trustdesk import ui
from trustdesk.navigation import pages_for

st.set_page_config(page_title="TrustDesk", page_icon=":material/shield:", layout="wide")

who = ui.principal() or ui.single_sign_on()
if who is None:
    st.navigation([st.Page("pages/sign_in.py", title="Sign in", icon=":material/login:")]).run()
else:
    sections: dict[str, list] = {}
    for spec in pages_for(who.role):
        sections.setdefault(spec.section, []).append(
            st.Page(spec.file, title=spec.title, icon=spec.icon, default=spec.default)
        )
    ui.account_box(who)
    st.navigation(sections).run()
