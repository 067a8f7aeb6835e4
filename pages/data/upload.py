import streamlit as st

from trustdesk.accounts import auth
from trustdesk.data import uploads
from trustdesk.data.loads import load_notes, reason_table, summary_lines
from trustdesk.web import columns, session

viewer = session.require("moderator")
st.title("Upload")
root = session.data_root()
try:
    limit = uploads.upload_limit(root, st.get_option("server.maxUploadSize"))
except ValueError as exc:
    st.error("The settings file cannot be read:", icon=":material/error:")
    st.text(str(exc))
    st.stop()
st.caption(
    f"Log exports in format v1 (CSV), WhatsApp Cloud API webhook bodies (.json, .jsonl, .ndjson), Twilio message "
    f"exports (Console CSV, BulkExport day files) and Meta pricing_analytics responses, plain or .gz, up to "
    f"{limit.words()}. Nothing is written until you press Load. The format of each file is recognised from its "
    "content; you can change it."
)
batch = st.session_state.setdefault(f"upload_batch:{root}", uploads.UploadBatch(root))
# A finished load starts a fresh uploader: the loaded files leave the browser session's memory and
# cannot be loaded twice by a second click.
ROUND = "upload_round"
uploader_key = f"upload_files_{st.session_state[ROUND]}" if st.session_state.get(ROUND) else "upload_files"
files = st.file_uploader(
    "Files to load",
    type=["csv", "gz", "json", "jsonl", "ndjson", "txt"],
    accept_multiple_files=True,
    max_upload_size=limit.widget_mb,
    key=uploader_key,
)


def failed(exc: Exception) -> None:
    st.error("Nothing was loaded:", icon=":material/error:")
    st.text(str(exc))
    st.stop()


def refused(sentence: str) -> None:
    # The sentence names the file and may quote its header: shown as text, never as Markdown.
    st.error("Rejected as a whole: nothing from this file would load.", icon=":material/block:")
    st.text(sentence)


def reasons(result) -> None:
    """The quarantine reasons grouped (values taken out), most rows first, with their first lines."""
    table = reason_table(result)
    if table.is_empty():
        return
    st.dataframe(
        table.select("reason", "rows", "first_lines"),
        hide_index=True,
        width="stretch",
        column_config={
            "reason": st.column_config.TextColumn("Why rows would be quarantined", width="large"),
            "rows": st.column_config.NumberColumn("Rows", format="localized"),
            "first_lines": st.column_config.TextColumn("First lines in the file"),
        },
    )


def guidance(key: str) -> None:
    st.info(
        "TrustDesk reads these formats; each document maps it field by field, and each sample file shows its shape:",
        icon=":material/help:",
    )
    for i, f in enumerate(uploads.accepted_formats()):
        a, b = st.columns([3, 2])
        a.text(f"{f['title']} ({f['name']}): {f['doc']}")
        if f["sample_bytes"]:
            b.download_button(
                f"Sample: {f['sample_name']}", f["sample_bytes"], file_name=f["sample_name"], key=f"sample-{key}-{i}"
            )


def mapping(r) -> None:
    """A foreign file: the format found, what becomes a message, an opt-out, a platform event,
    and what was not used."""
    st.text("\n".join(r.conversion))
    if r.parts:
        st.dataframe(
            uploads.parts_table(r),
            hide_index=True,
            column_config={
                "kind": st.column_config.TextColumn("Becomes"),
                "rows": st.column_config.NumberColumn("Rows", format="localized"),
                "loaded": st.column_config.NumberColumn("Would load", format="localized"),
                "duplicates": st.column_config.NumberColumn("Duplicates", format="localized"),
                "quarantined": st.column_config.NumberColumn("Quarantined", format="localized"),
            },
        )
    if r.unused:
        st.caption(
            "Not used (counted, never an error): "
            + ", ".join(f"{k} ({n:,})" for k, n in sorted(r.unused.items(), key=lambda kv: (-kv[1], kv[0])))
        )


def show(check: uploads.FileCheck) -> None:
    r = check.result
    if check.rejected:
        refused(r.error)
        if uploads.matches_nothing(check):
            guidance(check.staged.key)
    elif r.status == "skipped":
        st.text(f"Skipped: {r.note}")
    else:
        cols = st.columns(4)
        cols[0].metric("Rows read", f"{r.rows_read:,}")
        cols[1].metric("Would load", f"{r.loaded:,}")
        cols[2].metric("Duplicates skipped", f"{r.duplicates:,}")
        cols[3].metric("Would be quarantined", f"{r.quarantined:,}")
        if r.loaded == 0:
            st.warning(uploads.loads_nothing(r), icon=":material/block:")
        if r.conversion:
            mapping(r)
        for label, text in load_notes(r):
            st.text(f"{label}: {text}.")
        reasons(r)
    if not check.preview.is_empty():
        st.caption("First rows as in the file")
        st.dataframe(check.preview, hide_index=True)


kinds: dict[str, str | None] = {}
checks: list[uploads.FileCheck] = []
try:
    # The staged copies are in use (no sweep takes them) until this block ends.
    with batch.in_use(viewer, files or [], limit.mib) as staged:
        for s in staged:
            with st.container(border=True):
                st.text(f"{s.name} · {s.size / uploads.MIB:,.2f} MiB")
                with st.spinner("Checking the file against the loaded data…"):
                    detected = batch.check(viewer, s).result.kind
                choice = st.selectbox(
                    "Kind",
                    ["auto", *uploads.KIND_NAMES, *uploads.FORMAT_CHOICES],
                    key=f"kind-{s.key}",
                    help="The kind of a log format v1 file, or the format of a foreign file (docs/formats)",
                    format_func=lambda k, d=detected: uploads.choice_label(k, d),
                )
                kinds[s.key] = None if choice == "auto" else choice
                with st.spinner("Checking the file against the loaded data…"):
                    checks.append(batch.check(viewer, s, kinds[s.key]))
                show(checks[-1])

        why_not = uploads.nothing_to_load(checks)
        if why_not:
            st.warning(why_not, icon=":material/block:")
        if st.button(
            "Load",
            type="secondary" if why_not else "primary",
            key="load",
            disabled=not staged or bool(why_not),
            help=why_not,
        ):
            bar = st.progress(0.0, text="starting")
            st.session_state["upload_results"] = batch.load(
                viewer, kinds, progress=lambda done, text: bar.progress(done, text=text)
            )
            st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1
            st.rerun()
except (uploads.UploadError, auth.AuthError) as exc:
    failed(exc)

results = st.session_state.get("upload_results")
if results:
    st.subheader("Last load")
    # The command line's pointer to `trustdesk quarantine` is replaced by links to the pages.
    st.code(
        "\n".join(line for line in summary_lines(results) if not line.lstrip().startswith("see them")), language=None
    )
    for part in [p for r in results for p in (r.parts or [r])]:
        if part.quarantined and part.load_id is not None:
            st.page_link(
                "pages/data/quarantine.py",
                icon=":material/warning:",
                query_params={"load": str(part.load_id)},
                label=f"See the {part.quarantined:,} quarantined rows of load {part.load_id} on the Quarantine page",
            )
    if any(getattr(r, "undefined_rows", 0) for r in results):
        st.page_link(
            "pages/data/data_quality.py",
            icon=":material/fact_check:",
            label="See the businesses and campaigns no file has defined on the Data quality page",
        )
    st.dataframe(
        uploads.results_table(results),
        hide_index=True,
        column_config={"file": "File", "kind": "Kind", "status": "Outcome", **columns.LOAD_COUNTS},
    )
