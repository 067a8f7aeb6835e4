"""Helpers shared by the Streamlit pages: the warehouse connection, caching, filters, empty states.

Pages stay thin: widgets -> one call into the read side (through `cached`) -> chart or table.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

import streamlit as st

from trustdesk import config
from trustdesk.analytics import Filters, choices
from trustdesk.analytics import change as relative_change
from trustdesk.export import safe_csv
from trustdesk.metrics import REGIONS, Period
from trustdesk.warehouse import NoData, Warehouse, WarehouseCache
from trustdesk.session import (  # noqa: F401  (pages call these through ui)
    account_box, hide_sidebar, principal, require, sign_in_form, sign_out, single_sign_on,
)

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


# --------------------------------------------------------------------------- filters
#
# Each filter lives in the URL's query parameters, so that a link reproduces the view, and in the
# session, so that it carries to the next page. A page's widgets are its own (Streamlit keys them
# by page), so every run seeds them from the session's values: the session's value if this session
# set one, else the URL's (a link opened in a new session), else the default. A widget's change
# callback writes the new value to the session before the next run, and each run writes the URL.

MEMORY_KEY = "filters"
PERIOD_CODES = {"7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days", "custom": "Custom range"}
PERIOD_LABELS = {label: code for code, label in PERIOD_CODES.items()}
DEFAULT_PERIOD = "30d"
ALL_REGIONS, ALL_MARKETS, ALL_CATEGORIES = "All regions", "All markets", "All categories"
ALL = {"region": ALL_REGIONS, "market": ALL_MARKETS, "category": ALL_CATEGORIES}


def _remembered() -> dict:
    if MEMORY_KEY not in st.session_state:
        st.session_state[MEMORY_KEY] = {}
    return st.session_state[MEMORY_KEY]


def _from_url(param: str, valid: Callable[[str], bool], what: str) -> str | None:
    raw = st.query_params.get(param)
    if raw is None or raw == "":
        return None
    if valid(raw):
        return raw
    # The value itself is not echoed: it came from a link, not from this app.
    st.sidebar.warning(f"The link's {param} is not a known {what}; it is ignored.")
    return None


def _initial(param: str, valid: Callable[[str], bool], what: str, default: str | None) -> str | None:
    """The session's value for a filter, else the URL's, else the default."""
    memory = _remembered()
    if param in memory:
        return memory[param]
    value = _from_url(param, valid, what)
    return default if value is None else value


def _keep(param: str, value: str | None, default: str | None = None) -> None:
    """Remember a filter for the next page and show it in the URL (left out when it is the default)."""
    _remembered()[param] = value
    if value is None or value == default:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != value:
        st.query_params[param] = value


def _picked(param: str, key: str) -> None:
    """Change callback of a region, market or category box: remember the choice."""
    choice = st.session_state[key]
    _remembered()[param] = None if choice == ALL[param] else choice


def _picked_period(key: str) -> None:
    _remembered()["period"] = PERIOD_LABELS[st.session_state[key]]


def _picked_dates(key: str) -> None:
    picked = st.session_state[key]
    if isinstance(picked, (tuple, list)) and len(picked) == 2:
        _remembered().update({"from": picked[0].isoformat(), "to": picked[1].isoformat()})


def _iso(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def period_filter(wh: Warehouse, key: str = "period") -> Period:
    """Last 7 / 30 / 90 days ending on the last day in the data, or a custom range of dates."""
    first, last = wh.date_range()
    last = last or date.today()
    memory = _remembered()
    if "period" in memory:
        code = memory["period"]
    else:
        code = _from_url("period", lambda v: v in PERIOD_CODES, "period")
        url_from = _from_url("from", lambda v: _iso(v) is not None, "date")
        url_to = _from_url("to", lambda v: _iso(v) is not None, "date")
        if url_from or url_to:
            code = code or "custom"
            memory.update({"from": url_from, "to": url_to})
        code = code or DEFAULT_PERIOD
    st.session_state[key] = PERIOD_CODES[code]
    choice = st.sidebar.selectbox("Period", list(PERIOD_LABELS), key=key, on_change=_picked_period, args=(key,))
    code = PERIOD_LABELS[choice]
    if code != "custom":
        period = Period.last(int(code[:-1]), last)
        _keep("period", code, DEFAULT_PERIOD)
        _keep("from", None)
        _keep("to", None)
        st.sidebar.caption(f"{period.date_from:%d %b %Y} – {period.date_to:%d %b %Y} "
                           "(ends on the last day in the data)")
        return period
    start = _iso(memory.get("from")) or Period.last(30, last).date_from
    end = _iso(memory.get("to")) or last
    if end < start:
        start, end = end, start
    dates_key = f"{key}_dates"
    current = st.session_state.get(dates_key)
    if not (isinstance(current, (tuple, list)) and len(current) == 1):
        # A range being picked (one date so far) is left alone until its second date.
        st.session_state[dates_key] = (start, end)
    picked = st.sidebar.date_input("Dates", key=dates_key, format="YYYY-MM-DD",
                                   on_change=_picked_dates, args=(dates_key,))
    picked = tuple(picked) if isinstance(picked, (tuple, list)) else (picked,)
    period = Period(picked[0], picked[-1]) if picked else Period(start, end)
    _keep("period", "custom", DEFAULT_PERIOD)
    _keep("from", period.date_from.isoformat())
    _keep("to", period.date_to.isoformat())
    st.sidebar.caption(f"{period.date_from:%d %b %Y} – {period.date_to:%d %b %Y} "
                       f"(the data covers {first or '?'} to {last})")
    return period


def _choice_filter(param: str, label: str, options: list[str], what: str, key: str) -> str | None:
    value = _initial(param, lambda v: v in options, what, None)
    if value is not None and value not in options:
        value = None  # e.g. a market outside the region chosen since
    st.session_state[key] = value or ALL[param]
    choice = st.sidebar.selectbox(label, [ALL[param], *options], key=key, on_change=_picked, args=(param, key))
    value = None if choice == ALL[param] else choice
    _keep(param, value)
    return value


def region_filter(key: str = "region") -> str | None:
    return _choice_filter("region", "Region", list(REGIONS), "region", key)


def market_filter(markets: dict[str, tuple[str, ...]], region: str | None, key: str = "market") -> str | None:
    """Pricing markets (of the user's country); with a region, only the markets it has countries in."""
    offered = [m for m, regions in markets.items() if region is None or region in regions]
    return _choice_filter("market", "Market", offered, "market in this region", key)


def category_filter(categories: tuple[str, ...], key: str = "category") -> str | None:
    return _choice_filter("category", "Business category", list(categories), "business category", key)


def filters(wh: Warehouse) -> Filters:
    """The filters every analytics page shares, drawn in the sidebar."""
    options = cached(choices, wh)
    period = period_filter(wh)
    region = region_filter()
    market = market_filter(options.markets, region)
    category = category_filter(options.categories)
    return Filters(period, region, market, category)


def describe(f: Filters) -> str:
    """The filters in words, for a caption: the dates always, then whatever narrows the view."""
    parts = [f"{f.period.date_from:%d %b %Y} – {f.period.date_to:%d %b %Y} ({f.period.days:,} days)"]
    parts += [v for v in (f.region, _plain(f.market or ""), f.category) if v]
    return " · ".join(parts)


def _plain(text: str) -> str:
    """Text that Markdown shows as it is (market names come from a replaceable reference file)."""
    return "".join("\\" + c if c in "\\`*_{}[]()<>#+-.!|~$" else c for c in text)


def no_data(wh: Warehouse, f: Filters, what: str) -> None:
    """Say that these filters select nothing, and what to change."""
    first, last = wh.date_range()
    hints = []
    if first and last and (f.period.date_to < first or f.period.date_from > last):
        hints.append(f"choose dates between {first:%d %b %Y} and {last:%d %b %Y}, which the data covers")
    elif f.period.days < 90:
        hints.append("choose a longer period")
    hints += [f"set {name} to {label}" for name, label, value in (
        ("Business category", ALL_CATEGORIES, f.category), ("Market", ALL_MARKETS, f.market),
        ("Region", ALL_REGIONS, f.region)) if value]
    advice = ", or ".join(hints) if hints else "load more data on the Upload page"
    st.info(f"No {what} for these filters ({describe(f)}). To see some, {advice}.")


# --------------------------------------------------------------------------- formats and tables

def number(value) -> str:
    return "–" if value is None else f"{value:,.0f}"


def percent(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}%}"


