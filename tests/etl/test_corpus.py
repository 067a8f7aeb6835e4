"""Every malformed file of `tests/corpus` has one exact outcome: refused whole with its sentence, or
loaded with these counts and these quarantined lines and reasons. Nothing is lost, nothing raises."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from etl import store
from etl.ingest.load import exit_code, load_files
from tests.corpus import CASES, LONG_ID

UTF8_HINT = "re-export the file as UTF-8"
EMPTY = "is empty; an export needs a header row and data rows"
QUOTE = (
    "opens a quoted field that is never closed, so the rest of the file cannot be read as CSV; "
    "close the quote (a quote inside a field is written twice) and load it again"
)
SEPARATED = "its columns are separated by {}, not commas; export it as comma-separated CSV"
TOO_LONG = "is 17.0 MB long, more than the 16 MB a line may have; shorten or remove that line"
TS = "is not a timestamp (ISO 8601 like 2026-03-01T14:05:00Z, or Unix seconds)"
COUNTRY = "is not an ISO 3166-1 alpha-2 country code"
MONEY = "is not an amount in US dollars (like 12.50)"
LONE_CR = "holds a carriage return on its own (an old Mac line end); save the file with LF or CRLF line ends"
MIXED = "ends in CRLF but line 1 in LF; save the file with one kind of line end"
NOT_A_HEADER = (
    "the first line is not a header: it names none of the columns of any kind of log; "
    "add the header row that names the columns as the first line"
)

# The file's sentence after "<file name>: ".
REJECTED = {
    "empty.csv": EMPTY,
    "whitespace.csv": EMPTY,
    "only_bom.csv": EMPTY,
    "binary.csv": "is a binary file, not CSV text",
    "nul_in_row.csv": "is a binary file, not CSV text",
    "utf16.csv": "is UTF-16 text; save it as UTF-8 and load it again",
    "utf32.csv": "is UTF-32 text; save it as UTF-8 and load it again",
    "latin1_header.csv": f"line 1 is not UTF-8 text (byte 66); {UTF8_HINT}",
    "latin1_row.csv": f"line 3 is not UTF-8 text; {UTF8_HINT}",
    "unknown_header.csv": "its header matches no kind of log; the closest, businesses, also needs business_id, "
    "category, country",
    # The first line is data: no value of it is repeated (it may hold a phone number or a name).
    "no_header.csv": NOT_A_HEADER,
    "missing_column.csv": "its header matches no kind of log; the closest, messages, also needs user_country",
    "missing_column_kind.csv": "the header lacks the required column user_country for messages",
    "wrong_kind.csv": "the header lacks the required columns report_id, reported_at for reports",
    "semicolons.csv": SEPARATED.format("semicolons"),
    "tabs.csv": SEPARATED.format("tabs"),
    "pipes.csv": SEPARATED.format("pipes"),
    "duplicate_column.csv": "the header names column 'user_id' twice (columns 3 and 6)",
    "cr_only.csv": "its lines end in a carriage return alone (old Mac style); save it with LF or CRLF line ends",
    "mixed_line_ends.csv": "line 2 ends in LF but line 1 in CRLF; save the file with one kind of line end",
    "bare_cr_in_row.csv": f"line 2 {LONE_CR}",
    "lone_cr_row.csv": f"line 2 {MIXED}",
    "cr_before_value.csv": f"line 3 {LONE_CR}",
    "cr_at_end_of_field.csv": f"line 2 {LONE_CR}",
    "cr_at_end_of_file.csv": f"line 3 {LONE_CR}",
    "cr_after_closing_quote.csv": f"line 2 {MIXED}",
    "cr_in_header.csv": f"line 1 {LONE_CR}",
    "crlf_file_lone_cr.csv": f"line 2 {LONE_CR}",
    "no_header_personal.csv": NOT_A_HEADER,
    "no_header_repeated_value.csv": NOT_A_HEADER,
    "truth.csv": "is the ground truth that `trustdesk generate` writes (business_id, archetype), not a log "
    "export; score the review queue with it: trustdesk evaluate --truth FILE",
    "unterminated_quote.csv": f"line 3 {QUOTE}",
    "unterminated_quote_last.csv": f"line 3 {QUOTE}",
    "unterminated_after_multiline.csv": f"line 4 {QUOTE}",
    "bom_unterminated_quote.csv": f"line 2 {QUOTE}",
    "gzip_broken.csv.gz": "is not a readable gzip file (Error -3 while decompressing data: invalid code lengths set)",
    "gzip_truncated.csv.gz": "is not a readable gzip file (Compressed file ended before the end-of-stream marker "
    "was reached)",
    "gzip_binary.csv.gz": "is a binary file, not CSV text",
    "huge_line.csv": f"line 3 {TOO_LONG}",
    "huge_line_dropped.csv": f"line 3 {TOO_LONG}",
}

# status, rows read, loaded, duplicates, quarantined, {line: reasons}
LOADED = {
    "header_only.csv": ("loaded", 0, 0, 0, 0, {}),
    "gzip_ok.csv.gz": ("loaded", 2, 2, 0, 0, {}),
    "quoted_header.csv": ("loaded", 1, 1, 0, 0, {}),
    "lf_file_quoted_crs.csv": ("loaded", 2, 2, 0, 0, {}),
    "crlf_file_quoted_lf.csv": ("loaded", 2, 2, 0, 0, {}),
    "empty_header_name.csv": ("loaded", 1, 1, 0, 0, {}),
    "nul_after_64k.csv": ("loaded", 3001, 3001, 0, 0, {}),
    "no_final_newline.csv": ("loaded", 1, 1, 0, 0, {}),
    "injection.csv": ("loaded", 5, 5, 0, 0, {}),
    "bom_crlf_quoted.csv": ("partial", 2, 1, 0, 1, {5: [f"sent_at: 'not a time' {TS}"]}),
    "ragged.csv": (
        "partial",
        4,
        1,
        0,
        3,
        {
            2: ["line has fewer fields than the header"],
            3: ["line has more fields than the header"],
            5: ["line has fewer fields than the header"],
        },
    ),
    "broken_quoting.csv": (
        "partial",
        2,
        1,
        0,
        1,
        {2: ["line has a quoted field followed by other characters (broken quoting)"]},
    ),
    "blank_lines.csv": ("partial", 2, 1, 0, 1, {6: ["user_id is empty"]}),
    "stray_quote_then_multiline.csv": ("partial", 3, 2, 0, 1, {5: [f"user_country: 'XX' {COUNTRY}"]}),
    "bad_businesses.csv": (
        "partial",
        6,
        2,
        0,
        4,
        {
            3: ["business_id is empty"],
            4: [
                "name is empty",
                "category: 'toys' is not one of retail, food, travel, finance, health, education, government, "
                "politics, agriculture, technology, services, other",
                f"country: 'XX' {COUNTRY}",
                "employees: '0' is less than 1",
                "verified: 'maybe' is not a boolean (true/false, 1/0, yes/no)",
                f"created_at: 'last week' {TS}",
            ],
            5: ["business_id is longer than 128 characters (129)", "employees: 'many' is not a whole number"],
            7: ["created_at: '2099-01-01T00:00:00Z' is more than 1 day in the future"],
        },
    ),
    "bad_messages.csv": (
        "partial",
        6,
        1,
        0,
        5,
        {
            3: ["category is required for outbound messages", "status is required for outbound messages"],
            4: ["category must be empty for inbound messages", "status must be empty for inbound messages"],
            5: ["direction: 'sideways' is not one of inbound, outbound"],
            6: [f"sent_at: '2026-13-01T10:00:00Z' {TS}", "user_id is empty", f"user_country: 'ZZ' {COUNTRY}"],
            7: [
                "category: 'spam' is not one of marketing, utility, authentication, service",
                "status: 'lost' is not one of sent, delivered, read, failed",
            ],
        },
    ),
    "bad_campaigns.csv": (
        "partial",
        4,
        1,
        0,
        3,
        {
            3: ["ends_on 2026-03-01 is before starts_on 2026-03-31"],
            4: [
                "starts_on: '01/03/2026' is not a date (YYYY-MM-DD)",
                "ends_on: '2026-02-30' is not a date (YYYY-MM-DD)",
                "objective: 'fame' is not one of awareness, traffic, messages",
                "budget_usd: '-5' is negative",
            ],
            5: [f"budget_usd: '1e3' {MONEY}"],
        },
    ),
    "bad_ad_events.csv": (
        "partial",
        4,
        2,
        0,
        2,
        {
            3: ["event: 'view' is not one of impression, click, reply", "cost_usd: '-0.5' is negative"],
            4: [f"user_country: 'India' {COUNTRY}", f"cost_usd: '$1' {MONEY}"],
        },
    ),
    "bad_reports_optouts.csv": (
        "partial",
        3,
        1,
        0,
        2,
        {
            3: ["reason: 'annoying' is not one of spam, scam, offensive, political, other"],
            4: ["message_id is longer than 128 characters (129)"],
        },
    ),
    "duplicates.csv": ("partial", 5, 2, 2, 1, {5: ["block_id k1 conflicts with line 2 of this file"]}),
    "conflicts_with_store.csv": ("partial", 2, 0, 1, 1, {3: ["block_id k2 conflicts with the row loaded on "]}),
    "huge_field.csv": ("partial", 2, 1, 0, 1, {3: ["user_id is longer than 128 characters (200)"]}),
}
# Loaded into the store that duplicates.csv filled, right after it.
SHARED = {"conflicts_with_store.csv": "duplicates.csv"}


def test_every_case_has_one_expected_outcome():
    assert set(REJECTED) | set(LOADED) == set(CASES)
    assert not set(REJECTED) & set(LOADED)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Each case into its own data directory (a shared one where SHARED says), marts not rebuilt."""
    base = tmp_path_factory.mktemp("corpus")
    src = base / "in"
    src.mkdir()
    out = {}
    for name, (data, kind) in CASES.items():
        path = src / name
        path.write_bytes(data)
        root = base / SHARED.get(name, name)
        [res] = load_files(root, [path], kind=kind, user="corpus", rebuild=False)
        con = duckdb.connect(str(root / store.INGEST_FILE), read_only=True)
        try:
            q = con.execute(
                "SELECT line, reasons, raw_text FROM quarantine WHERE load_id = ? ORDER BY line", [res.load_id]
            ).fetchall()
            loads = con.execute("SELECT status, error FROM loads WHERE load_id = ?", [res.load_id]).fetchall()
        finally:
            con.close()
        out[name] = (res, q, loads, root)
    return out


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_refused_whole_with_one_sentence(outcomes, name):
    res, quarantined, loads, root = outcomes[name]
    assert res.status == "rejected"
    assert res.error == f"{name}: {REJECTED[name]}"
    assert (res.rows_read, res.loaded, res.duplicates, res.quarantined) == (0, 0, 0, 0)
    assert quarantined == []
    assert loads == [("rejected", res.error)]  # the refusal is in the load history
    assert exit_code([res]) == 2
    con = duckdb.connect(str(root / store.INGEST_FILE), read_only=True)
    try:
        kinds = ("businesses", "messages", "reports", "blocks", "opt_outs", "ad_campaigns", "ad_events")
        assert sum(con.execute(f"SELECT count(*) FROM raw_{k}").fetchall()[0][0] for k in kinds) == 0
    finally:
        con.close()


