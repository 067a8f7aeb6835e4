"""Policies and transparency in a real browser: an admin edits a policy's title on the Policies page
and sees it; a moderator opens the Transparency report, sees its counts and downloads the export
with the browser's own session; an analyst is refused the export.

Its own small server on the golden world, with five decisions written by hand over two months
(tests/moderation/test_transparency.py works their report out): the pages read the moderation
store only."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.browser.conftest import PASSWORD, Server, sign_in, wait_ready
from tests.browser.test_moderator import main_text, nav
from tests.moderation.test_transparency import two_months
from tests.worlds import golden_world
from trustdesk.accounts import auth
from trustdesk.moderation import policies


@pytest.fixture(scope="module")
def transparency_server(tmp_path_factory):
    root = golden_world(tmp_path_factory.mktemp("transparency"))
    for role in auth.ROLES:
        auth.upsert_account(root, role, role, PASSWORD)
    two_months(root)
    srv = Server(root)
    srv.start()
    yield srv
    srv.kill()


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(label, exact=True))
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_an_admin_edits_a_policy_title_and_sees_it(transparency_server, page):
    sign_in(page, transparency_server.url, "admin")
    nav(page, "Policies")
    page.get_by_role("combobox", name="Change").click()
    page.get_by_role("option", name="Scams and fraud (scam)", exact=True).click()
    wait_ready(page)
    title = page.get_by_role("textbox", name="Title", exact=True)
    assert title.input_value() == "Scams and fraud"
    title.fill("Scams, fraud and phishing")
    page.get_by_role("button", name="Save the policy").click()
    wait_ready(page)
    page.get_by_text("Policy scam saved.", exact=True).wait_for()
    page.get_by_text("Scams, fraud and phishing", exact=True).first.wait_for(state="attached")
    assert "Scams, fraud and phishing" in main_text(page)  # the table's cell
    assert [p.title for p in policies.listed(transparency_server.root) if p.code == "scam"] == [
        "Scams, fraud and phishing"
    ]


def test_a_moderator_reads_the_report_and_downloads_every_decision(transparency_server, page):
    sign_in(page, transparency_server.url, "moderator")
    nav(page, "Transparency report")
    page.get_by_role("heading", name="Transparency report", exact=True).wait_for()
    assert metric(page, "Decisions") == "5"
    assert metric(page, "Detected automatically") == "60.0%"
    assert metric(page, "Median time to decision") == "3.0 h"
    assert metric(page, "Appeals received") == "3"
    assert metric(page, "Overturned on appeal") == "1 of 2"
    link = page.get_by_role("link", name=re.compile(r"Download every decision \(CSV\)"))
    href = link.get_attribute("href")
    assert href == "/api/export/decisions.csv"
    # The browser's own request, with its session cookie, as following the link would send it.
    answer = page.request.get(transparency_server.url + href)
    assert answer.status == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8", "is exports.ROUTE among the server's routes?"
    rows = list(csv.DictReader(io.StringIO(answer.text())))
    assert [r["action"] for r in rows] == ["warn", "dismiss", "ban", "warn", "restrict"]
    assert rows[2]["appeal_outcome"] == "overturned"


def test_an_analyst_is_refused_the_export(transparency_server, page):
    sign_in(page, transparency_server.url, "analyst")
    answer = page.request.get(transparency_server.url + "/api/export/decisions.jsonl")
    assert answer.status == 403
    assert answer.text() == "The analyst role may not export the moderation decisions; it needs moderator or above."
    page.goto(transparency_server.url + "/transparency")
    wait_ready(page)
    assert page.get_by_role("link", name=re.compile("Download every decision")).count() == 0
    assert "Download every decision" not in main_text(page)
