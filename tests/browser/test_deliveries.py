"""The Deliveries page in a real browser (issue 14): an admin sees a delivery the platform refused,
with its last error, and sends it again; a moderator cannot open the page. The dashboard here has a
data directory of its own, delivering to a real HTTPS receiver on loopback (tests/receiver.py)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, Server, sign_in, wait_ready
from tests.browser.test_security import nav
from tests.deliveries import SETUP, configured, open_cases, rows
from tests.receiver import Receiver
from trustdesk.accounts import auth
from trustdesk.accounts.auth import Principal
from trustdesk.moderation.cases import Store

SECRET = "browser-outbox-secret-0123456789"
MOD = Principal("moderator", "moderator")


def wait_until(condition, what: str, timeout: float = 180):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)
    return found


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    base = tmp_path_factory.mktemp("deliveries")
    receiver = Receiver(base / "receiver", SECRET).start()
    receiver.reset(("400",))  # the platform refuses the decision: it fails at once, for an admin to retry
    root = configured(base / "data", receiver, SECRET)
    for role in ("admin", "moderator"):
        auth.upsert_account(root, role, role, PASSWORD)
    with Store(root) as store:
        (case,) = open_cases(store, SETUP, 1)
        store.decide(MOD, case, "warn", "spam", "Cold marketing to bought lists.", store.clock().date())
    srv = Server(root)
    srv.start()
    yield srv, receiver
    srv.kill()
    receiver.stop()


def test_an_admin_sees_a_failed_delivery_and_retries_it(dashboard, page):
    srv, receiver = dashboard
    (key,) = wait_until(lambda: [k for k, r in rows(srv.root).items() if r["status"] == "failed"], "a failed delivery")
    sign_in(page, srv.url, "admin")
    nav(page, "Deliveries")
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("HTTP 400", exact=False).first.wait_for(state="attached")
    assert key in main.text_content() and "unknown business" in main.text_content()  # the receiver's own words

    receiver.reset(("ok",))  # the platform is fixed
    page.get_by_role("combobox", name="Failed deliveries to retry").click()
    page.get_by_role("option", name=f"1 · {key}", exact=False).click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Retry selected").click()
    wait_ready(page)
    expect(page.get_by_text("1 delivery back in the queue", exact=False)).to_be_visible()
    assert rows(srv.root)[key]["status"] in ("pending", "delivered")  # no longer failed
    wait_until(lambda: rows(srv.root)[key]["status"] == "delivered", "the retried delivery")
    assert [r["action"] for r in receiver.requests() if r["key"] == key] == ["ok"]
    with Store(srv.root) as store:
        log = store.audit_log(Principal("admin", "admin"), event="delivery retried")
    assert log["actor"].to_list() == ["admin"]

    page.reload()
    wait_ready(page)
    page.get_by_text("Recently delivered").wait_for()
    main.get_by_text(key).first.wait_for(state="attached")
    assert SECRET not in page.content()


def test_a_moderator_cannot_open_the_deliveries_page(dashboard, page):
    srv, _ = dashboard
    sign_in(page, srv.url, "moderator")
    assert "Deliveries" not in page.locator('[data-testid="stSidebarNav"]').inner_text()
    page.goto(srv.url + "/deliveries")
    wait_ready(page)
    assert page.locator("h1").first.inner_text().strip() != "Deliveries"
    assert page.get_by_text("Signing secret", exact=False).count() == 0
    assert page.get_by_role("button", name="Retry selected").count() == 0
