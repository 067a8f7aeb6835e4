"""The Data section's read side and pages: quarantine, load history, data quality; roles; a load
while the dashboard is serving shows on the next rerun."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from etl.ingest.load import load_files
from tests.worlds import build, msg, sign_in_apptest, warehouse, write_kind
from trustdesk.accounts.auth import Principal
from trustdesk.data import dataquality
from trustdesk.data.loads import load_history, quarantine_csv, quarantine_facets, quarantined_rows
from trustdesk.web.navigation import page_path


def _day(d: int, i: int) -> str:
    return f"2026-03-0{d}T{10 + i % 10}:00:{i // 10:02d}Z"


# b1 is defined; b9 and campaign c9 are only named by events. Messages: 10 a day on 1, 2 and 4
# March, none on the 3rd (a gap), 40 on the 5th (a spike over the median of 10).
MESSAGES = (
    [msg(f"a{i}", _day(1, i), "b1", f"u{i}", "inbound", "IN") for i in range(10)]
    + [msg(f"b{i}", _day(2, i), "b9", f"u{i}", "inbound", "IN") for i in range(10)]
    + [msg(f"c{i}", _day(4, i), "b1", f"u{i}", "outbound", "BR", "authentication", "otp", "read") for i in range(10)]
    + [msg(f"d{i}", _day(5, i), "b1", f"u{i}", "inbound", "FR") for i in range(40)]
)
BUSINESSES = [dict(business_id="b1", name="<b>Bold</b> & Co", category="retail", country="IN")]
REPORTS = [
    dict(report_id=f"r{i}", reported_at=_day(2, i), user_id="u1", business_id="b9", reason="spam") for i in range(3)
]
AD_EVENTS = [
    dict(
        event_id=f"e{i}", occurred_at=_day(1, i), campaign_id="c9", user_id="u1", user_country="IN", event="impression"
    )
    for i in range(4)
]
BAD_BLOCKS = (
    "block_id,blocked_at,user_id,business_id,reason\n"
    "k1,2026-03-01T10:00:00Z,u1,b1,spam\n"
    "=1+2,never,u1,b1,spam\n"  # line 3: a formula, a bad timestamp
    "k3,2026-03-01T10:00:00Z,u1,b1,<script>alert(1)</script>\n"  # line 4: HTML, bad enum
    "k4,2026-03-01T10:00:00Z,,b1,\n"  # line 5: user_id empty
    "k5,2026-03-01T10:00:00Z,u1\n"  # line 6: too few fields
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("datapages")
    root, results = build(tmp, businesses=BUSINESSES, messages=MESSAGES, reports=REPORTS, ad_events=AD_EVENTS)
    assert all(r.status == "loaded" for r in results), results
    bad = tmp / "bad_blocks.csv"
    bad.write_text(BAD_BLOCKS)
    [res] = load_files(root, [bad], user="alice")
    assert (res.status, res.loaded, res.quarantined) == ("partial", 1, 4)
    [again] = load_files(root, [bad], user="bob")  # the same file again
    assert again.already_loaded and again.loaded == 0
    return root


def page(name: str, root, monkeypatch, role: str = "analyst") -> AppTest:
    monkeypatch.setenv("TRUSTDESK_DATA", str(root))
    at = AppTest.from_file(str(page_path(name)), default_timeout=60)
    sign_in_apptest(at, root, Principal(f"{role}-person", role))
    at.run()
    assert not at.exception, at.exception
    return at


# --------------------------------------------------------------------------- read side


def test_quarantined_rows_filters(world):
    wh = warehouse(world)
    every = quarantined_rows(wh)
    assert every.height == 8  # 4 rows, quarantined in both loads
    assert sorted(set(every["line"])) == [3, 4, 5, 6]
    assert set(quarantined_rows(wh, reason="user_id is empty")["line"]) == {5}
    assert set(
        quarantined_rows(
            wh, reason="blocked_at: a value is not a timestamp (ISO 8601 like 2026-03-01T14:05:00Z, or Unix seconds)"
        )["line"]
    ) == {3}
    assert set(quarantined_rows(wh, reason_contains="FEWER FIELDS")["line"]) == {6}
    first = int(every["load_id"].min())
    assert quarantined_rows(wh, load_id=first).height == 4
    assert quarantined_rows(wh, file="bad_blocks.csv", kind="blocks").height == 8
    assert quarantined_rows(wh, file="other.csv").is_empty()
    facets = quarantine_facets(wh)
    assert facets.total == 8 and facets.loads.height == 2
    assert dict(facets.reasons.iter_rows())["line has fewer fields than the header"] == 2


def test_quarantine_csv_is_safe_for_spreadsheets(world):
    text = quarantine_csv(warehouse(world), load_id=None)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 8
    formula = next(r for r in rows if r["line"] == "3")
    assert formula["raw_text"] == "'=1+2,never,u1,b1,spam"
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for v in r.values())


def test_load_history_says_who_what_and_repeats(world):
    h = load_history(warehouse(world))
    assert h.height == 6  # 4 kinds built + the bad file twice
    latest, previous = h.row(0, named=True), h.row(1, named=True)
    assert (latest["loaded_by"], latest["file_name"], latest["outcome"]) == ("bob", "bad_blocks.csv", "partial")
    assert latest["already_loaded"] == f"already loaded in load {previous['load_id']}"
    assert previous["already_loaded"] is None and previous["loaded_by"] == "alice"
    assert len(latest["sha256"]) == 64 and latest["sha256"] == previous["sha256"]
    assert (latest["rows_read"], latest["loaded"], latest["duplicates"], latest["quarantined"]) == (5, 0, 1, 4)
    assert latest["duration_s"] > 0
    assert load_history(warehouse(world), "rejected").is_empty()


def test_data_quality_report(world):
    dq = dataquality.report(warehouse(world))
    assert (str(dq.first_day), str(dq.last_day)) == ("2026-03-01", "2026-03-05")
    assert dq.rows["messages"] == 70 and dq.version >= 1 and dq.built_at
    flags = {(r["kind"], str(r["day"])): r["flag"] for r in dq.flagged_days.to_dicts()}
    assert flags[("messages", "2026-03-03")] == "gap"
    assert flags[("messages", "2026-03-05")] == "spike"
    assert ("messages", "2026-03-01") not in flags
    undefined = {(r["entity"], r["id"]): r for r in dq.undefined.to_dicts()}
    assert set(undefined) == {("business", "b9"), ("campaign", "c9")}
    assert (undefined["business", "b9"]["messages"], undefined["business", "b9"]["reports"]) == (10, 3)
    assert undefined["business", "b9"]["rows"] == 13
    assert undefined["campaign", "c9"]["ad_events"] == 4
    assert dq.countries_without_market.to_dicts() == [{"country": "FR", "messages": 40, "ad_events": 0}]
    unpriced = {(r["market"], r["category"]): r for r in dq.markets_without_price.to_dicts()}
    # worlds.RATE_CARD prices India fully, Brazil without authentication, North America not at all.
    assert set(unpriced) == {
        ("Brazil", "authentication"),
        ("North America", "marketing"),
        ("North America", "utility"),
        ("North America", "authentication"),
    }
    assert unpriced["Brazil", "authentication"]["unpriced_messages"] == 10
    assert unpriced["Brazil", "authentication"]["problem"] == "no price"


def test_a_late_first_price_is_flagged(tmp_path):
    root, _ = build(
        tmp_path, messages=[msg("m1", "2025-12-01T10:00:00Z", "b1", "u1", "outbound", "IN", "marketing", "t", "sent")]
    )
    got = {
        (r["market"], r["category"]): r for r in dataquality.report(warehouse(root)).markets_without_price.to_dicts()
    }
    assert got["India", "marketing"]["problem"] == "no price before 2026-01-01"
    assert got["India", "marketing"]["unpriced_messages"] == 1


# --------------------------------------------------------------------------- pages


@pytest.mark.parametrize(
    "name, role",
    [("upload", "moderator"), ("quarantine", "moderator"), ("load_history", "analyst"), ("data_quality", "analyst")],
)
def test_pages_refuse_lower_roles_and_signed_out(world, monkeypatch, name, role):
    if role == "moderator":
        at = page(name, world, monkeypatch, "analyst")
        assert "needs the moderator role" in at.error[0].value
        assert not at.dataframe and not at.file_uploader
    monkeypatch.setenv("TRUSTDESK_DATA", str(world))
    at = AppTest.from_file(str(page_path(name)), default_timeout=60).run()
    assert not at.exception
    assert not at.dataframe and not at.file_uploader and not at.metric  # the sign-in form only


def test_quarantine_page_shows_the_function_s_rows_and_filters(world, monkeypatch):
    at = page("quarantine", world, monkeypatch, "moderator")
    shown = at.dataframe[0].value
    expected = quarantined_rows(warehouse(world)).to_pandas()
    assert list(shown["line"]) == list(expected["line"])
    assert list(shown["raw_text"]) == list(expected["raw_text"])
    assert at.get("download_button")
    at.session_state["q_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()  # a selected row is read in full, as text
    first = expected.iloc[0]
    assert at.text[0].value == f"Load {first['load_id']} · bad_blocks.csv · blocks · line 3"
    assert [t.value for t in at.text[1:]] == [f"• {r}" for r in first["reasons"]]
    assert at.code[0].value == "=1+2,never,u1,b1,spam"
    at.session_state["q_table"] = {"selection": {"rows": [], "columns": [], "cells": []}}
    at.sidebar.selectbox(key="q_reason").select("user_id is empty").run()
    assert not at.exception
    assert set(at.dataframe[0].value["line"]) == {5}
    at.sidebar.text_input(key="q_needle").input("no such reason").run()
    assert "No quarantined row matches" in at.info[0].value


def test_load_history_page(world, monkeypatch):
    at = page("load_history", world, monkeypatch)
    shown = at.dataframe[0].value
    assert len(shown) == 6 and shown["already_loaded"].iloc[0].startswith("already loaded in load")
    at.sidebar.selectbox(key="h_outcome").select("partial").run()
    assert len(at.dataframe[0].value) == 2


def _headers(frame) -> dict[str, str]:
    """Each shown column's header as the page draws it (its name when it has no configuration)."""
    config = json.loads(frame.proto.columns)
    hidden = {k for k, c in config.items() if c.get("hidden")}
    order = list(frame.proto.column_order) or list(frame.value.columns)
    return {c: config.get(c, {}).get("label") or c for c in order if c not in hidden}


