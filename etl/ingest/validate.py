"""Row validation as SQL: one typed expression and zero or more reasons per column.

The SQL text is built from the contract (identifiers and fixed patterns only); every value that
varies (enum lists, the country list, the future limit) is a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import pycountry

from etl.contract import MAX_ID_LENGTH, MONEY_MAX_DIGITS, MONEY_SCALE, MONEY_TYPE, Column, Kind

COUNTRY_CODES = tuple(sorted(c.alpha_2 for c in pycountry.countries))
REASON_SEP = "\x1f"

ISO_TS = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?"
EPOCH = r"-?[0-9]{1,12}"
DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
MONEY = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
# A non-zero digit after the last decimal place money keeps: the amount cannot be stored exactly
# (trailing zeros are harmless: 0.1000000000 is 0.1).
MONEY_TOO_FINE = rf"[+-]?[0-9]*\.[0-9]{{{MONEY_SCALE}}}0*[1-9][0-9]*"
WHOLE = r"\+?[0-9]{1,18}"

TYPE_WORDS = {
    "timestamp": "a timestamp (ISO 8601 like 2026-03-01T14:05:00Z, or Unix seconds)",
    "date": "a date (YYYY-MM-DD)",
    "country": "an ISO 3166-1 alpha-2 country code",
    "bool": "a boolean (true/false, 1/0, yes/no)",
    "money": "an amount in US dollars (like 12.50)",
    "int_pos": "a whole number",
}


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def raw(col: Column) -> str:
    return q("raw_" + col.name)


def trimmed(col: Column) -> str:
    """Computed once per row in the stage's first layer (`t_<col>`)."""
    return q("t_" + col.name)


def trim_expr(col: Column) -> str:
    return f"nullif(trim({raw(col)}), '')"


def shown(col: Column) -> str:
    """The offending value quoted and shortened, for a reason a person reads."""
    t = trimmed(col)
    return f"('''' || left({t}, 40) || CASE WHEN length({t}) > 40 THEN '…' ELSE '' END || '''')"


# How each type's text becomes its value: the WHEN ... THEN ... branches of a CASE (no branch
# taken: NULL, which reason_exprs turns into a reason). {t} is the trimmed text, {enum} the
# parameter holding an enum's values.
_CASTS: dict[str, tuple[tuple[str, str], ...]] = {
    "timestamp": (
        (f"regexp_full_match({{t}}, '{EPOCH}')", "try_cast(to_timestamp(try_cast({t} AS BIGINT)) AS TIMESTAMP)"),
        (f"regexp_full_match({{t}}, '{ISO_TS}')", "try_cast(try_cast(upper({t}) AS TIMESTAMPTZ) AS TIMESTAMP)"),
    ),
    "date": ((f"regexp_full_match({{t}}, '{DATE}')", "try_cast({t} AS DATE)"),),
    "country": (("list_contains($countries, upper({t}))", "upper({t})"),),
    "bool": (("lower({t}) IN ('true', '1', 'yes')", "true"), ("lower({t}) IN ('false', '0', 'no')", "false")),
    "money": (
        (
            f"regexp_full_match({{t}}, '{MONEY}') AND NOT regexp_full_match({{t}}, '{MONEY_TOO_FINE}')",
            f"try_cast({{t}} AS {MONEY_TYPE})",
        ),
    ),
    "enum": (("list_contains(${enum}, lower({t}))", "lower({t})"),),
    "int_pos": ((f"regexp_full_match({{t}}, '{WHOLE}')", "try_cast({t} AS BIGINT)"),),
}


def typed_expr(col: Column) -> str:
    t = trimmed(col)
    if col.type == "id":
        return t
    if col.type in ("text", "countries"):
        return f"CASE WHEN {t} IS NULL THEN NULL ELSE {raw(col)} END"
    if col.type not in _CASTS:
        raise ValueError(f"unknown type {col.type}")
    branches = " ".join(f"WHEN {test} THEN {value}" for test, value in _CASTS[col.type])
    # replace, not format: the patterns hold braces of their own ([0-9]{4}).
    return "CASE " + branches.replace("{t}", t).replace("{enum}", enum_param(col)) + " END"


