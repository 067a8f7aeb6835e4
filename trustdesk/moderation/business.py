"""The read side of the business page: one business's file, activity, feedback, ads and revenue.

Each query is a model `trustdesk/warehouse/sql/business_*.sql` run with bound parameters ($business_id,
$date_from, ...). The reported messages' texts and the reporting users are personal data: only a
moderator reads them (`reported_messages` checks the role itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import polars as pl

from etl.settings import Settings
from trustdesk.accounts.auth import Principal, mask_users, require
from trustdesk.analytics.metrics import Period, quality_thresholds
from trustdesk.warehouse import Warehouse, has_table, run

TOP_TEMPLATES = 10
REPORTED_LIMIT = 200
REVENUE_DAYS = 30
UNKNOWN = "unknown business: no file has defined it yet"


@dataclass(frozen=True)
class Revenue:
    date_from: date
    date_to: date
    billable_messages: int
    messaging_revenue_usd: Decimal
    ad_spend_usd: Decimal

    @property
    def total_usd(self) -> Decimal:
        return self.messaging_revenue_usd + self.ad_spend_usd


@dataclass
class BusinessView:
    business_id: str
    profile: dict | None  # None: the data never names this business
    period: Period
    days: pl.DataFrame  # one row per day of the period: activity and the quality rating
    reasons: pl.DataFrame  # kind, reason, events, users
    templates: pl.DataFrame  # template, reports, main_reason
    campaigns: pl.DataFrame
    revenue: Revenue
    thresholds: tuple[int, float, float]  # min reached users, MEDIUM from, LOW from

    @property
    def exists(self) -> bool:
        return self.profile is not None

    @property
    def known(self) -> bool:
        return bool(self.profile and self.profile["known"])

    @property
    def name(self) -> str:
        if not self.profile or not self.profile["known"]:
            return UNKNOWN
        return self.profile["name"] or ""

    def profile_rows(self) -> pl.DataFrame:
        """The business's file as (field, value) text rows: names are shown as characters."""
        p = self.profile or {}
        known = bool(p.get("known"))

        def text(value) -> str:
            return "–" if value is None else str(value)

        rows = [
            ("Business", self.business_id),
            ("Name", self.name),
            ("Category", text(p.get("category")) if known else "–"),
            ("Country", text(p.get("country"))),
            ("Employees", "–" if p.get("employees") is None else f"{p['employees']:,}"),
            ("Verified", "–" if p.get("verified") is None else ("yes" if p["verified"] else "no")),
            ("Created", "–" if p.get("created_at") is None else f"{p['created_at']:%Y-%m-%d}"),
            ("Active in the data", "–" if p.get("first_day") is None else f"{p['first_day']} to {p['last_day']}"),
            ("Messages sent (all data)", f"{p.get('outbound') or 0:,}"),
            ("Reports (all data)", f"{p.get('reports') or 0:,}"),
            ("Blocks (all data)", f"{p.get('blocks') or 0:,}"),
        ]
        return pl.DataFrame(rows, schema={"field": pl.String, "value": pl.String}, orient="row")


def profile(wh: Warehouse, business_id: str) -> dict | None:
    rows = run(wh, "business_profile", business_id=business_id)
    return rows.row(0, named=True) if rows.height else None


def revenue(wh: Warehouse, business_id: str, last_day: date, days: int = REVENUE_DAYS) -> Revenue:
    """Messaging revenue and ad spend of the `days` days ending on `last_day`."""
    first = last_day - timedelta(days=days - 1)
    row = run(wh, "business_revenue", business_id=business_id, date_from=first, date_to=last_day).row(0, named=True)
    return Revenue(
        first,
        last_day,
        int(row["billable_messages"]),
        _money(row["messaging_revenue_usd"]),
        _money(row["ad_spend_usd"]),
    )


def _money(value) -> Decimal:
    """Money as the marts hold it (DECIMAL), exact; a DOUBLE from an older store by its shortest text."""
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(repr(float(value)))


