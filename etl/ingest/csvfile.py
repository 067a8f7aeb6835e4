"""Everything about an input file that must be decided before DuckDB reads it.

File-level problems (`docs/log-format.md`: not UTF-8 text, not CSV, empty, no header, unknown
header, missing required column, too large) raise `FileRejected` with one sentence a person can act
on. The header is parsed here so that the kind is known and DuckDB never sees a user-chosen name.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import mmap
import os
import re
import shutil
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from etl.contract import KINDS, LOAD_KINDS, Kind

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
    crs: int = 0  # carriage returns anywhere in the text
    crlfs: int = 0  # CR LF pairs
    lfs: int = 0  # line feeds

    @property
    def line_ends_unclear(self) -> bool:
        """Whether some CR or LF is not one line end of a single style (all LF, or all CRLF).

        DuckDB's CSV reader treats a CR outside quotes as a line end of its own in some states and
        as part of the value in others, so such a file can lose a record or number it wrongly
        without any error; `line_end_problem` then decides, reading quotes as DuckDB does."""
        return self.crs > 0 and not (self.crs == self.crlfs == self.lfs)


def scan(prep: "Prepared") -> Scan:
    """One pass over the bytes: the source's hash, the CSV's line count and its line ends. Runs in
    a thread while DuckDB reads the same file (both release the GIL)."""
    h = hashlib.sha256()
    newlines, crs, crlfs, last = 0, 0, 0, b""
    with open(prep.csv_path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            if not prep.temp:
                h.update(chunk)
            newlines += chunk.count(b"\n")
            crs += chunk.count(b"\r")
            crlfs += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            last = chunk[-1:]
    sha = h.hexdigest() if not prep.temp else sha256_of(prep.source)
    return Scan(sha, newlines + (0 if last in (b"\n", b"") else 1), crs, crlfs, newlines)


_UNQUOTED_END = re.compile(rb"[,\r\n]")


def line_end_problem(path: Path) -> str | None:
    """The first line whose end differs from line 1's, or that holds a carriage return alone,
    outside quoted fields; None when every line ends the same way (LF or CRLF).

    Quotes are read as DuckDB reads them: one opens a field only at the field's start and the
    field runs to the next lone quote, so a CR or LF inside it is part of the value. For the rare
    file whose byte counts (`Scan.line_ends_unclear`) leave the question open."""
    if path.stat().st_size == 0:
        return None
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        found = _first_odd_line_end_fast(data)
        at, crlf = found if found is not None else _first_odd_line_end(data)
        if at is None:
            return None
        line = _count_lf(data, at) + 1
    if crlf is None:
        return (f"line {line} holds a carriage return on its own (an old Mac line end); "
                "save the file with LF or CRLF line ends")
    ends = ("CRLF", "LF") if crlf else ("LF", "CRLF")
    return (f"line {line} ends in {ends[1]} but line 1 in {ends[0]}; "
            "save the file with one kind of line end")


_FIELD_EDGE = np.zeros(256, dtype=bool)
_FIELD_EDGE[[0x2C, 0x0A, 0x0D, 0x22]] = True  # , LF CR "


def _first_odd_line_end_fast(data, chunk: int = 1 << 24) -> tuple[int | None, bool | None] | None:
    """`_first_odd_line_end` in numpy, by the parity of the quotes before each CR and LF. That
    parity is what DuckDB reads only when every quote stands at a field's edge (opens at a field's
    start, closes before a comma, a line end or the doubled quote of an escape): otherwise None,
    and the byte-by-byte reading decides."""
    n = len(data)
    arr = np.frombuffer(data, dtype=np.uint8)
    start = 3 if data[:3] == b"\xef\xbb\xbf" else 0
    inside = 0  # 1 when the chunk starts within quotes
    crlf: bool | None = None
    for lo in range(start, n, chunk):
        hi = min(n, lo + chunk)
        a = arr[lo:hi]

        def before(at: np.ndarray) -> np.ndarray:  # the byte before each (a comma before the start)
            out = a[np.maximum(at - 1, 0)]
            if len(at) and at[0] == 0:
                out[0] = arr[lo - 1] if lo > start else 0x2C
            return out

        def after(at: np.ndarray) -> np.ndarray:  # the byte after each (a comma after the end)
            out = a[np.minimum(at + 1, len(a) - 1)]
            if len(at) and at[-1] == len(a) - 1:
                out[-1] = arr[hi] if hi < n else 0x2C
            return out

        q_at = np.flatnonzero(a == 0x22)
        opening = (np.arange(len(q_at)) + inside) % 2 == 0
        if (~_FIELD_EDGE[before(q_at[opening])]).any() or (~_FIELD_EDGE[after(q_at[~opening])]).any():
            return None
        cr = np.flatnonzero(a == 0x0D)
        cr = cr[(np.searchsorted(q_at, cr) + inside) % 2 == 0]
        lf = np.flatnonzero(a == 0x0A)
        lf = lf[(np.searchsorted(q_at, lf) + inside) % 2 == 0]
        cr_lf = after(cr) == 0x0A
        lf_cr = before(lf) == 0x0D
        if crlf is None and len(lf):  # line 1's end decides the style
            crlf = bool(lf_cr[0])
        elif crlf is None and cr_lf.any():  # a CR closing the chunk, its LF opening the next
            crlf = True
        if crlf:  # a CR alone, or an LF without its CR
            odd = [(int(x), None) for x in cr[~cr_lf][:1]] + [(int(x), True) for x in lf[~lf_cr][:1]]
        else:  # every CR is odd: alone (None), or the first of a CRLF (False)
            odd = [(int(x), None if not f else False) for x, f in zip(cr[:1], cr_lf[:1])]
        if odd:
            at, style = min(odd, key=lambda t: t[0])
            return lo + at, style
        inside = (len(q_at) + inside) % 2
    return None, None


def _first_odd_line_end(data) -> tuple[int | None, bool | None]:
    """(offset, style of line 1: True = CRLF) of the first odd line end; style None = a lone CR."""
    n = len(data)
    i = 3 if data[:3] == b"\xef\xbb\xbf" else 0
    crlf: bool | None = None
    while i < n:
        if data[i] == 0x22:  # a quoted field: skip to its closing quote ("" is a quote inside)
            j = i + 1
            while True:
                k = data.find(b'"', j)
                if k == -1:
                    return None, None  # a quote that never closes is refused with its own sentence
                if k + 1 < n and data[k + 1] == 0x22:
                    j = k + 2
                    continue
                i = k + 1
                break
        m = _UNQUOTED_END.search(data, i)
        if m is None:
            return None, None
        k = m.start()
        c = data[k]
        if c == 0x2C:
            i = k + 1
        elif c == 0x0D:
            if k + 1 < n and data[k + 1] == 0x0A:
                if crlf is None:
                    crlf = True
                elif not crlf:
                    return k, False
                i = k + 2
            else:
                return k, None
        else:
            if crlf is None:
                crlf = False
            elif crlf:
                return k, True
            i = k + 1
    return None, None


def _count_lf(data, end: int) -> int:
    count, pos = 0, 0
    while pos < end:
        stop = min(end, pos + (1 << 24))
        count += data[pos:stop].count(b"\n")
        pos = stop
    return count


def _gunzip(path: Path, work_dir: Path, max_bytes: int) -> tuple[Path, bool]:
    from etl.store import private_dir

    private_dir(work_dir)
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
    os.chmod(out, 0o600)  # copystat gave it the source's mode; it is a copy of the data
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
        if "new-line character" in str(exc) and b"\n" in head:
            raise FileRejected(
                f"{name}: line 1 holds a carriage return on its own (an old Mac line end); "
                "save the file with LF or CRLF line ends"
            ) from exc
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


# The ground truth `trustdesk generate` writes beside a world's logs (`trustdesk evaluate` reads it).
TRUTH_COLUMNS = ("business_id", "archetype")
KNOWN_COLUMNS = frozenset(c for k in KINDS.values() for c in k.names)


def is_truth_header(header: list[str]) -> bool:
    return tuple(header) == TRUTH_COLUMNS


def read_header(path: Path) -> list[str] | None:
    """The normalised header of a CSV file (plain or gzip), or None when it has none."""
    try:
        with (gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")) as fh:
            head = fh.read(SNIFF_BYTES)
        return _read_header(path.name, head, path)
    except (OSError, EOFError, zlib.error, FileRejected):
        return None


# A file's sentences never repeat its values (a first line may be data: a phone number, a name),
# only names the contract itself knows, and positions.

def _match(name: str, header: list[str], kind_name: str | None) -> tuple[Kind, list[str], list[str]]:
    if not kind_name and is_truth_header(header):
        raise FileRejected(
            f"{name}: is the ground truth that `trustdesk generate` writes (business_id, archetype), "
            "not a log export; score the review queue with it: trustdesk evaluate --truth FILE"
        )
    if not kind_name and not KNOWN_COLUMNS & set(header):
        raise FileRejected(f"{name}: {_not_a_header(header)}")
    seen: dict[str, int] = {}
    for i, col in enumerate(header):
        if col and col in seen:
            which = f"column '{col}'" if col in KNOWN_COLUMNS else "one column"
            raise FileRejected(
                f"{name}: the header names {which} twice (columns {seen[col] + 1} and {i + 1})"
            )
        seen[col] = i
    if kind_name:
        kind = LOAD_KINDS[kind_name]
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


def _not_a_header(header: list[str]) -> str:
    if len(header) == 1:
        for sep, word in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if sep in header[0]:
                return (
                    f"its columns are separated by {word}, not commas; "
                    "export it as comma-separated CSV"
                )
    return ("the first line is not a header: it names none of the columns of any kind of log; "
            "add the header row that names the columns as the first line")


def _no_kind_sentence(header: list[str]) -> str:
    kind, missing = _closest(header)
    return (f"its header matches no kind of log; the closest, {kind.name}, "
            f"also needs {', '.join(missing)}")


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
