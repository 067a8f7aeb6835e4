"""AppTest for the analytics pages: they render, follow the filters (from widgets and from the URL),
show the read side's numbers, download the CLI's numbers, and say what to do when there is no data."""

from __future__ import annotations

import io
from datetime import date, timedelta

import polars as pl
import pytest
from click.testing import CliRunner
from polars.testing import assert_frame_equal
from streamlit.testing.v1 import AppTest

from etl.settings import REPO_ROOT, Settings
from tests.worlds import BUSINESSES, CAMPAIGNS, build, golden_world, msg, open_page, report, sign_in_apptest, warehouse
from trustdesk.accounts.auth import Principal
from trustdesk.analytics import views
from trustdesk.analytics.metrics import METRICS, Period, compute
from trustdesk.analytics.overview import headline
from trustdesk.analytics.views import Filters
from trustdesk.cli import cli
from trustdesk.data.export import safe_csv
from trustdesk.warehouse import run
from trustdesk.web import formats
from trustdesk.web import tables as web_tables
from trustdesk.web.navigation import page_path

PAGES = ("overview", "spam_reports", "block_rates", "status_ads", "revenue", "messaging_health")
# The metric each page shows as a table, under the name of its CSV download.
SPEC_TABLES = {
    "spam_reports": "spam_reports",
    "block_rates": "block_rates",
    "status_ads": "ad_reach",
    "revenue": "revenue_by_region",
}


# --------------------------------------------------------------------------- worlds


@pytest.fixture(scope="module")
def world(make_world):
    """A generated world: every page has something to show in every region."""
    return make_world("pages", seed=5, businesses=60, days=40, messages=80_000) / "data"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Business and campaign names that are Markdown, HTML or spreadsheet formulas."""
    businesses = [
        dict(business_id="b1", name='=HYPERLINK("http://evil","x")', category="retail", country="IN"),
        dict(business_id="b2", name="<b>Bold</b> **loans** [click](http://evil)", category="finance", country="BR"),
    ]
    campaigns = [dict(CAMPAIGNS[0], name="@SUM(A1:A9)")]
    return golden_world(tmp_path_factory.mktemp("hostile"), businesses=businesses, ad_campaigns=campaigns)


@pytest.fixture(scope="module")
def spiky(tmp_path_factory):
    """Three reports a day for 20 days, then 30 on one day."""
    start = date(2026, 5, 1)
    messages, reports = [], []
    for d in range(21):
        day = start + timedelta(days=d)
        n = 30 if d == 20 else 3
        for i in range(n):
            mid = f"m{d}_{i}"
            messages.append(
                msg(mid, f"{day}T08:00:00Z", "b1", f"u{d}_{i}", "outbound", "IN", "marketing", "promo", "delivered")
            )
            reports.append(report(f"r{d}_{i}", f"{day}T09:00:00Z", f"u{d}_{i}", "b1", "spam", mid))
    root, _ = build(tmp_path_factory.mktemp("spiky"), businesses=BUSINESSES[:1], messages=messages, reports=reports)
    return root


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def tables(monkeypatch):
    """Every table a page draws, by its download name: the frame and the CSV offered for it."""
    seen: dict[str, tuple[pl.DataFrame, str]] = {}
    original = web_tables.table

    def recording(df, name, f, *args, **kwargs):
        seen[name] = (df, safe_csv(df))
        return original(df, name, f, *args, **kwargs)

    monkeypatch.setattr(web_tables, "table", recording)
    return seen


def shown(at) -> dict:
    return {m.label: m.value for m in at.metric}


def last_30(root) -> Period:
    wh = warehouse(root)
    try:
        return Period.last(30, wh.date_range()[1])
    finally:
        wh.close()


def same(page_df: pl.DataFrame, expected: pl.DataFrame) -> None:
    """The page's frame starts with exactly the expected columns and rows."""
    assert_frame_equal(page_df.select(expected.columns), expected)


def cli_csv(root, name: str, period: Period, region: str | None = None) -> pl.DataFrame:
    args = ["--data-dir", str(root), "metrics", name, "--from", str(period.date_from), "--to", str(period.date_to)]
    if region:
        args += ["--region", region]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return pl.read_csv(io.StringIO(result.output), try_parse_dates=True)


