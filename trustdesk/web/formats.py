"""Numbers, money, rates, dates and moments as every page writes them.

Values may be int, float or Decimal (money is summed exactly); every format takes all three.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from trustdesk.analytics.views import change as relative_change
from trustdesk.web.colors import MISSING

DATE_FORMAT = "%d %b %Y"  # "10 Sep 2026" in every text; CSV files keep ISO dates


def day(value: date | None) -> str:
    return MISSING if value is None else f"{value:{DATE_FORMAT}}"


def timestamp(value: str | None) -> str:
    """An ISO timestamp (of the warehouse build) in the dates' format, to the minute, UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return MISSING
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment:{DATE_FORMAT} %H:%M} UTC"


def store_moment(iso: str | None) -> str:
    """A moment of the moderation store ("2026-03-02T10:00:00+00:00") to the minute, as it is stored (UTC)."""
    return MISSING if not iso else iso[:16].replace("T", " ")


def duration(hours: float | None) -> str:
    if hours is None:
        return MISSING
    return f"{hours * 60:,.0f} min" if hours < 1 else f"{hours:,.1f} h"


def number(value) -> str:
    return MISSING if value is None else f"{value:,.0f}"


def percent(value, digits: int = 1) -> str:
    return MISSING if value is None else f"{float(value):.{digits}%}"


def usd(value, digits: int = 2) -> str:
    return MISSING if value is None else f"${value:,.{digits}f}"


def per_1000(value) -> str:
    return MISSING if value is None else f"{value:,.2f}"


_UNITS = ((1e3, "K"), (1e6, "M"), (1e9, "B"), (1e12, "T"))


def abbreviated(value) -> str:
    """18,345,678 -> "18.3M" (one decimal; K, M, B, T), as the charts' axes label them."""
    v = float(value)
    unit = max((i for i, (size, _) in enumerate(_UNITS) if abs(v) >= size), default=None)
    if unit is None:
        return f"{v:,.0f}"
    if round(abs(v) / _UNITS[unit][0], 1) >= 1000 and unit + 1 < len(_UNITS):
        unit += 1  # 999,960 is "1.0M", not "1000.0K"
    size, suffix = _UNITS[unit]
    return f"{v / size:,.1f}{suffix}"


# Headlines (st.metric) get about seven characters at 1440 px in a row of six; larger values are
# abbreviated there and given exactly in the help.
SHORT_COUNT_BELOW = 100_000
SHORT_USD_BELOW = 1_000


def short_number(value) -> str:
    if value is None:
        return MISSING
    return number(value) if abs(float(value)) < SHORT_COUNT_BELOW else abbreviated(value)


def short_usd(value, digits: int = 2) -> str:
    """Cents at most from $1 up (4 digits are for prices of a fraction of a cent), then K, M, B."""
    if value is None:
        return MISSING
    size = abs(float(value))
    if size >= SHORT_USD_BELOW:
        return "$" + abbreviated(value)
    return usd(value, digits if size < 1 else min(digits, 2))


# Per kind of headline: (shown in the headline, exact in its help).
HEADLINE = {
    "number": (short_number, number),
    "usd": (short_usd, usd),
    "percent": (percent, percent),
    "per_1000": (per_1000, per_1000),
}


def change(now, before) -> str | None:
    """A metric delta: the relative change against the previous period, or None (no fair
    comparison: the views leave `before` None then)."""
    delta = relative_change(now, before)
    return None if delta is None else f"{delta:+.1%}"


def points(now, before) -> str | None:
    """A delta for rates: the change in percentage points."""
    if now is None or before is None:
        return None
    return f"{(float(now) - float(before)) * 100:+.2f} pp"


def markdown_plain(text: str) -> str:
    """Text that Markdown shows as it is (market names come from a replaceable reference file)."""
    return "".join("\\" + c if c in "\\`*_{}[]()<>#+-.!|~$" else c for c in text)
