"""Charts and tables of the analytics pages (#10, product managers): empty states instead of empty
charts, one label per missing value, counts drawn from zero with whole ticks, money and rate axes
that read well, businesses by block rate, one date format, CSV names that carry the filters."""

from __future__ import annotations

import json
import re
from datetime import date

import polars as pl
import pytest

from tests.worlds import AD_EVENTS, BLOCKS, REPORTS, ad, block, golden_world, open_page, report, warehouse
from trustdesk.analytics import views
from trustdesk.analytics.metrics import Period
from trustdesk.analytics.views import Filters
from trustdesk.web import charts, formats
from trustdesk.web import tables as web_tables

PAGES = ("overview", "spam_reports", "block_rates", "status_ads", "revenue", "messaging_health")


# --------------------------------------------------------------------------- worlds


@pytest.fixture(scope="module")
def gaps(tmp_path_factory):
    """test_metrics' golden world with the values the logs may leave empty, and a day of Status ad
    events without an impression:
    - k3: a block without a reason (of b2 by u6, so b2's block rate, 2/2, passes b1's, 1/2);
    - r4: a report of m4, a free-form message (no template); r3 already names no message;
    - a7: a click on 03 Mar, the only ad event that day (03 Mar: campaign events, reach 0)."""
    return golden_world(
        tmp_path_factory.mktemp("gaps"),
        blocks=[*BLOCKS, block("k3", "2026-03-03T12:00:00Z", "u6", "b2", "")],
        reports=[*REPORTS, report("r4", "2026-03-02T16:00:00Z", "u1", "b1", "spam", "m4")],
        ad_events=[*AD_EVENTS, ad("a7", "2026-03-03T10:00:00Z", "u1", "IN", "click", "0")],
    )


@pytest.fixture(scope="module")
def world(make_world):
    return make_world("charts", seed=3, businesses=40, days=20, messages=20_000) / "data"


@pytest.fixture
def tables(monkeypatch):
    seen: dict[str, pl.DataFrame] = {}
    original = web_tables.table

    def recording(df, name, f, *args, **kwargs):
        seen[name] = df
        return original(df, name, f, *args, **kwargs)

    monkeypatch.setattr(web_tables, "table", recording)
    return seen


def specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def units(node, axes: bool = False):
    """Every single-view spec (one mark and its encoding) inside a chart's spec; with `axes`, only
    those that draw axes: of a layer, the first (the others share its axes)."""
    if isinstance(node, dict):
        if axes and "layer" in node:
            yield from units(node["layer"][0], axes)
            return
        if "mark" in node:
            yield node
        for value in node.values():
            yield from units(value, axes)
    elif isinstance(node, list):
        for value in node:
            yield from units(value, axes)


def axis_units(node):
    return units(node, axes=True)


def infos(at) -> str:
    return " ".join(i.value for i in at.info)


# --------------------------------------------------------------------------- empty states


def test_a_measure_with_nothing_to_draw_is_named_not_drawn_flat(gaps, monkeypatch):
    # finance (b2) has messages and a block but no Status ads: the ad reach panel would be a flat
    # line at 0 with a "NaN" axis.
    at = open_page("overview", gaps, monkeypatch, {"category": "finance"})
    titles = [u.get("title") for spec in specs(at) for u in units(spec)]
    assert "Status ad reach (users that day)" not in titles
    assert "Messages" in titles
    assert "No Status ad reach (users that day) in this period for these filters: nothing to chart." in infos(at)


def test_status_ads_without_impressions_say_so_instead_of_drawing_zeros(gaps, monkeypatch):
    # 03 Mar: campaign c1 has one click and no impression, so reach, impressions and spend are 0.
    at = open_page("status_ads", gaps, monkeypatch, {"from": "2026-03-03", "to": "2026-03-03"})
    titles = [u.get("title") for spec in specs(at) for u in units(spec)]
    assert titles == ["Clicks"]
    text = infos(at)
    assert "No Reach (users that day), Impressions or Spend (USD) in this period" in text
    assert "No Status ad reach in this period for these filters: nothing to chart." in text


