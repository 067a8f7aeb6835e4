"""Twilio Programmable Messaging logs -> v1 messages.

Two shapes, one mapping (docs/formats/twilio_csv.md, docs/formats/twilio_bulkexport.md):
- the Console's message log export, CSV with `From,To,Body,Status,SentDate,ApiVersion,NumSegments,
  ErrorCode,AccountSid,Sid,Direction,Price,PriceUnit` (columns matched by name, in any order, case
  and spacing ignored);
- BulkExport day files: one Message record per line, JSON, usually gzip.

The business is the side that is the Twilio number: `To` for inbound, `From` for outbound-api,
outbound-reply and outbound-call. `whatsapp:` prefixes go; prices become positive US dollars.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from itertools import repeat
from pathlib import Path

from etl.formats.base import (
    UNNAMED_TEMPLATE,
    Conversion,
    Quarantined,
    Tables,
    UnreadableFile,
    any_time_text,
    clip,
    compact,
    decode_text,
    keep_one_message,
    read_bytes,
    text_of,
    write_conversion,
)
from etl.formats.jsonsource import NotJSON, file_values
from etl.formats.kinds import header
from etl.formats.phones import BY_CALLING_CODE, UNKNOWN, country_of

CSV_NAME, CSV_TITLE = "twilio_csv", "Twilio message log (Console CSV export)"
BULK_NAME, BULK_TITLE = "twilio_bulkexport", "Twilio BulkExport messages day file"

OUTBOUND = ("outbound-api", "outbound-reply", "outbound-call")
# Twilio's statuses in v1's four words. A message Twilio accepted and has not yet reported on is
# counted as sent (v1 has no earlier state); undelivered is a failure to deliver.
OUTBOUND_STATUS = {
    "accepted": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "partially_delivered": "delivered",
    "read": "read",
    "undelivered": "failed",
    "failed": "failed",
}
# Never sent: not a message in the log's sense (counted as not used).
NOT_SENT = ("canceled", "scheduled")
INBOUND_STATUS = ("received", "receiving")
# Twilio does not record WhatsApp's pricing category. A reply (outbound-reply) answers the user
# inside the conversation: service. A message the business starts is counted in the category
# given by the option `twilio_category` (default utility), as a template.
DEFAULT_BUSINESS_INITIATED_CATEGORY = "utility"

# A record's fields are named as BulkExport names them, but for the two dates; the Console CSV's
# header (normalised) names them without the underscores, and the send date SentDate.
_SAME_NAMES = (
    "sid",
    "from",
    "to",
    "body",
    "status",
    "direction",
    "error_code",
    "price",
    "price_unit",
    "num_segments",
    "account_sid",
    "api_version",
)
BULK_FIELDS = {**{f: f for f in _SAME_NAMES}, "date_sent": "sent", "date_created": "created"}
CSV_COLUMNS = {**{f.replace("_", ""): f for f in _SAME_NAMES}, "sentdate": "sent"}
CSV_REQUIRED = ("from", "to", "status", "sentdate", "sid", "direction")
_USED_EXTRA = ("created", "api_version")


def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def csv_header_matches(columns: list[str]) -> bool:
    have = {norm(c) for c in columns}
    return set(CSV_REQUIRED) <= have


def looks_like_bulk(value) -> bool:
    return (
        isinstance(value, dict)
        and "sid" in value
        and ("account_sid" in value or {"from", "to", "direction", "status"} <= set(value))
    )


def strip_address(value: str) -> tuple[str, str]:
    """(address, channel): `whatsapp:+1555...` -> (`+1555...`, whatsapp)."""
    v = (value or "").strip()
    if ":" in v:
        scheme, rest = v.split(":", 1)
        if scheme.lower() in ("whatsapp", "messenger", "rcs", "sms"):
            return rest.strip(), scheme.lower()
    return v, "sms"


class _Reader:
    def __init__(self, name: str, options: dict):
        self.name = name
        self.counts: Counter = Counter()
        self.unused: Counter = Counter()
        self.quarantined: list[Quarantined] = []
        self.rows: dict[str, list[tuple[tuple, str]]] = {}
        category = (options.get("twilio_category") or DEFAULT_BUSINESS_INITIATED_CATEGORY).lower()
        if category not in ("marketing", "utility", "authentication", "service"):
            raise ValueError(f"twilio_category {category!r} is not one of marketing, utility, authentication, service")
        self.business_category = category

    def record(self, place: str, rec: dict, raw) -> None:
        """`raw()` gives the record's original text, asked for only when it is quarantined."""
        self.counts["records"] += 1
        direction = rec.get("direction", "").strip().lower()
        status = rec.get("status", "").strip().lower()
        sid = rec.get("sid", "").strip()
        sender, channel = strip_address(rec.get("from", ""))
        receiver, channel_to = strip_address(rec.get("to", ""))
        channel = channel if channel != "sms" else channel_to
        reasons = []
        if not sid:
            reasons.append("Sid is empty")
        inbound = direction == "inbound"
        if not inbound and direction not in OUTBOUND:
            reasons.append(f"Direction {direction!r} is not inbound, outbound-api, outbound-reply or outbound-call")
        if status in NOT_SENT and not inbound:
            self.unused[f"Status={status} (never sent)"] += 1
            return
        v1_status = ""
        if not inbound and not reasons:
            v1_status = OUTBOUND_STATUS.get(status, "")
            if not v1_status:
                reasons.append(f"Status {status!r} is not a Twilio message status")
        business, user = (receiver, sender) if inbound else (sender, receiver)
        if not business:
            reasons.append(("To" if inbound else "From") + " (the business) is empty")
        if not user:
            reasons.append(("From" if inbound else "To") + " (the user) is empty")
        sent_raw = rec.get("sent", "") or rec.get("created", "")
        at = any_time_text(sent_raw)
        if not at:
            reasons.append("SentDate is empty" if not sent_raw.strip() else f"SentDate {sent_raw!r} is not a time")
        if reasons:
            self.quarantined.append(Quarantined(place, clip(raw()), reasons))
            return
        price_usd, price, unit = "", rec.get("price", "").strip(), rec.get("price_unit", "").strip()
        if price:
            try:
                amount = abs(float(price))
            except ValueError:
                amount = None
            if amount is None:
                self.unused[f"Price {price!r} (not a number)"] += 1
            elif unit.upper() in ("USD", ""):
                # Twilio writes what it charged as a negative amount; BulkExport leaves the unit out
                # (docs/formats/twilio_bulkexport.md): both are US dollars here.
                price_usd = _money(price)
            else:
                self.counts["prices_not_usd"] += 1
        error = rec.get("error_code", "").strip()
        if error in ("0", "None", "null"):
            error = ""
        category, template = "", ""
        if not inbound:
            category = "service" if direction == "outbound-reply" else self.business_category
            template = UNNAMED_TEMPLATE if category != "service" else ""
        country, how = country_of(user)
        if how == BY_CALLING_CODE:
            self.counts["user_country_from_calling_code"] += 1
        elif how == UNKNOWN:
            self.counts["user_country_unknown"] += 1
        self.counts["inbound_messages" if inbound else "outbound_messages"] += 1
        values = {
            "message_id": sid,
            "sent_at": at,
            "business_id": business,
            "user_id": user,
            "direction": "inbound" if inbound else "outbound",
            "user_country": country,
            "category": category,
            "template": template,
            "status": v1_status,
            "text": rec.get("body", ""),
            "account_id": rec.get("account_sid", "").strip(),
            "message_type": direction,
            "channel": channel,
            "error_codes": error,
            "segments": rec.get("num_segments", "").strip(),
            "price_usd": price_usd,
            "price": price,
            "price_unit": unit,
        }
        core = tuple(map(values.get, _CORE, repeat("", len(_CORE))))
        self.rows.setdefault(sid, []).append((core, place))

    def finish(self, tables: Tables) -> None:
        for sid, versions in self.rows.items():
            row, repeats, others = keep_one_message(sid, versions)
            tables.add("messages", sid, row)
            self.counts["repeats"] += repeats
            self.quarantined.extend(others)


