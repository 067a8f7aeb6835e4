"""Many people at once: analysts and moderators in real Chromium against `trustdesk serve`, while a
load publishes a new warehouse.

    python -m bench.load_test                                  # 20 analysts, 5 moderators, 2M messages
    python -m bench.load_test --messages 200000 --analysts 3 --moderators 1 --rounds 1 --no-write

Each person is a Playwright browser context of its own (its own cookie, its own Streamlit session),
signs in, then walks its role's pages `--rounds` times through the sidebar, as a person clicks,
reading each page for `--think` seconds on average (uniformly 0.5x to 1.5x, seeded per person)
before the next click; `--think 0` clicks at once, which measures saturation rather than people.
A page's time runs from the click to the page being drawn and idle (the browser tests' ready state:
connected, a title, no script running, three checks in a row). Midway, `trustdesk load` adds one
more day of messages and publishes a new warehouse; the pages keep being used while it runs.
An error is a page that shows a Streamlit exception, a run that never becomes ready, or a
navigation that fails.

The baseline, measured in the same run before the crowd arrives: one analyst alone walking the
same pages. The figures are p50 and p95 per role, and the crowd's p95 as a ratio of the baseline.
Rewrites only the "## Many people at once" section of docs/BENCHMARKS.md. Work files: bench/out/.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from etl.ingest.load import load_files
from etl.settings import REPO_ROOT
from etl.store import read_pointer
from etl.synth import generate_world
from tests.browser.conftest import ARGS, CHROMIUM, PASSWORD, READY, Server
from trustdesk.accounts import auth

OUT = REPO_ROOT / "bench" / "out"
HEADING = "## Many people at once"
ANALYST_PAGES = (
    "Overview",
    "Spam reports",
    "Block rates & quality",
    "Status ads",
    "Revenue by region",
    "Messaging health",
)
MODERATOR_PAGES = ("Review queue", "Campaigns", "Audit log", "Overview")
GOAL_P95_S = 2.0
PAGE_TIMEOUT_S = 120.0


@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    ended: list[tuple[float, float]] = field(default_factory=list)  # (perf_counter at the end, seconds)

    def add(self, role: str, seconds: float) -> None:
        self.times.setdefault(role, []).append(seconds)
        self.ended.append((time.perf_counter(), seconds))

    def phases(self, start: float | None, end: float | None) -> dict[str, list[float]]:
        """Page times by when the view began: before the load started, while it ran, after it
        published (the first views of the new warehouse, whose cached results are new)."""
        out: dict[str, list[float]] = {"before the load": [], "while it runs": [], "after it published": []}
        for at, seconds in self.ended:
            began = at - seconds
            if start is None or began < start:
                out["before the load"].append(seconds)
            elif end is None or began < end:
                out["while it runs"].append(seconds)
            else:
                out["after it published"].append(seconds)
        return out


def prepare(n: int, days: int, seed: int) -> tuple[Path, Path]:
    """A data directory holding all but the world's last day, and that day's messages as a file."""
    world, root = OUT / f"crowd-world-{n}", OUT / f"crowd-store-{n}"
    shutil.rmtree(world, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    generate_world(world, seed=seed, businesses=max(200, n // 5000), days=days, messages=n)
    messages = world / "messages.csv"
    frame = pl.read_csv(messages, infer_schema=False)
    last = frame["sent_at"].str.slice(0, 10).max()
    later = world / "later" / "messages-last-day.csv"
    later.parent.mkdir()
    frame.filter(pl.col("sent_at").str.slice(0, 10) == last).write_csv(later)
    frame.filter(pl.col("sent_at").str.slice(0, 10) != last).write_csv(messages)
    del frame
    files = sorted(p for p in world.glob("*.csv") if p.name != "truth.csv")
    results = load_files(root, files, user="bench")
    bad = [r for r in results if r.status == "rejected"]
    if bad:
        raise SystemExit(f"the bench world did not load: {bad[0].source}: {bad[0].error}")
    return root, later


async def wait_ready(page) -> None:
    deadline = time.monotonic() + PAGE_TIMEOUT_S
    quiet = 0
    while quiet < 3:
        left_ms = max(1_000, (deadline - time.monotonic()) * 1000)
        await page.wait_for_function(READY, timeout=left_ms, polling=50)
        quiet += 1
        if quiet < 3:
            await page.wait_for_timeout(50)
            if not await page.evaluate(READY):
                quiet = 0


async def sign_in(page, url: str, name: str) -> None:
    await page.goto(url)
    await wait_ready(page)
    await page.get_by_role("textbox", name="Name").fill(name)
    await page.get_by_role("textbox", name="Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=PAGE_TIMEOUT_S * 1000)
    await wait_ready(page)


async def walk(
    browser, url: str, name: str, role: str, pages: tuple[str, ...], rounds: int, tally: Tally, think: float = 0.0
) -> None:
    rng = random.Random(name)
    context = await browser.new_context(viewport={"width": 1440, "height": 1000})
    page = await context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_S * 1000)
    try:
        await sign_in(page, url, name)
        for _ in range(rounds):
            for title in pages:
                t0 = time.perf_counter()
                try:
                    await page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
                    await wait_ready(page)
                except Exception as exc:  # a timeout or a broken page: counted, and the walk goes on
                    tally.errors.append(f"{name} on {title}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
                    continue
                tally.add(role, time.perf_counter() - t0)
                if await page.locator('[data-testid="stException"]').count():
                    tally.errors.append(f"{name} on {title}: the page shows an exception")
                if think > 0:
                    await asyncio.sleep(think * rng.uniform(0.5, 1.5))
    except Exception as exc:
        tally.errors.append(f"{name} could not sign in: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    finally:
        await context.close()


def load_while_used(root: Path, later: Path, start_after_s: float, out: dict) -> None:
    time.sleep(start_after_s)
    before = (read_pointer(root) or {}).get("version")
    t0 = time.perf_counter()
    out["started"] = t0
    done = subprocess.run(
        [sys.executable, "-m", "trustdesk.cli", "--data-dir", str(root), "load", str(later)],
        capture_output=True,
        text=True,
    )
    out.update(
        ended=time.perf_counter(),
        seconds=time.perf_counter() - t0,
        returncode=done.returncode,
        stderr=done.stderr.strip().splitlines()[-1:] if done.returncode else [],
        before=before,
        after=(read_pointer(root) or {}).get("version"),
    )


async def crowd(url: str, root: Path, later: Path, args) -> tuple[Tally, Tally, dict]:
    from playwright.async_api import async_playwright

    alone, many, loaded = Tally(), Tally(), {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            # Warm-up: the first visit imports the page modules; not measured.
            await walk(browser, url, "analyst0", "analyst", ANALYST_PAGES + MODERATOR_PAGES[:1], 1, Tally())
            await walk(browser, url, "analyst0", "analyst", ANALYST_PAGES, args.rounds, alone, args.think)
            people = [("analyst", f"analyst{i + 1}", ANALYST_PAGES) for i in range(args.analysts)]
            people += [("moderator", f"moderator{i + 1}", MODERATOR_PAGES) for i in range(args.moderators)]
            loader = asyncio.get_running_loop().run_in_executor(
                None, load_while_used, root, later, args.load_after, loaded
            )
            await asyncio.gather(
                *(walk(browser, url, name, role, pages, args.rounds, many, args.think) for role, name, pages in people)
            )
            await loader
        finally:
            await browser.close()
    return alone, many, loaded


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    if len(xs) == 1:
        return xs[0]
    return statistics.quantiles(xs, n=100, method="inclusive")[int(q) - 1]


def report(alone: Tally, many: Tally, loaded: dict, args, info: dict) -> str:
    base95 = pct(alone.times.get("analyst", []), 95)
    rows = [
        f"| 1 analyst alone (baseline) | {len(alone.times.get('analyst', []))} | "
        f"{pct(alone.times.get('analyst', []), 50):.2f} s | {base95:.2f} s | 1.0x | {len(alone.errors)} |"
    ]
    for role, count in (("analyst", args.analysts), ("moderator", args.moderators)):
        xs = many.times.get(role, [])
        errs = sum(1 for e in many.errors if e.startswith(role))
        rows.append(
            f"| {count} {role}{'s' if count != 1 else ''} at once | {len(xs)} | {pct(xs, 50):.2f} s | {pct(xs, 95):.2f} s | "
            f"{pct(xs, 95) / base95:.1f}x | {errs} |"
        )
    crowd95 = pct([x for xs in many.times.values() for x in xs], 95)
    verdict = (
        f"p95 under the crowd {crowd95:.2f} s: {'met' if crowd95 < GOAL_P95_S else 'missed'} "
        f"(goal: no error, p95 < {GOAL_P95_S:.0f} s); {len(many.errors)} error(s)."
    )
    load = (
        f"The load of one more day ({info['later_rows']:,} messages) took {loaded.get('seconds', float('nan')):.1f} s "
        f"while they worked and published warehouse version {loaded.get('after')} over {loaded.get('before')}"
        if loaded.get("returncode") == 0
        else f"The load during the test failed: {loaded.get('stderr')}"
    )
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = [
        HEADING,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m bench.load_test --messages {args.messages} "
        f"--analysts {args.analysts} --moderators {args.moderators} --rounds {args.rounds} --think {args.think:g}` on {os.cpu_count()} cores, "
        f"{mem:.0f} GiB, Python {platform.python_version()}; Debian's Chromium and the server on the same machine; "
        f"load average {os.getloadavg()[0]:.2f} at the end. Page time: click in the sidebar to the page drawn and idle. "
        + (
            f"Each person reads a page {args.think:g} s on average (0.5x to 1.5x) before the next click."
            if args.think > 0
            else "Nobody pauses between clicks (`--think 0`): this measures saturation, not people."
        ),
        "",
        "| who | page views | p50 | p95 | p95 / baseline | errors |",
        "| --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        f"{verdict} {load}.",
        "",
        "The crowd's page views by when they began:",
        "",
        "| when | page views | p50 | p95 |",
        "| --- | --- | --- | --- |",
        *(
            f"| {when} | {len(xs)} | {pct(xs, 50):.2f} s | {pct(xs, 95):.2f} s |" if xs else f"| {when} | 0 | – | – |"
            for when, xs in many.phases(loaded.get("started"), loaded.get("ended")).items()
        ),
    ]
    if many.errors:
        lines += ["", "Errors (first five):", "", *(f"- {e}" for e in many.errors[:5])]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load_test")
    parser.add_argument("--messages", type=int, default=2_000_000)
    parser.add_argument("--days", type=int, default=45)
    parser.add_argument("--analysts", type=int, default=20)
    parser.add_argument("--moderators", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--think", type=float, default=5.0, help="seconds a person reads a page before the next click, on average"
    )
    parser.add_argument("--load-after", type=float, default=20.0, help="seconds into the crowd when the load starts")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/BENCHMARKS.md")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"the load test drives Debian's Chromium, and {CHROMIUM} is missing: apt-get install chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"generating and loading {args.messages:,} messages ...", flush=True)
    root, later = prepare(args.messages, args.days, seed=5)
    for i in range(args.analysts + 1):
        auth.upsert_account(root, f"analyst{i}", "analyst", PASSWORD)
    for i in range(args.moderators):
        auth.upsert_account(root, f"moderator{i + 1}", "moderator", PASSWORD)
    info = {"later_rows": sum(1 for _ in later.open(encoding="utf-8")) - 1}
    server = Server(root)
    server.start()
    try:
        print(f"{args.analysts} analysts and {args.moderators} moderators at {server.url} ...", flush=True)
        alone, many, loaded = asyncio.run(crowd(server.url, root, later, args))
    finally:
        server.kill()
    text = report(alone, many, loaded, args, info)
    print(text)
    if not args.no_write:
        from bench.pages import write_section

        write_section(text, heading=HEADING)
        print("wrote the Many people at once section of docs/BENCHMARKS.md")


if __name__ == "__main__":
    main()
