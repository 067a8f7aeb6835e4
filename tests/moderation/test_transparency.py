"""The transparency export and report: each action's statement-of-reasons fields exactly, appeals
as fields of their decision, CSV that a spreadsheet cannot run, JSON lines, the roles checked
server-side, rows streamed a chunk at a time (100,000 round-trip), the export endpoint on a real
server, the command, and the report's aggregates worked out by hand. What reads the moderation store
(the export, the report, the endpoint) runs on SQLite and on PostgreSQL (tests/pg.py); the command
and the page, slower, on SQLite."""

from __future__ import annotations

import csv
import inspect
import io
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from datetime import date

import polars as pl
import pytest
import uvicorn
from starlette.applications import Starlette

from bench.transparency import fill
from tests.worlds import Clock, open_page, td
from trustdesk import appdb
from trustdesk.accounts import auth
from trustdesk.accounts.auth import PermissionDenied, Principal
from trustdesk.data.export import DANGEROUS, neutralise
from trustdesk.moderation import policies, transparency
from trustdesk.moderation.cases import ACTIONS, Store
from trustdesk.moderation.errors import ModerationError
from trustdesk.web import exports

ADMIN, MOD, MOD2, PM = (
    Principal("ada", "admin"),
    Principal("mona", "moderator"),
    Principal("mo", "moderator"),
    Principal("pm", "analyst"),
)
FORMULA = '=HYPERLINK("http://evil.invalid","click")'


def add_case(con, case_id, opened_at, market="DE", detected_by="risk score", flagged_on=None, appealed_at=None):
    con.execute(
        "INSERT INTO cases (id, business_id, status, flagged_on, opened_at, market, detected_by, appealed_at) "
        "VALUES (?, ?, 'decided', ?, ?, ?, ?, ?)",
        (case_id, f"biz{case_id}", flagged_on, opened_at, market, detected_by, appealed_at),
    )


def add_decision(con, case_id, action, policy, decided_at, rationale="Because.", kind="decision", overturned=0):
    con.execute(
        "INSERT INTO decisions (case_id, business_id, kind, action, policy, rationale, decided_by, decided_at, "
        "overturned) VALUES (?, ?, ?, ?, ?, ?, 'someone', ?, ?)",
        (case_id, f"biz{case_id}", kind, action, policy, rationale, decided_at, overturned),
    )


def appeal_decided(con, case_id, overturn: bool, at: str):
    add_decision(con, case_id, "overturn" if overturn else "uphold", None, at, "Reviewed.", "appeal", int(overturn))
    con.execute("UPDATE cases SET status = 'appeal_decided', appeal_decided_at = ? WHERE id = ?", (at, case_id))
    if overturn:
        con.execute("UPDATE decisions SET overturned = 1 WHERE case_id = ? AND kind = 'decision'", (case_id,))


def store_with(root, build) -> None:
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            build(con)
    finally:
        con.close()


# ----------------------------------------------------------------------------- the export, row by row


def one_of_each(root):
    """One decision of each kind the mapping tells apart, in the moderation store of `root`."""
    policies.save(
        root,
        ADMIN,
        "consent",
        "Marketing without consent",
        "Marketing messages to people who never agreed to them.",
        "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
        "illegal",
        legal_ground="Directive 2002/58/EC, Article 13",
    )

    def build(con):
        add_case(
            con, 1, "2026-11-01T10:00:00+00:00", "DE", flagged_on="2026-10-30", appealed_at="2026-11-02T09:00:00+00:00"
        )
        add_decision(con, 1, "ban", "spam", "2026-11-01T12:00:00+00:00", FORMULA)
        appeal_decided(con, 1, True, "2026-11-03T15:00:00+00:00")
        add_case(con, 2, "2026-11-04T10:00:00+00:00", "FR", "manual", appealed_at="2026-11-06T09:00:00+00:00")
        add_decision(con, 2, "pause_templates", "scam", "2026-11-05T08:00:00+00:00", "Phishing links in a template.")
        appeal_decided(con, 2, False, "2026-11-07T10:00:00+00:00")
        add_case(con, 3, "2026-11-05T10:00:00+00:00", "IN", flagged_on="2026-11-04")
        add_decision(con, 3, "restrict", "election_integrity", "2026-11-06T08:00:00+00:00")
        add_case(con, 4, "2026-11-06T10:00:00+00:00", None, appealed_at="2026-11-09T00:00:00+00:00")
        add_decision(con, 4, "suspend", "other", "2026-11-07T08:00:00+00:00")
        add_case(con, 5, "2026-11-07T10:00:00+00:00", "DE")
        add_decision(con, 5, "warn", "spam", "2026-11-08T08:00:00+00:00")
        add_case(con, 6, "2026-11-08T10:00:00+00:00", "DE")
        add_decision(con, 6, "dismiss", None, "2026-11-09T08:00:00+00:00", "")
        add_case(con, 7, "2026-11-09T10:00:00+00:00", " nl ")
        add_decision(con, 7, "restrict", "consent", "2026-11-10T08:00:00+00:00", "Cold marketing, no opt-in.")

    store_with(root, build)
    return root


