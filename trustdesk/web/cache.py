"""The dashboard's warehouse connection and its read cache.

One `WarehouseCache` per server process (`st.cache_resource`), and `st.cache_data` keyed by the
warehouse version, so a load that publishes a new version makes every page read afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from trustdesk.warehouse import NoData, Warehouse, WarehouseCache
from trustdesk.web.session import data_root


@st.cache_resource
def _warehouses() -> WarehouseCache:
    return WarehouseCache()


def warehouse() -> Warehouse | None:
    """The current warehouse, or None (after drawing the empty state) when there is no data."""
    root = data_root()
    try:
        return _warehouses().get(root)
    except NoData:
        st.info(
            f"There is no data in `{root}` yet. Run `trustdesk demo` to load a demo world, "
            "upload your exports on the Upload page (Data section), or run "
            "`trustdesk load FILE...`, then reload this page."
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
