"""Meta pricing_analytics responses -> billed_pricing rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from etl.formats import UnreadableFile, convert, detect
from etl.formats.kinds import BILLED_PRICING, header

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "docs" / "samples" / "meta_pricing_analytics.json"
DAY = 1792022400  # 2026-10-15 00:00 UTC


def rows(conv) -> list[dict]:
    with open(conv.files["billed_pricing"], newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def response(points, **top):
    return {"pricing_analytics": {"data": [{"data_points": points}]}, **top}


def point(start=DAY, span=86400, **kw):
    p = {
        "start": start,
        "end": start + span,
        "country": "IN",
        "pricing_category": "UTILITY",
        "pricing_type": "REGULAR",
        "volume": 3,
        "cost": 0.0042,
    }
    p.update(kw)
    return p


def test_sample_converts_to_billed_rows_in_its_currency(tmp_path):
    assert detect(SAMPLE) == "meta_pricing_analytics"
    conv = convert(SAMPLE, None, tmp_path)
    assert conv.quarantined == []
    got = rows(conv)
    assert len(got) == 8 and {r["currency"] for r in got} == {"USD"}
    assert next(csv.reader(open(conv.files["billed_pricing"]))) == list(header("billed_pricing"))
    lite = [r for r in got if r["pricing_category"] == "marketing_lite"]
    assert {(r["category"], r["country"], r["cost"], r["granularity"]) for r in lite} == {
        ("marketing", "DE", "0.1365", "daily")
    }
    assert BILLED_PRICING.is_dimension


def test_daily_half_hour_and_stated_granularity(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(
        json.dumps(
            response(
                [point(), point(span=1800, country="BR"), point(span=7200, country="DE")], id="123", currency="inr"
            )
        )
    )
    conv = convert(path, None, tmp_path / "o")
    got = {r["country"]: r for r in rows(conv)}
    assert (got["IN"]["granularity"], got["IN"]["period_start"], got["IN"]["period_end"]) == (
        "daily",
        "2026-10-15T00:00:00Z",
        "2026-10-16T00:00:00Z",
    )
    assert got["BR"]["granularity"] == "half_hour"
    assert (got["IN"]["account_id"], got["IN"]["currency"], got["IN"]["volume"]) == ("123", "INR", "3")
    assert [q.reasons for q in conv.quarantined] == [
        ["the granularity is neither stated nor told by start and end (half an hour, a day or a month)"]
    ]
    stated = tmp_path / "s.json"
    stated.write_text(
        json.dumps({"pricing_analytics": {"data": [{"granularity": "HALF_HOUR", "data_points": [point(span=7200)]}]}})
    )
    assert rows(convert(stated, None, tmp_path / "s"))[0]["granularity"] == "half_hour"


def test_pages_one_per_line_and_a_revised_repeat_are_handled(tmp_path):
    page1 = response([point(), point(country="BR")], id="1", currency="USD", paging={"cursors": {"after": "x"}})
    page2 = response([point(country="DE"), point()], id="1", currency="USD")  # IN again, same numbers
    page3 = response([point(country="BR", volume=4)], id="1", currency="USD")  # BR again, other numbers
    path = tmp_path / "pages.jsonl"
    path.write_text("\n".join(json.dumps(p) for p in (page1, page2, page3)) + "\n")
    conv = convert(path, None, tmp_path / "o")
    assert sorted(r["country"] for r in rows(conv)) == ["BR", "DE", "IN"]
    assert conv.counts["repeats"] == 1
    (q,) = conv.quarantined
    assert q.place == "line 3: data[0].data_points[0]" and "appear again with other numbers" in q.reasons[0]
    assert "paging (the cursors of the next page)" in conv.unused


def test_bad_data_points_are_quarantined_with_their_place(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(response([point(), {"end": DAY, "volume": "many"}, point(cost=-1, country="BR")])))
    conv = convert(path, None, tmp_path / "o")
    assert len(rows(conv)) == 1
    q = {x.place: x.reasons for x in conv.quarantined}
    assert q["line 1: data[0].data_points[1]"] == [
        "start is missing or not Unix seconds",
        "volume 'many' is not a whole number",
    ]
    assert q["line 1: data[0].data_points[2]"] == ["cost '-1' is not an amount of 0 or more"]


def test_the_edge_response_and_a_missing_currency(tmp_path):
    path = tmp_path / "edge.json"
    path.write_text(json.dumps({"data": [{"data_points": [point()]}]}))
    assert detect(path) == "meta_pricing_analytics"
    conv = convert(path, None, tmp_path / "o")
    assert rows(conv)[0]["currency"] == "" and any("currency" in n for n in conv.notes)


def test_a_file_with_no_response_is_refused_in_one_sentence(tmp_path):
    path = tmp_path / "none.json"
    path.write_text(json.dumps({"data": [{"data_points": [{"template_id": "1", "sent": 3}]}]}))
    assert detect(path) is None
    with pytest.raises(UnreadableFile, match=r"^none.json: holds no pricing_analytics response"):
        convert(path, "meta_pricing_analytics", tmp_path / "o")
