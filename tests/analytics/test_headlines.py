"""Headline numbers fit their box: large values are abbreviated ($18.3M, 1.2M), the exact value is in
the help (#10: "$18,34..." cut off at 1440 px). tests/browser/test_pm_views.py checks the box itself."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.worlds import RATE_CARD, golden_world, open_page
from trustdesk.web import formats

# The golden rate card with India marketing at $6,115,226.30 a message from the start: the golden
# world's three billable India marketing messages (m5, m6, m8) make $18,345,678.90 of revenue.
RICH_RATE_CARD = (
    "".join(line for line in RATE_CARD.splitlines(keepends=True) if not line.startswith("India,marketing,"))
    + "India,marketing,6115226.30,2026-01-01\n"
)


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    return golden_world(tmp_path_factory.mktemp("rich"), rate_card=RICH_RATE_CARD)


@pytest.mark.parametrize(
    "value, shown",
    [
        (0, "0"),
        (999, "999"),
        (99_999, "99,999"),
        (100_000, "100.0K"),
        (1_234_567, "1.2M"),
        (999_960, "1.0M"),
        (3_000_000_000, "3.0B"),
        (Decimal("2500000"), "2.5M"),
        (None, "–"),
    ],
)
def test_large_counts_are_abbreviated(value, shown):
    assert formats.short_number(value) == shown


@pytest.mark.parametrize(
    "value, shown",
    [
        (0, "$0.00"),
        (Decimal("581.8959"), "$581.90"),
        (999.99, "$999.99"),
        (1_000, "$1.0K"),
        (Decimal("18345678.90"), "$18.3M"),
        (18_345.67, "$18.3K"),
        (None, "–"),
    ],
)
def test_large_money_is_abbreviated(value, shown):
    assert formats.short_usd(value) == shown


def test_prices_keep_four_digits_only_below_a_dollar():
    # "$196.5949" (per billable message, 4 digits) was cut off at 1440 px; "$0.0123" fits.
    assert formats.short_usd(Decimal("0.012345"), 4) == "$0.0123"
    assert formats.short_usd(Decimal("196.5949"), 4) == "$196.59"
    assert formats.usd(Decimal("196.5949"), 4) == "$196.5949"  # the exact value, for the help


def test_every_format_takes_decimal_money():
    money = Decimal("1234.5678")
    assert formats.usd(money) == "$1,234.57" and formats.usd(money, 4) == "$1,234.5678"
    assert formats.number(Decimal("12")) == "12" and formats.percent(Decimal("0.25")) == "25.0%"
    assert formats.change(Decimal("150"), Decimal("100")) == "+50.0%"
    assert formats.change(Decimal("150"), 100.0) == "+50.0%"  # Decimal now, float before: no TypeError
    assert formats.points(Decimal("0.5"), 0.25) == "+25.00 pp"


def test_the_overview_abbreviates_revenue_and_gives_the_exact_value(rich, monkeypatch):
    at = open_page("overview", rich, monkeypatch)
    revenue = next(m for m in at.metric if m.label == "Revenue")
    assert revenue.value.startswith("$18.3M")
    assert "Exact: $18,345,678.9" in revenue.help
    assert "Messaging revenue at rate-card prices" in revenue.help  # the page's own help stays


def test_the_revenue_page_abbreviates_its_money_headlines(rich, monkeypatch):
    at = open_page("revenue", rich, monkeypatch)
    got = {m.label: m for m in at.metric}
    assert got["Total revenue"].value.startswith("$18.3M")
    assert got["Messaging revenue"].value.startswith("$18.3M")
    assert "Exact: $18,345,678.9" in got["Total revenue"].help
    assert got["Billable messages"].value == "6"  # small values stay exact, without a help line
    assert not got["Billable messages"].help
    assert all(len(m.value) <= 8 for m in at.metric), [m.value for m in at.metric]
