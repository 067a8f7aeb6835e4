"""Every value type's parsing, table-driven, through the loader's own SQL."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from etl.contract import KINDS, exact_money
from etl.ingest.validate import validate_values

NOW = datetime(2026, 11, 1, 12, 0, 0)
FUTURE_LIMIT = datetime(2026, 11, 2, 12, 0, 0)

BASE = {
    "message_id": "m1",
    "sent_at": "2026-03-01T14:05:00Z",
    "business_id": "b1",
    "user_id": "u1",
    "direction": "outbound",
    "user_country": "IN",
    "category": "marketing",
    "template": "t",
    "status": "delivered",
    "text": "hello",
}


def check(kind, row):
    [(typed, reasons)] = validate_values(KINDS[kind], [row], future_limit=FUTURE_LIMIT)
    return typed, reasons


def message(**over):
    row = dict(BASE)
    row.update(over)
    return check("messages", row)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2026-03-01T14:05:00Z", datetime(2026, 3, 1, 14, 5)),
        ("2026-03-01T14:05:00z", datetime(2026, 3, 1, 14, 5)),
        ("2026-03-01 14:05:00+05:30", datetime(2026, 3, 1, 8, 35)),
        ("2026-03-01T14:05:00-03:00", datetime(2026, 3, 1, 17, 5)),
        ("2026-03-01T14:05:00+0530", datetime(2026, 3, 1, 8, 35)),
        ("2026-03-01T14:05:00", datetime(2026, 3, 1, 14, 5)),
        ("2026-03-01T14:05:00.250Z", datetime(2026, 3, 1, 14, 5, 0, 250000)),
        ("2026-03-01T14:05Z", datetime(2026, 3, 1, 14, 5)),
        ("1772373900", datetime(2026, 3, 1, 14, 5)),
        (" 2026-03-01T14:05:00Z ", datetime(2026, 3, 1, 14, 5)),
        ("2026-03-01T23:30:00-01:00", datetime(2026, 3, 2, 0, 30)),
    ],
)
def test_timestamps_accepted_and_stored_as_utc(raw, expected):
    typed, reasons = message(sent_at=raw)
    assert reasons == []
    assert typed["sent_at"] == expected


@pytest.mark.parametrize(
    "raw",
    [
        "yesterday",
        "2026-02-30T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-03-01",
        "2026-3-1 1:5:0",
        "01/03/2026 14:05",
        "2026-03-01T14:05:00 UTC",
        "1772373900.5",
        "2026-03-01T25:00:00Z",
    ],
)
def test_timestamps_rejected(raw):
    typed, reasons = message(sent_at=raw)
    assert typed["sent_at"] is None
    assert any(r.startswith("sent_at:") and "is not a timestamp" in r for r in reasons), reasons


def test_timestamp_more_than_a_day_ahead_is_invalid():
    assert message(sent_at="2026-11-02T11:59:59Z")[1] == []
    _, reasons = message(sent_at="2026-11-02T12:00:01Z")
    assert reasons == ["sent_at: '2026-11-02T12:00:01Z' is more than 1 day in the future"]


@pytest.mark.parametrize("raw, expected", [("in", "IN"), ("IN", "IN"), ("Br", "BR"), (" de ", "DE")])
def test_country_either_case(raw, expected):
    typed, reasons = message(user_country=raw)
    assert reasons == [] and typed["user_country"] == expected


@pytest.mark.parametrize("raw", ["XX", "UK", "IND", "I", "12", "EU"])
def test_country_not_iso(raw):
    typed, reasons = message(user_country=raw)
    assert typed["user_country"] is None
    assert reasons == [f"user_country: '{raw}' is not an ISO 3166-1 alpha-2 country code"]


@pytest.mark.parametrize("raw, expected", [("OUTBOUND", "outbound"), ("Outbound", "outbound")])
def test_enum_either_case_stored_lower(raw, expected):
    typed, reasons = message(direction=raw)
    assert reasons == [] and typed["direction"] == expected


def test_enum_outside_list():
    _, reasons = message(direction="sideways")
    assert reasons[0] == "direction: 'sideways' is not one of inbound, outbound"


def test_id_length_limit_counts_characters():
    assert message(message_id="é" * 128)[1] == []
    _, reasons = message(message_id="x" * 129)
    assert reasons == ["message_id is longer than 128 characters (129)"]


@pytest.mark.parametrize("field", ["message_id", "sent_at", "business_id", "user_id", "direction", "user_country"])
def test_required_empty(field):
    _, reasons = message(**{field: ""})
    assert f"{field} is empty" in reasons
    _, reasons = message(**{field: "   "})
    assert f"{field} is empty" in reasons


def test_outbound_needs_category_and_status_inbound_must_not_have_them():
    _, reasons = message(category="", status="")
    assert reasons == ["category is required for outbound messages", "status is required for outbound messages"]
    _, reasons = message(direction="inbound")
    assert reasons == ["category must be empty for inbound messages", "status must be empty for inbound messages"]
    typed, reasons = message(direction="inbound", category="", status="", template="")
    assert reasons == [] and typed["category"] is None and typed["template"] is None


def test_every_reason_is_reported():
    _, reasons = message(sent_at="soon", user_country="ZZ", status="lost")
    assert len(reasons) == 3


BOOLS = [("true", True), ("FALSE", False), ("1", True), ("0", False), ("yes", True), ("No", False)]


@pytest.mark.parametrize("raw, expected", BOOLS)
def test_bool(raw, expected):
    typed, reasons = check(
        "businesses", {"business_id": "b", "name": "n", "category": "retail", "country": "FR", "verified": raw}
    )
    assert reasons == [] and typed["verified"] is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "t", "oui"])
def test_bool_rejected(raw):
    _, reasons = check(
        "businesses", {"business_id": "b", "name": "n", "category": "retail", "country": "FR", "verified": raw}
    )
    assert reasons == [f"verified: '{raw}' is not a boolean (true/false, 1/0, yes/no)"]


@pytest.mark.parametrize(
    "raw, ok", [("1", True), ("12000", True), ("0", False), ("-3", False), ("2.5", False), ("ten", False)]
)
def test_employees_whole_number_at_least_one(raw, ok):
    typed, reasons = check(
        "businesses", {"business_id": "b", "name": "n", "category": "retail", "country": "FR", "employees": raw}
    )
    assert (reasons == []) is ok


AD = {
    "event_id": "e1",
    "occurred_at": "2026-03-01T00:00:00Z",
    "campaign_id": "c1",
    "user_id": "u1",
    "user_country": "NG",
    "event": "impression",
}


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0.0042", "0.0042"),
        ("12", "12"),
        ("0", "0"),
        (".5", "0.5"),
        ("", None),
        ("3.", "3"),
        ("0.10", "0.1"),
        ("0.123456789", "0.123456789"),
        ("0.1234567890000", "0.123456789"),
        (" +2 ", "2"),
        ("1" * 29 + ".5", "1" * 29 + ".5"),
    ],
)
def test_money_is_kept_as_the_exact_decimal(raw, expected):
    typed, reasons = check("ad_events", dict(AD, cost_usd=raw))
    assert reasons == []
    if expected is None:
        assert typed["cost_usd"] is None
    else:
        assert isinstance(typed["cost_usd"], Decimal) and typed["cost_usd"] == Decimal(expected)


@pytest.mark.parametrize(
    "raw, why",
    [
        ("-0.01", "is negative"),
        ("$3", "is not an amount"),
        ("1e3", "is not an amount"),
        ("1,5", "is not an amount"),
        ("1e-3", "is not an amount"),
        # would be rounded at 9 decimal places: refused, never stored approximately
        ("0.1234567891", "has more than 9 decimal places"),
        ("0.0000000001", "has more than 9 decimal places"),
        ("1" * 30, "is too large (at most 29 digits before the decimal point)"),
    ],
)
def test_money_rejected(raw, why):
    _, reasons = check("ad_events", dict(AD, cost_usd=raw))
    assert len(reasons) == 1 and why in reasons[0], reasons
    assert reasons[0].startswith(f"cost_usd: '{raw[:40]}")


def test_budget_with_too_many_decimals_is_quarantined_with_the_reason():
    _, reasons = check("ad_campaigns", dict(CAMPAIGN, budget_usd="10.0000000005"))
    assert reasons == [
        "budget_usd: '10.0000000005' has more than 9 decimal places (amounts are kept exactly, to 9 places)"
    ]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0.0107", "0.0107"),
        ("0.10", "0.1"),
        ("1e-3", "0.001"),
        (" 2 ", "2"),
        ("15E-9", "0.000000015"),
        ("0.1234567890000", "0.123456789"),
        ("0E-30", "0"),
    ],
)
def test_reference_prices_are_exact(raw, expected):
    assert exact_money(raw) == Decimal(expected)


@pytest.mark.parametrize(
    "raw, why",
    [
        ("0.00012345678", "has more than 9 decimal places"),
        ("1.5e-10", "has more than 9 decimal places"),
        ("abc", "is not a number"),
        ("inf", "is not a number"),
        ("NaN", "is not a number"),
        ("1e40", "is too large"),
    ],
)
def test_reference_prices_that_money_cannot_hold_are_refused(raw, why):
    with pytest.raises(ValueError, match=why):
        exact_money(raw)


CAMPAIGN = {
    "campaign_id": "c1",
    "business_id": "b1",
    "name": "Spring",
    "starts_on": "2026-03-01",
    "ends_on": "2026-03-31",
}


@pytest.mark.parametrize(
    "raw, ok",
    [
        ("2026-03-31", True),
        ("2026-3-31", False),
        ("2026-02-30", False),
        ("31/03/2026", False),
        ("2026-03-31T00:00:00Z", False),
    ],
)
def test_date(raw, ok):
    typed, reasons = check("ad_campaigns", dict(CAMPAIGN, ends_on=raw))
    assert (reasons == []) is ok
    if ok:
        assert typed["ends_on"] == date(2026, 3, 31)


def test_campaign_ending_before_it_starts():
    _, reasons = check("ad_campaigns", dict(CAMPAIGN, ends_on="2026-02-28"))
    assert reasons == ["ends_on 2026-02-28 is before starts_on 2026-03-01"]


def test_text_keeps_html_and_sql_verbatim():
    name = "<script>alert(1)</script>'; DROP TABLE raw_businesses; --"
    typed, reasons = check("businesses", {"business_id": "b", "name": name, "category": "retail", "country": "FR"})
    assert reasons == [] and typed["name"] == name
