import polars as pl
import streamlit as st

from trustdesk import auth, ui, uploads
from trustdesk.loads import summary_lines

viewer = ui.require("moderator")
st.title("Upload")
root = ui.data_root()
try:
    limit = uploads.limit_mb(root, st.get_option("server.maxUploadSize"))
except ValueError as exc:
    st.error("The settings file cannot be read:", icon=":material/error:")
    st.text(str(exc))
    st.stop()
st.caption(
    f"Log exports in format v1: CSV, or CSV compressed as .csv.gz, up to {limit:,} MB per file "
    "(setting upload_max_mb). Nothing is written until you press Load. The kind of each file is "
    "detected from its header; you can change it."
)
batch = st.session_state.setdefault(f"upload_batch:{root}", uploads.UploadBatch(root))
files = st.file_uploader("Files to load", type=["csv", "gz"], accept_multiple_files=True,
                         max_upload_size=limit, key="upload_files")


def failed(exc: Exception) -> None:
    st.error("Nothing was loaded:", icon=":material/error:")
    st.text(str(exc))
    st.stop()


def refused(sentence: str) -> None:
    # The sentence names the file and may quote its header: shown as text, never as Markdown.
    st.error("Rejected as a whole: nothing from this file would load.", icon=":material/block:")
    st.text(sentence)


def show(check: uploads.FileCheck) -> None:
    r = check.result
    if check.rejected:
        refused(r.error)
    else:
        cols = st.columns(4)
        cols[0].metric("Rows read", f"{r.rows_read:,}")
        cols[1].metric("Would load", f"{r.loaded:,}")
        cols[2].metric("Duplicates skipped", f"{r.duplicates:,}")
        cols[3].metric("Would be quarantined", f"{r.quarantined:,}")
        if r.already_loaded:
            st.text(f"Note: {r.already_loaded}.")
        if r.unknown_columns:
            st.text(f"Unknown columns ignored: {', '.join(r.unknown_columns)}")
        if r.top_reasons:
            st.dataframe(pl.DataFrame(r.top_reasons, schema=["most common reasons", "rows"], orient="row"),
                         hide_index=True)
    if not check.preview.is_empty():
        st.caption("First rows as in the file")
        st.dataframe(check.preview, hide_index=True)


kinds: dict[str, str | None] = {}
try:
    staged = batch.sync(viewer, files or [], limit)
    for s in staged:
        with st.container(border=True):
            st.text(f"{s.name} · {s.size / 2**20:,.2f} MB")
            with st.spinner("Checking the file against the loaded data…"):
                detected = batch.check(viewer, s).result.kind
            choice = st.selectbox(
                "Kind", ["auto", *uploads.KIND_NAMES], key=f"kind-{s.key}",
                format_func=lambda k, d=detected: (
                    k if k != "auto" else f"detect from the header ({d or 'no kind matches'})"),
            )
            kinds[s.key] = None if choice == "auto" else choice
            with st.spinner("Checking the file against the loaded data…"):
                show(batch.check(viewer, s, kinds[s.key]))
except (uploads.UploadError, auth.AuthError) as exc:
    failed(exc)

if st.button("Load", type="primary", key="load", disabled=not staged):
    bar = st.progress(0.0, text="starting")
    try:
        st.session_state["upload_results"] = batch.load(
            viewer, kinds, progress=lambda done, text: bar.progress(done, text=text))
    except (uploads.UploadError, auth.AuthError) as exc:
        failed(exc)

results = st.session_state.get("upload_results")
if results:
    st.subheader("Last load")
    st.code("\n".join(summary_lines(results)), language=None)
    st.dataframe(pl.DataFrame([r.as_json() for r in results]).select(
        "file", "kind", "status", "rows_read", "loaded", "duplicates", "quarantined", "load_id", "error"),
        hide_index=True)