def enum_param(col: Column) -> str:
    return f"enum_{col.name}"


def reason_exprs(col: Column, value: str) -> list[str]:
    """`value` is the typed value's column name in the stage that holds it."""
    t = trimmed(col)
    out = []
    name = col.name
    if col.required:
        out.append(f"CASE WHEN {t} IS NULL THEN '{name} is empty' END")
    if col.type == "id":
        out.append(
            f"CASE WHEN length({t}) > {MAX_ID_LENGTH} THEN "
            f"'{name} is longer than {MAX_ID_LENGTH} characters (' || length({t}) || ')' END"
        )
    elif col.type == "enum":
        allowed = ", ".join(col.values)
        out.append(
            f"CASE WHEN {t} IS NOT NULL AND {value} IS NULL THEN "
            f"'{name}: ' || {shown(col)} || ' is not one of {allowed}' END"
        )
    elif col.type == "money":
        # try_cast fails only on a well-formed amount that is too fine or too large
        out.append(
            f"CASE WHEN {t} IS NULL OR {value} IS NOT NULL THEN NULL "
            f"WHEN NOT regexp_full_match({t}, '{MONEY}') THEN "
            f"'{name}: ' || {shown(col)} || ' is not {TYPE_WORDS[col.type]}' "
            f"WHEN regexp_full_match({t}, '{MONEY_TOO_FINE}') THEN "
            f"'{name}: ' || {shown(col)} || ' has more than {MONEY_SCALE} decimal places "
            f"(amounts are kept exactly, to {MONEY_SCALE} places)' "
            f"ELSE '{name}: ' || {shown(col)} || ' is too large "
            f"(at most {MONEY_MAX_DIGITS} digits before the decimal point)' END"
        )
    elif col.type in TYPE_WORDS:
        out.append(
            f"CASE WHEN {t} IS NOT NULL AND {value} IS NULL THEN "
            f"'{name}: ' || {shown(col)} || ' is not {TYPE_WORDS[col.type]}' END"
        )
    if col.type == "money":
        out.append(f"CASE WHEN {value} < 0 THEN '{name}: ' || {shown(col)} || ' is negative' END")
    if col.type == "int_pos":
        out.append(f"CASE WHEN {value} < 1 THEN '{name}: ' || {shown(col)} || ' is less than 1' END")
    if col.type == "timestamp":
        out.append(
            f"CASE WHEN {value} > $future_limit THEN "
            f"'{name}: ' || {shown(col)} || ' is more than 1 day in the future' END"
        )
    return out


def row_rules(kind: Kind) -> list[str]:
    """Rules across columns. They read typed values (`v_*`) and raw presence."""
    if kind.name == "messages":
        cat, status = kind.column("category"), kind.column("status")
        return [
            (
                f"CASE WHEN v_direction = 'outbound' AND {trimmed(cat)} IS NULL "
                "THEN 'category is required for outbound messages' END"
            ),
            (
                f"CASE WHEN v_direction = 'inbound' AND {trimmed(cat)} IS NOT NULL "
                "THEN 'category must be empty for inbound messages' END"
            ),
            (
                f"CASE WHEN v_direction = 'outbound' AND {trimmed(status)} IS NULL "
                "THEN 'status is required for outbound messages' END"
            ),
            (
                f"CASE WHEN v_direction = 'inbound' AND {trimmed(status)} IS NOT NULL "
                "THEN 'status must be empty for inbound messages' END"
            ),
        ]
    if kind.name == "ad_campaigns":
        return [
            (
                "CASE WHEN v_ends_on < v_starts_on THEN "
                "'ends_on ' || v_ends_on || ' is before starts_on ' || v_starts_on END"
            )
        ]
    return []


