"""No value of the data reaches a sentence or a reason summary that anyone may read: a refused
file's sentence (shown in Load history to analysts), the most common reasons (the load history,
the load summary, the Upload page's check)."""

from __future__ import annotations

import pytest

from etl.ingest.load import load_files
from tests.worlds import warehouse
from trustdesk.data.loads import load_history, reason_table, summary_lines

PERSONAL = ("+447700900123", "Jane", "Doe", "jane@example.org", "07700")
HEADERLESS = "+447700900123,Jane Doe,jane@example.org,retail,GB\n+447700900124,John Roe,john@example.org,food,GB\n"
BLOCKS = "block_id,blocked_at,user_id,business_id,reason\n"


def _load(tmp_path, name: str, text: str, kind: str | None = None):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    [res] = load_files(tmp_path / "data", [path], kind=kind, user="t")
    return res


def _seen_by_analysts(root, res) -> str:
    """Every text of this load an analyst can read: the sentence, the summary, the load history."""
    history = load_history(warehouse(root))
    texts = [res.error or "", *summary_lines([res]), *(r for r, _ in res.top_reasons)]
    for row in history.to_dicts():
        texts += [str(row["error"] or ""), str(row["top_reasons"] or "")]
    return "\n".join(texts)


@pytest.mark.parametrize("kind", [None, "businesses", "blocks"])
def test_a_file_without_a_header_is_refused_without_repeating_its_first_row(tmp_path, kind):
    res = _load(tmp_path, "contacts.csv", HEADERLESS, kind)
    assert res.status == "rejected"
    seen = _seen_by_analysts(tmp_path / "data", res)
    assert not [p for p in PERSONAL if p in seen], seen
    if kind is None:
        assert res.error == (
            "contacts.csv: the first line is not a header: it names none of the columns of "
            "any kind of log; add the header row that names the columns as the first line"
        )
    else:
        assert res.error.startswith("contacts.csv: the header lacks the required columns ")


def test_a_repeated_value_in_a_first_line_of_data_is_not_named(tmp_path):
    res = _load(tmp_path, "x.csv", "Jane Doe,Jane Doe,+447700900123\n1,2,3\n", kind="blocks")
    assert res.status == "rejected" and "Jane" not in res.error
    assert res.error == "x.csv: the header names one column twice (columns 1 and 2)"
    known = _load(tmp_path, "y.csv", BLOCKS.strip() + ",user_id\nk1,2026-03-01T10:00:00Z,u1,b1,spam,u1\n")
    assert known.error == "y.csv: the header names column 'user_id' twice (columns 3 and 6)"


def test_values_with_line_breaks_and_quotes_leave_no_trace_in_the_reasons(tmp_path):
    rows = [
        'k1,2026-03-01T10:00:00Z,u1,b1,"Jane\nDoe +447700900123"',  # lines 2-3: bad enum, a newline
        "k2,2026-03-01T10:00:00Z,u1,b1,Jane's",  # line 4: a quote inside the value
        'k3,"not\r\na time",u1,b1,spam',  # lines 5-6
        "k4,2026-03-01T10:00:00Z,u1,b1,jane@example.org",  # line 7
        "k5,2026-03-01T10:00:00Z,u1,b1,spam",  # line 8
        "k5,2026-03-02T10:00:00Z,u1,b1,spam",  # line 9: the same id, other content
    ]
    res = _load(tmp_path, "b.csv", BLOCKS + "\n".join(rows) + "\n")
    assert (res.status, res.rows_read, res.quarantined) == ("partial", 6, 5)
    enum = "reason: a value is not one of no_longer_needed, didnt_sign_up, spam, offensive, other"
    assert res.top_reasons == [
        (enum, 3),
        ("block_id conflicts with a row already read", 1),
        ("blocked_at: a value is not a timestamp (ISO 8601 like 2026-03-01T14:05:00Z, or Unix seconds)", 1),
    ]
    seen = _seen_by_analysts(tmp_path / "data", res)
    assert not [p for p in (*PERSONAL, "Jane's", "k5", "\r") if p in seen], seen
    assert "'" not in "".join(r for r, _ in res.top_reasons)


def test_reasons_are_grouped_with_their_first_lines_for_the_upload_page(tmp_path):
    bad = [f"k{i},2026-03-01T10:00:00Z,u{i},b1,nope{i}" for i in range(8)]  # lines 2-9: 8 distinct values
    rows = bad + ["k9,never,u9,b1,spam", "k10,2026-03-01T10:00:00Z,,b1,"]  # lines 10, 11
    path = tmp_path / "b.csv"
    path.write_text(BLOCKS + "\n".join(rows) + "\n")
    [dry] = load_files(tmp_path / "data", [path], user="t", dry_run=True)
    table = reason_table(dry)
    assert table.columns == ["reason", "rows", "lines", "first_lines"]
    assert table.to_dicts()[0] == {
        "reason": "reason: a value is not one of no_longer_needed, didnt_sign_up, spam, offensive, other",
        "rows": 8,
        "lines": [2, 3, 4, 5, 6],
        "first_lines": "2, 3, 4, 5, 6, …",
    }
    assert {r["reason"]: r["first_lines"] for r in table.to_dicts()[1:]} == {
        "blocked_at: a value is not a timestamp (ISO 8601 like 2026-03-01T14:05:00Z, or Unix seconds)": "10",
        "user_id is empty": "11",
    }
    [res] = load_files(tmp_path / "data", [path], user="t")
    assert res.reasons == dry.reasons and res.top_reasons == [(r, n) for r, n, _ in dry.reasons]
