"""Learning from decisions: labels from the store (overturned appeals included), no model below the
minimum, a model after enough decisions that ranks the planted bad actors at least as well as the
rules, reasons that name features, retraining when decisions change, a model of other features
discarded, and the `trustdesk train` command.

The decisions are taken through the real store on a generated world, as moderators would: on
every third day the queue is synced into cases and each open case decided, the planted bad actors
(truth.csv) against, the others dismissed. The world's flag score is lowered so that the queue
holds look-alikes to dismiss as well."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

import joblib
import numpy as np
import polars as pl
import pytest

from etl.settings import Settings
from etl.synth.archetypes import BAD_ARCHETYPES
from tests.worlds import Clock, td
from trustdesk.accounts.auth import Principal
from trustdesk.moderation import learning, risk
from trustdesk.moderation.cases import Store
from trustdesk.moderation.evaluation import evaluate
from trustdesk.warehouse import open_current

MONA, MO = Principal("mona", "moderator"), Principal("mo", "moderator")
BAD = BAD_ARCHETYPES
FLAG_SCORE = 2.0  # low: the queue holds businesses to dismiss too
WORLD = dict(seed=5, businesses=150, days=40, messages=150_000)


def bad_ids(base: Path) -> set[str]:
    truth = pl.read_csv(base / "w" / "truth.csv")
    return set(truth.filter(pl.col("archetype").is_in(BAD))["business_id"])


def work_days(root: Path, every: int = 3, start_after: int = 10) -> list[date]:
    wh = open_current(root)
    first, last = wh.date_range()
    wh.close()
    return [first + timedelta(days=d) for d in range(start_after, (last - first).days + 1, every)]


def decide_as_truth(root: Path, bad: set[str], days: Iterable[date], limit: int | None = None) -> int:
    """Work the queue on each day as moderators would: sync it (decided businesses stay out until
    flagged again), then decide every open case, a planted bad actor against (the ladder's next
    step, with a rationale), any other dismissed; at most `limit` decisions. How many were taken."""
    settings = Settings.load(root)
    wh = open_current(root)
    taken = 0
    try:
        with Store(root, Clock()) as store:
            for day in days:
                table = risk.queue(wh, day, None, settings, store.decided_as_of()).table
                store.sync(MONA, table, day)
                for case in store.cases(("open", "claimed")):
                    if limit is not None and taken >= limit:
                        return taken
                    store.claim(MONA, case["id"])
                    b = case["business_id"]
                    if b in bad:
                        store.decide(MONA, case["id"], store.proposed_action(b), "spam", "planted bad actor", day)
                    else:
                        store.decide(MONA, case["id"], "dismiss", None, "", day)
                    taken += 1
    finally:
        wh.close()
    return taken


def copy_world(base: Path, to: Path) -> Path:
    """A copy of a world's data directory (warehouse and stores), to decide on without touching it."""
    shutil.copytree(base / "data", to / "data")
    return to / "data"


@pytest.fixture(scope="module")
def world(make_world):
    base = make_world("learning", **WORLD)
    Settings(risk_flag_score=FLAG_SCORE).save(base / "data")
    return base


@pytest.fixture(scope="module")
def decided(world, tmp_path_factory):
    """A copy of the world with the decisions of every third day taken."""
    root = copy_world(world, tmp_path_factory.mktemp("decided"))
    n = decide_as_truth(root, bad_ids(world), work_days(root))
    with Store(root) as store:
        ready = learning.Readiness.of(learning.labels(store), Settings.load(root))
    assert ready.ready, f"the fixture took {n} decisions, too few to learn from: {ready.sentence}"
    return root


@pytest.fixture
def fresh(world, tmp_path):
    return copy_world(world, tmp_path)


def full_queue(root: Path) -> pl.DataFrame:
    wh = open_current(root)
    try:
        first, last = wh.date_range()
        return risk.queue(wh, last, (last - first).days + 1, Settings.load(root)).table
    finally:
        wh.close()


def current(root: Path) -> learning.Ranker | None:
    wh = open_current(root)
    try:
        with Store(root) as store:
            return learning.current(root, wh, store, Settings.load(root))
    finally:
        wh.close()


# --------------------------------------------------------------------------- labels


