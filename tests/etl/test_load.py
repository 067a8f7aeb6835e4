"""The loader against docs/log-format.md: file rejects, quarantine, idempotence, late dimensions."""

from __future__ import annotations

import gzip

import pytest

from etl.ingest.load import exit_code, load_files
from tests.worlds import msg, warehouse, write_kind

HEADER = "message_id,sent_at,business_id,user_id,direction,user_country,category,template,status,text"
GOOD = "m1,2026-03-01T10:00:00Z,b1,u1,inbound,IN,,,,hello"


@pytest.fixture
def root(tmp_path):
    return tmp_path / "data"


def load(root, *paths, kind=None):
    return load_files(root, list(paths), kind=kind, user="test")


def write(tmp_path, name, data: bytes | str):
    p = tmp_path / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


REJECTS = [
    ("empty.csv", b"", "is empty"),
    ("blank.csv", b"\n\n  \n", "is empty"),
    ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary file"),
    ("utf16.csv", ("\ufeff" + HEADER + "\n").encode("utf-16"), "UTF-16"),
    (
        "latin1_header.csv",
        "message_id,sent_at,business_id,user_id,direction,user_country,caf\xe9\n".encode("latin-1"),
        "not UTF-8",
    ),
    ("semicolons.csv", HEADER.replace(",", ";") + "\n" + GOOD.replace(",", ";") + "\n", "separated by semicolons"),
    ("unknown.csv", "foo,bar\n1,2\n", "the first line is not a header"),
    ("no_header.csv", GOOD + "\n", "the first line is not a header"),
    ("no_kind.csv", "user_id,business_id,shoe_size\nu1,b1,42\n", "matches no kind"),
    ("dup_header.csv", HEADER + ",user_id\n" + GOOD + ",u1\n", "names column 'user_id' twice"),
]


@pytest.mark.parametrize("name, data, words", REJECTS)
def test_file_level_rejects_load_nothing_and_say_why(tmp_path, root, name, data, words):
    [res] = load(root, write(tmp_path, name, data))
    assert res.status == "rejected"
    assert res.error.startswith(name + ": ")
    assert words in res.error
    assert "\n" not in res.error
    assert exit_code([res]) == 2


def test_missing_required_column_named(tmp_path, root):
    p = write(
        tmp_path,
        "m.csv",
        "message_id,sent_at,business_id,user_id,direction,category\nm1,2026-03-01T10:00:00Z,b1,u1,inbound,\n",
    )
    [res] = load(root, p, kind="messages")
    assert res.status == "rejected"
    assert res.error == "m.csv: the header lacks the required column user_country for messages"


def test_invalid_utf8_in_the_middle_rejects_the_whole_file(tmp_path, root):
    body = (HEADER + "\n" + GOOD + "\n").encode() + b"m2,2026-03-01T10:00:00Z,b1,u1,inbound,IN,,,,caf\xe9\n"
    [res] = load(root, write(tmp_path, "mixed.csv", body))
    assert res.status == "rejected" and "not UTF-8" in res.error
    assert res.loaded == 0


def test_rejected_file_does_not_stop_the_others(tmp_path, root):
    good = write(tmp_path, "good.csv", HEADER + "\n" + GOOD + "\n")
    bad = write(tmp_path, "bad.csv", b"")
    results = load(root, bad, good)
    assert [r.status for r in results] == ["rejected", "loaded"]
    assert exit_code(results) == 2
    wh = warehouse(root)
    assert wh.scalar("SELECT count(*) FROM business_day") == 1


def test_too_large(tmp_path, root):
    from etl.settings import Settings

    root.mkdir()
    Settings(load_max_mb=0).save(root)
    [res] = load(root, write(tmp_path, "m.csv", HEADER + "\n" + GOOD + "\n"))
    assert res.status == "rejected" and "larger than the 0 MB limit" in res.error


