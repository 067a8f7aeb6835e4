"""The independent abuse world (bench/abuse_world.py) and the detection benchmark over it
(bench/detection.py): the files load whole, the planted archetypes are there in the promised numbers
and look the way the writer says, its knobs change the world, and the benchmark prints a row per world."""

from __future__ import annotations

import difflib
import re
from itertools import combinations

import polars as pl
import pytest

from bench import abuse_world, detection
from bench.abuse_world import ARCHETYPES, BAD, HARD_NEGATIVES, planned, write_world
from etl.ingest.load import load_files
from tests.worlds import log_files

ISO = "%Y-%m-%dT%H:%M:%SZ"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A default-size independent world: its logs, what write_world returned, and the load results."""
    base = tmp_path_factory.mktemp("abuse")
    info = write_world(base / "w", seed=7)
    results = load_files(base / "data", log_files(base / "w"), user="test")
    return base / "w", info, results


def _read(logs, kind):
    return pl.read_csv(logs / f"{kind}.csv", infer_schema=False)


@pytest.fixture(scope="module")
def per_business(world):
    """Per business from the logs themselves: archetype, category, reached users, blocking users."""
    logs, _, _ = world
    m = _read(logs, "messages")
    truth = _read(logs, "truth")
    reached = (
        m.filter((pl.col("direction") == "outbound") & (pl.col("status") != "failed"))
        .group_by("business_id")
        .agg(pl.col("user_id").n_unique().alias("reached"))
    )
    blocking = _read(logs, "blocks").group_by("business_id").agg(pl.col("user_id").n_unique().alias("blocking"))
    return (
        _read(logs, "businesses")
        .join(truth, on="business_id", how="left")
        .with_columns(pl.col("archetype").fill_null("normal"))
        .join(reached, on="business_id", how="left")
        .join(blocking, on="business_id", how="left")
        .with_columns(pl.col("reached").fill_null(0), pl.col("blocking").fill_null(0))
    )


def test_files_load_whole_with_nothing_quarantined(world):
    logs, info, results = world
    assert sorted(r.kind for r in results) == ["blocks", "businesses", "messages", "opt_outs", "reports"]
    for r in results:
        assert (r.status, r.quarantined, r.duplicates, r.unknown_columns) == ("loaded", 0, 0, []), r
        assert r.loaded == r.rows_read == info["rows"][r.kind] > 0
    assert 300_000 <= info["rows"]["messages"] <= 800_000
    assert info["rows"]["businesses"] == 400


def test_ids_follow_the_format_and_reports_name_their_message(world):
    logs, _, _ = world
    businesses = _read(logs, "businesses")
    assert businesses["business_id"].str.contains(r"^biz-\d{4}$").all()
    m = _read(logs, "messages").select("message_id", "sent_at", "business_id", "user_id")
    assert m["message_id"].n_unique() == m.height
    reports = _read(logs, "reports")
    named = reports.filter(pl.col("message_id").is_not_null())
    assert named.height >= 0.8 * reports.height
    m = m.rename({"sent_at": "sent_at_m", "business_id": "business_id_m", "user_id": "user_id_m"})
    joined = named.join(m, on="message_id", how="left")
    # the reported message exists, was sent by that business to that user, a little before the report
    assert joined["sent_at_m"].null_count() == 0
    assert (joined["business_id"] == joined["business_id_m"]).all()
    assert (joined["user_id"] == joined["user_id_m"]).all()
    delay = joined.select(
        (pl.col("reported_at").str.to_datetime(ISO) - pl.col("sent_at_m").str.to_datetime(ISO)).dt.total_seconds()
    ).to_series()
    assert delay.min() > 0 and delay.median() < 2 * 3600


def test_truth_has_every_archetype_in_the_promised_numbers(world):
    logs, info, _ = world
    truth = _read(logs, "truth")
    assert truth.columns == ["business_id", "archetype"]
    counts = dict(truth.group_by("archetype").len().iter_rows())
    promised = planned(400) | {"coordinated_ring": sum(len(r) for r in info["rings"])}
    assert counts == promised
    assert promised == {
        "subtle_spammer": 8,
        "account_takeover": 4,
        "election_spammer": 3,
        "scammer": 4,
        **{h: 3 for h in HARD_NEGATIVES},
        "coordinated_ring": promised["coordinated_ring"],
    }
    assert len(info["rings"]) == 2 and all(3 <= len(r) <= 8 for r in info["rings"])
    assert set(truth["business_id"]) <= set(_read(logs, "businesses")["business_id"])
    assert set(ARCHETYPES) == set(BAD) | set(HARD_NEGATIVES) == set(counts)


def test_subtle_spammers_block_a_few_times_their_categorys_typical_rate(per_business):
    normal = per_business.filter(pl.col("archetype") == "normal")
    typical = dict(
        normal.group_by("category").agg((pl.col("blocking").sum() / pl.col("reached").sum()).alias("r")).iter_rows()
    )
    subtle = per_business.filter(pl.col("archetype") == "subtle_spammer")
    ratios = [b / r / typical[c] for c, b, r in subtle.select("category", "blocking", "reached").iter_rows()]
    assert len(ratios) == 8
    assert 1.5 <= sorted(ratios)[len(ratios) // 2] <= 5, ratios
    assert all(1.0 <= x <= 8 for x in ratios), ratios
    # and they reach users who never wrote to them: most of their outbound goes cold
    scammers = per_business.filter(pl.col("archetype") == "scammer")
    assert (scammers["blocking"] / scammers["reached"]).min() > 3 * max(typical.values())


def _normalised(text: str) -> str:
    """A text without its per-message number (the words around it, and a number inside a word, stay)."""
    return re.sub(r"(?<=\s)\d+", "#", text)


def test_ring_members_share_template_names_texts_and_recipients(world):
    logs, info, _ = world
    out = _read(logs, "messages").filter(pl.col("direction") == "outbound")
    ring_ids = {b for ring in info["rings"] for b in ring}
    for ring in info["rings"]:
        mine = out.filter(pl.col("business_id").is_in(ring) & pl.col("template").is_not_null())
        names = {b: set(mine.filter(pl.col("business_id") == b)["template"]) for b in ring}
        assert len({frozenset(v) for v in names.values()}) == 1, names
        shared = next(iter(names.values()))
        # nobody outside the rings sends those template names
        others = out.filter(~pl.col("business_id").is_in(list(ring_ids)) & pl.col("template").is_in(list(shared)))
        assert others.is_empty()
        for name in shared:
            texts = {
                b: {
                    _normalised(t)
                    for t in mine.filter((pl.col("business_id") == b) & (pl.col("template") == name))["text"]
                }
                for b in ring
            }
            assert all(len(v) == 1 for v in texts.values()), texts
            variants = [next(iter(v)) for v in texts.values()]
            for a, b in combinations(variants, 2):
                assert a != b and difflib.SequenceMatcher(None, a, b).ratio() >= 0.8, (a, b)
        reached = {b: set(out.filter(pl.col("business_id") == b)["user_id"]) for b in ring}
        for a, b in combinations(ring, 2):
            assert len(reached[a] & reached[b]) / len(reached[a] | reached[b]) >= 0.25
    # accounts of a ring were created within days of each other
    businesses = _read(logs, "businesses").with_columns(pl.col("created_at").str.to_datetime(ISO))
    for ring in info["rings"]:
        created = businesses.filter(pl.col("business_id").is_in(ring))["created_at"]
        assert (created.max() - created.min()).days <= 3


def test_takeovers_turn_bad_against_their_own_history(world):
    logs, info, _ = world
    m = (
        _read(logs, "messages")
        .filter(pl.col("direction") == "outbound")
        .with_columns(pl.col("sent_at").str.slice(0, 10))
    )
    reports = _read(logs, "reports").with_columns(pl.col("reported_at").str.slice(0, 10))
    businesses = _read(logs, "businesses")
    assert len(info["takeover_from"]) == 4
    for biz, first in info["takeover_from"].items():
        sent = m.filter(pl.col("business_id") == biz)
        rep = reports.filter(pl.col("business_id") == biz)
        before_days = sent.filter(pl.col("sent_at") < first)["sent_at"].n_unique()
        assert before_days >= 45
        created = businesses.filter(pl.col("business_id") == biz)["created_at"][0]
        assert created[:4] <= str(int(info["period"][0][:4]) - 1)
        n_before = sent.filter(pl.col("sent_at") < first).height
        n_after = sent.filter(pl.col("sent_at") >= first).height
        r_before = rep.filter(pl.col("reported_at") < first).height / n_before
        r_after_df = rep.filter(pl.col("reported_at") >= first)
        r_after = r_after_df.height / n_after
        assert r_after >= 10 * max(r_before, 0.001), (biz, r_before, r_after)
        assert (r_after_df["reason"] == "scam").mean() >= 0.5


def _subtle_block_rate(logs) -> float:
    truth = _read(logs, "truth").filter(pl.col("archetype") == "subtle_spammer")["business_id"].to_list()
    m = _read(logs, "messages").filter(
        pl.col("business_id").is_in(truth) & (pl.col("direction") == "outbound") & (pl.col("status") != "failed")
    )
    blocks = _read(logs, "blocks").filter(pl.col("business_id").is_in(truth))
    return blocks.height / m.select("business_id", "user_id").unique().height


def test_the_knobs_change_the_world_and_a_seed_fixes_it(tmp_path):
    small = dict(businesses=120, days=30, users=20_000)
    low = write_world(tmp_path / "low", seed=3, mult=(2.0, 2.0), **small)
    high = write_world(tmp_path / "high", seed=3, mult=(4.0, 4.0), **small)
    assert 1.4 <= _subtle_block_rate(tmp_path / "high") / _subtle_block_rate(tmp_path / "low") <= 3.0
    assert low["rows"]["messages"] == high["rows"]["messages"]
    rings = write_world(tmp_path / "rings", seed=3, ring_size=(5, 5), rings=3, **small)
    assert [len(r) for r in rings["rings"]] == [5, 5, 5]
    assert len(rings["archetypes"]["coordinated_ring"]) == 15
    assert sum(len(r) for r in low["rings"]) == len(low["archetypes"]["coordinated_ring"])
    again = write_world(tmp_path / "again", seed=3, mult=(2.0, 2.0), **small)
    assert again == low
    for kind in abuse_world.FILES:
        assert (tmp_path / "again" / f"{kind}.csv").read_bytes() == (tmp_path / "low" / f"{kind}.csv").read_bytes()
    other = write_world(tmp_path / "other", seed=4, mult=(2.0, 2.0), **small)
    assert (tmp_path / "other" / "messages.csv").read_bytes() != (tmp_path / "low" / "messages.csv").read_bytes()
    assert other["archetypes"] != low["archetypes"]


def test_bad_sizes_are_refused_in_one_sentence(tmp_path):
    with pytest.raises(ValueError, match="at least 50 businesses"):
        write_world(tmp_path, seed=1, businesses=10)
    with pytest.raises(ValueError, match="ring_size"):
        write_world(tmp_path, seed=1, ring_size=(5, 3))


def test_detection_run_prints_a_row_per_world(tmp_path):
    specs, _notes = detection.grid(quick=True)
    lines: list[str] = []
    outcomes = detection.run(lines, quick=True, out=tmp_path)
    assert lines[0] == detection.HEADING
    header = next(i for i, line in enumerate(lines) if line.startswith("| world | k | precision@k | recall@k"))
    rows = [line for line in lines[header + 2 :] if line.startswith("| ")]
    assert [r.split(" | ")[0].removeprefix("| ") for r in rows] == [s.label for s in specs]
    assert {s.source for s in specs} == {"synth", "independent"}
    for line, o in zip(rows, outcomes):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert len(cells) == 7
        assert int(cells[1]) == o.k > 0
        assert 0.0 <= float(cells[2]) <= 1.0 and 0.0 <= float(cells[3]) <= 1.0
        assert "subtle_spammer" in cells[5] and "large_legit" in cells[6]
        assert (o.quarantined, o.rejected) == (0, [])
    assert any(line.startswith("**") and "worlds meet precision >= 0.95" in line for line in lines)
    failing = [o for o in outcomes if not o.meets]
    assert sum(line.startswith("- ") and "precision" in line for line in lines) == len(failing)
