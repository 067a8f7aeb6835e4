"""Meta `pricing_analytics` responses -> `billed_pricing` rows: what Meta billed per period.

A response is what `GET /<WABA_ID>?fields=pricing_analytics.start(..).end(..).granularity(DAILY)
.dimensions([...])` returns: `{"pricing_analytics": {"data": [{"data_points": [...]}]}, "id": WABA}`,
optionally with `"currency"`; the edge call `/<WABA_ID>/pricing_analytics` returns the inner
`{"data": [...]}`. A file holds one response, an array of them, or one per line (pages of a
paginated fetch). docs/formats/meta_pricing_analytics.md has each field.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from etl.formats.base import (
    Conversion,
    Quarantined,
    Tables,
    UnreadableFile,
    content_id,
    epoch_text,
    text_of,
    write_conversion,
)
from etl.formats.categories import v1_category
from etl.formats.jsonsource import NotJSON, file_values
from etl.formats.kinds import header

NAME = "meta_pricing_analytics"
TITLE = "Meta pricing_analytics response"
GRANULARITY_SECONDS = {1800: "half_hour", 86400: "daily"}
_POINT_KEYS = {"start", "end", "country", "pricing_category", "pricing_type", "volume", "cost", "phone_number", "tier"}
_HEADER = header("billed_pricing")


def looks_like(value) -> bool:
    if not isinstance(value, dict):
        return False
    if isinstance(value.get("pricing_analytics"), dict):
        return True
    # The edge call's bare {"data": [...]}: told from template or messaging analytics (which have
    # data_points too) by the pricing fields of a data point.
    data = value.get("data")
    if not (isinstance(data, list) and data and isinstance(data[0], dict)):
        return False
    points = data[0].get("data_points")
    return (
        isinstance(points, list)
        and bool(points)
        and isinstance(points[0], dict)
        and bool({"pricing_category", "pricing_type", "cost"} & set(points[0]))
    )


def _granularity(stated: str, start: int, end: int) -> str | None:
    if stated:
        g = stated.strip().lower()
        return (
            {"day": "daily", "month": "monthly"}.get(g, g)
            if g in ("half_hour", "daily", "monthly", "day", "month")
            else None
        )
    span = end - start
    if span in GRANULARITY_SECONDS:
        return GRANULARITY_SECONDS[span]
    if 28 * 86400 <= span <= 31 * 86400:
        return "monthly"
    return None


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _decimal_text(value) -> str:
    if isinstance(value, float):
        return repr(value) if "e" not in repr(value) else f"{value:.9f}".rstrip("0").rstrip(".")
    return text_of(value).strip()


def _point_problems(dp: dict, stated: str) -> tuple[list[str], str | None]:
    """Why a data point cannot become a row (empty when it can), and its granularity."""
    reasons = []
    start, end = epoch_text(dp.get("start")), epoch_text(dp.get("end"))
    if not start:
        reasons.append("start is missing or not Unix seconds")
    if not end:
        reasons.append("end is missing or not Unix seconds")
    volume = _number(dp.get("volume"))
    if volume is None or volume < 0 or volume != int(volume):
        reasons.append(f"volume {text_of(dp.get('volume'))!r} is not a whole number")
    cost = dp.get("cost")
    if cost is not None and (_number(cost) is None or _number(cost) < 0):
        reasons.append(f"cost {text_of(cost)!r} is not an amount of 0 or more")
    granularity = None
    if start and end:
        granularity = _granularity(stated, int(_number(dp["start"])), int(_number(dp["end"])))
        if granularity is None:
            reasons.append(
                "the granularity is neither stated nor told by start and end (half an hour, a day or a month)"
            )
    return reasons, granularity


def _billed_values(dp: dict, account: str, currency: str, granularity: str, unused: Counter) -> dict:
    """The billed_pricing row of a data point that passed `_point_problems`."""
    for k in dp:
        if k not in _POINT_KEYS:
            unused[f"data_points[].{k}"] += 1
    country = text_of(dp.get("country")).upper()
    if country and len(country) != 2:
        unused[f"country={country} (not an ISO country)"] += 1
        country = ""
    raw_category = text_of(dp.get("pricing_category"))
    cost = dp.get("cost")
    values = {
        "period_start": epoch_text(dp.get("start")),
        "period_end": epoch_text(dp.get("end")),
        "granularity": granularity,
        "volume": str(int(_number(dp.get("volume")))),
        "account_id": account,
        "country": country,
        "pricing_category": raw_category.lower(),
        "category": v1_category(raw_category) or "",
        "pricing_type": text_of(dp.get("pricing_type")).lower(),
        "phone_number": text_of(dp.get("phone_number")),
        "tier": text_of(dp.get("tier")),
        "cost": _decimal_text(cost) if cost is not None else "",
        "currency": currency,
    }
    values["billed_id"] = content_id(
        "bp-",
        account,
        values["period_start"],
        values["period_end"],
        granularity,
        country,
        values["pricing_category"],
        values["pricing_type"],
        values["phone_number"],
        values["tier"],
    )
    return values


class _Reading:
    """What the responses of one file add up to: candidate rows by billed_id, and what was left."""

    def __init__(self):
        self.counts, self.unused, self.quarantined = Counter(), Counter(), []
        self.rows: dict[str, dict[tuple, str]] = {}
        self.responses = 0

    def response(self, place: str, value: dict) -> None:
        self.responses += 1
        account = text_of(value.get("id"))
        currency = text_of(value.get("currency")).upper()
        inner = value["pricing_analytics"] if isinstance(value.get("pricing_analytics"), dict) else value
        for k in value:
            if k not in ("pricing_analytics", "id", "currency", "data", "paging"):
                self.unused[k] += 1
        if "paging" in value or "paging" in inner:
            self.unused["paging (the cursors of the next page)"] += 1
        for di, data in enumerate(inner.get("data") or ()):
            if not isinstance(data, dict):
                continue
            for k in data:
                if k not in ("data_points", "granularity"):
                    self.unused[f"data[].{k}"] += 1
            for pi, dp in enumerate(data.get("data_points") or ()):
                self.point(
                    f"{place}: data[{di}].data_points[{pi}]", dp, text_of(data.get("granularity")), account, currency
                )

    def point(self, where: str, dp, stated: str, account: str, currency: str) -> None:
        self.counts["data_points"] += 1
        if not isinstance(dp, dict):
            self.quarantined.append(Quarantined.of_value(where, dp, ["the data point is not an object"]))
            return
        reasons, granularity = _point_problems(dp, stated)
        if reasons:
            self.quarantined.append(Quarantined.of_value(where, dp, reasons))
            return
        values = _billed_values(dp, account, currency, granularity, self.unused)
        core = tuple(values.get(c, "") for c in _HEADER[:-1])
        self.rows.setdefault(values["billed_id"], {}).setdefault(core, where)
        self.counts["billed_rows"] += 1

    def finish(self, tables: Tables) -> None:
        for bid, cands in self.rows.items():
            chosen = min(cands)
            tables.add("billed_pricing", bid, chosen + (cands[chosen],))
            for core, where in cands.items():
                if core != chosen:
                    self.quarantined.append(
                        Quarantined.of_value(
                            where,
                            dict(zip(_HEADER, core)),
                            [
                                f"the period, country, category and type of {cands[chosen]} appear again with other numbers"
                            ],
                        )
                    )


def convert(path: Path, out_dir: Path, *, max_bytes: int | None = None, **_options) -> Conversion:
    name = path.name
    reading = _Reading()
    for place, value in file_values(path, max_bytes):
        if isinstance(value, NotJSON):
            reading.quarantined.append(Quarantined(place, value.raw, [f"the response {value.problem}"]))
        elif not looks_like(value):
            reading.quarantined.append(
                Quarantined.of_value(
                    place, value, ["the value is not a pricing_analytics response (no pricing_analytics.data[])"]
                )
            )
        else:
            reading.response(place, value)
    counts, unused, quarantined = reading.counts, reading.unused, reading.quarantined
    rows, responses = reading.rows, reading.responses
    if responses == 0:
        raise UnreadableFile(
            f"{name}: holds no pricing_analytics response "
            '(a response has "pricing_analytics": {"data": [{"data_points": [...]}]})'
        )
    repeats = counts["billed_rows"] - sum(len(c) for c in rows.values())
    found = {"responses": responses, "billed_rows": counts["billed_rows"], "repeats": repeats}
    conv = write_conversion(path, out_dir, NAME, reading.finish, quarantined, found, unused)
    if any(not (c[list(_HEADER).index("currency")]) for cands in rows.values() for c in cands):
        conv.notes.append(
            "The response does not say its currency (ask for the currency field): "
            "Meta reports cost in the currency of the WhatsApp Business Account."
        )
    return conv
