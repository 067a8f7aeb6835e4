"""The queue backtest in a real browser: before any decision the page says what it shows (the queue's
size over the days, ranked by the rules); after moderators decided, it draws precision and recall at
k against their decisions and names the model that ranked.

Its own small server on a generated world whose flag score is lowered, so that the queue holds
businesses to dismiss too; the decisions are taken through the moderation store, which the page
reads on every run (tests/moderation/test_learning.py takes them the same way)."""

from __future__ import annotations

import re

import pytest

from etl.settings import Settings
from tests.browser.conftest import PASSWORD, Server, sign_in, wait_ready
from tests.browser.test_moderator import main_text, nav
from tests.moderation.test_learning import FLAG_SCORE, WORLD, bad_ids, decide_as_truth, work_days
from tests.worlds import synthetic
from trustdesk.accounts import auth
from trustdesk.moderation import learning
from trustdesk.moderation.cases import Store

CHART = '[data-testid="stVegaLiteChart"]'
Y_LABELS = """() => Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"] g.role-axis'))
  .filter(axis => (axis.getAttribute('aria-label') || '').startsWith('Y-axis'))
  .flatMap(axis => Array.from(axis.querySelectorAll('g.role-axis-label text')).map(t => t.textContent))"""


@pytest.fixture(scope="module")
def backtest_server(tmp_path_factory):
    base = synthetic(tmp_path_factory.mktemp("backtest"), user="setup", **WORLD)
    root = base / "data"
    Settings(risk_flag_score=FLAG_SCORE).save(root)
    for role in auth.ROLES:
        auth.upsert_account(root, role, role, PASSWORD)
    srv = Server(root)
    srv.base = base
    srv.start()
    yield srv
    srv.kill()


def open_backtest(page, server) -> None:
    sign_in(page, server.url, "moderator")
    nav(page, "Queue backtest")
    page.get_by_role("heading", name="Queue backtest", exact=True).wait_for()
    page.locator(CHART).first.wait_for()
    wait_ready(page)


def test_before_any_decision_the_page_shows_what_the_queue_flagged(backtest_server, page):
    with Store(backtest_server.root) as store:
        assert learning.labels(store).is_empty(), "this test reads the world before any decision"
    open_backtest(page, backtest_server)
    page.get_by_text(
        "No decision yet: precision against decisions needs decided cases; showing what the queue flagged.", exact=False
    ).wait_for()
    text = main_text(page)
    assert "Ranked by the rules' risk score." in text
    assert "Businesses the queue flagged" in text  # the chart's title
    assert page.locator(CHART).count() == 1


def test_after_decisions_the_page_draws_precision_and_recall(backtest_server, page):
    root = backtest_server.root
    decide_as_truth(root, bad_ids(backtest_server.base), work_days(root))
    with Store(root) as store:
        n = learning.labels(store).height
    open_backtest(page, backtest_server)
    page.get_by_text(f"Ranked by the model trained on {n:,} decisions", exact=False).wait_for()
    text = main_text(page)
    assert "Precision and recall of the top 20 against decisions" in text
    assert "No decision yet" not in text
    assert page.locator(CHART).count() == 1
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] g.role-axis-label text').length > 2"
    )
    labels = page.evaluate(Y_LABELS)
    assert labels and all(re.fullmatch(r"\d{1,3}%", t) for t in labels), labels
    assert labels[0] == "0%"
    assert learning.model_path(root).is_file()  # the page trained the model on its first run
