"""Coordinated campaigns on a hand-built world: four ring accounts, created days apart, send the same
prize texts to overlapping recipients and get more blocks and reports than their peers; fourteen
normal businesses send one generic order-update text each to their own customers. The finder links
the ring and nothing else, the queue says so, and a campaign decision records one decision per
account (trustdesk/moderation/campaign_cases.py)."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from etl.settings import Settings
from tests.worlds import block, build, msg, report
from trustdesk.accounts import auth
from trustdesk.accounts.auth import PermissionDenied, Principal
from trustdesk.moderation import campaign_cases, campaigns, review, risk
from trustdesk.moderation.cases import SYSTEM, ModerationError, Store
from trustdesk.warehouse import open_current, run

START = date(2026, 9, 1)
DAYS = 21
RING = [f"ring{i}" for i in range(4)]
NORMAL = [f"shop{i}" for i in range(10)] + [f"cafe{i}" for i in range(4)]
PRIZE = "Congratulations! You won {n} rupees, claim your prize now at win-big dot example"
ORDER = "Your order {n} has shipped and will arrive on Friday"
MONA, MO, ANA = Principal("mona", "moderator"), Principal("mo", "moderator"), Principal("ana", "analyst")
BOSS = Principal("boss", "admin")


def _at(day: int, k: int) -> str:
    moment = datetime.combine(START + timedelta(days=day % DAYS), datetime.min.time(), UTC) + timedelta(minutes=7 * k)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def ring_world(tmp: Path) -> Path:
    """Write and load the world into `<tmp>/data`, with the accounts of MONA, MO, ANA and BOSS. No
    case goes to the senior queue by its score here (tests send one up by hand, `send_up`), so
    what each test sees does not hang on where the scores land."""
    businesses, messages, reports, blocks = [], [], [], []
    k = 0
    pool = [f"pool{j:03d}" for j in range(150)]  # the ring's shared target list
    for i, b in enumerate(RING):
        created = (date(2026, 8, 10) + timedelta(days=5 * i)).isoformat()
        businesses.append(
            dict(
                business_id=b,
                name=f"Lucky Draw {i}",
                category="retail",
                country="IN",
                created_at=f"{created}T09:00:00Z",
            )
        )
        users = [pool[(i * 20 + j) % len(pool)] for j in range(90)] + [f"{b}_own{j}" for j in range(30)]
        for j, u in enumerate(users):
            if i > 0:  # the quieter accounts' recipients wrote first ("reply WIN to enter")
                k += 1
                messages.append(msg(f"m{k}", _at(0, j), b, u, "inbound", "IN"))
            for rep in range(3):
                k += 1
                text = PRIZE.format(n=100 * (1 + (j + rep) % 5))
                messages.append(
                    msg(
                        f"m{k}",
                        _at(j + rep * 7, j + 1),
                        b,
                        u,
                        "outbound",
                        "IN",
                        "marketing",
                        "prize_claim",
                        "delivered",
                        text,
                    )
                )
        heavy = i == 0
        for j in range(12 if heavy else 3):
            reports.append(report(f"r_{b}_{j}", _at(j * 2, 300 + j), users[j * 7], b, "spam"))
        for j in range(15 if heavy else 4):
            blocks.append(block(f"k_{b}_{j}", _at(j * 3 + 1, 400 + j), users[j * 5 + 2], b, "spam"))
    for b in NORMAL:
        category = "retail" if b.startswith("shop") else "food"
        businesses.append(
            dict(business_id=b, name=b.title(), category=category, country="IN", created_at="2025-01-15T09:00:00Z")
        )
        users = [f"{b}_c{j}" for j in range(120)]
        for j, u in enumerate(users):
            k += 1
            messages.append(msg(f"m{k}", _at(j, j), b, u, "inbound", "IN"))
            for rep in range(3):
                k += 1
                text = ORDER.format(n=1000 + j * 3 + rep)
                messages.append(
                    msg(
                        f"m{k}",
                        _at(j + rep * 7, j + 1),
                        b,
                        u,
                        "outbound",
                        "IN",
                        "utility",
                        "order_update",
                        "delivered",
                        text,
                    )
                )
        reports.append(report(f"r_{b}", _at(5, 500), users[3], b, "spam"))
        blocks.append(block(f"k_{b}", _at(6, 500), users[4], b, "no_longer_needed"))
    root, results = build(tmp, businesses=businesses, messages=messages, reports=reports, blocks=blocks)
    assert all(r.status == "loaded" for r in results), results
    for who in (MONA, MO, ANA, BOSS):
        auth.upsert_account(root, who.name, who.role, "a-long-password", actor="test")
    Settings(escalate_risk_score=1000.0).save(root)
    return root


def send_up(root: Path, wh, business_id: str = "ring0") -> int:
    """Open the queue (its cases open, as a visit does) and escalate the business's case to the
    senior queue, which only admins work; its case id."""
    review.open_queue(wh, BOSS)
    with Store(root) as store:
        case_id = store.cases(business_id=business_id)[-1]["id"]
        store.escalate(MO, case_id, "The loudest account of a ring.", "senior")
    return case_id


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return ring_world(tmp_path_factory.mktemp("campaigns"))


@pytest.fixture
def root(world, tmp_path):
    """The world with a moderation store of its own."""
    copy = tmp_path / "data"
    shutil.copytree(world, copy)
    return copy


@pytest.fixture
def wh(root):
    w = open_current(root)
    yield w
    w.close()


def the_campaign(wh) -> campaigns.Campaign:
    as_of = wh.date_range()[1]
    found = campaigns.find(wh, *risk.campaign_period(as_of, 30, Settings.load(wh.root)))
    assert len(found) == 1, [c.accounts for c in found]
    return found[0]


def decisions(root) -> pl.DataFrame:
    with Store(root) as store:
        rows = [dict(r) for r in store.con.execute("SELECT * FROM decisions ORDER BY id")]
    return pl.DataFrame(rows, infer_schema_length=None)


def audit(root, event: str | None = None) -> pl.DataFrame:
    with Store(root) as store:
        return store.audit_log(BOSS, event=event).sort("id")


# --------------------------------------------------------------------------- finding the ring


def test_the_normal_businesses_do_share_a_text(wh):
    """The finder has something to resist: every normal business sends the same order update."""
    texts = run(wh, "campaign_texts", date_from=START, date_to=wh.date_range()[1])
    keys = texts.filter(pl.col("business_id").is_in(NORMAL)).group_by("text_key").agg(pl.col("business_id").n_unique())
    assert keys["business_id"].to_list() == [len(NORMAL)]


def test_find_links_exactly_the_ring(wh):
    c = the_campaign(wh)
    assert c.accounts == RING
    assert c.template == "prize_claim" and c.text.startswith("Congratulations! You won")
    assert c.recipients == 150 + 4 * 30  # the shared list and each account's own recipients
    # pool[0:20] only ring0 reached, pool[130:150] only ring3: the other 110 two or more did
    assert c.shared_recipients == 110 and f"{c.shared_share:.0%}" in c.describe()
    assert c.describe().startswith(f"part of campaign {c.campaign_id} (4 accounts, shared template 'prize_claim'")


def test_the_rings_queue_rows_carry_the_campaign_sentence(wh):
    c = the_campaign(wh)
    table = risk.queue(wh).table
    assert sorted(table["business_id"]) == RING  # the normal businesses are not flagged
    for row in table.iter_rows(named=True):
        assert row["campaign_id"] == c.campaign_id and row["campaign"] == c.describe()
        assert row["campaign_surprise"] >= 3  # the pooled feedback, far above the peers'


# --------------------------------------------------------------------------- reading campaigns


def test_the_list_shows_the_ring_with_its_pooled_evidence(wh):
    c = the_campaign(wh)
    table = campaign_cases.campaigns(wh, MONA)
    assert table.height == 1
    row = table.row(0, named=True)
    scores = risk.queue(wh).table["risk_score"]
    assert (row["campaign_id"], row["accounts"], row["flagged"], row["template"]) == (
        c.campaign_id,
        4,
        4,
        "prize_claim",
    )
    assert (row["created_from"], row["created_to"], row["created_days"]) == (date(2026, 8, 10), date(2026, 8, 25), 15)
    assert row["categories"] == "retail" and row["max_risk_score"] == scores.max()
    # 12 + 3 x 3 reports over 4 x 360 messages; 15 + 3 x 4 blocks over 4 x 120 reached users
    assert row["report_rate"] == pytest.approx(21 / 1440 * 1000) and row["block_rate"] == pytest.approx(27 / 480)
    assert row["shared_share"] == pytest.approx(c.shared_share) and row["sentence"] == c.describe()


def test_a_campaigns_file_has_each_accounts_evidence_and_case(root, wh):
    c = the_campaign(wh)
    send_up(root, wh)
    file = campaign_cases.campaign(wh, BOSS, c.campaign_id)
    assert (file.sentence, file.template, file.text, file.size) == (c.describe(), c.template, c.text, 4)
    accounts = file.accounts
    assert accounts["business_id"].to_list() == RING and accounts["flagged"].all()
    queue = risk.queue(wh).table.sort("business_id")
    for col in ("risk_score", "report_rate", "block_rate", "reached_users", "reasons"):
        assert accounts[col].to_list() == queue[col].to_list(), col
    assert accounts["created_on"].to_list() == [date(2026, 8, 10) + timedelta(days=5 * i) for i in range(4)]
    with Store(root) as store:
        ids = [store.cases(business_id=b)[-1]["id"] for b in RING]
    assert accounts["case_id"].to_list() == ids and set(accounts["case_status"]) == {"open"}
    assert accounts["queue"].to_list() == ["senior", "general", "general", "general"]
    # A moderator sees that the loud account's case is in a queue they do not work, not the case.
    mine = campaign_cases.campaign(wh, MONA, c.campaign_id).accounts
    assert mine["case_status"][0] == campaign_cases.HIDDEN and mine["case_id"][0] is None


def test_an_unknown_campaign_is_one_clear_sentence(wh):
    with pytest.raises(ModerationError) as refused:
        campaign_cases.campaign(wh, MONA, "CNOPE00")
    text = str(refused.value)
    assert text.startswith("there is no campaign 'CNOPE00' in the data of ") and "\n" not in text
    with pytest.raises(ModerationError, match="there is no campaign 'CNOPE00'"):
        campaign_cases.decide_campaign(wh, BOSS, "CNOPE00", "warn", "spam", "same prize texts")


# --------------------------------------------------------------------------- deciding a campaign


def test_a_campaign_decision_is_one_decision_and_audit_line_per_account(root, wh):
    c = the_campaign(wh)
    # Nobody opened the queue yet: the decision opens the accounts' cases first, as the system.
    outcome = campaign_cases.decide_campaign(wh, BOSS, c.campaign_id, "warn", "spam", "Same prize texts to one list.")
    assert outcome == {b: "decided" for b in RING}
    made = decisions(root)
    assert sorted(made["business_id"]) == RING and set(made["action"]) == {"warn"}
    assert set(made["rationale"]) == {f"Same prize texts to one list. (campaign {c.campaign_id})"}
    lines = audit(root, "decision: warn")
    assert sorted(lines["business_id"]) == RING and set(lines["actor"]) == {"boss"}
    assert all(f"(campaign {c.campaign_id})" in d for d in lines["detail"])
    opened = audit(root, "case opened")
    assert sorted(opened["business_id"]) == RING and set(opened["actor"]) == {SYSTEM}
    with Store(root) as store:
        sent = [r["event"] for r in store.con.execute("SELECT event FROM outbox")]
    assert sent == ["decision"] * 4
    # Decided, the ring leaves the queue and the list; its file still shows each account decided.
    assert campaign_cases.campaigns(wh, BOSS).is_empty()
    accounts = campaign_cases.campaign(wh, BOSS, c.campaign_id).accounts
    assert set(accounts["case_status"]) == {"decided"} and set(accounts["decision"]) == {"Warn by boss"}
    assert not accounts["flagged"].any()
    # A second campaign decision decides nothing again, and says why for each account.
    again = campaign_cases.decide_campaign(wh, BOSS, c.campaign_id, "warn", "spam", "again")
    assert all(v.startswith("it has no open case (case ") and v.endswith(" is decided)") for v in again.values())
    assert decisions(root).height == 4


def test_refusals_are_reported_per_account_and_the_others_decided(root, wh):
    c = the_campaign(wh)
    ring0 = send_up(root, wh)
    with Store(root) as store:
        ring2 = store.cases(business_id="ring2")[-1]["id"]
        store.claim(MO, ring2)
    outcome = campaign_cases.decide_campaign(
        wh, MONA, c.campaign_id, "dismiss", None, "", confirmed=True
    )  # dismissing needs no rationale
    assert outcome["ring1"] == outcome["ring3"] == "decided"
    assert outcome["ring0"] == f"case {ring0} is in the senior queue, which you may not work"
    assert outcome["ring2"] == f"case {ring2} is being worked on by mo"
    words = campaign_cases.outcome_words("dismiss", outcome)
    assert words[0] == "warning" and "2 of 4 accounts decided (ring1, ring3)" in words[1]
    assert "ring2: Case" in words[1]
    lines = audit(root, "decision: dismiss")
    assert sorted(lines["business_id"]) == ["ring1", "ring3"]
    assert set(lines["detail"]) == {f"policy -: (campaign {c.campaign_id})"}


def test_a_refused_campaign_decision_writes_nothing(root, wh):
    c = the_campaign(wh)
    for refused, kwargs in (
        ("a 'ban' decision needs a written rationale", dict(action="ban", policy="spam", rationale=" ")),
        ("a decision needs a policy", dict(action="warn", policy=None, rationale="same texts")),
        ("choose a decision", dict(action=None, policy="spam", rationale="same texts")),
        (
            "confirm that the decision applies to all 4 accounts",
            dict(action="warn", policy="spam", rationale="x", confirmed=False),
        ),
    ):
        with pytest.raises(ModerationError, match=refused):
            campaign_cases.decide_campaign(wh, BOSS, c.campaign_id, **kwargs)
    assert decisions(root).is_empty()


def test_an_analyst_is_refused(root, wh):
    c = the_campaign(wh)
    for call in (
        lambda: campaign_cases.decide_campaign(wh, ANA, c.campaign_id, "warn", "spam", "same texts"),
        lambda: campaign_cases.campaigns(wh, ANA),
        lambda: campaign_cases.campaign(wh, ANA, c.campaign_id),
    ):
        with pytest.raises(PermissionDenied):
            call()
    with Store(root) as store:
        assert store.cases() == []
