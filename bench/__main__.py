"""Benchmarks: each figure is printed next to a baseline measured in the same run.

    python -m bench                    # 2M and 10M messages (about 10 minutes on 2 cores)
    python -m bench --sizes 200000     # a quick look

The transparency export (bench/transparency.py) runs too, on --transparency-sizes decisions, and
the detection benchmark (bench/detection.py): precision and recall at k per archetype on varied
worlds, ours and independently written ones (`--detection-quick` for its small grid); one more day
against a full build (bench/incremental.py, `--incremental-size`); the same marts on Spark
(bench/spark_build.py, `--spark-size`); and the crowd (bench/load_test.py:
`--crowd-analysts` analysts and `--crowd-moderators` moderators in Chromium on `--crowd-size`
messages while a load publishes, each reading a page `--crowd-think` seconds). `--skip detection,crowd,...` leaves parts out.

Writes docs/BENCHMARKS.md. Work files go to bench/out/ (ignored by git).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import duckdb

from bench import detection as detection_bench
from bench import incremental as incremental_bench
from bench import load_test as load_test_bench
from bench import spark_build as spark_bench
from bench import transparency as transparency_bench
from etl.ingest.load import load_files
from etl.settings import REPO_ROOT
from etl.synth import generate_world
from trustdesk.analytics.metrics import METRICS, Period, compute
from trustdesk.warehouse import open_current

OUT = REPO_ROOT / "bench" / "out"
DOC = REPO_ROOT / "docs" / "BENCHMARKS.md"


def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def bare_read_csv(csv: Path, work: Path) -> float:
    db = work / "baseline.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    try:
        seconds, _ = timed(lambda: con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(csv)]))
        return seconds
    finally:
        con.close()
        db.unlink(missing_ok=True)


def bench_size(n: int, days: int, lines: list[str]) -> None:
    world = OUT / f"world-{n}"
    shutil.rmtree(world, ignore_errors=True)
    businesses = max(300, n // 5000)
    gen_s, counts = timed(lambda: generate_world(world, seed=11, businesses=businesses, days=days, messages=n))
    rows = counts.get("messages", n)
    size_mb = (world / "messages.csv").stat().st_size / 2**20
    lines.append(
        f"| generate {n:,} messages ({businesses:,} businesses, {days} days) | {gen_s:.1f} s | "
        f"{rows / gen_s:,.0f} messages/s | goal 1,000,000/s, floor 250,000/s |"
    )
    print(lines[-1], flush=True)

    csv = world / "messages.csv"
    base_s = bare_read_csv(csv, OUT)
    root = OUT / f"store-{n}"
    shutil.rmtree(root, ignore_errors=True)
    load_s, _ = timed(lambda: load_files(root, [csv], user="bench", rebuild=False))
    shutil.rmtree(root, ignore_errors=True)
    full_s, _ = timed(lambda: load_files(root, [csv], user="bench"))
    lines.append(
        f"| bare `CREATE TABLE AS SELECT * FROM read_csv` of messages.csv ({size_mb:,.0f} MB) | "
        f"{base_s:.2f} s | baseline | |"
    )
    lines.append(
        f"| `load` messages.csv: validate, dedupe, commit | {load_s:.2f} s | "
        f"{load_s / base_s:.2f}x baseline | goal 1.5x, at most 3x |"
    )
    lines.append(
        f"| `load` messages.csv incl. rebuilding and publishing the marts | {full_s:.2f} s | "
        f"{full_s / base_s:.2f}x baseline | |"
    )
    for line in lines[-3:]:
        print(line, flush=True)

    others = sorted(p for p in world.glob("*.csv") if p.name not in ("messages.csv", "truth.csv"))
    rest_s, _ = timed(lambda: load_files(root, others, user="bench"))
    lines.append(f"| `load` the other {len(others)} files of the world, then rebuild | {rest_s:.2f} s | | |")
    print(lines[-1], flush=True)

    wh = open_current(root)
    last = wh.date_range()[1]
    for label, period in (("30 days", Period.last(30, last)), ("whole range", Period(wh.date_range()[0], last))):
        for name in METRICS:
            compute(wh, name, period)  # first run pays for loading columns from disk
            secs = min(timed(partial(compute, wh, name, period))[0] for _ in range(3))
            lines.append(
                f"| `metrics {name}` over {label} on {n:,} messages | {secs * 1000:.0f} ms | | goal under 1 s |"
            )
            print(lines[-1], flush=True)
    region_s = min(
        timed(lambda: compute(wh, "block_rates", Period.last(30, last), "Asia Pacific"))[0] for _ in range(3)
    )
    lines.append(f"| `metrics block_rates --region 'Asia Pacific'` over 30 days | {region_s * 1000:.0f} ms | | |")
    print(lines[-1], flush=True)
    wh.close()
    shutil.rmtree(world, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--sizes", default="2000000,10000000")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--transparency-sizes", default="20000,100000", help="decisions for bench/transparency.py")
    parser.add_argument("--detection-quick", action="store_true", help="the small grid of bench/detection.py")
    parser.add_argument("--incremental-size", type=int, default=2_000_000, help="messages for bench/incremental.py")
    parser.add_argument("--crowd-size", type=int, default=500_000, help="messages for bench/load_test.py")
    parser.add_argument("--crowd-analysts", type=int, default=20)
    parser.add_argument("--crowd-moderators", type=int, default=5)
    parser.add_argument("--crowd-think", type=float, default=5.0, help="seconds a person reads a page (0: saturation)")
    parser.add_argument(
        "--spark-size", type=int, default=1_000_000, help="messages for bench/spark_build.py (Spark local[2])"
    )
    parser.add_argument(
        "--skip", default="", help="comma-separated: sizes,transparency,detection,incremental,crowd,spark"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/BENCHMARKS.md")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    OUT.mkdir(parents=True, exist_ok=True)
    from bench.pages import write_section

    if "incremental" not in skip:
        one_day = argparse.Namespace(messages=args.incremental_size, days=args.days)
        text = incremental_bench.section(incremental_bench.run(one_day.messages, one_day.days), one_day)
        print(text, flush=True)
        if not args.no_write:
            write_section(text, heading=incremental_bench.HEADING)
    if "crowd" not in skip:
        crowd = [
            "--messages", str(args.crowd_size), "--analysts", str(args.crowd_analysts),
            "--moderators", str(args.crowd_moderators), "--rounds", "1", "--think", str(args.crowd_think),
        ]  # fmt: skip
        load_test_bench.main(crowd + (["--no-write"] if args.no_write else []))
    if "spark" not in skip:
        spark_bench.main(["--messages", str(args.spark_size)] + (["--no-write"] if args.no_write else []))
    lines: list[str] = []
    if "sizes" not in skip:
        for n in (int(s) for s in args.sizes.split(",")):
            bench_size(n, args.days, lines)
    if "transparency" not in skip:
        transparency_bench.run(args.transparency_sizes, write=not args.no_write)
    detection: list[str] = []
    if "detection" not in skip:
        detection_bench.run(detection, quick=args.detection_quick)
    if args.no_write:
        return

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    if lines:
        write_section(
            "## Generator, loads and metrics\n\n"
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `./dev bench` "
            f"(`python -m bench --sizes {args.sizes}`) on {os.cpu_count()} cores, {mem:.0f} GiB, "
            f"Python {platform.python_version()}, DuckDB {duckdb.__version__}; load average "
            f"{os.getloadavg()[0]:.2f} at the end (the machine is shared).\n"
            "Each load is compared with DuckDB's bare `read_csv` of the same file into a fresh database "
            "file, measured in the same run. Metric times are the best of three after a first run.\n\n"
            "| what | time | ratio / rate | goal |\n| --- | --- | --- | --- |\n" + "\n".join(lines) + "\n",
            heading="## Generator, loads and metrics",
        )
    if detection:
        write_section("\n".join(detection) + "\n", heading=detection_bench.HEADING)
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