_HEADER = header("messages")
_CORE = _HEADER[:-1]


def _money(text: str) -> str:
    s = text.strip().lstrip("+-")
    return s if re.fullmatch(r"\d+(\.\d+)?|\.\d+", s) else ""


def _finish(reader: _Reader, path: Path, out_dir: Path, source: str) -> Conversion:
    conv = write_conversion(path, out_dir, source, reader.finish, reader.quarantined, reader.counts, reader.unused)
    if reader.counts["outbound_messages"]:
        conv.notes.append(
            "Twilio does not record WhatsApp's pricing category: replies (outbound-reply) are "
            f"counted as service, other outbound messages as {reader.business_category}."
        )
    return conv


def convert_csv(path: Path, out_dir: Path, *, max_bytes: int | None = None, **options) -> Conversion:
    name = path.name
    text = decode_text(name, read_bytes(path, max_bytes))
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    try:
        head = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise UnreadableFile(f"{name}: has no header row") from exc
    keys = [norm(c) for c in head]
    missing = [c for c in CSV_REQUIRED if c not in keys]
    if missing:
        names = {"sentdate": "SentDate", "sid": "Sid"}
        raise UnreadableFile(
            f"{name}: is not a Twilio message log export: its header has no "
            + ", ".join(names.get(c, c.capitalize()) for c in missing)
            + " column"
            + ("s" if len(missing) > 1 else "")
        )
    fields = [CSV_COLUMNS.get(k) for k in keys]
    r = _Reader(name, options)
    unknown = [h for h, f in zip(head, fields) if f is None]
    line = 1
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise UnreadableFile(f"{name}: line {start:,} is not CSV ({exc})") from exc
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        place = f"line {start}"
        if len(row) != len(head):
            r.counts["records"] += 1
            r.quarantined.append(
                Quarantined(place, clip(_csv_line(row)), [f"has {len(row)} fields, the header has {len(head)}"])
            )
            continue
        rec = {}
        for f, v in zip(fields, row):
            if f:
                rec[f] = v
        r.record(place, rec, lambda row=row: _csv_line(row))
        for col in unknown:
            r.unused[f"column {col}"] += 1
        if rec.get("api_version"):
            r.unused["ApiVersion"] += 1
    return _finish(r, path, out_dir, CSV_NAME)