def _readable(header: str) -> bool:
    return "_" not in header and header[:1].isupper()


def test_load_history_has_readable_headers_and_one_time_format(world, monkeypatch):
    at = page("load_history", world, monkeypatch)
    (table,) = at.dataframe
    headers = _headers(table)
    assert all(_readable(h) for h in headers.values()), headers
    assert headers["started_at"] == "Started (UTC)"
    assert json.loads(table.proto.columns)["started_at"]["type_config"] == {
        "type": "datetime",
        "format": "DD MMM YYYY HH:mm",
    }
    assert str(table.value["started_at"].dtype).startswith("datetime64")


def test_data_quality_has_readable_headers_and_days(world, monkeypatch):
    at = page("data_quality", world, monkeypatch)
    for table in at.dataframe:
        headers = _headers(table)
        assert all(_readable(h) for h in headers.values()), headers
        for name, c in json.loads(table.proto.columns).items():
            if c.get("type_config", {}).get("type") == "date":
                assert c["type_config"]["format"] == "DD MMM YYYY", name
    shown = {m.label: m.value for m in at.metric}
    assert shown["First day"] == "01 Mar 2026" and shown["Last day"] == "05 Mar 2026"
    assert re.fullmatch(r"Warehouse version \d+ was built \d\d \w{3} \d{4} \d\d:\d\d UTC\.", at.caption[0].value)


