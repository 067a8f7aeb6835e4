"""AppTest: the dashboard renders on real warehouses and shows the read side's numbers."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from etl.settings import REPO_ROOT
from tests.worlds import sign_in_apptest, warehouse
from trustdesk.accounts.auth import Principal
from trustdesk.analytics.metrics import Period
from trustdesk.analytics.overview import headline


@pytest.fixture(scope="module")
def root(golden):
    return golden


def run(page: str, root, monkeypatch, role: str | None = "analyst") -> AppTest:
    monkeypatch.setenv("TRUSTDESK_DATA", str(root))
    at = AppTest.from_file(str(REPO_ROOT / page), default_timeout=60)
    if role:
        sign_in_apptest(at, root, Principal(role, role))
    at.run()
    assert not at.exception, at.exception
    return at


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def test_app_routes_to_overview(root, monkeypatch):
    at = run("app.py", root, monkeypatch)
    assert at.title[0].value == "Overview"


def test_overview_shows_the_read_side_numbers(root, monkeypatch):
    at = run("pages/analytics/overview.py", root, monkeypatch)
    shown = metrics(at)
    wh = warehouse(root)
    expected = headline(wh, Period.last(30, date(2026, 3, 3)), None)
    assert shown["Messages"] == f"{expected['messages']:,}" == "11"
    assert shown["Spam reports"] == "3"
    assert shown["Block rate"] == f"{expected['block_rate']:.2%}"
    assert shown["Status ad reach"] == "2"
    assert shown["Revenue"] == f"${expected['revenue_usd']:,.2f}"


def test_region_filter_changes_the_numbers(root, monkeypatch):
    at = run("pages/analytics/overview.py", root, monkeypatch)
    before = metrics(at)
    at.sidebar.selectbox(key="region").select("Latin America").run()
    assert not at.exception
    after = metrics(at)
    assert after["Messages"] == "2" and before["Messages"] == "11"
    assert after["Status ad reach"] == "1"


def test_empty_data_directory_says_what_to_do(tmp_path, monkeypatch):
    at = run("pages/analytics/overview.py", tmp_path / "empty", monkeypatch)
    assert "trustdesk demo" in at.info[0].value
    assert not at.metric


def test_business_names_are_not_rendered_as_html(root, monkeypatch):
    # Overview shows no names yet; the guard is that no page uses unsafe_allow_html.
    for page in (REPO_ROOT / "pages").rglob("*.py"):
        assert "unsafe_allow_html" not in page.read_text()
