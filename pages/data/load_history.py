import streamlit as st

from trustdesk.data.loads import OUTCOMES, load_history
from trustdesk.web import cache, columns, page, session

viewer = session.require("analyst")
wh = page.start("Load history")
outcome = st.sidebar.selectbox(
    "Outcome", [None, *OUTCOMES], key="h_outcome", format_func=lambda o: "All outcomes" if o is None else o
)
history = cache.cached(load_history, wh, outcome)
st.caption(
    "Every load, newest first: from `trustdesk load` (the command line's user) or the Upload page "
    "(the signed-in person). Outcome: loaded (every row), partial (some rows quarantined), "
    "rejected (the whole file refused, with the reason)."
)
if history.is_empty():
    st.info("No load has this outcome.")
    st.stop()
cols = st.columns(4)
cols[0].metric("Loads", f"{history.height:,}")
cols[1].metric("Rows loaded", f"{int(history['loaded'].sum() or 0):,}")
cols[2].metric("Rows quarantined", f"{int(history['quarantined'].sum() or 0):,}")
cols[3].metric("Files rejected", f"{history.filter(history['outcome'] == 'rejected').height:,}")
st.dataframe(history, hide_index=True, column_order=list(columns.LOAD_HISTORY), column_config=columns.LOAD_HISTORY)
page.footer(wh)
