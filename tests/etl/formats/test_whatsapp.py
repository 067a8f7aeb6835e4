"""The WhatsApp Cloud API webhook reader: outcomes on bodies built as Meta's reference shows them."""

from __future__ import annotations

import csv
import gzip
import json
import random
import shutil
from pathlib import Path

import pytest

from etl.formats import UnreadableFile, convert, detect
from etl.formats.base import UNNAMED_TEMPLATE
from etl.formats.kinds import SOURCE_PLACE, header, kind

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "docs" / "samples" / "whatsapp_webhook.jsonl"
WABA, PHONE, DISPLAY = "104996122399160", "106540352242922", "442079460958"
T = 1792022400  # 2026-10-15 00:00 UTC


def body(value: dict, field: str = "messages", time: int | None = None, waba: str = WABA) -> dict:
    entry = {"id": waba, "changes": [{"value": value, "field": field}]}
    if time is not None:
        entry["time"] = time
    return {"object": "whatsapp_business_account", "entry": [entry]}


def meta(phone=PHONE, display=DISPLAY):
    return {"display_phone_number": display, "phone_number_id": phone}


def message(mid, frm, ts, typ="text", content=None, **extra):
    m = {
        "from": frm,
        "id": mid,
        "timestamp": str(ts),
        "type": typ,
        typ: content if content is not None else {"body": f"hello {mid}"},
    }
    m.update(extra)
    return body({"messaging_product": "whatsapp", "metadata": meta(), "messages": [m]})


def status(mid, st, ts, rcpt="919876543210", category="marketing", ptype="regular", errors=None, phone=PHONE):
    s = {"id": mid, "status": st, "timestamp": str(ts), "recipient_id": rcpt}
    if category is not None:
        s["pricing"] = {"billable": ptype == "regular", "pricing_model": "PMP", "category": category, "type": ptype}
    if errors:
        s["errors"] = errors
    return body({"messaging_product": "whatsapp", "metadata": meta(phone), "statuses": [s]})


def write_jsonl(path: Path, bodies) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for b in bodies:
            fh.write((b if isinstance(b, str) else json.dumps(b)) + "\n")
    return path


