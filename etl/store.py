"""The data directory's files and how writers and readers share them.

DuckDB lets one process hold a file read-write, and then nobody else may open it. So:

- `ingest.duckdb` holds the validated raw events, quarantine and load history. Only a loader opens
  it, and only while holding `load.lock` (an OS file lock: the kernel drops it when the process dies,
  so a killed loader never leaves it stuck).
- marts are built into a fresh `warehouse/wh-NNNNNN.duckdb`, fsynced, then `CURRENT` (a small JSON
  pointer) is replaced atomically. The dashboard opens the file `CURRENT` names read-only and
  reopens when the pointer changes. Older files are removed after a grace period.

The data directory holds message texts, user ids and (`trustdesk.sqlite`) password hashes, so it
and what the loader writes into it are the owner's only: directories 0700, files 0600, set with
chmod whatever the process umask is (`private_dir`, `private_file`).
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
from filelock import FileLock, Timeout

INGEST_FILE = "ingest.duckdb"
WAREHOUSE_DIR = "warehouse"
POINTER_FILE = "CURRENT"
LOCK_FILE = "load.lock"
KEEP_OLD_WAREHOUSES = 2
OLD_WAREHOUSE_GRACE_S = 600


DIR_MODE = 0o700
FILE_MODE = 0o600


class StoreBusy(RuntimeError):
    pass


def private_dir(path: Path) -> Path:
    """Create `path` if needed and make it owner-only (0700), and the parents it creates too
    (`private_dir(root / "tmp" / "uploads")` on a fresh machine). A directory someone else owns
    (a shared mount) is left as it is: its owner decides."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for p in {path, *missing}:
        _chmod_own(p, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Make an existing file owner-only (0600); a file that does not exist is no error. Call it
    right after creating the file: its directory should be private already, so nobody else can
    open it in between."""
    _chmod_own(Path(path), FILE_MODE)
    return Path(path)


def _chmod_own(path: Path, mode: int) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    if st.st_uid == os.geteuid() and (st.st_mode & 0o777) != mode:
        os.chmod(path, mode)


@contextmanager
def load_lock(root: Path, timeout: float = 600.0, on_wait=None):
    """Serialise writers. Waits for another loader rather than failing at once."""
    private_dir(root)
    lock = FileLock(str(root / LOCK_FILE), mode=FILE_MODE)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if on_wait:
            on_wait()
        try:
            lock.acquire(timeout=timeout)
        except Timeout as exc:
            raise StoreBusy(
                f"another loader has held {root / LOCK_FILE} for over {timeout:.0f} s; "
                "wait for it to finish and try again"
            ) from exc
    try:
        private_file(root / LOCK_FILE)
        yield
    finally:
        lock.release()


def connect_ingest(root: Path, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    private_dir(root)
    tmp = private_dir(root / "tmp")  # DuckDB's spill files, gunzipped copies, staged uploads
    config = {"temp_directory": str(tmp)}
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(str(root / INGEST_FILE), config=config)
    for path in (root / INGEST_FILE, root / (INGEST_FILE + ".wal")):
        private_file(path)
    con.execute("SET TimeZone = 'UTC'")
    return con


def read_pointer(root: Path) -> dict | None:
    try:
        return json.loads((root / POINTER_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        # A pointer is only ever replaced by rename, so a torn one means someone edited it by hand.
        return None


def fsync_dir(path: Path) -> None:
    """Make a rename inside `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_json(path: Path, value: dict) -> None:
    """Write `value` to `path` as its owner's file, durably and atomically: a temporary name,
    fsync, rename, fsync of the directory. A reader sees the old file or the new one, never a part."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        os.fchmod(fh.fileno(), FILE_MODE)  # a .tmp left by a killed writer kept its mode
        json.dump(value, fh, indent=2, default=str)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def publish_warehouse(root: Path, built: Path, meta: dict) -> Path:
    """Move a finished warehouse file into place and switch the pointer to it, durably."""
    wh_dir = private_dir(root / WAREHOUSE_DIR)
    final = wh_dir / f"wh-{meta['version']:06d}-{int(time.time() * 1000)}.duckdb"
    private_file(built)
    with open(built, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(built, final)
    fsync_dir(wh_dir)
    replace_json(root / POINTER_FILE, dict(meta, file=f"{WAREHOUSE_DIR}/{final.name}"))
    _remove_old_warehouses(wh_dir, keep=final)
    return final


def new_warehouse_path(root: Path) -> Path:
    private_dir(root)
    wh_dir = private_dir(root / WAREHOUSE_DIR)
    path = wh_dir / f"building-{os.getpid()}.duckdb"
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    return path


def _remove_old_warehouses(wh_dir: Path, keep: Path) -> None:
    """Keep the newest few; a reader that still has an old file open keeps its inode on POSIX."""
    now = time.time()
    done = sorted((p for p in wh_dir.glob("wh-*.duckdb") if p != keep), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in done[KEEP_OLD_WAREHOUSES:]:
        if now - old.stat().st_mtime > OLD_WAREHOUSE_GRACE_S:
            old.unlink(missing_ok=True)
    # Files left by a builder that was killed.
    for partial in wh_dir.glob("building-*.duckdb*"):
        pid = partial.name.split("-")[1].split(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            partial.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def store_version(con) -> int:
    """The event store's version: it grows with every load that changes the events."""
    return con.execute("SELECT version FROM store_meta").fetchall()[0][0]
