"""The marts built with Apache Spark (etl/spark.py) equal DuckDB's, table for table and metric for metric.

Runs a real Spark session on local[2]: skipped with the reason when pyspark or Java 17 is missing
on a developer's machine, failed when CI is set (CI must run it).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from etl import spark as spark_engine
from etl import store
from etl.build import MODELS_DIR, BuildError, build_warehouse, load_project
from etl.ingest.load import load_files
from tests import worlds
from trustdesk.analytics.filters import Period
from trustdesk.analytics.metrics import METRICS, compute
from trustdesk.data.maintenance import rebuild_marts

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
# Small enough for a minute on two busy cores; the samples add the kinds the generator does not write
# (webhook statuses, platform events, Meta's billed pricing).
WORLD = dict(seed=11, businesses=30, days=4, messages=20_000)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    try:
        spark, started = spark_engine.session(work=tmp_path_factory.mktemp("spark"))
    except spark_engine.SparkUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Spark tests: {exc}")
        pytest.skip(str(exc))
    yield spark
    if started:
        spark.stop()


@pytest.fixture(scope="module")
def world(make_world):
    base = make_world("spark", **WORLD)
    root = base / "data"
    results = load_files(root, sorted(p for p in SAMPLES.iterdir() if p.is_file()), user="test")
    assert all(r.status == "loaded" for r in results), results
    return root


def snapshot(root: Path) -> dict:
    """Every table of the published warehouse (columns, types, rows sorted by all columns) but the
    build's own meta, and every metric table over the whole period, its last day, and each region."""
    wh = worlds.warehouse(root)
    try:
        con = wh.con
        tables = {}
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND table_name <> 'meta' ORDER BY 1"
        ).fetchall():
            columns = con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = ? "
                "ORDER BY column_index",
                [name],
            ).fetchall()
            tables[name] = (columns, con.execute(f'SELECT * FROM "{name}" ORDER BY ALL').fetchall())
        first, last = con.execute("SELECT min(day), max(day) FROM rows_by_day").fetchone()
        regions = [r for (r,) in con.execute("SELECT DISTINCT region FROM dim_users ORDER BY 1").fetchall()]
        metrics = {}
        for period in (Period(first, last), Period(last, last)):
            for region in (None, *regions):
                for name in METRICS:
                    df = compute(wh, name, period, region)
                    metrics[(name, period.date_from, region)] = (df.schema, sorted(df.rows(), key=repr))
        return {"tables": tables, "metrics": metrics}
    finally:
        wh.close()


def test_java_versions_are_read_from_java_version():
    assert spark_engine.java_major('openjdk version "17.0.15" 2025-04-15') == 17
    assert spark_engine.java_major('openjdk version "21" 2023-09-19') == 21
    assert spark_engine.java_major('java version "1.8.0_392"') == 8
    assert spark_engine.java_major("no java here") is None


def test_every_model_transpiles_to_spark_sql_with_named_parameters():
    for model in load_project().order:
        sql = spark_engine.to_spark(model.path, model.sql)
        assert "$" not in sql, model.path
        for key, _ in model.params:
            assert f":{key}" in sql, model.path


def test_a_kill_during_a_spark_build_leaves_the_published_warehouse(world, session):
    before = store.read_pointer(world)
    proc = subprocess.Popen(
        [sys.executable, "-m", "trustdesk.cli", "--data-dir", str(world), "build", "--engine", "spark"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        # Killed once Spark has written its first model: half-way through, nothing published yet.
        for _ in range(600):
            if list((world / "tmp").glob("spark-*/models/*")):
                break
            try:
                proc.wait(timeout=1)
                pytest.fail("the Spark build ended before it could be killed")
            except subprocess.TimeoutExpired:
                pass
        else:
            pytest.fail("the Spark build wrote no model in 10 minutes")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert store.read_pointer(world) == before
    assert list((world / "tmp").glob("spark-*")), "the killed build left its work directory"
    wh = worlds.warehouse(world)
    wh.close()


def test_spark_builds_the_same_marts_and_metrics_as_duckdb(world, session):
    rebuild_marts(world)
    duck = snapshot(world)
    meta = rebuild_marts(world, engine=spark_engine.engine())
    assert not list((world / "tmp").glob("spark-*")), "the work directories (this one's, a killed one's) remain"
    assert meta["version"] == store.read_pointer(world)["version"]
    on_spark = snapshot(world)
    assert set(on_spark["tables"]) == set(duck["tables"])
    for name, (columns, rows) in duck["tables"].items():
        assert on_spark["tables"][name][0] == columns, name
        assert on_spark["tables"][name][1] == rows, name
    assert sum(len(rows) for _, rows in duck["tables"].values()) > 10_000
    for kind in ("billed_pricing", "platform_events", "business_day", "quality_day", "response_day"):
        assert duck["tables"][kind][1], f"the test world has no {kind} rows to compare"
    assert on_spark["metrics"].keys() == duck["metrics"].keys()
    for key, value in duck["metrics"].items():
        assert on_spark["metrics"][key] == value, key
    assert any(rows for _, rows in duck["metrics"].values())


def test_a_model_spark_cannot_run_is_named_and_nothing_is_published(world, session, tmp_path):
    models = tmp_path / "models"
    shutil.copytree(MODELS_DIR, models)
    # A DuckDB function Spark has no counterpart for: sqlglot passes it through as it is.
    (models / "marts" / "aaa_duckdb_only.sql").write_text("select jaro_winkler_similarity('a', 'b') as x\n")
    before = store.read_pointer(world)
    with store.load_lock(world):
        con = store.connect_ingest(world)
        try:
            with pytest.raises(BuildError) as err:
                build_warehouse(world, con, force=True, models_dir=models, engine=spark_engine.engine())
        finally:
            con.close()
    message = str(err.value)
    assert message.startswith("etl/models/marts/aaa_duckdb_only.sql failed to build on Spark: ")
    assert "\n" not in message
    assert store.read_pointer(world) == before
    assert not list((world / "tmp").glob("spark-*"))
