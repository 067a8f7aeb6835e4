"""The frame pages share: the title, the warehouse (or why there is none), the sidebar's footer,
and the message a widget's callback left for the next run.

Each page checks its own role first (`session.require`), so a URL typed by hand is refused too.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from trustdesk.analytics.views import Filters
from trustdesk.warehouse import Warehouse
from trustdesk.web import cache, filters
from trustdesk.web.formats import day, timestamp


def start(title: str) -> Warehouse:
    """The page's title and the current warehouse; with no data, the empty state ends the page."""
    st.title(title)
    wh = cache.warehouse()
    if wh is None:
        st.stop()
    return wh


def analytics(title: str) -> tuple[Warehouse, Filters]:
    """An analytics page's title, warehouse, sidebar filters and footer."""
    wh = start(title)
    f = filters.filters(wh)
    footer(wh)
    return wh, f


def footer(wh: Warehouse) -> None:
    first, last = wh.date_range()
    st.sidebar.caption(
        f"Data directory `{wh.root}` · warehouse v{wh.version} built {timestamp(wh.pointer.get('built_at'))} · "
        f"data {day(first)} to {day(last)}"
    )


def flash(key: str, shown: Callable[[str], str] = str) -> None:
    """Show, once, what the last widget callback left under `key`: (kind, text), kind an st function name."""
    kind, text = st.session_state.pop(key, (None, None))
    if kind:
        getattr(st, kind)(shown(text))


def described(wh: Warehouse, f: Filters, empty: bool, what: str, more: str = "") -> None:
    """An analytics page's caption; when these filters select no `what`, what to change, and the page ends."""
    filters.caption(wh, f, more)
    if empty:
        filters.no_data(wh, f, what)
        st.stop()
