"""A coordinated campaign in a real browser: the review queue links the ring's accounts to their
campaign; an admin opens it on the Campaigns page, decides all its accounts at once, and sees each
account decided and each decision in the audit log naming the campaign.

The session's generated world has no flagged ring, so this module serves the hand-built ring
world of tests/moderation/test_campaigns.py on a server of its own."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD, Server, choose, sign_in, wait_ready
from tests.browser.test_moderator import main_text, nav
from tests.moderation.test_campaigns import RING, ring_world
from trustdesk.accounts import auth
from trustdesk.moderation import risk
from trustdesk.warehouse import open_current
from trustdesk.web.navigation import PAGES

# Until the navigation names the page, its address opens nothing to test.
pytestmark = pytest.mark.skipif(
    "pages/moderation/campaigns.py" not in {p.file for p in PAGES},
    reason="the Campaigns page is not in trustdesk/web/navigation.py PAGES yet",
)


@pytest.fixture(scope="module")
def ring(tmp_path_factory):
    root = ring_world(tmp_path_factory.mktemp("browser_ring"))
    for role in auth.ROLES:
        auth.upsert_account(root, role, role, PASSWORD)
    wh = open_current(root)
    try:
        (campaign_id,) = risk.queue(wh).table["campaign_id"].unique().to_list()
    finally:
        wh.close()
    srv = Server(root)
    srv.start()
    yield srv, campaign_id
    srv.kill()


def test_an_admin_decides_a_whole_campaign(ring, page):
    server, campaign_id = ring
    link = f"campaigns?campaign={campaign_id}"
    sign_in(page, server.url, "admin")
    nav(page, "Review queue")
    # The grid draws only the columns in view (its accessible cells too): scroll to the campaign's.
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.get_by_text("Lucky Draw 1", exact=True).wait_for(state="attached")
    grid.locator(".dvn-scroller").first.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    grid.get_by_text(link, exact=True).first.wait_for(state="attached")
    assert grid.get_by_text(link, exact=True).count() == len(RING)  # every ring account's row links to it

    # The link is relative to the queue's address: it opens the Campaigns page on the campaign.
    page.goto(page.evaluate("href => new URL(href, location.href).href", link))
    wait_ready(page)
    page.get_by_text(f"Campaign {campaign_id}", exact=True).wait_for()
    page.get_by_text("Congratulations! You won", exact=False).first.wait_for()
    # The link chose the campaign in the page's select box.
    chosen = page.get_by_role("combobox", name="Campaign", exact=True).input_value()
    assert chosen.startswith(f"{campaign_id} · part of campaign {campaign_id} (4 accounts"), chosen
    text = main_text(page)
    assert all(f"business?business={b}" in text for b in RING)  # each account links to its business page

    choose(page, "Decision", "Warn")
    choose(page, "Policy", "Spam and unsolicited marketing")
    page.get_by_role("textbox", name="Rationale").fill("Same prize texts to one list of users.")
    page.get_by_text(f"Apply to all {len(RING)} accounts", exact=True).click()
    page.get_by_role("button", name="Decide the campaign").click()
    wait_ready(page)
    page.get_by_text(f"Warn: {len(RING)} of {len(RING)} accounts decided", exact=False).first.wait_for()
    page.get_by_text("What the last campaign decision did", exact=True).wait_for()
    assert main_text(page).count("Warn by admin") == len(RING)

    nav(page, "Audit log")
    page.get_by_text("decision: warn", exact=True).first.wait_for(state="attached")
    log = main_text(page)
    assert log.count(f"(campaign {campaign_id})") == len(RING)