def usd(value, digits: int = 2) -> str:
    return "–" if value is None else f"${value:,.{digits}f}"


def per_1000(value) -> str:
    return "–" if value is None else f"{value:,.2f}"


def change(now, before) -> str | None:
    """A metric delta: the relative change against the previous period, or None."""
    delta = relative_change(now, before)
    return None if delta is None else f"{delta:+.1%}"


def points(now, before) -> str | None:
    """A delta for rates: the change in percentage points."""
    if now is None or before is None:
        return None
    return f"{(now - before) * 100:+.2f} pp"


def int_col(label: str, help: str | None = None):
    return st.column_config.NumberColumn(label, format="localized", help=help)


def pct_col(label: str, help: str | None = None):
    return st.column_config.NumberColumn(label, format="percent", help=help)


def usd_col(label: str, help: str | None = None):
    return st.column_config.NumberColumn(label, format="dollar", help=help)


def dec_col(label: str, help: str | None = None, digits: int = 2):
    return st.column_config.NumberColumn(label, format=f"%.{digits}f", help=help)


def text_col(label: str, help: str | None = None):
    return st.column_config.TextColumn(label, help=help)


def table(df, name: str, f: Filters, columns: dict | None = None, height: int | str = "auto") -> None:
    """A table and its CSV download (the same rows and unrounded numbers, safe for spreadsheets).

    The columns show in the order of `columns`, then the rest; the CSV keeps the frame's order (the
    metric's columns first, as `trustdesk metrics` prints them)."""
    columns = columns or {}
    order = [c for c in columns if c in df.columns] + [c for c in df.columns if c not in columns]
    st.dataframe(df.to_arrow(), column_config=columns, column_order=order, hide_index=True, width="stretch",
                 height=height)
    st.download_button(
        "Download CSV", safe_csv(df), file_name=f"{name}_{f.period.date_from}_{f.period.date_to}.csv",
        mime="text/csv", key=f"csv_{name}", icon=":material/download:",
    )


def footer(wh: Warehouse) -> None:
    first, last = wh.date_range()
    st.sidebar.caption(
        f"Data directory `{wh.root}` · warehouse v{wh.version} built {wh.pointer.get('built_at', '?')} · "
        f"data {first} to {last}"
    )
