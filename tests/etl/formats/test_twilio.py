"""Twilio message logs: the Console CSV export and BulkExport day files."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

from etl.formats import UnreadableFile, convert, detect
from etl.formats.base import UNNAMED_TEMPLATE
from etl.formats.twilio import OUTBOUND_STATUS

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "docs" / "samples"
HEAD = [
    "From",
    "To",
    "Body",
    "Status",
    "SentDate",
    "ApiVersion",
    "NumSegments",
    "ErrorCode",
    "AccountSid",
    "Sid",
    "Direction",
    "Price",
    "PriceUnit",
]
BIZ, USER = "whatsapp:+14155238886", "whatsapp:+5511987654321"


def write_csv(path: Path, head, records) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        w.writerows(records)
    return path


def rec(
    sid,
    direction="outbound-api",
    status="delivered",
    sent="2026-10-16T09:02:11-07:00",
    price="-0.00500",
    unit="USD",
    error="",
    body="hi",
    frm=None,
    to=None,
):
    inbound = direction == "inbound"
    frm = frm or (USER if inbound else BIZ)
    to = to or (BIZ if inbound else USER)
    return dict(zip(HEAD, [frm, to, body, status, sent, "2010-04-01", "1", error, "AC1", sid, direction, price, unit]))


def rows_of(conv) -> dict[str, dict]:
    with open(conv.files["messages"], newline="", encoding="utf-8") as fh:
        return {r["message_id"]: r for r in csv.DictReader(fh)}


def test_samples_convert_with_nothing_quarantined(tmp_path):
    for name, fmt, n in (
        ("twilio_messages.csv", "twilio_csv", 7),
        ("twilio_bulkexport.jsonl.gz", "twilio_bulkexport", 4),
    ):
        assert detect(SAMPLES / name) == fmt
        conv = convert(SAMPLES / name, None, tmp_path / fmt)
        assert conv.quarantined == [] and conv.rows == {"messages": n}


def test_columns_are_matched_by_name_in_any_order_and_case(tmp_path):
    order = list(reversed(HEAD))
    records = [rec("SM1"), rec("SM2", "inbound", "received")]
    path = write_csv(
        tmp_path / "log.csv",
        [h.upper() if i % 2 else h.lower() for i, h in enumerate(order)],
        [[r[h] for h in order] for r in records],
    )
    assert detect(path) == "twilio_csv"
    got = rows_of(convert(path, None, tmp_path / "o"))
    assert set(got) == {"SM1", "SM2"}


def test_the_business_side_follows_the_direction_and_whatsapp_prefixes_go(tmp_path):
    records = [
        rec("SM1", "inbound", "received"),
        rec("SM2", "outbound-api"),
        rec("SM3", "outbound-reply"),
        rec("SM4", "outbound-call"),
        rec("SM5", "outbound-api", frm="+14155238886", to="+447400123456"),
    ]
    got = rows_of(
        convert(write_csv(tmp_path / "d.csv", HEAD, [list(r.values()) for r in records]), None, tmp_path / "o")
    )
    assert {k: (v["direction"], v["business_id"], v["user_id"], v["channel"]) for k, v in got.items()} == {
        "SM1": ("inbound", "+14155238886", "+5511987654321", "whatsapp"),
        "SM2": ("outbound", "+14155238886", "+5511987654321", "whatsapp"),
        "SM3": ("outbound", "+14155238886", "+5511987654321", "whatsapp"),
        "SM4": ("outbound", "+14155238886", "+5511987654321", "whatsapp"),
        "SM5": ("outbound", "+14155238886", "+447400123456", "sms"),
    }
    assert got["SM1"]["user_country"] == "BR" and got["SM5"]["user_country"] == "GB"
    assert (got["SM3"]["category"], got["SM3"]["template"]) == ("service", "")
    assert (got["SM2"]["category"], got["SM2"]["template"]) == ("utility", UNNAMED_TEMPLATE)
    assert (got["SM1"]["category"], got["SM1"]["status"]) == ("", "")


def test_every_twilio_status_maps_to_a_v1_status_or_is_named_as_not_used(tmp_path):
    statuses = list(OUTBOUND_STATUS) + ["canceled", "scheduled"]
    records = [rec(f"SM{i}", status=s) for i, s in enumerate(statuses)]
    conv = convert(write_csv(tmp_path / "s.csv", HEAD, [list(r.values()) for r in records]), None, tmp_path / "o")
    got = {r["message_type"] + ":" + r["message_id"]: r["status"] for r in rows_of(conv).values()}
    assert sorted(got.values()) == sorted(OUTBOUND_STATUS.values())
    assert {"queued", "sending", "accepted", "undelivered", "failed", "read"} <= set(OUTBOUND_STATUS)
    assert (OUTBOUND_STATUS["undelivered"], OUTBOUND_STATUS["queued"], OUTBOUND_STATUS["read"]) == (
        "failed",
        "sent",
        "read",
    )
    assert conv.unused == {"ApiVersion": 11, "Status=canceled (never sent)": 1, "Status=scheduled (never sent)": 1}
    assert conv.quarantined == []


def test_prices_become_positive_us_dollars_and_other_currencies_are_kept_unconverted(tmp_path):
    records = [rec("SM1", price="-0.00790"), rec("SM2", price="-0.0070", unit="EUR"), rec("SM3", price="")]
    conv = convert(write_csv(tmp_path / "p.csv", HEAD, [list(r.values()) for r in records]), None, tmp_path / "o")
    got = rows_of(conv)
    assert (got["SM1"]["price_usd"], got["SM1"]["price"], got["SM1"]["price_unit"]) == ("0.00790", "-0.00790", "USD")
    assert (got["SM2"]["price_usd"], got["SM2"]["price"], got["SM2"]["price_unit"]) == ("", "-0.0070", "EUR")
    assert got["SM3"]["price_usd"] == ""
    assert conv.counts["prices_not_usd"] == 1


def test_error_codes_are_kept_and_times_are_utc(tmp_path):
    records = [
        rec("SM1", status="undelivered", error="30007", sent="2026-10-16T09:02:11-07:00"),
        rec("SM2", sent="2026-10-16 17:30:05"),
        rec("SM3", sent="Fri, 16 Oct 2026 17:30:05 +0000"),
    ]
    got = rows_of(
        convert(write_csv(tmp_path / "e.csv", HEAD, [list(r.values()) for r in records]), None, tmp_path / "o")
    )
    assert got["SM1"]["error_codes"] == "30007" and got["SM1"]["status"] == "failed"
    assert [got[s]["sent_at"] for s in ("SM1", "SM2", "SM3")] == [
        "2026-10-16T16:02:11Z",
        "2026-10-16T17:30:05Z",
        "2026-10-16T17:30:05Z",
    ]


def test_bad_rows_are_quarantined_with_line_and_reasons(tmp_path):
    records = [
        list(rec("SM1").values()),
        list(rec("SM2", direction="sideways").values()),
        list(rec("SM3", sent="yesterday").values()),
        ["only", "three", "fields"],
        list(rec("SM1", body="changed").values()),
        list(rec("SM4").values()),
    ]
    conv = convert(write_csv(tmp_path / "b.csv", HEAD, records), None, tmp_path / "o")
    assert set(rows_of(conv)) == {"SM1", "SM4"}
    q = {x.place: x.reasons for x in conv.quarantined}
    assert q["line 3"] == ["Direction 'sideways' is not inbound, outbound-api, outbound-reply or outbound-call"]
    assert q["line 4"] == ["SentDate 'yesterday' is not a time"]
    assert q["line 5"] == ["has 3 fields, the header has 13"]
    # which of two differing rows is kept depends on their content, never on their order
    assert q["line 2"] == ["message SM1 appears again with different content (the one kept is at line 6)"]


def test_a_csv_without_the_needed_columns_is_refused_in_one_sentence(tmp_path):
    path = write_csv(tmp_path / "x.csv", ["From", "To", "Body", "Status", "Sid"], [["a", "b", "c", "d", "e"]])
    with pytest.raises(UnreadableFile) as exc:
        convert(path, "twilio_csv", tmp_path / "o")
    assert str(exc.value) == "x.csv: is not a Twilio message log export: its header has no SentDate, Direction columns"


def test_bulkexport_day_files_are_read_gzipped_or_plain(tmp_path):
    records = [
        {
            "account_sid": "AC1",
            "sid": "SM1",
            "from": BIZ,
            "to": USER,
            "body": "hello",
            "status": "delivered",
            "direction": "outbound-api",
            "date_created": "2026-10-18T16:01:10Z",
            "date_sent": "2026-10-18T16:01:11Z",
            "error_code": None,
            "price": "-0.005",
            "num_segments": "1",
            "num_media": "0",
        },
        {
            "account_sid": "AC1",
            "sid": "SM2",
            "from": USER,
            "to": BIZ,
            "body": "hi",
            "status": "received",
            "direction": "inbound",
            "date_created": "2026-10-18T16:05:42Z",
            "date_sent": None,
            "error_code": None,
            "price": None,
            "num_segments": "1",
        },
        {
            "account_sid": "AC1",
            "sid": "SM3",
            "from": BIZ,
            "to": USER,
            "body": "x",
            "status": "failed",
            "direction": "outbound-api",
            "date_created": "2026-10-18T20:00:00Z",
            "date_sent": None,
            "error_code": 30034,
            "price": None,
        },
    ]
    text = "\n".join(json.dumps(r) for r in records) + "\n{not json\n"
    gz = tmp_path / "day.json.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    plain = tmp_path / "day.jsonl"
    plain.write_text(text)
    for path in (gz, plain):
        assert detect(path) == "twilio_bulkexport"
        conv = convert(path, None, tmp_path / path.name.replace(".", "_"))
        got = rows_of(conv)
        assert got["SM1"]["price_usd"] == "0.005" and got["SM1"]["sent_at"] == "2026-10-18T16:01:11Z"
        assert got["SM2"]["sent_at"] == "2026-10-18T16:05:42Z"  # no date_sent: date_created
        assert (got["SM3"]["status"], got["SM3"]["error_codes"]) == ("failed", "30034")
        assert [(q.place, q.reasons[0][:26]) for q in conv.quarantined] == [("line 4", "the record is not JSON (Ex")]
        assert conv.unused["num_media"] == 1


def test_the_category_of_business_initiated_messages_is_an_option(tmp_path):
    path = write_csv(tmp_path / "c.csv", HEAD, [list(rec("SM1").values())])
    got = rows_of(convert(path, None, tmp_path / "o", twilio_category="marketing"))
    assert got["SM1"]["category"] == "marketing"
    with pytest.raises(ValueError, match="twilio_category 'spam'"):
        convert(path, None, tmp_path / "o2", twilio_category="spam")