def test_bom_crlf_shuffled_and_unknown_columns(tmp_path, root):
    text = "\ufeffUser_Country , Direction,MESSAGE_ID,sent_at,user_id,business_id,shoe_size\r\nIN,inbound,m1,2026-03-01T10:00:00Z,u1,b1,42\r\n"
    [res] = load(root, write(tmp_path, "m.csv", text))
    assert (res.status, res.kind, res.loaded) == ("loaded", "messages", 1)
    assert res.unknown_columns == ["shoe_size"]
    assert exit_code([res]) == 0


def test_gzip_is_read_the_same(tmp_path, root):
    p = tmp_path / "m.csv.gz"
    p.write_bytes(gzip.compress((HEADER + "\n" + GOOD + "\n").encode()))
    [res] = load(root, p)
    assert (res.status, res.loaded) == ("loaded", 1)


def test_broken_gzip_is_rejected(tmp_path, root):
    p = write(tmp_path, "m.csv.gz", b"\x1f\x8b\x08\x00garbage")
    [res] = load(root, p)
    assert res.status == "rejected" and "gzip" in res.error


def test_row_errors_quarantined_with_physical_line_numbers_and_every_reason(tmp_path, root):
    text = (
        HEADER
        + "\r\n"
        + 'm1,2026-03-01T10:00:00Z,b1,u1,inbound,IN,,,,"two\r\nlines"\r\n'  # lines 2-3
        + "m2,yesterday,b1,u1,outbound,ZZ,marketing,t,delivered,\r\n"  # line 4
        + "m3,2026-03-01T10:00:00Z,b1,u1,inbound,IN,,,\r\n"  # line 5: one field short
        + "\r\n"  # line 6: blank, not a record
        + "m4,2026-03-01T11:00:00Z,b1,u1,outbound,IN,marketing,t,delivered,ok\r\n"  # line 7
        + ",2026-03-01T11:00:00Z,b1,u1,outbound,IN,marketing,t,,\r\n"  # line 8
    )
    [res] = load(root, write(tmp_path, "m.csv", text))
    assert (res.status, res.rows_read, res.loaded, res.quarantined) == ("partial", 5, 2, 3)
    assert exit_code([res]) == 1
    q = {r["line"]: r for r in warehouse(root).query("SELECT * FROM quarantine").to_dicts()}
    assert set(q) == {4, 5, 8}
    assert len(q[4]["reasons"]) == 2 and q[4]["raw_text"].startswith("m2,yesterday")
    assert q[5]["reasons"] == ["line has fewer fields than the header"]
    assert q[8]["reasons"] == ["message_id is empty", "status is required for outbound messages"]


def test_nothing_is_lost_counts_add_up(tmp_path, root):
    rows = [msg(f"m{i}", "2026-03-01T10:00:00Z", "b1", "u1", "inbound", "IN" if i % 3 else "XX") for i in range(30)]
    rows += rows[:5]  # exact repeats
    [res] = load(root, write_kind(tmp_path / "m.csv", "messages", rows))
    assert res.rows_read == 35
    assert res.loaded + res.duplicates + res.quarantined == res.rows_read
    assert res.duplicates == 5 - 2  # the repeats of quarantined rows are quarantined again
    assert res.quarantined == 10 + 2


def test_reload_is_idempotent_and_says_so(tmp_path, root):
    p = write_kind(tmp_path / "m.csv", "messages", [msg("m1", "2026-03-01T10:00:00Z", "b1", "u1", "inbound", "IN")])
    load(root, p)
    v1 = warehouse(root).pointer
    [res] = load(root, p)
    assert (res.loaded, res.duplicates) == (0, 1)
    assert "already loaded" in res.already_loaded
    wh = warehouse(root)
    assert wh.scalar("SELECT sum(messages) FROM business_day") == 1
    assert wh.version == v1["version"] + 1  # load history changed, events did not
    assert wh.pointer["store_version"] == v1["store_version"]


