"""`generate_world`: plans the world, generates it slice by slice and writes the files.

The period is cut into time slices of about `CHUNK_MESSAGES` messages. One writer thread formats
and appends slice k (polars, without the GIL) while slice k+1 is generated; at most `MAX_QUEUED`
slices wait, so memory does not grow with the number of messages. Files are appended to in slice
order by that single thread, so the bytes depend neither on timing nor on the thread count."""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import polars as pl

from etl.contract import (
    KINDS,
    TRUTH_COLUMNS,  # the loader recognises truth.csv by this header
)
from etl.synth.abuse import Abuse
from etl.synth.content import Content, build_content
from etl.synth.lookups import Lookups, build_lookups
from etl.synth.plan import Plan, plan_world
from etl.synth.rows import Chunk
from etl.synth.timeslices import make_chunk

CHUNK_MESSAGES = 250_000
MAX_QUEUED = 2  # slices generated but not yet written
OUTPUT_FILES = ("businesses", "messages", "reports", "blocks", "opt_outs", "ad_campaigns", "ad_events", "truth")

Progress = Callable[[int, int], None]


def generate_world(
    out_dir: Path,
    *,
    seed: int = 42,
    businesses: int = 300,
    days: int = 60,
    messages: int = 500_000,
    start: dt.date = dt.date(2026, 9, 1),
    progress: Progress | None = None,
    abuse: Abuse | None = None,
) -> dict[str, int]:
    """Write a synthetic world as log-format v1 CSV files (plus truth.csv) into out_dir.

    abuse holds the knobs of the planted abuse and hard negatives (`Abuse()` when None). Returns
    the number of data rows written per file (keys: the kinds and "truth"). progress, when given,
    is called with (messages written, messages planned) as messages are written; its last call has
    done == total.
    """
    if businesses < 1 or not 1 <= days <= 36_500 or messages < 0:
        raise ValueError("businesses must be at least 1, days between 1 and 36500, messages >= 0")
    start = dt.date(start.year, start.month, start.day)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = plan_world(seed, businesses, days, messages, start, abuse)
    content = build_content(plan.extra_families)
    lk = build_lookups(plan, content)
    counts = {name: 0 for name in OUTPUT_FILES}
    handles = {name: open(out_dir / f"{name}.csv", "wb") for name in OUTPUT_FILES}
    try:
        for name, fh in handles.items():
            fh.write(_header(name))
        _write_slices(plan, content, lk, seed, messages, handles, counts, progress)
    finally:
        for fh in handles.values():
            fh.close()
    if progress is not None:
        progress(counts["messages"], counts["messages"])
    return counts


def _write_slices(
    plan: Plan,
    content: Content,
    lk: Lookups,
    seed: int,
    messages: int,
    handles: dict[str, BinaryIO],
    counts: dict[str, int],
    progress: Progress | None,
) -> None:
    """The dimensions, then every slice in order, each written while the next is generated."""
    counters = {"messages": 1, "report": 1, "block": 1, "opt_out": 1, "ad_event": 1}

    def write_chunk(chunk: Chunk) -> None:
        for name, (rows, build) in chunk.items():
            if rows:
                _write(handles[name], build(), float_precision=6, quote_style="never")

    def write_dimensions() -> None:
        for name, df in plan.dimensions().items():
            _write(handles[name], df)

    hours = plan.hours
    n_slices = max(1, min(hours, math.ceil(messages / CHUNK_MESSAGES)))
    bounds = [round(k * hours / n_slices) for k in range(n_slices + 1)]
    with ThreadPoolExecutor(max_workers=1) as writer:
        dims = {"businesses": (plan.n_b, None), "ad_campaigns": (plan.campaigns.n, None), "truth": (plan.n_truth, None)}
        queue: deque[tuple[Future, Chunk]] = deque()
        queue.append((writer.submit(write_dimensions), dims))
        for k in range(n_slices):
            chunk = make_chunk(plan, content, lk, seed, k, float(bounds[k]), float(bounds[k + 1]), counters)
            queue.append((writer.submit(write_chunk, chunk), chunk))
            while len(queue) > MAX_QUEUED:  # bounded memory: wait for the writer
                _finish(queue.popleft(), counts, messages, progress)
        while queue:
            _finish(queue.popleft(), counts, messages, progress)


def _header(kind: str) -> bytes:
    cols = TRUTH_COLUMNS if kind == "truth" else KINDS[kind].names
    return (",".join(cols) + "\n").encode()


def _write(fh: BinaryIO, df: pl.DataFrame, **kw) -> None:
    if df.height:
        df.write_csv(fh, include_header=False, **kw)


def _finish(pending: tuple[Future, Chunk], counts: dict[str, int], planned: int, progress: Progress | None) -> None:
    future, chunk = pending
    future.result()
    for name, (rows, _) in chunk.items():
        counts[name] += rows
    if progress is not None:
        progress(counts["messages"], max(planned, counts["messages"]))
