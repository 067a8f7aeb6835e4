"""Files in through the dashboard: the Upload page's read and write side.

An upload goes the way `trustdesk load` goes. The bytes are written to
`<data dir>/tmp/uploads/<random>/<original name>` (the name is kept so that the summary and the
load history show it), checked by the loader's own dry run against the store as it is, and loaded
by `etl.ingest.load.load_files` with the signed-in person's name. The loader takes the store's load lock,
and DuckDB releases the GIL while it reads, so a large upload runs in its session's script thread
without stalling the others.

Staged copies do not outlive their use: a load removes its files, a file taken off the uploader is
removed, and `sweep_staged` removes every folder older than a short expiry (at each staging, and
with 0 at server start and session end). A folder in use (being written, checked or loaded) is
held with an OS lock on `<random>.lock` beside it, which a sweep never waits for: it skips it.

Every function checks the role itself, so an analyst is refused even when calling it directly.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import secrets
import shutil
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

import duckdb
import polars as pl
from filelock import FileLock, Timeout

from etl import store
from etl.build import ReferenceError_
from etl.contract import KINDS
from etl.formats import FORMAT_NAMES, FORMATS, detect
from etl.ingest.load import FileResult, load_files
from etl.settings import Settings
from trustdesk.accounts import auth
from trustdesk.accounts.auth import Principal
from trustdesk.site import site_root

UPLOAD_DIR = ("tmp", "uploads")
# A staged copy nobody is using is removed this long after it was staged; the session that staged
# it writes it again from the uploader's copy if it still needs it.
STAGED_MAX_AGE_S = 15 * 60
LOCK_SUFFIX = ".lock"
LOCK_WAIT_S = 60  # a session waits this long for a sweep that holds its folder (it is deleting it)
LOCK_GRACE_S = 60  # a lock file without its folder is left alone this long (its staging is under way)
MIB = 1 << 20
# A file travels in a multipart request a few hundred bytes larger than the file (boundary, part
# headers, the file's name); a server limit on the request is reached by a file that much smaller.
FRAMING_BYTES = 64 << 10
PREVIEW_ROWS = 10
PREVIEW_BYTES = 1 << 18
KIND_NAMES = tuple(KINDS)
# The formats other than v1 (etl/formats): chosen in the same select box as a v1 kind, and passed to
# the loader as its `source`.
FORMAT_CHOICES = tuple(n for n in FORMAT_NAMES if n != "v1")


def kind_and_source(choice: str | None) -> tuple[str | None, str | None]:
    """The select box's choice (None: recognise it) as the loader's (kind, source)."""
    return (None, choice) if choice in FORMAT_CHOICES else (choice, None)


def choice_label(choice: str, detected: str | None = None) -> str:
    if choice == "auto":
        if detected in FORMATS:
            return f"detect from the content ({FORMATS[detected].title})"
        return f"detect from the header ({detected or 'no kind matches'})"
    if choice in FORMATS:
        return FORMATS[choice].title
    return choice


def accepted_formats() -> list[dict]:
    """Every format TrustDesk reads: name, title, its document and its sample file (paths from the
    repository root, and the sample's bytes for a download button); for the guidance a file that
    matches nothing gets."""
    out = []
    for f in FORMATS.values():
        sample = site_root() / f.sample
        out.append(
            {
                "name": f.name,
                "title": f.title,
                "doc": f.doc,
                "sample": f.sample,
                "sample_name": sample.name,
                "sample_bytes": sample.read_bytes() if sample.is_file() else b"",
            }
        )
    return out


def matches_nothing(check: FileCheck) -> bool:
    """A file rejected without being recognised as any format: it gets the formats' guidance."""
    if not check.rejected or check.result.source is not None or check.staged.path is None:
        return False
    try:
        return detect(check.staged.path) is None
    except OSError:
        return True


ACTION = "upload files"

Progress = Callable[[float, str], None]


class UploadError(Exception):
    """An upload could not be checked or loaded; str(exc) is one sentence to show."""


class UploadedLike(Protocol):
    """What `st.file_uploader` returns per file (a BytesIO with an id, a name and a size)."""

    file_id: str
    name: str
    size: int

    def seek(self, offset: int, whence: int = 0) -> int: ...

    def read(self, size: int = -1) -> bytes: ...


@dataclass
class Staged:
    key: str  # the uploader's id for the file: one staged copy per uploaded file
    name: str  # the file name as uploaded, shown in the summary and the load history
    size: int
    path: Path | None = None
    error: str | None = None  # refused before the loader saw it
    lock: FileLock | None = field(default=None, repr=False, compare=False)  # held while in use

    @property
    def held(self) -> bool:
        return self.lock is not None and self.lock.is_locked


@dataclass
class FileCheck:
    """The dry run of one file: what a load would do, and its first rows."""

    staged: Staged
    kind: str | None  # the kind asked for; None = detect from the header
    result: FileResult
    preview: pl.DataFrame = field(default_factory=pl.DataFrame)

    @property
    def rejected(self) -> bool:
        return self.result.status == "rejected"


@dataclass(frozen=True)
class UploadLimit:
    """The largest file the Upload page accepts, in whole MiB (2**20 bytes), and why."""

    mib: int
    setting_mib: int  # upload_max_mb
    server_mib: int | None  # Streamlit's server.maxUploadSize

    @property
    def bytes(self) -> int:
        return self.mib * MIB

    @property
    def by_server(self) -> bool:
        return self.server_mib is not None and self.mib < self.setting_mib

    @property
    def widget_mb(self) -> int:
        """The `max_upload_size` to give st.file_uploader so that the browser lets every file of
        at most `mib` MiB through: Streamlit's browser side counts 10**6 bytes to its MB except
        on Windows. Bigger files that get through are refused by `stage` in a sentence."""
        return max(1, math.ceil(self.bytes / 10**6))

    @property
    def request_bytes(self) -> int:
        """The largest upload request that carries a file within the limit (for a server-side gate
        on Content-Length): the file plus its multipart framing, within Streamlit's own cap."""
        most = self.bytes + FRAMING_BYTES
        return min(most, self.server_mib * MIB) if self.server_mib else most

    def words(self) -> str:
        """The limit and where it comes from, for the page."""
        if self.by_server:
            return (
                f"{self.mib:,} MiB per file (Streamlit's server.maxUploadSize is {self.server_mib:,} MiB "
                "for the whole request, which is a little larger than the file in it)"
            )
        return f"{self.mib:,} MiB per file (setting upload_max_mb)"


def upload_limit(root: Path, server_mb: int | None = None) -> UploadLimit:
    """The upload limit as enforced: the upload_max_mb setting, or less when Streamlit's
    server.maxUploadSize (read at run time, in MiB) is smaller. Streamlit refuses a request larger
    than server.maxUploadSize, and the request is larger than its file, so a file must stay at
    least a MiB under it."""
    setting = Settings.load(root).upload_max_mb
    if not server_mb:
        return UploadLimit(setting, setting, None)
    return UploadLimit(max(1, min(setting, int(server_mb) - 1)), setting, int(server_mb))


def limit_mb(root: Path, server_limit_mb: int | None = None) -> int:
    """The largest file the page accepts, in MiB (see `upload_limit`)."""
    return upload_limit(root, server_limit_mb).mib


def upload_dir(root: Path) -> Path:
    return root.joinpath(*UPLOAD_DIR)


def safe_name(name: str) -> str:
    """The uploaded name without any directory part, short enough for a file system."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "").strip()
    if base in ("", ".", ".."):
        base = "upload.csv"
    while len(base.encode("utf-8")) > 200:
        cut = base.find(".", 1)
        stem, suffix = (base[:cut], base[cut:]) if 0 < cut and len(base) - cut < 20 else (base, "")
        base = stem[: max(1, len(stem) - 10)] + suffix
    return base


def _lock_for(folder: Path) -> FileLock:
    # thread_local=False: a session's script runs in a new thread on each rerun, and the lock is
    # the session's, not the thread's.
    return FileLock(str(folder) + LOCK_SUFFIX, thread_local=False)


def stage(root: Path, principal: Principal | None, upload: UploadedLike, max_mb: int | None = None) -> Staged:
    """Write one uploaded file to its own directory under `<data dir>/tmp/uploads`. The folder is
    returned held (in use): `release` lets sweeps take it, `discard` removes it."""
    auth.require(principal, "moderator", ACTION)
    limit = max_mb if max_mb is not None else limit_mb(root)
    staged = Staged(str(upload.file_id), upload.name, int(upload.size))
    if staged.size > limit * MIB:
        staged.error = (
            f"{upload.name}: is {staged.size / MIB:,.1f} MiB, larger than the {limit:,} MiB upload "
            "limit; split the export or load it with `trustdesk load`"
        )
        return staged
    base = store.private_dir(upload_dir(root))
    sweep_staged(root)
    folder = base / secrets.token_hex(8)
    # The lock is taken before the folder exists, so a sweep never sees the folder unheld.
    lock = _lock_for(folder)
    lock.acquire()
    staged.lock = lock
    try:
        folder.mkdir()
        path = folder / safe_name(upload.name)
        upload.seek(0)
        with open(path, "xb") as out:
            shutil.copyfileobj(upload, out, 1 << 22)
    except OSError as exc:
        _remove(folder, lock)
        staged.lock = None
        raise UploadError(f"{upload.name}: could not be saved for loading ({exc.strerror or exc})") from exc
    staged.path = path
    return staged


def hold(staged: Staged) -> bool:
    """Mark a staged copy in use again (after `release`); False when it is gone (swept), and then
    it must be staged again."""
    if staged.path is None:
        return False
    if not staged.held:
        lock = staged.lock or _lock_for(staged.path.parent)
        try:
            lock.acquire(timeout=LOCK_WAIT_S)
        except Timeout:
            return False
        staged.lock = lock
    if staged.path.exists():
        return True
    _remove(staged.path.parent, staged.lock)  # swept: only the lock file is left
    staged.path = None
    return False


def release(staged: Iterable[Staged]) -> None:
    """No longer in use (the page's run ended): a sweep may remove them once they expire."""
    for s in staged:
        if s.lock is not None and s.lock.is_locked:
            s.lock.release(force=True)


def discard(staged: Iterable[Staged]) -> None:
    for s in staged:
        if s.path is not None:
            _remove(s.path.parent, s.lock or _lock_for(s.path.parent))
            s.path = None
        elif s.lock is not None and s.lock.is_locked:
            s.lock.release(force=True)
        s.lock = None


def _remove(folder: Path, lock: FileLock) -> None:
    """Remove a folder whose lock the caller holds, then the lock file."""
    shutil.rmtree(folder, ignore_errors=True)
    lock_path = Path(lock.lock_file)
    try:
        lock_path.unlink(missing_ok=True)
    except OSError:
        pass
    if lock.is_locked:
        lock.release(force=True)


def sweep_staged(root: Path, max_age_seconds: float = STAGED_MAX_AGE_S) -> int:
    """Remove staged upload folders older than `max_age_seconds` that nobody is using; returns how
    many were removed. A folder in use (held by a session writing, checking or loading it) is
    skipped whatever its age, so `sweep_staged(root, 0)` is safe while other sessions load."""
    base = upload_dir(root)
    try:
        entries = list(base.iterdir())
    except OSError:
        return 0
    now = time.time()
    removed = 0
    names = {e.name for e in entries}
    for entry in entries:
        try:
            if entry.name.endswith(LOCK_SUFFIX):
                folder = entry.with_name(entry.name[: -len(LOCK_SUFFIX)])
                # A staging that died before making its folder; a young one may be making it now.
                if folder.name not in names and now - entry.stat().st_mtime >= max(max_age_seconds, LOCK_GRACE_S):
                    _sweep_one(folder, only_lock=True)
                continue
            if not entry.is_dir() or now - entry.stat().st_mtime < max_age_seconds:
                continue
        except OSError:
            continue
        removed += _sweep_one(entry)
    return removed


def _sweep_one(folder: Path, only_lock: bool = False) -> int:
    lock = _lock_for(folder)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return 0  # in use
    except OSError:
        return 0
    if only_lock:
        if folder.exists():  # staged since the listing
            lock.release(force=True)
            return 0
        _remove(folder, lock)
        return 0
    _remove(folder, lock)
    return 1


def preview(path: Path, rows: int = PREVIEW_ROWS) -> pl.DataFrame:
    """The header and first rows as text, however broken the file: for the eye, not the loader."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(PREVIEW_BYTES)
        if head.startswith(b"\x1f\x8b"):
            with gzip.open(path, "rb") as fh:
                head = fh.read(PREVIEW_BYTES)
    except (OSError, EOFError, zlib.error):
        return pl.DataFrame()
    if b"\x00" in head[:4096]:
        return pl.DataFrame()  # binary, or UTF-16/32: nothing a person can read
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    if len(head) == PREVIEW_BYTES:
        text = text[: text.rfind("\n") + 1] or text  # drop a record cut in the middle
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(text, newline="")):
            records.append(record)
            if len(records) > rows:
                break
    except csv.Error:
        pass
    if not records:
        return pl.DataFrame()
    header, body = records[0], records[1:]
    width = max(len(r) for r in records)
    names = _unique([header[i].strip() if i < len(header) else "" for i in range(width)])
    columns = {n: [r[i] if i < len(r) else None for r in body] for i, n in enumerate(names)}
    return pl.DataFrame(columns, schema={n: pl.String for n in names})


def _unique(names: list[str]) -> list[str]:
    out, seen = [], set()
    for i, n in enumerate(names):
        name = n or f"(column {i + 1})"
        while name in seen:
            name += "'"
        seen.add(name)
        out.append(name)
    return out


def _refused(staged: Staged) -> FileResult:
    return FileResult(staged.name, None, "rejected", error=staged.error)


def _gone(staged: Staged) -> FileResult:
    return FileResult(
        staged.name,
        None,
        "rejected",
        error=f"{staged.name}: its saved copy expired before it was used; upload it again",
    )


def check(
    root: Path, principal: Principal | None, staged: Staged, kind: str | None = None, progress: Progress | None = None
) -> FileCheck:
    """What loading this file would do, against the store as it is now; nothing is written."""
    who = auth.require(principal, "moderator", ACTION)
    _check_kind(kind)
    if staged.error or staged.path is None:
        return FileCheck(
            staged,
            kind,
            _refused(staged)
            if staged.error
            else FileResult(staged.name, kind, "rejected", error=f"{staged.name}: was not saved"),
        )
    if not hold(staged):
        return FileCheck(staged, kind, _gone(staged))
    report = progress or (lambda f, t: None)
    k, source = kind_and_source(kind)
    [result] = _guard(
        lambda: load_files(
            root,
            [staged.path],
            kind=k,
            user=who.name,
            dry_run=True,
            progress=lambda f, s, x: report(x, s),
            source=source,
        )
    )
    result.file = staged.name
    return FileCheck(staged, kind, result, preview(staged.path))


def _rows(n: int) -> str:
    return f"{n:,} row{'' if n == 1 else 's'}"


def loads_nothing(result: FileResult) -> str:
    """Why a checked file would load no row, as one sentence (for a file that is not rejected)."""
    if result.rows_read == 0:
        return "Nothing from this file would load: it has a header and no rows."
    parts = []
    if result.quarantined:
        parts.append(f"{_rows(result.quarantined)} would be quarantined (the reasons below say why, with line numbers)")
    if result.duplicates:
        parts.append(
            f"{_rows(result.duplicates)} {'is a duplicate' if result.duplicates == 1 else 'are duplicates'} "
            "of rows already loaded or read"
        )
    return "Nothing from this file would load: " + " and ".join(parts) + "."


def nothing_to_load(checks: list[FileCheck]) -> str | None:
    """When no checked file would load a single row, why, as the sentence that replaces Load;
    None when something would load (or nothing is checked yet)."""
    if not checks or any(c.result.loaded > 0 for c in checks):
        return None
    checks = [c for c in checks if c.result.status != "skipped"] or checks
    rejected = sum(c.rejected for c in checks)
    quarantined = sum(c.result.quarantined for c in checks if not c.rejected)
    duplicates = sum(c.result.duplicates for c in checks if not c.rejected)
    empty = sum(not c.rejected and c.result.rows_read == 0 for c in checks)
    parts = []
    if rejected:
        parts.append(f"{rejected:,} {'file is' if rejected == 1 else 'files are'} rejected as a whole")
    if quarantined:
        parts.append(f"{_rows(quarantined)} would be quarantined")
    if duplicates:
        parts.append(f"{_rows(duplicates)} would be skipped as duplicates")
    if empty:
        parts.append(f"{empty:,} {'file has' if empty == 1 else 'files have'} no rows")
    files = "this file" if len(checks) == 1 else "these files"
    return (
        f"Load is off: no row of {files} would load ({', '.join(parts)}). Fix what the check above "
        "says and upload the corrected file."
    )


def load(
    root: Path,
    principal: Principal | None,
    staged: list[Staged],
    kinds: dict[str, str | None] | None = None,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Load the files as `trustdesk load` would (per file kind: None = detect), one summary each,
    then rebuild and publish the marts once. The staged copies are removed afterwards."""
    who = auth.require(principal, "moderator", ACTION)
    kinds = kinds or {}
    for k in kinds.values():
        _check_kind(k)
    report = progress or (lambda f, t: None)
    ready = [s for s in staged if s.error is None and s.path is not None and hold(s)]
    steps = len(ready) + 1
    done = {"n": 0, "file": None}

    def on_progress(file: str, stage_: str, frac: float) -> None:
        if file and file != done["file"]:
            done["file"] = file
            done["n"] += 1
        base = done["n"] - 1 if file else len(ready)
        # No file name in the text: the page shows it as Markdown.
        what = f"file {done['n']} of {len(ready)}" if file else "marts"
        report(min(1.0, (base + frac) / steps), f"{what}: {stage_}")

    # Consecutive files with the same kind go to the loader together, as on the command line.
    groups: list[tuple[str | None, list[Staged]]] = []
    for s in ready:
        k = kinds.get(s.key)
        if groups and groups[-1][0] == k:
            groups[-1][1].append(s)
        else:
            groups.append((k, [s]))
    by_name: dict[str, FileResult] = {}
    try:
        for i, (k, members) in enumerate(groups):
            last = i == len(groups) - 1
            kind_, source = kind_and_source(k)
            results = _guard(
                partial(
                    load_files,
                    root,
                    [s.path for s in members],
                    kind=kind_,
                    user=who.name,
                    rebuild=last,
                    progress=on_progress,
                    source=source,
                )
            )
            for s, r in zip(members, results):
                by_name[s.key] = r
    finally:
        discard(ready)
    report(1.0, "done")
    return [by_name.get(s.key) or (_refused(s) if s.error else _gone(s)) for s in staged]


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS and kind not in FORMAT_CHOICES:
        raise UploadError(f"unknown kind '{kind}'; choose one of {', '.join(KIND_NAMES + FORMAT_CHOICES)}")


def _guard(fn):
    """The loader's failures that are not about one file, as one sentence."""
    try:
        return fn()
    except (store.StoreBusy, ReferenceError_, UploadError) as exc:
        raise UploadError(str(exc)) from exc
    except duckdb.OutOfMemoryException as exc:
        raise UploadError(
            "DuckDB ran out of memory while loading; raise the duckdb_memory_limit setting or load a smaller file"
        ) from exc
    except duckdb.Error as exc:
        raise UploadError(f"the load failed and nothing was committed: {_first_line(exc)}") from exc
    except OSError as exc:
        raise UploadError(f"the load failed and nothing was committed: {exc.strerror or exc}") from exc
    except ValueError as exc:  # settings.json that does not parse
        raise UploadError(_first_line(exc)) from exc


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class UploadBatch:
    """The files of one browser session between reruns: staged copies and their dry runs.

    A dry run is kept until the file, the kind asked for or the published warehouse changes. The
    staged copies are held (in use) from `sync` until `release`; `in_use` does both around a run.
    """

    def __init__(self, root: Path):
        self.root = root
        self.staged: dict[str, Staged] = {}
        self._checks: dict[tuple, FileCheck] = {}

    def sync(self, principal: Principal | None, uploads: list[UploadedLike], max_mb: int | None = None) -> list[Staged]:
        """Stage new files, forget removed ones, stage again what a sweep removed; returns the
        staged files in upload order, held until `release`."""
        auth.require(principal, "moderator", ACTION)
        keys = [str(u.file_id) for u in uploads]
        gone = [k for k in self.staged if k not in keys]
        discard(self.staged.pop(k) for k in gone)
        self._checks = {k: v for k, v in self._checks.items() if k[0] in keys}
        for u in uploads:
            s = self.staged.get(str(u.file_id))
            if s is None or (s.error is None and not hold(s)):
                self.staged[str(u.file_id)] = stage(self.root, principal, u, max_mb)
        return [self.staged[k] for k in keys]

    def release(self) -> None:
        """The run is over: the staged copies may be swept once they expire."""
        release(self.staged.values())

    @contextmanager
    def in_use(
        self, principal: Principal | None, uploads: list[UploadedLike], max_mb: int | None = None
    ) -> Iterator[list[Staged]]:
        """`sync`, and `release` when the block ends (also when the run is stopped or rerun)."""
        try:
            yield self.sync(principal, uploads, max_mb)
        finally:
            self.release()

    def close(self) -> None:
        """Remove every staged copy of this session (it ended, or gave up its files)."""
        discard(self.staged.values())
        self.staged.clear()
        self._checks.clear()

    def check(
        self, principal: Principal | None, staged: Staged, kind: str | None = None, progress: Progress | None = None
    ) -> FileCheck:
        auth.require(principal, "moderator", ACTION)
        pointer = store.read_pointer(self.root) or {}
        key = (staged.key, kind, pointer.get("file"))
        if key not in self._checks:
            self._checks[key] = check(self.root, principal, staged, kind, progress)
        return self._checks[key]

    def load(
        self, principal: Principal | None, kinds: dict[str, str | None], progress: Progress | None = None
    ) -> list[FileResult]:
        """Load every staged file; their copies are removed, and the batch forgets them."""
        try:
            return load(self.root, principal, list(self.staged.values()), kinds, progress)
        finally:
            self.close()


def parts_table(check) -> pl.DataFrame:
    """What each kind of a foreign file's dry run would load, for the Upload page."""
    return pl.DataFrame(
        [
            {
                "kind": p.kind,
                "rows": p.rows_read,
                "loaded": p.loaded,
                "duplicates": p.duplicates,
                "quarantined": p.quarantined,
            }
            for p in check.parts
        ]
    )


def results_table(results: list[FileResult]) -> pl.DataFrame:
    """The outcome of each loaded file, for the Upload page (the columns `trustdesk load` prints)."""
    return pl.DataFrame([r.as_json() for r in results]).select(
        "file", "kind", "status", "rows_read", "loaded", "duplicates", "quarantined", "load_id", "error"
    )
