"""Helpers shared by the Streamlit pages: the warehouse connection, caching, filters, empty states.

Pages stay thin: widgets -> one call into the read side (through `cached`) -> chart or table.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

import streamlit as st

from trustdesk import config
from trustdesk.metrics import REGIONS, Period
from trustdesk.warehouse import NoData, Warehouse, WarehouseCache

PERIODS = {"Last 7 days": 7, "Last 30 days": 30, "Last 90 days": 90}


@st.cache_resource
def _warehouses() -> WarehouseCache:
    return WarehouseCache()


def data_root() -> Path:
    return config.data_dir()


def warehouse() -> Warehouse | None:
    """The current warehouse, or None (after drawing the empty state) when there is no data."""
    root = data_root()
    try:
        return _warehouses().get(root)
    except NoData:
        st.info(
            f"There is no data in `{root}` yet. Run `trustdesk demo` to load a demo world, "
            "or `trustdesk load FILE...` with your exports, then reload this page."
        )
        return None


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(fn_name: str, version: int, root: str, args: tuple):
    fn = _REGISTRY[fn_name]
    return fn(_warehouses().get(Path(root)), *args)


_REGISTRY: dict[str, Callable] = {}


def cached(fn: Callable, wh: Warehouse, *args):
    """Run a read-side function once per warehouse version and arguments."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    _REGISTRY[name] = fn
    return _cached(name, wh.version, str(wh.root), args)


def period_filter(wh: Warehouse, key: str = "period") -> Period:
    first, last = wh.date_range()
    last = last or date.today()
    choice = st.sidebar.selectbox("Period", list(PERIODS), index=1, key=key)
    period = Period.last(PERIODS[choice], last)
    st.sidebar.caption(f"{period.date_from:%d %b %Y} – {period.date_to:%d %b %Y} (ends on the last day in the data)")
    return period


def region_filter(key: str = "region") -> str | None:
    choice = st.sidebar.selectbox("Region", ["All regions", *REGIONS], key=key)
    return None if choice == "All regions" else choice


def footer(wh: Warehouse) -> None:
    first, last = wh.date_range()
    st.sidebar.caption(
        f"Data directory `{wh.root}` · warehouse v{wh.version} built {wh.pointer.get('built_at', '?')} · "
        f"data {first} to {last}"
    )