def rows(conv, kind: str) -> list[dict]:
    if kind not in conv.files:
        return []
    with open(conv.files[kind], newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def by_id(conv, kind: str, key: str) -> dict[str, dict]:
    return {r[key]: r for r in rows(conv, kind)}


def without_place(conv) -> dict[str, list[tuple]]:
    out = {}
    for name in conv.files:
        out[name] = sorted(tuple(v for k, v in r.items() if k != SOURCE_PLACE) for r in rows(conv, name))
    return out


def test_sample_converts_with_nothing_quarantined_and_every_kind_present(tmp_path):
    assert detect(SAMPLE) == "whatsapp_webhook"
    conv = convert(SAMPLE, None, tmp_path)
    assert conv.quarantined == []
    assert set(conv.files) == {"messages", "message_statuses", "opt_outs", "platform_events", "businesses"}
    msgs = rows(conv, "messages")
    assert sum(r["direction"] == "inbound" for r in msgs) == 4
    assert sum(r["direction"] == "outbound" for r in msgs) == 4
    assert conv.counts["repeats"] == 1  # the delivery Meta sent twice
    for name, path in conv.files.items():
        assert next(csv.reader(open(path, encoding="utf-8"))) == list(header(name))
    assert "changes[].field=security" in conv.unused


def test_every_message_type_is_inbound_with_its_words_and_its_type(tmp_path):
    bodies = [
        message("m1", "919876543210", T, "text", {"body": "order 4411?"}),
        message("m2", "919876543210", T + 1, "image", {"caption": "broken box", "id": "1", "mime_type": "image/jpeg"}),
        message("m3", "919876543210", T + 2, "video", {"caption": "unboxing"}),
        message("m4", "919876543210", T + 3, "document", {"caption": "invoice", "filename": "a.pdf"}),
        message("m5", "919876543210", T + 4, "audio", {"id": "2", "voice": True}),
        message(
            "m6",
            "919876543210",
            T + 5,
            "interactive",
            {"type": "list_reply", "list_reply": {"id": "x", "title": "Store hours"}},
        ),
        message("m7", "919876543210", T + 6, "button", {"payload": "P", "text": "Stop promotions"}),
        message("m8", "919876543210", T + 7, "reaction", {"message_id": "wamid.out", "emoji": "👍"}),
        message("m9", "919876543210", T + 8, "location", {"latitude": 1.0, "longitude": 2.0}),
        message(
            "m10", "919876543210", T + 9, "unsupported", {}, errors=[{"code": 131051, "title": "Message type unknown"}]
        ),
    ]
    conv = convert(write_jsonl(tmp_path / "in.jsonl", bodies), "whatsapp_webhook", tmp_path / "out")
    got = by_id(conv, "messages", "message_id")
    assert {k: (v["message_type"], v["text"]) for k, v in got.items()} == {
        "m1": ("text", "order 4411?"),
        "m2": ("image", "broken box"),
        "m3": ("video", "unboxing"),
        "m4": ("document", "invoice"),
        "m5": ("audio", ""),
        "m6": ("interactive", "Store hours"),
        "m7": ("button", "Stop promotions"),
        "m8": ("reaction", ""),
        "m9": ("location", ""),
        "m10": ("unsupported", ""),
    }
    assert all(r["direction"] == "inbound" and r["category"] == "" and r["status"] == "" for r in got.values())
    assert got["m8"]["reply_to"] == "wamid.out"
    assert got["m10"]["error_codes"] == "131051" and got["m10"]["error_titles"] == "Message type unknown"
    assert got["m1"]["user_country"] == "IN" and got["m1"]["business_id"] == PHONE
    assert got["m1"]["account_id"] == WABA and got["m1"]["sent_at"] == "2026-10-15T00:00:00Z"
    assert conv.unused["messages[].image.mime_type"] == 1
    assert conv.unused["messages[].location.latitude"] == 1


def test_statuses_fold_into_one_outbound_message_with_the_furthest_status(tmp_path):
    bodies = [
        status("A", "read", T + 30, category="utility"),  # arrives first, happened last
        status("A", "sent", T + 10, category="utility"),
        status("A", "delivered", T + 20, category="utility"),
        status("B", "sent", T + 10),
        status("B", "delivered", T + 11),
        status(
            "B", "failed", T + 40, category=None, errors=[{"code": 131049, "title": "healthy ecosystem engagement"}]
        ),
    ]
    conv = convert(write_jsonl(tmp_path / "s.jsonl", bodies), None, tmp_path / "out")
    got = by_id(conv, "messages", "message_id")
    a, b = got["A"], got["B"]
    assert (a["direction"], a["status"], a["sent_at"], a["category"]) == (
        "outbound",
        "read",
        "2026-10-15T00:00:10Z",
        "utility",
    )
    assert a["statuses_seen"] == "sent;delivered;read" and a["template"] == UNNAMED_TEMPLATE
    assert (b["status"], b["category"], b["error_codes"], b["error_titles"]) == (
        "failed",
        "marketing",
        "131049",
        "healthy ecosystem engagement",
    )
    assert a["pricing_type"] == "regular" and a["billable"] == "true" and a["pricing_model"] == "PMP"
    statuses = by_id(conv, "message_statuses", "status_id")
    assert set(statuses) == {"A:sent", "A:delivered", "A:read", "B:sent", "B:delivered", "B:failed"}
    assert statuses["B:failed"]["error_codes"] == "131049"


@pytest.mark.parametrize(
    "raw, v1, template",
    [
        ("marketing", "marketing", UNNAMED_TEMPLATE),
        ("marketing_lite", "marketing", UNNAMED_TEMPLATE),
        ("utility", "utility", UNNAMED_TEMPLATE),
        ("authentication", "authentication", UNNAMED_TEMPLATE),
        ("authentication_international", "authentication", UNNAMED_TEMPLATE),
        ("service", "service", ""),
        ("referral_conversion", "service", ""),
    ],
)
def test_pricing_categories_map_to_v1_and_keep_the_raw_value(tmp_path, raw, v1, template):
    conv = convert(write_jsonl(tmp_path / "c.jsonl", [status("X", "sent", T, category=raw)]), None, tmp_path / "o")
    row = by_id(conv, "messages", "message_id")["X"]
    assert (row["category"], row["pricing_category"], row["template"]) == (v1, raw, template)


def test_an_outbound_message_without_a_known_category_is_quarantined_with_its_reason(tmp_path):
    bodies = [
        status("U", "sent", T, category="brand_new_category"),
        status("N", "failed", T, category=None),
        status("OK", "sent", T),
    ]
    conv = convert(write_jsonl(tmp_path / "c.jsonl", bodies), None, tmp_path / "o")
    assert set(by_id(conv, "messages", "message_id")) == {"OK"}
    reasons = {q.reasons[0].split(":")[0]: q for q in conv.quarantined}
    assert "brand_new_category" in reasons["outbound message U"].reasons[0]
    assert "needs a category" in reasons["outbound message N"].reasons[0]
    assert reasons["outbound message U"].place.startswith("line 1: entry[0].changes[0].value.statuses[0]")


def test_order_and_repeats_change_nothing(tmp_path):
    bodies = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    base = without_place(convert(write_jsonl(tmp_path / "a.jsonl", bodies), None, tmp_path / "a"))
    for seed in range(4):
        rnd = random.Random(seed)
        mixed = bodies + [rnd.choice(bodies) for _ in range(len(bodies))]
        rnd.shuffle(mixed)
        conv = convert(write_jsonl(tmp_path / f"m{seed}.jsonl", mixed), None, tmp_path / f"m{seed}")
        assert conv.quarantined == []
        assert without_place(conv) == base


def test_a_late_older_status_changes_nothing_in_the_message(tmp_path):
    first = [status("A", "sent", T), status("A", "read", T + 60)]
    later = first + [status("A", "delivered", T + 30), status("A", "sent", T)]
    v1 = list(kind("messages").names)
    a = convert(write_jsonl(tmp_path / "a.jsonl", first), None, tmp_path / "a")
    b = convert(write_jsonl(tmp_path / "b.jsonl", later), None, tmp_path / "b")
    assert [[r[c] for c in v1] for r in rows(a, "messages")] == [[r[c] for c in v1] for r in rows(b, "messages")]
    # the late status is kept where it adds without conflicting: one row per message and status
    assert len(rows(b, "message_statuses")) == len(rows(a, "message_statuses")) + 1


def test_a_malformed_body_is_quarantined_with_its_place_and_reason_while_the_others_convert(tmp_path):
    good = [message("m1", "919876543210", T), status("A", "sent", T)]
    lines = [
        json.dumps(good[0]),
        '{"object": "whatsapp_business_account", "entry": [',
        json.dumps({"hello": 1}),
        json.dumps(
            body(
                {
                    "messaging_product": "whatsapp",
                    "metadata": meta(),
                    "messages": [{"id": "m2", "timestamp": str(T), "type": "text", "text": {"body": "x"}}],
                }
            )
        ),
        json.dumps(good[1]),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    conv = convert(path, None, tmp_path / "o")
    assert set(by_id(conv, "messages", "message_id")) == {"m1", "A"}
    q = {x.place: x for x in conv.quarantined}
    assert q["line 2"].reasons[0].startswith("the body is not JSON")
    assert q["line 2"].raw_text == lines[1]
    assert "not a WhatsApp webhook" in q["line 3"].reasons[0]
    assert q["line 4: entry[0].changes[0].value.messages[0]"].reasons == ["from (the user) is missing"]
    quarantine_csv = list(csv.DictReader(open(conv.quarantine_file, encoding="utf-8")))
    assert [r["place"] for r in quarantine_csv] == ["line 2", "line 3", "line 4: entry[0].changes[0].value.messages[0]"]


def test_a_file_with_no_webhook_body_is_refused_in_one_sentence(tmp_path):
    path = write_jsonl(tmp_path / "other.json", [{"hello": 1}, {"hello": 2}])
    with pytest.raises(UnreadableFile) as exc:
        convert(path, "whatsapp_webhook", tmp_path / "o")
    assert str(exc.value) == (
        "other.json: none of its 2 JSON values is a WhatsApp webhook body "
        '(a body has "object": "whatsapp_business_account")'
    )
    broken = tmp_path / "broken.json"
    broken.write_text('{"object": "whatsapp_business_account",\n  "entry": [}\n')
    with pytest.raises(UnreadableFile, match=r"^broken.json: is not JSON \(.* at line 2, column 13\)$"):
        convert(broken, "whatsapp_webhook", tmp_path / "o")


def test_one_body_an_array_of_bodies_pretty_printed_bodies_and_gzip_give_the_same_rows(tmp_path):
    bodies = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    base = without_place(convert(SAMPLE, None, tmp_path / "base"))
    array = tmp_path / "array.json"
    array.write_text(json.dumps(bodies, indent=2))
    pretty = tmp_path / "pretty.json"
    pretty.write_text("\n".join(json.dumps(b, indent=2) for b in bodies))
    gz = tmp_path / "archive.bin"  # not named .gz: gzip is told from the bytes
    gz.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    for path in (array, pretty, gz):
        assert detect(path) == "whatsapp_webhook"
        conv = convert(path, None, tmp_path / path.stem)
        assert conv.quarantined == []
        assert without_place(conv) == base
    one = tmp_path / "one.json"
    one.write_text(json.dumps(bodies[0], indent=2))
    conv = convert(one, None, tmp_path / "one")
    assert rows(conv, "messages")[0][SOURCE_PLACE] == "body 1: entry[0].changes[0].value.messages[0]"
    assert rows(convert(array, None, tmp_path / "arr2"), "messages")[0][SOURCE_PLACE].startswith("body ")


def test_user_preferences_become_opt_outs_stop_and_resume(tmp_path):
    def pref(user, value, ts, category="marketing_messages"):
        return body(
            {
                "messaging_product": "whatsapp",
                "metadata": meta(),
                "contacts": [{"wa_id": user}],
                "user_preferences": [
                    {"wa_id": user, "detail": "d", "category": category, "value": value, "timestamp": ts}
                ],
            },
            field="user_preferences",
        )

    bodies = [
        pref("4915123456789", "stop", T),
        pref("4915123456789", "resume", T + 60),
        pref("4915123456789", "stop", T),
        pref("4915123456789", "stop", T + 5, category="other_thing"),
    ]
    conv = convert(write_jsonl(tmp_path / "p.jsonl", bodies), None, tmp_path / "o")
    got = sorted((r["changed_at"], r["action"], r["user_id"], r["business_id"]) for r in rows(conv, "opt_outs"))
    assert got == [
        ("2026-10-15T00:00:00Z", "stop_marketing", "4915123456789", PHONE),
        ("2026-10-15T00:01:00Z", "resume_marketing", "4915123456789", PHONE),
    ]
    assert conv.unused["user_preferences[].category=other_thing"] == 1


def test_quality_and_account_updates_become_platform_events_on_the_business(tmp_path):
    bodies = [
        message("m1", "919876543210", T),  # tells the file which phone number the account has
        body(
            {
                "display_phone_number": DISPLAY,
                "event": "DOWNGRADE",
                "old_limit": "TIER_10K",
                "current_limit": "TIER_2K",
            },
            "phone_number_quality_update",
            T + 1,
        ),
        body(
            {
                "previous_quality_score": "GREEN",
                "new_quality_score": "RED",
                "message_template_id": 77,
                "message_template_name": "promo",
                "message_template_language": "en_US",
            },
            "message_template_quality_update",
            T + 2,
        ),
        body(
            {
                "event": "DISABLED_UPDATE",
                "ban_info": {"waba_ban_state": "DISABLE", "waba_ban_date": "October 16, 2026"},
            },
            "account_update",
            T + 3,
        ),
        body(
            {
                "event": "ACCOUNT_RESTRICTION",
                "restriction_info": [
                    {"restriction_type": "RESTRICTED_BIZ_INITIATED_MESSAGING", "expiration": "2026-10-20T00:00:00+0000"}
                ],
            },
            "account_update",
            T + 4,
        ),
        body(
            {"event": "ACCOUNT_VIOLATION", "violation_info": {"violation_type": "SCAM"}},
            "account_update",
            T + 5,
            waba="999",
        ),  # an account the file shows no phone number of
    ]
    conv = convert(write_jsonl(tmp_path / "e.jsonl", bodies), None, tmp_path / "o")
    got = sorted(
        (r["event"], r["business_id"], r["scope"], r["old_value"], r["new_value"], r["detail"])
        for r in rows(conv, "platform_events")
    )
    assert got == [
        (
            "account_restriction",
            PHONE,
            "account",
            "",
            "RESTRICTED_BIZ_INITIATED_MESSAGING",
            "RESTRICTED_BIZ_INITIATED_MESSAGING until 2026-10-20T00:00:00+0000",
        ),
        ("account_violation", "999", "account", "", "SCAM", ""),
        ("disabled_update", PHONE, "account", "", "DISABLE", "ban date October 16, 2026"),
        ("phone_number_downgrade", PHONE, "phone_number", "TIER_10K", "TIER_2K", ""),
        ("template_quality_changed", PHONE, "template", "GREEN", "RED", ""),
    ]
    events = rows(conv, "platform_events")
    assert {r["occurred_at"] for r in events if r["event"] == "phone_number_downgrade"} == {"2026-10-15T00:00:01Z"}
    assert all(r["account_id"] in (WABA, "999") for r in events)


def test_a_platform_event_without_a_time_is_quarantined(tmp_path):
    conv = convert(
        write_jsonl(
            tmp_path / "e.jsonl",
            [
                message("m1", "919876543210", T),
                body({"event": "ACCOUNT_VIOLATION", "violation_info": {"violation_type": "SPAM"}}, "account_update"),
            ],
        ),
        None,
        tmp_path / "o",
    )
    assert [q.reasons for q in conv.quarantined] == [
        ["entry[].time is missing or not Unix seconds: a platform event needs a time"]
    ]


def test_the_business_row_comes_from_what_the_bodies_say(tmp_path):
    bodies = [
        message("m1", "919876543210", T),
        body(
            {"display_phone_number": DISPLAY, "decision": "APPROVED", "requested_verified_name": "Acme Shoes"},
            "phone_number_name_update",
            T + 1,
        ),
        body({"event": "BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE", "country": "IE"}, "account_update", T + 2),
    ]
    conv = convert(write_jsonl(tmp_path / "b.jsonl", bodies), None, tmp_path / "o")
    (biz,) = rows(conv, "businesses")
    assert (biz["business_id"], biz["name"], biz["category"], biz["country"], biz["account_id"]) == (
        PHONE,
        "Acme Shoes",
        "other",
        "IE",
        WABA,
    )
    conv = convert(write_jsonl(tmp_path / "b2.jsonl", bodies[:1]), None, tmp_path / "o2")
    (biz,) = rows(conv, "businesses")
    assert (biz["name"], biz["country"]) == ("+" + DISPLAY, "GB")  # the display number's country


def test_user_country_from_the_calling_code_with_unknown_counted(tmp_path):
    bodies = [
        message("m1", "12045551234", T),
        message("m2", "16505551234", T),
        message("m3", "15550783881", T),  # not a valid number: its calling code's main country
        message("m4", "999123", T),
    ]  # no such calling code
    conv = convert(write_jsonl(tmp_path / "u.jsonl", bodies), None, tmp_path / "o")
    got = {k: v["user_country"] for k, v in by_id(conv, "messages", "message_id").items()}
    assert got == {"m1": "CA", "m2": "US", "m3": "US", "m4": ""}
    assert conv.counts["user_country_from_calling_code"] == 1
    assert conv.counts["user_country_unknown"] == 1


def test_a_repeated_message_id_with_other_content_is_quarantined_the_same_way_in_any_order(tmp_path):
    a = message("m1", "919876543210", T, "text", {"body": "first"})
    b = message("m1", "919876543210", T, "text", {"body": "edited"})
    one = convert(write_jsonl(tmp_path / "1.jsonl", [a, b]), None, tmp_path / "1")
    two = convert(write_jsonl(tmp_path / "2.jsonl", [b, a]), None, tmp_path / "2")
    assert without_place(one) == without_place(two)
    assert len(one.quarantined) == len(two.quarantined) == 1
    assert "appears again with different content" in one.quarantined[0].reasons[0]


def test_summary_words_what_was_found_and_what_was_not_used(tmp_path):
    conv = convert(SAMPLE, None, tmp_path)
    text = " ".join(conv.summary())
    assert "WhatsApp Cloud API webhook bodies" in text
    assert "4 inbound messages" in text and "2 opt-outs" in text and "5 platform events" in text
    assert "Not used:" in text and conv.loadable
    json.dumps(conv.as_json())


def test_converting_twice_writes_the_same_bytes(tmp_path):
    one = convert(SAMPLE, None, tmp_path / "a")
    two = convert(SAMPLE, None, tmp_path / "b")
    for name in one.files:
        assert one.files[name].read_bytes() == two.files[name].read_bytes()
    shutil.rmtree(tmp_path / "a")
