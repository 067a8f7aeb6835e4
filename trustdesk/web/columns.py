"""Column configurations: how a column of the read side's frames is labelled and formatted.

A column that several pages show (a case, a business, who claimed it) is defined once here, so it
reads the same on every page; a page picks the set of its table.
"""

from __future__ import annotations

import streamlit as st

cc = st.column_config
DAY = "DD MMM YYYY"  # every table's days
WHEN = "DD MMM YYYY HH:mm"  # every table's moments, in UTC


def date_col(label: str, help: str | None = None, **kw):
    return cc.DateColumn(label, format=DAY, help=help, **kw)


def moment_col(label: str, help: str | None = None, **kw):
    return cc.DatetimeColumn(label, format=WHEN, help=help, **kw)


def int_col(label: str, help: str | None = None, **kw):
    return cc.NumberColumn(label, format="localized", help=help, **kw)


def id_col(label: str, help: str | None = None, **kw):
    """A number that names something (a case, a load): no thousands separator."""
    return cc.NumberColumn(label, format="%d", help=help, **kw)


def pct_col(label: str, help: str | None = None, **kw):
    return cc.NumberColumn(label, format="percent", help=help, **kw)


def usd_col(label: str, help: str | None = None, **kw):
    return cc.NumberColumn(label, format="dollar", help=help, **kw)


def dec_col(label: str, help: str | None = None, digits: int = 2, **kw):
    return cc.NumberColumn(label, format=f"%.{digits}f", help=help, **kw)


def text_col(label: str, help: str | None = None, **kw):
    return cc.TextColumn(label, help=help, **kw)


def long_text(label: str):
    return cc.TextColumn(label, width="large")


# --------------------------------------------------------------------------- moderation

CASE = {"case_id": id_col("Case")}
BUSINESS = {"business_id": text_col("Business")}
CLAIMED = {"claimed_by": text_col("Claimed by")}
SNOOZED = {"snoozed_until": text_col("Snoozed until (UTC)")}

REVIEW_QUEUE = {
    "rank": id_col("Rank"),
    "name": text_col("Business name", pinned=True),
    "risk_score": cc.ProgressColumn("Risk score", min_value=0, max_value=100, format="%.1f"),
    "rating": text_col("Quality rating", help="Over the 7 days up to the last day in the data"),
    "status": text_col("Case status"),
    **CLAIMED,
    "reasons": long_text("Reasons"),
    **SNOOZED,
    **CASE,
    **BUSINESS,
    "category": text_col("Category"),
    "first_flagged": cc.DateColumn("First flagged"),
    "peak_day": cc.DateColumn("Riskiest day"),
    "reached_users": int_col("Reached users (window)"),
}

OTHER_CASES = {
    **CASE,
    **BUSINESS,
    "status": text_col("Case status"),
    **CLAIMED,
    **SNOOZED,
    "opened_at": text_col("Opened (UTC)"),
    "case_risk_score": dec_col("Risk score when flagged", digits=1),
    "case_reasons": long_text("Reasons when flagged"),
}

AUDIT_LOG = {
    "id": id_col("Entry"),
    "at": text_col("At (UTC)"),
    "actor": text_col("Who"),
    **CASE,
    **BUSINESS,
    "event": text_col("Event"),
    "detail": long_text("Detail"),
}

DECISIONS_BY_MODERATOR = {
    "decided_by": text_col("Moderator"),
    "decisions": int_col("Decisions"),
    "overturned": int_col("Overturned on appeal"),
}

CASES_WAITING = {
    **CASE,
    **BUSINESS,
    "status": text_col("Status"),
    "risk_score": dec_col("Risk score", digits=1),
    **CLAIMED,
    "age_hours": dec_col("Waiting for (hours)", digits=1),
}

# --------------------------------------------------------------------------- the business page

PROFILE = {"field": text_col("Field"), "value": text_col("Value")}

PLATFORM_EVENTS = {
    "day": cc.DateColumn("Date"),
    "event": text_col("Event"),
    "subject": text_col("About"),
    "change": text_col("Old -> new"),
    "detail": long_text("Detail"),
}

BUSINESS_DAYS = {
    "day": cc.DateColumn("Day"),
    "messages_sent": int_col("Messages sent"),
    "messages_ok": int_col("Not failed"),
    "reports": int_col("Reports"),
    "blocks": int_col("Blocks"),
    "opt_outs": int_col("Marketing opt-outs"),
    "reached_7d": int_col("Reached users (7 days)"),
    "negative_7d": int_col("Negative users (7 days)"),
    "negative_rate_7d": pct_col("Negative rate (7 days)"),
    "rating": text_col("Rating"),
}

