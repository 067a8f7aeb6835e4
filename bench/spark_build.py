"""The same marts on Apache Spark and on DuckDB, from the same data directory, in one run.

    python -m bench.spark_build --messages 10000000      # about 10 minutes on 2 cores
    python -m bench.spark_build --messages 1000000 --no-write

Generates a world, loads it, then times a full DuckDB build (the baseline) and a build with
`--engine spark` on `--master` (default local[2]), each through `etl.build.build_warehouse` exactly
as `trustdesk build --full` and `trustdesk build --engine spark` run it (lake sync, audits, publish
included). Spark's time is split into the session's start and the models (from the build's own
progress), which the projection in docs/spark.md needs. Every mart of the two warehouses is then
compared row for row. Rewrites the "## Spark" section of docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from bench.incremental import full_build
from etl import store
from etl.ingest.load import load_files
from etl.settings import REPO_ROOT
from etl.synth import generate_world

OUT = REPO_ROOT / "bench" / "out"
HEADING = "## Spark"


def _build(root: Path, engine=None) -> tuple[float, dict[str, float], Path]:
    marks: dict[str, float] = {}

    def progress(stage: str, frac: float) -> None:
        marks.setdefault(stage.split(" ")[0], time.perf_counter())

    t0 = time.perf_counter()
    seconds = full_build(root, engine, progress)
    marks = {k: v - t0 for k, v in marks.items()}
    kept = OUT / f"spark-bench-{'spark' if engine else 'duckdb'}.duckdb"
    shutil.copyfile(root / store.read_pointer(root)["file"], kept)
    return seconds, marks, kept


def run(n: int, days: int, master: str) -> dict:
    from etl import spark as spark_engine
    from tests.etl.test_incremental import assert_same_warehouse

    world, root = OUT / f"spark-world-{n}", OUT / f"spark-store-{n}"
    shutil.rmtree(world, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    generate_world(world, seed=13, businesses=max(300, n // 5000), days=days, messages=n)
    load_files(root, sorted(p for p in world.glob("*.csv") if p.name != "truth.csv"), user="bench")
    shutil.rmtree(world, ignore_errors=True)
    duck_s, _, duck = _build(root)
    spark_s, marks, spark = _build(root, spark_engine.engine(master))
    assert_same_warehouse(duck, spark)
    start = marks.get("starting", 0.0)
    models_from = marks.get("preparing", start)
    models_to = marks.get("auditing", spark_s)
    for path in (duck, spark):
        path.unlink()
    shutil.rmtree(root, ignore_errors=True)
    return dict(
        n=n,
        days=days,
        master=master,
        duck_s=duck_s,
        spark_s=spark_s,
        start_s=models_from - start,
        models_s=models_to - models_from,
        rest_s=spark_s - (models_to - models_from) - (models_from - start),
    )


def section(r: dict) -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import pyspark

    return "\n".join(
        [
            HEADING,
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m bench.spark_build --messages {r['n']} "
            f"--days {r['days']}` on {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}, "
            f"DuckDB {duckdb.__version__}, pyspark {pyspark.__version__} on `{r['master']}`; load average "
            f"{os.getloadavg()[0]:.2f} at the end. Both builds are full builds of the same data directory through "
            "`etl.build.build_warehouse` (lake sync, audits and publish included); the two warehouses were "
            "checked equal, table for table.",
            "",
            "| what | time | ratio to DuckDB |",
            "| --- | --- | --- |",
            f"| DuckDB full build of {r['n']:,} messages (the baseline) | {r['duck_s']:.1f} s | 1.00 |",
            f"| Spark build, all told | {r['spark_s']:.1f} s | {r['spark_s'] / r['duck_s']:.1f} |",
            f"| of which starting the Spark session (fixed) | {r['start_s']:.1f} s | |",
            f"| of which the models on Spark, written to Parquet and copied into DuckDB | {r['models_s']:.1f} s | |",
            f"| of which the lake sync, audits and publish (as for DuckDB) | {r['rest_s']:.1f} s | |",
            "",
            'The projection for a cluster (docs/spark.md, "The projection"): at most the models\' time divides '
            "by the executors' cores; the session's start and the publish do not, and neither does the "
            "part of the models' time that is a cost per model (planning, scheduling and writing some 30 "
            "jobs: most of it on a world of 100,000 messages). With C cores the models take at most about "
            f"{r['models_s']:.0f} s x 2 / C, so at best about "
            f"{r['start_s'] + r['rest_s'] + r['models_s'] * 2 / 16:.0f} s on 16 cores and "
            f"{r['start_s'] + r['rest_s'] + r['models_s'] * 2 / 64:.0f} s on 64, plus the network and the "
            "copy of the marts to the driver, which grow with the marts, not with the events.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.spark_build")
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/BENCHMARKS.md")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    text = section(run(args.messages, args.days, args.master))
    print(text, flush=True)
    if not args.no_write:
        from bench.pages import write_section

        write_section(text, heading=HEADING)


if __name__ == "__main__":
    main()
