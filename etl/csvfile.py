"""Everything about an input file that must be decided before DuckDB reads it.

File-level problems (`spec/log-format.md`: not UTF-8 text, not CSV, empty, no header, unknown
header, missing required column, too large) raise `FileRejected` with one sentence a person can act
on. The header is parsed here so that the kind is known and DuckDB never sees a user-chosen name.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import shutil
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from etl.contract import KINDS, Kind

SNIFF_BYTES = 1 << 16
GZIP_MAGIC = b"\x1f\x8b"
BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


class FileRejected(Exception):
    """The whole file is refused; str(exc) is the sentence shown to the person."""


@dataclass
class Prepared:
    source: Path  # what the person gave us
    csv_path: Path  # plain CSV that DuckDB reads (a decompressed copy for .gz)
    size: int
    kind: Kind
    header: list[str]  # normalised names in file order
    columns: list[str]  # the stage's column names in file order (raw_<name> or extra_<n>)
    unknown: list[str] = field(default_factory=list)
    temp: bool = False


def normalise(name: str) -> str:
    return name.strip().lower()


def detect_kind(header: list[str]) -> Kind | None:
    present = set(header)
    matches = [k for k in KINDS.values() if set(k.required) <= present]
    if not matches:
        return None
    # A header that satisfies two kinds is read as the one whose required columns it covers most.
    return max(matches, key=lambda k: len(k.required))


def _closest(header: list[str]) -> tuple[Kind, list[str]]:
    present = set(header)
    best = max(KINDS.values(), key=lambda k: (len(set(k.required) & present), -len(k.required)))
    return best, [c for c in best.required if c not in present]


def prepare(path: Path, work_dir: Path, kind_name: str | None, max_bytes: int) -> Prepared:
    name = path.name
    if not path.exists():
        raise FileRejected(f"{name}: no such file")
    if not path.is_file():
        raise FileRejected(f"{name}: is not a file")
    size = path.stat().st_size
    if size > max_bytes:
        raise FileRejected(
            f"{name}: is {size / 2**20:,.0f} MB, larger than the {max_bytes / 2**20:,.0f} MB limit "
            "(setting load_max_mb); split the export or raise the limit"
        )
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    csv_path, temp = path, False
    if head.startswith(GZIP_MAGIC):
        csv_path, temp = _gunzip(path, work_dir, max_bytes)
        with open(csv_path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    try:
        header = _read_header(name, head, csv_path)
        kind, columns, unknown = _match(name, header, kind_name)
    except FileRejected:
        if temp:
            csv_path.unlink(missing_ok=True)
        raise
    return Prepared(path, csv_path, size, kind, header, columns, unknown, temp)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class Scan:
    sha256: str
    lines: int  # physical lines in the CSV text


def scan(prep: "Prepared") -> Scan:
    """One pass over the bytes: the source's hash and the CSV's line count. Runs in a thread while
    DuckDB reads the same file (both release the GIL)."""
    h = hashlib.sha256()
    newlines, last = 0, b""
    with open(prep.csv_path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            if not prep.temp:
                h.update(chunk)
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    sha = h.hexdigest() if not prep.temp else sha256_of(prep.source)
    return Scan(sha, newlines + (0 if last in (b"\n", b"") else 1))


def _gunzip(path: Path, work_dir: Path, max_bytes: int) -> tuple[Path, bool]:
    work_dir.mkdir(parents=True, exist_ok=True)
    out = work_dir / (path.name.removesuffix(".gz") + ".unzipped")
    try:
        with gzip.open(path, "rb") as src, open(out, "wb") as dst:
            written = 0
            while chunk := src.read(1 << 22):
                written += len(chunk)
                if written > max_bytes:
                    raise FileRejected(
                        f"{path.name}: decompresses to more than the "
                        f"{max_bytes / 2**20:,.0f} MB limit (setting load_max_mb)"
                    )
                dst.write(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        out.unlink(missing_ok=True)
        raise FileRejected(f"{path.name}: is not a readable gzip file ({exc})") from exc
    except FileRejected:
        out.unlink(missing_ok=True)
        raise
    shutil.copystat(path, out)
    return out, True


def _read_header(name: str, head: bytes, csv_path: Path) -> list[str]:
    for bom, enc in BOMS.items():
        if head.startswith(bom):
            raise FileRejected(f"{name}: is {enc} text; save it as UTF-8 and load it again")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not head.strip():
        raise FileRejected(f"{name}: is empty; an export needs a header row and data rows")
    if b"\x00" in head:
        raise FileRejected(f"{name}: is a binary file, not CSV text")
    first = _first_record(head)
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRejected(
            f"{name}: line 1 is not UTF-8 text (byte {exc.start + 1}); "
            "re-export the file as UTF-8"
        ) from exc
    try:
        rows = list(csv.reader(io.StringIO(text), strict=True))
    except csv.Error as exc:
        if "new-line character" in str(exc):
            raise FileRejected(
                f"{name}: its lines end in a carriage return alone (old Mac style); "
                "save it with LF or CRLF line ends"
            ) from exc
        raise FileRejected(f"{name}: line 1 (the header) is not valid CSV ({exc})") from exc
    if not rows or not any(c.strip() for c in rows[0]):
        raise FileRejected(f"{name}: has no header row; the first line must name the columns")
    header = [normalise(c) for c in rows[0]]
    return header


def _first_record(head: bytes) -> bytes:
    """The first CSV record, which may span lines inside quotes."""
    in_quote = False
    for i, b in enumerate(head):
        if b == 0x22:
            in_quote = not in_quote
        elif b == 0x0A and not in_quote:
            return head[:i].rstrip(b"\r")
    return head


def _match(name: str, header: list[str], kind_name: str | None) -> tuple[Kind, list[str], list[str]]:
    seen: set[str] = set()
    for col in header:
        if col and col in seen:
            raise FileRejected(f"{name}: the header names column '{col}' twice")
        seen.add(col)
    if kind_name:
        kind = KINDS[kind_name]
        missing = [c for c in kind.required if c not in seen]
        if missing:
            raise FileRejected(
                f"{name}: the header lacks the required column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} for {kind.name}"
            )
    else:
        kind = detect_kind(header)
        if kind is None:
            raise FileRejected(f"{name}: {_no_kind_sentence(header)}")
    known = set(kind.names)
    columns, unknown = [], []
    for i, col in enumerate(header):
        if col in known:
            columns.append("raw_" + col)
        else:
            columns.append(f"extra_{i}")
            unknown.append(col)
    return kind, columns, unknown


def _no_kind_sentence(header: list[str]) -> str:
    if len(header) == 1:
        for sep, word in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if sep in header[0]:
                return (
                    f"its columns are separated by {word}, not commas; "
                    "export it as comma-separated CSV"
                )
    kind, missing = _closest(header)
    shown = ", ".join(header[:6]) + (", …" if len(header) > 6 else "")
    return (
        f"its header ({shown}) matches no kind of log; the closest, {kind.name}, "
        f"also needs {', '.join(missing)} (the first line must be the header)"
    )


def record_lines(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """For each record (header first): its physical start line, and DuckDB's number for it.

    DuckDB's reject table numbers a record by physical line minus the newlines inside quoted
    fields before it; people need the physical line their editor shows. Scans in chunks.
    """
    phys_out, duck_out = [], []
    in_quote = False
    lines_before = 0  # newlines seen before the chunk
    embedded_before = 0
    prev_boundary_end = True  # the byte before the chunk ended a record (or file start)
    prev_byte = None
    offset = 0
    with open(path, "rb") as fh:
        first = True
        while chunk := fh.read(1 << 24):
            a = np.frombuffer(chunk, dtype=np.uint8)
            if first and chunk.startswith(b"\xef\xbb\xbf"):
                a = a.copy()
                a[:3] = 0x20
            first = False
            is_q = a == 0x22
            qcount = np.cumsum(is_q, dtype=np.int64)
            parity = (qcount + (1 if in_quote else 0)) % 2  # 1 = inside quotes after this byte
            nl = np.flatnonzero(a == 0x0A)
            nl_in_quote = parity[nl] == 1
            boundary = nl[~nl_in_quote]
            embedded_nl = nl[nl_in_quote]
            # Record starts: byte 0 of the file, and the byte after each boundary newline.
            starts = boundary + 1
            if prev_boundary_end:
                starts = np.concatenate(([0], starts))
            starts = starts[starts < len(a)]
            # A start whose line is empty (a blank line) is not a record.
            nxt = a[starts]
            nxt2 = np.where(starts + 1 < len(a), a[np.minimum(starts + 1, len(a) - 1)], 0)
            blank = (nxt == 0x0A) | ((nxt == 0x0D) & (nxt2 == 0x0A))
            starts = starts[~blank]
            nl_before = np.searchsorted(nl, starts, side="left") + lines_before
            emb_before = np.searchsorted(embedded_nl, starts, side="left") + embedded_before
            phys_out.append(nl_before + 1)
            duck_out.append(nl_before + 1 - emb_before)
            lines_before += len(nl)
            embedded_before += len(embedded_nl)
            in_quote = bool(parity[-1]) if len(a) else in_quote
            prev_boundary_end = len(a) > 0 and a[-1] == 0x0A and not in_quote
            prev_byte = a[-1] if len(a) else prev_byte
            offset += len(a)
    return np.concatenate(phys_out), np.concatenate(duck_out)


def record_lines_exact(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """`record_lines` read the way DuckDB reads quotes: one opens a field only at the field's
    start, elsewhere it is a character. Slower (Python's csv module); used when a stray quote
    makes the fast scan disagree with DuckDB."""
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
    phys, duck = [], []
    embedded = 0  # newlines inside quoted fields so far
    start = 1
    with open(path, "rb") as fh:
        # Lines split at LF only, as DuckDB and `record_lines` count them (a CR alone is no line end).
        reader = csv.reader((raw.decode("utf-8", errors="replace") for raw in fh), strict=False)
        for record in reader:
            end = reader.line_num
            if record:  # a blank line is no record
                phys.append(start)
                duck.append(start - embedded)
                embedded += end - start
            start = end + 1
    return np.array(phys, dtype=np.int64), np.array(duck, dtype=np.int64)
