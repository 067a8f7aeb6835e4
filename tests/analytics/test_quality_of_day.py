"""The quality table read from the quality_day mart (quality_of_day.sql) equals the one that counts
the window's distinct users (quality.sql), on every day a world covers and past its end."""

from datetime import timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from etl.settings import Settings
from tests.worlds import warehouse
from trustdesk.analytics import metrics
from trustdesk.analytics.metrics import Period, compute, params_for
from trustdesk.warehouse import run


@pytest.fixture(scope="module", params=[(3, 40, 20), (29, 90, 14)], ids=["small", "many-businesses"])
def wh(request, make_world):
    seed, businesses, days = request.param
    base = make_world(f"quality-{seed}", seed=seed, businesses=businesses, days=days, messages=25_000)
    wh = warehouse(base / "data")
    yield wh
    wh.close()


def counted(wh, day):
    """quality.sql itself, as `compute` ran it before the mart's route."""
    params = params_for("quality", Period(day - timedelta(days=6), day), None, Settings.load(wh.root))
    return run(wh, "quality", params)


def test_the_mart_gives_the_counted_table_on_every_day(wh):
    first, last = wh.date_range()
    mart_last = run(wh, "quality_days")["last_day"].item()
    assert mart_last is not None and mart_last >= last - timedelta(days=1)
    day, compared = first - timedelta(days=2), 0
    while day <= last + timedelta(days=9):
        period = Period(day - timedelta(days=6), day)
        routed = metrics._quality_of_day(wh, period, None, None, None)
        assert routed == (day <= mart_last)
        got, want = compute(wh, "quality", period), counted(wh, day)
        assert_frame_equal(got, want)
        compared += want.height
        day += timedelta(days=1)
    assert compared > 0
    # Non-trivial worlds: some businesses rated on some day, with negative users.
    assert counted(wh, last)["negative_users"].sum() > 0


def test_a_narrowed_table_counts_from_the_events(wh, monkeypatch):
    region = run(wh, "filter_markets")["regions"].explode().drop_nulls()[0]
    calls = []
    real = metrics.run
    monkeypatch.setattr(metrics, "run", lambda wh_, name, *a, **k: calls.append(name) or real(wh_, name, *a, **k))
    _, last = wh.date_range()
    df = compute(wh, "quality", Period(last - timedelta(days=6), last), region)
    assert "quality_of_day" not in calls and "quality" in calls
    assert isinstance(df, pl.DataFrame)
