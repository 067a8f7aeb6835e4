"""Page benchmark: render each analytics page headlessly on a generated world and time it.

    python -m bench.pages --messages 10000000     # the figure in docs/BENCHMARKS.md
    python -m bench.pages --messages 200000       # a quick look

For each page, in a fresh session: the first render (nothing of that page cached yet), a re-render
after a region change, one after a period change (both uncached queries), and a plain re-render
(results cached by warehouse version and filters). Streamlit and Altair are imported before the
clock starts, by rendering the empty state once; the warehouse is opened by the first page.
Rewrites only the "## Pages" section of docs/BENCHMARKS.md. Work files go to bench/out/.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import streamlit

from etl.ingest.load import load_files
from etl.settings import REPO_ROOT
from etl.synth import generate_world
from tests.worlds import sign_in_apptest
from trustdesk.accounts.auth import Principal
from trustdesk.web.navigation import page_path

OUT = REPO_ROOT / "bench" / "out"
DOC = REPO_ROOT / "docs" / "BENCHMARKS.md"
PAGES = ("overview", "spam_reports", "block_rates", "status_ads", "revenue", "messaging_health")
GOAL_FIRST, GOAL_AGAIN, CEILING = 1.0, 0.25, 2.0


def prepare(n: int, days: int, seed: int, reuse: bool) -> tuple[Path, dict]:
    world, root = OUT / f"pages-world-{n}", OUT / f"pages-store-{n}"
    info: dict = {}
    if reuse and (root / "CURRENT").exists():
        info["reused"] = True
        return root, info
    shutil.rmtree(world, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    businesses = max(300, n // 5000)
    t0 = time.perf_counter()
    counts = generate_world(world, seed=seed, businesses=businesses, days=days, messages=n)
    info["generate_s"] = time.perf_counter() - t0
    files = sorted(p for p in world.glob("*.csv") if p.name != "truth.csv")
    t0 = time.perf_counter()
    load_files(root, files, user="bench")
    info["load_s"] = time.perf_counter() - t0
    info.update(businesses=businesses, messages=counts.get("messages", n))
    shutil.rmtree(world, ignore_errors=True)
    return root, info


def app_test(page: str, who: Principal = Principal("bench", "analyst"), timeout: float = 300):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(page_path(page)), default_timeout=timeout)
    # A signed-in session as the sign-in form makes one: pages check it against the account store.
    sign_in_apptest(at, Path(os.environ["TRUSTDESK_DATA"]), who)
    return at


def timed_run(at) -> float:
    t0 = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(f"the page failed: {at.exception[0].value}")
    return seconds


def warm_up(empty: Path) -> None:
    os.environ["TRUSTDESK_DATA"] = str(empty)
    for page in PAGES:
        at = app_test(page)
        timed_run(at)


def bench_page(page: str) -> dict:
    at = app_test(page)
    first = timed_run(at)
    at.sidebar.selectbox(key="region").select("Asia Pacific")
    region = timed_run(at)
    at.sidebar.selectbox(key="period").select("Last 90 days")
    period = timed_run(at)
    again = timed_run(at)
    return {
        "page": page,
        "first": first,
        "region": region,
        "period": period,
        "again": again,
        "tables": len(at.dataframe),
        "charts": len(at.get("vega_lite_chart")),
    }


def verdict(r: dict) -> str:
    worst = max(r["region"], r["period"])
    if r["first"] <= GOAL_FIRST and worst <= GOAL_AGAIN:
        return "meets the goal"
    if max(r["first"], worst) <= CEILING:
        return "within the 2 s ceiling"
    return "over the 2 s ceiling"


def section(rows: list[dict], args, info: dict, mart_rows: dict, load_before, load_after) -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    made = (
        "an existing store"
        if info.get("reused")
        else f"a world generated in {info['generate_s']:.0f} s and loaded in {info['load_s']:.0f} s"
    )
    lines = [
        "## Pages",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m bench.pages --messages "
        f"{args.messages}` ({args.days} days, {made}) on {os.cpu_count()} cores, {mem:.0f} GiB, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, Streamlit {streamlit.__version__}. "
        f"Load average (1 min) {load_before:.2f} before and {load_after:.2f} after: the machine is shared, "
        "so times vary with what else runs.",
        "",
        "Marts: " + ", ".join(f"{name} {n:,} rows" for name, n in mart_rows.items()) + ".",
        "",
        "Each page is rendered headlessly with `streamlit.testing.v1.AppTest` in a fresh session: the first "
        "render (last 30 days, all regions; nothing of that page cached), a re-render after choosing the "
        "region Asia Pacific, one after choosing the last 90 days (both new queries), and a plain re-render "
        "(cached by warehouse version and filters). Goal: first render under 1 s, re-render under 0.25 s, "
        "at most 2 s.",
        "",
        "| page | first render | region change | period change | cached re-render | tables / charts | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['page']} | {r['first'] * 1000:,.0f} ms | {r['region'] * 1000:,.0f} ms | "
            f"{r['period'] * 1000:,.0f} ms | {r['again'] * 1000:,.0f} ms | {r['tables']} / {r['charts']} | "
            f"{verdict(r)} |"
        )
    return "\n".join(lines) + "\n"


def write_section(text: str, heading: str = "## Pages") -> None:
    """Replace one "## " section (up to the next "## " heading), keeping every other section."""
    old = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(old):
        new = pattern.sub(lambda _: text + "\n", old, count=1)
    else:
        new = old.rstrip("\n") + "\n\n" + text
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pages")
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--reuse", action="store_true", help="reuse bench/out/pages-store-N when it exists")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/BENCHMARKS.md")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    root, info = prepare(args.messages, args.days, args.seed, args.reuse)
    print(f"store ready: {root} {info}", flush=True)

    warm_up(OUT / "pages-empty")
    os.environ["TRUSTDESK_DATA"] = str(root)
    from trustdesk.warehouse import open_current

    wh = open_current(root)
    mart_rows = {
        t: wh.scalar(f"select count(*) from {t}")
        for t in ("business_user_day", "business_day", "response_day", "feedback_events", "ad_user_day", "quality_day")
    }
    wh.close()

    load_before = os.getloadavg()[0]
    rows = []
    for page in PAGES:
        rows.append(bench_page(page))
        r = rows[-1]
        print(
            f"{page:18} first {r['first'] * 1000:7,.0f} ms  region {r['region'] * 1000:7,.0f} ms  "
            f"period {r['period'] * 1000:7,.0f} ms  cached {r['again'] * 1000:6,.0f} ms  {verdict(r)}",
            flush=True,
        )
    load_after = os.getloadavg()[0]
    text = section(rows, args, info, mart_rows, load_before, load_after)
    if args.no_write:
        print(text)
        return
    write_section(text)
    print(f"wrote the Pages section of {DOC}")


if __name__ == "__main__":
    main()