def test_chart_functions_return_nothing_for_empty_frames():
    empty = pl.DataFrame(schema={"day": pl.Date, "measure": pl.String, "value": pl.Float64})
    assert charts.trend_panels(empty, ["Messages"], columns=1, panel_width=100) is None
    zeros = pl.DataFrame({"day": [date(2026, 3, 1)] * 2, "measure": ["Messages", "Blocks"], "value": [0, None]})
    assert charts.trend_panels(zeros, ["Messages", "Blocks"], columns=1, panel_width=100) is None
    assert charts.empty_measures(zeros, ["Messages", "Blocks"]) == ["Messages", "Blocks"]
    assert charts.block_reasons(pl.DataFrame(schema={"reason": pl.String, "blocks": pl.Int64})) is None
    assert (
        charts.answered_by_day(
            pl.DataFrame(
                {"day": [date(2026, 3, 1)], "answered_24h_share": [None], "opened": [0]},
                schema_overrides={"answered_24h_share": pl.Float64},
            )
        )
        is None
    )
    assert (
        charts.revenue_over_time(
            pl.DataFrame(
                schema={
                    "day": pl.Date,
                    "stream": pl.String,
                    "revenue_usd": pl.Decimal(38, 9),
                    "billable_messages": pl.Int64,
                }
            )
        )
        is None
    )


# --------------------------------------------------------------------------- one label for a missing value


def test_a_block_without_a_reason_has_one_label_in_chart_and_table(gaps, monkeypatch, tables):
    at = open_page("block_rates", gaps, monkeypatch)
    reasons = tables["block_reasons"]
    assert views.NO_REASON == "(no reason given)"
    assert views.NO_REASON in reasons["reason"].to_list() and reasons["reason"].null_count() == 0
    shown = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert views.NO_REASON in list(shown["reason"])
    reason_colours = [
        u["encoding"]["color"]["scale"]["domain"]
        for spec in specs(at)
        for u in units(spec)
        if u["encoding"].get("color", {}).get("field") == "reason"
    ]
    assert reason_colours and all(views.NO_REASON in domain for domain in reason_colours)


def test_a_report_without_a_template_has_one_label(gaps, monkeypatch, tables):
    open_page("spam_reports", gaps, monkeypatch)
    templates = dict(tables["most_reported_templates"].select("template", "reports").iter_rows())
    assert templates == {views.NO_TEMPLATE: 2, "promo": 1, "promo2": 1}  # r3 (no message) and r4 (m4)


# --------------------------------------------------------------------------- axes


def test_line_charts_of_counts_are_straight_and_start_at_zero(world, monkeypatch):
    at = open_page("overview", world, monkeypatch)
    lines = [u for spec in specs(at) for u in units(spec) if u["mark"]["type"] == "line"]
    assert len(lines) == 6
    for line in lines:
        assert line["mark"]["interpolate"] == "linear"
        assert line["encoding"]["y"]["scale"]["domainMin"] == 0


COUNT_PANELS = {
    "Messages",
    "Active businesses",
    "Spam reports",
    "Blocks",
    "Status ad reach (users that day)",
    "Reach (users that day)",
    "Impressions",
    "Clicks",
}


def count_axes(spec: dict) -> list[dict]:
    """The quantitative axes of counts: count fields, count() aggregates, trend panels of counts."""
    counts = {"reports", "blocks", "reach", "opened", "businesses"}
    found = []
    for u in axis_units(spec):
        for channel in ("x", "y"):
            enc = u["encoding"].get(channel, {})
            if enc.get("type") == "quantitative" and (
                enc.get("field") in counts or enc.get("aggregate") == "count" or u.get("title") in COUNT_PANELS
            ):
                found.append(enc)
    return found