@pytest.fixture
def decided(store_backend, tmp_path):
    """one_of_each, on SQLite and on PostgreSQL."""
    return one_of_each(tmp_path / "data")


@pytest.fixture
def decided_on_sqlite(tmp_path, monkeypatch):
    """one_of_each on SQLite only, for the tests that start processes or pages."""
    monkeypatch.delenv(appdb.URL_ENV, raising=False)
    return one_of_each(tmp_path / "data")


def rows(root, who=MOD, date_from=None, date_to=None) -> dict[int, dict]:
    return {r["case_id"]: r for r in transparency.export_rows(root, who, date_from, date_to)}


def test_an_overturned_ban_keeps_its_statement_with_the_reversal_day_as_end_date(decided):
    assert rows(decided)[1] == {
        "decision_id": 1,
        "case_id": 1,
        "business_id": "biz1",
        "decided_at": "2026-11-01T12:00:00+00:00",
        "action": "ban",
        "policy": "spam",
        "policy_title": "Spam and unsolicited marketing",
        "market": "DE",
        "detected_by": "risk score",
        "appealed_at": "2026-11-02T09:00:00+00:00",
        "appeal_outcome": "overturned",
        "appeal_decided_at": "2026-11-03T15:00:00+00:00",
        "overturned": True,
        "sor_status": "statement",
        "puid": "trustdesk-decision-1",
        "decision_visibility": None,
        "decision_visibility_other": None,
        "end_date_visibility_restriction": None,
        "decision_monetary": None,
        "decision_monetary_other": None,
        "end_date_monetary_restriction": None,
        "decision_provision": "DECISION_PROVISION_TOTAL_TERMINATION",
        "end_date_service_restriction": "2026-11-03",
        "decision_account": "DECISION_ACCOUNT_TERMINATED",
        "end_date_account_restriction": "2026-11-03",
        "account_type": "ACCOUNT_TYPE_BUSINESS",
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "decision_ground_reference_url": None,
        "illegal_content_legal_ground": None,
        "illegal_content_explanation": None,
        "incompatible_content_ground": "TrustDesk policy 'spam': Spam and unsolicited marketing",
        "incompatible_content_explanation": policies.listed(decided)[0].description,
        "incompatible_content_illegal": None,
        "category": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
        "category_addition": None,
        "category_specification": None,
        "category_specification_other": None,
        "content_type": ["CONTENT_TYPE_TEXT"],
        "content_type_other": None,
        "content_language": None,
        "content_date": "2026-10-30",
        "territorial_scope": ["DE"],
        "application_date": "2026-11-01",
        "decision_facts": FORMULA,
        "source_type": "SOURCE_VOLUNTARY",
        "source_identity": None,
        "automated_detection": "Yes",
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
    }
    assert list(rows(decided)[1]) == list(transparency.COLUMNS)


def test_each_action_maps_to_its_restrictions(decided):
    got = rows(decided)
    fields = ("decision_visibility", "decision_monetary", "decision_provision", "decision_account")
    assert {case: tuple(got[case][f] for f in fields) for case in got} == {
        1: (None, None, "DECISION_PROVISION_TOTAL_TERMINATION", "DECISION_ACCOUNT_TERMINATED"),
        2: (["DECISION_VISIBILITY_CONTENT_DISABLED"], None, None, None),
        3: (None, None, "DECISION_PROVISION_PARTIAL_SUSPENSION", None),
        4: (None, None, "DECISION_PROVISION_TOTAL_SUSPENSION", "DECISION_ACCOUNT_SUSPENDED"),
        5: (None, None, None, None),
        6: (None, None, None, None),
        7: (None, None, "DECISION_PROVISION_PARTIAL_SUSPENSION", None),
    }
    assert {case: got[case]["sor_status"] for case in got} == {
        1: "statement",
        2: "statement",
        3: "outside_eea",
        4: "market_unknown",
        5: "no_restriction",
        6: "no_restriction",
        7: "statement",
    }


