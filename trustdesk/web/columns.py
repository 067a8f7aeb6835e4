"""Column configurations: how a column of the read side's frames is labelled and formatted.

A column that several pages show (a case, a business, who claimed it) is defined once here, so it
reads the same on every page; a page picks the set of its table.
"""

from __future__ import annotations

from urllib.parse import quote

import polars as pl
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


def with_link(frame: pl.DataFrame, column: str, page: str, param: str, into: str) -> pl.DataFrame:
    """`frame` with `into`: a link to the page whose URL path is `page`, opening `column`'s value as
    `?param=value` (relative, so it works under any base path); empty where the value is."""
    values = frame[column] if column in frame.columns else pl.Series(column, [None] * frame.height, pl.String)
    links = [None if v is None else f"{page}?{param}={quote(str(v), safe='')}" for v in values.to_list()]
    return frame.with_columns(pl.Series(into, links, dtype=pl.String))


def link_col(label: str, param: str, help: str | None = None, **kw):
    """A link built by `with_link`, showing the value it opens (`?param=value`)."""
    return cc.LinkColumn(label, display_text=rf"{param}=(.*)", help=help, **kw)


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
    "overdue": text_col("Overdue", help="Past its service target (Settings): claim, decision or appeal"),
    "status": text_col("Case status"),
    "queue": text_col("Queue"),
    **CLAIMED,
    "reasons": long_text("Reasons"),
    "campaign_link": link_col(
        "Campaign", "campaign", help="Part of a coordinated campaign: open it to decide its accounts together"
    ),
    **SNOOZED,
    "on_hold": text_col("On hold", help="Why, and who put it on hold; Next case skips it until resumed"),
    **CASE,
    **BUSINESS,
    "suggested_policy": text_col("Likely policy", help="From the reports' leading reason; the moderator decides"),
    "country": text_col("Market"),
    "category": text_col("Category"),
    "first_flagged": cc.DateColumn("First flagged"),
    "peak_day": cc.DateColumn("Riskiest day"),
    "reached_users": int_col("Reached users (window)"),
}

OTHER_CASES = {
    **CASE,
    **BUSINESS,
    "overdue": text_col("Overdue"),
    "queue": text_col("Queue"),
    "status": text_col("Case status"),
    **CLAIMED,
    **SNOOZED,
    "on_hold": text_col("On hold"),
    "opened_at": text_col("Opened (UTC)"),
    "case_risk_score": dec_col("Risk score when flagged", digits=1),
    "case_reasons": long_text("Reasons when flagged"),
}

CAMPAIGN_LIST = {
    "campaign_link": link_col("Campaign", "campaign", help="Open the campaign"),
    "max_risk_score": cc.ProgressColumn(
        "Highest risk score", min_value=0, max_value=100, format="%.1f", help="Of its accounts in the review queue"
    ),
    "accounts": int_col("Accounts"),
    "flagged": int_col("In the queue", help="Its accounts flagged now, in any queue"),
    "template": text_col("Shared template", help="The template most of the links between its accounts rest on"),
    "shared_share": pct_col("Shared recipients", help="Of its recipients, those two or more of its accounts reached"),
    "recipients": int_col("Recipients"),
    "campaign_surprise": dec_col(
        "Pooled feedback (z)", help="Standard deviations its accounts' pooled reports and blocks lie above their peers'"
    ),
    "report_rate": dec_col("Reports per 1,000 messages", help="Pooled over its accounts and the campaign's days"),
    "block_rate": pct_col("Blocks per reached user", help="Pooled over its accounts and the campaign's days"),
    "created_from": date_col("Oldest account created"),
    "created_to": date_col("Newest account created"),
    "created_days": int_col("Days between"),
    "categories": text_col("Categories"),
}

CAMPAIGN_ACCOUNTS = {
    "business_link": link_col("Business", "business", help="Open its business page"),
    "name": text_col("Business name"),
    "category": text_col("Category"),
    "created_on": date_col("Created"),
    "flagged": cc.CheckboxColumn("In the queue", help="Flagged now (a decided account leaves the queue)"),
    "risk_score": cc.ProgressColumn("Risk score", min_value=0, max_value=100, format="%.1f"),
    "case_status": text_col("Case status"),
    "decision": text_col("Decision"),
    **CASE,
    "queue": text_col("Queue"),
    **CLAIMED,
    "reasons": long_text("Reasons"),
    "report_rate": dec_col("Reports per 1,000 messages", help="Over the window its flag was judged on"),
    "block_rate": pct_col("Block rate", help="Blocking users per reached user, over the flag's window"),
    "reached_users": int_col("Reached users (window)"),
    "window_from": date_col("Flag window from"),
    "window_to": date_col("Flag window to"),
    "messages": int_col("Messages (campaign's days)"),
    "reports": int_col("Reports (campaign's days)"),
    "blocks": int_col("Blocks (campaign's days)"),
}

CAMPAIGN_OUTCOME = {**BUSINESS, "outcome": long_text("Outcome")}

AUDIT_LOG = {
    "id": id_col("Entry"),
    "at": text_col("At (UTC)"),
    "actor": text_col("Who"),
    **CASE,
    **BUSINESS,
    "event": text_col("Event"),
    "detail": long_text("Detail"),
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
    "queue": "Queue",
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
    "override_reason": long_text("Why not the ladder's step"),
    "strike_expires_at": "Strike until (UTC)",
    "flagged_on": "Flagged on",
}

