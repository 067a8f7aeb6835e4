"""In a real browser: signed out gets the sign-in form on every page URL; roles see their pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shoot, sign_in, wait_ready

PAGE_PATHS = ["", "overview", "spam_reports", "block_rates", "review_queue", "business", "accounts", "upload"]


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_signed_out_browser_gets_only_the_sign_in_form(server, page, path):
    page.goto(f"{server.url}/{path}")
    expect(page.get_by_role("textbox", name="Name")).to_be_visible(timeout=120_000)
    expect(page.get_by_role("textbox", name="Password")).to_be_visible()
    wait_ready(page)
    assert page.locator('[data-testid="stMetric"]').count() == 0
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert not page.get_by_text("Review queue").is_visible()
    if path == "":
        shoot(page, "sign-in")


def test_wrong_password_is_refused(server, page):
    page.goto(server.url)
    wait_ready(page)
    page.get_by_role("textbox", name="Name").fill("analyst")
    page.get_by_role("textbox", name="Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Wrong name or password.").wait_for()


def test_analyst_sees_analytics_but_is_refused_moderator_pages(server, page):
    sign_in(page, server.url, "analyst")
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Overview" in nav and "Review queue" not in nav and "Accounts" not in nav
    page.goto(f"{server.url}/review_queue")
    wait_ready(page)
    # Not in the analyst's navigation: Streamlit answers with the default page, never the queue.
    assert page.locator("h1").first.inner_text() != "Review queue"


def test_sign_out(server, page):
    sign_in(page, server.url, "moderator")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("textbox", name="Password").wait_for()


def test_signing_in_from_a_link_keeps_the_page_and_its_filters(server, page):
    page.goto(f"{server.url}/spam_reports?region=Europe&period=7d")
    wait_ready(page)
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    page.get_by_role("textbox", name="Name").fill("analyst")
    page.get_by_role("textbox", name="Password").fill("browser-test-password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("combobox", name="Region", exact=True).wait_for()
    wait_ready(page)
    assert page.locator("h1").first.inner_text().strip() == "Spam reports"
    assert page.get_by_role("combobox", name="Region", exact=True).input_value() == "Europe"
    assert page.get_by_role("combobox", name="Period", exact=True).input_value() == "Last 7 days"
    assert page.get_by_text("Signed in as analyst (analyst)").is_visible()
