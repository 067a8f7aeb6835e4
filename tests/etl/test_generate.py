"""The synthetic world: format contract, determinism, referential integrity and planted signals."""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from etl.contract import KINDS
from etl.synth import BAD_ARCHETYPES, HARD_NEGATIVES, OUTPUT_FILES, generate_world

SEED = 7
START = dt.date(2026, 9, 1)
DAYS = 21
MESSAGES = 60_000
BUSINESSES = 100
SMALL = dict(seed=SEED, businesses=BUSINESSES, days=DAYS, messages=MESSAGES, start=START)

TIME_COLUMNS = {
    "messages": "sent_at",
    "reports": "reported_at",
    "blocks": "blocked_at",
    "opt_outs": "changed_at",
    "ad_events": "occurred_at",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[Path, dict[str, int], list[tuple[int, int]]]:
    out = tmp_path_factory.mktemp("world")
    calls: list[tuple[int, int]] = []
    counts = generate_world(out, progress=lambda done, total: calls.append((done, total)), **SMALL)
    return out, counts, calls


def read(out: Path, name: str) -> pl.DataFrame:
    # every column as text, empty fields as null: what the files say, not what a parser guesses
    return pl.read_csv(out / f"{name}.csv", infer_schema=False)


@pytest.fixture(scope="module")
def frames(world) -> dict[str, pl.DataFrame]:
    out = world[0]
    return {name: read(out, name) for name in OUTPUT_FILES}


def test_same_arguments_give_identical_bytes(world, tmp_path):
    generate_world(tmp_path, **SMALL)
    for name in OUTPUT_FILES:
        again = (tmp_path / f"{name}.csv").read_bytes()
        assert again == (world[0] / f"{name}.csv").read_bytes(), name


def test_bytes_do_not_depend_on_hash_seed_or_threads(tmp_path):
    # Python's string hashing and polars' thread count change per process: run two processes
    script = (
        "import sys, datetime as dt; from pathlib import Path; from etl.synth import generate_world;"
        "generate_world(Path(sys.argv[1]), seed=3, businesses=400, days=5, messages=20_000,"
        " start=dt.date(2026, 9, 1))"
    )
    root = Path(__file__).resolve().parents[2]
    for n, (hash_seed, threads) in enumerate((("1", "1"), ("2", "2"))):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "POLARS_MAX_THREADS": threads}
        subprocess.run([sys.executable, "-c", script, str(tmp_path / str(n))], cwd=root, env=env, check=True)
    for name in OUTPUT_FILES:
        assert (tmp_path / "0" / f"{name}.csv").read_bytes() == (tmp_path / "1" / f"{name}.csv").read_bytes(), name


def test_another_seed_gives_another_world(world, tmp_path):
    generate_world(tmp_path, **{**SMALL, "seed": SEED + 1})
    for name in ("businesses", "messages", "blocks", "ad_events"):
        other = (tmp_path / f"{name}.csv").read_bytes()
        assert other != (world[0] / f"{name}.csv").read_bytes(), name


@pytest.mark.parametrize("name", OUTPUT_FILES)
def test_header_is_the_contract(world, name):
    header = (world[0] / f"{name}.csv").open("rb").readline()
    expected = ("business_id", "archetype") if name == "truth" else KINDS[name].names
    assert header == (",".join(expected) + "\n").encode()


@pytest.mark.parametrize("name", OUTPUT_FILES)
def test_files_are_utf8_lf_rfc4180(world, name):
    raw = (world[0] / f"{name}.csv").read_bytes()
    assert b"\r" not in raw
    text = raw.decode("utf-8")
    rows = list(csv.reader(text.splitlines(keepends=True)))
    width = len(rows[0])
    assert all(len(r) == width for r in rows)


def test_returned_counts_are_the_rows_written(world, frames):
    _, counts, _ = world
    assert set(counts) == set(OUTPUT_FILES)
    for name in OUTPUT_FILES:
        assert counts[name] == frames[name].height, name


def test_message_count_is_close_to_requested(world):
    assert abs(world[1]["messages"] - MESSAGES) <= 0.01 * MESSAGES


def test_progress_reports_messages_and_ends_complete(world):
    _, counts, calls = world
    assert calls
    assert calls[-1] == (counts["messages"], counts["messages"])
    done = [d for d, _ in calls]
    assert done == sorted(done)


