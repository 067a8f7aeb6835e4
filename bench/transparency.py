"""Transparency export benchmark: the streamed export of every decision against exports that hold
all rows in memory, measured in the same run on the same SQLite file.

    python -m bench.transparency                       # 20,000 and 100,000 decisions
    python -m bench.transparency --sizes 100000,300000 --no-write

Each export runs in a fresh subprocess, so its peak memory is its own: the peak resident set
(`ru_maxrss` from `wait4`) minus that of a subprocess that imports the same modules and exports
nothing. Variants: the streamed CSV and JSON lines (trustdesk.moderation.transparency.export,
written to a file as they come); the same CSV materialised (`fetchall`, every row mapped, one Polars
frame, formula-safe, `write_csv`); and the floor, a bare `fetchall` of the query into Polars and
`write_csv`, without the mapping. Rewrites only the "## Transparency export" section of
docs/BENCHMARKS.md. Work files go to bench/out/ (ignored by git).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from etl.settings import REPO_ROOT
from trustdesk import appdb
from trustdesk.accounts.auth import Principal
from trustdesk.data.export import neutralise, neutralise_frame
from trustdesk.moderation import transparency
from trustdesk.moderation.cases import ACTIONS

OUT = REPO_ROOT / "bench" / "out"
HEADING = "## Transparency export"
START = datetime(2026, 1, 1, tzinfo=UTC)
MARKETS = ("DE", "FR", "IN", "BR", None, "NL", "PL")
POLICIES = ("spam", "scam", "election_integrity", "other")
VARIANTS = ("idle", "streamed-csv", "streamed-jsonl", "materialised-csv", "bare-csv")


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def fill(root: Path, n: int) -> None:
    """`n` decided cases with one decision each in the moderation store of `root`, over one year:
    every action, policy and market in turn, a fifth opened by a moderator, one restriction in ten
    appealed and half of those overturned; some rationales start like a spreadsheet formula."""
    cases, decisions, appeals = [], [], []
    step = timedelta(days=365) / max(n, 1)
    for i in range(n):
        case_id = i + 1
        opened = START + step * i
        decided = opened + timedelta(hours=(i * 7) % 72, minutes=i % 60)
        action = ACTIONS[i % len(ACTIONS)]
        appealed = action != "dismiss" and i % 10 == 3
        overturned = appealed and i % 20 == 3
        rationale = (
            f'=HYPERLINK("http://example.invalid/{i}")' if i % 97 == 0 else f"Decision {i}: " + "reported spam. " * 12
        )
        cases.append(
            (
                case_id,
                f"b{i % 5000:05d}",
                "appeal_decided" if appealed else "decided",
                _iso(opened - timedelta(days=1))[:10],
                _iso(opened),
                _iso(decided),
                MARKETS[i % len(MARKETS)],
                "manual" if i % 5 == 0 else "risk score",
                _iso(decided + timedelta(days=1)) if appealed else None,
                _iso(decided + timedelta(days=3)) if appealed else None,
            )
        )
        decisions.append(
            (
                case_id,
                case_id,
                f"b{i % 5000:05d}",
                action,
                None if action == "dismiss" and i % 2 else POLICIES[i % len(POLICIES)],
                rationale,
                "bench",
                _iso(decided),
                int(overturned),
            )
        )
        if appealed:
            appeals.append(
                (
                    case_id,
                    f"b{i % 5000:05d}",
                    "overturn" if overturned else "uphold",
                    POLICIES[i % len(POLICIES)],
                    "appeal decided",
                    "bench2",
                    _iso(decided + timedelta(days=3)),
                    int(overturned),
                )
            )
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            con.executemany(
                "INSERT INTO cases (id, business_id, status, flagged_on, opened_at, decided_at, market, detected_by, "
                "appealed_at, appeal_decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                cases,
            )
            con.executemany(
                "INSERT INTO decisions (id, case_id, business_id, kind, action, policy, rationale, decided_by, "
                "decided_at, overturned) VALUES (?, ?, ?, 'decision', ?, ?, ?, ?, ?, ?)",
                decisions,
            )
            con.executemany(
                "INSERT INTO decisions (case_id, business_id, kind, action, policy, rationale, decided_by, decided_at, "
                "overturned) VALUES (?, ?, 'appeal', ?, ?, ?, ?, ?, ?)",
                appeals,
            )
    finally:
        con.close()


WHO = Principal("bench", "moderator")


def _materialised(root: Path, out: Path) -> None:
    con = appdb.connect(root)
    try:
        rows = con.execute(transparency.sql("transparency_export"), {"date_from": None, "date_until": None}).fetchall()
    finally:
        con.close()
    mapped = [transparency.statement(dict(r)) for r in rows]
    columns = {c: [_text(row[c]) for row in mapped] for c in transparency.COLUMNS}
    neutralise_frame(pl.DataFrame(columns, schema=dict.fromkeys(transparency.COLUMNS, pl.String))).write_csv(out)


def _text(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, list) else str(value)


def _bare(root: Path, out: Path) -> None:
    con = appdb.connect(root)
    try:
        cur = con.execute(transparency.sql("transparency_export"), {"date_from": None, "date_until": None})
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    finally:
        con.close()
    pl.DataFrame([tuple(r) for r in rows], schema=names, orient="row", infer_schema_length=None).write_csv(out)


def child(variant: str, root: Path, out: Path, traced: bool) -> None:
    """One measurement, in this process: print the seconds the export took, and with `traced` the
    peak of Python's heap while it ran (tracemalloc, which slows it: timed separately), as JSON."""
    if traced:
        tracemalloc.start()
    t0 = time.perf_counter()
    if variant in ("streamed-csv", "streamed-jsonl"):
        with open(out, "w", encoding="utf-8", newline="") as fh:
            for piece in transparency.export(root, WHO, variant.split("-")[1], safe=neutralise):
                fh.write(piece)
    elif variant == "materialised-csv":
        _materialised(root, out)
    elif variant == "bare-csv":
        _bare(root, out)
    seconds = time.perf_counter() - t0
    heap = tracemalloc.get_traced_memory()[1] if traced else None
    print(json.dumps({"seconds": seconds, "heap": heap}))