def test_labels_are_decisions_against_not_overturned(tmp_path):
    root = tmp_path / "data"
    day = date(2026, 10, 1)
    rows = pl.DataFrame(
        [{"business_id": b, "risk_score": 50.0, "reasons": "r", "first_flagged": day} for b in ("b1", "b2", "b3")]
    )
    with Store(root, Clock()) as store:
        store.sync(MONA, rows, day)
        ids = {c["business_id"]: c["id"] for c in store.cases()}
        store.decide(MONA, ids["b1"], "warn", "spam", "cold marketing", day)
        store.decide(MONA, ids["b2"], "dismiss", None, "", day + timedelta(days=1))
        store.decide(MONA, ids["b3"], "warn", "spam", "reports", day)
        store.appeal(MONA, ids["b3"], "we had consent")
        store.decide_appeal(MO, ids["b3"], True, "consent shown")
        got = learning.labels(store)
        assert got.select("business_id", "against", "overturned", "decided_as_of", "flagged_on").to_dicts() == [
            {"business_id": "b1", "against": 1, "overturned": False, "decided_as_of": day, "flagged_on": day},
            {"business_id": "b3", "against": 0, "overturned": True, "decided_as_of": day, "flagged_on": day},
            {
                "business_id": "b2",
                "against": 0,
                "overturned": False,
                "decided_as_of": day + timedelta(days=1),
                "flagged_on": day,
            },
        ]
        assert learning.labels(store, until=day)["business_id"].to_list() == ["b1", "b3"]


def test_readiness_counts_what_is_missing():
    settings = Settings(learn_min_decisions=30)
    assert learning.Readiness(12, 8, 4, 30).more == 18
    assert learning.Readiness(40, 38, 2, 30).more == 3  # 3 more dismissals
    assert learning.Readiness(40, 38, 2, 30).sentence.startswith("the model needs 3 more decisions (3 more dismissed)")
    assert learning.Readiness(30, 5, 25, 30).ready
    empty = learning.Readiness.of(pl.DataFrame(schema=learning.LABEL_SCHEMA), settings)
    assert (empty.decisions, empty.more, empty.ready) == (0, 30, False)


# --------------------------------------------------------------------------- below and above the minimum


def test_no_ranker_below_the_minimum(world, fresh):
    n = decide_as_truth(fresh, bad_ids(world), work_days(fresh), limit=12)
    assert n == 12
    assert current(fresh) is None
    assert not learning.model_path(fresh).exists()
    wh = open_current(fresh)
    try:
        with Store(fresh) as store:
            done = learning.train(fresh, wh, store, Settings.load(fresh))
    finally:
        wh.close()
    assert done.ranker is None
    assert done.readiness.more == 18
    assert done.sentence.startswith("the model needs 18 more decisions")


def test_the_minimum_is_the_setting(decided, tmp_path):
    root = copy_world(Path(decided).parent, tmp_path)
    with Store(root) as store:
        n = learning.labels(store).height
    Settings(risk_flag_score=FLAG_SCORE, learn_min_decisions=n + 1).save(root)
    assert current(root) is None
    Settings(risk_flag_score=FLAG_SCORE, learn_min_decisions=n).save(root)
    assert current(root) is not None


def test_the_ranker_ranks_planted_bad_actors_at_least_as_well_as_the_rules(world, decided):
    ranker = current(decided)
    assert ranker is not None
    with Store(decided) as store:
        labelled = learning.labels(store)
    assert ranker.decisions == labelled.height
    assert ranker.scorer == f"model trained on {labelled.height:,} decisions"
    truth = pl.read_csv(world / "w" / "truth.csv")
    rules = full_queue(decided)
    model = ranker.rerank(rules)
    assert model.height == rules.height and set(model["business_id"]) == set(rules["business_id"])
    for k in (len(bad_ids(world)), 10):
        assert evaluate(model, truth, k, set(BAD)).precision >= evaluate(rules, truth, k, set(BAD)).precision, k
    # the model's columns
    assert model["rank"].to_list() == list(range(1, model.height + 1))
    assert model["risk_score"].to_list() == sorted(model["risk_score"].to_list(), reverse=True)
    assert model["risk_score"].min() >= 0 and model["risk_score"].max() <= 100
    assert set(model["score_source"]) == {"model"}
    at = model.columns.index("risk_score")
    assert model.columns[at : at + 3] == ["risk_score", "rule_score", "score_source"]
    by_id = {r["business_id"]: r for r in rules.iter_rows(named=True)}
    for row in model.iter_rows(named=True):
        assert row["rule_score"] == by_id[row["business_id"]]["risk_score"]
        head = f"Model (trained on {labelled.height:,} decisions): "
        assert row["reasons"].startswith(head)
        assert row["reasons"].endswith(by_id[row["business_id"]]["reasons"])  # the rules' reasons follow
    top = model.row(0, named=True)["reasons"]
    assert "driven by " in top
    assert any(words in top for words in learning.FEATURE_WORDS.values())