def valid_expr(kind: Kind) -> str:
    """A cheap boolean that is true exactly when every reason below is NULL: most rows are valid,
    so the reason strings are only built for the others."""
    checks = []
    for c in kind.columns:
        t, v = trimmed(c), q("v_" + c.name)
        if c.required:
            checks.append(f"{t} IS NOT NULL")
        if c.type == "id":
            checks.append(f"coalesce(length({t}) <= {MAX_ID_LENGTH}, true)")
        elif c.type in TYPE_WORDS or c.type == "enum":
            checks.append(f"({t} IS NULL OR {v} IS NOT NULL)")
        if c.type == "money" or c.type == "int_pos":
            checks.append(f"coalesce({v} >= {0 if c.type == 'money' else 1}, true)")
        if c.type == "timestamp":
            checks.append(f"coalesce({v} <= $future_limit, true)")
    checks.extend(f"({rule}) IS NULL" for rule in row_rules(kind))
    return " AND ".join(checks)


@dataclass(frozen=True)
class ValidationSQL:
    trimmed: str  # SELECT list producing t_<col>: the raw value trimmed, NULL when empty
    typed: str  # SELECT list producing v_<col> for each column (reads t_<col>)
    reasons: str  # the reasons joined by REASON_SEP, '' when valid (reads t_ and v_)
    params: dict


def validation_sql(kind: Kind) -> ValidationSQL:
    trimmed_list = ",\n    ".join(f"{trim_expr(c)} AS {q('t_' + c.name)}" for c in kind.columns)
    typed = ",\n    ".join(f"{typed_expr(c)} AS {q('v_' + c.name)}" for c in kind.columns)
    parts: list[str] = []
    for c in kind.columns:
        parts.extend(reason_exprs(c, q("v_" + c.name)))
    parts.extend(row_rules(kind))
    reasons = f"CASE WHEN {valid_expr(kind)} THEN '' ELSE concat_ws(chr(31), {', '.join(parts)}) END"
    params: dict = {}
    for c in kind.columns:
        if c.type == "enum":
            params[enum_param(c)] = list(c.values)
        if c.type == "country":
            params["countries"] = list(COUNTRY_CODES)
    return ValidationSQL(trimmed_list, typed, reasons, params)


def validate_values(kind: Kind, rows: list[dict[str, str | None]], future_limit=None) -> list[tuple[dict, list[str]]]:
    """Validate raw text values without loading them: (typed values, reasons) per row.

    Runs the very SQL the loader runs, on an in-memory DuckDB; used for dry runs and tests.
    """
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        cols = ", ".join(f"{q('raw_' + c.name)} VARCHAR" for c in kind.columns)
        con.execute(f"CREATE TABLE src (rec BIGINT, {cols})")
        for i, row in enumerate(rows, 1):
            con.execute(
                f"INSERT INTO src VALUES (?, {', '.join('?' for _ in kind.columns)})",
                [i, *[row.get(c.name) for c in kind.columns]],
            )
        v = validation_sql(kind)
        params = dict(v.params)
        if any(c.type == "timestamp" for c in kind.columns):
            params["future_limit"] = future_limit or (datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1))
        names = [c.name for c in kind.columns]
        out = con.execute(
            f"""
            WITH trimmed AS (SELECT *, {v.trimmed} FROM src),
                 cast_ AS (SELECT *, {v.typed} FROM trimmed),
                 checked AS (SELECT *, {v.reasons} AS reasons FROM cast_)
            SELECT {", ".join(q("v_" + n) for n in names)}, reasons FROM checked ORDER BY rec
            """,
            params,
        ).fetchall()
    finally:
        con.close()
    return [(dict(zip(names, r[:-1])), [x for x in r[-1].split(REASON_SEP) if x]) for r in out]
