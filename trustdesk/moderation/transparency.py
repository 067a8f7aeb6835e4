"""Transparency: every decision exported with the fields of the EU Digital Services Act's statement
of reasons, and the monthly report of what moderation did.

The export (moderator and above) has one row per first decision, however many there are: rows are
read from one cursor of the store a chunk at a time and written out as they come, as CSV (formula-safe,
the rule of trustdesk/data/export.py, which the caller passes in) or JSON lines. An appeal's outcome is a set of fields on the
decision it was about, not a row of its own: the DSA Transparency Database records the
restriction as it was imposed (Article 17); a reversal after an internal complaint (Article 20)
ends the restriction, so an overturned decision keeps its statement, with the day of the reversal
as the end date of each restriction, and is counted among the overturned appeals of the report.
docs/transparency.md maps every field, with the values the database's API allows.

The report (analyst and above) holds counts only, no business and no person: actions by policy and
month, the share detected automatically, the median time to a decision, appeals received and
overturned. Its SQL is in sql/transparency_*.sql, run with bound parameters, in words SQLite and
PostgreSQL both run; the medians are worked out here (_medians).
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path

import polars as pl

from trustdesk import appdb
from trustdesk.accounts.auth import Principal, require, utcnow
from trustdesk.moderation import audit, cases
from trustdesk.moderation.errors import ModerationError

EXPORTING = "export the moderation decisions"
# Rows fetched from the cursor at a time, and so the most the export holds in memory.
CHUNK = 1000
FORMATS = ("csv", "jsonl")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}

# ------------------------------------------------------------------ the statement of reasons' values
# As the DSA Transparency Database's API (v2) takes them; docs/transparency.md lists their labels.

DECISION_VISIBILITY = (
    "DECISION_VISIBILITY_CONTENT_REMOVED",
    "DECISION_VISIBILITY_CONTENT_DISABLED",
    "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_LABELLED",
    "DECISION_VISIBILITY_OTHER",
)
DECISION_MONETARY = ("DECISION_MONETARY_SUSPENSION", "DECISION_MONETARY_TERMINATION", "DECISION_MONETARY_OTHER")
DECISION_PROVISION = (
    "DECISION_PROVISION_PARTIAL_SUSPENSION",
    "DECISION_PROVISION_TOTAL_SUSPENSION",
    "DECISION_PROVISION_PARTIAL_TERMINATION",
    "DECISION_PROVISION_TOTAL_TERMINATION",
)
DECISION_ACCOUNT = ("DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED")
ACCOUNT_TYPE = ("ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE")
DECISION_GROUND = {"illegal": "DECISION_GROUND_ILLEGAL_CONTENT", "incompatible": "DECISION_GROUND_INCOMPATIBLE_CONTENT"}
CONTENT_TYPE = (
    "CONTENT_TYPE_APP",
    "CONTENT_TYPE_AUDIO",
    "CONTENT_TYPE_IMAGE",
    "CONTENT_TYPE_PRODUCT",
    "CONTENT_TYPE_SYNTHETIC_MEDIA",
    "CONTENT_TYPE_TEXT",
    "CONTENT_TYPE_VIDEO",
    "CONTENT_TYPE_OTHER",
)
SOURCE_TYPE = ("SOURCE_ARTICLE_16", "SOURCE_TRUSTED_FLAGGER", "SOURCE_TYPE_OTHER_NOTIFICATION", "SOURCE_VOLUNTARY")
AUTOMATED_DECISION = ("AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY", "AUTOMATED_DECISION_NOT_AUTOMATED")
YES_NO = ("Yes", "No")
# territorial_scope takes the EU's 27 member states and the other three EEA states (ISO 3166-1
# alpha-2; Greece is GR).
EU = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip
EEA = (*EU, "IS", "LI", "NO")


@dataclass(frozen=True)
class Restriction:
    """The restrictions of Article 17(1) DSA one of our actions imposes on the business."""

    visibility: tuple[str, ...] = ()
    monetary: str | None = None
    provision: str | None = None
    account: str | None = None


# dismiss and warn restrict nothing (a warning is a strike on the business's record, not one of
# the restrictions of Article 17(1)), so they need no statement of reasons. No action of ours
# touches payments: decision_monetary stays empty.
RESTRICTIONS = {
    # a lower messaging limit: part of the service, suspended
    "restrict": Restriction(provision="DECISION_PROVISION_PARTIAL_SUSPENSION"),
    # the business's message templates (information it provides) can no longer be sent
    "pause_templates": Restriction(visibility=("DECISION_VISIBILITY_CONTENT_DISABLED",)),
    "suspend": Restriction(provision="DECISION_PROVISION_TOTAL_SUSPENSION", account="DECISION_ACCOUNT_SUSPENDED"),
    "ban": Restriction(provision="DECISION_PROVISION_TOTAL_TERMINATION", account="DECISION_ACCOUNT_TERMINATED"),
}
# sor_status: whether the row is a statement of reasons to submit, and if not, why not.
STATEMENT, NO_RESTRICTION, OUTSIDE_EEA, MARKET_UNKNOWN = "statement", "no_restriction", "outside_eea", "market_unknown"

# Our columns first (ids, what we decided, what became of it), then the statement of reasons'.
OUR_COLUMNS = (
    "decision_id",
    "case_id",
    "business_id",
    "decided_at",
    "action",
    "policy",
    "policy_title",
    "market",
    "detected_by",
    "appealed_at",
    "appeal_outcome",
    "appeal_decided_at",
    "overturned",
    "sor_status",
)
DSA_COLUMNS = (
    "puid",
    "decision_visibility",
    "decision_visibility_other",
    "end_date_visibility_restriction",
    "decision_monetary",
    "decision_monetary_other",
    "end_date_monetary_restriction",
    "decision_provision",
    "end_date_service_restriction",
    "decision_account",
    "end_date_account_restriction",
    "account_type",
    "decision_ground",
    "decision_ground_reference_url",
    "illegal_content_legal_ground",
    "illegal_content_explanation",
    "incompatible_content_ground",
    "incompatible_content_explanation",
    "incompatible_content_illegal",
    "category",
    "category_addition",
    "category_specification",
    "category_specification_other",
    "content_type",
    "content_type_other",
    "content_language",
    "content_date",
    "territorial_scope",
    "application_date",
    "decision_facts",
    "source_type",
    "source_identity",
    "automated_detection",
    "automated_decision",
)
COLUMNS = OUR_COLUMNS + DSA_COLUMNS


@cache
def sql(name: str) -> str:
    """The query `sql/<name>.sql` shipped with this package."""
    return resources.files("trustdesk.moderation").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def _params(date_from: date | None, date_to: date | None) -> dict:
    """The bound range of a query: from the first day's start to the end of the last day (UTC)."""
    if date_from and date_to and date_to < date_from:
        raise ModerationError(f"the range ends ({date_to}) before it starts ({date_from})")
    return {
        "date_from": date_from.isoformat() if date_from else None,
        "date_until": (date_to + timedelta(days=1)).isoformat() if date_to else None,
    }


