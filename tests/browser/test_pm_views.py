"""What a product manager sees at 1440 px that only a browser shows (#10): headline numbers that fit
their box on a world with millions of revenue, and chart axes drawn by Vega that read well (no
"NaN", nothing below zero, money as "$18.3M" not "$0.05k", whole numbers for counts)."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest

from etl.ingest.load import load_files
from etl.settings import REPO_ROOT
from etl.synth import generate_world
from tests.browser.conftest import PASSWORD, Server, sign_in, wait_ready
from tests.worlds import log_files
from trustdesk.accounts import auth

# Prices x 10,000: the generated world's messaging revenue becomes millions of dollars, so a headline
# written in full ("$18,345,678.90") would not fit its box in a row of six.
SCALE = Decimal(10_000)


@pytest.fixture(scope="module")
def rich_server(tmp_path_factory):

    base = tmp_path_factory.mktemp("pm_views")
    generate_world(base / "w", seed=13, businesses=60, days=40, messages=40_000)
    root = base / "data"
    root.mkdir()
    (root / "markets.csv").write_bytes((REPO_ROOT / "data" / "markets.csv").read_bytes())
    rows = list(csv.DictReader(io.StringIO((REPO_ROOT / "data" / "rate_card.csv").read_text(encoding="utf-8"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "price_usd": str(Decimal(row["price_usd"]) * SCALE)})
    (root / "rate_card.csv").write_text(out.getvalue(), encoding="utf-8")
    files = log_files(base / "w")
    load_files(root, files, user="setup")
    auth.upsert_account(root, "analyst", "analyst", PASSWORD)
    srv = Server(root)
    srv.start()
    yield srv
    srv.kill()


def open_page(page, server: Server, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    wait_ready(page)
    assert page.locator('[data-testid="stException"]').count() == 0


# Every element inside a metric's value box: its text overflows when scrollWidth > clientWidth
# (the box then shows "$18,34..." with an ellipsis).
CUT_OFF = """() => Array.from(document.querySelectorAll('[data-testid="stMetricValue"]')).map(box => {
  const parts = [box, ...box.querySelectorAll('*')];
  return {text: box.innerText.trim(),
          cut: parts.some(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'visible'
                           || e.getBoundingClientRect().right > box.getBoundingClientRect().right + 1)};
})"""


@pytest.mark.parametrize("title", ["Overview", "Revenue by region"])
def test_headlines_fit_their_box_at_1440_px(rich_server, page, title):
    sign_in(page, rich_server.url, "analyst")
    open_page(page, rich_server, title)
    boxes = page.evaluate(CUT_OFF)
    assert len(boxes) == 6, boxes
    assert not [b for b in boxes if b["cut"]], boxes
    money = [b["text"] for b in boxes if b["text"].startswith("$")]
    assert any(re.fullmatch(r"\$\d{1,3}(\.\d)?[KMB]", t) for t in money), money


# Vega's SVG: each axis is a group whose aria-label says "X-axis ..." or "Y-axis ...", its labels
# are the texts of its "role-axis-label" group.
AXES = """() => Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"] g.role-axis')).map(axis => ({
  name: axis.getAttribute('aria-label') || '',
  labels: Array.from(axis.querySelectorAll('g.role-axis-label text')).map(t => t.textContent),
}))"""

COUNT_LABEL = re.compile(r"\d{1,3}(,\d{3})*|\d+(\.\d)?[KMB]")
MONEY_LABEL = re.compile(r"\$(\d{1,3}(,\d{3})*(\.\d{1,2})?|\d+(\.\d)?[KMB])")


def axes(page, at_least: int) -> list[dict]:
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] g.role-axis').length >= {at_least}"
    )
    return page.evaluate(AXES)


def test_overview_trend_axes_start_at_zero_with_whole_counts_and_money(rich_server, page):
    sign_in(page, rich_server.url, "analyst")
    open_page(page, rich_server, "Overview")
    found = axes(page, 12)  # six panels, an x and a y axis each
    texts = " ".join(t for a in found for t in a["labels"])
    assert "NaN" not in texts and "null" not in texts
    y_axes = [a for a in found if a["name"].startswith("Y-axis")]
    assert len(y_axes) == 6, found
    money = [a for a in y_axes if a["labels"] and a["labels"][0].startswith("$")]
    assert len(money) == 1, y_axes  # the revenue panel
    for axis in y_axes:
        labels = axis["labels"]
        assert labels[0] in ("0", "$0"), axis  # from zero, never below it
        assert not any(t.startswith(("-", "\u2212")) for t in labels), axis
        pattern = MONEY_LABEL if axis in money else COUNT_LABEL
        assert all(pattern.fullmatch(t) for t in labels), axis


def test_revenue_axes_read_as_money(rich_server, page):
    sign_in(page, rich_server.url, "analyst")
    open_page(page, rich_server, "Revenue by region")
    found = axes(page, 4)
    money = [a for a in found if a["labels"] and a["labels"][0].startswith("$")]
    assert len(money) == 2, found  # revenue over time (y), by region (x)
    for axis in money:
        assert all(MONEY_LABEL.fullmatch(t) for t in axis["labels"]), axis
        assert not any(t.endswith("k") for t in axis["labels"]), axis