def test_ids_are_unique(frames):
    for name, kind in KINDS.items():
        df = frames[name]
        assert df[kind.key].n_unique() == df.height, name


def test_every_event_names_a_known_business_or_campaign(frames):
    businesses = set(frames["businesses"]["business_id"])
    for name in ("messages", "reports", "blocks", "opt_outs", "ad_campaigns", "truth"):
        assert set(frames[name]["business_id"]) <= businesses, name
    assert set(frames["ad_events"]["campaign_id"]) <= set(frames["ad_campaigns"]["campaign_id"])
    reported = frames["reports"]["message_id"].drop_nulls()
    assert set(reported) <= set(frames["messages"]["message_id"])
    assert frames["reports"]["message_id"].null_count() < 0.5 * frames["reports"].height


def test_direction_decides_category_and_status(frames):
    m = frames["messages"]
    inbound = m.filter(pl.col("direction") == "inbound")
    outbound = m.filter(pl.col("direction") == "outbound")
    assert inbound.height > 0 and outbound.height > 0
    nulls = inbound.select(pl.col("category", "status", "template").null_count()).row(0)
    assert nulls == (inbound.height,) * 3
    assert outbound["category"].null_count() == 0
    assert outbound["status"].null_count() == 0
    service = outbound.filter(pl.col("category") == "service")
    assert service["template"].null_count() == service.height
    assert m["text"].null_count() == 0


def test_enums_and_countries_follow_the_contract(frames):
    for name, kind in KINDS.items():
        df = frames[name]
        for col in kind.columns:
            values = set(df[col.name].drop_nulls())
            if col.type == "enum":
                assert values <= set(col.values), (name, col.name)
            elif col.type == "country":
                assert all(len(v) == 2 and v.isupper() for v in values), (name, col.name)
    statuses = frames["messages"]["status"].value_counts()
    failed = statuses.filter(pl.col("status") == "failed")["count"].sum()
    assert 0.005 < failed / outbound_count(frames) < 0.06


def outbound_count(frames) -> int:
    return frames["messages"].filter(pl.col("direction") == "outbound").height


def test_every_timestamp_is_inside_the_period(frames):
    lo = dt.datetime(START.year, START.month, START.day)
    hi = lo + dt.timedelta(days=DAYS)
    for name, col in TIME_COLUMNS.items():
        ts = frames[name][col]
        assert ts.str.len_chars().eq(20).all() and ts.str.ends_with("Z").all(), name
        parsed = ts.str.strptime(pl.Datetime, "%Y-%m-%dT%H:%M:%SZ")
        assert parsed.min() >= lo and parsed.max() < hi, name


def test_daily_rhythm_has_quiet_nights(frames):
    m = frames["messages"].filter(pl.col("user_country") == "IN")
    hours = m["sent_at"].str.slice(11, 2).cast(pl.Int32)
    # India is UTC+5:30: 21-23 UTC is its night, 05-08 UTC its working morning
    night = hours.is_in([21, 22, 23]).sum()
    day = hours.is_in([5, 6, 7]).sum()
    assert night * 3 < day


def test_ad_events_stay_inside_their_campaign(frames):
    ev = frames["ad_events"].join(frames["ad_campaigns"], on="campaign_id")
    day = ev["occurred_at"].str.slice(0, 10)
    assert ((day >= ev["starts_on"]) & (day <= ev["ends_on"])).all()
    counts = ev["event"].value_counts()
    imps = counts.filter(pl.col("event") == "impression")["count"].sum()
    clicks = counts.filter(pl.col("event") == "click")["count"].sum()
    assert 0.005 < clicks / imps < 0.04
    reach = (
        ev.filter(pl.col("event") == "impression")
        .group_by("campaign_id")
        .agg(freq=pl.len() / pl.col("user_id").n_unique(), n=pl.len())
    )
    assert reach.filter(pl.col("n") > 200)["freq"].median() > 1.3
    assert 0.05 < ev.height / frames["messages"].height < 0.3


def test_feedback_comes_from_users_the_business_reached(frames):
    out = (
        frames["messages"]
        .filter(pl.col("direction") == "outbound")
        .group_by("business_id", "user_id")
        .agg(first=pl.col("sent_at").min())
    )
    for name in ("reports", "blocks", "opt_outs"):
        df = frames[name]
        joined = df.join(out, on=["business_id", "user_id"], how="left")
        assert joined["first"].null_count() == 0, name
        assert (joined["first"] <= joined[TIME_COLUMNS[name]]).all(), name


