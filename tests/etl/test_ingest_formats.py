"""Foreign formats through the product: `trustdesk load` (and `--source`, `--inbox`), the store, the
marts and the pages. The samples in docs/samples load with exit 0; loading twice, a repeated or
out-of-order body change nothing; a malformed body is quarantined with its place."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from functools import partial
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from etl import store
from etl.ingest.load import exit_code, load_files
from etl.settings import REPO_ROOT
from tests.webhook.test_webhook_fold import fill
from tests.worlds import sign_in_apptest
from tests.worlds import td as run_td
from trustdesk.accounts.auth import Principal
from trustdesk.warehouse import open_current

SAMPLES = REPO_ROOT / "docs" / "samples"
WEBHOOK = SAMPLES / "whatsapp_webhook.jsonl"
PHONE_ID = "106540352242922"
MID = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI0RDVFNkY3QThCOUMwRDFFMkYA"
RAW = ("businesses", "messages", "message_statuses", "opt_outs", "platform_events", "billed_pricing")


# The command, with room for the slowest loads here (whole sample sets, the inbox fold).
td = partial(run_td, timeout=600)


def ingest(root: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(root / store.INGEST_FILE), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def raw_rows(root: Path) -> dict[str, list[tuple]]:
    return {k: sorted(ingest(root, f"SELECT * EXCLUDE (load_id, line) FROM raw_{k}"), key=repr) for k in RAW}


def body_lines() -> list[str]:
    return WEBHOOK.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("samples") / "data"
    out = td(root, "load", *sorted(str(p) for p in SAMPLES.iterdir() if p.is_file()), "--format", "json")
    return root, out


def test_every_sample_loads_with_exit_0_and_says_what_it_became(sample_store):
    root, out = sample_store
    assert out.returncode == 0, out.stderr + out.stdout
    results = {r["file"]: r for r in json.loads(out.stdout)}
    assert {r["status"] for r in results.values()} == {"loaded"}
    wa = results["whatsapp_webhook.jsonl"]
    assert wa["source"] == "whatsapp_webhook"
    assert {p["kind"]: p["loaded"] for p in wa["parts"]} == {
        "businesses": 1,
        "messages": 8,
        "message_statuses": 9,
        "opt_outs": 2,
        "platform_events": 5,
    }
    assert wa["unused"] and any("Not used" in s for s in wa["conversion"])
    assert wa["ignored"] == sum(wa["unused"].values()) > 0
    assert results["meta_pricing_analytics.json"]["parts"][0]["kind"] == "billed_pricing"
    assert results["twilio_messages.csv"]["loaded"] == 7
    status = json.loads(td(root, "status", "--format", "json").stdout)
    assert status["rows"]["platform_events"] == 5 and status["rows"]["billed_pricing"] == 8


def test_loading_the_samples_again_changes_nothing(sample_store, tmp_path):
    root, _ = sample_store
    before = raw_rows(root)
    again = td(root, "load", *sorted(str(p) for p in SAMPLES.iterdir() if p.is_file()), "--format", "json")
    assert again.returncode == 0, again.stderr
    assert all(r["loaded"] == 0 for r in json.loads(again.stdout))
    assert raw_rows(root) == before


def test_repeated_and_out_of_order_bodies_change_nothing(sample_store, tmp_path):
    root, _ = sample_store
    before = raw_rows(root)
    lines = body_lines() * 2
    random.Random(7).shuffle(lines)
    shuffled = tmp_path / "archive.ndjson"
    shuffled.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [res] = load_files(root, [shuffled])
    assert res.source == "whatsapp_webhook" and res.loaded == 0 and res.quarantined == 0
    assert raw_rows(root) == before


def test_a_malformed_body_is_quarantined_with_its_place_and_the_others_load(tmp_path):
    root = tmp_path / "data"
    lines = body_lines()
    bad = json.loads(lines[14])
    bad["entry"][0]["changes"][0]["value"]["statuses"][0]["timestamp"] = "yesterday"
    lines[14] = json.dumps(bad)
    lines.insert(3, '{"object": "whatsapp_business_account", "entry": [')  # not JSON: line 4
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = td(root, "load", str(path), "--format", "json")
    assert out.returncode == 1, out.stderr
    [res] = json.loads(out.stdout)
    assert res["status"] == "partial" and res["quarantined"] == 2 and res["loaded"] > 20
    rows = ingest(root, "SELECT line, reasons FROM quarantine WHERE file_name = 'broken.jsonl' ORDER BY line")
    assert [line for line, _ in rows] == [4, 16]
    assert rows[0][1][0].startswith("line 4")
    assert rows[1][1][0].startswith("line 16: entry[0].changes[0].value.statuses[0]")
    assert ingest(root, "SELECT count(*) FROM raw_platform_events")[0][0] == 5
    listed = td(root, "quarantine", "--format", "json")
    assert listed.returncode == 0 and "statuses[0]" in listed.stdout


def _failed(root: Path) -> int:
    return int(
        open_current(root).query(
            "SELECT coalesce(sum(failed), 0)::int AS n FROM business_day WHERE business_id = $b", {"b": PHONE_ID}
        )["n"][0]
    )


def test_a_later_status_for_a_loaded_message_reaches_the_marts_without_a_conflict(tmp_path):
    root = tmp_path / "data"
    load_files(root, [WEBHOOK])
    before = _failed(root)
    later_body = json.loads(body_lines()[14])
    st = later_body["entry"][0]["changes"][0]["value"]["statuses"][0]
    assert st["id"] == MID and st["status"] == "delivered"
    st["status"], st["timestamp"] = "failed", str(int(st["timestamp"]) + 60)
    later = tmp_path / "later.json"
    later.write_text(json.dumps(later_body), encoding="utf-8")
    [res] = load_files(root, [later])
    assert res.quarantined == 0 and res.status == "loaded"
    # The message stays as loaded; its statuses gain the step, and the marts take the furthest.
    assert ingest(root, "SELECT status FROM raw_messages WHERE message_id = ?", [MID]) == [("delivered",)]
    assert ("failed",) in ingest(root, "SELECT status FROM raw_message_statuses WHERE message_id = ?", [MID])
    assert _failed(root) == before + 1


def test_a_webhook_never_overwrites_a_richer_business_row(tmp_path):
    root = tmp_path / "data"
    biz = tmp_path / "businesses.csv"
    biz.write_text(f"business_id,name,category,country\n{PHONE_ID},Harbour Couriers,services,GB\n", encoding="utf-8")
    assert exit_code(load_files(root, [biz])) == 0
    [res] = load_files(root, [WEBHOOK])
    assert res.status == "loaded"
    assert ingest(root, "SELECT name, category FROM raw_businesses") == [("Harbour Couriers", "services")]


def test_source_forces_a_format_and_a_wrong_one_is_one_sentence(tmp_path):
    root = tmp_path / "data"
    forced = td(root, "load", "--source", "twilio_csv", str(WEBHOOK))
    assert forced.returncode == 2 and "Traceback" not in forced.stderr + forced.stdout
    assert "REJECTED" in forced.stdout and "whatsapp_webhook.jsonl" in forced.stdout
    ok = td(root, "load", "--source", "whatsapp_webhook", str(WEBHOOK))
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_a_file_matching_no_format_is_told_the_formats_there_are(tmp_path):
    notes = tmp_path / "notes.csv"
    notes.write_text("a,b\n1,2\n", encoding="utf-8")
    out = td(tmp_path / "data", "load", str(notes))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "notes.csv: REJECTED" in out.stdout
    assert "docs/formats/twilio_csv.md" in out.stdout and "docs/samples/whatsapp_webhook.jsonl" in out.stdout


def test_load_inbox_folds_each_body_exactly_once(tmp_path):
    root = tmp_path / "data"
    fill(root, [line.encode() for line in body_lines()], per_batch=5)
    first = td(root, "load", "--inbox")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "22 bodies folded" in first.stdout
    rows = raw_rows(root)
    assert len(rows["messages"]) == 8 and len(rows["platform_events"]) == 5
    again = td(root, "load", "--inbox")
    assert again.returncode == 0 and "0 bodies folded" in again.stdout
    # Meta retries: the same bodies delivered again change nothing.
    fill(root, [line.encode() for line in body_lines()[:6]])
    third = td(root, "load", "--inbox")
    assert third.returncode == 0 and "6 bodies folded" in third.stdout
    assert raw_rows(root) == rows


def test_a_batch_without_any_whatsapp_body_is_recorded_and_the_fold_goes_on(tmp_path):
    root = tmp_path / "data"
    fill(root, [b'{"hello": "world"}'])
    out = td(root, "load", "--inbox")
    assert "1 bodies folded" in out.stdout and "Traceback" not in out.stderr
    fill(root, [body_lines()[0].encode()])
    assert "1 bodies folded" in td(root, "load", "--inbox").stdout
    assert ingest(root, "SELECT count(*) FROM raw_messages")[0][0] == 1


def test_the_receiver_refuses_to_start_without_its_secrets(tmp_path):
    env = {
        k: v
        for k, v in __import__("os").environ.items()
        if k not in ("TRUSTDESK_WEBHOOK_VERIFY_TOKEN", "TRUSTDESK_APP_SECRET")
    }
    out = subprocess.run(
        [sys.executable, "-m", "trustdesk.cli", "--data-dir", str(tmp_path), "webhook", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1 and "TRUSTDESK_APP_SECRET" in out.stderr


# --------------------------------------------------------------------------- pages


def _page(path: str, root: Path, monkeypatch, who: Principal, **params) -> AppTest:
    monkeypatch.setenv("TRUSTDESK_DATA", str(root))
    at = AppTest.from_file(str(REPO_ROOT / path), default_timeout=120)
    sign_in_apptest(at, root, who)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def test_business_page_shows_what_the_platform_said(sample_store, monkeypatch):
    root, _ = sample_store
    at = _page("pages/moderation/business.py", root, monkeypatch, Principal("mona", "moderator"), business=PHONE_ID)
    assert "What the platform said" in [s.value for s in at.subheader]
    [events] = [d.value for d in at.dataframe if "event" in d.value.columns and "change" in d.value.columns]
    assert "phone_number_flagged" in set(events["event"])
    assert "GREEN -> YELLOW" in set(events["change"])


def test_revenue_page_shows_meta_billed_beside_the_rate_card(sample_store, monkeypatch):
    root, _ = sample_store
    at = _page("pages/analytics/revenue.py", root, monkeypatch, Principal("pm", "analyst"))
    assert "What Meta billed beside the rate card" in [s.value for s in at.subheader]
    [billed] = [d.value for d in at.dataframe if "billed_usd" in d.value.columns]
    assert billed["billed_volume"].sum() > 0
    for _, row in billed.iterrows():
        assert row["difference_usd"] == row["billed_usd"] - row["ratecard_usd"]


def test_upload_page_says_the_format_and_how_it_maps_and_guides_a_file_it_cannot_read(tmp_path, monkeypatch):
    root = tmp_path / "data"
    monkeypatch.setenv("TRUSTDESK_DATA", str(root))
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=300)
    sign_in_apptest(at, root, Principal("maria", "moderator"))
    at.run()
    at.switch_page("pages/data/upload.py").run()
    at.file_uploader(key="upload_files").set_value([("hooks.jsonl", WEBHOOK.read_bytes(), "application/json")]).run()
    assert not at.exception, at.exception
    shown = "\n".join(str(t.value) for t in at.text)
    assert "WhatsApp Cloud API webhook bodies" in shown and "Not used" in shown
    assert not at.button(key="load").disabled
    [box] = [s for s in at.selectbox if s.label == "Kind"]
    assert "whatsapp_webhook" in box.options or any("WhatsApp" in o for o in box.options)
    # the file: a Twilio message-log export, recognised and mapped
    at.file_uploader(key="upload_files").set_value(
        [("twilio.csv", (SAMPLES / "twilio_messages.csv").read_bytes(), "text/csv")]
    ).run()
    assert not at.exception, at.exception
    assert "Twilio message log" in "\n".join(str(t.value) for t in at.text)
    assert not at.button(key="load").disabled
    at.file_uploader(key="upload_files").set_value([("notes.csv", b"a,b\n1,2\n", "text/csv")]).run()
    assert not at.exception, at.exception
    assert at.button(key="load").disabled
    shown = "\n".join(str(t.value) for t in at.text)
    assert "docs/formats/whatsapp_webhook.md" in shown and "docs/formats/twilio_csv.md" in shown
    assert any(b.proto.label.startswith("Sample:") for b in at.get("download_button"))


def test_review_queue_signal_names_what_the_platform_said(sample_store):
    from trustdesk.moderation.business import platform_signals

    root, _ = sample_store
    wh = open_current(root)
    signals = platform_signals(wh, wh.date_range()[1])
    [row] = signals.filter(signals["business_id"] == PHONE_ID).to_dicts()
    assert row["platform_events"] == 5
    assert row["reason"].startswith("platform: ") and "account_violation (SCAM)" in row["reason"]


def test_the_receiver_folds_its_inbox_by_itself(tmp_path):
    import os
    import time
    import urllib.request

    from bench.webhook import sign

    secrets = {"TRUSTDESK_WEBHOOK_VERIFY_TOKEN": "verify-me", "TRUSTDESK_APP_SECRET": "app-secret"}
    root = tmp_path / "data"
    root.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "trustdesk.cli", "--data-dir", str(root), "webhook", "--port", "0", "--fold-every", "1"],
        env={**os.environ, **secrets},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, proc.stderr.read()
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        for body in body_lines()[:3]:
            data = body.encode()
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/webhook",
                data=data,
                method="POST",
                headers={"X-Hub-Signature-256": sign("app-secret", data), "Content-Type": "application/json"},
            )
            for _ in range(100):  # the app may still be starting
                try:
                    assert urllib.request.urlopen(req, timeout=30).status == 200
                    break
                except OSError:
                    time.sleep(0.1)
        deadline = time.monotonic() + 120
        while store.read_pointer(root) is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.communicate(timeout=60)
    assert store.read_pointer(root) is not None, "the receiver never folded its inbox"
    assert ingest(root, "SELECT count(*) FROM raw_messages")[0][0] >= 1


def test_a_file_whose_every_body_is_malformed_is_quarantined_not_lost(tmp_path):
    root = tmp_path / "data"
    path = tmp_path / "empty_bodies.jsonl"
    body = '{"object": "whatsapp_business_account", "entry": [{"id": "104996122399160"}]}'
    path.write_text(f"{body}\n{body.replace('1049', '2049')}\n", encoding="utf-8")
    out = td(root, "load", str(path), "--format", "json")
    assert out.returncode == 1, out.stdout + out.stderr
    [res] = json.loads(out.stdout)
    assert res["status"] == "partial" and res["quarantined"] == 2 and res["loaded"] == 0
    rows = ingest(root, "SELECT line, reasons FROM quarantine ORDER BY line")
    assert [r[0] for r in rows] == [1, 2] and all("changes[]" in r[1][0] for r in rows)
    assert ingest(root, "SELECT status, quarantined FROM loads") == [("partial", 2)]


def test_a_foreign_file_loads_all_its_kinds_or_none(tmp_path, monkeypatch):
    import etl.ingest.load as loader

    root = tmp_path / "data"
    real = loader._load_one

    def failing(con, root_, prep, *args, **kw):
        if prep.kind.name == "opt_outs":
            raise loader.FileRejected(f"{prep.source.name}: made to fail after the messages")
        return real(con, root_, prep, *args, **kw)

    monkeypatch.setattr(loader, "_load_one", failing)
    [res] = load_files(root, [WEBHOOK])
    assert res.status == "rejected" and "made to fail" in res.error
    assert all(not rows for rows in raw_rows(root).values())
    monkeypatch.setattr(loader, "_load_one", real)
    [res] = load_files(root, [WEBHOOK])
    assert res.status == "loaded" and res.loaded == 25


def test_the_review_queue_says_what_the_platform_said(sample_store):
    """A flagged business about which the platform sent violations has them among its reasons."""
    import polars as pl

    from tests.worlds import Clock
    from trustdesk.accounts import auth
    from trustdesk.moderation import review
    from trustdesk.moderation.risk import QueueResult

    root, _ = sample_store
    auth.upsert_account(root, "mona", "moderator", "correct horse battery")
    mona = auth.sign_in(root, "mona", "correct horse battery")
    wh = open_current(root)
    as_of = wh.date_range()[1]
    table = pl.DataFrame(
        {
            "rank": [1, 2],
            "business_id": [PHONE_ID, "someone-else"],
            "name": ["A", "B"],
            "risk_score": [80.0, 70.0],
            "rating": ["LOW", "HIGH"],
            "reasons": ["block rate 9.0%", "report rate 3.0%"],
        }
    )
    queue = review.open_queue(
        wh, mona, flagged=lambda wh, settled, settings, model=None: QueueResult(as_of, 30, table), clock=Clock()
    )
    # The platform reported a violation: the case went straight to the senior queue (admins'), so
    # mona's queue leaves it out, and an admin reads the platform's words among its reasons.
    assert queue.table["business_id"].to_list() == ["someone-else"]
    assert queue.table["reasons"].to_list() == ["report rate 3.0%"]
    auth.upsert_account(root, "boss", "admin", "correct horse battery")
    boss = auth.sign_in(root, "boss", "correct horse battery")
    queue = review.open_queue(
        wh, boss, flagged=lambda wh, settled, settings, model=None: QueueResult(as_of, 30, table), clock=Clock()
    )
    reasons = dict(zip(queue.table["business_id"], queue.table["reasons"]))
    assert reasons[PHONE_ID].startswith("block rate 9.0%; platform: ") and "account_violation" in reasons[PHONE_ID]
    assert dict(zip(queue.table["business_id"], queue.table["queue"]))[PHONE_ID] == "senior"
    assert reasons["someone-else"] == "report rate 3.0%"


def test_the_fold_interval_is_a_setting_the_receiver_reads(tmp_path):
    from etl.settings import Settings
    from trustdesk import admin
    from trustdesk.accounts.auth import Principal

    root = tmp_path / "data"
    ada = Principal("ada", "admin")
    assert Settings.load(root).webhook_fold_seconds == 60
    assert admin.save_settings(root, ada, {"webhook_fold_seconds": 5}).webhook_fold_seconds == 5
    with pytest.raises(ValueError, match="0 or more"):
        admin.save_settings(root, ada, {"webhook_fold_seconds": -1})