STRIKES = {
    "decision_id": id_col("Decision"),
    **CASE,
    "action": "Decision",
    "policy": "Policy",
    "decided_at": "Decided (UTC)",
    "strike_expires_at": "Strike until (UTC)",
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

# --------------------------------------------------------------------------- service times


def hours_col(label: str, help: str | None = None, **kw):
    return dec_col(label, help=help, digits=1, **kw)


def overdue_col(phrases: list[str], label: str = "Overdue", width: str = "medium", **kw):
    """The overdue phrase of a case ("claim overdue by 3.5 h", from trustdesk.moderation.service) as a
    red label, empty when on time. Read-only Streamlit tables colour a value only when it is one of
    the column's options, so the caller passes the phrases it shows (a plain text column, a pandas
    Styler, is not available for polars frames)."""
    return cc.MultiselectColumn(
        label,
        options=list(phrases),
        color="red",
        help="Past its target in the settings: a claim, a decision, or an appeal's decision",
        width=width,
        **kw,
    )


SERVICE_TIMES = {
    "measure": text_col("Measure"),
    "target_h": hours_col("Target (hours)", help="From the settings"),
    "cases": int_col("Cases measured", help="Cases whose time has ended: claimed, decided, or their appeal decided"),
    "median_h": hours_col("Median (hours)"),
    "p90_h": hours_col("90th percentile (hours)"),
    "over_target": int_col("Over the target", help="Of the cases measured, how many took longer than the target"),
    "overdue": int_col("Overdue now", help="Cases still waiting past this target"),
}

SERVICE_WAITING = {
    **CASE,
    **BUSINESS,
    "queue": text_col("Queue"),
    "status": text_col("Status"),
    **CLAIMED,
    "held_by": text_col("On hold by"),
    "hold_reason": text_col("Hold reason"),
    "waiting_since": moment_col("Waiting since (UTC)", help="Since the case opened; an appeal, since it arrived"),
    "waiting_h": hours_col("Waiting (hours)"),
    "state": None,  # the chart's colour; the overdue label says it in the table
}

SERVICE_BY_MODERATOR = {
    "moderator": text_col("Moderator"),
    "decisions": int_col("Decisions"),
    "overturned": int_col("Overturned on appeal"),
    "median_decision_h": hours_col("Median time to decision (h)", help="Of the cases they decided"),
    "p90_decision_h": hours_col("90th percentile (h)", help="Of the cases they decided"),
    "first_claims": int_col("First claims"),
    "median_claim_h": hours_col("Median time to first claim (h)", help="Of the cases they claimed first"),
    "appeals_decided": int_col("Appeals decided"),
    "median_appeal_h": hours_col("Median appeal turnaround (h)", help="Of the appeals they decided"),
}

SERVICE_BY_QUEUE = {
    "queue": text_col("Queue"),
    "waiting": int_col("Waiting"),
    "overdue": int_col("Overdue"),
    "claim_overdue": int_col("Claim overdue"),
    "decision_overdue": int_col("Decision overdue"),
    "appeal_overdue": int_col("Appeal overdue"),
    "on_hold": int_col("On hold", help="Not counted as overdue while held"),
    "first_claims": int_col("First claims"),
    "median_claim_h": hours_col("Median time to first claim (h)"),
    "decisions": int_col("Decisions", help="Taken in this queue"),
    "median_decision_h": hours_col("Median time to decision (h)"),
    "p90_decision_h": hours_col("90th percentile (h)"),
    "appeals_decided": int_col("Appeals decided"),
    "median_appeal_h": hours_col("Median appeal turnaround (h)"),
}

SERVICE_CASES = {
    **CASE,
    **BUSINESS,
    "queue": text_col("Queue"),
    "status": text_col("Status"),
    "opened_at": moment_col("Opened (UTC)"),
    "first_claimed_by": text_col("First claimed by"),
    "time_to_first_claim_h": hours_col("Time to first claim (h)"),
    "decided_by": text_col("Decided by"),
    "time_to_decision_h": hours_col("Time to decision (h)"),
    "appeal_decided_by": text_col("Appeal decided by"),
    "appeal_turnaround_h": hours_col("Appeal turnaround (h)"),
    "overturned": cc.CheckboxColumn("Overturned on appeal"),
    "held": cc.CheckboxColumn("On hold"),
    "decision_queue": None,
    "appeal_queue": None,
    "overdue_kind": None,
}


# --------------------------------------------------------------------------- transparency report

TRANSPARENCY_ACTIONS = {
    "month": cc.DateColumn("Month", format="MMM YYYY"),
    "policy_label": text_col("Policy"),
    "action_words": text_col("Action"),
    "decisions": int_col("Decisions"),
    "overturned": int_col("Overturned on appeal"),
}

TRANSPARENCY_MONTHLY = {
    "month": cc.DateColumn("Month", format="MMM YYYY"),
    "decisions": int_col("Decisions"),
    "actioned": int_col("Took an action"),
    "automatic": int_col("Detected automatically"),
    "automatic_share": cc.NumberColumn("Share detected automatically", format="percent"),
    "median_hours": dec_col("Median hours to decision", digits=1),
    "appeals_received": int_col("Appeals received"),
    "appeals_decided": int_col("Appeals decided"),
    "overturned": int_col("Overturned"),
}