def test_data_quality_page(world, monkeypatch):
    at = page("data_quality", world, monkeypatch)
    tables = [d.value for d in at.dataframe]
    assert any("FR" in list(t.get("country", [])) for t in tables)
    assert any("b9" in list(t.get("id", [])) for t in tables)


def test_a_load_while_serving_shows_on_the_next_rerun(tmp_path, monkeypatch):
    root, _ = build(tmp_path, messages=MESSAGES[:10])
    history = page("load_history", root, monkeypatch)
    quality = page("data_quality", root, monkeypatch)
    assert {m.label: m.value for m in history.metric}["Loads"] == "1"
    assert quality.dataframe[0].value.set_index("kind")["loaded rows"]["messages"] == 10
    more = write_kind(tmp_path / "more.csv", "messages", MESSAGES[10:20])
    [res] = load_files(root, [more], user="cli-user")
    assert res.loaded == 10
    history.run()
    quality.run()
    assert not history.exception and not quality.exception
    assert {m.label: m.value for m in history.metric}["Loads"] == "2"
    assert history.dataframe[0].value["file_name"].iloc[0] == "more.csv"
    assert quality.dataframe[0].value.set_index("kind")["loaded rows"]["messages"] == 20


def test_no_page_renders_log_text_as_html_or_markdown():
    for name in ("upload", "quarantine", "load_history", "data_quality"):
        text = page_path(name).read_text()
        assert "unsafe_allow_html" not in text and "st.markdown" not in text and "st.write(" not in text
