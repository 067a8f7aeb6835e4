"""The analytics filters: regions from the reference data, one category rule in every view."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from etl.settings import Settings
from tests.worlds import ad, block, build, msg, report, warehouse
from trustdesk.analytics import views
from trustdesk.analytics.filters import Filters, MetricError, Period, regions
from trustdesk.analytics.metrics import compute, quality_thresholds
from trustdesk.warehouse import run

P = Period(date(2026, 3, 1), date(2026, 3, 3))

# A replaced reference file: a region the shipped one lacks (Nordics), none in Europe; BR is in no
# market, so its users are in region Other.
MARKETS = """country,market,region
IN,India,Asia Pacific
SE,Sweden,Nordics
"""
RATE_CARD = """market,category,price_usd,effective_from
India,marketing,0.01,2026-01-01
Sweden,marketing,0.05,2026-01-01
"""

# b1 (retail) and b3, which no businesses file defines (category 'unknown'), each with messages in
# and out, a block, a report, an opt-out and a Status ad campaign.
MESSAGES = [
    msg("m1", "2026-03-01T10:00:00Z", "b1", "u1", "inbound", "IN"),
    msg("m2", "2026-03-01T10:05:00Z", "b1", "u1", "outbound", "IN", "marketing", "promo", "delivered"),
    msg("m3", "2026-03-02T11:00:00Z", "b1", "u2", "outbound", "SE", "marketing", "promo", "read"),
    msg("m4", "2026-03-01T12:00:00Z", "b3", "u3", "inbound", "SE"),
    msg("m5", "2026-03-01T12:10:00Z", "b3", "u3", "outbound", "SE", "marketing", "deal", "delivered"),
    msg("m6", "2026-03-02T09:00:00Z", "b3", "u4", "outbound", "BR", "marketing", "deal", "delivered"),
    msg("m7", "2026-03-03T09:00:00Z", "b3", "u5", "outbound", "IN", "marketing", "deal", "read"),
]
BLOCKS = [
    block("k1", "2026-03-02T15:00:00Z", "u2", "b1", "spam"),
    block("k2", "2026-03-02T16:00:00Z", "u4", "b3", "spam"),
]
REPORTS = [
    report("r1", "2026-03-02T12:30:00Z", "u2", "b1", "spam", "m3"),
    report("r2", "2026-03-03T10:00:00Z", "u5", "b3", "scam", "m7"),
]
OPT_OUTS = [
    dict(opt_out_id="o1", changed_at="2026-03-02T17:00:00Z", user_id="u1", business_id="b1", action="stop_marketing"),
    dict(opt_out_id="o2", changed_at="2026-03-02T17:00:00Z", user_id="u3", business_id="b3", action="stop_marketing"),
]
BUSINESSES = [dict(business_id="b1", name="Chai & Co", category="retail", country="IN")]
CAMPAIGNS = [
    dict(campaign_id="c1", business_id="b1", name="Spring", starts_on="2026-03-01", ends_on="2026-03-03"),
    dict(campaign_id="c3", business_id="b3", name="Deals", starts_on="2026-03-01", ends_on="2026-03-03"),
]
AD_EVENTS = [
    ad("a1", "2026-03-01T10:00:00Z", "u1", "IN", "impression", "0.001"),
    ad("a2", "2026-03-02T10:00:00Z", "u3", "SE", "impression", "0.002", campaign="c3"),
    ad("a3", "2026-03-02T10:01:00Z", "u4", "BR", "impression", "0.003", campaign="c3"),
]


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    root, results = build(
        tmp_path_factory.mktemp("filters"),
        markets=MARKETS,
        rate_card=RATE_CARD,
        businesses=BUSINESSES,
        messages=MESSAGES,
        blocks=BLOCKS,
        reports=REPORTS,
        opt_outs=OPT_OUTS,
        ad_campaigns=CAMPAIGNS,
        ad_events=AD_EVENTS,
    )
    assert all(r.status in ("loaded", "partial") for r in results), results
    w = warehouse(root)
    yield w
    w.close()


def test_regions_follow_the_reference_data(wh):
    assert regions(wh) == ("Asia Pacific", "Nordics", "Other")
    assert views.choices(wh).regions == ("Asia Pacific", "Nordics", "Other")
    nordics = compute(wh, "revenue_by_region", P, "Nordics")
    assert nordics["region"].to_list() == ["Nordics"] and nordics["billable_messages"].item() == 2


def test_a_region_missing_from_the_reference_data_is_refused_with_the_same_sentence(wh):
    sentence = "unknown region 'Europe'; choose one of: Asia Pacific, Nordics, Other"
    with pytest.raises(MetricError) as refused:
        compute(wh, "block_rates", P, "Europe")
    assert str(refused.value) == sentence
    for view in (views.headline, views.spam_view, views.ads_view, views.revenue_view, views.health_view):
        with pytest.raises(MetricError, match=sentence):
            view(wh, Filters(P, "Europe"))
    with pytest.raises(MetricError, match=sentence):
        views.block_view(wh, Filters(P, "Europe"), Settings())


def _total(frame: pl.DataFrame, column: str) -> float:
    if "dimension" in frame.columns:
        frame = frame.filter(pl.col("dimension") == "all")
    return float(frame[column].sum() or 0)


# Every model the filters narrow, with a measure that adds up over the businesses' categories.
ADDITIVE = [
    ("headline", "messages"),
    ("headline", "reports"),
    ("daily_activity", "messages"),
    ("daily_activity", "blocks"),
    ("active_businesses", "active_businesses"),
    ("ad_totals", "impressions"),
    ("ad_breakdown", "impressions"),
    ("ad_reach", "impressions"),
    ("block_rates", "reached_users"),
    ("block_rates", "blocking_users"),
    ("block_reasons", "blocks"),
    ("opt_out_rates", "opted_out_users"),
    ("outreach", "outbound_messages"),
    ("outreach", "windows_opened"),
    ("quality", "reached_users"),
    ("ratings_by_day", "businesses"),
    ("response_times", "opened"),
    ("revenue_by_region", "billable_messages"),
    ("revenue_by_region", "ad_revenue_usd"),
    ("revenue_daily", "revenue_usd"),
    ("spam_baseline", "reports"),
    ("spam_breakdown", "reports"),
    ("spam_breakdown", "messages"),
    ("spam_reports", "reports"),
    ("spam_top_businesses", "reports"),
    ("spam_top_templates", "reports"),
]


@pytest.mark.parametrize("name, column", ADDITIVE)
def test_the_category_unknown_selects_the_businesses_without_a_file_in_every_view(wh, name, column):
    def total(category):
        params = Filters(P, category=category).params(top=20, min_reports=5, **quality_thresholds(Settings()))
        return _total(run(wh, name, params), column)

    unknown, retail, everything = total("unknown"), total("retail"), total(None)
    assert unknown > 0 and retail > 0, (name, column)
    assert unknown + retail == pytest.approx(everything), (name, column)


def test_the_pages_category_unknown_matches_the_metric(wh):
    f = Filters(P, category="unknown")
    assert views.headline(wh, f)["reports"] == 1
    block = views.block_view(wh, f, Settings())
    assert block.businesses["business_id"].to_list() == ["b3"]
    assert views.spam_view(wh, f).by("category")["category"].to_list() == ["unknown"]
    assert views.ads_view(wh, f).campaigns["campaign_id"].to_list() == ["c3"]