def view(wh: Warehouse, business_id: str, period: Period, settings: Settings | None = None) -> BusinessView:
    """Everything the business page draws about one business except its cases and reported texts."""
    settings = settings or Settings.load(wh.root)
    span = {"business_id": business_id, "date_from": period.date_from, "date_to": period.date_to}
    last = wh.date_range()[1] or period.date_to
    return BusinessView(
        business_id=business_id,
        profile=profile(wh, business_id),
        period=period,
        days=run(wh, "business_days", span, **quality_thresholds(settings)),
        reasons=run(wh, "business_feedback_reasons", **span),
        templates=run(wh, "business_reported_templates", **span, top=TOP_TEMPLATES),
        campaigns=run(wh, "business_campaigns", **span),
        revenue=revenue(wh, business_id, last),
        thresholds=(settings.quality_min_reached, settings.quality_medium_from, settings.quality_low_from),
    )


@dataclass
class BusinessFile:
    """Everything the business page draws from the warehouse about one business."""

    view: BusinessView
    platform_events: pl.DataFrame  # see `platform_events`
    as_of: date | None  # the last day in the data: a decision is recorded as of it

    @property
    def exists(self) -> bool:
        return self.view.exists

    @property
    def quiet(self) -> bool:
        """Nothing sent and no feedback in the period: no activity to chart."""
        days = self.view.days
        return (
            days["messages_sent"].sum() == 0
            and days["reports"].sum() + days["blocks"].sum() + days["opt_outs"].sum() == 0
        )

    @property
    def reports(self) -> int:
        """Reports about the business in the period (each has a reported message to reveal)."""
        return int(self.view.days["reports"].sum())


def business_file(wh: Warehouse, business_id: str, period: Period, settings: Settings | None = None) -> BusinessFile:
    """The business's view over `period`, what the platform said about it, and the data's last day."""
    return BusinessFile(view(wh, business_id, period, settings), platform_events(wh, business_id), wh.date_range()[1])


PLATFORM_EVENTS_LIMIT = 200
PLATFORM_SIGNAL_DAYS = 30


def platform_events(wh: Warehouse, business_id: str, limit: int = PLATFORM_EVENTS_LIMIT) -> pl.DataFrame:
    """What the platform said about the business (webhook quality, limit, violation, restriction,
    ban and template events), newest first: day, occurred_at, event, scope, subject, change
    ("old -> new"), old_value, new_value, detail. Empty when no such event was loaded."""
    if not has_table(wh, "platform_events"):
        return pl.DataFrame(schema={c: pl.String for c in ("day", "event", "change", "detail")})
    return run(wh, "business_platform_events", business_id=business_id, limit=limit)


def platform_signals(wh: Warehouse, as_of: date, days: int = PLATFORM_SIGNAL_DAYS) -> pl.DataFrame:
    """Per business, the platform events of the `days` days up to `as_of`, for the review queue:
    business_id, platform_events, last_event_at, last_event, reason (one sentence to show)."""
    if not has_table(wh, "platform_events"):
        return pl.DataFrame(
            schema={
                "business_id": pl.String,
                "platform_events": pl.Int64,
                "last_event": pl.String,
                "violation": pl.Boolean,
                "reason": pl.String,
            }
        )
    return run(wh, "platform_signals", as_of=as_of, days=days)


def reported_messages(
    wh: Warehouse, viewer: Principal, business_id: str, period: Period, limit: int = REPORTED_LIMIT
) -> pl.DataFrame:
    """The reported messages' texts, newest first: personal data, for moderators only."""
    require(viewer, "moderator", "read reported messages")
    rows = run(
        wh,
        "business_reported_messages",
        business_id=business_id,
        date_from=period.date_from,
        date_to=period.date_to,
        limit=limit,
    )
    return mask_users(rows, viewer, wh.root)
