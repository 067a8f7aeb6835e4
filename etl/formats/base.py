"""What every reader shares: the file-level error, the result of a conversion, reading a file's
text (plain or gzip), timestamps, content ids and writing one v1 CSV per kind.

Output is deterministic: rows are sorted by their key, so the same input (in any body order, with
any repeats) gives the same rows, and the same bytes whenever the places agree. Loading the result
twice is then a no-op twice over: the loader skips a file it has seen and a row it has stored.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from pathlib import Path

from etl.contract import FileRejected
from etl.formats.kinds import SOURCE_PLACE, header

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
RAW_TEXT_LIMIT = 64 << 10  # a quarantined item keeps this much of its original text
UNNAMED_TEMPLATE = "(template, name not given)"


class UnreadableFile(FileRejected):
    """The whole file is refused; str(exc) is the one sentence shown to the person (file and place).

    A `FileRejected`, so that a caller that already handles the loader's file-level errors handles
    this one the same way."""


class UnknownFormat(ValueError):
    """A format name that no reader has; str(exc) lists the names there are."""


@dataclass
class Quarantined:
    place: str  # "line 12", "body 3: entry[0].changes[0].value.statuses[1]"
    raw_text: str
    reasons: list[str]

    @classmethod
    def of_value(cls, place: str, value, reasons: list[str]) -> Quarantined:
        """An item whose raw text is a JSON value written as one line (and clipped)."""
        return cls(place, clip(compact(value)), reasons)

    def as_json(self) -> dict:
        return {"place": self.place, "raw_text": self.raw_text, "reasons": list(self.reasons)}


@dataclass
class Conversion:
    """The result of converting one file. `files` maps each kind to the CSV written for it (the
    v1 header of `etl.contract`, or of `etl.formats.kinds` for the extra kinds, then the reader's
    extra columns and `source_place`). `counts` says what the input held and what it became
    (`COUNT_LABELS` words them); `unused` names, with a count, each body, field or value the reader
    read and did not use: never an error."""

    file: str
    source: str
    title: str = ""  # the format's title, set by `etl.formats.convert` from the registry
    files: dict[str, Path] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    quarantined: list[Quarantined] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    unused: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    quarantine_file: Path | None = None
    passthrough: bool = False  # a v1 file: `files` names the input itself

    @property
    def loadable(self) -> bool:
        """Whether anything would load: the Upload page disables Load when not."""
        return any(self.rows.get(k, 0) for k in self.files) or self.passthrough

    def summary(self) -> list[str]:
        """Sentences for a person: what was found, what it became, what was not used."""
        lines = [f"{self.file}: {self.title or self.source}."]
        made = [f"{n:,} {COUNT_LABELS.get(k, k.replace('_', ' '))}" for k, n in self.counts.items() if n]
        if made:
            lines.append("Found " + "; ".join(made) + ".")
        wrote = [f"{n:,} {k.replace('_', ' ')}" for k, n in self.rows.items() if n]
        if wrote:
            lines.append("Rows to load: " + ", ".join(wrote) + ".")
        if self.quarantined:
            reasons = Counter(r for q in self.quarantined for r in q.reasons)
            top = "; ".join(f"{r} ({n:,})" for r, n in reasons.most_common(3))
            lines.append(f"{len(self.quarantined):,} items quarantined: {top}.")
        if self.unused:
            top = sorted(self.unused.items(), key=lambda kv: (-kv[1], kv[0]))
            shown = ", ".join(f"{k} ({n:,})" for k, n in top[:8])
            more = f" and {len(top) - 8} more" if len(top) > 8 else ""
            lines.append(f"Not used: {shown}{more}.")
        lines.extend(self.notes)
        return lines

    def as_json(self) -> dict:
        return {
            "file": self.file,
            "source": self.source,
            "files": {k: str(p) for k, p in self.files.items()},
            "rows": dict(self.rows),
            "quarantined": [q.as_json() for q in self.quarantined],
            "counts": dict(self.counts),
            "unused": dict(self.unused),
            "notes": list(self.notes),
            "passthrough": self.passthrough,
            "quarantine_file": str(self.quarantine_file) if self.quarantine_file else None,
        }


# Also the order a conversion's counts are reported in.
COUNT_LABELS = {
    "bodies": "webhook bodies",
    "records": "records",
    "responses": "analytics responses",
    "not_webhook_bodies": "bodies that are not WhatsApp webhooks",
    "inbound_messages": "inbound messages",
    "statuses": "statuses (folded into one outbound message per message id)",
    "outbound_messages": "outbound messages",
    "opt_outs": "opt-outs (stop or resume marketing)",
    "platform_events": "platform events",
    "businesses": "businesses",
    "billed_rows": "billed rows",
    "repeats": "repeated deliveries (ignored)",
    "prices_not_usd": "prices not in US dollars (kept, not converted)",
    "user_country_from_calling_code": "users whose country comes from the calling code alone",
    "user_country_unknown": "users whose country is unknown (their rows are quarantined on load)",
    "business_country_unknown": "businesses whose country is unknown",
}


# --------------------------------------------------------------------------- reading


def checked_size(path: Path, max_bytes: int | None, hint: str = "") -> int:
    """The size of the file at path. UnreadableFile when there is no such file, it is not a file, or
    it is larger than max_bytes (None: no limit); hint ends that last sentence."""
    name = path.name
    if not path.exists():
        raise UnreadableFile(f"{name}: no such file")
    if not path.is_file():
        raise UnreadableFile(f"{name}: is not a file")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise UnreadableFile(
            f"{name}: is {size / 2**20:,.0f} MB, larger than the {max_bytes / 2**20:,.0f} MB limit{hint}"
        )
    return size


def read_bytes(path: Path, max_bytes: int | None = None) -> bytes:
    """The file's content, gunzipped when it is gzip (told by its first bytes, not its name)."""
    name = path.name
    checked_size(path, max_bytes or None)
    limit = f"the {max_bytes / 2**20:,.0f} MB limit" if max_bytes else ""
    with open(path, "rb") as fh:
        magic = fh.read(2)
        fh.seek(0)
        if magic != GZIP_MAGIC:
            return fh.read()
        try:
            with gzip.GzipFile(fileobj=fh) as gz:
                chunks, total = [], 0
                while chunk := gz.read(1 << 22):
                    total += len(chunk)
                    if max_bytes and total > max_bytes:
                        raise UnreadableFile(f"{name}: decompresses to more than {limit}")
                    chunks.append(chunk)
                return b"".join(chunks)
        except (OSError, EOFError, zlib.error) as exc:
            raise UnreadableFile(f"{name}: is not a readable gzip file ({exc})") from exc


