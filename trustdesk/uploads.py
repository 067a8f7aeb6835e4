"""Files in through the dashboard: the Upload page's read and write side.

An upload goes the way `trustdesk load` goes. The bytes are written to
`<data dir>/tmp/uploads/<random>/<original name>` (the name is kept so that the summary and the
load history show it), checked by the loader's own dry run against the store as it is, and loaded
by `etl.load.load_files` with the signed-in person's name. Nothing here holds a lock: the loader
takes the store's load lock, and DuckDB releases the GIL while it reads, so a large upload runs in
its session's script thread without stalling the others.

Every function checks the role itself, so an analyst is refused even when calling it directly.
"""

from __future__ import annotations

import csv
import gzip
import io
import secrets
import shutil
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Protocol

import duckdb
import polars as pl

from etl import store
from etl.contract import KINDS
from etl.load import FileResult, load_files
from trustdesk import auth
from trustdesk.auth import Principal
from trustdesk.config import Settings

UPLOAD_DIR = ("tmp", "uploads")
STALE_AFTER_S = 24 * 3600
PREVIEW_ROWS = 10
PREVIEW_BYTES = 1 << 18
KIND_NAMES = tuple(KINDS)
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


def limit_mb(root: Path, server_limit_mb: int | None = None) -> int:
    """The largest file the page accepts: the setting, capped by Streamlit's server.maxUploadSize
    (the server refuses bigger request bodies whatever the widget says)."""
    mb = Settings.load(root).upload_max_mb
    return min(mb, server_limit_mb) if server_limit_mb else mb


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


def stage(root: Path, principal: Principal | None, upload: UploadedLike,
          max_mb: int | None = None) -> Staged:
    """Write one uploaded file to its own directory under `<data dir>/tmp/uploads`."""
    auth.require(principal, "moderator", ACTION)
    limit = max_mb if max_mb is not None else limit_mb(root)
    staged = Staged(str(upload.file_id), upload.name, int(upload.size))
    if staged.size > limit << 20:
        staged.error = (
            f"{upload.name}: is {staged.size / 2**20:,.0f} MB, larger than the {limit:,} MB upload "
            "limit (setting upload_max_mb); split the export or load it with `trustdesk load`"
        )
        return staged
    base = upload_dir(root)
    base.mkdir(parents=True, exist_ok=True)
    _sweep(base)
    folder = base / secrets.token_hex(8)
    folder.mkdir()
    path = folder / safe_name(upload.name)
    upload.seek(0)
    try:
        with open(path, "xb") as out:
            shutil.copyfileobj(upload, out, 1 << 22)
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise UploadError(f"{upload.name}: could not be saved for loading ({exc.strerror or exc})") from exc
    staged.path = path
    return staged


def discard(staged: Iterable[Staged]) -> None:
    for s in staged:
        if s.path is not None:
            shutil.rmtree(s.path.parent, ignore_errors=True)
            s.path = None


def _sweep(base: Path) -> None:
    """Remove what abandoned sessions left behind."""
    now = time.time()
    for folder in base.iterdir():
        try:
            if folder.is_dir() and now - folder.stat().st_mtime > STALE_AFTER_S:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass


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


def check(root: Path, principal: Principal | None, staged: Staged, kind: str | None = None,
          progress: Progress | None = None) -> FileCheck:
    """What loading this file would do, against the store as it is now; nothing is written."""
    who = auth.require(principal, "moderator", ACTION)
    _check_kind(kind)
    if staged.error or staged.path is None:
        return FileCheck(staged, kind, _refused(staged) if staged.error else
                         FileResult(staged.name, kind, "rejected", error=f"{staged.name}: was not saved"))
    report = progress or (lambda f, t: None)
    [result] = _guard(lambda: load_files(
        root, [staged.path], kind=kind, user=who.name, dry_run=True,
        progress=lambda f, s, x: report(x, s),
    ))
    result.file = staged.name
    return FileCheck(staged, kind, result, preview(staged.path))


def load(root: Path, principal: Principal | None, staged: list[Staged],
         kinds: dict[str, str | None] | None = None, progress: Progress | None = None) -> list[FileResult]:
    """Load the files as `trustdesk load` would (per file kind: None = detect), one summary each,
    then rebuild and publish the marts once. The staged copies are removed afterwards."""
    who = auth.require(principal, "moderator", ACTION)
    kinds = kinds or {}
    for k in kinds.values():
        _check_kind(k)
    report = progress or (lambda f, t: None)
    ready = [s for s in staged if s.error is None and s.path is not None]
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
            results = _guard(lambda: load_files(
                root, [s.path for s in members], kind=k, user=who.name, rebuild=last,
                progress=on_progress,
            ))
            for s, r in zip(members, results):
                by_name[s.key] = r
    finally:
        discard(ready)
    report(1.0, "done")
    return [by_name.get(s.key) or _refused(s) for s in staged]


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise UploadError(f"unknown kind '{kind}'; choose one of {', '.join(KIND_NAMES)}")


def _guard(fn):
    """The loader's failures that are not about one file, as one sentence."""
    from etl.build import ReferenceError_

    try:
        return fn()
    except (store.StoreBusy, ReferenceError_, UploadError) as exc:
        raise UploadError(str(exc)) from exc
    except duckdb.OutOfMemoryException as exc:
        raise UploadError(
            "DuckDB ran out of memory while loading; raise the duckdb_memory_limit setting "
            "or load a smaller file"
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

    A dry run is kept until the file, the kind asked for or the published warehouse changes.
    """

    def __init__(self, root: Path):
        self.root = root
        self.staged: dict[str, Staged] = {}
        self._checks: dict[tuple, FileCheck] = {}

    def sync(self, principal: Principal | None, uploads: list[UploadedLike],
             max_mb: int | None = None) -> list[Staged]:
        """Stage new files, forget removed ones; returns the staged files in upload order."""
        auth.require(principal, "moderator", ACTION)
        keys = [str(u.file_id) for u in uploads]
        gone = [k for k in self.staged if k not in keys]
        discard(self.staged.pop(k) for k in gone)
        self._checks = {k: v for k, v in self._checks.items() if k[0] in keys}
        for u in uploads:
            s = self.staged.get(str(u.file_id))
            if s is None or (s.error is None and (s.path is None or not s.path.exists())):
                self.staged[str(u.file_id)] = stage(self.root, principal, u, max_mb)
        return [self.staged[k] for k in keys]

    def check(self, principal: Principal | None, staged: Staged, kind: str | None = None,
              progress: Progress | None = None) -> FileCheck:
        auth.require(principal, "moderator", ACTION)
        pointer = store.read_pointer(self.root) or {}
        key = (staged.key, kind, pointer.get("file"))
        if key not in self._checks:
            self._checks[key] = check(self.root, principal, staged, kind, progress)
        return self._checks[key]

    def load(self, principal: Principal | None, kinds: dict[str, str | None],
             progress: Progress | None = None) -> list[FileResult]:
        results = load(self.root, principal, list(self.staged.values()), kinds, progress)
        self._checks.clear()
        return results