# --------------------------------------------------------------------------- every page


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_with_numbers(page, world, monkeypatch):
    at = open_page(page, world, monkeypatch)
    assert at.title and not at.info and not at.warning
    assert at.metric and all(m.value not in ("", None) for m in at.metric)
    dates = at.sidebar.caption[0].value
    period = last_30(world)
    assert f"{period.date_from:%d %b %Y}" in dates and f"{period.date_to:%d %b %Y}" in dates


@pytest.mark.parametrize("page", PAGES)
def test_region_change_changes_the_numbers_and_the_url(page, world, monkeypatch):
    at = open_page(page, world, monkeypatch)
    before = shown(at)
    at.sidebar.selectbox(key="region").select("Latin America").run()
    assert not at.exception
    assert shown(at) != before
    assert at.query_params["region"] == "Latin America"
    at.sidebar.selectbox(key="period").select("Last 7 days").run()
    assert at.query_params["period"] == "7d"


@pytest.mark.parametrize("page", PAGES)
def test_analysts_see_no_user_identifiers(page, world, monkeypatch, tables):
    at = open_page(page, world, monkeypatch)
    for frame in at.dataframe:
        assert not any("user_id" == c for c in frame.value.columns)
    for df, _ in tables.values():
        assert "user_id" not in df.columns


@pytest.mark.parametrize("page", PAGES)
def test_signed_out_visitors_get_the_sign_in_form(page, world, monkeypatch):
    at = open_page(page, world, monkeypatch, who=None)
    assert not at.metric and not at.dataframe


# --------------------------------------------------------------------------- the metrics layer's numbers


def test_overview_shows_headlines_for_every_filter(golden, monkeypatch):
    params = {"period": "custom", "from": "2026-03-01", "to": "2026-03-03", "category": "retail"}
    at = open_page("overview", golden, monkeypatch, params)
    wh = warehouse(golden)
    expected = headline(wh, Filters(Period(date(2026, 3, 1), date(2026, 3, 3)), category="retail"))
    got = shown(at)
    assert got["Messages"] == f"{expected['messages']:,}" == "8"  # b1's eight messages
    assert got["Spam reports"] == "2"
    assert got["Revenue"] == f"${expected['revenue_usd']:,.2f}"


def test_spam_page_shows_the_spam_reports_metric(world, monkeypatch, tables):
    at = open_page("spam_reports", world, monkeypatch)
    period = last_30(world)
    wh = warehouse(world)
    expected = compute(wh, "spam_reports", period)
    same(tables["spam_reports"][0], expected)
    got = shown(at)
    assert got["Spam reports"] == f"{expected['reports'].sum():,}"
    messages = wh.scalar(
        "select sum(ok) from business_day where direction = 'outbound' and day between $a and $b",
        {"a": period.date_from, "b": period.date_to},
    )
    assert got["Messages (outbound, not failed)"] == f"{messages:,}"
    assert got["Reports per 1,000 messages"] == f"{expected['reports'].sum() / messages * 1000:,.2f}"
    by_region = tables["spam_by_region"][0]
    assert by_region["reports"].sum() == expected["reports"].sum()
    assert by_region["messages"].sum() == messages
    top = tables["most_reported_businesses"][0]
    rates = compute(wh, "block_rates", period).select("business_id", "report_rate")
    joined = top.join(rates, on="business_id", suffix="_metric")
    assert joined.height and (joined["report_rate"] - joined["report_rate_metric"]).abs().max() < 1e-12


def test_block_rates_page_shows_the_block_rates_and_quality_metrics(world, monkeypatch, tables):
    # 7 days: the 7 before lie in the data too, so the page shows changes (30 would not: 40 days of data).
    at = open_page("block_rates", world, monkeypatch, {"period": "7d"})
    period = Period.last(7, last_30(world).date_to)
    wh = warehouse(world)
    table = tables["block_rates"][0]
    # The page lists the businesses highest block rate first; the rows are the metric's.
    same(table.sort("business_id"), compute(wh, "block_rates", period))
    quality = compute(wh, "quality", period).select("business_id", "rating", "negative_rate")
    same(
        table.join(quality.select("business_id"), on="business_id").sort("business_id"),
        quality.join(table.select("business_id"), on="business_id").sort("business_id"),
    )
    before = compute(wh, "block_rates", period.previous()).select("business_id", pl.col("block_rate").alias("b"))
    changes = table.join(before, on="business_id").with_columns(d=pl.col("block_rate") - pl.col("b"))
    assert (changes["block_rate_change"] - changes["d"]).abs().max() < 1e-12
    assert shown(at)["Businesses with reached users"] == f"{table.height:,}"
    settings = Settings()
    assert f"{settings.quality_medium_from:.1%}" in at.text[0].value
    ratings = tables["ratings_by_day"][0].filter(pl.col("day") == period.date_to)
    counts = compute(wh, "quality", period).group_by("rating").len()
    assert dict(ratings.select("rating", "businesses").iter_rows()) == dict(counts.iter_rows())