def _csv_line(row: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(row)
    return buf.getvalue()


def convert_bulk(path: Path, out_dir: Path, *, max_bytes: int | None = None, **options) -> Conversion:
    name = path.name
    r = _Reader(name, options)
    seen_any = False
    for place, value in file_values(path, max_bytes):
        if isinstance(value, NotJSON):
            r.counts["records"] += 1
            r.quarantined.append(Quarantined(place, value.raw, [f"the record {value.problem}"]))
            continue
        if not looks_like_bulk(value):
            r.counts["records"] += 1
            r.quarantined.append(
                Quarantined.of_value(place, value, ["the record is not a Twilio Message record (no sid)"])
            )
            continue
        seen_any = True
        rec = {}
        for k, v in value.items():
            f = BULK_FIELDS.get(k)
            if f is None:
                r.unused[k] += 1
            elif v is not None:
                rec[f] = text_of(v)
        if rec.get("api_version"):
            r.unused["api_version"] += 1
        if rec.get("sent") and rec.get("created"):
            r.unused["date_created (date_sent is used)"] += 1
        r.record(place, rec, lambda value=value: compact(value))
    if not seen_any:
        raise UnreadableFile(f"{name}: holds no Twilio Message record (a record has a sid and an account_sid)")
    return _finish(r, path, out_dir, BULK_NAME)
