"""AppTest for the Campaigns page (pages/moderation/campaigns.py) on the ring world of
test_campaigns.py: the list, a campaign opened by its link, the bulk decision for every account,
and the review queue's link to the campaign."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from etl.settings import REPO_ROOT
from tests.moderation.test_campaigns import ANA, BOSS, MONA, RING, ring_world, send_up
from tests.worlds import sign_in_apptest
from trustdesk.accounts.auth import Principal
from trustdesk.moderation import campaigns, risk
from trustdesk.moderation.cases import Store
from trustdesk.warehouse import open_current

PAGE = "pages/moderation/campaigns.py"
QUEUE = "pages/moderation/review_queue.py"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return ring_world(tmp_path_factory.mktemp("campaign_page"))


@pytest.fixture(scope="module")
def campaign_id(world) -> str:
    wh = open_current(world)
    try:
        ids = risk.queue(wh).table["campaign_id"].unique().to_list()
        assert len(ids) == 1 and ids[0] in {c.campaign_id for c in campaigns.find(wh, *wh.date_range())}
        return ids[0]
    finally:
        wh.close()


@pytest.fixture
def root(world, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(world, copy)
    return copy


def page(path: str, root, monkeypatch, who: Principal | None = MONA, params: dict | None = None) -> AppTest:
    monkeypatch.setenv("TRUSTDESK_DATA", str(root))
    at = AppTest.from_file(str(REPO_ROOT / path), default_timeout=90)
    if who:
        sign_in_apptest(at, root, who)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


def table(at: AppTest, column: str):
    """The one table of the page with `column`: the list, the accounts or the last outcome."""
    found = [f for f in frames(at) if column in f.columns]
    assert len(found) == 1, [list(f.columns) for f in frames(at)]
    return found[0]


def decide(at: AppTest, action: str, policy: str | None, rationale: str, confirm: bool = True) -> AppTest:
    at.selectbox(key="campaign_action").set_value(action)
    at.selectbox(key="campaign_policy").set_value(policy)
    at.text_area(key="campaign_rationale").input(rationale)
    at.checkbox(key="campaign_confirm").set_value(confirm)
    at.button(key="decide_campaign").click().run()
    assert not at.exception, at.exception
    return at


def test_the_page_lists_the_campaign_and_opens_none_until_chosen(root, monkeypatch, campaign_id):
    at = page(PAGE, root, monkeypatch)
    assert at.title[0].value == "Campaigns"
    listed = table(at, "template")
    assert listed["campaign_link"].tolist() == [f"campaigns?campaign={campaign_id}"]
    assert listed["accounts"].tolist() == [4] and listed["template"].tolist() == ["prize_claim"]
    assert len(at.dataframe) == 1 and at.selectbox(key="campaign_pick").value is None
    at.selectbox(key="campaign_pick").set_value(campaign_id).run()
    assert at.subheader[0].value == f"Campaign {campaign_id}"
    assert at.query_params["campaign"] == campaign_id


def test_a_link_opens_the_campaign_and_one_decision_decides_every_account(root, monkeypatch, campaign_id):
    at = page(PAGE, root, monkeypatch, BOSS, {"campaign": campaign_id})
    assert at.subheader[0].value == f"Campaign {campaign_id}"
    shown = [m.value for m in at.markdown]
    assert any(f"Part of campaign {campaign_id} (4 accounts, shared template 'prize\\_claim'" in m for m in shown)
    assert at.text[0].value.startswith("Congratulations! You won")
    accounts = table(at, "case_status")
    assert accounts["business_link"].tolist() == [f"business?business={b}" for b in RING]
    assert set(accounts["case_status"]) == {"open"}
    assert at.checkbox(key="campaign_confirm").label == "Apply to all 4 accounts"
    # Not confirmed: nothing is decided, and the page says what to do.
    decide(at, "warn", "spam", "Same prize texts to one list.", confirm=False)
    assert at.warning[0].value == "Confirm that the decision applies to all 4 accounts of the campaign."
    decide(at, "warn", "spam", "Same prize texts to one list.")
    assert at.success[0].value == "Warn: 4 of 4 accounts decided (ring0, ring1, ring2, ring3)."
    assert "template" not in frames(at)[0]  # decided, the ring left the queue and the list
    accounts = table(at, "case_status")
    assert set(accounts["case_status"]) == {"decided"} and set(accounts["decision"]) == {"Warn by boss"}
    outcome = table(at, "outcome")
    assert outcome["business_id"].tolist() == RING and set(outcome["outcome"]) == {"decided"}
    with Store(root) as store:
        lines = store.audit_log(BOSS, event="decision: warn")
    assert sorted(lines["business_id"]) == RING
    assert all(d.endswith(f"(campaign {campaign_id})") for d in lines["detail"])


def test_a_moderator_is_told_which_accounts_were_refused(root, monkeypatch, campaign_id):
    wh = open_current(root)
    try:
        ring0 = send_up(root, wh)
    finally:
        wh.close()
    at = page(PAGE, root, monkeypatch, MONA, {"campaign": campaign_id})
    decide(at, "warn", "spam", "Same prize texts to one list.")
    text = at.warning[0].value
    assert text == (
        f"Warn: 3 of 4 accounts decided (ring1, ring2, ring3). Not decided: ring0: Case {ring0} is in the "
        "senior queue, which you may not work."
    )
    outcome = dict(zip(*table(at, "outcome").to_dict("list").values(), strict=True))
    assert outcome["ring1"] == "decided" and outcome["ring0"].endswith("which you may not work.")


def test_an_unknown_campaign_link_is_one_sentence(root, monkeypatch):
    at = page(PAGE, root, monkeypatch, MONA, {"campaign": "CNOPE00"})
    assert len(at.warning) == 1
    assert at.warning[0].value.startswith("There is no campaign 'CNOPE00' in the data of ")
    assert not at.subheader  # nothing opened
    assert "campaign" not in at.query_params


def test_the_review_queue_links_the_rings_accounts_to_their_campaign(root, monkeypatch, campaign_id):
    queue = frames(page(QUEUE, root, monkeypatch, BOSS))[0]
    assert set(queue["business_id"]) == set(RING)
    assert set(queue["campaign_link"]) == {f"campaigns?campaign={campaign_id}"}


def test_without_a_campaign_the_page_says_how_one_appears(golden, monkeypatch):
    at = page(PAGE, golden, monkeypatch, Principal("mona", "moderator"))
    assert [i.value for i in at.info] == [
        "No coordinated campaign in the current queue: campaigns appear when accounts send the same template "
        "texts to overlapping recipients."
    ]
    assert not at.dataframe and not at.selectbox


def test_an_analyst_is_refused(root, monkeypatch):
    at = page(PAGE, root, monkeypatch, ANA)
    assert [e.value for e in at.error] == ["Refused: this page needs the moderator role; you are signed in as analyst."]
    assert not at.dataframe
