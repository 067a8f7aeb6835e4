"""The planted archetypes as the written CSV files show them: counts, subtle spammers at a few times
their category's rates, rings that share templates, texts and recipients, takeovers that turn in
their last days, and hard negatives that look bad on one signal only; and the `Abuse` knobs."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import polars as pl
import pytest

from etl.synth import BAD_ARCHETYPES, HARD_NEGATIVES, Abuse, generate_world

START = dt.date(2026, 9, 1)
DAYS = 45
BUSINESSES = 300
# enough messages per business that a median business's block rate is measurable
WORLD = dict(seed=11, businesses=BUSINESSES, days=DAYS, messages=1_200_000, start=START)
SHARES = {
    "spammer": 0.015,
    "subtle_spammer": 0.03,
    "scammer": 0.01,
    "election_spammer": 0.01,
    "account_takeover": 0.015,
    "large_legit": 0.01,
    "new_business": 0.02,
    "seasonal_promo": 0.02,
    "growing_business": 0.01,
    "transactional_sender": 0.01,
}


def read(out: Path) -> dict[str, pl.DataFrame]:
    names = ("businesses", "messages", "reports", "blocks", "opt_outs", "truth")
    return {n: pl.read_csv(out / f"{n}.csv", infer_schema=False) for n in names}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, pl.DataFrame]:
    out = tmp_path_factory.mktemp("archetypes")
    generate_world(out, **WORLD)
    return read(out)


@pytest.fixture(scope="module")
def cold(world) -> pl.DataFrame:
    return with_cold(world)


@pytest.fixture(scope="module")
def rates(world) -> pl.DataFrame:
    return business_rates(world)


def ids(frames, archetype: str) -> list[str]:
    return sorted(frames["truth"].filter(pl.col("archetype") == archetype)["business_id"])


def outbound(frames) -> pl.DataFrame:
    return frames["messages"].filter(pl.col("direction") == "outbound")


def with_cold(frames) -> pl.DataFrame:
    """Outbound messages, with `cold`: the user had not written to the business before."""
    m = frames["messages"]
    first_in = (
        m.filter(pl.col("direction") == "inbound")
        .group_by("business_id", "user_id")
        .agg(first_in=pl.col("sent_at").min())
    )
    return (
        outbound(frames)
        .join(first_in, on=["business_id", "user_id"], how="left")
        .with_columns(cold=pl.col("first_in").is_null() | (pl.col("first_in") >= pl.col("sent_at")))
    )


def business_rates(frames) -> pl.DataFrame:
    """Per business: reached users, blocking users, reports per 1000 delivered, as docs/metrics.md."""
    delivered = outbound(frames).filter(pl.col("status") != "failed")
    return (
        delivered.group_by("business_id")
        .agg(reached=pl.col("user_id").n_unique(), delivered=pl.len())
        .join(
            frames["blocks"].group_by("business_id").agg(blockers=pl.col("user_id").n_unique()),
            on="business_id",
            how="left",
        )
        .join(frames["reports"].group_by("business_id").agg(reports=pl.len()), on="business_id", how="left")
        .join(frames["businesses"].select("business_id", "category", "country", "created_at"), on="business_id")
        .join(frames["truth"], on="business_id", how="left")
        .with_columns(pl.col("blockers", "reports").fill_null(0), pl.col("archetype").fill_null("normal"))
        .with_columns(
            block_rate=pl.col("blockers") / pl.col("reached"),
            report_rate=1000 * pl.col("reports") / pl.col("delivered"),
        )
    )


def category_median(rates: pl.DataFrame) -> dict[str, float]:
    """The median normal business's block rate per category. A normal business has a few blockers
    at best, so only those with 300+ reached users count (their rate is not mostly noise)."""
    normal = rates.filter((pl.col("archetype") == "normal") & (pl.col("reached") >= 300))
    return dict(normal.group_by("category").agg(pl.col("block_rate").median()).iter_rows())


def subtle_ratios(rates: pl.DataFrame) -> pl.DataFrame:
    med = category_median(rates)
    subtle = rates.filter(pl.col("archetype") == "subtle_spammer")
    return subtle.with_columns(ratio=pl.col("block_rate") / pl.col("category").replace_strict(med, default=None))


def shared_share(a: set, b: set) -> float:
    """Shared recipients as a share of the smaller recipient set."""
    return len(a & b) / max(1, min(len(a), len(b)))


def rings(frames) -> list[tuple[str, ...]]:
    """Ring members grouped by the template names only their ring uses."""
    members = set(ids(frames, "coordinated_ring"))
    out = outbound(frames).filter(pl.col("template").is_not_null())
    others = set(out.filter(~pl.col("business_id").is_in(list(members)))["template"])
    own = out.filter(pl.col("business_id").is_in(list(members)) & ~pl.col("template").is_in(list(others)))
    groups = own.group_by("template").agg(pl.col("business_id").unique().sort())
    return sorted({tuple(g) for g in groups["business_id"].to_list()})


# ----------------------------------------------------------------------------- counts


def test_every_archetype_is_planted_in_its_promised_numbers(world):
    counts = dict(world["truth"]["archetype"].value_counts().iter_rows())
    assert set(counts) == set(BAD_ARCHETYPES) | set(HARD_NEGATIVES)
    for name, share in SHARES.items():
        assert counts[name] == max(round(share * BUSINESSES), 2 if name == "subtle_spammer" else 1), name
    found = rings(world)
    assert 1 <= len(found) <= 2
    assert all(3 <= len(r) <= 8 for r in found)
    assert sum(len(r) for r in found) == counts["coordinated_ring"]
    assert world["truth"]["business_id"].n_unique() == world["truth"].height


def test_small_worlds_plant_at_least_the_minimum(tmp_path):
    generate_world(tmp_path, seed=2, businesses=60, days=14, messages=30_000, start=START)
    counts = dict(pl.read_csv(tmp_path / "truth.csv")["archetype"].value_counts().iter_rows())
    assert counts["subtle_spammer"] == 2
    assert all(counts[name] >= 1 for name in SHARES)
    assert counts["coordinated_ring"] >= 3  # one ring of 3-8


# ----------------------------------------------------------------------------- bad actors


def test_subtle_spammers_sit_a_few_times_above_their_category(rates):
    ratios = subtle_ratios(rates)
    assert ratios.height == 9 and ratios["ratio"].null_count() == 0
    # 2-4x planted. A category's median normal business is known to about +-50% here (each has a
    # few blockers), so the claim is the group's: its median, and no caricature among them
    assert 1.5 <= ratios["ratio"].median() <= 6
    assert (ratios["ratio"] >= 1.0).mean() >= 2 / 3
    spammers = rates.filter(pl.col("archetype") == "spammer")
    assert ratios["block_rate"].max() < 0.6 * spammers["block_rate"].min()


def test_subtle_spammers_write_cold_to_their_country_with_ordinary_templates(world, cold):
    subtle = ids(world, "subtle_spammer")
    m = cold.filter(pl.col("business_id").is_in(subtle))
    per = m.group_by("business_id").agg(
        cold=pl.col("cold").mean(), marketing=(pl.col("category") == "marketing").mean(), n=pl.len()
    )
    assert (per["cold"] > 0.6).all() and (per["marketing"] > 0.5).all()
    # a median-sized business, not a tiny or huge one
    sizes = world["messages"].group_by("business_id").agg(n=pl.len())
    normal = sizes.join(world["truth"], on="business_id", how="anti")["n"].median()
    assert 0.4 * normal < per["n"].median() < 3 * normal
    # the templates of ordinary businesses of its category, to users of its own country
    normal_templates = set(outbound(world).join(world["truth"], on="business_id", how="anti")["template"].drop_nulls())
    assert set(m["template"].drop_nulls()) <= normal_templates
    country = dict(world["businesses"].select("business_id", "country").iter_rows())
    home = m.filter(pl.col("cold")).with_columns(
        home=pl.col("business_id").replace_strict(country) == pl.col("user_country")
    )
    assert home["home"].mean() > 0.9


def test_ring_members_share_templates_texts_and_recipients(world, rates):
    rates = rates.filter(pl.col("archetype") == "coordinated_ring")
    out = outbound(world)
    sizes = world["messages"].group_by("business_id").len()
    normal_median = sizes.join(world["truth"], on="business_id", how="anti")["len"].median()
    for ring in rings(world):
        members = rates.filter(pl.col("business_id").is_in(ring))
        assert members["category"].n_unique() == 1 and members["country"].n_unique() == 1
        created = members["created_at"].str.to_datetime("%Y-%m-%dT%H:%M:%SZ")
        assert created.max() - created.min() <= dt.timedelta(days=4)
        assert created.min() >= dt.datetime(2026, 7, 20)
        msgs = out.filter(pl.col("business_id").is_in(ring))
        # the same template names, the same campaign window
        names = msgs.group_by("business_id").agg(pl.col("template").drop_nulls().unique().sort())
        assert names["template"].n_unique() == 1 and len(names["template"][0]) == 3
        templates = msgs.filter(pl.col("template").is_not_null())  # answers may come days later
        spans = templates.group_by("business_id").agg(first=pl.col("sent_at").min(), last=pl.col("sent_at").max())
        start = spans["first"].str.to_datetime("%Y-%m-%dT%H:%M:%SZ")
        end = spans["last"].str.to_datetime("%Y-%m-%dT%H:%M:%SZ")
        assert start.max() - start.min() < dt.timedelta(days=2) and end.max() - start.min() < dt.timedelta(days=21)
        # one text of each template sent by every member; the other differs in a number only
        per_text = (
            msgs.filter(pl.col("template").is_not_null())
            .group_by("template", "text")
            .agg(pl.col("business_id").n_unique())
        )
        assert (per_text.filter(pl.col("business_id") == len(ring)).height) == 3
        own = per_text.filter(pl.col("business_id") == 1)
        assert own.height >= 3 * len(ring) - 3  # nearly all members' own variants were sent
        assert own["text"].str.replace_all(r"\d+", "#").n_unique() == 3
        # overlapping recipients
        users = {b: set(g["user_id"]) for (b,), g in msgs.group_by("business_id")}
        shares = [shared_share(users[a], users[b]) for a, b in itertools.combinations(ring, 2)]
        assert min(shares) >= 0.2
        # each alone: modest volume
        assert (sizes.filter(pl.col("business_id").is_in(ring))["len"] < normal_median).all()


def test_random_normal_businesses_do_not_share_recipients(world):
    normal = world["businesses"].join(world["truth"], on="business_id", how="anti")
    big = normal.filter(pl.col("country").is_in(["IN", "BR", "ID"]))["business_id"].to_list()
    out = outbound(world).filter(pl.col("business_id").is_in(big))
    users = {b: set(g["user_id"]) for (b,), g in out.group_by("business_id")}
    country = dict(normal.select("business_id", "country").iter_rows())
    pairs = [(a, b) for a, b in itertools.combinations(sorted(users), 2) if country[a] == country[b]]
    shares = sorted(shared_share(users[a], users[b]) for a, b in pairs)
    assert len(shares) > 100
    # chance overlap in a large market: a few % of the smaller one's recipients
    assert shares[len(shares) // 2] < 0.05 and shares[int(0.9 * len(shares))] < 0.15


def test_ring_members_are_mildly_bad_each(rates):
    med = category_median(rates)
    ring = rates.filter(pl.col("archetype") == "coordinated_ring")
    pooled = ring["blockers"].sum() / ring["reached"].sum()
    assert 1.0 < pooled / med[ring["category"][0]] < 5
    assert ring["block_rate"].max() < 0.05


def test_takeovers_turn_to_scams_in_their_last_days(world, cold):
    last5 = (START + dt.timedelta(days=DAYS - 5)).isoformat()
    before = (START + dt.timedelta(days=DAYS - 10)).isoformat()
    m = cold.filter(pl.col("status") != "failed")
    created = dict(world["businesses"].select("business_id", "created_at").iter_rows())
    for b in ids(world, "account_takeover"):
        assert created[b] < (START - dt.timedelta(days=2 * 365)).isoformat(), b
        o = m.filter(pl.col("business_id") == b)
        r = world["reports"].filter(pl.col("business_id") == b)
        late_o, early_o = o.filter(pl.col("sent_at") >= last5), o.filter(pl.col("sent_at") < before)
        late_r = r.filter(pl.col("reported_at") >= last5).height
        early_r = r.filter(pl.col("reported_at") < before).height
        late, early = 1000 * late_r / late_o.height, 1000 * early_r / early_o.height
        assert late > 10 and late > 10 * max(early, 0.5), (b, late, early)
        # strangers: many more cold messages a day than before
        assert late_o["cold"].sum() / 5 > 3 * early_o["cold"].sum() / (DAYS - 10), b
        scam = late_o.filter(pl.col("text").str.contains("code|pay|\\.example"))
        assert scam.height > 0.3 * late_o.height, b


def test_one_election_spammer_in_three_is_filed_outside_politics(world):
    spam = world["businesses"].filter(pl.col("business_id").is_in(ids(world, "election_spammer")))
    cover = spam.filter(pl.col("category") != "politics")
    assert cover.height == 1 and cover["category"][0] in ("services", "other", "retail")
    political = {"vote_reminder", "rally_invite", "campaign_update", "candidate_message"}
    sent = outbound(world).filter(pl.col("business_id") == cover["business_id"][0])
    assert set(sent.filter(pl.col("category") == "marketing")["template"]) <= political


def test_scammers_are_small(world):
    sizes = world["messages"].group_by("business_id").agg(n=pl.len())
    normal = sizes.join(world["truth"], on="business_id", how="anti")["n"].median()
    scam = sizes.filter(pl.col("business_id").is_in(ids(world, "scammer")))
    assert (scam["n"] < normal).all()


# ----------------------------------------------------------------------------- hard negatives


def test_seasonal_promos_have_a_marketing_week_and_few_blocks(world, rates):
    med = category_median(rates)
    marketing = outbound(world).filter(pl.col("category") == "marketing")
    no_inbound = world["messages"].filter(pl.col("direction") == "inbound").select("business_id", "user_id").unique()
    opt_outs = world["opt_outs"].filter(pl.col("action") == "stop_marketing")
    delivered = outbound(world).filter(pl.col("status") != "failed")
    ratios, promo_opt, before_opt = [], 0, 0
    week = {"blocks": 0, "messages": 0}
    rest = {"blocks": 0, "messages": 0}
    for b in ids(world, "seasonal_promo"):
        row = rates.filter(pl.col("business_id") == b).row(0, named=True)
        assert row["category"] in ("retail", "food", "travel")
        days = marketing.filter(pl.col("business_id") == b).with_columns(day=pl.col("sent_at").str.slice(0, 10))
        daily = days.group_by("day").len().sort("day")
        counts = dict(daily.iter_rows())
        series = [counts.get((START + dt.timedelta(days=d)).isoformat(), 0) for d in range(DAYS)]
        weeks = [sum(series[d : d + 7]) for d in range(DAYS - 6)]
        top = max(range(len(weeks)), key=weeks.__getitem__)
        around = [weeks[d] for d in (top - 7, top + 7) if 0 <= d < len(weeks)]
        assert weeks[top] > 2 * sum(around) / len(around), (b, weeks[top], around)
        # some of the promo went to users who did not write in the period
        promo = days.filter(pl.col("day").is_in([(START + dt.timedelta(days=top + i)).isoformat() for i in range(7)]))
        silent = promo.join(no_inbound, on=["business_id", "user_id"], how="anti")
        assert silent.height > 0.1 * promo.height, b
        # blocks near a normal business's rate, which varies as much (see the median below)
        ratios.append(row["block_rate"] / med[row["category"]])
        day = opt_outs.filter(pl.col("business_id") == b)["changed_at"].str.slice(0, 10).str.to_date()
        first = START + dt.timedelta(days=top)
        lo, hi = first.isoformat(), (first + dt.timedelta(days=7)).isoformat()
        sent = delivered.filter(pl.col("business_id") == b)["sent_at"]
        blocked = world["blocks"].filter(pl.col("business_id") == b)["blocked_at"]
        in_week = sent.is_between(lo, hi, closed="left").sum()
        blocks_in_week = blocked.is_between(lo, hi, closed="left").sum()
        week["messages"] += in_week
        week["blocks"] += blocks_in_week
        rest["messages"] += sent.len() - in_week
        rest["blocks"] += blocked.len() - blocks_in_week
        promo_opt += day.is_between(first, first + dt.timedelta(days=6)).sum()
        before_opt += day.is_between(first - dt.timedelta(days=7), first - dt.timedelta(days=1)).sum()
    # per message, the promo weeks are blocked about as often as the rest of the period
    assert week["blocks"] / week["messages"] < 2.5 * rest["blocks"] / rest["messages"], (week, rest)
    assert sorted(ratios)[len(ratios) // 2] < 3
    assert rates.filter(pl.col("archetype") == "seasonal_promo")["block_rate"].median() < 0.015
    assert promo_opt > 1.5 * before_opt  # a modest rise in opt-outs


def test_growing_businesses_double_weekly_on_warm_traffic(world, rates, cold):
    m = world["messages"]
    half = (dt.datetime(START.year, START.month, START.day) + dt.timedelta(days=DAYS / 2)).isoformat()
    for b in ids(world, "growing_business"):
        row = rates.filter(pl.col("business_id") == b).row(0, named=True)
        assert START.isoformat() <= row["created_at"] < half
        mine = m.filter(pl.col("business_id") == b)
        created = dt.date.fromisoformat(row["created_at"][:10]) + dt.timedelta(days=1)
        week = (pl.col("sent_at").str.slice(0, 10).str.to_date() - pl.lit(created)).dt.total_days() // 7
        weekly = mine.with_columns(week=week).filter(pl.col("week") >= 0).group_by("week").len().sort("week")["len"]
        full = weekly[: (DAYS - (created - START).days) // 7].to_list()
        assert len(full) >= 3 and (full[-1] / full[0]) ** (1 / (len(full) - 1)) > 1.5, (b, full)
        assert (mine["direction"] == "inbound").mean() > 0.15
        marketing = cold.filter((pl.col("business_id") == b) & (pl.col("category") == "marketing"))
        assert marketing["cold"].mean() < 0.05
        assert row["block_rate"] < 0.02


def test_transactional_senders_send_utility_to_people_who_never_wrote(world, rates, cold):
    med = category_median(rates)
    sizes = world["messages"].group_by("business_id").agg(n=pl.len())
    normal = sizes.join(world["truth"], on="business_id", how="anti")["n"].median()
    m = cold
    for b in ids(world, "transactional_sender"):
        row = rates.filter(pl.col("business_id") == b).row(0, named=True)
        assert row["category"] in ("finance", "travel")
        mine = m.filter(pl.col("business_id") == b)
        assert mine["category"].is_in(["utility", "authentication"]).mean() > 0.75
        assert mine["cold"].mean() > 0.6
        assert row["block_rate"] < max(2 * med[row["category"]], 0.005) and row["report_rate"] < 1.5
        assert sizes.filter(pl.col("business_id") == b)["n"][0] > 2 * normal


def test_normal_businesses_get_reports_and_some_market_cold(world, cold):
    m = cold.join(world["truth"], on="business_id", how="anti")
    marketing = m.filter(pl.col("category") == "marketing").group_by("business_id").agg(cold=pl.col("cold").sum())
    normal = world["businesses"].join(world["truth"], on="business_id", how="anti").height
    assert 0.25 < marketing.filter(pl.col("cold") > 0).height / normal < 0.45
    reported = world["reports"].join(world["truth"], on="business_id", how="anti")["business_id"].n_unique()
    assert reported > 0.2 * normal


# ----------------------------------------------------------------------------- knobs


@pytest.fixture(scope="module")
def exactly_3x(tmp_path_factory) -> dict[str, pl.DataFrame]:
    out = tmp_path_factory.mktemp("mult3")
    generate_world(out, **WORLD, abuse=Abuse(subtle_mult=(3.0, 3.0)))
    return read(out)


@pytest.fixture(scope="module")
def exactly_6x(tmp_path_factory) -> dict[str, pl.DataFrame]:
    out = tmp_path_factory.mktemp("mult6")
    generate_world(out, **WORLD, abuse=Abuse(subtle_mult=(6.0, 6.0)))
    return read(out)


def test_subtle_mult_sets_the_multiple(exactly_3x, exactly_6x):
    three, six = business_rates(exactly_3x), business_rates(exactly_6x)
    # about 3x the category's median normal business (known to +-50% per category, see above)
    assert 2.0 <= subtle_ratios(three)["ratio"].median() <= 5.0
    # the same seed keeps every other business and draw: twice the multiple, twice the blockers
    subtle = three.filter(pl.col("archetype") == "subtle_spammer").join(six, on="business_id", suffix="_6")
    assert subtle.height == 9
    doubled = subtle["blockers_6"].sum() / subtle["blockers"].sum()
    assert 1.7 < doubled < 2.3
    # (the other businesses' blocks differ only in their random delays: a few cross the period end)
    normal = three.filter(pl.col("archetype") == "normal").join(six, on="business_id", suffix="_6")
    assert (normal["reached"] == normal["reached_6"]).all()
    assert abs(normal["blockers_6"].sum() - normal["blockers"].sum()) <= 0.01 * normal["blockers"].sum()


SMALL = dict(seed=4, businesses=120, days=21, messages=80_000, start=START)


def test_ring_size_and_count_knobs(tmp_path):
    generate_world(tmp_path, **SMALL, abuse=Abuse(ring_size=(10, 10), rings=2))
    found = rings(read(tmp_path))
    assert [len(r) for r in found] == [10, 10]


def test_zero_shares_and_rings_plant_none(tmp_path):
    generate_world(tmp_path, **SMALL, abuse=Abuse(subtle_share=0, takeover_share=0, rings=0))
    planted = set(pl.read_csv(tmp_path / "truth.csv")["archetype"])
    assert planted.isdisjoint({"subtle_spammer", "account_takeover", "coordinated_ring"})
    assert {"spammer", "seasonal_promo", "transactional_sender"} <= planted


def test_knobs_are_reproducible_and_change_the_world(tmp_path):
    knobs = Abuse(subtle_mult=(5.0, 5.0), ring_overlap=(0.5, 0.5), promo_boost=(4.0, 4.0))
    generate_world(tmp_path / "a", **SMALL, abuse=knobs)
    generate_world(tmp_path / "b", **SMALL, abuse=knobs)
    generate_world(tmp_path / "c", **SMALL)
    generate_world(tmp_path / "d", **SMALL, abuse=Abuse())
    for name in ("messages", "blocks", "truth"):
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() == (tmp_path / "b" / f"{name}.csv").read_bytes()
        assert (tmp_path / "c" / f"{name}.csv").read_bytes() == (tmp_path / "d" / f"{name}.csv").read_bytes()
    assert (tmp_path / "a" / "blocks.csv").read_bytes() != (tmp_path / "c" / "blocks.csv").read_bytes()


@pytest.mark.parametrize(
    "knobs",
    [
        {"subtle_mult": (4.0, 2.0)},
        {"ring_size": (1, 3)},
        {"rings": -1},
        {"ring_overlap": (0.5, 1.0)},
        {"subtle_share": 0.5},
        {"growth_per_week": 0.5},
    ],
)
def test_bad_knobs_are_refused_in_one_sentence(knobs):
    with pytest.raises(ValueError, match=r"^Abuse\.\w+.* must be"):
        Abuse(**knobs)