def measure(variant: str, root: Path, traced: bool = False) -> dict:
    """Run `variant` in a subprocess: seconds, peak resident MiB, and the output's size and rows."""
    out = OUT / f"transparency-{variant}.out"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "bench.transparency", "--child", variant, "--root", str(root), "--out", str(out)]
    proc = subprocess.Popen(cmd + (["--traced"] if traced else []), stdout=subprocess.PIPE, cwd=REPO_ROOT)
    said = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{variant} failed with {proc.returncode}")
    lines = 0
    if out.exists():
        with open(out, "rb") as fh:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    size = out.stat().st_size if out.exists() else 0
    out.unlink(missing_ok=True)
    return {
        "variant": variant,
        "seconds": json.loads(said)["seconds"],
        "heap_mib": (json.loads(said)["heap"] or 0) / 2**20,
        "rss_mib": usage.ru_maxrss / 1024,  # KiB on Linux
        "bytes": size,
        "lines": lines,
    }


def bench_size(n: int) -> list[dict]:
    root = OUT / f"transparency-{n}"
    shutil.rmtree(root, ignore_errors=True)
    t0 = time.perf_counter()
    fill(root, n)
    print(f"{n:,} decisions written in {time.perf_counter() - t0:.1f} s", flush=True)
    results = [measure(v, root) for v in VARIANTS]
    idle = results[0]["rss_mib"]
    for r in results:
        r["n"] = n
        r["idle_mib"] = idle
        r["above_mib"] = max(0.0, r["rss_mib"] - idle)
        r["heap_mib"] = measure(r["variant"], root, traced=True)["heap_mib"]
        # every decision came out: one line each, and a header for CSV (no rationale here has a newline)
        if r["variant"] != "idle" and r["lines"] != n + (0 if r["variant"].endswith("jsonl") else 1):
            raise RuntimeError(f"{r['variant']} wrote {r['lines']:,} lines for {n:,} decisions")
        print(r, flush=True)
    shutil.rmtree(root, ignore_errors=True)
    return results


