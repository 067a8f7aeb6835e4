"""Log export format v1 (`docs/log-format.md`) as data: kinds, columns, value types, enums.

Everything else (generator, validator, loader, upload page) reads the contract from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
PLATFORM_EVENT_SCOPES = ("account", "phone_number", "template")
GRANULARITIES = ("half_hour", "daily", "monthly")
STATUS_EVENTS = ("sent", "delivered", "read", "failed")


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


# The kinds as a table, read once by _kinds(): a kind's line (name, key, time column or "-", and
# "dimension" for a kind a later load replaces), then its columns indented one a line (name, type,
# "required" or "-", and the enum's values by their name in _ENUMS). A "#" line is a note for the
# reader. One line a column keeps the contract easy to compare with docs/log-format.md.
_ENUMS = {
    "BUSINESS_CATEGORIES": BUSINESS_CATEGORIES,
    "MESSAGE_CATEGORIES": MESSAGE_CATEGORIES,
    "DIRECTIONS": DIRECTIONS,
    "STATUSES": STATUSES,
    "REPORT_REASONS": REPORT_REASONS,
    "BLOCK_REASONS": BLOCK_REASONS,
    "OPT_OUT_ACTIONS": OPT_OUT_ACTIONS,
    "AD_OBJECTIVES": AD_OBJECTIVES,
    "AD_EVENTS": AD_EVENTS,
    "PLATFORM_EVENT_SCOPES": PLATFORM_EVENT_SCOPES,
    "GRANULARITIES": GRANULARITIES,
    "STATUS_EVENTS": STATUS_EVENTS,
}


def _kinds(table: str) -> dict[str, Kind]:
    kinds: dict[str, Kind] = {}
    for line in table.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if not line[0].isspace():
            name, key, time_column, *flags = words
            kind = Kind(name, key, None if time_column == "-" else time_column, (), "dimension" in flags)
        else:
            name, type_, *rest = words
            required = bool(rest) and rest[0] == "required"
            column = Column(name, type_, required, _ENUMS[rest[1]] if len(rest) > 1 else ())
            kind = replace(kind, columns=(*kind.columns, column))
        kinds[kind.name] = kind
    return kinds


KINDS: dict[str, Kind] = _kinds(
    """
businesses          business_id     -               dimension
    business_id         id              required
    name                text            required
    category            enum            required    BUSINESS_CATEGORIES
    country             country         required
    employees           int_pos
    verified            bool
    created_at          timestamp
messages            message_id      sent_at
    message_id          id              required
    sent_at             timestamp       required
    business_id         id              required
    user_id             id              required
    direction           enum            required    DIRECTIONS
    user_country        country         required
    category            enum            -           MESSAGE_CATEGORIES
    template            text
    status              enum            -           STATUSES
    text                text
reports             report_id       reported_at
    report_id           id              required
    reported_at         timestamp       required
    user_id             id              required
    business_id         id              required
    reason              enum            required    REPORT_REASONS
    message_id          id
blocks              block_id        blocked_at
    block_id            id              required
    blocked_at          timestamp       required
    user_id             id              required
    business_id         id              required
    reason              enum            -           BLOCK_REASONS
opt_outs            opt_out_id      changed_at
    opt_out_id          id              required
    changed_at          timestamp       required
    user_id             id              required
    business_id         id              required
    action              enum            required    OPT_OUT_ACTIONS
ad_campaigns        campaign_id     -               dimension
    campaign_id         id              required
    business_id         id              required
    name                text            required
    starts_on           date            required
    ends_on             date            required
    objective           enum            -           AD_OBJECTIVES
    budget_usd          money
    countries           countries
ad_events           event_id        occurred_at
    event_id            id              required
    occurred_at         timestamp       required
    campaign_id         id              required
    user_id             id              required
    user_country        country         required
    event               enum            required    AD_EVENTS
    cost_usd            money
"""
)

# Kinds the foreign formats carry (etl/formats, docs/formats) and log format v1 does not name. The
# loader validates, dedupes and quarantines them like every kind (raw_<name> tables); a v1 file's
# header is never matched against them, so v1 detection is unchanged.
EXTRA_KINDS: dict[str, Kind] = _kinds(
    """
platform_events     event_id        occurred_at
    event_id            id              required
    occurred_at         timestamp       required
    business_id         id              required
    # Meta adds event names over time; a closed list would refuse the next one.
    event               text            required
    account_id          id
    scope               enum            -           PLATFORM_EVENT_SCOPES
    subject             text
    old_value           text
    new_value           text
    detail              text
# What Meta billed, per period x country x pricing category x type. A dimension: Meta
# revises recent periods, and a later fetch replaces the earlier one.
billed_pricing      billed_id       period_start    dimension
    billed_id           id              required
    period_start        timestamp       required
    period_end          timestamp       required
    granularity         enum            required    GRANULARITIES
    volume              int_pos         required
    account_id          id
    country             country
    pricing_category    text
    category            enum            -           MESSAGE_CATEGORIES
    pricing_type        text
    phone_number        text
    tier                text
    cost                money
    currency            text
# Every status a webhook reported for an outbound message, once per message and status:
# a later archive carrying `read` for a message loaded as `delivered` adds a row here
# instead of conflicting with the message; the marts take the furthest status from here.
message_statuses    status_id       occurred_at
    status_id           id              required
    message_id          id              required
    occurred_at         timestamp       required
    business_id         id              required
    user_id             id              required
    status              enum            required    STATUS_EVENTS
    pricing_category    text
    pricing_type        text
    billable            bool
    error_codes         text
    error_titles        text
"""
)

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