def test_block_rates_page_uses_the_thresholds_in_force(world, monkeypatch, tables):
    Settings(quality_min_reached=1, quality_medium_from=0.001, quality_low_from=0.002).save(world)
    try:
        at = open_page("block_rates", world, monkeypatch)
        period = last_30(world)
        wh = warehouse(world)
        quality = compute(wh, "quality", period)
        assert "under 1 reached users" in at.text[0].value
        assert (
            tables["block_rates"][0]
            .join(quality.select("business_id", pl.col("rating").alias("r")), on="business_id")
            .filter(pl.col("rating") != pl.col("r"))
            .is_empty()
        )
    finally:
        (world / "settings.json").unlink()


def test_status_ads_page_counts_reach_over_the_period(world, monkeypatch, tables):
    at = open_page("status_ads", world, monkeypatch)
    period = last_30(world)
    wh = warehouse(world)
    same(tables["ad_reach"][0], compute(wh, "ad_reach", period))
    reach = wh.scalar(
        "select count(distinct user_id) from ad_user_day where impressions > 0 and day between $a and $b",
        {"a": period.date_from, "b": period.date_to},
    )
    assert shown(at)["Reach"] == f"{reach:,}"
    daily = tables["status_ads_by_day"][0]
    assert daily["reach"].sum() > reach  # the same users come back on several days: reach never adds up
    assert tables["status_ads_by_region"][0]["impressions"].sum() == daily["impressions"].sum()


def test_revenue_page_shows_the_revenue_by_region_metric(world, monkeypatch, tables):
    at = open_page("revenue", world, monkeypatch)
    period = last_30(world)
    wh = warehouse(world)
    expected = compute(wh, "revenue_by_region", period)
    same(tables["revenue_by_region"][0], expected)
    got = shown(at)
    assert got["Total revenue"] == formats.short_usd(expected["total_revenue_usd"].sum())
    assert got["Billable messages"] == formats.short_number(expected["billable_messages"].sum())
    by_market = tables["revenue_by_market"][0]
    assert by_market["messaging_revenue_usd"].sum() == pytest.approx(expected["messaging_revenue_usd"].sum())
    assert by_market["ad_revenue_usd"].sum() == pytest.approx(expected["ad_revenue_usd"].sum())


def test_messaging_health_page_shows_the_answered_share(world, monkeypatch, tables):
    at = open_page("messaging_health", world, monkeypatch)
    period = last_30(world)
    wh = warehouse(world)
    opened, answered = wh.query(
        "select sum(opened), sum(answered_24h) from response_day where day between $a and $b",
        {"a": period.date_from, "b": period.date_to},
    ).row(0)
    got = shown(at)
    assert got["Answered within 24 h"] == f"{answered / opened:.1%}"
    assert got["Conversations opened by users"] == f"{opened:,}"
    freeform = wh.scalar(
        "select sum(freeform_outside) from business_day where day between $a and $b",
        {"a": period.date_from, "b": period.date_to},
    )
    assert got["Free-form outside window"] == f"{freeform:,}"
    assert (
        tables["outreach_by_category"][0]["cold_messages"].sum()
        == tables["outreach_by_business"][0]["cold_messages"].sum()
    )


@pytest.mark.parametrize("page", list(SPEC_TABLES))
@pytest.mark.parametrize("region", [None, "Asia Pacific"])
def test_csv_downloads_carry_the_cli_numbers(page, region, world, monkeypatch, tables):
    params = {"period": "custom", "from": "2026-09-05", "to": "2026-09-25"}
    if region:
        params["region"] = region
    open_page(page, world, monkeypatch, params)
    name = SPEC_TABLES[page]
    downloaded = pl.read_csv(io.StringIO(tables[name][1]), try_parse_dates=True)
    expected = cli_csv(world, name, Period(date(2026, 9, 5), date(2026, 9, 25)), region)
    if name == "block_rates":  # the page orders businesses by block rate, the command by id
        downloaded = downloaded.sort("business_id")
    assert list(downloaded.columns[: len(expected.columns)]) == list(expected.columns)
    assert list(expected.columns[: len(METRICS[name])]) == list(METRICS[name])
    assert_frame_equal(downloaded.select(expected.columns), expected)


