"""Money is a decimal (docs/log-format.md): stored and summed exactly, so the metric tables print
exact amounts and every build of the same data prints the same bytes, whatever the order or the
split the files arrived in."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from etl import store
from etl.ingest.load import exit_code, load_files
from etl.synth import generate_world
from tests.worlds import CAMPAIGNS, golden_world, log_files, warehouse
from trustdesk.cli import cli
from trustdesk.data.maintenance import rebuild_marts
from trustdesk.warehouse import open_current

START = date(2026, 9, 1)
DAYS = 14
MONEY_COLUMNS = {
    "revenue_by_region": ("messaging_revenue_usd", "ad_revenue_usd", "total_revenue_usd"),
    "ad_reach": ("spend_usd",),
}
# An exact amount at the money scale (9 decimals), without float noise like 581.8959000000001
EXACT = re.compile(r"^[0-9]+(\.[0-9]{1,9})?$")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("money_world")
    generate_world(out, seed=11, businesses=60, days=DAYS, messages=30_000, start=START)
    return out


def _split_reversed(src: Path, out: Path, parts: int) -> list[Path]:
    """The rows of `src` in reverse order, cut into `parts` files: the same data, another order."""
    df = pl.read_csv(src, infer_schema=False).reverse()
    size = -(-df.height // parts)
    paths = []
    for i in range(parts):
        path = out / f"{src.stem}_part{i}.csv"
        df[i * size : (i + 1) * size].write_csv(path)
        paths.append(path)
    return paths


def metric_output(root: Path, name: str, fmt: str = "csv", region: str | None = None) -> str:
    args = [
        "--data-dir",
        str(root),
        "metrics",
        name,
        "--from",
        START.isoformat(),
        "--to",
        (START + timedelta(days=DAYS - 1)).isoformat(),
        "--format",
        fmt,
    ]
    if region:
        args += ["--region", region]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def in_order(world, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("money_a") / "data"
    assert exit_code(load_files(root, log_files(world), user="test")) == 0
    return root


@pytest.fixture(scope="module")
def shuffled(world, tmp_path_factory) -> Path:
    """The same world loaded another way: kinds in reverse order, one load per file, messages and
    ad events reversed and split into several files."""
    base = tmp_path_factory.mktemp("money_b")
    parts = base / "files"
    parts.mkdir()
    files: list[Path] = []
    for f in reversed(log_files(world)):
        if f.stem in ("messages", "ad_events"):
            files.extend(reversed(_split_reversed(f, parts, 3)))
        else:
            files.append(f)
    root = base / "data"
    for f in files:
        assert exit_code(load_files(root, [f], user="test")) == 0, f
    return root


def _rebuild(root: Path) -> None:
    rebuild_marts(root)


@pytest.mark.parametrize("name", list(MONEY_COLUMNS))
def test_metric_csv_prints_exact_amounts(in_order, name):
    rows = list(csv.DictReader(io.StringIO(metric_output(in_order, name))))
    assert rows
    for row in rows:
        for col in MONEY_COLUMNS[name]:
            assert EXACT.match(row[col]), (col, row[col])
    if name == "revenue_by_region":
        for row in rows:  # exact sums: the total is the sum of its parts to the last digit
            assert Decimal(row["total_revenue_usd"]) == (
                Decimal(row["messaging_revenue_usd"]) + Decimal(row["ad_revenue_usd"])
            )


def test_metric_json_prints_amounts_as_exact_numbers(in_order):
    text = metric_output(in_order, "revenue_by_region", "json")
    rows = json.loads(text, parse_float=Decimal)
    assert rows
    for row in rows:
        for col in MONEY_COLUMNS["revenue_by_region"]:
            assert isinstance(row[col], (Decimal, int)), (col, row[col])  # a number, not text
            assert EXACT.match(format(row[col], "f")), (col, row[col])
        assert row["total_revenue_usd"] == row["messaging_revenue_usd"] + row["ad_revenue_usd"]


@pytest.mark.parametrize("region", [None, "Asia Pacific"])
@pytest.mark.parametrize("name", list(MONEY_COLUMNS))
def test_two_builds_of_the_same_data_print_the_same_bytes(in_order, shuffled, name, region):
    assert metric_output(in_order, name, region=region) == metric_output(shuffled, name, region=region)


def test_a_rebuild_prints_the_same_bytes(in_order, shuffled):
    before = {name: metric_output(shuffled, name) for name in MONEY_COLUMNS}
    _rebuild(shuffled)
    for name in MONEY_COLUMNS:
        assert metric_output(shuffled, name) == before[name] == metric_output(in_order, name)


# ----------------------------------------------------------------------------- types and formats

MONEY_SQL = {  # metric model -> its money columns (all exact DECIMAL); CPM is a ratio (DOUBLE)
    "revenue_by_region": ("messaging_revenue_usd", "ad_revenue_usd", "total_revenue_usd"),
    "ad_reach": ("spend_usd",),
    "ad_totals": ("spend_usd",),
    "ad_breakdown": ("spend_usd",),
    "revenue_daily": ("revenue_usd",),
    "headline": ("ad_revenue_usd",),
    "business_revenue": ("messaging_revenue_usd", "ad_spend_usd", "total_usd"),
    "business_campaigns": ("budget_usd", "spend_usd"),
}


@pytest.fixture(scope="module")
def golden(tmp_path_factory):
    campaigns = [dict(CAMPAIGNS[0], budget_usd="12.345678901")]
    wh = warehouse(golden_world(tmp_path_factory.mktemp("money_golden"), ad_campaigns=campaigns))
    yield wh
    wh.close()


@pytest.mark.parametrize("name", list(MONEY_SQL))
def test_money_columns_are_exact_decimals_and_cpm_a_ratio(golden, name):
    from etl.settings import Settings
    from trustdesk.analytics.metrics import Period, params_for
    from trustdesk.warehouse import sql_for

    period = Period(date(2026, 3, 1), date(2026, 3, 3))
    if name.startswith("business_"):
        params = {"business_id": "b1", "date_from": period.date_from, "date_to": period.date_to}
    else:
        params = params_for(name, period, None, Settings())
    df = golden.query(sql_for(name), params)
    for col in MONEY_SQL[name]:
        assert df.schema[col] == pl.Decimal(38, 9), (name, col, df.schema[col])
    if "cpm_usd" in df.columns:
        assert df.schema["cpm_usd"] == pl.Float64


def test_budget_and_prices_are_stored_exactly(golden):
    assert golden.scalar("SELECT budget_usd FROM dim_campaigns WHERE campaign_id = 'c1'") == Decimal("12.345678901")
    assert golden.scalar("SELECT typeof(price_usd) FROM ref_rate_card LIMIT 1") == "DECIMAL(38,9)"


def test_json_prints_money_as_numbers_and_everything_else_as_before():
    from trustdesk.analytics.metrics import as_json

    df = pl.DataFrame(
        {
            "region": ["Asia Pacific", "Europe"],
            "day": [date(2026, 3, 1), None],
            "revenue_usd": [Decimal("581.8959"), Decimal("0")],
            "ctr": [0.25, None],
            "n": [3, 4],
        },
        schema={
            "region": pl.String,
            "day": pl.Date,
            "revenue_usd": pl.Decimal(38, 9),
            "ctr": pl.Float64,
            "n": pl.Int64,
        },
    )
    text = as_json(df)
    assert '"revenue_usd": 581.8959,' in text and '"revenue_usd": 0,' in text
    assert json.loads(text) == [
        {"region": "Asia Pacific", "day": "2026-03-01", "revenue_usd": 581.8959, "ctr": 0.25, "n": 3},
        {"region": "Europe", "day": None, "revenue_usd": 0, "ctr": None, "n": 4},
    ]
    # a text cell that looks like the marker's output stays text
    odd = pl.DataFrame({"name": ['"1"', "12.5"]})
    assert json.loads(as_json(odd)) == [{"name": '"1"'}, {"name": "12.5"}]


# ----------------------------------------------------------------------------- amounts money cannot hold


def test_an_event_cost_with_too_many_decimals_is_quarantined_with_the_reason(tmp_path):
    from tests.worlds import ad, build

    events = [
        ad("e1", "2026-03-01T10:00:00Z", "u1", "IN", "impression", "0.0000000001"),
        ad("e2", "2026-03-01T10:00:00Z", "u1", "IN", "impression", "0.000000001"),
    ]
    root, [result] = build(tmp_path, ad_events=events)
    assert (result.loaded, result.quarantined) == (1, 1)
    wh = open_current(root)
    try:
        assert wh.query("SELECT line, reasons FROM quarantine").to_dicts() == [
            {
                "line": 2,
                "reasons": [
                    "cost_usd: '0.0000000001' has more than 9 decimal places (amounts are kept exactly, to 9 places)"
                ],
            }
        ]
        assert wh.scalar("SELECT sum(spend_usd) FROM ad_user_day") == Decimal("0.000000001")
    finally:
        wh.close()


def _rate_card_world(tmp_path: Path, price: str):
    from tests.worlds import MARKETS, MESSAGES, RATE_CARD, write_kind

    root = tmp_path / "data"
    root.mkdir(parents=True)
    (root / "markets.csv").write_text(MARKETS)
    (root / "rate_card.csv").write_text(RATE_CARD.replace("India,marketing,0.01,", f"India,marketing,{price},"))
    src = write_kind(tmp_path / "messages.csv", "messages", MESSAGES)
    return root, src


def test_a_rate_card_price_in_exponent_form_is_priced_exactly(tmp_path):
    from trustdesk.analytics.metrics import Period, compute

    root, src = _rate_card_world(tmp_path, "1e-2")  # the same 0.01 the golden world prices with
    assert exit_code(load_files(root, [src], user="test")) == 0
    wh = open_current(root)
    try:
        got = compute(wh, "revenue_by_region", Period(date(2026, 3, 1), date(2026, 3, 3)))
        row = dict(zip(got["region"], got["messaging_revenue_usd"]))
        assert row["Asia Pacific"] == Decimal("0.041")
    finally:
        wh.close()


def test_a_rate_card_price_money_cannot_hold_stops_the_build_with_its_line(tmp_path):
    from etl.build import ReferenceError_

    root, src = _rate_card_world(tmp_path, "0.0100000000001")
    with pytest.raises(ReferenceError_) as err:
        load_files(root, [src], user="test")
    assert str(err.value) == (
        "rate_card.csv line 2: price_usd '0.0100000000001' has more than 9 decimal places "
        "(amounts are kept exactly, to 9 places)"
    )


# ----------------------------------------------------------------------------- upgrading a store


def test_a_warehouse_built_before_money_was_exact_is_rebuilt_not_copied(tmp_path):
    """A load that changes no event copies the last warehouse forward; one from an older build
    (money as DOUBLE) must be rebuilt instead, or it would stay inexact until the data changed."""
    import duckdb

    from tests.worlds import AD_EVENTS, CAMPAIGNS, build

    root, _ = build(tmp_path, ad_campaigns=CAMPAIGNS, ad_events=AD_EVENTS)
    pointer = store.read_pointer(root)
    con = duckdb.connect(str(root / pointer["file"]))
    con.execute("ALTER TABLE ad_user_day ALTER spend_usd SET DATA TYPE DOUBLE")
    con.close()
    pointer.pop("marts", None)
    (root / store.POINTER_FILE).write_text(json.dumps(pointer))
    again = load_files(root, [tmp_path / "in" / "ad_events.csv"], user="test")
    assert again[0].duplicates == len(AD_EVENTS)  # nothing new: the copy-forward case
    fresh = store.read_pointer(root)
    con = duckdb.connect(str(root / fresh["file"]), read_only=True)
    try:
        assert con.execute("SELECT typeof(spend_usd) FROM ad_user_day LIMIT 1").fetchall()[0][0] == "DECIMAL(38,9)"
    finally:
        con.close()


def test_every_money_cast_in_the_sql_is_the_contract_type():
    """The models spell the money type out; they must all spell the contract's."""
    from etl.contract import MONEY_TYPE

    here = Path(__file__).resolve().parents[2]
    found = []
    for sql in sorted([*(here / "etl" / "models").rglob("*.sql"), *(here / "trustdesk").rglob("*.sql")]):
        for m in re.finditer(r"decimal\s*\([^)]*\)", sql.read_text(encoding="utf-8"), re.IGNORECASE):
            found.append((sql.name, m.group(0)))
    assert found  # the marts do cast money
    assert all(re.sub(r"\s", "", t).upper() == re.sub(r"\s", "", MONEY_TYPE) for _, t in found), found


