"""Policies: the shipped ones, an admin adding, editing and retiring them (audited), the refusals,
the role checked server-side, decisions held to the active ones, and the admin's Policies page."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from tests.worlds import Clock, open_page
from trustdesk import appdb
from trustdesk.accounts.auth import PermissionDenied, Principal
from trustdesk.moderation import policies
from trustdesk.moderation.cases import Store
from trustdesk.moderation.errors import ModerationError

ADMIN, MOD, PM = Principal("ada", "admin"), Principal("mona", "moderator"), Principal("pm", "analyst")
OTHER_TC, SCAMS = "STATEMENT_CATEGORY_OTHER_VIOLATION_TC", "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"


@pytest.fixture
def root(store_backend, tmp_path):
    """A data directory whose store is SQLite, then PostgreSQL (tests/pg.py)."""
    return tmp_path / "data"


def audit(root) -> list[dict]:
    con = appdb.connect(root)
    try:
        return [dict(r) for r in con.execute("SELECT actor, event, detail FROM moderation_audit ORDER BY id")]
    finally:
        con.close()


def test_the_shipped_policies_are_there_in_order_with_their_dsa_mapping(root):
    shipped = policies.listed(root)
    assert [(p.code, p.title, p.dsa_category, p.dsa_ground, p.active) for p in shipped] == [
        ("spam", "Spam and unsolicited marketing", OTHER_TC, "incompatible", True),
        ("scam", "Scams and fraud", SCAMS, "incompatible", True),
        (
            "election_integrity",
            "Election integrity",
            "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
            "incompatible",
            True,
        ),
        ("other", "Other terms of service", OTHER_TC, "incompatible", True),
    ]
    assert all(p.description and len(p.description) <= policies.DESCRIPTION_MAX for p in shipped)
    assert all(p.dsa_category in policies.DSA_CATEGORIES for p in shipped)


def test_an_admin_edits_a_title_and_adds_a_policy_last_both_audited(root):
    clock = Clock()
    policies.save(root, ADMIN, "spam", "  Spam  ", "Unwanted bulk messages.", OTHER_TC, "incompatible", clock=clock)
    policies.save(
        root,
        ADMIN,
        "consent",
        "Marketing without consent",
        "Marketing to people who never agreed to it.",
        "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
        "illegal",
        legal_ground="Directive 2002/58/EC, Article 13",
        clock=clock,
    )
    con = appdb.connect(root)
    try:
        shown = policies.catalogue(con)
    finally:
        con.close()
    assert list(shown) == ["spam", "scam", "election_integrity", "other", "consent"]
    assert shown["spam"] == policies.Policy(
        "spam", "Spam", "Unwanted bulk messages.", OTHER_TC, "incompatible", "", True
    )
    assert shown["consent"].legal_ground == "Directive 2002/58/EC, Article 13"
    assert audit(root) == [
        {"actor": "ada", "event": "policy saved", "detail": "spam: title, description; title Spam"},
        {
            "actor": "ada",
            "event": "policy saved",
            "detail": "consent added: Marketing without consent (STATEMENT_CATEGORY_CONSUMER_INFORMATION, illegal)",
        },
    ]


def test_a_retired_policy_stays_in_the_catalogue_but_no_decision_may_name_it(root):
    policies.save(root, ADMIN, "other", "Other terms of service", "", OTHER_TC, "incompatible", active=False)
    con = appdb.connect(root)
    try:
        assert "other" in policies.catalogue(con) and "other" not in policies.active(con)
        assert policies.check(con, "scam").code == "scam"
        with pytest.raises(ModerationError, match=r"^the policy 'other' is retired; choose one of spam, scam, "):
            policies.check(con, "other")
        with pytest.raises(ModerationError, match=r"^unknown policy 'fraud'; choose one of spam, scam, election"):
            policies.check(con, "fraud")
        with pytest.raises(ModerationError, match=r"^a decision needs a policy; choose one of"):
            policies.check(con, "")
    finally:
        con.close()
    assert audit(root)[-1]["detail"] == "other: description, retired; title Other terms of service"
    policies.save(root, ADMIN, "other", "Other terms of service", "", OTHER_TC, "incompatible", active=True)
    assert audit(root)[-1]["detail"] == "other: reactivated; title Other terms of service"


def test_the_last_active_policy_cannot_be_retired(root):
    for code in ("spam", "scam", "election_integrity"):
        policies.save(root, ADMIN, code, code, "", OTHER_TC, "incompatible", active=False)
    with pytest.raises(ModerationError, match="at least one policy must stay active"):
        policies.save(root, ADMIN, "other", "Other", "", OTHER_TC, "incompatible", active=False)
    assert [p.code for p in policies.listed(root) if p.active] == ["other"]


@pytest.mark.parametrize(
    "change, refusal",
    [
        (dict(code="Spam"), "a policy code is 1 to 40 lowercase letters, digits or underscores"),
        (dict(code="a" * 41), "a policy code is 1 to 40"),
        (dict(code="new-policy"), "a policy code is 1 to 40"),
        (dict(title="   "), "a policy needs a title"),
        (dict(title="x" * 121), "a policy's title is at most 120 characters"),
        (dict(description="x" * 2001), "a policy's description is at most 2,000 characters"),
        (dict(dsa_category="STATEMENT_CATEGORY_SPAM"), "unknown DSA category 'STATEMENT_CATEGORY_SPAM'"),
        (dict(dsa_ground="legal"), "unknown DSA ground 'legal'; choose illegal or incompatible"),
        (dict(dsa_ground="illegal"), "a policy on illegal content needs the legal ground it relies on"),
        (dict(dsa_ground="illegal", legal_ground="x" * 501), "a policy's legal ground is at most 500 characters"),
    ],
)
def test_a_bad_policy_is_refused_in_one_sentence_and_nothing_changes(root, change, refusal):
    fields = dict(
        code="new", title="New", description="", dsa_category=OTHER_TC, dsa_ground="incompatible", legal_ground=""
    )
    fields.update(change)
    with pytest.raises(ModerationError) as refused:
        policies.save(root, ADMIN, **fields)
    assert str(refused.value).startswith(refusal)
    assert "\n" not in str(refused.value)
    assert [p.code for p in policies.listed(root)] == ["spam", "scam", "election_integrity", "other"]
    assert audit(root) == []


@pytest.mark.parametrize("who", [MOD, PM, None], ids=["moderator", "analyst", "nobody"])
def test_only_an_admin_may_change_policies(root, who):
    with pytest.raises(PermissionDenied):
        policies.save(root, who, "spam", "Hijacked", "", OTHER_TC, "incompatible")
    assert policies.listed(root)[0].title == "Spam and unsolicited marketing"
    assert audit(root) == []


def test_decisions_may_name_a_new_policy_but_not_a_retired_one(root):
    policies.save(root, ADMIN, "loans", "Predatory loans", "Loans on false terms.", SCAMS, "incompatible")
    policies.save(root, ADMIN, "other", "Other terms of service", "", OTHER_TC, "incompatible", active=False)
    flagged = pl.DataFrame(
        [{"business_id": b, "risk_score": 90.0, "reasons": "x", "first_flagged": date(2026, 10, 1)} for b in "ab"]
    )
    with Store(root, Clock()) as store:
        store.sync(MOD, flagged, date(2026, 10, 1))
        first, second = (c["id"] for c in store.cases())
        store.decide(MOD, first, "warn", "loans", "Upfront fee for a loan.", date(2026, 10, 1))
        with pytest.raises(ModerationError, match="the policy 'other' is retired"):
            store.decide(MOD, second, "warn", "other", "Something else.", date(2026, 10, 1))
        assert [(d["policy"], d["action"]) for d in store.history("a")] == [("loans", "warn")]
        assert store.history("b") == []


def test_the_policies_page_lets_an_admin_change_a_title(root, monkeypatch):
    at = open_page("policies", root, monkeypatch, who=("ada", "admin"))
    assert at.title[0].value == "Policies"
    at.selectbox(key="policy_pick").set_value("scam").run()
    # a form sends its fields with the submit: no run in between
    at.text_input(key="policy_scam_title").set_value("Scams, fraud and phishing")
    at.button(key="FormSubmitter:policy_scam-Save the policy").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Policy scam saved."]
    table = at.dataframe[0].value
    assert table.loc[table["code"] == "scam", "title"].tolist() == ["Scams, fraud and phishing"]
    assert policies.listed(root)[1].title == "Scams, fraud and phishing"


def test_the_policies_page_adds_a_policy_and_shows_a_refusal(root, monkeypatch):
    at = open_page("policies", root, monkeypatch, who=("ada", "admin"))
    at.selectbox(key="policy_pick").set_value("(a new policy)").run()
    new = "policy_(a new policy)"
    at.text_input(key=f"{new}_code").set_value("Bad Code")
    at.text_input(key=f"{new}_title").set_value("Fake giveaways")
    at.button(key=f"FormSubmitter:{new}-Save the policy").click().run()
    assert [w.value for w in at.warning][0].startswith("A policy code is 1 to 40")
    at.text_input(key=f"{new}_code").set_value("spam")
    at.button(key=f"FormSubmitter:{new}-Save the policy").click().run()
    assert [w.value for w in at.warning] == ["There is a policy spam already; choose it under Change to edit it."]
    assert policies.listed(root)[0].title == "Spam and unsolicited marketing"
    at.text_input(key=f"{new}_code").set_value("giveaways")
    at.button(key=f"FormSubmitter:{new}-Save the policy").click().run()
    assert not at.exception
    assert at.selectbox(key="policy_pick").value == "giveaways"
    assert [p.code for p in policies.listed(root)][-1] == "giveaways"


@pytest.mark.parametrize("who", [("mona", "moderator"), ("pm", "analyst")])
def test_the_policies_page_is_refused_below_admin(root, monkeypatch, who):
    at = open_page("policies", root, monkeypatch, who=who)
    assert [e.value for e in at.error] == [f"Refused: this page needs the admin role; you are signed in as {who[1]}."]
    assert not at.dataframe
