"""The `trustdesk` command: help everywhere, spec columns, formats, exit codes, one-sentence errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from tests.test_metrics import AD_EVENTS, BLOCKS, BUSINESSES, CAMPAIGNS, MESSAGES, REPORTS
from tests.worlds import build
from trustdesk.metrics import METRICS

SUBCOMMANDS = ["generate", "load", "status", "demo", "metrics", "quarantine", "serve", "rebuild"]


def td(*args, root=None, input=None):
    cmd = [sys.executable, "-m", "trustdesk.cli"]
    if root is not None:
        cmd += ["--data-dir", str(root)]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, input=input, timeout=300)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root, _ = build(tmp_path_factory.mktemp("cli"), businesses=BUSINESSES, messages=MESSAGES,
                    blocks=BLOCKS, reports=REPORTS, ad_campaigns=CAMPAIGNS, ad_events=AD_EVENTS)
    return root


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_every_subcommand_has_help(sub):
    res = td(sub, "--help")
    assert res.returncode == 0 and "Usage:" in res.stdout


@pytest.mark.parametrize("name", list(METRICS))
def test_metrics_csv_starts_with_the_spec_columns(root, name):
    res = td("metrics", name, "--from", "2026-03-01", "--to", "2026-03-03", root=root)
    assert res.returncode == 0, res.stderr
    header = next(csv.reader(io.StringIO(res.stdout)))
    assert tuple(header[: len(METRICS[name])]) == METRICS[name]


def test_metrics_json_unrounded(root):
    res = td("metrics", "block_rates", "--from", "2026-03-01", "--to", "2026-03-03", "--format", "json", root=root)
    rows = {r["business_id"]: r for r in json.loads(res.stdout)}
    assert rows["b2"]["report_rate"] == pytest.approx(1000 / 3, abs=1e-9)
    assert repr(rows["b2"]["report_rate"]).startswith("333.33333333")


def test_metrics_region_and_default_period(root):
    res = td("metrics", "revenue_by_region", "--region", "Latin America", root=root)
    assert res.returncode == 0
    assert [r["region"] for r in csv.DictReader(io.StringIO(res.stdout))] == ["Latin America"]


@pytest.mark.parametrize(
    "args, words",
    [
        (["metrics", "block_rates", "--from", "March"], "--from 'March' is not a date"),
        (["metrics", "block_rates", "--region", "Mars"], "unknown region 'Mars'"),
        (["metrics", "block_rates", "--from", "2026-03-05", "--to", "2026-03-01"], "ends (2026-03-01) before it starts"),
    ],
)
def test_errors_are_one_sentence_without_traceback(root, args, words):
    res = td(*args, root=root)
    assert res.returncode != 0
    assert words in res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_no_data_yet(tmp_path):
    res = td("metrics", "quality", root=tmp_path / "none")
    assert res.returncode == 1 and "trustdesk demo" in res.stderr and "Traceback" not in res.stderr
    res = td("status", "--format", "json", root=tmp_path / "none")
    assert json.loads(res.stdout)["warehouse_version"] is None


def test_status_json(root):
    info = json.loads(td("status", "--format", "json", root=root).stdout)
    assert info["rows"]["messages"] == len(MESSAGES)
    assert info["rows"]["ad_events"] == len(AD_EVENTS)
    assert info["first_day"] == "2026-03-01" and info["last_day"] == "2026-03-03"
    assert info["warehouse_version"] >= 1 and info["quarantined"] == 0


def test_load_json_and_exit_codes(tmp_path):
    root = tmp_path / "data"
    good = tmp_path / "blocks.csv"
    good.write_text("block_id,blocked_at,user_id,business_id\nk1,2026-03-01T00:00:00Z,u1,b1\n")
    res = td("load", str(good), "--format", "json", root=root)
    assert res.returncode == 0
    [obj] = json.loads(res.stdout)
    assert {k: obj[k] for k in ("file", "kind", "status", "rows_read", "loaded", "duplicates", "quarantined", "error")} == {
        "file": "blocks.csv", "kind": "blocks", "status": "loaded", "rows_read": 1, "loaded": 1,
        "duplicates": 0, "quarantined": 0, "error": None}
    assert isinstance(obj["load_id"], int)
    partial = tmp_path / "b2.csv"
    partial.write_text("block_id,blocked_at,user_id,business_id\nk2,never,u1,b1\n")
    res = td("load", str(partial), root=root)
    assert res.returncode == 1 and "1 quarantined" in res.stdout
    q = td("quarantine", "--format", "json", root=root)
    [row] = json.loads(q.stdout)
    assert row["line"] == 2 and row["file"] == "b2.csv"
    res = td("load", str(tmp_path / "missing.csv"), str(good), "--format", "json", root=root)
    assert res.returncode == 2
    statuses = [o["status"] for o in json.loads(res.stdout)]
    assert statuses == ["rejected", "loaded"]


def test_quarantine_csv_neutralises_formulas(tmp_path):
    root = tmp_path / "data"
    f = tmp_path / "b.csv"
    f.write_text("block_id,blocked_at,user_id,business_id\n=1+2,never,u1,b1\n")
    td("load", str(f), root=root)
    out = td("quarantine", root=root).stdout
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["raw_text"] == "'=1+2,never,u1,b1"


def test_demo_fills_an_empty_data_directory_once(tmp_path):
    root = tmp_path / "data"
    res = td("demo", root=root)
    assert res.returncode == 0, res.stderr
    info = json.loads(td("status", "--format", "json", root=root).stdout)
    assert info["rows"]["messages"] > 100_000 and info["rows"]["businesses"] == 300
    assert (root / "demo-world" / "truth.csv").exists()
    again = td("demo", root=root)
    assert again.returncode == 0 and "already holds data" in again.stdout
    assert json.loads(td("status", "--format", "json", root=root).stdout)["loads"] == info["loads"]


def test_generate_is_deterministic_through_the_command(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        res = td("generate", "--out", str(out), "--seed", "9", "--businesses", "60", "--days", "10", "--messages", "20000")
        assert res.returncode == 0, res.stderr
    for f in sorted(a.iterdir()):
        assert f.read_bytes() == (b / f.name).read_bytes(), f.name
    res = td("generate", "--out", str(a), "--start", "someday")
    assert res.returncode != 0 and "--start 'someday' is not a date" in res.stderr