@pytest.mark.parametrize("name", sorted(LOADED))
def test_loaded_with_exact_counts_lines_and_reasons(outcomes, name):
    res, quarantined, _, _ = outcomes[name]
    status, read, loaded, dups, quar, reasons = LOADED[name]
    assert (res.status, res.rows_read, res.loaded, res.duplicates, res.quarantined) == (
        status,
        read,
        loaded,
        dups,
        quar,
    )
    assert res.loaded + res.duplicates + res.quarantined == res.rows_read
    assert res.error is None
    got = {line: list(r) for line, r, _ in quarantined}
    assert set(got) == set(reasons)
    for line, expected in reasons.items():
        if name in SHARED:  # the reason names the time of the earlier load
            assert got[line][0].startswith(expected[0]) and got[line][0].endswith(" from duplicates.csv")
        else:
            assert got[line] == expected
    assert exit_code([res]) == (1 if quar else 0)


def test_quarantine_keeps_the_text_as_exported(outcomes):
    _, q, _, _ = outcomes["bad_messages.csv"]
    assert q[0][2] == "m2,2026-03-01T10:00:00Z,b1,u1,outbound,IN,,,,"
    _, q, _, _ = outcomes["ragged.csv"]
    assert [t for _, _, t in q] == ["k1,2026-03-01T10:00:00Z,u1,b1", "k2,2026-03-01T10:00:00Z,u1,b1,spam,extra", "k4"]
    _, q, _, _ = outcomes["broken_quoting.csv"]
    assert q[0][2] == 'k1,2026-03-01T10:00:00Z,"u1"x,b1,spam'
    _, q, _, _ = outcomes["bad_businesses.csv"]
    assert q[2][2] == f"{LONG_ID},Long,food,in,many,TRUE,1767225600"