def test_same_id_other_content_is_a_conflict(tmp_path, root):
    load(
        root,
        write_kind(tmp_path / "a.csv", "messages", [msg("m1", "2026-03-01T10:00:00Z", "b1", "u1", "inbound", "IN")]),
    )
    # Same row written another way (other timestamp style, lower-case enum): a duplicate
    same = write(
        tmp_path,
        "b.csv",
        "message_id,sent_at,business_id,user_id,direction,user_country\nm1,1772359200,b1,u1,INBOUND,in\n",
    )
    [res] = load(root, same)
    assert (res.duplicates, res.quarantined) == (1, 0)
    other = write_kind(tmp_path / "c.csv", "messages", [msg("m1", "2026-03-01T10:00:00Z", "b1", "u2", "inbound", "IN")])
    [res] = load(root, other)
    assert res.quarantined == 1
    [reason] = warehouse(root).query("SELECT reasons FROM quarantine WHERE load_id = $id", {"id": res.load_id})[
        "reasons"
    ][0]
    assert reason.startswith("message_id m1 conflicts with the row loaded on ") and reason.endswith(" from a.csv")


def test_within_file_repeat_loaded_once_conflict_quarantined(tmp_path, root):
    rows = [
        msg("m1", "2026-03-01T10:00:00Z", "b1", "u1", "inbound", "IN"),
        msg("m1", "2026-03-01T10:00:00Z", "b1", "u1", "inbound", "IN"),
        msg("m1", "2026-03-01T10:00:00Z", "b1", "u9", "inbound", "IN"),
    ]
    [res] = load(root, write_kind(tmp_path / "m.csv", "messages", rows))
    assert (res.loaded, res.duplicates, res.quarantined) == (1, 1, 1)
    q = warehouse(root).query("SELECT line, reasons FROM quarantine").to_dicts()
    assert q == [{"line": 4, "reasons": ["message_id m1 conflicts with line 2 of this file"]}]


def test_late_dimension_then_update(tmp_path, root):
    load(
        root,
        write_kind(tmp_path / "m.csv", "messages", [msg("m1", "2026-03-01T10:00:00Z", "b7", "u1", "inbound", "IN")]),
    )
    b = warehouse(root).query("SELECT * FROM dim_businesses").to_dicts()
    assert b == [dict(b[0], business_id="b7", known=False, name=None)]
    biz = dict(business_id="b7", name="Late Ltd", category="retail", country="IN")
    load(root, write_kind(tmp_path / "b.csv", "businesses", [biz]))
    assert warehouse(root).query("SELECT name, known FROM dim_businesses").to_dicts() == [
        {"name": "Late Ltd", "known": True}
    ]
    [res] = load(root, write_kind(tmp_path / "b2.csv", "businesses", [dict(biz, name="Renamed Ltd")]))
    assert res.loaded == 1
    assert warehouse(root).scalar("SELECT name FROM dim_businesses") == "Renamed Ltd"


def test_kind_override(tmp_path, root):
    # A header that would also satisfy businesses? No: --kind only has to find its required columns.
    p = write(tmp_path, "x.csv", "block_id,blocked_at,user_id,business_id,reason\nk1,2026-03-01T10:00:00Z,u1,b1,spam\n")
    [res] = load(root, p, kind="blocks")
    assert (res.kind, res.loaded) == ("blocks", 1)
    [res] = load(root, p, kind="reports")
    assert res.status == "rejected" and "report_id" in res.error


def test_sql_and_html_in_values_are_data(tmp_path, root):
    biz = dict(
        business_id="b1'; DROP TABLE loads; --", name="<img src=x onerror=alert(1)>", category="retail", country="FR"
    )
    [res] = load(root, write_kind(tmp_path / "b.csv", "businesses", [biz]))
    assert res.loaded == 1
    wh = warehouse(root)
    assert wh.query("SELECT business_id, name FROM dim_businesses").to_dicts() == [
        {"business_id": biz["business_id"], "name": biz["name"]}
    ]
    assert wh.scalar("SELECT count(*) FROM loads") == 1
