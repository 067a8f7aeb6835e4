"""Whole worlds: a generated world loads with every row accounted for, and a world rewritten the
way another tool might write it (mixed timestamp styles, BOM and CRLF, shuffled and unknown columns,
duplicate rows, businesses after their events) gives metric tables equal to an independent Polars
reading of docs/metrics.md to 1e-6, and money (exact decimals on both sides) to the last digit."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from etl.ingest.load import exit_code, load_files
from etl.settings import SHIPPED_DATA
from etl.synth import generate_world
from tests.reference import Reference
from tests.worlds import log_files
from trustdesk.analytics.metrics import Period, compute
from trustdesk.warehouse import open_current

START = date(2026, 9, 1)
DAYS = 21


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate_world(out, seed=5, businesses=120, days=DAYS, messages=60_000, start=START)
    return out


def _mixed_timestamps(df: pl.DataFrame, col: str) -> pl.DataFrame:
    t = pl.col(col).str.to_datetime("%Y-%m-%dT%H:%M:%SZ")
    i = pl.int_range(pl.len())
    return df.with_columns(
        pl.when(i % 3 == 0)
        .then(t.dt.epoch("s").cast(pl.String))
        .when(i % 3 == 1)
        .then((t + timedelta(hours=5, minutes=30)).dt.strftime("%Y-%m-%d %H:%M:%S+05:30"))
        .otherwise(t.dt.strftime("%Y-%m-%d %H:%M:%S"))
        .alias(col)
    )


def _write(df: pl.DataFrame, path: Path, crlf_bom: bool = False) -> Path:
    text = df.write_csv()
    if crlf_bom:
        text = "\ufeff" + text.replace("\n", "\r\n")
    path.write_bytes(text.encode("utf-8"))
    return path


def foreign(world: Path, out: Path) -> list[Path]:
    """The same world as another tool might export it, in the order it might arrive."""
    out.mkdir()
    files = []
    time_cols = {
        "messages": "sent_at",
        "reports": "reported_at",
        "blocks": "blocked_at",
        "opt_outs": "changed_at",
        "ad_events": "occurred_at",
    }
    for kind in ("messages", "reports", "blocks", "opt_outs", "ad_events", "ad_campaigns", "businesses"):
        df = pl.read_csv(world / f"{kind}.csv", infer_schema=False)
        if kind in time_cols:
            df = _mixed_timestamps(df, time_cols[kind])
        dup = df.sample(fraction=0.03, seed=1)
        df = pl.concat([df, dup]).sample(fraction=1.0, shuffle=True, seed=2)
        cols = df.columns[::-1]
        df = df.select(cols).with_columns(pl.lit("x").alias("exported_by"))
        df = df.rename({c: c.upper() if i % 2 else f" {c} " for i, c in enumerate(df.columns)})
        if kind == "messages":
            half = df.height // 2
            files.append(_write(df[:half], out / "messages_a.csv", crlf_bom=True))
            files.append(_write(df[half:], out / "messages_b.csv"))
        else:
            files.append(_write(df, out / f"{kind}.csv", crlf_bom=kind == "blocks"))
    return files


@pytest.fixture(scope="module")
def loaded(world, tmp_path_factory):
    root = tmp_path_factory.mktemp("clean") / "data"
    files = log_files(world)
    results = load_files(root, files, user="test")
    return root, results


def test_generated_world_loads_with_every_row_accounted_for(world, loaded):
    root, results = loaded
    assert exit_code(results) == 0
    for r in results:
        written = sum(1 for _ in open(world / r.file, encoding="utf-8")) - 1
        assert r.rows_read == written, r.file
        assert r.loaded == written and r.quarantined == 0 and r.duplicates == 0
    wh = open_current(root)
    assert wh.pointer["rows"]["messages"] == next(r.loaded for r in results if r.kind == "messages")
    assert wh.date_range() == (START, START + timedelta(days=DAYS - 1))


@pytest.fixture(scope="module")
def foreign_root(world, tmp_path_factory):
    base = tmp_path_factory.mktemp("foreign")
    files = foreign(world, base / "files")
    root = base / "data"
    results = load_files(root, files, user="test")
    assert exit_code(results) == 0, [(r.file, r.error, r.top_reasons) for r in results]
    assert all(r.unknown_columns == ["exported_by"] for r in results)
    assert sum(r.duplicates for r in results) > 0
    return root, base / "files"


def assert_frames_equal(got: pl.DataFrame, want: pl.DataFrame, key: list[str]):
    cols = list(want.columns)
    got = got.select(cols).sort(key)
    want = want.sort(key)
    assert got.height == want.height, (got.height, want.height)
    for g, w in zip(got.iter_rows(named=True), want.iter_rows(named=True)):
        for c in cols:
            a, b = g[c], w[c]
            if isinstance(b, Decimal) or isinstance(a, Decimal):
                # money: exact on both sides, so equal to the last digit
                assert isinstance(a, Decimal) and isinstance(b, Decimal) and a == b, (c, g, w)
            elif isinstance(b, float) or isinstance(a, float):
                if a is None or b is None:
                    assert a is None and b is None, (c, g, w)
                else:
                    assert math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6), (c, g, w)
            else:
                assert str(a) == str(b), (c, g, w)


PERIODS = [
    Period(START, START + timedelta(days=DAYS - 1)),
    Period(START + timedelta(days=7), START + timedelta(days=13)),
]
REGIONS = [None, "Asia Pacific", "Latin America"]
KEYS = {
    "block_rates": ["business_id"],
    "ad_reach": ["campaign_id"],
    "spam_reports": ["date", "reason"],
    "revenue_by_region": ["region"],
    "quality": ["business_id"],
}


@pytest.mark.parametrize("name", list(KEYS))
@pytest.mark.parametrize("region", REGIONS)
def test_foreign_world_metrics_equal_the_reference(foreign_root, loaded, name, region):
    root, files = foreign_root
    ref = Reference(files, SHIPPED_DATA / "markets.csv", SHIPPED_DATA / "rate_card.csv")
    wh, clean = open_current(root), open_current(loaded[0])
    for period in PERIODS:
        if name == "quality":
            want = ref.quality(period.date_to, region)
        else:
            want = getattr(ref, name)(period.date_from, period.date_to, region)
        got = compute(wh, name, period, region)
        assert_frames_equal(got, want, KEYS[name])
        # and the clean load of the same world gives the same table
        assert_frames_equal(compute(clean, name, period, region), want, KEYS[name])
