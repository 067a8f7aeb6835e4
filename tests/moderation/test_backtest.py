"""The backtest: precision and recall at k worked out by hand on queues written by hand, the days
judged, the re-ranking applied, a generated world with and without decisions, the read side of
the page, and the `trustdesk backtest` command with its one-sentence errors."""

from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl
import pytest

from etl.settings import Settings
from tests.moderation.test_learning import FLAG_SCORE, WORLD, bad_ids, copy_world, decide_as_truth, work_days
from tests.worlds import open_page, td
from trustdesk.accounts.auth import PermissionDenied, Principal
from trustdesk.moderation import backtest, learning, risk
from trustdesk.warehouse import open_current

MONA, ANA = Principal("mona", "moderator"), Principal("ana", "analyst")
D1, D2 = date(2026, 10, 1), date(2026, 10, 4)


def labels(*rows) -> pl.DataFrame:
    """(case_id, business_id, decided_as_of, flagged_on, against)"""
    return pl.DataFrame(
        [
            {
                "case_id": c,
                "business_id": b,
                "decided_as_of": d,
                "flagged_on": f,
                "action": "warn" if a else "dismiss",
                "overturned": False,
                "against": a,
            }
            for c, b, d, f, a in rows
        ],
        schema=learning.LABEL_SCHEMA,
    )


def hand_queues(monkeypatch, tables: dict[date, list[str]]) -> None:
    """risk.queue returns, for each day, these businesses in this order."""

    def fake(wh, as_of=None, lookback=None, settings=None, settled=None):
        ids = tables.get(as_of, [])
        table = pl.DataFrame(
            {
                "rank": list(range(1, len(ids) + 1)),
                "business_id": ids,
                "risk_score": [90.0 - i for i in range(len(ids))],
                "reasons": ["rules"] * len(ids),
            },
            schema={"rank": pl.Int64, "business_id": pl.String, "risk_score": pl.Float64, "reasons": pl.String},
        )
        return risk.QueueResult(as_of, lookback, table)

    monkeypatch.setattr(risk, "queue", fake)


LABELLED = labels(
    (1, "b1", D1, D1 - timedelta(days=2), 1),  # against, flagged in both look-backs
    (2, "b3", D1, D1, 0),  # dismissed
    (3, "b5", D2, D2 - timedelta(days=1), 1),  # against, flagged after D1: in D2's look-back only
    (4, "b2", D1, D1 - timedelta(days=40), 1),  # against, flagged long before: in neither look-back
    (5, "b3", D2, D2, 0),  # dismissed again
)
TRUTH = backtest.Truth(frozenset({"b1", "b4", "b9"}), ("spammer",), "--bad")


def test_precision_and_recall_equal_a_hand_count(monkeypatch):
    hand_queues(monkeypatch, {D1: ["b1", "b2", "b3", "b4"], D2: ["b3", "b5", "b6"]})
    settings = Settings(risk_lookback_days=30)
    got = backtest.run(None, LABELLED, settings, D1, D2, every=3, k=2, truth=TRUTH)
    assert got.to_dicts() == [
        # top 2 of D1: b1 (against), b2 (against): 2 of 2; against flagged in D1's look-back: b1 -> 1 of 1
        {
            "day": D1,
            "k": 2,
            "queue_size": 4,
            "labelled_in_top_k": 2,
            "against_in_top_k": 2,
            "decided_against": 1,
            "precision": 1.0,
            "recall": 1.0,
            "truth_in_top_k": 1,
            "truth_precision": 0.5,
            "truth_recall": 1 / 3,
        },
        # top 2 of D2: b3 (dismissed), b5 (against): 1 of 2; flagged in D2's look-back: b1, b5 -> b5, 1 of 2
        {
            "day": D2,
            "k": 2,
            "queue_size": 3,
            "labelled_in_top_k": 2,
            "against_in_top_k": 1,
            "decided_against": 2,
            "precision": 0.5,
            "recall": 0.5,
            "truth_in_top_k": 0,
            "truth_precision": 0.0,
            "truth_recall": 0.0,
        },
    ]


