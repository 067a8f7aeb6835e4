"""Tables with their CSV download: the same rows and unrounded numbers, safe for spreadsheets."""

from __future__ import annotations

import re
import unicodedata

import streamlit as st

from trustdesk.analytics.views import Filters
from trustdesk.data.export import safe_csv


def table(df, name: str, f: Filters, columns: dict | None = None, height: int | str = "auto") -> None:
    """A table and its CSV download (the same rows and unrounded numbers, safe for spreadsheets).

    The columns show in the order of `columns`, then the rest; the CSV keeps the frame's order (the
    metric's columns first, as `trustdesk metrics` prints them)."""
    columns = columns or {}
    if df.is_empty():
        st.caption("No rows for these filters.")
        return
    order = [c for c in columns if c in df.columns] + [c for c in df.columns if c not in columns]
    st.dataframe(
        df.to_arrow(), column_config=columns, column_order=order, hide_index=True, width="stretch", height=height
    )
    download(df, csv_name(name, f), key=f"csv_{name}")


def download(df, file_name: str, key: str | None = None) -> None:
    """The frame as a CSV file whose cells a spreadsheet will not run as formulas, written when the
    button is clicked (not on every run of the page: with many people at once, that was a tenth of
    each run's time)."""
    st.download_button(
        "Download CSV", lambda: safe_csv(df), file_name=file_name, mime="text/csv", key=key, icon=":material/download:"
    )


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


def csv_name(name: str, f: Filters) -> str:
    """The download's file name: the table, its dates, and every filter that narrowed it, in
    characters that are safe in a file name on any system."""
    parts = [_slug(name).replace("-", "_"), f.period.date_from.isoformat(), f.period.date_to.isoformat()]
    parts += [_slug(v) for v in (f.region, f.market, f.category) if v]
    return "_".join(parts) + ".csv"


def checked(df, columns: dict, fine: str) -> None:
    """The rows a check found, or, when it found none, the sentence saying all is well."""
    if df.is_empty():
        st.success(fine)
    else:
        st.dataframe(df, hide_index=True, column_config=columns)