@pytest.mark.parametrize("page", [p for p in PAGES if p != "revenue"])  # revenue's axes are money
def test_count_axes_have_whole_ticks(page, world, monkeypatch):
    at = open_page(page, world, monkeypatch)
    axes = [axis for spec in specs(at) for axis in count_axes(spec)]
    assert axes, page
    for enc in axes:
        assert enc["axis"]["tickMinStep"] == 1 and enc["axis"]["labelExpr"] == charts.COUNT_LABELS, enc


def test_revenue_axes_use_the_money_format(world, monkeypatch):
    at = open_page("revenue", world, monkeypatch)
    money = [
        enc
        for spec in specs(at)
        for u in units(spec)
        for enc in u["encoding"].values()
        if isinstance(enc, dict) and "revenue" in str(enc.get("field", "")) and "axis" in enc
    ]
    assert len(money) == 2
    for enc in money:
        assert enc["axis"]["labelExpr"] == charts.MONEY_LABELS and "format" not in enc["axis"]


def test_the_money_axis_expression_labels_like_the_headlines():
    # "$0k, $0.05k" came from d3's "~s" on small values; the expression keeps dollars and cents
    # below a thousand and abbreviates above it.
    assert "'$' + format(datum.value, ',.2~f')" in charts.MONEY_LABELS
    assert "abs(datum.value) >= 1e+06 ? '$' + format(datum.value / 1e+06, '.1~f') + 'M'" in charts.MONEY_LABELS
    assert "~s" not in charts.MONEY_LABELS


def test_shares_near_one_value_get_a_zoomed_axis():
    regions = pl.DataFrame(
        {
            "region": ["Europe", "Asia Pacific", "Other"],
            "answered_24h_share": [0.88, 0.91, 0.895],
            "opened": [100, 120, 90],
        }
    )
    drawn = charts.answered_by_region(regions).to_dict()
    scale = drawn["encoding"]["x"]["scale"]
    assert scale["zero"] is False and 0.85 <= scale["domain"][0] < 0.88 and 0.91 < scale["domain"][1] <= 0.95
    assert drawn["mark"]["type"] == "point"  # bars would have to start at 0
    spread = pl.DataFrame({"region": ["Europe", "Other"], "answered_24h_share": [0.1, 0.9], "opened": [1, 1]})
    assert charts.answered_by_region(spread).to_dict()["encoding"]["x"]["scale"]["domainMin"] == 0


def test_the_answered_by_region_chart_is_zoomed_to_its_data(world, monkeypatch, tables):
    at = open_page("messaging_health", world, monkeypatch)
    shares = tables["response_by_region"]["answered_24h_share"].drop_nulls().to_list()
    expected = charts.share_scale(shares).to_dict()
    x = next(
        u["encoding"]["x"]
        for spec in specs(at)
        for u in units(spec)
        if u["encoding"].get("x", {}).get("field") == "answered_24h_share"
    )
    assert x["scale"] == expected


def test_charts_take_decimal_money():
    daily = pl.DataFrame(
        {
            "day": [date(2026, 3, 1), date(2026, 3, 2)],
            "stream": ["marketing", "ads"],
            "revenue_usd": ["581.8959", "0.05"],
            "billable_messages": [3, 0],
        },
        schema_overrides={"revenue_usd": pl.Decimal(38, 9)},
    )
    drawn = charts.revenue_over_time(daily)
    values = list(drawn.to_dict()["datasets"].values())[0]
    assert [v["revenue_usd"] for v in values] == [pytest.approx(581.8959), pytest.approx(0.05)]
    assert charts.plain(daily).schema["revenue_usd"] == pl.Float64


# --------------------------------------------------------------------------- tables, dates, downloads


