"""The SQL clauses a model may call as `{{ name(...) }}`, expanded once when the model is read:
the filters, and the measures and grouping labels several models share, each defined here once.

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


def _identifier(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"{name!r} is not a column or table name")
    return name


def _prefix(alias: str) -> str:
    return f"{_identifier(alias)}." if alias else ""


# docs/metrics.md "Status ads": the measures of ad_user_day rows, summed over a group; reach is
# counted within the group, never summed from days or campaigns.
AD_SUMS = """sum(impressions)::bigint as impressions,
        count(distinct user_id) filter (where impressions > 0) as reach,
        sum(clicks)::bigint as clicks,
        sum(replies)::bigint as replies,
        sum(spend_usd) as spend_usd"""

# The ratios of those sums; CPM, like CTR, is a DOUBLE of the exact spend x 1000.
AD_RATES = {
    "frequency": "case when {a}reach > 0 then {a}impressions / {a}reach end",
    "ctr": "case when {a}impressions > 0 then {a}clicks / {a}impressions end",
    "cpm_usd": "case when {a}impressions > 0 then cast({a}spend_usd * 1000 as double) / {a}impressions end",
}
AD_COLUMNS = ("impressions", "reach", "frequency", "clicks", "ctr", "replies", "spend_usd", "cpm_usd")


def ad_sums() -> str:
    """The Status ad sums of the rows in a group (columns impressions, reach, clicks, replies, spend_usd)."""
    return AD_SUMS


def ad_rate(name: str, alias: str = "") -> str:
    """One Status ad ratio (`frequency`, `ctr`, `cpm_usd`) of the sums of `alias`, named `name`."""
    if name not in AD_RATES:
        raise ValueError(f"{name!r} is none of {', '.join(AD_RATES)}")
    return f"{AD_RATES[name].format(a=_prefix(alias))} as {name}"


def ad_measures(alias: str = "") -> str:
    """Every Status ad measure of the sums of `alias`, in the order the pages and the spec show."""
    a = _prefix(alias)
    return ",\n        ".join(ad_rate(c, alias) if c in AD_RATES else f"{a}{c}" for c in AD_COLUMNS)


def sums(alias: str, *columns: str) -> str:
    """Each of `columns` of `alias` summed over the group, as a BIGINT of the same name."""
    if not columns:
        raise ValueError("no column to sum")
    a = _prefix(alias)
    return ",\n        ".join(f"sum({a}{_identifier(c)})::bigint as {c}" for c in columns)


def grouped_by(**labels: str) -> str:
    """For a row of `group by grouping sets`: the label of the first column it is grouped by, in the
    order given (`label='column'`), else 'all' (the row over everything)."""
    return _grouping_case({label: f"'{_identifier(label)}'" for label in labels}, labels)


def grouped_value(*columns: str) -> str:
    """For a row of `group by grouping sets`: the value of the first of `columns` it is grouped by,
    else 'all'."""
    return _grouping_case({c: _identifier(c) for c in columns}, {c: c for c in columns})


def _grouping_case(results: dict[str, str], columns: dict[str, str]) -> str:
    if not columns:
        raise ValueError("no column to group by")
    whens = "\n             ".join(f"when grouping({_identifier(columns[k])}) = 0 then {results[k]}" for k in columns)
    return f"case {whens}\n             else 'all' end"


def reason_group() -> str:
    """A quarantine reason `r` with its values taken out: the loader's own groups."""
    return REASON_GROUP


CLAUSES = {
    "filters": filters,
    "reason_group": reason_group,
    "ad_sums": ad_sums,
    "ad_rate": ad_rate,
    "ad_measures": ad_measures,
    "sums": sums,
    "grouped_by": grouped_by,
    "grouped_value": grouped_value,
}
