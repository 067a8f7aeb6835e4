"""Everything about an input file that must be decided before DuckDB reads it.

File-level problems (`docs/log-format.md`: not UTF-8 text, not CSV, empty, no header, unknown
header, missing required column, too large) raise `FileRejected` with one sentence a person can act
on. The header is parsed here so that the kind is known and DuckDB never sees a user-chosen name.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import shutil
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from etl.contract import KINDS, LOAD_KINDS, TRUTH_COLUMNS, FileRejected, Kind, detect_kind, normalise
from etl.formats.base import GZIP_MAGIC, checked_size
from etl.store import private_dir

SNIFF_BYTES = 1 << 16
BOMS = {b"\xff\xfe\x00\x00": "UTF-32", b"\x00\x00\xfe\xff": "UTF-32", b"\xff\xfe": "UTF-16", b"\xfe\xff": "UTF-16"}


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


def _closest(header: list[str]) -> tuple[Kind, list[str]]:
    present = set(header)
    best = max(KINDS.values(), key=lambda k: (len(set(k.required) & present), -len(k.required)))
    return best, [c for c in best.required if c not in present]


def prepare(path: Path, work_dir: Path, kind_name: str | None, max_bytes: int) -> Prepared:
    name = path.name
    size = checked_size(path, max_bytes, " (setting load_max_mb); split the export or raise the limit")
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


def _gunzip(path: Path, work_dir: Path, max_bytes: int) -> tuple[Path, bool]:
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
            f"{name}: line 1 is not UTF-8 text (byte {exc.start + 1}); re-export the file as UTF-8"
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
                f"{name}: its lines end in a carriage return alone (old Mac style); save it with LF or CRLF line ends"
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
KNOWN_COLUMNS = frozenset(c for k in KINDS.values() for c in k.names)


def is_truth_header(header: list[str]) -> bool:
    return tuple(header) == TRUTH_COLUMNS


def read_header(path: Path) -> list[str] | None:
    """The normalised header of a CSV file (plain or gzip), or None when it has none."""
    try:
        with gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb") as fh:
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
            raise FileRejected(f"{name}: the header names {which} twice (columns {seen[col] + 1} and {i + 1})")
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
                return f"its columns are separated by {word}, not commas; export it as comma-separated CSV"
    return (
        "the first line is not a header: it names none of the columns of any kind of log; "
        "add the header row that names the columns as the first line"
    )


def _no_kind_sentence(header: list[str]) -> str:
    kind, missing = _closest(header)
    return f"its header matches no kind of log; the closest, {kind.name}, also needs {', '.join(missing)}"