def test_the_model_is_saved_with_its_metadata_and_reused(decided):
    ranker = current(decided)
    path = learning.model_path(decided)
    assert path.is_file()
    payload = joblib.load(path)
    meta = payload["meta"]
    assert meta["features"] == list(risk.FEATURES)
    assert meta["decisions"] == ranker.decisions
    assert datetime.fromisoformat(meta["trained_at"]).tzinfo is not None
    assert meta["auc"] is None or 0.5 <= meta["auc"] <= 1.0
    assert meta["auc"] is not None  # enough businesses of each class to fold on this world
    assert not list(path.parent.glob("*.tmp"))  # written through a temporary file, renamed
    again = current(decided)
    assert again.meta["fingerprint"] == meta["fingerprint"]
    assert again.meta["trained_at"] == meta["trained_at"]  # the same file, not a retrain


def test_it_retrains_when_the_decisions_change(world, decided, tmp_path):
    root = copy_world(Path(decided).parent, tmp_path)
    before = current(root)
    # an appeal overturns one decision against: one label changes, the count does not
    with Store(root, Clock()) as store:
        case = store.con.execute(
            "SELECT c.id FROM cases c JOIN decisions d ON d.case_id = c.id "
            "WHERE d.action != 'dismiss' AND c.status = 'decided' ORDER BY c.id LIMIT 1"
        ).fetchone()[0]
        store.appeal(MONA, case, "we had consent")
        store.decide_appeal(MO, case, True, "consent shown")
    after = current(root)
    assert after.meta["fingerprint"] != before.meta["fingerprint"]
    assert (after.meta["against"], after.meta["dismissed"]) == (
        before.meta["against"] - 1,
        before.meta["dismissed"] + 1,
    )
    # one more decision: a new case decided on the data's last day
    wh = open_current(root)
    last = wh.date_range()[1]
    wh.close()
    with Store(root, Clock()) as store:
        unknown = pl.DataFrame([{"business_id": "b_never_seen", "risk_score": 50.0, "reasons": "r"}])
        store.sync(MONA, unknown, last)
        (case,) = store.cases(("open",), business_id="b_never_seen")
        store.decide(MONA, case["id"], "dismiss", None, "", last)
    newer = current(root)
    assert newer.meta["cases"] == after.meta["cases"] + 1
    assert newer.meta["skipped"] == after.meta["skipped"] + 1  # no signals for a business not in the data
    assert newer.decisions == after.decisions


def test_a_model_of_other_features_is_discarded(decided, tmp_path):
    root = copy_world(Path(decided).parent, tmp_path)
    current(root)
    path = learning.model_path(root)
    payload = joblib.load(path)
    payload["meta"]["features"] = ["report_rate", "block_rate"]
    joblib.dump(payload, path)
    assert learning.load(root) is None and not path.exists()
    ranker = current(root)
    assert ranker.features == risk.FEATURES
    assert joblib.load(path)["meta"]["features"] == list(risk.FEATURES)
    path.write_bytes(b"not a model")  # a damaged file is retrained, never trusted
    assert current(root).features == risk.FEATURES


def test_a_decided_business_absent_from_the_queue_gets_its_best_day_or_is_skipped(world, fresh):
    wh = open_current(fresh)
    try:
        first, last = wh.date_range()
        settings = Settings.load(fresh)
        flagged = set(risk.queue(wh, last, None, settings).table["business_id"])
        rows = risk.signals(wh, last, settings.risk_lookback_days, settings)
        quiet = sorted(set(rows["business_id"]) - flagged)[0]
        labelled = pl.DataFrame(
            [
                {"case_id": 1, "business_id": sorted(flagged)[0], "decided_as_of": last, "against": 1},
                {"case_id": 2, "business_id": quiet, "decided_as_of": last, "against": 0},
                {"case_id": 3, "business_id": "b_not_in_the_data", "decided_as_of": last, "against": 0},
            ]
        ).cast({"decided_as_of": pl.Date})
        ex = learning.examples(wh, labelled, settings)
    finally:
        wh.close()
    assert (ex.skipped, ex.from_signals) == (1, 1)
    assert dict(zip(ex.frame["case_id"], ex.frame["source"])) == {1: "queue", 2: "signals"}
    # its riskiest day: with enough data first, then the highest score, then the latest
    best = max(
        rows.filter(pl.col("business_id") == quiet).iter_rows(named=True),
        key=lambda r: (bool(r["enough_data"]), r["risk_score"] or 0.0, r["day"]),
    )
    got = ex.frame.filter(pl.col("case_id") == 2).row(0, named=True)
    assert all((got[f] or 0) == pytest.approx(best[f] or 0) for f in risk.FEATURES)


