"""Golden tests: hand-written inputs, expected outputs worked out by hand from docs/metrics.md."""

from datetime import date
from decimal import Decimal

import pytest

from tests.worlds import build, msg, warehouse
from trustdesk.analytics.metrics import MetricError, Period, compute

P = Period(date(2026, 3, 1), date(2026, 3, 3))


@pytest.fixture(scope="module")
def wh(golden_wh):
    return golden_wh


def rows(df, key):
    return {r[key]: r for r in df.to_dicts()}


def test_block_and_report_rates(wh):
    got = rows(compute(wh, "block_rates", P), "business_id")
    assert got["b1"]["reached_users"] == 2  # u3's only message failed
    assert got["b1"]["blocking_users"] == 1
    assert got["b1"]["block_rate"] == pytest.approx(0.5)
    assert got["b1"]["reports"] == 2
    assert got["b1"]["report_rate"] == pytest.approx(2 / 5 * 1000)
    assert got["b2"]["report_rate"] == pytest.approx(1 / 3 * 1000)
    assert list(compute(wh, "block_rates", P).columns[:6]) == [
        "business_id",
        "reached_users",
        "blocking_users",
        "block_rate",
        "reports",
        "report_rate",
    ]


def test_region_filter_uses_message_country_for_messages_and_latest_country_for_feedback(wh):
    ap = rows(compute(wh, "block_rates", P, "Asia Pacific"), "business_id")
    # b2 reached u5 in India on 03-01; u5's block counts in u5's latest region, Latin America
    assert ap["b2"]["reached_users"] == 1 and ap["b2"]["blocking_users"] == 0
    assert ap["b1"]["reports"] == 1  # r3 comes from u9, who has no messages: region Other
    assert ap["b1"]["report_rate"] == pytest.approx(1 / 5 * 1000)
    la = rows(compute(wh, "block_rates", P, "Latin America"), "business_id")
    assert set(la) == {"b2"}
    assert la["b2"]["reached_users"] == 2 and la["b2"]["blocking_users"] == 1
    assert la["b2"]["report_rate"] == pytest.approx(500.0)


def test_unknown_region_is_refused(wh):
    with pytest.raises(MetricError, match="unknown region 'Atlantis'"):
        compute(wh, "block_rates", P, "Atlantis")


def test_reach_counts_distinct_users_over_the_period(wh):
    c1 = compute(wh, "ad_reach", P).to_dicts()[0]
    assert (c1["impressions"], c1["reach"], c1["clicks"], c1["replies"]) == (4, 2, 1, 1)
    assert c1["frequency"] == pytest.approx(2.0)
    assert c1["ctr"] == pytest.approx(0.25)
    assert c1["spend_usd"] == Decimal("0.005")  # money is exact: 0.001 x 3 + 0.002
    assert c1["cpm_usd"] == pytest.approx(1.25)
    day1 = compute(wh, "ad_reach", Period(date(2026, 3, 1), date(2026, 3, 1))).to_dicts()[0]
    day2 = compute(wh, "ad_reach", Period(date(2026, 3, 2), date(2026, 3, 2))).to_dicts()[0]
    both = compute(wh, "ad_reach", Period(date(2026, 3, 1), date(2026, 3, 2))).to_dicts()[0]
    assert (day1["reach"], day2["reach"], both["reach"]) == (1, 2, 2)  # not 1 + 2
    assert day1["ctr"] == 0 and day1["cpm_usd"] == pytest.approx(1.0)


def test_ratios_over_zero_are_null(wh):
    # Only the reply and click remain with no impression in this window
    got = compute(wh, "ad_reach", Period(date(2026, 3, 2), date(2026, 3, 2)), "Latin America").to_dicts()[0]
    assert got["impressions"] == 1
    none = compute(wh, "ad_reach", Period(date(2026, 3, 2), date(2026, 3, 2)), "North America")
    assert none.is_empty()


def test_revenue_prices_each_message_on_its_date(wh):
    got = rows(compute(wh, "revenue_by_region", P), "region")
    assert set(got) == {"Asia Pacific", "Latin America"}
    ap = got["Asia Pacific"]
    # m3 utility outside CSW 0.001, m5 0.01 (old price), m6 0.02 (new price), m8 0.01
    assert ap["billable_messages"] == 4
    assert ap["messaging_revenue_usd"] == Decimal("0.041")  # exact decimals, not approximately
    assert ap["ad_revenue_usd"] == Decimal("0.003")
    assert ap["total_revenue_usd"] == Decimal("0.044")
    la = got["Latin America"]
    # m9 Brazil marketing 0.06; m10 authentication has no Brazil price: billable, bills 0
    assert la["billable_messages"] == 2
    assert la["messaging_revenue_usd"] == Decimal("0.06")
    assert la["total_revenue_usd"] == Decimal("0.062")


def test_revenue_region_filter(wh):
    got = compute(wh, "revenue_by_region", P, "Latin America")
    assert got["region"].to_list() == ["Latin America"]