# ------------------------------------------------------------------ one decision, mapped


def territorial_scope(market: str | None) -> tuple[list[str] | None, str]:
    """(territorial_scope, sor_status) of a restriction on a business of `market` (ISO country code).

    A business reaches its customers in its market, so that is where the restriction takes effect.
    The statement's scope can only name EEA states: a market outside the EEA gives no statement
    (sor_status outside_eea) and an unknown market leaves the scope for a person to fill in."""
    if not market:
        return None, MARKET_UNKNOWN
    code = market.strip().upper()
    if code in EEA:
        return [code], STATEMENT
    return None, OUTSIDE_EEA


def _day(iso: str | None) -> str | None:
    return iso[:10] if iso else None


def statement(row: dict) -> dict:
    """One export row: our fields, then the statement of reasons' (None where not applicable)."""
    appeal = {"overturn": "overturned", "uphold": "upheld"}.get(row["appeal_action"])
    if appeal is None and row["appealed_at"]:
        appeal = "pending"
    ours = {
        "decision_id": row["decision_id"],
        "case_id": row["case_id"],
        "business_id": row["business_id"],
        "decided_at": row["decided_at"],
        "action": row["action"],
        "policy": row["policy"],
        "policy_title": row["policy_title"],
        "market": row["market"],
        "detected_by": row["detected_by"],
        "appealed_at": row["appealed_at"],
        "appeal_outcome": appeal,
        "appeal_decided_at": row["appeal_decided_at"] if appeal in ("overturned", "upheld") else None,
        "overturned": bool(row["overturned"]),
    }
    restriction = RESTRICTIONS.get(row["action"])
    if restriction is None:
        return {**ours, "sor_status": NO_RESTRICTION, **dict.fromkeys(DSA_COLUMNS)}
    scope, status = territorial_scope(row["market"])
    # A restriction an appeal overturned ended on the day of that decision; the others run until
    # lifted (an empty end date is "indefinite" to the database).
    ended = _day(row["appeal_decided_at"]) if row["overturned"] else None
    illegal = row["dsa_ground"] == "illegal"
    ground = f"TrustDesk policy '{row['policy']}': {row['policy_title']}" if row["policy_title"] else None
    return {
        **ours,
        "sor_status": status,
        "puid": f"trustdesk-decision-{row['decision_id']}",
        "decision_visibility": list(restriction.visibility) or None,
        "decision_visibility_other": None,
        "end_date_visibility_restriction": ended if restriction.visibility else None,
        "decision_monetary": restriction.monetary,
        "decision_monetary_other": None,
        "end_date_monetary_restriction": ended if restriction.monetary else None,
        "decision_provision": restriction.provision,
        "end_date_service_restriction": ended if restriction.provision else None,
        "decision_account": restriction.account,
        "end_date_account_restriction": ended if restriction.account else None,
        "account_type": "ACCOUNT_TYPE_BUSINESS",
        "decision_ground": DECISION_GROUND.get(row["dsa_ground"]),
        "decision_ground_reference_url": None,
        "illegal_content_legal_ground": row["legal_ground"] if illegal else None,
        "illegal_content_explanation": row["policy_description"] if illegal else None,
        "incompatible_content_ground": None if illegal else ground,
        "incompatible_content_explanation": None if illegal else row["policy_description"],
        "incompatible_content_illegal": None,
        "category": row["dsa_category"],
        "category_addition": None,
        "category_specification": None,
        "category_specification_other": None,
        # what a case is about: the messages and templates the business sent, all text
        "content_type": ["CONTENT_TYPE_TEXT"],
        "content_type_other": None,
        "content_language": None,
        "content_date": row["flagged_on"] or _day(row["opened_at"]),
        "territorial_scope": scope,
        "application_date": _day(row["decided_at"]),
        "decision_facts": row["rationale"],
        # opened by the risk score or by a moderator: the platform's own initiative either way
        "source_type": "SOURCE_VOLUNTARY",
        "source_identity": None,
        "automated_detection": "Yes" if row["detected_by"] == "risk score" else "No",
        # a moderator takes every decision; the risk score only opens the case
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
    }