# --------------------------------------------------------------------------- filters in the URL


def test_filters_come_from_the_url(golden, monkeypatch, tables):
    params = {
        "period": "custom",
        "from": "2026-03-01",
        "to": "2026-03-03",
        "region": "Asia Pacific",
        "market": "India",
        "category": "retail",
    }
    at = open_page("block_rates", golden, monkeypatch, params)
    assert at.sidebar.selectbox(key="period").value == "Custom range"
    assert at.sidebar.date_input(key="period_dates").value == (date(2026, 3, 1), date(2026, 3, 3))
    assert at.sidebar.selectbox(key="region").value == "Asia Pacific"
    assert at.sidebar.selectbox(key="market").value == "India"
    assert at.sidebar.selectbox(key="category").value == "retail"
    wh = warehouse(golden)
    f = Filters(Period(date(2026, 3, 1), date(2026, 3, 3)), "Asia Pacific", "India", "retail")
    table = tables["block_rates"][0]
    same(table, views.metric(wh, "block_rates", f))
    assert table["business_id"].to_list() == ["b1"]
    assert at.query_params == params


def test_relative_periods_end_on_the_last_day_in_the_data(golden, monkeypatch, tables):
    at = open_page("spam_reports", golden, monkeypatch, {"period": "7d"})
    assert at.sidebar.selectbox(key="period").value == "Last 7 days"
    assert "25 Feb 2026 – 03 Mar 2026" in at.sidebar.caption[0].value
    assert tables["spam_reports"][0]["reports"].sum() == 3


def test_unknown_url_values_are_ignored_with_a_warning(golden, monkeypatch):
    at = open_page("overview", golden, monkeypatch, {"region": "Atlantis", "market": "<b>x</b>", "period": "2y"})
    assert at.sidebar.selectbox(key="region").value == "All regions"
    assert at.sidebar.selectbox(key="market").value == "All markets"
    assert at.sidebar.selectbox(key="period").value == "Last 30 days"
    warnings = " ".join(w.value for w in at.sidebar.warning)
    assert "region" in warnings and "market" in warnings and "<b>" not in warnings
    assert "region" not in at.query_params and "market" not in at.query_params


def test_a_market_outside_the_chosen_region_is_dropped(golden, monkeypatch):
    at = open_page("overview", golden, monkeypatch, {"market": "India"})
    assert at.sidebar.selectbox(key="market").value == "India"
    at.sidebar.selectbox(key="region").select("Latin America").run()
    assert at.sidebar.selectbox(key="market").value == "All markets"
    assert "India" not in at.sidebar.selectbox(key="market").options
    assert "market" not in at.query_params


def test_filters_carry_from_page_to_page(world, monkeypatch):
    monkeypatch.setenv("TRUSTDESK_DATA", str(world))
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    sign_in_apptest(at, world, Principal("pm", "analyst"))
    at.run()
    at.sidebar.selectbox(key="region").select("Europe").run()
    at.sidebar.selectbox(key="period").select("Last 7 days").run()
    at.switch_page("pages/analytics/revenue.py").run()
    assert not at.exception
    assert at.title[0].value == "Revenue by region"
    assert at.sidebar.selectbox(key="region").value == "Europe"
    assert at.sidebar.selectbox(key="period").value == "Last 7 days"
    assert at.query_params.get("region") == "Europe"


# --------------------------------------------------------------------------- the read side


def test_market_and_category_filters_partition_the_additive_metrics(world):
    # One SQL model per metric serves the CLI (filters off) and the pages (filters on): the rows of
    # every market (or every category) add up to the unfiltered table.
    wh = warehouse(world)
    period = Period.last(30, wh.date_range()[1])
    markets = wh.query("SELECT DISTINCT user_market FROM business_user_day")["user_market"].to_list()
    categories = wh.query("SELECT DISTINCT category FROM dim_businesses")["category"].to_list()
    whole = compute(wh, "spam_reports", period)["reports"].sum()
    assert whole > 0
    for column, values in (("market", markets), ("category", categories)):
        parts = sum(compute(wh, "spam_reports", period, **{column: v})["reports"].sum() for v in values)
        assert parts == whole, column
    revenue = compute(wh, "revenue_by_region", period)["messaging_revenue_usd"].sum()
    by_category = sum(
        compute(wh, "revenue_by_region", period, category=c)["messaging_revenue_usd"].sum() for c in categories
    )
    assert abs(by_category - revenue) < 1e-6