def test_a_store_written_when_money_was_double_reloads_as_duplicates(tmp_path):
    """Stores from before exact money hold DOUBLE columns and fingerprints of doubles: the next
    load converts them once, so the same file sent again is all duplicates, nothing quarantined."""
    import duckdb

    from etl import store as store_mod
    from etl.contract import KINDS
    from etl.ingest.load import load_files
    from etl.ingest.schema import raw_table as _raw_table
    from tests.worlds import AD_EVENTS, BUSINESSES, CAMPAIGNS, build, write_kind

    root, _ = build(tmp_path, businesses=BUSINESSES, ad_campaigns=CAMPAIGNS, ad_events=AD_EVENTS)
    con = duckdb.connect(str(root / store_mod.INGEST_FILE))
    for name in ("ad_events", "ad_campaigns"):
        kind = KINDS[name]
        money = [c.name for c in kind.columns if c.type == "money"]
        for m in money:
            con.execute(f'ALTER TABLE {_raw_table(kind)} ALTER "{m}" SET DATA TYPE DOUBLE')
        cols = ", ".join(f'"{c.name}"' for c in kind.columns)
        con.execute(f"UPDATE {_raw_table(kind)} SET row_hash = hash({cols})")
    con.close()
    again = write_kind(tmp_path / "again_ad_events.csv", "ad_events", AD_EVENTS)
    [result] = load_files(root, [again], user="test")
    assert result.quarantined == 0 and result.duplicates == len(AD_EVENTS)
    con = duckdb.connect(str(root / store_mod.INGEST_FILE), read_only=True)
    kind = KINDS["ad_events"]
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?", [_raw_table(kind)]
        ).fetchall()
    )
    con.close()
    assert types["cost_usd"].startswith("DECIMAL")