FEEDBACK_REASONS = {
    "kind": text_col("Kind"),
    "reason": text_col("Reason"),
    "events": int_col("Events"),
    "users": int_col("Distinct users"),
}

REPORTED_TEMPLATES = {
    "template": text_col("Template"),
    "reports": int_col("Reports"),
    "main_reason": text_col("Main reason"),
}

REPORTED_MESSAGES = {
    "reported_at": moment_col("Reported (UTC)"),
    "reason": text_col("Reason"),
    "template": text_col("Template"),
    "text": long_text("Text"),
    "category": text_col("Category"),
    "sent_at": moment_col("Sent (UTC)"),
    "user_id": text_col("User"),
    "message_id": text_col("Message"),
    "report_id": text_col("Report"),
}

CAMPAIGNS = {
    "campaign_id": text_col("Campaign"),
    "name": text_col("Name"),
    "objective": text_col("Objective"),
    "starts_on": cc.DateColumn("Starts"),
    "ends_on": cc.DateColumn("Ends"),
    "budget_usd": usd_col("Budget"),
    "countries": text_col("Countries"),
    "impressions": int_col("Impressions"),
    "reach": int_col("Reach"),
    "clicks": int_col("Clicks"),
    "replies": int_col("Replies"),
    "spend_usd": usd_col("Spend"),
    "ctr": pct_col("CTR"),
}

CASE_HISTORY = {
    "id": id_col("Case"),
    "status": "Status",
    "flagged_on": "First flagged",
    "opened_at": "Opened (UTC)",
    "claimed_by": "Claimed or decided by",
    "decided_at": "Decided (UTC)",
    "risk_score": dec_col("Risk score", digits=1),
    "reasons": long_text("Reasons"),
}

DECISIONS = {
    **CASE,
    "kind": "Kind",
    "action": "Decision",
    "policy": "Policy",
    "rationale": long_text("Rationale"),
    "decided_by": "By",
    "decided_at": "At (UTC)",
    "overturned": cc.CheckboxColumn("Overturned on appeal"),
    "flagged_on": "Flagged on",
}

NOTES = {**CASE, "author": "By", "at": "At (UTC)", "text": long_text("Note")}

# --------------------------------------------------------------------------- loads and data quality

# A load's counts, as the Upload page's last load and the Load history show them.
LOAD_COUNTS = {
    "rows_read": int_col("Rows read"),
    "loaded": int_col("Loaded"),
    "duplicates": int_col("Duplicates skipped"),
    "quarantined": int_col("Quarantined"),
    "load_id": id_col("Load"),
    "error": long_text("Why rejected"),
}

LOAD_HISTORY = {
    "load_id": id_col("Load"),
    "started_at": moment_col("Started (UTC)"),
    "loaded_by": text_col("By"),
    "file_name": text_col("File"),
    "kind": text_col("Kind"),
    "outcome": text_col("Outcome"),
    **{k: LOAD_COUNTS[k] for k in ("rows_read", "loaded", "duplicates", "quarantined")},
    "duration_s": dec_col("Seconds", digits=1),
    "already_loaded": text_col("Same file as"),
    "error": LOAD_COUNTS["error"],
    "top_reasons": long_text("Most common reasons"),
    "unknown_columns": cc.ListColumn("Unknown columns ignored"),
    "sha256": text_col("SHA-256"),
}

LOADED_ROWS = {"kind": text_col("Kind"), "loaded rows": int_col("Loaded rows")}

FLAGGED_DAYS = {
    "kind": text_col("Kind"),
    "day": date_col("Day"),
    "rows": int_col("Rows"),
    "median_rows": int_col("Median day's rows"),
    "flag": text_col("Flag"),
}

UNDEFINED = {
    "entity": text_col("What"),
    "id": text_col("Id"),
    "rows": int_col("Rows naming it"),
    "messages": int_col("Messages"),
    "reports": int_col("Reports"),
    "blocks": int_col("Blocks"),
    "opt_outs": int_col("Marketing opt-outs"),
    "ad_campaigns": int_col("Ad campaigns"),
    "ad_events": int_col("Ad events"),
    "first_day": date_col("First day"),
    "last_day": date_col("Last day"),
}

COUNTRIES_WITHOUT_MARKET = {
    "country": text_col("Country"),
    "messages": int_col("Messages"),
    "ad_events": int_col("Ad events"),
}

MARKETS_WITHOUT_PRICE = {
    "market": text_col("Market"),
    "category": text_col("Category"),
    "problem": text_col("Problem"),
    "countries": int_col("Countries"),
    "priced_from": date_col("First price from"),
    "unpriced_messages": int_col("Messages without a price"),
}