def test_an_upheld_appeal_leaves_the_restriction_open_ended(decided):
    pause = rows(decided)[2]
    assert (pause["appeal_outcome"], pause["appeal_decided_at"], pause["overturned"]) == (
        "upheld",
        "2026-11-07T10:00:00+00:00",
        False,
    )
    assert pause["end_date_visibility_restriction"] is None
    assert (pause["automated_detection"], pause["source_type"]) == ("No", "SOURCE_VOLUNTARY")  # opened by hand
    assert (pause["category"], pause["content_date"]) == ("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", "2026-11-04")
    assert pause["decision_facts"] == "Phishing links in a template."


def test_markets_outside_the_eea_or_unknown_have_no_territorial_scope(decided):
    got = rows(decided)
    assert (got[3]["territorial_scope"], got[3]["decision_ground"]) == (None, "DECISION_GROUND_INCOMPATIBLE_CONTENT")
    assert (got[4]["territorial_scope"], got[4]["appeal_outcome"], got[4]["appeal_decided_at"]) == (
        None,
        "pending",
        None,
    )
    assert got[7]["territorial_scope"] == ["NL"]
    assert transparency.territorial_scope("NO") == (["NO"], "statement")  # EEA, not EU
    assert transparency.territorial_scope("CH") == (None, "outside_eea")


def test_a_warning_and_a_dismissal_need_no_statement_and_carry_no_dsa_field(decided):
    got = rows(decided)
    for case in (5, 6):
        assert all(got[case][c] is None for c in transparency.DSA_COLUMNS), case
    assert (got[5]["action"], got[5]["policy"], got[6]["action"], got[6]["policy"]) == ("warn", "spam", "dismiss", None)


