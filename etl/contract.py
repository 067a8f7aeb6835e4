"""Log export format v1 (`docs/log-format.md`) as data: kinds, columns, value types, enums.

Everything else (generator, validator, loader, upload page) reads the contract from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

FORMAT_VERSION = 1
MAX_ID_LENGTH = 128

# Money is a decimal (docs/log-format.md "Value types"), stored and summed exactly, never as a
# binary float: a float sum depends on the order it adds in, so two builds of the same data would
# differ in the last digits. 9 decimal places (nano-dollars) keep every rate-card price and per-event
# cost exact; 29 digits before the point leave sums of any realistic size room to grow. An amount
# with a non-zero digit beyond the 9th decimal place is refused, never rounded.
MONEY_PRECISION = 38  # DuckDB's widest DECIMAL
MONEY_SCALE = 9
MONEY_TYPE = f"DECIMAL({MONEY_PRECISION}, {MONEY_SCALE})"
MONEY_MAX_DIGITS = MONEY_PRECISION - MONEY_SCALE

BUSINESS_CATEGORIES = (
    "retail",
    "food",
    "travel",
    "finance",
    "health",
    "education",
    "government",
    "politics",
    "agriculture",
    "technology",
    "services",
    "other",
)
MESSAGE_CATEGORIES = ("marketing", "utility", "authentication", "service")
BILLABLE_CATEGORIES = ("marketing", "utility", "authentication")
DIRECTIONS = ("inbound", "outbound")
STATUSES = ("sent", "delivered", "read", "failed")
REPORT_REASONS = ("spam", "scam", "offensive", "political", "other")
BLOCK_REASONS = ("no_longer_needed", "didnt_sign_up", "spam", "offensive", "other")
OPT_OUT_ACTIONS = ("stop_marketing", "resume_marketing")
AD_OBJECTIVES = ("awareness", "traffic", "messages")
AD_EVENTS = ("impression", "click", "reply")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # id | text | timestamp | date | country | bool | money | enum | int_pos | countries
    required: bool = False
    values: tuple[str, ...] = ()  # for enums


@dataclass(frozen=True)
class Kind:
    name: str
    key: str
    time_column: str | None
    columns: tuple[Column, ...]
    is_dimension: bool = False
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name, type_, required=False, values=()):
    return Column(name, type_, required, tuple(values))


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "businesses",
            "business_id",
            None,
            (
                _c("business_id", "id", True),
                _c("name", "text", True),
                _c("category", "enum", True, BUSINESS_CATEGORIES),
                _c("country", "country", True),
                _c("employees", "int_pos"),
                _c("verified", "bool"),
                _c("created_at", "timestamp"),
            ),
            is_dimension=True,
        ),
        Kind(
            "messages",
            "message_id",
            "sent_at",
            (
                _c("message_id", "id", True),
                _c("sent_at", "timestamp", True),
                _c("business_id", "id", True),
                _c("user_id", "id", True),
                _c("direction", "enum", True, DIRECTIONS),
                _c("user_country", "country", True),
                _c("category", "enum", False, MESSAGE_CATEGORIES),
                _c("template", "text"),
                _c("status", "enum", False, STATUSES),
                _c("text", "text"),
            ),
        ),
        Kind(
            "reports",
            "report_id",
            "reported_at",
            (
                _c("report_id", "id", True),
                _c("reported_at", "timestamp", True),
                _c("user_id", "id", True),
                _c("business_id", "id", True),
                _c("reason", "enum", True, REPORT_REASONS),
                _c("message_id", "id"),
            ),
        ),
        Kind(
            "blocks",
            "block_id",
            "blocked_at",
            (
                _c("block_id", "id", True),
                _c("blocked_at", "timestamp", True),
                _c("user_id", "id", True),
                _c("business_id", "id", True),
                _c("reason", "enum", False, BLOCK_REASONS),
            ),
        ),
        Kind(
            "opt_outs",
            "opt_out_id",
            "changed_at",
            (
                _c("opt_out_id", "id", True),
                _c("changed_at", "timestamp", True),
                _c("user_id", "id", True),
                _c("business_id", "id", True),
                _c("action", "enum", True, OPT_OUT_ACTIONS),
            ),
        ),
        Kind(
            "ad_campaigns",
            "campaign_id",
            None,
            (
                _c("campaign_id", "id", True),
                _c("business_id", "id", True),
                _c("name", "text", True),
                _c("starts_on", "date", True),
                _c("ends_on", "date", True),
                _c("objective", "enum", False, AD_OBJECTIVES),
                _c("budget_usd", "money"),
                _c("countries", "countries"),
            ),
            is_dimension=True,
        ),
        Kind(
            "ad_events",
            "event_id",
            "occurred_at",
            (
                _c("event_id", "id", True),
                _c("occurred_at", "timestamp", True),
                _c("campaign_id", "id", True),
                _c("user_id", "id", True),
                _c("user_country", "country", True),
                _c("event", "enum", True, AD_EVENTS),
                _c("cost_usd", "money"),
            ),
        ),
    )
}

# Kinds the foreign formats carry (etl/formats, docs/formats) and log format v1 does not name. The
# loader validates, dedupes and quarantines them like every kind (raw_<name> tables); a v1 file's
# header is never matched against them, so v1 detection is unchanged.
PLATFORM_EVENT_SCOPES = ("account", "phone_number", "template")
GRANULARITIES = ("half_hour", "daily", "monthly")
STATUS_EVENTS = ("sent", "delivered", "read", "failed")

EXTRA_KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "platform_events",
            "event_id",
            "occurred_at",
            (
                _c("event_id", "id", True),
                _c("occurred_at", "timestamp", True),
                _c("business_id", "id", True),
                # Meta adds event names over time; a closed list would refuse the next one.
                _c("event", "text", True),
                _c("account_id", "id"),
                _c("scope", "enum", False, PLATFORM_EVENT_SCOPES),
                _c("subject", "text"),
                _c("old_value", "text"),
                _c("new_value", "text"),
                _c("detail", "text"),
            ),
        ),
        # What Meta billed, per period x country x pricing category x type. A dimension: Meta
        # revises recent periods, and a later fetch replaces the earlier one.
        Kind(
            "billed_pricing",
            "billed_id",
            "period_start",
            (
                _c("billed_id", "id", True),
                _c("period_start", "timestamp", True),
                _c("period_end", "timestamp", True),
                _c("granularity", "enum", True, GRANULARITIES),
                _c("volume", "int_pos", True),
                _c("account_id", "id"),
                _c("country", "country"),
                _c("pricing_category", "text"),
                _c("category", "enum", False, MESSAGE_CATEGORIES),
                _c("pricing_type", "text"),
                _c("phone_number", "text"),
                _c("tier", "text"),
                _c("cost", "money"),
                _c("currency", "text"),
            ),
            is_dimension=True,
        ),
        # Every status a webhook reported for an outbound message, once per message and status:
        # a later archive carrying `read` for a message loaded as `delivered` adds a row here
        # instead of conflicting with the message; the marts take the furthest status from here.
        Kind(
            "message_statuses",
            "status_id",
            "occurred_at",
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
        ),
    )
}

# Everything the loader stores: v1's kinds, then the extra ones.
LOAD_KINDS: dict[str, Kind] = {**KINDS, **EXTRA_KINDS}

# Detection order matters only when a header satisfies two kinds at once; the kind with more
# required columns present is the more specific match. Names every stored kind (status, counts).
KIND_NAMES = tuple(LOAD_KINDS)


def exact_money(text: str) -> Decimal:
    """An amount from a reference file (the rate card's price_usd) as the exact decimal it is
    stored as. Accepts what the rate card always accepted ('0.0107', '0.10', '1e-3', ' 2 ');
    ValueError naming the problem for anything money cannot hold exactly."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a number") from None
    if "_" in text or not value.is_finite():
        raise ValueError(f"'{text}' is not a number")
    _, digits, exponent = value.as_tuple()
    if any(digits) and value.adjusted() >= MONEY_MAX_DIGITS:
        raise ValueError(f"'{text}' is too large (at most {MONEY_MAX_DIGITS} digits before the decimal point)")
    zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    if any(digits) and exponent + zeros < -MONEY_SCALE:
        raise ValueError(
            f"'{text}' has more than {MONEY_SCALE} decimal places (amounts are kept exactly, to {MONEY_SCALE} places)"
        )
    return value


class FileRejected(Exception):
    """The whole file is refused; str(exc) is the sentence shown to the person."""


# The header of `trustdesk generate`'s answer key (truth.csv): a file the loader passes over.
TRUTH_COLUMNS = ("business_id", "archetype")


def normalise(name: str) -> str:
    """A column name as the contract spells it (case and surrounding spaces do not matter)."""
    return name.strip().lower()


def detect_kind(header: list[str]) -> Kind | None:
    present = set(header)
    matches = [k for k in KINDS.values() if set(k.required) <= present]
    if not matches:
        return None
    # A header that satisfies two kinds is read as the one whose required columns it covers most.
    return max(matches, key=lambda k: len(k.required))