# --------------------------------------------------------------------------- the ranker on a hand-made table


def hand_ranker(n: int = 20) -> learning.Ranker:
    """A ranker fitted on examples where only the first feature tells the classes apart."""
    f0 = risk.FEATURES[0]
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        bad = i % 2
        rows.append(
            {
                "case_id": i,
                "business_id": f"h{i}",
                "against": bad,
                **{f: 0.0 for f in risk.FEATURES},
                f0: (5.0 if bad else 0.2) + rng.random(),
            }
        )
    return learning.fit(pl.DataFrame(rows))


def test_rerank_orders_by_probability_then_rule_score_then_business():
    ranker = hand_ranker()
    f0 = risk.FEATURES[0]
    base = {f: 0.0 for f in risk.FEATURES}
    table = pl.DataFrame(
        [
            {"rank": 1, "business_id": "z", "risk_score": 90.0, "reasons": "rules z", **base, f0: 0.1},
            {"rank": 2, "business_id": "b", "risk_score": 50.0, "reasons": "rules b", **base, f0: 6.0},
            {"rank": 3, "business_id": "a", "risk_score": 50.0, "reasons": "rules a", **base, f0: 6.0},
            {"rank": 4, "business_id": "c", "risk_score": 60.0, "reasons": "rules c", **base, f0: 6.0},
        ]
    )
    out = ranker.rerank(table)
    assert out["business_id"].to_list() == ["c", "a", "b", "z"]  # equal probability: rule score, then id
    assert out["rank"].to_list() == [1, 2, 3, 4]
    assert out["rule_score"].to_list() == [60.0, 50.0, 50.0, 90.0]
    assert out["risk_score"][0] > 50 > out["risk_score"][3]
    words = learning.words(f0)
    assert out["reasons"][0] == f"Model (trained on 20 decisions): driven by {words}; rules c"
    assert out["reasons"][3].startswith("Model (trained on 20 decisions): no feature stands out")
    assert ranker.rerank(table.head(0)).columns == out.columns
    assert learning.ranked(table, None)["score_source"].to_list() == ["rules"] * 4


def test_a_feature_without_words_reads_as_its_column():
    assert learning.words("some_new_signal") == "some_new_signal"
    assert learning.words("history_change") != "history_change"


# --------------------------------------------------------------------------- the command


def test_the_train_command(world, decided, fresh):
    done = td(decided, "train")
    assert done.returncode == 0, done.stderr
    with Store(decided) as store:
        n = learning.labels(store).height
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"trained on {n:,} decisions: ")
    (auc,) = [line.split(": ")[1] for line in lines if line.startswith("cross-validated AUC (folds by business): ")]
    assert 0.5 <= float(auc) <= 1.0
    coefs = [line for line in lines if line.startswith("  ")]
    assert 1 <= len(coefs) <= 5 and all(line.strip().split(" ")[0] in risk.FEATURES for line in coefs)
    assert learning.model_path(decided).is_file()

    none = td(fresh, "train")
    assert none.returncode == 0, none.stderr
    assert none.stdout.strip() == (
        "not trained: the model needs 30 more decisions (5 more decided against and 5 more dismissed): it learns "
        "from 30 decided cases (setting learn_min_decisions) with at least 5 decided against and 5 dismissed, "
        "and there are 0 (0 against, 0 dismissed)"
    )
    empty = td(fresh.parent / "nothing", "train")
    assert empty.returncode == 1
    assert empty.stderr.startswith("trustdesk: no data in ") and "Traceback" not in empty.stderr


def test_every_feature_has_words():
    from trustdesk.moderation import learning, risk

    assert set(risk.FEATURES) <= set(learning.FEATURE_WORDS)
