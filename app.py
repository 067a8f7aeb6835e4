"""TrustDesk dashboard entry point: page config, sign-in, and navigation by role. Nothing else."""

import streamlit as st

from trustdesk.web import session
from trustdesk.web.navigation import pages_for

who = session.principal() or session.single_sign_on()
st.set_page_config(
    page_title="TrustDesk",
    page_icon=":material/shield:",
    layout="wide",
    initial_sidebar_state="expanded" if who else "collapsed",
)
# Signed out, every page address exists but answers with the sign-in form (session.require), so a deep
# link survives signing in; signed in, the navigation holds only the pages of the person's role.
sections: dict[str, list] = {}
for spec in pages_for(who.role if who else "admin"):
    sections.setdefault(spec.section, []).append(
        st.Page(spec.file, title=spec.title, icon=spec.icon, default=spec.default)
    )
if who:
    session.account_box(who)
else:
    session.hide_sidebar()
st.navigation(sections, position="sidebar" if who else "hidden", expanded=True).run()