def test_a_short_queue_counts_precision_over_k(monkeypatch):
    hand_queues(monkeypatch, {D1: ["b1"], D2: []})
    settings = Settings(risk_lookback_days=30)
    got = backtest.run(None, LABELLED, settings, D1, D2, every=3, k=5)
    assert got.select("queue_size", "labelled_in_top_k", "precision", "recall").rows() == [
        (1, 1, 0.2, 1.0),  # a top 5 holding one business: 1 of the 5, as `trustdesk evaluate` counts
        (0, 0, 0.0, 0.0),  # nothing flagged: none of the 5; b1 and b5 decided against, neither found
    ]
    none = backtest.run(None, labels(), settings, D1, D2, every=3, k=5)
    assert none["precision"].to_list() == [None, None] and none["recall"].to_list() == [None, None]
    assert none["queue_size"].to_list() == [1, 0]  # what the queue flagged still shows
    assert "truth_precision" not in none.columns


def test_the_ranker_reorders_each_queue_before_the_top_k(monkeypatch):
    hand_queues(monkeypatch, {D1: ["b1", "b2", "b3", "b4"]})

    class Reverse:
        def rerank(self, table):
            return table.reverse().with_columns(pl.int_range(1, pl.len() + 1).alias("rank"))

    settings = Settings(risk_lookback_days=30)
    got = backtest.run(None, LABELLED, settings, D1, D1, k=2, truth=TRUTH, ranker=Reverse())
    # top 2 reversed: b4 (never decided, planted bad), b3 (dismissed)
    assert got.select("labelled_in_top_k", "against_in_top_k", "precision", "recall", "truth_in_top_k").rows() == [
        (1, 0, 0.0, 0.0, 1)
    ]


def test_the_days_judged_count_back_from_the_last():
    assert backtest.judged_days(D1, D1 + timedelta(days=7), 3) == [
        D1 + timedelta(days=1),
        D1 + timedelta(days=4),
        D1 + timedelta(days=7),
    ]
    assert backtest.judged_days(D1, D1, 5) == [D1]
    with pytest.raises(backtest.BacktestError, match="the first day 4 Oct 2026 is after the last 1 Oct 2026"):
        backtest.judged_days(D2, D1, 1)


def test_truth_files_are_checked(tmp_path):
    good = tmp_path / "truth.csv"
    good.write_text("business_id,archetype\nb1,spammer\nb2,large_legit\nb3,Scammer\n")
    t = backtest.read_truth(good)
    assert (t.bad_ids, t.bad) == (frozenset({"b1", "b3"}), ("scammer", "spammer"))
    assert backtest.read_truth(good, ["spammer"]).bad_ids == frozenset({"b1"})
    with pytest.raises(backtest.BacktestError, match="the bad archetypes nope are not in"):
        backtest.read_truth(good, ["nope"])
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("id,kind\n1,2\n")
    with pytest.raises(backtest.BacktestError, match="needs the columns business_id and archetype"):
        backtest.read_truth(wrong)
    with pytest.raises(backtest.BacktestError, match="there is no truth file"):
        backtest.read_truth(tmp_path / "missing.csv")
    legit = tmp_path / "legit.csv"
    legit.write_text("business_id,archetype\nb1,normal\n")
    with pytest.raises(backtest.BacktestError, match="holds no bad archetype"):
        backtest.read_truth(legit)


# --------------------------------------------------------------------------- a generated world


@pytest.fixture(scope="module")
def world(make_world):
    base = make_world("backtest", **WORLD)
    Settings(risk_flag_score=FLAG_SCORE).save(base / "data")
    return base


@pytest.fixture(scope="module")
def decided(world, tmp_path_factory):
    root = copy_world(world, tmp_path_factory.mktemp("decided"))
    decide_as_truth(root, bad_ids(world), work_days(root))
    return root


def test_the_backtest_of_a_decided_world(world, decided):
    wh = open_current(decided)
    try:
        first, last = wh.date_range()
        view = backtest.backtest(wh, MONA, k=5, every=4)
    finally:
        wh.close()
    assert view.scorer.startswith("model trained on ")
    assert (view.date_from, view.date_to) == (last - timedelta(days=29), last)
    frame = view.frame
    assert frame["day"].to_list() == backtest.judged_days(last - timedelta(days=29), last, 4)
    for row in frame.iter_rows(named=True):
        assert row["against_in_top_k"] <= row["labelled_in_top_k"] <= min(row["queue_size"], 5), row
    # every planted bad actor was decided against: on days where the top 5 is all bad, precision is 1
    assert frame["precision"].drop_nulls().max() == 1.0
    assert view.long()["measure"].unique().sort().to_list() == ["precision@5", "recall@5"]


