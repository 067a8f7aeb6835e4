"""The SQL clauses a model may call as `{{ name(...) }}`, expanded once when the model is read.

A clause is SQL text referring to bound parameters ($date_from, $region, ...), never to values, so
a model stays one statement whose values the runner binds. `trustdesk.analytics.filters.Filters`
builds the parameters these clauses name.
"""

from __future__ import annotations

from etl.ingest.rejects import REASON_GROUP


def filters(alias: str, dates: bool = True, region: bool = True, market: bool = True, category: bool = True) -> str:
    """The analytics filters on the rows of a mart aliased `alias`: its day in the period, its user's
    region and market, its business's category (`business_category`: 'unknown' without a file).
    A filter bound to NULL keeps every row. `dates=False` leaves the day to the model (a window
    that starts before the period); a mart without a column leaves that filter out."""
    if not alias.isidentifier():
        raise ValueError(f"the alias {alias!r} is not a table name")
    parts = []
    if dates:
        parts.append(f"{alias}.day between $date_from and $date_to")
    for on, column, param in (
        (region, "user_region", "region"),
        (market, "user_market", "market"),
        (category, "business_category", "category"),
    ):
        if on:
            parts.append(f"(${param}::varchar is null or {alias}.{column} = ${param})")
    if not parts:
        raise ValueError("no filter left")
    return "\n      and ".join(parts)


def reason_group() -> str:
    """A quarantine reason `r` with its values taken out: the loader's own groups."""
    return REASON_GROUP


CLAUSES = {"filters": filters, "reason_group": reason_group}