# ------------------------------------------------------------------ the export


def export_rows(
    root: Path, who: Principal | None, date_from: date | None = None, date_to: date | None = None
) -> Iterator[dict]:
    """Every decision in the range as a dict of COLUMNS, oldest first. The role is checked now;
    the rows are read when iterated, CHUNK at a time, so memory stays bounded however many."""
    require(who, "moderator", EXPORTING)
    return _rows(root, _params(date_from, date_to))


def _rows(root: Path, params: dict) -> Iterator[dict]:
    con = appdb.connect(root)
    try:
        for chunk in appdb.chunks(con, sql("transparency_export"), params, CHUNK):
            for row in chunk:
                yield statement(dict(row))
    finally:
        con.close()


Safe = Callable[[str], str]


def _cell(value, safe: Safe) -> str | int | float:
    """A CSV cell that is not text or empty: lists as the JSON arrays the database's own CSV files
    hold (through `safe` like any text), booleans as true/false, numbers as they are."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return safe(json.dumps(value))
    return value


def csv_lines(rows: Iterator[dict], safe: Safe) -> Iterator[str]:
    """The rows as CSV text: the header, then one piece per CHUNK rows. `safe` makes a text cell
    formula-safe: the one rule of every TrustDesk CSV, `trustdesk.data.export.neutralise`, which
    the caller passes (the moderation layer does not import the data layer)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        # a row's keys are COLUMNS in order (statement); most cells are empty or text
        writer.writerow(["" if v is None else safe(v) if type(v) is str else _cell(v, safe) for v in row.values()])
        count += 1
        if count % CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def jsonl_lines(rows: Iterator[dict]) -> Iterator[str]:
    """The rows as JSON lines (one object per decision, lists as arrays), one piece per CHUNK rows."""
    piece: list[str] = []
    for row in rows:
        piece.append(json.dumps(row, ensure_ascii=False) + "\n")
        if len(piece) == CHUNK:
            yield "".join(piece)
            piece.clear()
    if piece:
        yield "".join(piece)


def export(
    root: Path,
    who: Principal | None,
    fmt: str,
    date_from: date | None = None,
    date_to: date | None = None,
    *,
    safe: Safe,
    clock=utcnow,
) -> Iterator[str]:
    """The export as text pieces to write or stream, in `fmt` (csv or jsonl); a CSV's text cells go
    through `safe` (pass `trustdesk.data.export.neutralise`). Refusals (role, format, range) are
    raised here, before the first piece; the export is written to the audit log."""
    if fmt not in FORMATS:
        raise ModerationError(f"unknown export format '{fmt}'; choose csv or jsonl")
    who = require(who, "moderator", EXPORTING)
    params = _params(date_from, date_to)
    span = f"{date_from or 'the first decision'} to {date_to or 'the last'}"
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            audit.record(
                con, clock().isoformat(timespec="seconds"), who.name, "decisions exported", detail=f"{fmt}, {span}"
            )
    finally:
        con.close()
    rows = _rows(root, params)
    return csv_lines(rows, safe) if fmt == "csv" else jsonl_lines(rows)


