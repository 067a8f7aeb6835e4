"""What a moderator sees in a real browser: the case from the review queue opens on the days its
flag was based on; the upload limit the page states is the one the browser and the server enforce;
a file that would load nothing cannot be loaded; a load's result links to its quarantined rows.

Its own small server: Streamlit's server.maxUploadSize is set to 2 MiB so that the limits can be
tried with small files (the same arithmetic holds at 1,024 MiB)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PASSWORD, Server, sign_in, wait_ready
from tests.worlds import synthetic
from trustdesk.accounts import auth

SERVER_MIB = 2
HEADER = "block_id,blocked_at,user_id,business_id,reason\n"


@pytest.fixture(scope="module")
def small(tmp_path_factory):

    base = synthetic(
        tmp_path_factory.mktemp("moderation_views"), user="setup", seed=7, businesses=150, days=30, messages=60_000
    )
    root = base / "data"
    auth.upsert_account(root, "moderator", "moderator", PASSWORD)
    srv = Server(root, "--server.maxUploadSize", str(SERVER_MIB))  # small limits, small files
    srv.start()
    yield srv
    srv.kill()


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def open_page(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title, exact=True).wait_for()
    wait_ready(page)


def blocks_file(path, size: int):
    """A valid blocks export of exactly `size` bytes (its last user id pads it)."""
    rows, i = [HEADER], 0
    total = len(HEADER)
    row = "k{0:07d},2026-09-10T10:00:00Z,u{0:07d},b00001,spam\n"
    while total + 2 * len(row.format(0)) < size:
        rows.append(row.format(i))
        total += len(rows[-1])
        i += 1
    last = "klast,2026-09-10T10:00:00Z,u,b00001,spam\n"
    pad = size - total - len(last)
    rows.append(last.replace(",u,", ",u" + "x" * pad + ",", 1))
    data = "".join(rows).encode()
    assert len(data) == size
    path.write_bytes(data)
    return path


def stated_limit(page) -> int:
    match = re.search(r"up to ([\d,]+) MiB per file", main_text(page))
    assert match, "the page states its limit in MiB"
    return int(match.group(1).replace(",", ""))


def test_a_case_from_the_queue_opens_on_the_days_of_its_flag(small, page):
    sign_in(page, small.url, "moderator")
    open_page(page, "Review queue")
    page.get_by_role("button", name="Next case").click()
    page.get_by_role("heading", name="Business", exact=True).wait_for()
    wait_ready(page)
    body = main_text(page)
    # every reason names its days; the evidence opens on the steady window the flag rests on
    assert re.search(r"Reasons: [^\n]* over the \d+ days ", body), body[:2000]
    evidence = re.search(r"Evidence over ([^:]+): the (\d+) days the flag was based on", body)
    assert evidence and 1 <= int(evidence.group(2)) <= 28, body[:2000]
    page.get_by_role("tab", name="Reported messages").click()
    page.get_by_text(re.compile(r"Reveal the [\d,]+ reported messages")).wait_for()
    assert "No report about this business in this period" not in main_text(page)


def test_the_stated_upload_limit_is_the_enforced_one(small, page, browser, tmp_path):
    sign_in(page, small.url, "moderator")
    open_page(page, "Upload")
    mib = stated_limit(page)
    assert mib == SERVER_MIB - 1  # Streamlit's limit counts the request, which is larger than its file
    exactly = blocks_file(tmp_path / "exactly.csv", mib * 2**20)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(exactly)])
    page.get_by_text(f"exactly.csv · {mib:,}.00 MiB").wait_for()
    wait_ready(page)
    body = main_text(page)
    assert f"larger than the {mib:,} MiB upload limit" not in body and "or smaller" not in body
    assert re.search(r"Would load\s+[\d,]+", body)
    # one byte more, in a fresh session: refused with the page's sentence
    other = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    other.set_default_timeout(90_000)
    try:
        sign_in(other, small.url, "moderator")
        open_page(other, "Upload")
        over = blocks_file(tmp_path / "over.csv", mib * 2**20 + 1)
        other.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(over)])
        other.get_by_text(f"larger than the {mib:,} MiB upload limit").wait_for()
    finally:
        other.context.close()


def test_nothing_to_load_turns_load_off_and_a_load_links_to_its_quarantine(small, page, tmp_path):
    sign_in(page, small.url, "moderator")
    open_page(page, "Upload")
    bad = tmp_path / "all_bad.csv"
    bad.write_text(HEADER + "".join(f"kb{i},never,u{i},b00001,spam\n" for i in range(4)))
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(bad)])
    page.get_by_text("Load is off: no row of this file would load").first.wait_for()
    wait_ready(page)
    assert page.get_by_role("button", name="Load", exact=True).is_disabled()

    mixed = tmp_path / "mixed.csv"
    mixed.write_text(
        HEADER
        + "km1,2026-09-10T10:00:00Z,u1,b00001,spam\n"
        + "".join(f"km{i},never,u{i},b00001,spam\n" for i in range(2, 5))
    )
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files([str(mixed)])
    page.get_by_text("mixed.csv · ").wait_for()
    wait_ready(page)
    load = page.get_by_role("button", name="Load", exact=True)
    assert load.is_enabled()
    load.click()
    page.get_by_text("Last load").wait_for(timeout=120_000)
    wait_ready(page)
    assert "trustdesk quarantine" not in main_text(page)
    link = page.get_by_role("link", name=re.compile(r"See the 3 quarantined rows of load \d+ on the Quarantine page"))
    load_id = re.search(r"load (\d+)", link.inner_text()).group(1)
    link.click()
    page.get_by_role("heading", name="Quarantine", exact=True).wait_for()
    wait_ready(page)
    assert f"load={load_id}" in page.url
    body = main_text(page)
    assert "newest load first" in body
    # only that load's rows: the three bad lines of mixed.csv
    assert re.search(rf"\b3 of [\d,]+ quarantined rows match in load {load_id}\.", body), body