def test_an_illegal_content_policy_fills_the_legal_ground_fields(decided):
    consent = rows(decided)[7]
    assert consent["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert consent["illegal_content_legal_ground"] == "Directive 2002/58/EC, Article 13"
    assert consent["illegal_content_explanation"] == "Marketing messages to people who never agreed to them."
    assert consent["incompatible_content_ground"] is None and consent["incompatible_content_explanation"] is None
    assert consent["category"] == "STATEMENT_CATEGORY_CONSUMER_INFORMATION"


def test_every_value_is_one_the_database_api_allows(decided):
    allowed = {
        "decision_provision": transparency.DECISION_PROVISION,
        "decision_account": transparency.DECISION_ACCOUNT,
        "account_type": transparency.ACCOUNT_TYPE,
        "decision_ground": tuple(transparency.DECISION_GROUND.values()),
        "category": tuple(policies.DSA_CATEGORIES),
        "source_type": transparency.SOURCE_TYPE,
        "automated_detection": transparency.YES_NO,
        "automated_decision": transparency.AUTOMATED_DECISION,
    }
    lists = {
        "decision_visibility": transparency.DECISION_VISIBILITY,
        "content_type": transparency.CONTENT_TYPE,
        "territorial_scope": transparency.EEA,
    }
    for row in rows(decided).values():
        for field, values in allowed.items():
            assert row[field] is None or row[field] in values, (field, row[field])
        for field, values in lists.items():
            assert row[field] is None or (row[field] and set(row[field]) <= set(values)), (field, row[field])
        assert row["puid"] is None or row["puid"].replace("-", "").replace("_", "").isalnum()
    assert len(transparency.EEA) == 30 and len(set(transparency.EEA)) == 30


def test_the_range_selects_decisions_by_their_utc_day_both_ends_included(decided):
    assert sorted(rows(decided, date_from=date(2026, 11, 5), date_to=date(2026, 11, 7))) == [2, 3, 4]
    assert sorted(rows(decided, date_to=date(2026, 11, 1))) == [1]
    with pytest.raises(ModerationError, match=r"the range ends \(2026-11-01\) before it starts \(2026-11-02\)"):
        transparency.export(decided, MOD, "csv", date(2026, 11, 2), date(2026, 11, 1), safe=neutralise)


# ----------------------------------------------------------------------------- formats


def test_the_csv_is_formula_safe_and_holds_every_decision(decided):
    text = "".join(transparency.export(decided, MOD, "csv", safe=neutralise))
    read = list(csv.DictReader(io.StringIO(text)))
    assert list(read[0]) == list(transparency.COLUMNS)
    assert [r["decision_id"] for r in read] == ["1", "3", "5", "6", "7", "8", "9"]  # appeals are fields, not rows
    ban = read[0]
    assert ban["decision_facts"] == "'" + FORMULA  # text, not a formula, in a spreadsheet
    assert (ban["territorial_scope"], ban["content_type"], ban["overturned"]) == (
        '["DE"]',
        '["CONTENT_TYPE_TEXT"]',
        "true",
    )
    assert ban["decision_visibility"] == "" and read[4]["puid"] == ""


def test_json_lines_parse_and_keep_the_text_as_written(decided):
    text = "".join(transparency.export(decided, MOD, "jsonl", safe=neutralise))
    lines = text.splitlines()
    parsed = [json.loads(line) for line in lines]
    assert len(parsed) == 7 and text.endswith("\n")
    assert [list(p) for p in parsed] == [list(transparency.COLUMNS)] * 7
    assert parsed[0]["decision_facts"] == FORMULA
    assert parsed[1]["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_DISABLED"]


def test_an_export_is_audited_and_an_unknown_format_refused(decided):
    transparency.export(decided, MOD, "jsonl", date(2026, 11, 1), None, safe=neutralise, clock=Clock())
    con = appdb.connect(decided)
    try:
        last = dict(con.execute("SELECT at, actor, event, detail FROM moderation_audit ORDER BY id DESC").fetchone())
    finally:
        con.close()
    assert last == {
        "at": "2026-11-01T12:00:00+00:00",
        "actor": "mona",
        "event": "decisions exported",
        "detail": "jsonl, 2026-11-01 to the last",
    }
    with pytest.raises(ModerationError, match="unknown export format 'xlsx'; choose csv or jsonl"):
        transparency.export(decided, MOD, "xlsx", safe=neutralise)


@pytest.mark.parametrize("who", [PM, None], ids=["analyst", "nobody"])
def test_the_export_is_refused_below_moderator_before_any_row(decided, who):
    with pytest.raises(PermissionDenied):
        transparency.export(decided, who, "csv", safe=neutralise)
    with pytest.raises(PermissionDenied):
        transparency.export_rows(decided, who)


# ----------------------------------------------------------------------------- streaming


@pytest.mark.usefixtures("store_backend")
def test_the_export_yields_a_chunk_before_reading_the_rest(tmp_path, monkeypatch):
    root = tmp_path / "data"

    def build(con):
        for i in range(1, 36):
            add_case(con, i, "2026-11-01T10:00:00+00:00")
            add_decision(con, i, ACTIONS[i % len(ACTIONS)], "spam", f"2026-11-02T{i % 24:02d}:00:00+00:00")

    store_with(root, build)
    monkeypatch.setattr(transparency, "CHUNK", 10)
    mapped = []
    real = transparency.statement
    monkeypatch.setattr(transparency, "statement", lambda row: mapped.append(row["decision_id"]) or real(row))
    pieces = transparency.export(root, MOD, "jsonl", safe=neutralise)
    assert inspect.isgenerator(pieces) and mapped == []  # nothing read before the first piece is asked for
    first = next(pieces)
    assert len(first.splitlines()) == 10 and mapped == list(range(1, 11))
    rest = list(pieces)
    assert [len(p.splitlines()) for p in rest] == [10, 10, 5] and mapped == list(range(1, 36))


@pytest.mark.slow
def test_100000_decisions_round_trip_through_both_formats(tmp_path):
    root = tmp_path / "data"
    fill(root, 100_000)
    ids = [
        json.loads(line)["decision_id"]
        for piece in transparency.export(root, MOD, "jsonl", safe=neutralise)
        for line in piece.splitlines()
    ]
    assert ids == list(range(1, 100_001))
    lines = (
        line for piece in transparency.export(root, MOD, "csv", safe=neutralise) for line in piece.splitlines(True)
    )
    facts = [row["decision_facts"] for row in csv.DictReader(lines)]
    assert len(facts) == 100_000
    assert not [f for f in facts if f.startswith(DANGEROUS)]
    # fill() starts every 97th rationale with a formula; those of restrictions are statements' facts
    planted = [i for i in range(0, 100_000, 97) if ACTIONS[i % len(ACTIONS)] in transparency.RESTRICTIONS]
    assert sum(f.startswith("'=HYPERLINK(") for f in facts) == len(planted)


# ----------------------------------------------------------------------------- through the store


@pytest.mark.usefixtures("store_backend")
def test_decisions_and_appeals_taken_in_the_store_export_as_they_happened(tmp_path):
    root, clock = tmp_path / "data", Clock()
    flagged = pl.DataFrame(
        [
            {
                "business_id": "b1",
                "risk_score": 90.0,
                "reasons": "x",
                "first_flagged": date(2026, 10, 20),
                "country": "ES",
            }
        ]
    )
    with Store(root, clock) as store:
        store.sync(MOD, flagged, date(2026, 10, 31))
        case = store.cases()[0]["id"]
        clock.advance(hours=3)
        store.decide(MOD, case, "warn", "spam", "Cold marketing.", date(2026, 10, 31))
        clock.advance(hours=1)
        store.appeal(MOD, case, "We had consent.")
        clock.advance(days=2)
        store.decide_appeal(MOD2, case, True, "Consent shown.")
    (row,) = transparency.export_rows(root, MOD)
    assert {k: row[k] for k in ("decided_at", "market", "appealed_at", "appeal_outcome", "appeal_decided_at")} == {
        "decided_at": "2026-11-01T15:00:00+00:00",
        "market": "ES",
        "appealed_at": "2026-11-01T16:00:00+00:00",
        "appeal_outcome": "overturned",
        "appeal_decided_at": "2026-11-03T16:00:00+00:00",
    }
    assert row["overturned"] is True and row["sor_status"] == "no_restriction"
    shown = transparency.report(root, PM)
    assert (shown.decisions, shown.median_hours, shown.appeals_received, shown.overturned) == (1, 3.0, 1, 1)


# ----------------------------------------------------------------------------- the report


def two_months(root) -> None:
    """Five decisions over October and November 2026 in the moderation store of `root`, their report
    worked out by hand below (the browser test reads them too)."""

    def build(con):
        add_case(con, 1, "2026-10-01T00:00:00+00:00")
        add_decision(con, 1, "warn", "spam", "2026-10-01T02:00:00+00:00")  # 2 h
        add_case(con, 2, "2026-10-10T00:00:00+00:00", detected_by="manual")
        add_decision(con, 2, "dismiss", None, "2026-10-10T04:00:00+00:00")  # 4 h
        add_case(con, 3, "2026-10-20T00:00:00+00:00", appealed_at="2026-10-25T00:00:00+00:00")
        add_decision(con, 3, "ban", "scam", "2026-10-21T00:00:00+00:00")  # 24 h
        appeal_decided(con, 3, True, "2026-11-02T00:00:00+00:00")
        add_case(con, 4, "2026-11-01T00:00:00+00:00", appealed_at="2026-11-03T00:00:00+00:00")
        add_decision(con, 4, "warn", "spam", "2026-11-01T01:00:00+00:00")  # 1 h
        appeal_decided(con, 4, False, "2026-11-04T00:00:00+00:00")
        add_case(con, 5, "2026-11-05T00:00:00+00:00", detected_by="manual", appealed_at="2026-11-20T00:00:00+00:00")
        add_decision(con, 5, "restrict", "spam", "2026-11-05T03:00:00+00:00")  # 3 h

    store_with(root, build)


@pytest.fixture
def months(store_backend, tmp_path):
    two_months(tmp_path / "data")
    return tmp_path / "data"


@pytest.fixture
def months_on_sqlite(tmp_path, monkeypatch):
    monkeypatch.delenv(appdb.URL_ENV, raising=False)
    two_months(tmp_path / "data")
    return tmp_path / "data"


def test_the_report_by_month_is_exact(months):
    shown = transparency.report(months, PM)
    assert shown.monthly.to_dicts() == [
        {
            "month": date(2026, 10, 1),
            "decisions": 3,
            "actioned": 2,
            "automatic": 2,
            "automatic_share": 2 / 3,
            "median_hours": 4.0,
            "appeals_received": 1,
            "appeals_decided": 0,
            "overturned": 0,
        },
        {
            "month": date(2026, 11, 1),
            "decisions": 2,
            "actioned": 2,
            "automatic": 1,
            "automatic_share": 0.5,
            "median_hours": 2.0,  # the mean of the two middle values, 1 h and 3 h
            "appeals_received": 2,
            "appeals_decided": 2,
            "overturned": 1,
        },
    ]
    # the whole range from all its rows: the median of 1, 2, 3, 4 and 24 hours is 3, not a mean of months
    assert (shown.decisions, shown.actioned, shown.automatic, shown.automatic_share, shown.median_hours) == (
        5,
        4,
        3,
        0.6,
        3.0,
    )
    assert (shown.appeals_received, shown.appeals_decided, shown.overturned) == (3, 2, 1)


def test_the_report_counts_actions_by_month_policy_and_action(months):
    shown = transparency.report(months, PM)
    assert shown.actions.select("month", "policy_label", "action_words", "decisions", "overturned").rows() == [
        (date(2026, 10, 1), "No policy (dismissed)", "Dismiss (no violation)", 1, 0),
        (date(2026, 10, 1), "Scams and fraud", "Ban", 1, 1),
        (date(2026, 10, 1), "Spam and unsolicited marketing", "Warn", 1, 0),
        (date(2026, 11, 1), "Spam and unsolicited marketing", "Restrict the messaging limit", 1, 0),
        (date(2026, 11, 1), "Spam and unsolicited marketing", "Warn", 1, 0),
    ]


def test_the_report_range_applies_to_each_measure_s_own_date(months):
    november = transparency.report(months, PM, date(2026, 11, 1), None)
    assert (november.decisions, november.appeals_received, november.appeals_decided, november.overturned) == (
        2,
        2,
        2,
        1,
    )
    october = transparency.report(months, PM, None, date(2026, 10, 31))
    assert (october.decisions, october.median_hours, october.appeals_received, october.appeals_decided) == (
        3,
        4.0,
        1,
        0,
    )


@pytest.mark.usefixtures("store_backend")
def test_the_report_of_an_empty_store_is_empty_not_an_error(tmp_path):
    shown = transparency.report(tmp_path / "data", PM)
    assert (shown.decisions, shown.automatic_share, shown.median_hours, shown.appeals_received) == (0, None, None, 0)
    assert shown.monthly.is_empty() and shown.actions.is_empty()
    assert set(transparency.MONTHLY_SCHEMA) <= set(shown.monthly.columns)


def test_the_report_needs_someone_signed_in(months):
    with pytest.raises(PermissionDenied):
        transparency.report(months, None)


# ----------------------------------------------------------------------------- the endpoint, served


@pytest.fixture
def served(decided, monkeypatch):
    """The export endpoint in a Starlette app of its own, under uvicorn on a free loopback port."""
    monkeypatch.setenv("TRUSTDESK_DATA", str(decided))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[exports.ROUTE]), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", decided
    server.should_exit = True
    thread.join(30)


