import streamlit as st

from trustdesk.web import ui
from trustdesk.data.loads import OUTCOMES, load_history

WHEN = "DD MMM YYYY HH:mm"  # every table's moments, in UTC

viewer = ui.require("analyst")
st.title("Load history")
wh = ui.warehouse()
if wh is None:
    st.stop()
outcome = st.sidebar.selectbox("Outcome", [None, *OUTCOMES], key="h_outcome",
                               format_func=lambda o: "All outcomes" if o is None else o)
history = ui.cached(load_history, wh, outcome)
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
st.dataframe(
    history, hide_index=True,
    column_order=["load_id", "started_at", "loaded_by", "file_name", "kind", "outcome", "rows_read",
                  "loaded", "duplicates", "quarantined", "duration_s", "already_loaded", "error",
                  "top_reasons", "unknown_columns", "sha256"],
    column_config={
        "load_id": st.column_config.NumberColumn("Load", format="%d"),
        "started_at": st.column_config.DatetimeColumn("Started (UTC)", format=WHEN),
        "loaded_by": st.column_config.TextColumn("By"),
        "file_name": st.column_config.TextColumn("File"),
        "kind": st.column_config.TextColumn("Kind"),
        "outcome": st.column_config.TextColumn("Outcome"),
        "rows_read": st.column_config.NumberColumn("Rows read", format="localized"),
        "loaded": st.column_config.NumberColumn("Loaded", format="localized"),
        "duplicates": st.column_config.NumberColumn("Duplicates skipped", format="localized"),
        "quarantined": st.column_config.NumberColumn("Quarantined", format="localized"),
        "duration_s": st.column_config.NumberColumn("Seconds", format="%.1f"),
        "already_loaded": st.column_config.TextColumn("Same file as"),
        "error": st.column_config.TextColumn("Why rejected", width="large"),
        "top_reasons": st.column_config.TextColumn("Most common reasons", width="large"),
        "unknown_columns": st.column_config.ListColumn("Unknown columns ignored"),
        "sha256": st.column_config.TextColumn("SHA-256"),
    },
)
ui.footer(wh)
