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

from etl.contract import EXTRA_KINDS, KINDS, Kind

# The definitions live in the contract, which the loader reads; these names stay for the readers.
PLATFORM_EVENTS = EXTRA_KINDS["platform_events"]
BILLED_PRICING = EXTRA_KINDS["billed_pricing"]
MESSAGE_STATUSES = EXTRA_KINDS["message_statuses"]
PRICING_TYPES = ("regular", "free_customer_service", "free_entry_point")


def kind(name: str) -> Kind:
    """A v1 kind or one of the extra kinds above."""
    return KINDS[name] if name in KINDS else EXTRA_KINDS[name]


# Columns written after a kind's own, per kind (all readers write the same set for a kind, so that
# every file of a kind has one header).
EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {
    "messages": (
        "account_id",
        "message_type",
        "channel",
        "reply_to",
        "pricing_category",
        "pricing_type",
        "pricing_model",
        "billable",
        "statuses_seen",
        "error_codes",
        "error_titles",
        "segments",
        "price_usd",
        "price",
        "price_unit",
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
