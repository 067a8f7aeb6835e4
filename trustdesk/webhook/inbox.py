"""The inbox: webhook bodies stored durably before they are acknowledged, and folded into the store
exactly once.

Layout under `<data dir>/inbox/`:
- `seg-<ns>-<pid>.log`: append-only segments. A record is a 20-byte header (magic `TDW1`, body
  length, CRC-32 of receive time and body, receive time in ns, big-endian) and the raw body. A
  receiver process writes only its own segment, holds an exclusive `flock` on it while it lives
  (the kernel drops the lock when the process dies, also by kill -9) and creates it under a
  temporary name, so that a segment without a lock is sealed: nobody will write to it again.
  Several receiver processes can share an inbox.
- `fold-state.json`: how far each segment is folded, and the batch being folded (the intent),
  written by temp file, fsync, rename, directory fsync.
- `batches/<id>.jsonl`: the batch handed to the fold's callback, one body per line; derived from
  the segments, rewritten when a batch is replayed.
- `folded/`: segments folded to their end, kept as the webhook archive.

Exactly once: every record lies in exactly one batch (`offsets` only move forward, and a pending
batch is replayed with the same records before any new one is formed). A batch is handed to the
callback again only when the folding process died after the callback returned and before the state
was written; it comes back with the same id and the same bytes, so the loader skips it as a file
already loaded, and a callback that records batch ids can skip it itself.

The receiver's torn tail (a batch written but not fsynced when it was killed, whose requests got
no 200) is skipped when it cannot be read whole; a tail that can be read whole is folded: Meta
retries what got no 200, and the load is idempotent.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import struct
import threading
import time
import zlib
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

MAGIC = b"TDW1"
HEAD = struct.Struct(">4sIIQ")  # magic, body length, crc32, received_at_ns
MAX_RECORD = 1 << 30
SEGMENT_MAX_BYTES = 64 << 20
STATE = "fold-state.json"


def inbox_dir(root: Path) -> Path:
    return Path(root) / "inbox"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def encode_record(body: bytes, received_ns: int | None = None) -> bytes:
    ns = time.time_ns() if received_ns is None else received_ns
    crc = zlib.crc32(body, zlib.crc32(struct.pack(">Q", ns)))
    return HEAD.pack(MAGIC, len(body), crc, ns) + body


# --------------------------------------------------------------------------- writing


class SegmentWriter:
    """Appends batches of records to this process's own segment; fsync before returning. Not
    thread-safe: one writer thread (the receiver's group commit) calls it."""

    def __init__(self, inbox: Path, max_bytes: int = SEGMENT_MAX_BYTES):
        self.inbox = Path(inbox)
        self.max_bytes = max_bytes
        new = not self.inbox.exists()
        self.inbox.mkdir(parents=True, exist_ok=True)
        if new:
            fsync_dir(self.inbox.parent)
        self.fd: int | None = None
        self.path: Path | None = None
        self.size = 0
        self.broken = False
        self._drop_stale_temporaries()
        self._open_new()

    def _drop_stale_temporaries(self) -> None:
        # A receiver killed between creating its segment and renaming it leaves an empty `.new`;
        # a young one may be another receiver's, about to be renamed.
        for tmp in self.inbox.glob("seg-*.log.new"):
            try:
                if time.time() - tmp.stat().st_mtime > 60 and is_sealed(tmp):
                    tmp.unlink()
            except FileNotFoundError:
                pass

    def _open_new(self) -> None:
        name = f"seg-{time.time_ns():020d}-{os.getpid()}.log"
        tmp = self.inbox / (name + ".new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)  # held as long as this segment is ours
        os.rename(tmp, self.inbox / name)
        fsync_dir(self.inbox)
        old, self.fd, self.path, self.size, self.broken = self.fd, fd, self.inbox / name, 0, False
        if old is not None:
            os.close(old)  # releases its lock: the old segment is sealed

    def append(self, records: list[bytes]) -> None:
        if self.broken:
            # After a failed write the segment may end in half a record: never append after it.
            self._open_new()
        buf = memoryview(b"".join(records))
        try:
            while buf:
                n = os.write(self.fd, buf)
                buf = buf[n:]
            os.fsync(self.fd)
        except OSError:
            self.broken = True
            raise
        self.size += sum(len(r) for r in records)
        if self.size >= self.max_bytes:
            self._open_new()

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


# --------------------------------------------------------------------------- reading


@dataclass
class Record:
    offset: int
    end: int
    received_ns: int
    body: bytes


def is_sealed(path: Path) -> bool:
    """No receiver holds the segment: it will not grow again."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def _parse(data: bytes, pos: int) -> tuple[str, Record | None]:
    """("ok", record) | ("partial", None): not all there yet | ("bad", None): not a record."""
    if len(data) - pos < HEAD.size:
        return "partial", None
    magic, length, crc, ns = HEAD.unpack_from(data, pos)
    if magic != MAGIC or length > MAX_RECORD:
        return "bad", None
    end = pos + HEAD.size + length
    if end > len(data):
        return "partial", None
    body = data[pos + HEAD.size : end]
    if zlib.crc32(body, zlib.crc32(struct.pack(">Q", ns))) != crc:
        return "bad", None
    return "ok", Record(pos, end, ns, body)


def scan(
    path: Path, start: int, *, sealed: bool, limit: int | None = None, stop: int | None = None
) -> tuple[list[Record], int, int]:
    """Records from `start`: (records, position after them, bytes skipped). In a sealed segment a
    part that cannot be read (a torn tail, damage) is skipped up to the next whole record; in a
    live one reading stops there, to go on when the writer has finished."""
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read() if stop is None else fh.read(max(0, stop - start))
    records: list[Record] = []
    pos, skipped = 0, 0
    while pos < len(data) and (limit is None or len(records) < limit):
        state, rec = _parse(data, pos)
        if state == "ok":
            records.append(Record(start + rec.offset, start + rec.end, rec.received_ns, rec.body))
            pos = rec.end
            continue
        if not sealed:
            break
        nxt = data.find(MAGIC, pos + 1)
        while nxt != -1 and _parse(data, nxt)[0] != "ok":
            nxt = data.find(MAGIC, nxt + 1)
        new_pos = len(data) if nxt == -1 else nxt
        skipped += new_pos - pos
        pos = new_pos
    return records, start + pos, skipped


def segments(inbox: Path) -> list[Path]:
    return sorted(inbox.glob("seg-*.log"))


# --------------------------------------------------------------------------- folding


@dataclass
class InboxBatch:
    """What the fold hands to its callback. `path` is a JSON-lines file of the bodies (the
    WhatsApp webhook reader reads it as it is); `id` is stable across a replay."""

    id: str
    path: Path
    count: int
    ranges: list[tuple[str, int, int]]

    def bodies(self) -> list[bytes]:
        return [line for line in self.path.read_bytes().split(b"\n") if line.strip()]


@dataclass
class FoldResult:
    batches: list[str] = field(default_factory=list)
    bodies: int = 0
    replayed: list[str] = field(default_factory=list)
    skipped_bytes: int = 0
    archived: list[str] = field(default_factory=list)


class FoldBusy(Exception):
    """Another process is folding this inbox."""


def _write_json(path: Path, value) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(value, fh, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _read_state(inbox: Path) -> dict:
    path = inbox / STATE
    if not path.exists():
        return {"offsets": {}, "pending": None}
    state = json.loads(path.read_text(encoding="utf-8"))
    state.setdefault("offsets", {})
    state.setdefault("pending", None)
    return state


@contextmanager
def _fold_lock(inbox: Path, wait: bool):
    fd = os.open(inbox / "fold.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            raise FoldBusy("another process is folding the inbox") from exc
        yield
    finally:
        os.close(fd)


def _batch_id(ranges) -> str:
    text = ";".join(f"{s}:{a}-{b}" for s, a, b in ranges)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _line(body: bytes) -> bytes:
    # A body that spans lines (pretty-printed) goes on one line: a JSON string cannot hold a raw
    # line break, so every one of them is whitespace between tokens and a space keeps the value.
    return body.replace(b"\r", b" ").replace(b"\n", b" ").strip()


def _materialise(inbox: Path, ranges, sealed: dict[str, bool]) -> InboxBatch:
    lines = []
    for seg, start, end in ranges:
        records, _, _ = scan(inbox / seg, start, sealed=sealed.get(seg, True), stop=end)
        lines.extend(_line(r.body) for r in records)
    bid = _batch_id(ranges)
    out = inbox / "batches"
    out.mkdir(exist_ok=True)
    path = out / f"batch-{bid}.jsonl"
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(b"\n".join(lines) + (b"\n" if lines else b""))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return InboxBatch(bid, path, len(lines), [tuple(r) for r in ranges])


def _next_ranges(inbox: Path, state: dict, max_bodies: int, result: FoldResult):
    ranges, count, sealed = [], 0, {}
    for seg in segments(inbox):
        if count >= max_bodies:
            break
        name = seg.name
        sealed[name] = is_sealed(seg)
        start = state["offsets"].get(name, 0)
        records, end, skipped = scan(seg, start, sealed=sealed[name], limit=max_bodies - count)
        if sealed[name] and len(records) < max_bodies - count:
            end = max(end, seg.stat().st_size)  # the unreadable tail is passed over
        if records or end > start:
            ranges.append((name, start, end))
            count += len(records)
            result.skipped_bytes += skipped
    return ranges, count, sealed


def _archive(inbox: Path, state: dict, result: FoldResult) -> None:
    folded = inbox / "folded"
    moved = []
    for seg in segments(inbox):
        done = state["offsets"].get(seg.name, -1)
        if is_sealed(seg) and done >= seg.stat().st_size:
            folded.mkdir(exist_ok=True)
            os.rename(seg, folded / seg.name)
            moved.append(seg.name)
    if moved:
        fsync_dir(folded)
        fsync_dir(inbox)
        for name in moved:
            state["offsets"].pop(name, None)
        _write_json(inbox / STATE, state)
        result.archived.extend(moved)
    live = {s.name for s in segments(inbox)}
    stale = [n for n in state["offsets"] if n not in live]
    if stale:  # archived by a fold that died before it could say so
        for n in stale:
            state["offsets"].pop(n)
        _write_json(inbox / STATE, state)


def fold_inbox(
    root: Path,
    convert_and_load: Callable[[InboxBatch], object],
    *,
    max_bodies: int = 5000,
    max_batches: int | None = None,
    wait: bool = True,
) -> FoldResult:
    """Hand every stored body not yet folded to `convert_and_load`, in batches of at most
    `max_bodies`, exactly once (see the module's docstring). The callback returns only when the
    batch is committed (the loader's transaction); if it raises, the batch stays pending and the
    next fold hands the same batch again, so a callback must itself deal with a batch it cannot
    use (a file-level rejection: record it and return), or the inbox stops there. `wait=False`
    raises `FoldBusy` instead of waiting for another folding process."""
    inbox = inbox_dir(root)
    result = FoldResult()
    if not inbox.exists():
        return result
    with _fold_lock(inbox, wait):
        state = _read_state(inbox)
        while max_batches is None or len(result.batches) < max_batches:
            pending = state.get("pending")
            if pending:
                ranges = [tuple(r) for r in pending["ranges"]]
                batch = _materialise(inbox, ranges, {})
                result.replayed.append(batch.id)
            else:
                ranges, count, sealed = _next_ranges(inbox, state, max_bodies, result)
                if not ranges:
                    break
                state["pending"] = {"id": _batch_id(ranges), "ranges": [list(r) for r in ranges]}
                _write_json(inbox / STATE, state)  # the intent, before anything is handed out
                batch = _materialise(inbox, ranges, sealed)
            if batch.count:
                convert_and_load(batch)
            for seg, _start, end in ranges:
                state["offsets"][seg] = end
            state["pending"] = None
            _write_json(inbox / STATE, state)
            batch.path.unlink(missing_ok=True)
            if batch.count:
                result.batches.append(batch.id)
                result.bodies += batch.count
        _archive(inbox, state, result)
    return result


def fold_every(
    root: Path,
    convert_and_load: Callable[[InboxBatch], object],
    seconds: float,
    stop: threading.Event,
    on_error: Callable[[Exception], None] | None = None,
) -> None:
    """Fold every `seconds` until `stop` is set (a thread beside the receiver, or a process)."""
    while not stop.is_set():
        try:
            fold_inbox(root, convert_and_load, wait=False)
        except FoldBusy:
            pass
        except Exception as exc:  # the next round replays the pending batch
            if on_error is None:
                raise
            on_error(exc)
        stop.wait(seconds)
