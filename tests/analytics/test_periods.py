"""What the data covers: changes only against a period the data fully covers, periods longer than
the data say so, and dates from a link or the date picker stay inside the data's range (#10, #15.5)."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from etl.settings import REPO_ROOT
from tests.worlds import open_page, sign_in_apptest, warehouse
from trustdesk.accounts.auth import Principal
from trustdesk.analytics import views
from trustdesk.analytics.metrics import Period
from trustdesk.analytics.views import Coverage, Filters
from trustdesk.web.navigation import page_file, page_path

PAGES = ("overview", "spam_reports", "block_rates", "status_ads", "revenue", "messaging_health")
FIRST, LAST = date(2026, 9, 1), date(2026, 10, 10)  # the world's 40 days


@pytest.fixture(scope="module")
def world(make_world):
    return make_world("periods", seed=11, businesses=40, days=40, messages=30_000, start=FIRST) / "data"


def page_caption(at) -> str:
    return " ".join(c.value for c in at.main.caption)


def deltas(at) -> list[str]:
    return [m.delta for m in at.metric if m.delta]


# --------------------------------------------------------------------------- the rule, once


def test_the_world_covers_the_dates_these_tests_assume(world):
    assert warehouse(world).date_range() == (FIRST, LAST)


def test_coverage_compares_only_periods_wholly_inside_the_data():
    last_30 = Period.last(30, LAST)  # 11 Sep - 10 Oct; the 30 before: 12 Aug - 10 Sep, 10 days of data
    cover = Coverage(last_30, FIRST, LAST)
    assert cover.complete and cover.previous_days_with_data == 10 and not cover.comparable
    assert Coverage(Period.last(7, LAST), FIRST, LAST).comparable
    assert Coverage(Period.last(20, LAST), FIRST, LAST).comparable  # 20 + 20 = the 40 days exactly
    last_90 = Coverage(Period.last(90, LAST), FIRST, LAST)
    assert last_90.days_with_data == 40 and last_90.covered == Period(FIRST, LAST) and not last_90.comparable


def test_a_period_at_the_start_of_the_calendar_has_no_previous_period_and_no_error():
    cover = Coverage(Period(date(1, 1, 1), date(1, 1, 31)), date(1, 1, 1), LAST)
    assert cover.previous is None and not cover.comparable


def test_views_leave_the_previous_numbers_empty_without_a_fair_comparison(world):
    wh = warehouse(world)
    f = Filters(Period.last(30, LAST))
    assert views.comparison(wh, f) is None
    view = views.block_view(wh, f, views.Settings())
    assert set(view.previous.values()) == {None}
    assert view.businesses["block_rate_change"].null_count() == view.businesses.height
    revenue = views.revenue_view(wh, f)
    assert set(revenue.previous.values()) == {None}
    assert revenue.by_region["total_revenue_change"].null_count() == revenue.by_region.height
    assert set(views.spam_view(wh, f).previous.values()) == {None}
    assert set(views.health_view(wh, f).previous.values()) == {None}
    assert set(views.ads_view(wh, f).previous.values()) == {None}
    assert views.comparison(wh, Filters(Period.last(7, LAST))) is not None


# --------------------------------------------------------------------------- the pages


@pytest.mark.parametrize("page", PAGES)
def test_no_change_is_shown_against_days_the_data_does_not_cover(page, world, monkeypatch):
    at = open_page(page, world, monkeypatch)  # last 30 days: the 30 before hold 10 days of data
    assert deltas(at) == []
    text = page_caption(at)
    assert (
        "No changes shown: the 30 days before (12 Aug 2026 – 10 Sep 2026) have data on only 10 of them "
        "(the data starts on 01 Sep 2026)."
    ) in text
    assert "compared with" not in text


@pytest.mark.parametrize("page", PAGES)
def test_changes_are_shown_against_a_period_the_data_covers(page, world, monkeypatch):
    at = open_page(page, world, monkeypatch, {"period": "7d"})
    assert deltas(at)
    assert "Changes compare with the 7 days before (27 Sep 2026 – 03 Oct 2026)." in page_caption(at)


@pytest.mark.parametrize("page", PAGES)
def test_a_period_longer_than_the_data_says_how_much_of_it_the_data_covers(page, world, monkeypatch):
    at = open_page(page, world, monkeypatch, {"period": "90d"})
    text = page_caption(at)
    assert "(90 days; the data covers 40 of them, 01 Sep 2026 – 10 Oct 2026)" in text
    assert "No changes shown: the data covers only 40 of these 90 days" in text
    assert "the data covers only 40 of these 90 days" in at.sidebar.caption[0].value
    assert deltas(at) == []


# --------------------------------------------------------------------------- dates from links and the picker


def test_a_link_from_year_one_is_narrowed_to_the_data_and_the_next_page_works(world, monkeypatch):
    # #15.5: /spam_reports?from=0001-01-01 raised OverflowError in Period.previous, and the date
    # stayed in the session, so every page after it failed too.
    monkeypatch.setenv("TRUSTDESK_DATA", str(world))
    at = AppTest.from_file(str(page_path("spam_reports")), default_timeout=60)
    sign_in_apptest(at, world, Principal("pm", "analyst"))
    at.query_params["from"] = "0001-01-01"
    at.run()
    assert not at.exception, at.exception
    assert at.sidebar.date_input(key="period_dates").value == (FIRST, LAST)
    assert "narrowed to 01 Sep 2026 – 10 Oct 2026" in " ".join(w.value for w in at.sidebar.warning)
    assert at.session_state["filters"]["from"] == "2026-09-01"
    assert at.query_params["from"] == "2026-09-01"
    at.run()  # the next run (another page, a widget change) reads the session's dates
    assert not at.exception, at.exception


def test_a_link_from_year_one_does_not_break_the_pages_after_it(world, monkeypatch):
    monkeypatch.setenv("TRUSTDESK_DATA", str(world))
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    sign_in_apptest(at, world, Principal("pm", "analyst"))
    at.query_params["from"] = "0001-01-01"
    at.query_params["to"] = "9999-12-31"
    at.run()
    assert not at.exception, at.exception
    for page in PAGES[1:]:
        at.switch_page(page_file(page)).run()
        assert not at.exception, (page, at.exception)
        assert at.sidebar.date_input(key="period_dates").value == (FIRST, LAST)


def test_link_dates_wholly_outside_the_data_are_ignored_with_a_note(world, monkeypatch):
    at = open_page("revenue", world, monkeypatch, {"from": "2025-01-01", "to": "2025-01-31"})
    assert at.sidebar.selectbox(key="period").value == "Last 30 days"
    warning = " ".join(w.value for w in at.sidebar.warning)
    assert "outside the data (01 Sep 2026 – 10 Oct 2026); they are ignored" in warning
    assert "from" not in at.query_params and "to" not in at.query_params
    assert at.session_state["filters"].get("from") is None
    assert not at.info  # the page shows the last 30 days instead of "no data"


def test_the_date_picker_offers_only_the_data_s_days(world, monkeypatch):
    at = open_page("overview", world, monkeypatch, {"from": "2026-09-10", "to": "2026-09-20"})
    picker = at.sidebar.date_input(key="period_dates")
    assert (picker.min, picker.max) == (FIRST, LAST)
    assert picker.value == (date(2026, 9, 10), date(2026, 9, 20))
    picker.set_value((date(2026, 8, 1), date(2026, 12, 31))).run()
    assert not at.exception, at.exception
    start, end = at.sidebar.date_input(key="period_dates").value
    assert FIRST <= start <= end <= LAST
    memory = at.session_state["filters"]
    assert FIRST <= date.fromisoformat(memory["from"]) <= date.fromisoformat(memory["to"]) <= LAST
    assert FIRST <= date.fromisoformat(at.query_params["from"]) <= date.fromisoformat(at.query_params["to"]) <= LAST