def test_truth_lists_every_planted_archetype(frames):
    archetypes = set(frames["truth"]["archetype"])
    assert set(BAD_ARCHETYPES) | set(HARD_NEGATIVES) <= archetypes


def block_rates(frames) -> pl.DataFrame:
    m = frames["messages"]
    delivered = m.filter((pl.col("direction") == "outbound") & (pl.col("status") != "failed"))
    reached = delivered.group_by("business_id").agg(reached=pl.col("user_id").n_unique(), messages=pl.len())
    blockers = frames["blocks"].group_by("business_id").agg(blockers=pl.col("user_id").n_unique())
    return (
        reached.join(blockers, on="business_id", how="left")
        .join(frames["truth"], on="business_id", how="left")
        .with_columns(pl.col("blockers").fill_null(0), pl.col("archetype").fill_null("normal"))
        .with_columns(rate=pl.col("blockers") / pl.col("reached"))
    )


# the caricatures; the subtle ones (subtle spammers, rings, takeovers) are tests/etl/test_archetypes.py's
BLATANT = ("spammer", "scammer", "election_spammer")


def test_spammers_block_rate_is_far_above_normal(frames):
    rates = block_rates(frames)
    normal = rates.filter((pl.col("archetype") == "normal") & (pl.col("reached") >= 50))
    bad = rates.filter(pl.col("archetype").is_in(BLATANT))
    assert bad["rate"].min() > 0.04
    assert bad["rate"].min() > 5 * max(normal["rate"].median(), 0.002)
    assert normal["rate"].median() < 0.02


def test_hard_negatives_look_like_their_archetype(frames):
    rates = block_rates(frames)
    large = rates.filter(pl.col("archetype") == "large_legit")
    normal = rates.filter(pl.col("archetype") == "normal")
    assert large["messages"].min() > normal["messages"].max()
    assert large["rate"].max() < 0.01
    new = rates.filter(pl.col("archetype") == "new_business")
    assert (new["reached"] < 50).all()
    created = (
        frames["businesses"]
        .join(frames["truth"], on="business_id")
        .filter(pl.col("archetype") == "new_business")["created_at"]
    )
    assert (created >= (START + dt.timedelta(days=DAYS - 7)).isoformat()).all()


def test_spammers_write_cold_and_normal_businesses_warm(frames):
    m = frames["messages"]
    first_in = (
        m.filter(pl.col("direction") == "inbound")
        .group_by("business_id", "user_id")
        .agg(first_in=pl.col("sent_at").min())
    )
    marketing = m.filter((pl.col("direction") == "outbound") & (pl.col("category") == "marketing"))
    cold = (
        marketing.join(first_in, on=["business_id", "user_id"], how="left")
        .join(frames["truth"], on="business_id", how="left")
        .with_columns(
            pl.col("archetype").fill_null("normal"),
            cold=pl.col("first_in").is_null() | (pl.col("first_in") >= pl.col("sent_at")),
        )
        .group_by("archetype")
        .agg(share=pl.col("cold").mean())
    )
    share = dict(cold.iter_rows())
    assert share["spammer"] > 0.9
    assert share["normal"] < 0.15
    assert share.get("large_legit", 0.0) < 0.01


def test_election_spammer_bursts_into_one_country(frames):
    truth = frames["truth"].filter(pl.col("archetype") == "election_spammer")
    m = frames["messages"].filter(
        pl.col("business_id").is_in(truth["business_id"].implode()) & (pl.col("category") == "marketing")
    )
    for (bid,), g in m.group_by("business_id"):
        days = g["sent_at"].str.slice(0, 10).n_unique()
        assert days <= 5, bid
        top = g["user_country"].value_counts().sort("count", descending=True)["count"][0]
        assert top / g.height > 0.97, bid


def test_a_few_users_change_country(frames):
    m = frames["messages"]
    movers = m.group_by("user_id").agg(n=pl.col("user_country").n_unique()).filter(pl.col("n") > 1)
    users = m["user_id"].n_unique()
    assert 0 < movers.height < 0.02 * users


def test_business_names_are_localised_and_sometimes_need_quoting(world, frames):
    names = frames["businesses"]["name"]
    assert names.null_count() == 0
    assert any("," in n or '"' in n for n in names)
    assert any(not n.isascii() for n in names)
    raw = (world[0] / "businesses.csv").read_text(encoding="utf-8")
    assert '""' in raw
