"""The sidebar's filters (period, region, market, business category) and the filters in words.

Each filter lives in the URL's query parameters, so that a link reproduces the view, and in the
session, so that it carries to the next page. A page's widgets are its own (Streamlit keys them
by page), so every run seeds them from the session's values: the session's value if this session
set one, else the URL's (a link opened in a new session), else the default. A widget's change
callback writes the new value to the session before the next run, and each run writes the URL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from trustdesk.analytics.metrics import Period
from trustdesk.analytics.views import Coverage, Filters, choices, coverage
from trustdesk.warehouse import Warehouse
from trustdesk.web.cache import cached
from trustdesk.web.formats import day, markdown_plain

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


def _clamp(value: date, first: date, last: date) -> date:
    return min(max(value, first), last)


def _link_dates(url_from: date | None, url_to: date | None, first: date, last: date) -> tuple[str, str] | None:
    """A link's dates narrowed to the data's range (with a sidebar note), or None when they lie
    wholly outside it. A date like 0001-01-01 is never kept: the session carries only dates the
    data covers, so one bad link cannot break the next pages."""
    # A link with one date means the data's other end (as the custom range's defaults do).
    start, end = url_from or first, url_to or last
    if end < start:
        start, end = end, start
    if end < first or start > last:
        st.sidebar.warning(f"The link's dates lie outside the data ({day(first)} – {day(last)}); they are ignored.")
        return None
    if start < first or end > last:
        st.sidebar.warning(
            f"The link's dates reach outside the data; they are narrowed to "
            f"{day(_clamp(start, first, last))} – {day(_clamp(end, first, last))}, "
            "which it covers."
        )
    return _clamp(start, first, last).isoformat(), _clamp(end, first, last).isoformat()


def period_filter(wh: Warehouse, key: str = "period") -> Period:
    """Last 7 / 30 / 90 days ending on the last day in the data, or a custom range of dates within
    the data's range."""
    first, last = wh.date_range()
    last = last or date.today()
    first = first or last
    memory = _remembered()
    if "period" in memory:
        code = memory["period"]
    else:
        code = _from_url("period", lambda v: v in PERIOD_CODES, "period")
        url_from = _from_url("from", lambda v: _iso(v) is not None, "date")
        url_to = _from_url("to", lambda v: _iso(v) is not None, "date")
        if url_from or url_to:
            dates = _link_dates(_iso(url_from), _iso(url_to), first, last)
            if dates is not None:
                code = code or "custom"
                memory.update({"from": dates[0], "to": dates[1]})
        code = code or DEFAULT_PERIOD
    st.session_state[key] = PERIOD_CODES[code]
    choice = st.sidebar.selectbox("Period", list(PERIOD_LABELS), key=key, on_change=_picked_period, args=(key,))
    code = PERIOD_LABELS[choice]
    if code != "custom":
        period = Period.last(int(code[:-1]), last)
        _keep("period", code, DEFAULT_PERIOD)
        _keep("from", None)
        _keep("to", None)
        cover = Coverage(period, first, last)
        note = "ends on the last day in the data"
        if not cover.complete:
            note += f"; the data covers only {cover.days_with_data:,} of these {period.days:,} days"
        st.sidebar.caption(f"{day(period.date_from)} – {day(period.date_to)} ({note})")
        return period
    start = _iso(memory.get("from")) or Period.last(30, last).date_from
    end = _iso(memory.get("to")) or last
    if end < start:
        start, end = end, start
    # The session's dates too: the data may have changed since they were picked.
    start, end = _clamp(start, first, last), _clamp(end, first, last)
    dates_key = f"{key}_dates"
    current = st.session_state.get(dates_key)
    picking = isinstance(current, (tuple, list)) and len(current) == 1 and first <= current[0] <= last
    if not picking:
        # A range being picked (one date so far) is left alone until its second date.
        st.session_state[dates_key] = (start, end)
    picked = st.sidebar.date_input(
        "Dates",
        key=dates_key,
        format="YYYY-MM-DD",
        min_value=first,
        max_value=last,
        on_change=_picked_dates,
        args=(dates_key,),
        help=f"The data covers {day(first)} to {day(last)}.",
    )
    picked = tuple(picked) if isinstance(picked, (tuple, list)) else (picked,)
    if picked:
        start, end = sorted((_clamp(picked[0], first, last), _clamp(picked[-1], first, last)))
    period = Period(start, end)
    _keep("period", "custom", DEFAULT_PERIOD)
    _keep("from", period.date_from.isoformat())
    _keep("to", period.date_to.isoformat())
    st.sidebar.caption(f"{day(period.date_from)} – {day(period.date_to)} (the data covers {day(first)} to {day(last)})")
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


