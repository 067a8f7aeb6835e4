"""Byte scans of a CSV file: its hash, line count and line ends, the physical line of each
record, and the checks that DuckDB read the whole file as records.

DuckDB numbers a record by physical line minus the newlines inside quoted fields before it, and can
lose records to a quote that never closes, a line over its limit or a stray carriage return
without saying so; these scans read the bytes themselves, so that every refusal names the line a
person's editor shows.
"""

from __future__ import annotations

import csv
import hashlib
import mmap
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from etl.contract import FileRejected
from etl.ingest.csvfile import Prepared

# DuckDB's max_line_size and buffer_size for the files it reads: the longest line a file may have.
MAX_LINE_BYTES = 16 << 20


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def sha_if_small(path: Path, max_bytes: int) -> str | None:
    """The hash of a refused file, when it is small enough to read (`max_bytes`, setting
    load_max_mb)."""
    try:
        if path.is_file() and path.stat().st_size <= max_bytes:
            return sha256_of(path)
    except OSError:
        pass
    return None


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


def scan(prep: Prepared) -> Scan:
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
        return (
            f"line {line} holds a carriage return on its own (an old Mac line end); "
            "save the file with LF or CRLF line ends"
        )
    ends = ("CRLF", "LF") if crlf else ("LF", "CRLF")
    return f"line {line} ends in {ends[1]} but line 1 in {ends[0]}; save the file with one kind of line end"


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
        q_at = np.flatnonzero(a == 0x22)
        opening = (np.arange(len(q_at)) + inside) % 2 == 0
        if (~_FIELD_EDGE[_byte_before(arr, lo, hi, start, q_at[opening])]).any() or (
            ~_FIELD_EDGE[_byte_after(arr, lo, hi, q_at[~opening])]
        ).any():
            return None
        cr = np.flatnonzero(a == 0x0D)
        cr = cr[(np.searchsorted(q_at, cr) + inside) % 2 == 0]
        lf = np.flatnonzero(a == 0x0A)
        lf = lf[(np.searchsorted(q_at, lf) + inside) % 2 == 0]
        cr_lf = _byte_after(arr, lo, hi, cr) == 0x0A
        lf_cr = _byte_before(arr, lo, hi, start, lf) == 0x0D
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


def _byte_before(arr: np.ndarray, lo: int, hi: int, start: int, at: np.ndarray) -> np.ndarray:
    """The byte before each offset `at` of the chunk arr[lo:hi] (a comma before the text's start)."""
    a = arr[lo:hi]
    out = a[np.maximum(at - 1, 0)]
    if len(at) and at[0] == 0:
        out[0] = arr[lo - 1] if lo > start else 0x2C
    return out


def _byte_after(arr: np.ndarray, lo: int, hi: int, at: np.ndarray) -> np.ndarray:
    """The byte after each offset `at` of the chunk arr[lo:hi] (a comma after the text's end)."""
    a = arr[lo:hi]
    out = a[np.minimum(at + 1, len(a) - 1)]
    if len(at) and at[-1] == len(a) - 1:
        out[-1] = arr[hi] if hi < len(arr) else 0x2C
    return out


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


def check_line_ends(prep: Prepared, facts: Scan) -> None:
    """Refuse a file whose line ends DuckDB may read wrongly. Checked whether or not DuckDB
    complained: it can read such a line without an error and still lose the record, or start a
    new one inside it."""
    if facts.line_ends_unclear:
        problem = line_end_problem(prep.csv_path)
        if problem:
            raise FileRejected(f"{prep.source.name}: {problem}")


def check_encoding(prep: Prepared, rejects) -> None:
    """Refuse a file with a record DuckDB found not to be UTF-8, naming its physical line."""
    bad_encoding = [r for r in rejects if r[1] == "INVALID ENCODING"]
    if bad_encoding:
        phys, duck = record_lines(prep.csv_path)
        raise FileRejected(
            f"{prep.source.name}: line {_physical(phys, duck, bad_encoding[0][0])} is not UTF-8 text; "
            "re-export the file as UTF-8"
        )


def _physical(phys: np.ndarray, duck: np.ndarray, duck_line: int) -> int:
    """The physical line of the record DuckDB numbers `duck_line` (that number when not found)."""
    at = np.flatnonzero(duck == duck_line)
    return int(phys[at[0]]) if len(at) else duck_line


