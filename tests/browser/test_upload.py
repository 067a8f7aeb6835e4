"""A moderator uploads a valid file and a broken one through the page and sees both outcomes."""

from __future__ import annotations

from tests.browser.conftest import shoot, sign_in, wait_ready

GOOD = (
    "block_id,blocked_at,user_id,business_id,reason\n"
    "kbrowser1,2026-10-01T10:00:00Z,u-browser,b00001,spam\n"
    "kbrowser2,not a time,u-browser,b00001,spam\n"
)
BROKEN = "this,is,not\na,log,export\n"


def test_upload_valid_and_broken_files(server, page, tmp_path):
    good = tmp_path / "browser_blocks.csv"
    good.write_text(GOOD)
    broken = tmp_path / "broken.csv"
    broken.write_text(BROKEN)
    sign_in(page, server.url, "moderator")
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Upload", exact=True).click()
    wait_ready(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(good), str(broken)])
    page.get_by_text("Rejected as a whole: nothing from this file would load.").wait_for(timeout=60_000)
    wait_ready(page)
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "broken.csv: the first line is not a header" in body and "this, is, not" not in body
    assert "Would be quarantined" in body
    shoot(page, "upload-check")
    page.get_by_role("button", name="Load", exact=True).click()
    page.get_by_text("Last load").wait_for(timeout=120_000)
    wait_ready(page)
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "browser_blocks.csv: blocks, 2 rows read, 1 loaded" in body
    assert "REJECTED" in body and "broken.csv" in body
    # The quarantined row is there for moderators, with its line and reason.
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Quarantine", exact=True).click()
    wait_ready(page)
    assert (
        "not a time" in page.locator('[data-testid="stMain"]').inner_text()
        or page.locator('[data-testid="stDataFrame"]').count()
    )
    shoot(page, "quarantine-after-upload")
