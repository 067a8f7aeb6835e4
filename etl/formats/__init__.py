"""Foreign formats -> log format v1 rows: one module per format, recognised from the content.

    from etl.formats import detect, convert, FORMATS
    name = detect(path)                         # "whatsapp_webhook", ... or None
    conv = convert(path, None, out_dir)         # recognise, then convert (or force a name)
    conv.files                                  # {"messages": out_dir/"x.messages.csv", ...}
    conv.quarantined, conv.counts, conv.unused  # what did not convert, what it became, not used
    conv.summary()                              # sentences for the Upload page and the CLI

`detect` reads the first bytes (gunzipped when gzip, whatever the name): the first JSON value for
JSON, the header for CSV. `convert` writes one CSV per kind into out_dir with the exact header of
`etl.contract` (or `etl.formats.kinds` for the kinds v1 does not have yet), the reader's extra
columns and `source_place`; a file that cannot be read at all raises `UnreadableFile` (a
`etl.ingest.csvfile.FileRejected`) with one sentence naming the file and the place. A v1 file is not
converted: `conv.passthrough` is set and `conv.files` names the input.

docs/formats/ documents each format field by field; docs/samples/ holds a sample of each.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from etl.formats import meta_pricing, twilio, v1, whatsapp
from etl.formats.base import COUNT_LABELS, Conversion, Quarantined, UnknownFormat, UnreadableFile, head_bytes
from etl.formats.jsonsource import first_value
from etl.formats.kinds import EXTRA_COLUMNS, EXTRA_KINDS, SOURCE_PLACE, header, kind


@dataclass(frozen=True)
class Format:
    name: str
    title: str
    doc: str  # the document, relative to the repository root
    sample: str  # a sample file, relative to the repository root
    kinds: tuple[str, ...]  # kinds it can produce
    convert: Callable[..., Conversion]


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            v1.NAME,
            v1.TITLE,
            "docs/formats/README.md",
            "docs/samples/v1_messages.csv",
            ("businesses", "messages", "reports", "blocks", "opt_outs", "ad_campaigns", "ad_events"),
            v1.convert,
        ),
        Format(
            whatsapp.NAME,
            whatsapp.TITLE,
            "docs/formats/whatsapp_webhook.md",
            "docs/samples/whatsapp_webhook.jsonl",
            ("messages", "message_statuses", "opt_outs", "platform_events", "businesses"),
            whatsapp.convert,
        ),
        Format(
            twilio.CSV_NAME,
            twilio.CSV_TITLE,
            "docs/formats/twilio_csv.md",
            "docs/samples/twilio_messages.csv",
            ("messages",),
            twilio.convert_csv,
        ),
        Format(
            twilio.BULK_NAME,
            twilio.BULK_TITLE,
            "docs/formats/twilio_bulkexport.md",
            "docs/samples/twilio_bulkexport.jsonl.gz",
            ("messages",),
            twilio.convert_bulk,
        ),
        Format(
            meta_pricing.NAME,
            meta_pricing.TITLE,
            "docs/formats/meta_pricing_analytics.md",
            "docs/samples/meta_pricing_analytics.json",
            ("billed_pricing",),
            meta_pricing.convert,
        ),
    )
}
FORMAT_NAMES = tuple(FORMATS)


def _classify_json(value) -> str | None:
    if whatsapp.looks_like(value):
        return whatsapp.NAME
    if meta_pricing.looks_like(value):
        return meta_pricing.NAME
    if twilio.looks_like_bulk(value):
        return twilio.BULK_NAME
    return None


def _guess_from_words(text: str) -> str | None:
    # The first value did not fit in the sniffed beginning (a very large first body).
    if '"whatsapp_business_account"' in text:
        return whatsapp.NAME
    if '"pricing_analytics"' in text or ('"data_points"' in text and '"pricing_category"' in text):
        return meta_pricing.NAME
    if '"account_sid"' in text and '"sid"' in text:
        return twilio.BULK_NAME
    return None


def _first_record(text: str) -> list[str] | None:
    try:
        return next(csv.reader(io.StringIO(text.split("\n", 1)[0])))
    except (StopIteration, csv.Error):
        return None


def detect(path: Path | str) -> str | None:
    """The format of a file, from its content; None when it matches none (see `guidance`)."""
    head = head_bytes(Path(path))
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    text = head.decode("utf-8", errors="replace")
    s = text.lstrip()
    if not s:
        return None
    if s[0] in "{[":
        value = first_value(s)
        return _classify_json(value) if value is not None else _guess_from_words(s)
    columns = _first_record(s)
    if not columns:
        return None
    if twilio.csv_header_matches(columns):
        return twilio.CSV_NAME
    if v1.header_kind(columns):
        return v1.NAME
    return None


def guidance(file_name: str) -> str:
    """The sentence for a file that matches no format: what is accepted, where it is described."""
    names = "; ".join(f"{f.title} ({f.doc}, sample {f.sample})" for f in FORMATS.values())
    return f"{file_name}: matches none of the formats TrustDesk reads: {names}."


def convert(path: Path | str, source: str | None, out_dir: Path | str, **options) -> Conversion:
    """Convert one file (plain or .gz) into v1 rows in out_dir. `source` forces a format by name
    (`trustdesk load --source NAME`); None recognises it from the content. Options: `max_bytes`
    (the size limit, also after gunzip), `twilio_category` (the category of business-initiated
    Twilio messages, default utility), `kind` (the v1 kind, for a v1 file)."""
    path, out_dir = Path(path), Path(out_dir)
    if source is not None and source not in FORMATS:
        raise UnknownFormat(f"{source!r} is not a format name; the names are: {', '.join(FORMAT_NAMES)}")
    name = source or detect(path)
    if name is None:
        if not path.is_file():
            raise UnreadableFile(f"{path.name}: no such file")
        raise UnreadableFile(guidance(path.name))
    if name == v1.NAME:
        head = head_bytes(path, 1 << 16).removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
        options.setdefault("header", _first_record(head) or [])
    conv = FORMATS[name].convert(path, out_dir, **options)
    conv.title = FORMATS[name].title
    return conv


__all__ = [
    "FORMATS",
    "FORMAT_NAMES",
    "Format",
    "Conversion",
    "Quarantined",
    "UnreadableFile",
    "UnknownFormat",
    "COUNT_LABELS",
    "EXTRA_KINDS",
    "EXTRA_COLUMNS",
    "SOURCE_PLACE",
    "detect",
    "convert",
    "guidance",
    "header",
    "kind",
]