def cookie_of(root, name: str, role: str) -> str:
    auth.upsert_account(root, name, role, auth.random_password(), actor="test")
    _bound, ticket = auth.open_session(root, Principal(name, role))
    return auth.redeem_ticket(root, ticket)


def get(url: str, cookie: str | None = None):
    request = urllib.request.Request(url, headers={"Cookie": f"{auth.SESSION_COOKIE}={cookie}"} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, _lower(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, _lower(exc.headers), exc.read().decode("utf-8")


def _lower(headers) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def test_the_endpoint_refuses_a_browser_without_a_session(served):
    url, _root = served
    assert get(url + "/api/export/decisions.csv")[::2] == (403, "Sign in as a moderator to download the decisions.")
    assert get(url + "/api/export/decisions.csv", "not-a-cookie")[::2] == (
        403,
        "You are signed out; sign in again to download the decisions.",
    )


def test_the_endpoint_refuses_an_analyst(served):
    url, root = served
    status, _headers, body = get(url + "/api/export/decisions.jsonl", cookie_of(root, "pm", "analyst"))
    assert (status, body) == (
        403,
        "The analyst role may not export the moderation decisions; it needs moderator or above.",
    )


def test_the_endpoint_streams_the_export_to_a_moderator(served):
    url, root = served
    cookie = cookie_of(root, "mona", "moderator")
    status, headers, body = get(url + "/api/export/decisions.csv?from=2026-11-05&to=2026-11-07", cookie)
    assert status == 200
    assert headers["content-type"] == "text/csv; charset=utf-8"
    assert headers["content-disposition"] == 'attachment; filename="trustdesk_decisions_2026-11-05_2026-11-07.csv"'
    assert headers.get("transfer-encoding") == "chunked" and "content-length" not in headers  # streamed
    assert [r["case_id"] for r in csv.DictReader(io.StringIO(body))] == ["2", "3", "4"]
    status, headers, body = get(url + "/api/export/decisions.jsonl", cookie)
    assert status == 200 and headers["content-type"] == "application/x-ndjson; charset=utf-8"
    assert [json.loads(line)["decision_facts"] for line in body.splitlines()][0] == FORMULA


def test_the_endpoint_says_what_is_wrong_with_a_request(served):
    url, root = served
    cookie = cookie_of(root, "mona", "moderator")
    assert get(url + "/api/export/decisions.xlsx", cookie)[::2] == (
        404,
        "There is no such export; use decisions.csv or decisions.jsonl.",
    )
    assert get(url + "/api/export/decisions.csv?from=yesterday", cookie)[::2] == (
        400,
        "'from' must be a date like 2026-09-30, not 'yesterday'.",
    )


# ----------------------------------------------------------------------------- the command


def test_the_command_exports_to_a_file_and_prints_the_report(decided_on_sqlite, tmp_path):
    out = tmp_path / "decisions.jsonl"
    done = td(
        decided_on_sqlite, "transparency", "export", "--format", "jsonl", "--out", str(out), "--from", "2026-11-05"
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["case_id"] for line in out.read_text().splitlines()] == [2, 3, 4, 5, 6, 7]
    assert not out.with_name("decisions.jsonl.part").exists()
    printed = td(decided_on_sqlite, "transparency", "export", "--to", "2026-11-01")
    assert printed.returncode == 0 and list(csv.DictReader(io.StringIO(printed.stdout)))[0]["decision_facts"] == (
        "'" + FORMULA
    )
    report = td(decided_on_sqlite, "transparency", "report")
    assert report.returncode == 0, report.stderr
    assert report.stdout.splitlines() == [
        "month,decisions,actioned,automatic,automatic_share,median_hours,appeals_received,appeals_decided,overturned",
        "2026-11,7,6,6,0.8571428571428571,22.0,3,2,1",
        "all,7,6,6,0.8571428571428571,22.0,3,2,1",
    ]
    bad = td(decided_on_sqlite, "transparency", "report", "--from", "2026-11-30", "--to", "2026-11-01")
    assert bad.returncode == 1 and bad.stderr.strip() == (
        "trustdesk: the range ends (2026-11-01) before it starts (2026-11-30)"
    )


# ----------------------------------------------------------------------------- the page


def test_the_page_shows_a_moderator_the_counts_and_the_export_links(months_on_sqlite, monkeypatch):
    at = open_page("transparency", months_on_sqlite, monkeypatch, who=("mona", "moderator"))
    assert {m.label: m.value for m in at.metric} == {
        "Decisions": "5",
        "Detected automatically": "60.0%",
        "Median time to decision": "3.0 h",
        "Appeals received": "3",
        "Overturned on appeal": "1 of 2",
    }
    assert [b.proto.url for b in at.get("link_button")] == ["/api/export/decisions.csv", "/api/export/decisions.jsonl"]
    at.date_input(key="transparency_from").set_value(date(2026, 11, 1)).run()
    assert {m.label: m.value for m in at.metric}["Decisions"] == "2"
    assert at.get("link_button")[0].proto.url == "/api/export/decisions.csv?from=2026-11-01"


def test_the_page_of_an_empty_store_says_where_decisions_are_taken(tmp_path, monkeypatch):
    at = open_page("transparency", tmp_path / "data", monkeypatch, who=("mona", "moderator"))
    assert [i.value for i in at.info] == [
        "No decision yet: decisions are taken on the Review queue and Business pages."
    ]
    assert not at.metric