def test_businesses_are_listed_highest_block_rate_first(gaps, world, monkeypatch, tables):
    open_page("block_rates", gaps, monkeypatch)
    assert tables["block_rates"]["business_id"].to_list() == ["b2", "b1"]  # 2/2 blocked, then 1/2
    open_page("block_rates", world, monkeypatch)
    rates = tables["block_rates"]["block_rate"].to_list()
    assert rates == sorted(rates, reverse=True) and len(set(rates)) > 1


ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@pytest.mark.parametrize("page", PAGES)
def test_dates_read_one_way_in_text_charts_and_tables(page, world, monkeypatch):
    at = open_page(page, world, monkeypatch, {"from": "2026-09-05", "to": "2026-09-15"})
    texts = [
        e.value for kind in ("caption", "markdown", "text", "info", "warning", "subheader") for e in getattr(at, kind)
    ] + [m.label for m in at.metric]
    assert not [t for t in texts if ISO_DATE.search(t)]
    assert "05 Sep 2026 – 15 Sep 2026" in at.sidebar.caption[0].value
    for spec in specs(at):
        for u in axis_units(spec):
            for enc in u["encoding"].values():
                for e in enc if isinstance(enc, list) else [enc]:
                    if isinstance(e, dict) and e.get("type") == "temporal":
                        assert e.get("axis", e).get("format") == charts.DATE_FORMAT, e
    for frame in at.dataframe:
        for column in json.loads(frame.proto.columns).values():
            if column.get("type_config", {}).get("type") == "date":
                assert column["type_config"]["format"] == "DD MMM YYYY"


def test_dates_in_python_and_in_charts_have_the_same_format():
    assert formats.day(date(2026, 9, 10)) == "10 Sep 2026"
    assert formats.DATE_FORMAT == charts.DATE_FORMAT
    assert formats.timestamp("2026-10-09T21:03:07+00:00") == "09 Oct 2026 21:03 UTC"


def test_csv_names_carry_every_filter():
    f = Filters(Period(date(2026, 3, 1), date(2026, 3, 3)), "Middle East & Africa", "Rest of Africa", "retail")
    assert (
        web_tables.csv_name("block_rates", f)
        == "block_rates_2026-03-01_2026-03-03_middle-east-africa_rest-of-africa_retail.csv"
    )
    assert (
        web_tables.csv_name("spam_reports", Filters(Period(date(2026, 3, 1), date(2026, 3, 3))))
        == "spam_reports_2026-03-01_2026-03-03.csv"
    )
    odd = Filters(Period(date(2026, 3, 1), date(2026, 3, 1)), market="Côte d'Ivoire / ../x")
    assert re.fullmatch(r"[a-z0-9_.-]+", web_tables.csv_name("t", odd)) and "/" not in web_tables.csv_name("t", odd)


def test_the_pages_download_with_those_names(gaps, monkeypatch):
    import streamlit

    names = []
    original = streamlit.download_button

    def recording(*args, **kwargs):
        names.append(kwargs["file_name"])
        return original(*args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", recording)
    open_page(
        "spam_reports",
        gaps,
        monkeypatch,
        {"from": "2026-03-01", "to": "2026-03-03", "region": "Asia Pacific", "market": "India", "category": "retail"},
    )
    assert "spam_reports_2026-03-01_2026-03-03_asia-pacific_india_retail.csv" in names
    assert all(n.endswith("_2026-03-01_2026-03-03_asia-pacific_india_retail.csv") for n in names), names


def test_the_read_side_fills_missing_labels_once(gaps):
    wh = warehouse(gaps)
    f = Filters(Period(date(2026, 3, 1), date(2026, 3, 3)))
    assert views.block_view(wh, f, views.Settings()).reasons["reason"].null_count() == 0
    assert views.spam_view(wh, f).top_templates["template"].null_count() == 0


def test_vertical_axis_labels_sit_on_their_grid_lines():
    # Streamlit's theme lifts the labels above the lines unless the axis says otherwise; a point at
    # 0 then looked below zero on the Overview.
    import polars as pl

    from trustdesk.web import charts

    trends = pl.DataFrame(
        {"day": [date(2026, 3, 1), date(2026, 3, 2)], "measure": ["Messages", "Messages"], "value": [0, 4]}
    )
    spec = charts.trend_panels(trends, ["Messages"], columns=1, panel_width=200).to_dict()
    assert spec["concat"][0]["encoding"]["y"]["axis"]["labelBaseline"] == "middle"