def _raw(outcomes, name: str, sql: str):
    res, _, _, root = outcomes[name]
    con = duckdb.connect(str(root / store.INGEST_FILE), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_values_are_stored_as_data(outcomes):
    names = _raw(outcomes, "injection.csv", "SELECT business_id, name FROM raw_businesses ORDER BY line")
    assert names == [
        ("b1'; DROP TABLE loads; --", "Robert'); DROP TABLE raw_messages;--"),
        ("b2", "<script>alert(1)</script><img src=x onerror=alert(2)>"),
        ("b3", "=cmd|' /C calc'!A0"),
        ("b4", "**bold** [link](http://x) ![img](http://x/p.png)"),
        ("b5", "\U0001f600 مرحبا שלום"),
    ]
    [(text, line)] = _raw(outcomes, "bom_crlf_quoted.csv", "SELECT text, line FROM raw_messages")
    assert (text, line) == ('multi\r\nline, with "quotes"', 2)
    assert _raw(
        outcomes, "stray_quote_then_multiline.csv", "SELECT user_id, text, line FROM raw_messages ORDER BY line"
    ) == [('u"1', None, 2), ("u2", "multi\nline", 3)]
    assert _raw(outcomes, "broken_quoting.csv", "SELECT user_id FROM raw_blocks") == [('u"2',)]
    assert _raw(outcomes, "nul_after_64k.csv", "SELECT user_id, line FROM raw_blocks WHERE block_id = 'z1'") == [
        ("u\x001", 3002)
    ]
    assert _raw(outcomes, "lf_file_quoted_crs.csv", "SELECT user_id, line FROM raw_blocks ORDER BY line") == [
        ("u\r\n1", 2),
        ("\ru2\r", 4),
    ]
    assert _raw(outcomes, "crlf_file_quoted_lf.csv", "SELECT user_id, line FROM raw_blocks ORDER BY line") == [
        ("u\n1", 2),
        ("u\r2", 4),
    ]
    [(size,)] = _raw(outcomes, "huge_field.csv", "SELECT length(text) FROM raw_messages")
    assert size == 1 << 20
    assert outcomes["bom_crlf_quoted.csv"][0].unknown_columns == ["shoe_size"]
    assert outcomes["empty_header_name.csv"][0].unknown_columns == [""]
    # Same block written another way (epoch seconds, upper case) is the same row.
    assert _raw(outcomes, "duplicates.csv", "SELECT block_id, reason FROM raw_blocks ORDER BY line") == [
        ("k1", "spam"),
        ("k2", "spam"),
    ]


def test_the_whole_corpus_through_the_command_never_shows_a_traceback(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    paths = []
    for name, (data, kind) in CASES.items():
        if kind is None:
            (src / name).write_bytes(data)
            paths.append(str(src / name))
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "trustdesk.cli",
            "--data-dir",
            str(tmp_path / "data"),
            "load",
            *paths,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 2 and "Traceback" not in res.stderr and res.stderr == ""
    results = {r["file"]: r for r in json.loads(res.stdout)}
    assert set(results) == {p.rsplit("/", 1)[1] for p in paths}
    for name, r in results.items():
        if name == "truth.csv":  # the command passes over a truth file with a note
            assert r["status"] == "skipped" and r["load_id"] is None and "trustdesk evaluate" in r["note"]
        elif name in REJECTED:
            assert r["status"] == "rejected" and r["error"] == f"{name}: {REJECTED[name]}"
        else:
            assert r["loaded"] + r["duplicates"] + r["quarantined"] == r["rows_read"]
    status = subprocess.run(
        [sys.executable, "-m", "trustdesk.cli", "--data-dir", str(tmp_path / "data"), "status", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert json.loads(status.stdout)["loads"] == len(paths) - 1