@pytest.mark.parametrize("name", list(METRICS))
def test_a_market_filter_counts_like_its_region_when_it_is_the_only_market(name, golden):
    # tests/worlds.py maps IN to India (Asia Pacific) and BR to Brazil (Latin America) only.
    wh = warehouse(golden)
    period = Period(date(2026, 3, 1), date(2026, 3, 3))
    for market, region in (("India", "Asia Pacific"), ("Brazil", "Latin America")):
        assert_frame_equal(views.metric(wh, name, Filters(period, market=market)), compute(wh, name, period, region))


@pytest.mark.parametrize("name", ["block_rates", "quality"])
def test_a_category_filter_keeps_that_category_s_businesses(name, golden):
    wh = warehouse(golden)
    period = Period(date(2026, 3, 1), date(2026, 3, 3))
    got = views.metric(wh, name, Filters(period, category="finance"))
    assert_frame_equal(got, compute(wh, name, period).filter(pl.col("category") == "finance"))
    assert got["business_id"].to_list() == ["b2"]


def test_a_category_filter_narrows_reports_and_revenue(golden):
    wh = warehouse(golden)
    period = Period(date(2026, 3, 1), date(2026, 3, 3))
    spam = views.metric(wh, "spam_reports", Filters(period, category="retail"))
    assert spam.rows() == [(date(2026, 3, 2), "spam", 1), (date(2026, 3, 3), "spam", 1)]
    revenue = views.metric(wh, "revenue_by_region", Filters(period, category="finance"))
    # b2: m8 (India marketing 0.01), m9 (Brazil marketing 0.06); no price for authentication in Brazil
    # float(): money may be Decimal (exact), which pytest.approx does not compare with floats
    assert {k: float(v) for k, v in revenue.select("region", "messaging_revenue_usd").iter_rows()} == pytest.approx(
        {"Asia Pacific": 0.01, "Latin America": 0.06}
    )
    ads = views.metric(wh, "ad_reach", Filters(period, category="finance"))
    assert ads.is_empty()  # the campaign belongs to b1 (retail)


def test_a_day_far_above_the_recent_baseline_is_marked(spiky, monkeypatch, tables):
    at = open_page("spam_reports", spiky, monkeypatch, {"period": "7d"})
    baseline = views.spam_view(warehouse(spiky), Filters(last_30(spiky))).baseline
    marked = baseline.filter(pl.col("far_above"))
    assert marked["date"].to_list() == [date(2026, 5, 21)]
    assert marked["baseline"].to_list() == [pytest.approx(3.0)]
    assert shown(at)["Days far above the baseline"] == "1"


def test_ratings_over_time_come_from_the_quality_day_mart(world):
    wh = warehouse(world)
    last = wh.date_range()[1]
    view = views.block_view(wh, Filters(Period.last(10, last)), Settings())
    for day in (last, last - timedelta(days=5)):
        expected = compute(wh, "quality", Period(day, day)).group_by("rating").len()
        got = view.ratings.filter(pl.col("day") == day).select("rating", "businesses")
        assert dict(got.iter_rows()) == dict(expected.iter_rows())


def test_pages_are_thin_and_read_marts_only():
    for page in PAGES:
        text = page_path(page).read_text()
        assert text.count("cache.cached(") == 1, page
        assert "select " not in text.lower() and ".query(" not in text and "unsafe_allow_html" not in text
        assert 'viewer = session.require("analyst")' in text
    for sql in (REPO_ROOT / "trustdesk").rglob("*.sql"):
        assert "raw_" not in sql.read_text(), sql.name


# --------------------------------------------------------------------------- empty and hostile data


@pytest.mark.parametrize("page", PAGES)
def test_a_fresh_data_directory_points_to_the_demo_and_the_upload_page(page, tmp_path, monkeypatch):
    at = open_page(page, tmp_path / "empty", monkeypatch)
    assert "trustdesk demo" in at.info[0].value and "Upload page" in at.info[0].value
    assert not at.metric and not at.dataframe


@pytest.mark.parametrize("page", PAGES)
def test_filters_without_data_say_what_to_change(page, golden, monkeypatch):
    # Dates outside the data cannot be chosen any more (tests/analytics/test_periods.py); filters can.
    at = open_page(page, golden, monkeypatch, {"region": "North America", "category": "travel"})
    advice = at.info[0].value
    assert advice.startswith("No ")
    assert "set Business category to All categories" in advice and "set Region to All regions" in advice