def file_name(fmt: str, date_from: date | None = None, date_to: date | None = None) -> str:
    span = "_".join(d.isoformat() for d in (date_from, date_to) if d) or "all"
    return f"trustdesk_decisions_{span}.{fmt}"


# ------------------------------------------------------------------ the report

ACTIONS_SCHEMA = {
    "month": pl.String,
    "policy": pl.String,
    "policy_title": pl.String,
    "action": pl.String,
    "decisions": pl.Int64,
    "overturned": pl.Int64,
}
MONTHLY_SCHEMA = {
    "month": pl.String,
    "decisions": pl.Int64,
    "actioned": pl.Int64,
    "automatic": pl.Int64,
    "automatic_share": pl.Float64,
    "median_hours": pl.Float64,
    "appeals_received": pl.Int64,
    "appeals_decided": pl.Int64,
    "overturned": pl.Int64,
}


# What transparency_monthly.sql gives: every measure but the median hours (_medians).
COUNTS_SCHEMA = {k: v for k, v in MONTHLY_SCHEMA.items() if k != "median_hours"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

NO_POLICY = "No policy (dismissed)"


@dataclass(frozen=True)
class Report:
    """What the transparency report page shows; counts only."""

    # by month, policy and action (ACTIONS_SCHEMA, action_words, policy_label); month as a date
    actions: pl.DataFrame
    monthly: pl.DataFrame  # by month (MONTHLY_SCHEMA); month as a date
    decisions: int
    actioned: int
    automatic: int
    automatic_share: float | None
    median_hours: float | None
    appeals_received: int
    appeals_decided: int
    overturned: int


def _frame(con, name: str, params: dict, schema: dict) -> pl.DataFrame:
    rows = [tuple(r) for r in con.execute(sql(name), params)]
    return pl.DataFrame(rows, schema=schema, orient="row")


def _seconds(iso: str) -> int:
    """Whole seconds since the epoch of a moment the store holds (offset applied; text without one
    is UTC), as SQLite's strftime('%s') counts them: a fraction of a second is dropped."""
    return (appdb.moment(iso) - EPOCH) // timedelta(seconds=1)


def _medians(con, params: dict) -> pl.DataFrame:
    """The median hours from a case's opening to its first decision, by month and for 'all': the
    middle value, or the mean of the two middle values. Worked out here, not in SQL, because the
    engines share no function that reads an ISO 8601 text as a moment."""
    hours: dict[str, list[float]] = {}
    for month, opened_at, decided_at in con.execute(sql("transparency_hours"), params):
        took = (_seconds(decided_at) - _seconds(opened_at)) / 3600.0
        hours.setdefault(month, []).append(took)
        hours.setdefault("all", []).append(took)
    rows = [(month, statistics.median(values)) for month, values in hours.items()]
    return pl.DataFrame(rows, schema={"month": pl.String, "median_hours": pl.Float64}, orient="row")


def _months(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns((pl.col("month") + "-01").str.to_date("%Y-%m-%d"))


def report(root: Path, who: Principal | None, date_from: date | None = None, date_to: date | None = None) -> Report:
    """The transparency report over the range (all time by default). Aggregates of decisions,
    naming no business or person: the analyst role may read it."""
    require(who, "analyst", "read the transparency report")
    params = _params(date_from, date_to)
    con = appdb.connect(root)
    try:
        actions = _frame(con, "transparency_actions", params, ACTIONS_SCHEMA)
        counts = _frame(con, "transparency_monthly", params, COUNTS_SCHEMA)
        medians = _medians(con, params)
    finally:
        con.close()
    # Sorted here, not in SQL, so both engines give one order: Polars compares text byte by byte
    # and puts the decisions without a policy (dismissals) first.
    actions = actions.sort("month", "policy", "action", nulls_last=False)
    monthly = (
        counts.join(medians, on="month", how="left").select(*MONTHLY_SCHEMA).sort(pl.col("month") == "all", "month")
    )
    whole = monthly.filter(pl.col("month") == "all")
    total = whole.row(0, named=True) if whole.height else dict.fromkeys(MONTHLY_SCHEMA, None)
    words = pl.col("action").replace_strict(cases.ACTION_WORDS, default=pl.col("action"), return_dtype=pl.String)
    label = pl.coalesce("policy_title", "policy", pl.lit(NO_POLICY))
    return Report(
        actions=_months(actions).with_columns(words.alias("action_words"), label.alias("policy_label")),
        monthly=_months(monthly.filter(pl.col("month") != "all")),
        decisions=total["decisions"] or 0,
        actioned=total["actioned"] or 0,
        automatic=total["automatic"] or 0,
        automatic_share=total["automatic_share"],
        median_hours=total["median_hours"],
        appeals_received=total["appeals_received"] or 0,
        appeals_decided=total["appeals_decided"] or 0,
        overturned=total["overturned"] or 0,
    )
