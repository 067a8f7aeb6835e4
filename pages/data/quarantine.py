import functools

import streamlit as st

from trustdesk.data.loads import quarantine_csv, quarantine_facets, quarantined_rows
from trustdesk.web import cache, page, session

SHOWN = 5000

viewer = session.require("moderator")
wh = page.start("Quarantine")
facets = cache.cached(quarantine_facets, wh)
if facets.total == 0:
    st.info("No row is quarantined: every row read so far was loaded or skipped as a duplicate.")
    page.footer(wh)
    st.stop()

loads = {r["load_id"]: r for r in facets.loads.iter_rows(named=True)}
# A link (the Upload page's "See the quarantined rows of load N") opens the page on one load.
linked = st.query_params.get("load")
if linked != st.session_state.get("q_load_linked"):
    st.session_state["q_load_linked"] = linked
    if linked is not None and linked.isdigit() and int(linked) in loads:
        st.session_state["q_load"] = int(linked)
    elif linked is not None:
        st.sidebar.warning("The link's load has no quarantined row; all loads are shown.")
load_id = st.sidebar.selectbox(
    "Load",
    [None, *loads],
    key="q_load",
    format_func=lambda i: "All loads" if i is None else f"load {i} · {loads[i]['file']} · {loads[i]['rows']:,} rows",
)
file = st.sidebar.selectbox(
    "File", [None, *facets.files["file"]], key="q_file", format_func=lambda f: "All files" if f is None else f
)
kind = st.sidebar.selectbox(
    "Kind", [None, *facets.kinds["kind"]], key="q_kind", format_func=lambda k: "All kinds" if k is None else k
)
reason = st.sidebar.selectbox(
    "Reason", [None, *facets.reasons["reason"]], key="q_reason", format_func=lambda r: "All reasons" if r is None else r
)
needle = st.sidebar.text_input("Reason contains", key="q_needle").strip() or None

wanted = None if load_id is None else str(load_id)
if st.query_params.get("load") != wanted:
    if wanted is None:
        del st.query_params["load"]
    else:
        st.query_params["load"] = wanted
    st.session_state["q_load_linked"] = wanted
filters = dict(load_id=load_id, kind=kind, reason_contains=needle, file=file, reason=reason)
rows = cache.cached(quarantined_rows, wh, load_id, kind, needle, SHOWN + 1, file, reason)
st.caption(
    f"Quarantined rows: {facets.total:,}, from {len(loads):,} "
    f"load{'s' if len(loads) != 1 else ''}, newest load first. Each keeps its line number in the file, the "
    "text as exported, and every reason it was refused. Select a row to read it in full."
)
if rows.is_empty():
    st.info("No quarantined row matches these filters.")
    st.stop()
if rows.height > SHOWN:
    st.caption(f"The first {SHOWN:,} matching rows are shown; the download holds all of them.")
else:
    st.caption(
        f"{rows.height:,} of {facets.total:,} quarantined rows match"
        + (f" in load {load_id}." if load_id is not None else ".")
    )
shown = rows.head(SHOWN)
table = st.dataframe(
    shown,
    hide_index=True,
    key="q_table",
    on_select="rerun",
    selection_mode="single-row",
    column_config={
        "load_id": st.column_config.NumberColumn("Load", format="%d"),
        "file": st.column_config.TextColumn("File"),
        "kind": st.column_config.TextColumn("Kind"),
        "line": st.column_config.NumberColumn("Line", format="%d"),
        "reasons": st.column_config.ListColumn("Reasons", width="large"),
        "raw_text": st.column_config.TextColumn("Text as exported", width="large"),
    },
)
picked = table.selection.rows
if picked:
    row = shown.row(picked[0], named=True)
    with st.container(border=True):
        st.text(f"Load {row['load_id']} · {row['file']} · {row['kind']} · line {row['line']}")
        for reason in row["reasons"]:
            st.text(f"• {reason}")
        st.code(row["raw_text"] or "", language=None, wrap_lines=True)
st.download_button(
    "Download as CSV",
    data=functools.partial(quarantine_csv, wh, **filters),
    file_name="quarantine.csv",
    mime="text/csv",
    key="q_download",
    help="Cells that a spreadsheet would run as a formula are prefixed with an apostrophe.",
)
page.footer(wh)
