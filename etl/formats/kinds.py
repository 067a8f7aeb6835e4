"""Kinds that the foreign formats carry and log format v1 does not (yet): specs in the shape of
`etl.contract.Kind`, so that the contract can take them over as they are.

- `platform_events`: what the platform said about a business (quality ratings, messaging limits,
  violations, restrictions, bans, template status), from WhatsApp webhooks.
- `billed_pricing`: what Meta billed, per period x country x pricing category x pricing type,
  from the `pricing_analytics` edge. A dimension: Meta revises recent periods, and a later fetch of
  the same period replaces the earlier one instead of conflicting with it.
- `message_statuses`: every status a webhook reported for an outbound message, once per message and
  status. Events: a later archive that carries `read` for a message loaded as `delivered` adds a row
  here instead of conflicting with the loaded message.

`EXTRA_COLUMNS` names the columns each reader writes after a kind's own (v1 loaders ignore columns
they do not know, and the load summary names them); every written file ends with `source_place`.
"""

from __future__ import annotations

from etl.contract import KINDS, Column, Kind

PLATFORM_EVENT_SCOPES = ("account", "phone_number", "template")
GRANULARITIES = ("half_hour", "daily", "monthly")
PRICING_TYPES = ("regular", "free_customer_service", "free_entry_point")
STATUS_EVENTS = ("sent", "delivered", "read", "failed")


def _c(name, type_, required=False, values=()):
    return Column(name, type_, required, tuple(values))


PLATFORM_EVENTS = Kind(
    "platform_events", "event_id", "occurred_at",
    (
        _c("event_id", "id", True),
        _c("occurred_at", "timestamp", True),
        _c("business_id", "id", True),
        # Meta adds event names over time; a closed list would refuse the next one. Lower case,
        # e.g. phone_number_flagged, template_quality_changed, account_violation (docs/formats).
        _c("event", "text", True),
        _c("account_id", "id"),
        _c("scope", "enum", False, PLATFORM_EVENT_SCOPES),
        _c("subject", "text"),
        _c("old_value", "text"),
        _c("new_value", "text"),
        _c("detail", "text"),
    ),
)

BILLED_PRICING = Kind(
    "billed_pricing", "billed_id", "period_start",
    (
        _c("billed_id", "id", True),
        _c("period_start", "timestamp", True),
        _c("period_end", "timestamp", True),
        _c("granularity", "enum", True, GRANULARITIES),
        _c("volume", "int_pos", True),
        _c("account_id", "id"),
        _c("country", "country"),
        _c("pricing_category", "text"),
        _c("category", "enum", False, ("marketing", "utility", "authentication", "service")),
        _c("pricing_type", "text"),
        _c("phone_number", "text"),
        _c("tier", "text"),
        _c("cost", "money"),
        _c("currency", "text"),
    ),
    is_dimension=True,
)

MESSAGE_STATUSES = Kind(
    "message_statuses", "status_id", "occurred_at",
    (
        _c("status_id", "id", True),
        _c("message_id", "id", True),
        _c("occurred_at", "timestamp", True),
        _c("business_id", "id", True),
        _c("user_id", "id", True),
        _c("status", "enum", True, STATUS_EVENTS),
        _c("pricing_category", "text"),
        _c("pricing_type", "text"),
        _c("billable", "bool"),
        _c("error_codes", "text"),
        _c("error_titles", "text"),
    ),
)

EXTRA_KINDS: dict[str, Kind] = {k.name: k for k in (PLATFORM_EVENTS, BILLED_PRICING, MESSAGE_STATUSES)}


def kind(name: str) -> Kind:
    """A v1 kind or one of the extra kinds above."""
    return KINDS[name] if name in KINDS else EXTRA_KINDS[name]


# Columns written after a kind's own, per kind (all readers write the same set for a kind, so that
# every file of a kind has one header).
EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "messages": (
        "account_id", "message_type", "channel", "reply_to", "pricing_category", "pricing_type",
        "pricing_model", "billable", "statuses_seen", "error_codes", "error_titles", "segments",
        "price_usd", "price", "price_unit",
    ),
    "businesses": ("account_id", "display_phone_number"),
    "opt_outs": ("account_id",),
    "platform_events": (),
    "billed_pricing": (),
    "message_statuses": ("account_id",),
}
SOURCE_PLACE = "source_place"


def header(kind_name: str) -> tuple[str, ...]:
    return kind(kind_name).names + EXTRA_COLUMNS.get(kind_name, ()) + (SOURCE_PLACE,)