def region_filter(regions: tuple[str, ...], key: str = "region") -> str | None:
    """Regions of the reference data (a replaced markets.csv brings its own)."""
    return _choice_filter("region", "Region", list(regions), "region", key)


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
    region = region_filter(options.regions)
    market = market_filter(options.markets, region)
    category = category_filter(options.categories)
    return Filters(period, region, market, category)


def describe(f: Filters, cover: Coverage | None = None) -> str:
    """The filters in words, for a caption: the dates (and how many of them the data covers), then
    whatever narrows the view."""
    dates = f"{day(f.period.date_from)} – {day(f.period.date_to)} ({f.period.days:,} days"
    if cover is not None and not cover.complete:
        covered = cover.covered
        dates += (
            f"; the data covers {cover.days_with_data:,} of them, {day(covered.date_from)} – {day(covered.date_to)}"
            if covered
            else "; the data covers none of them"
        )
    parts = [dates + ")"]
    parts += [v for v in (f.region, markdown_plain(f.market or ""), f.category) if v]
    return " · ".join(parts)


def compared(cover: Coverage) -> str:
    """What the changes shown compare with, or why no change is shown (see analytics.coverage)."""
    before, n = cover.previous, cover.period.days
    if cover.comparable:
        return f"Changes compare with the {n:,} days before ({day(before.date_from)} – {day(before.date_to)})."
    if before is None:
        return "No changes shown: the calendar has no period before these dates."
    span = f"the {n:,} days before ({day(before.date_from)} – {day(before.date_to)})"
    if not cover.complete:
        return (
            f"No changes shown: the data covers only {cover.days_with_data:,} of these {n:,} days, "
            f"and {cover.previous_days_with_data:,} of {span}."
        )
    if cover.previous_days_with_data == 0:
        return f"No changes shown: {span} are not in the data, which starts on {day(cover.first_day)}."
    return (
        f"No changes shown: {span} have data on only {cover.previous_days_with_data:,} of them "
        f"(the data starts on {day(cover.first_day)})."
    )


def caption(wh: Warehouse, f: Filters, more: str = "") -> None:
    """The page's caption: the filters, what the data covers, what the changes compare with."""
    cover = coverage(wh, f.period)
    st.caption(" ".join(part for part in (f"{describe(f, cover)}.", compared(cover), more) if part))


def no_data(wh: Warehouse, f: Filters, what: str) -> None:
    """Say that these filters select nothing, and what to change."""
    first, last = wh.date_range()
    hints = []
    if first and last and (f.period.date_to < first or f.period.date_from > last):
        hints.append(f"choose dates between {day(first)} and {day(last)}, which the data covers")
    elif f.period.days < 90:
        hints.append("choose a longer period")
    hints += [
        f"set {name} to {label}"
        for name, label, value in (
            ("Business category", ALL_CATEGORIES, f.category),
            ("Market", ALL_MARKETS, f.market),
            ("Region", ALL_REGIONS, f.region),
        )
        if value
    ]
    advice = ", or ".join(hints) if hints else "load more data on the Upload page"
    st.info(f"No {what} for these filters ({describe(f, coverage(wh, f.period))}). To see some, {advice}.")