def test_spam_reports_by_day_and_reason(wh):
    got = compute(wh, "spam_reports", P)
    assert [(str(r["date"]), r["reason"], r["reports"]) for r in got.to_dicts()] == [
        ("2026-03-02", "spam", 1),
        ("2026-03-03", "scam", 1),
        ("2026-03-03", "spam", 1),
    ]
    other = compute(wh, "spam_reports", P, "Other")
    assert [(r["reason"], r["reports"]) for r in other.to_dicts()] == [("spam", 1)]


def test_quality_small_senders_are_unknown(wh):
    got = rows(compute(wh, "quality", P), "business_id")
    assert got["b1"]["reached_users"] == 2 and got["b1"]["negative_users"] == 2  # u2, and u9's report
    assert got["b1"]["negative_rate"] == pytest.approx(1.0)
    assert got["b1"]["rating"] == "UNKNOWN"


def test_customer_service_window_flags(wh):
    day = wh.query(
        "SELECT business_id, sum(freeform_outside)::int AS ff, sum(cold)::int AS cold, "
        "sum(inside_csw)::int AS inside FROM business_day GROUP BY 1 ORDER BY 1"
    ).to_dicts()
    assert day == [
        # m5, m6 and m7: the definition counts failed sends too
        {"business_id": "b1", "ff": 1, "cold": 3, "inside": 1},
        {"business_id": "b2", "ff": 0, "cold": 2, "inside": 0},
    ]
    resp = wh.query(
        "SELECT bucket, sum(opened)::int AS opened, sum(answered_24h)::int AS answered, "
        "sum(total_response_s)::int AS secs FROM response_day GROUP BY 1 ORDER BY 1"
    ).to_dicts()
    assert resp == [
        {"bucket": "4-24 h", "opened": 1, "answered": 1, "secs": 86399},
        {"bucket": "no answer", "opened": 1, "answered": 0, "secs": None},
    ]


def test_dimension_and_unknown_business(wh):
    b = rows(wh.query("SELECT * FROM dim_businesses"), "business_id")
    assert b["b1"]["name"] == "Chai & Co" and b["b1"]["known"]


# ----------------------------------------------------------------------------- quality thresholds


def test_quality_medium_then_unknown_when_window_moves(tmp_path):
    users = [f"u{i}" for i in range(100)]
    messages = [
        msg(f"m{i}", "2026-03-05T10:00:00Z", "b3", u, "outbound", "IN", "utility", "t", "read")
        for i, u in enumerate(users)
    ]
    blocks = [
        dict(block_id=f"k{i}", blocked_at="2026-03-06T10:00:00Z", user_id=users[i], business_id="b3") for i in range(3)
    ]
    blocks.append(dict(block_id="old", blocked_at="2026-03-04T10:00:00Z", user_id=users[50], business_id="b3"))
    messages.append(msg("late", "2026-03-12T10:00:00Z", "b4", "u1", "inbound", "IN"))  # data runs to 03-12
    root, _ = build(tmp_path, messages=messages, blocks=blocks)
    wh = warehouse(root)
    on = lambda d: compute(wh, "quality", Period(date(2026, 3, 1), d)).to_dicts()[0]  # noqa: E731
    q = on(date(2026, 3, 11))
    assert (q["reached_users"], q["negative_users"], q["rating"]) == (100, 3, "MEDIUM")
    assert on(date(2026, 3, 6))["negative_users"] == 4  # the 03-04 block is inside [02-28, 03-06]
    q = on(date(2026, 3, 12))  # 03-05 has left the window
    assert (q["reached_users"], q["rating"]) == (0, "UNKNOWN")
    mart = rows(wh.query("SELECT * FROM quality_day WHERE business_id = 'b3'"), "day")
    assert mart[date(2026, 3, 11)]["reached_7d"] == 100
    assert mart[date(2026, 3, 11)]["negative_7d"] == 3
    assert (mart[date(2026, 3, 12)]["reached_7d"], mart[date(2026, 3, 12)]["negative_7d"]) == (0, 3)
    assert date(2026, 3, 13) not in mart  # past the last day in the data
    wh.close()


def test_window_opening_counts_only_inbound_strictly_before(tmp_path):
    messages = [
        msg("t1", "2026-03-01T10:00:00Z", "b1", "u1", "inbound", "IN"),
        msg("t2", "2026-03-01T10:00:00Z", "b1", "u1", "inbound", "IN"),  # same instant: not "before" t1
        msg("t3", "2026-03-02T09:00:00Z", "b1", "u1", "inbound", "IN"),  # 23 h later: inside the window
        msg("t4", "2026-03-02T10:00:00Z", "b1", "u1", "inbound", "IN"),  # 24 h after t1/t2 but 1 h after t3
        msg("t5", "2026-03-03T09:00:00Z", "b1", "u1", "inbound", "IN"),  # exactly 24 h after t3, 23 h after t4
    ]
    root, _ = build(tmp_path, messages=messages)
    wh = warehouse(root)
    assert wh.scalar("SELECT sum(opened)::int FROM response_day") == 2
    wh.close()