def head_bytes(path: Path, n: int = 1 << 20) -> bytes:
    """Up to n bytes of the (gunzipped) content, for recognising the format; b"" if unreadable."""
    try:
        with open(path, "rb") as fh:
            if fh.read(2) != GZIP_MAGIC:
                fh.seek(0)
                return fh.read(n)
            fh.seek(0)
            with gzip.GzipFile(fileobj=fh) as gz:
                return gz.read(n)
    except (OSError, EOFError, zlib.error):
        return b""


def decode_text(name: str, data: bytes) -> str:
    """UTF-8 text without a byte-order mark, or one sentence naming the line that is not."""
    if data.startswith(UTF8_BOM):
        data = data[3:]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise UnreadableFile(f"{name}: is UTF-16 text; save it as UTF-8 and load it again")
    if not data.strip():
        raise UnreadableFile(f"{name}: is empty")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UnreadableFile(
            f"{name}: line {line:,} is not UTF-8 text (byte {exc.start + 1:,}); export it again as UTF-8"
        ) from exc


def clip(text: str) -> str:
    return text if len(text) <= RAW_TEXT_LIMIT else text[:RAW_TEXT_LIMIT] + " …"


def compact(value) -> str:
    """A JSON value as one canonical line: the raw text of a quarantined item, the input to ids."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_id(prefix: str, *parts) -> str:
    """A stable id from content: the same event delivered twice gets the same id, so it loads once."""
    h = hashlib.sha1("\x1f".join("" if p is None else str(p) for p in parts).encode("utf-8"))
    return f"{prefix}{h.hexdigest()[:24]}"


def keep_one_message(message_id: str, versions: list[tuple[tuple, str]]) -> tuple[tuple, int, list[Quarantined]]:
    """A message a file gives more than once, as (row, place) versions in file order: the row kept
    with its place (the smallest row, so the choice does not depend on the order of the file), how
    many versions repeat an earlier one exactly, and a quarantined item for each other version."""
    first: dict[tuple, str] = {}
    for row, place in versions:
        first.setdefault(row, place)
    chosen = min(first)
    head = header("messages")
    others = [
        Quarantined.of_value(
            place,
            dict(zip(head, row)),
            [f"message {message_id} appears again with different content (the one kept is at {first[chosen]})"],
        )
        for row, place in first.items()
        if row != chosen
    ]
    return chosen + (first[chosen],), len(versions) - len(first), others


def write_conversion(
    path: Path, out_dir: Path, source: str, fill, quarantined: list[Quarantined], counts: dict, unused: dict
) -> Conversion:
    """The conversion of the file at path: `fill(tables)` adds the rows, then they are written to
    out_dir with the items in quarantined (fill may add to it); counts, read after fill, in the
    order of COUNT_LABELS."""
    conv = Conversion(file=path.name, source=source)
    tables = Tables(out_dir, stem_of(path))
    fill(tables)
    conv.quarantined = quarantined
    tables.write(conv)
    conv.counts = {k: counts[k] for k in COUNT_LABELS if counts.get(k)}
    conv.unused = dict(sorted(unused.items()))
    return conv


# --------------------------------------------------------------------------- values


def iso_utc(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_text(value) -> str | None:
    """Unix seconds (a number or a string of digits, as Meta writes them) as ISO 8601 UTC."""
    if isinstance(value, (dict, list)):
        return None
    return _epoch_text(value)


@lru_cache(maxsize=1 << 16)
def _epoch_text(value) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        secs = value
    elif isinstance(value, str) and value.strip().isdigit():
        secs = int(value.strip())
    else:
        return None
    if secs > 10**11:  # milliseconds
        secs = secs / 1000
    try:
        return iso_utc(datetime.fromtimestamp(secs, UTC))
    except (OverflowError, OSError, ValueError):
        return None


def any_time_text(value: str) -> str | None:
    """A timestamp as a provider writes it (ISO 8601 with or without offset, RFC 2822 as the Twilio
    API does, Unix seconds) as ISO 8601 UTC; naive means UTC."""
    s = (value or "").strip()
    if not s:
        return None
    if s.isdigit():
        return epoch_text(s)
    try:
        return iso_utc(datetime.fromisoformat(s))
    except ValueError:
        pass
    try:
        return iso_utc(parsedate_to_datetime(s))
    except (TypeError, ValueError, IndexError):
        return None


def text_of(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --------------------------------------------------------------------------- writing


class Tables:
    """Rows per kind, kept by key until the end, then written sorted by key."""

    def __init__(self, out_dir: Path, stem: str):
        self.out_dir = Path(out_dir)
        self.stem = stem
        self.rows: dict[str, dict[str, tuple]] = {}

    def add(self, kind_name: str, key: str, row: tuple) -> None:
        self.rows.setdefault(kind_name, {})[key] = row

    def has(self, kind_name: str, key: str) -> bool:
        return key in self.rows.get(kind_name, {})

    def write(self, conv: Conversion) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for kind_name in sorted(self.rows):
            rows = self.rows[kind_name]
            path = self.out_dir / f"{self.stem}.{kind_name}.csv"
            _write_csv(path, header(kind_name), (rows[k] for k in sorted(rows)))
            conv.files[kind_name] = path
            conv.rows[kind_name] = len(rows)
        if conv.quarantined:
            conv.quarantined.sort(key=lambda q: (_place_key(q.place), q.reasons, q.raw_text))
            path = self.out_dir / f"{self.stem}.quarantine.csv"
            _write_csv(
                path,
                ("place", "reasons", "raw_text"),
                ((q.place, "; ".join(q.reasons), q.raw_text) for q in conv.quarantined),
            )
            conv.quarantine_file = path


def _place_key(place: str):
    head, _, rest = place.partition(":")
    word, _, num = head.partition(" ")
    return (word, int(num) if num.isdigit() else 0, rest)


def _write_csv(path: Path, head: tuple[str, ...], rows) -> None:
    # Written under a temporary name and renamed: a reader never sees half a file.
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(head)
        w.writerows(rows)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def stem_of(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".json", ".jsonl", ".ndjson", ".csv", ".txt"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or "input"


__all__ = [
    "UnreadableFile",
    "UnknownFormat",
    "Quarantined",
    "Conversion",
    "COUNT_LABELS",
    "Tables",
    "read_bytes",
    "head_bytes",
    "decode_text",
    "clip",
    "compact",
    "content_id",
    "epoch_text",
    "any_time_text",
    "iso_utc",
    "text_of",
    "stem_of",
    "UNNAMED_TEMPLATE",
    "SOURCE_PLACE",
]
