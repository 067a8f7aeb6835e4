"""A moderator sees the overdue cases on the Moderator metrics page in a real browser: their count in
the headline, and each overdue case first in the waiting table with what it owes.

Its own small server on the golden world, with cases opened by hand 30 hours ago (overdue) and just
now (on time): the page reads the moderation store only."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD, Server, sign_in, wait_ready
from tests.moderation.test_service import recent_store
from tests.worlds import golden_world
from trustdesk.accounts import auth


@pytest.fixture(scope="module")
def overdue_server(tmp_path_factory):
    root = golden_world(tmp_path_factory.mktemp("service_times"))
    auth.upsert_account(root, "moderator", "moderator", PASSWORD)
    recent_store(root, overdue=2, on_time=1)
    srv = Server(root)
    srv.start()
    yield srv
    srv.kill()


def test_a_moderator_sees_how_many_cases_are_overdue(overdue_server, page):
    sign_in(page, overdue_server.url, "moderator")
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Moderator metrics", exact=True).click()
    page.get_by_role("heading", name="Moderator metrics", exact=True).wait_for()
    wait_ready(page)
    headline = page.locator('[data-testid="stMetric"]').filter(has_text="Overdue cases")
    assert headline.locator('[data-testid="stMetricValue"]').inner_text().strip() == "2"
    assert (
        page.locator('[data-testid="stMetric"]')
        .filter(has_text="Cases waiting")
        .locator('[data-testid="stMetricValue"]')
        .inner_text()
        .strip()
        == "3"
    )
    assert page.locator('[data-testid="stException"]').count() == 0
    # the waiting table (the grid's accessible cells) names what each overdue case owes
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.get_by_text("decision overdue by 6", exact=False).first.wait_for(state="attached")
    text = grid.text_content()
    assert text.count("decision overdue by 6") == 2
    assert text.index("late0") < text.index("new0") and text.index("late1") < text.index("new0")