@pytest.mark.parametrize("page", PAGES)
def test_names_from_the_logs_are_never_markdown_and_csv_is_safe(page, hostile, monkeypatch, tables):
    at = open_page(page, hostile, monkeypatch, {"from": "2026-03-01", "to": "2026-03-03"})
    rendered = [
        e.value
        for kind in ("markdown", "caption", "text", "info", "warning", "title", "subheader")
        for e in getattr(at, kind)
    ]
    assert not any("HYPERLINK" in v or "Bold" in v or "SUM(" in v for v in rendered)
    for name, (_df, csv) in tables.items():
        assert "\n=" not in csv and ",=" not in csv and ",@" not in csv and "\n@" not in csv, name
    if page == "block_rates":
        assert "'=HYPERLINK" in tables["block_rates"][1]
    if page == "status_ads":
        assert "'@SUM(A1:A9)" in tables["ad_reach"][1]


# --------------------------------------------------------------------------- charts, totals, benchmark


def _color_encodings(node):
    if isinstance(node, dict):
        color = node.get("encoding", {}).get("color")
        if isinstance(color, dict) and "field" in color:
            yield color
        for value in node.values():
            yield from _color_encodings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _color_encodings(value)


@pytest.mark.parametrize("page", PAGES)
def test_regions_and_categories_have_one_colour_everywhere(page, world, monkeypatch):
    import json

    from trustdesk.web import colors

    at = open_page(page, world, monkeypatch)
    expected = {"region": colors.REGION_COLORS, "category": colors.CATEGORY_COLORS}
    found = set()
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        for color in _color_encodings(spec):
            if color["field"] in expected:
                scale = color["scale"]
                assert dict(zip(scale["domain"], scale["range"])) == expected[color["field"]]
                found.add(color["field"])
    assert (
        found
        == {
            "overview": set(),
            "spam_reports": {"region", "category"},
            "block_rates": {"category"},
            "status_ads": {"region"},
            "revenue": {"region"},
            "messaging_health": {"region", "category"},
        }[page]
    )


def test_previous_period_ad_totals_equal_the_breakdown_total(world):
    wh = warehouse(world)
    f = Filters(last_30(world), "Europe")
    total = run(wh, "ad_breakdown", f.params()).filter(pl.col("dimension") == "all")
    assert_frame_equal(run(wh, "ad_totals", f.params()), total.select(views.AD_TOTALS))


def test_overview_trends_are_the_daily_numbers(world):
    from trustdesk.analytics.overview import TRENDS, overview

    view = overview(warehouse(world), Filters(last_30(world)))
    trends = view.trends
    assert trends.height == view.daily.height * len(TRENDS)
    messages = trends.filter(pl.col("measure") == "Messages")["value"].sum()
    assert messages == view.current["messages"]


def test_the_page_benchmark_rewrites_only_its_own_section(tmp_path, monkeypatch):
    from bench import pages as bench_pages

    doc = tmp_path / "BENCHMARKS.md"
    doc.write_text(
        "# Benchmarks\n\nintro\n\n## Loading\n\nload table\n\n## Pages\n\nold\n\n## Metrics\n\nmetric table\n"
    )
    monkeypatch.setattr(bench_pages, "DOC", doc)
    bench_pages.write_section("## Pages\n\nnew table\n")
    assert doc.read_text() == (
        "# Benchmarks\n\nintro\n\n## Loading\n\nload table\n\n## Pages\n\nnew table\n\n## Metrics\n\nmetric table\n"
    )
    doc.write_text("# Benchmarks\n\nonly the loader's\n")
    bench_pages.write_section("## Pages\n\nnew table\n")
    assert doc.read_text() == "# Benchmarks\n\nonly the loader's\n\n## Pages\n\nnew table\n"


def test_models_get_exactly_the_parameters_they_name(golden):
    wh = warehouse(golden)
    f = Filters(Period(date(2026, 3, 1), date(2026, 3, 3)))
    assert run(wh, "block_reasons", f.params(unused="ignored")).height == 2
    with pytest.raises(KeyError, match="min_reached"):
        run(wh, "ratings_by_day", f.params())


def test_the_market_filter_offers_the_reference_markets_and_other(golden):
    markets = views.choices(warehouse(golden)).markets
    assert markets == {
        "Brazil": ("Latin America",),
        "India": ("Asia Pacific",),
        "North America": ("North America",),
        "Other": ("Other",),
    }