def test_the_backtest_before_any_decision(world):
    wh = open_current(world / "data")
    try:
        view = backtest.backtest(wh, MONA)
        with pytest.raises(PermissionDenied):
            backtest.backtest(wh, ANA)
        with pytest.raises(backtest.BacktestError, match="the data covers"):
            backtest.backtest(wh, MONA, date_from=date(2030, 1, 1))
    finally:
        wh.close()
    assert view.scorer == "rules" and not view.has_decisions
    assert view.frame["precision"].null_count() == view.frame.height
    assert view.frame["queue_size"].max() > 0
    assert view.long().is_empty()


# --------------------------------------------------------------------------- the page (AppTest)


def test_the_page_draws_the_chart_and_the_scorer(decided, monkeypatch):
    at = open_page("backtest", decided, monkeypatch, who=("mona", "moderator"))
    assert at.title[0].value == "Queue backtest"
    assert len(at.get("vega_lite_chart")) == 1
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert "Precision and recall of the top 20" in json.dumps(spec)
    assert any(m.value.startswith("**Ranked by the model trained on ") for m in at.markdown)
    (table,) = at.dataframe
    assert {"precision", "recall", "queue_size"} <= set(table.value.columns)
    at.number_input(key="backtest_k").set_value(3).run()
    assert not at.exception
    assert set(at.dataframe[0].value["k"]) == {3}


def test_the_page_before_any_decision_says_what_it_shows(world, monkeypatch):
    at = open_page("backtest", world / "data", monkeypatch, who=("mona", "moderator"))
    (info,) = at.info
    assert info.value.startswith(
        "No decision yet: precision against decisions needs decided cases; showing what the queue flagged."
    )
    assert any(m.value.startswith("**Ranked by the rules' risk score.**") for m in at.markdown)
    assert len(at.get("vega_lite_chart")) == 1  # the queue's size over the days


# --------------------------------------------------------------------------- the command


def test_the_backtest_command(world, decided):
    text = td(decided, "backtest", "--every", "5", "--k", "5", "--truth", str(world / "w" / "truth.csv"))
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].startswith("the queue as of every 5 days from ") and "ranked by the model trained on" in lines[0]
    assert lines[3].split() == [
        "day",
        "k",
        "queue_size",
        "labelled_in_top_k",
        "against_in_top_k",
        "decided_against",
        "precision",
        "recall",
        "truth_in_top_k",
        "truth_precision",
        "truth_recall",
    ]
    assert lines[-1].startswith("mean over the days: precision ")
    rows = json.loads(td(decided, "backtest", "--k", "5", "--format", "json").stdout)
    assert rows and {r["k"] for r in rows} == {5}
    assert {r["scorer"] for r in rows} == {rows[0]["scorer"]} and rows[0]["scorer"].startswith("model trained on ")
    csv = td(decided, "backtest", "--from", "2026-10-01", "--to", "2026-10-07", "--every", "3", "--format", "csv")
    assert csv.returncode == 0, csv.stderr
    assert [line.split(",")[0] for line in csv.stdout.splitlines()] == ["day", "2026-10-01", "2026-10-04", "2026-10-07"]

    none = td(world / "data", "backtest", "--every", "10")
    assert none.returncode == 0, none.stderr
    assert (
        "no decisions yet: precision against decisions needs decided cases; showing what the queue flagged"
        in none.stdout
    )


@pytest.mark.parametrize(
    "args, error",
    [
        (["--from", "2026-10-32"], "trustdesk: --from '2026-10-32' is not a date like 2026-09-30"),
        (
            ["--from", "2026-10-05", "--to", "2026-10-01"],
            "trustdesk: the first day 5 Oct 2026 is after the last 1 Oct 2026",
        ),
        (["--to", "2020-01-01"], "trustdesk: the data covers 1 Sep 2026 to 10 Oct 2026, not 1 Jan 2020"),
        (["--truth", "missing.csv"], "trustdesk: there is no truth file missing.csv"),
        (["--bad", "spammer"], "trustdesk: --bad names the bad archetypes of a --truth file; give the file too"),
    ],
)
def test_the_backtest_command_refuses_in_one_sentence(world, args, error):
    done = td(world / "data", "backtest", *args)
    assert done.returncode == 1
    assert done.stderr.strip() == error


def test_the_backtest_command_refuses_a_bad_file_and_no_data(world, tmp_path):
    binary = tmp_path / "truth.csv"
    binary.write_bytes(b"\x00\xff\xfe garbage \x00\n\x01,\x02,\x03\n")
    done = td(world / "data", "backtest", "--truth", str(binary))
    assert done.returncode == 1 and done.stderr.startswith("trustdesk: ") and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    empty = td(tmp_path / "nothing", "backtest")
    assert empty.returncode == 1 and empty.stderr.startswith("trustdesk: no data in ")