def attach_lines(con, prep: Prepared, n_good: int, rejects, lines: int) -> dict[int, int]:
    """Give every staged row `rec` and its physical `line` in the temp table `typed`.

    Returns DuckDB's number for each rejected record -> its physical line.
    """
    total = n_good + len(rejects)
    reject_duck = np.array(sorted(r[0] for r in rejects), dtype=np.int64)
    # Rows written inside a transaction get rowids from a high base; their order is still the file's.
    base = con.execute("SELECT coalesce(min(rowid), 0) FROM typed0").fetchall()[0][0]
    if lines == total + 1:  # every line is one record: no blank lines, no newlines in quotes
        if not len(reject_duck):
            # A view, not a copy: the base is DuckDB's own integer, not a value from the file.
            con.execute(
                f"CREATE TEMP VIEW typed AS SELECT rowid - {int(base)} + 1 AS rec, "
                f"rowid - {int(base)} + 2 AS line, * FROM typed0"
            )
            return {}
        phys = np.arange(1, total + 2, dtype=np.int64)
        duck = phys
    else:
        phys, duck = record_lines(prep.csv_path)
        if len(phys) - 1 != total or not np.isin(reject_duck, duck).all():
            # A quote inside an unquoted field flips the fast scan's idea of what is quoted.
            try:
                phys, duck = record_lines_exact(prep.csv_path)
            except csv.Error:
                pass  # a quote that never closes: refused just below
    # Records after the header, minus the rejected ones, in order, are the staged rows.
    data_phys, data_duck = phys[1:], duck[1:]
    check_read_whole(con, prep, rejects, data_phys, data_duck, total)
    keep = ~np.isin(data_duck, reject_duck)
    good_lines = data_phys[keep][:n_good]
    if len(good_lines) < n_good:  # cannot happen on a well-formed scan; never lose a row over it
        good_lines = np.concatenate([good_lines, np.full(n_good - len(good_lines), -1)])
    mapping = pl.DataFrame({"rec": np.arange(1, n_good + 1, dtype=np.int64), "line": good_lines})
    con.register("line_map", mapping)
    con.execute(
        "CREATE TEMP TABLE typed AS SELECT m.rec, m.line, t.* EXCLUDE (rec) "
        "FROM (SELECT rowid - $b + 1 AS rec, * FROM typed0) t JOIN line_map m USING (rec) ORDER BY m.rec",
        {"b": base},
    )
    con.unregister("line_map")
    rej_map = dict(zip(data_duck[~keep].tolist(), data_phys[~keep].tolist()))
    return rej_map


class _Bytes:
    """Reads a file forward from an offset, a chunk at a time."""

    def __init__(self, fh):
        self.fh, self.buf, self.i, self.size = fh, b"", 0, 1 << 12

    def _fill(self) -> bool:
        # Small reads first: most records end within a few kilobytes.
        if self.i >= len(self.buf):
            self.buf, self.i, self.size = self.fh.read(self.size), 0, min(self.size * 4, 1 << 22)
        return bool(self.buf)

    def next(self) -> bytes:
        if not self._fill():
            return b""
        self.i += 1
        return self.buf[self.i - 1 : self.i]

    def skip_past(self, *stops: bytes) -> tuple[bytes, bool]:
        """Moves past the next stop byte; returns it (b"" at the end) and whether a line break
        came before it."""
        newline = False
        while self._fill():
            hits = [k for k in (self.buf.find(c, self.i) for c in stops) if k != -1]
            end = min(hits) if hits else len(self.buf)
            newline = newline or self.buf.find(b"\n", self.i, end) != -1
            self.i = end + 1 if hits else end
            if hits:
                return self.buf[end : end + 1], newline
        return b"", newline


def _runaway_quote(path: Path, start: int) -> bool:
    """True when the record at byte `start` has a quoted field that never closes, or that runs over
    a line break and is followed by more characters: DuckDB reads the lines after such a quote as
    part of one value."""
    with open(path, "rb") as fh:
        fh.seek(start)
        r = _Bytes(fh)
        while True:
            ch = r.next()
            if ch == b'"':
                spans = False
                while True:
                    quote, newline = r.skip_past(b'"')
                    spans = spans or newline
                    if not quote:
                        return True
                    after = r.next()
                    if after != b'"':
                        break
                if after == b",":
                    continue
                return after not in (b"", b"\r", b"\n") and spans
            if ch == b",":
                continue
            if ch in (b"", b"\r", b"\n"):
                return False
            if r.skip_past(b",", b"\n")[0] != b",":
                return False


def _first_long_line(path: Path) -> tuple[int, int] | None:
    """The first physical line longer than DuckDB's line limit, and its length."""
    with open(path, "rb") as fh:
        number = 0
        while part := fh.readline(MAX_LINE_BYTES + 1):
            number += 1
            size = len(part)
            while not part.endswith(b"\n") and (part := fh.readline(1 << 24)):
                size += len(part)
            if size > MAX_LINE_BYTES + 2:  # the line end itself does not count
                return number, size
    return None


def check_read_whole(con, prep: Prepared, rejects, data_phys, data_duck, total: int) -> None:
    """Refuse the file when DuckDB could not read it as CSV records: a quote that never closes
    swallows the lines after it, and a line over MAX_LINE_BYTES can vanish without a reject."""
    name = prep.source.name
    broken = (
        con.execute(
            "SELECT line, min(line_byte_position) FROM rej_errors WHERE error_type = 'UNQUOTED VALUE' "
            "GROUP BY line ORDER BY line"
        ).fetchall()
        if rejects
        else []
    )
    too_long = (
        rejects
        and con.execute("SELECT count(*) FROM rej_errors WHERE error_type = 'LINE SIZE OVER MAXIMUM'").fetchall()[0][0]
    )
    for duck_line, start in broken:
        if _runaway_quote(prep.csv_path, start):
            raise FileRejected(
                f"{name}: line {_physical(data_phys, data_duck, duck_line)} opens a quoted field that is never closed, so the rest of "
                "the file cannot be read as CSV; close the quote (a quote inside a field is "
                "written twice) and load it again"
            )
    # DuckDB reports a line over its limit only sometimes (it can also drop it without a word), so
    # any such line refuses the whole file: the same outcome every time, naming the line.
    if len(data_phys) > total or too_long:
        long = _first_long_line(prep.csv_path)
        if long:
            raise FileRejected(
                f"{name}: line {long[0]} is {long[1] / 2**20:,.1f} MB long, more than the "
                f"{MAX_LINE_BYTES >> 20} MB a line may have; shorten or remove that line"
            )
        raise FileRejected(
            f"{name}: has {len(data_phys):,} records but only {total:,} could be read as CSV; "
            "check its quoting (a quote inside a field is written twice)"
        )