WORDS = {
    "streamed-csv": "streamed CSV (`trustdesk transparency export`, the endpoint)",
    "streamed-jsonl": "streamed JSON lines",
    "materialised-csv": "materialised CSV: `fetchall`, map every row, one Polars frame, `write_csv`",
    "bare-csv": "floor: bare `fetchall` into Polars and `write_csv`, no mapping",
}


def section(all_results: list[dict], sizes: str, load: tuple[float, float]) -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = [
        HEADING,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m bench.transparency --sizes {sizes}` on "
        f"{os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}, Polars {pl.__version__}; load average (1 min) {load[0]:.2f} before and "
        f"{load[1]:.2f} after (the machine is shared).",
        "",
        "Each export of every decision (one row per decision, all 48 columns) runs in a fresh subprocess on the "
        "same moderation store, a real SQLite file filled by `bench.transparency.fill`. Memory is the "
        "subprocess's peak resident set above that of one that imports the same modules and exports nothing "
        "(the interpreter, Polars, SQLite: IDLE); Python's heap peak comes from a second run of the same export "
        "under `tracemalloc` (which slows it, so its time is not the one shown). Ratios are against the materialised "
        "CSV of the same size, measured in the same run. Goal: the streamed export's memory does not grow with the "
        "number of decisions.",
        "",
        "| export | decisions | time | peak resident above idle | Python heap peak | time / materialised | "
        "heap / materialised |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for n in sorted({r["n"] for r in all_results}):
        rows = {r["variant"]: r for r in all_results if r["n"] == n}
        base = rows["materialised-csv"]
        for variant in VARIANTS[1:]:
            r = rows[variant]
            lines.append(
                f"| {WORDS[variant]} | {n:,} | {r['seconds']:.2f} s | {r['above_mib']:,.1f} MiB | "
                f"{r['heap_mib']:,.1f} MiB | {r['seconds'] / base['seconds']:.2f}x | "
                f"{r['heap_mib'] / base['heap_mib']:.3f}x |"
            )
    idle = sorted({round(r["idle_mib"]) for r in all_results})
    lines += ["", _reading(all_results)]
    return "\n".join(lines).replace("IDLE", " and ".join(f"{m:,} MiB" for m in idle)) + "\n"


def _reading(all_results: list[dict]) -> str:
    """What the table shows, in numbers from this run."""
    heap = {(r["variant"], r["n"]): r["heap_mib"] for r in all_results}
    sizes = sorted({r["n"] for r in all_results})
    streamed = [heap[("streamed-csv", n)] for n in sizes]
    text = (
        f"The streamed CSV's Python heap peaks at {min(streamed):,.1f} to {max(streamed):,.1f} MiB whatever the "
        f"number of decisions (one chunk of {transparency.CHUNK:,} rows), and its resident set stays within what "
        "the imports alone reached."
    )
    if len(sizes) > 1:
        low, high = sizes[0], sizes[-1]
        per = (heap[("materialised-csv", high)] - heap[("materialised-csv", low)]) * 1024 / (high - low)
        text += (
            f" The materialised CSV's grows with the rows, about {per:,.1f} KiB per decision "
            f"({heap[('materialised-csv', high)]:,.0f} MiB at {high:,})."
        )
    return text


def run(sizes: str, write: bool) -> str:
    OUT.mkdir(parents=True, exist_ok=True)
    before = os.getloadavg()[0]
    results = [r for n in (int(s) for s in sizes.split(",")) for r in bench_size(n)]
    text = section(results, sizes, (before, os.getloadavg()[0]))
    print(text)
    if write:
        # Imported here, not at the top: bench.pages loads Streamlit, which the measurements must not.
        from bench.pages import write_section

        write_section(text, heading=HEADING)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.transparency")
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/BENCHMARKS.md")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.root, args.out, args.traced)
        return
    run(args.sizes, not args.no_write)


if __name__ == "__main__":
    main()
