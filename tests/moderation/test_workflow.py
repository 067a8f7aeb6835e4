"""A team's daily moderation: system-attributed events, one claim per person, queues and who may
work them, escalation (by hand and automatic), reassignment, holds, the strikes ladder, appeals
shown where they are decided, saved views, and the outbox written with every decision."""

from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl
import pytest

from tests.worlds import Clock
from trustdesk.accounts import auth
from trustdesk.accounts.auth import PermissionDenied, Principal
from trustdesk.moderation import review
from trustdesk.moderation.cases import SYSTEM, Conflict, ModerationError, Store, next_step

MONA, MO, ANA = Principal("mona", "moderator"), Principal("mo", "moderator"), Principal("ana", "analyst")
BOSS = Principal("boss", "admin")
AS_OF = date(2026, 10, 1)


def flagged(*rows, **extra):
    return pl.DataFrame(
        [
            {"business_id": b, "risk_score": s, "reasons": f"reason {b}", "first_flagged": AS_OF, **extra}
            for b, s in rows
        ]
    )


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "data"
    for who in (MONA, MO, ANA, BOSS):
        auth.upsert_account(root, who.name, who.role, "a-long-password", actor="test")
    return root


@pytest.fixture
def store(root):
    s = Store(root, Clock())
    s.sync(MONA, flagged(("b1", 90.0), ("b2", 70.0), ("b3", 50.0)), AS_OF)
    yield s
    s.close()


def case_of(store: Store, business_id: str) -> dict:
    return store.cases(business_id=business_id)[-1]


def events(store: Store, case_id: int) -> list[tuple[str, str]]:
    log = store.audit_log(BOSS).filter(pl.col("case_id") == case_id).sort("id")
    return list(zip(log["actor"], log["event"], strict=True))


def outbox_rows(store: Store) -> list[dict]:
    return [dict(r) for r in store.con.execute("SELECT * FROM outbox ORDER BY id")]


# --------------------------------------------------------------------------- attribution, claims


def test_cases_opened_by_a_visit_are_the_systems_act(store):
    b1 = case_of(store, "b1")
    assert events(store, b1["id"]) == [(SYSTEM, "case opened")]


def test_a_claim_repeated_by_its_holder_is_one_claim(store):
    b1 = case_of(store, "b1")["id"]
    store.claim(MONA, b1)
    first = store.case(b1)["first_claimed_at"]
    store.clock.advance(minutes=5)
    store.claim(MONA, b1)
    assert store.next_case(MONA)["id"] == b1  # Next case returns the case one holds
    assert store.next_case(MONA)["id"] == b1
    assert [e for e in events(store, b1) if e[1] == "case claimed"] == [("mona", "case claimed")]
    case = store.case(b1)
    assert case["first_claimed_at"] == first and case["claimed_at"] > first  # renewed, first kept


# --------------------------------------------------------------------------- queues and access


def test_auto_escalation_by_risk_and_by_platform_violation(root):
    with Store(root, Clock()) as store:
        store.sync(MONA, flagged(("hot", 85.0), ("mild", 45.0)), AS_OF, escalate_score=80.0)
        store.sync(
            MONA,
            flagged(("reported", 45.0), platform_violation=True, platform_said="platform: account_violation (SCAM)"),
            AS_OF,
            escalate_score=80.0,
        )
        queues = {c["business_id"]: c["queue"] for c in store.cases()}
        assert queues == {"hot": "senior", "mild": "general", "reported": "senior"}
        hot = case_of(store, "hot")
        assert events(store, hot["id"]) == [(SYSTEM, "case opened"), (SYSTEM, "case escalated")]
        detail = store.audit_log(BOSS, event="case escalated")["detail"].to_list()
        assert any("85.0 is at or above 80.0" in d for d in detail)
        assert any("account_violation" in d for d in detail)
        # A case already open that crosses the threshold later goes up too, once.
        store.sync(MONA, flagged(("mild", 92.0)), AS_OF, escalate_score=80.0)
        store.sync(MONA, flagged(("mild", 93.0)), AS_OF, escalate_score=80.0)
        mild = case_of(store, "mild")
        assert mild["queue"] == "senior" and [e for _, e in events(store, mild["id"])].count("case escalated") == 1


def test_queue_access_is_enforced_where_cases_are_read_and_worked(root):
    with Store(root, Clock()) as store:
        store.sync(MONA, flagged(("hot", 85.0), ("mild", 45.0)), AS_OF, escalate_score=80.0)
        hot = case_of(store, "hot")["id"]
        assert [c["business_id"] for c in store.cases(who=MONA)] == ["mild"]
        assert {c["business_id"] for c in store.cases(who=BOSS)} == {"hot", "mild"}
        for refused in (
            lambda: store.claim(MONA, hot),
            lambda: store.decide(MONA, hot, "warn", "spam", "cold marketing", AS_OF),
            lambda: store.add_note(MONA, hot, "a look"),
            lambda: store.hold(MONA, hot, "waiting"),
        ):
            with pytest.raises(PermissionDenied, match="senior queue"):
                refused()
        assert store.next_case(MONA)["business_id"] == "mild"  # never the senior case
        # Per person: mona is named on the senior queue.
        store.save_queue(BOSS, "senior", "Senior", "Escalated cases", ["admin"], ["mona"])
        assert store.claim(MONA, hot)["claimed_by"] == "mona"
        assert not store.readable_queues(MO) == store.readable_queues(MONA)
        with pytest.raises(PermissionDenied):
            store.save_queue(MONA, "senior", "Senior", "", ["moderator"], [])
        with pytest.raises(ModerationError, match="no account named ghost"):
            store.save_queue(BOSS, "senior", "Senior", "", ["admin"], ["ghost"])


# --------------------------------------------------------------------------- escalate, reassign, hold


def test_escalate_with_a_note(store):
    b2 = case_of(store, "b2")["id"]
    store.claim(MONA, b2)
    with pytest.raises(ModerationError, match="say why"):
        store.escalate(MONA, b2, "  ")
    store.escalate(MONA, b2, "looks like a ring")
    case = store.case(b2)
    assert (case["queue"], case["claimed_by"], case["status"]) == ("senior", None, "open")
    assert store.notes(b2)[-1]["text"] == "Escalated to senior: looks like a ring"
    assert ("mona", "case escalated") in events(store, b2)
    with pytest.raises(PermissionDenied):  # mona no longer works it
        store.claim(MONA, b2)


def test_reassign_to_a_named_moderator(store):
    b1 = case_of(store, "b1")["id"]
    store.claim(MONA, b1)
    with pytest.raises(PermissionDenied, match="only they or an admin"):
        store.reassign(MO, b1, "mo")
    with pytest.raises(ModerationError, match="ana is not a moderator"):
        store.reassign(MONA, b1, "ana")
    store.reassign(MONA, b1, "mo")
    assert store.case(b1)["claimed_by"] == "mo"
    store.reassign(BOSS, b1, "mona")  # an admin may, whoever holds it
    assert store.case(b1)["claimed_by"] == "mona"
    assert store.audit_log(MONA, event="case reassigned")["detail"].to_list() == ["from mo to mona", "from mona to mo"]


def test_hold_keeps_a_case_out_of_next_case_until_resumed(store):
    b1 = case_of(store, "b1")["id"]
    store.hold(MONA, b1, "waiting for the business's documents")
    assert store.next_case(MO)["business_id"] == "b2"
    with pytest.raises(Conflict, match="already on hold"):
        store.hold(MO, b1, "again")
    store.resume(MO, b1)
    assert store.next_case(Principal("max", "moderator"))["business_id"] == "b1"


def test_a_decision_must_be_chosen(root, store):
    b1 = case_of(store, "b1")["id"]
    with pytest.raises(ModerationError, match="choose a decision: dismiss, warn"):
        review.decide(root, MONA, b1, None, "spam", "x", AS_OF)


def test_wrong_roles_are_refused_by_the_read_side(root, store):
    b1 = case_of(store, "b1")["id"]
    for call in (
        lambda: review.escalate(root, ANA, b1, "note"),
        lambda: review.reassign(root, ANA, b1, "mo"),
        lambda: review.hold(root, ANA, b1, "why"),
        lambda: review.resume(root, ANA, b1),
        lambda: review.saved_views(root, ANA),
        lambda: review.save_view(root, ANA, "v", review.QueueFilter(policy="spam")),
        lambda: review.queues(root, MONA),
        lambda: review.save_queue(root, MONA, "x", "X", "", ["moderator"], []),
        lambda: review.next_case(root, ANA),
        lambda: review.case_file(root, ANA, "b1"),
    ):
        with pytest.raises(PermissionDenied):
            call()


# --------------------------------------------------------------------------- strikes


def test_ladder_steps():
    assert next_step([]) == "warn"
    assert next_step([{"action": "warn"}]) == "restrict"
    assert next_step([{"action": "suspend"}]) == "ban"  # past the most severe live action
    assert next_step([{"action": "warn"}] * 9) == "ban"


def test_strikes_propose_the_next_step_and_an_override_needs_a_reason(store):
    for business, step in (("b1", "warn"), ("b2", "warn")):
        case = case_of(store, business)["id"]
        store.claim(MONA, case)
        assert store.proposed_action(business) == step
        store.decide(MONA, case, step, "spam", "cold marketing", AS_OF)
    assert [s["action"] for s in store.strikes("b1")] == ["warn"]
    assert store.proposed_action("b1") == "restrict"
    # The business is flagged again: its next decision is proposed one step up.
    store.sync(MONA, flagged(("b1", 95.0)).with_columns(pl.lit(AS_OF + timedelta(days=3)).alias("peak_day")), AS_OF)
    again = case_of(store, "b1")["id"]
    store.claim(MONA, again)
    with pytest.raises(ModerationError, match="next step for this business is Restrict"):
        store.decide(MONA, again, "ban", "scam", "fraud", AS_OF)
    store.decide(MONA, again, "ban", "scam", "fraud", AS_OF, override_reason="phishing links to a bank")
    ban = store.history("b1")[-1]
    assert (ban["proposed_action"], ban["override_reason"]) == ("restrict", "phishing links to a bank")
    assert store.proposed_action("b1") == "ban"


def test_strikes_expire_and_an_overturned_decision_is_no_strike(store):
    b1, b2 = case_of(store, "b1")["id"], case_of(store, "b2")["id"]
    for case in (b1, b2):
        store.claim(MONA, case)
        store.decide(MONA, case, "warn", "spam", "cold marketing", AS_OF, strike_days=30)
    store.appeal(MO, b2, "we had consent")
    store.decide_appeal(MO, b2, True, "consent records shown")
    assert store.strikes("b2") == []
    assert len(store.strikes("b1")) == 1
    store.clock.advance(days=31)
    assert store.strikes("b1") == [] and store.proposed_action("b1") == "warn"


def test_dismissal_is_no_strike_and_needs_no_override(store):
    b1 = case_of(store, "b1")["id"]
    store.claim(MONA, b1)
    store.decide(MONA, b1, "dismiss", None, "", AS_OF)
    assert store.strikes("b1") == []


# --------------------------------------------------------------------------- appeals where decided


def test_the_appeal_text_and_outcome_are_in_the_case_file(root, store):
    b1 = case_of(store, "b1")["id"]
    store.claim(MONA, b1)
    store.decide(MONA, b1, "warn", "spam", "cold marketing", AS_OF)
    store.appeal(MONA, b1, "Our customers opted in on the website")
    file = review.case_file(root, MO, "b1", store.clock)
    assert file.active["appeal_text"] == "Our customers opted in on the website"
    assert file.first_decision(b1)["rationale"] == "cold marketing"
    store.decide_appeal(MO, b1, False, "no opt-in records")
    file = review.case_file(root, MO, "b1", store.clock)
    assert file.active is None
    assert file.latest_decided["id"] == b1 and file.latest_decided["appeal_text"].startswith("Our customers")
    outcome = file.appeal_decision(b1)
    assert (outcome["action"], outcome["decided_by"], outcome["overturned"]) == ("uphold", "mo", 0)


# --------------------------------------------------------------------------- saved views


def test_saved_views_belong_to_their_owner(root, store):
    view = review.QueueFilter(queue="general", policy="scam", market="BR")
    review.save_view(root, MONA, "Scams in Brazil", view)
    assert review.saved_views(root, MONA) == {"Scams in Brazil": view}
    assert review.saved_views(root, MO) == {}
    with pytest.raises(ModerationError, match="at least one filter"):
        review.save_view(root, MONA, "all", review.QueueFilter())
    review.delete_view(root, MONA, "Scams in Brazil")
    assert review.saved_views(root, MONA) == {}


def test_a_view_narrows_flagged_rows_and_other_cases():
    table = pl.DataFrame(
        {
            "case_id": [1, 2, 3],
            "queue": ["general", "general", "senior"],
            "suggested_policy": ["scam", "spam", "scam"],
            "country": ["BR", "BR", "IN"],
            "category": ["retail", "retail", "finance"],
            "signals": [["reports"], ["blocks", "unsolicited"], ["reports"]],
        }
    )
    keep = review.QueueFilter(policy="scam", market="BR").keep(table, True)
    assert keep["case_id"].to_list() == [1]
    assert review.QueueFilter(signal="unsolicited").keep(table, True)["case_id"].to_list() == [2]
    assert review.QueueFilter(queue="senior").keep(table, True)["case_id"].to_list() == [3]


# --------------------------------------------------------------------------- the outbox


def test_every_decision_and_appeal_outcome_is_in_the_outbox_with_its_key(store):
    b1, b2 = case_of(store, "b1")["id"], case_of(store, "b2")["id"]
    store.claim(MONA, b1)
    first = store.decide(MONA, b1, "warn", "spam", "cold marketing", AS_OF)
    store.appeal(MONA, b1, "we had consent")
    store.decide_appeal(MO, b1, True, "consent shown")
    store.claim(MONA, b2)
    with pytest.raises(ModerationError):  # refused: no row in the outbox either
        store.decide(MONA, b2, "ban", "scam", "fraud", AS_OF)
    rows = outbox_rows(store)
    assert [r["key"] for r in rows] == [f"decision-{first}", f"appeal-{first + 1}"]
    decision = json.loads(rows[0]["payload"])
    assert (decision["event"], decision["case_id"], decision["action"], decision["policy"]) == (
        "decision",
        b1,
        "warn",
        "spam",
    )
    assert json.loads(rows[1]["payload"])["overturned"] == 1


def test_a_decision_rolled_back_leaves_no_outbox_row(store):
    """The decision and its outbox row are one transaction: a failure after both writes undoes both."""
    b1 = case_of(store, "b1")["id"]
    store.claim(MONA, b1)
    store.con.execute(
        "CREATE TRIGGER fail_after_outbox AFTER INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(Exception, match="disk full"):
        store.decide(MONA, b1, "warn", "spam", "cold marketing", AS_OF)
    assert store.history("b1") == [] and store.case(b1)["status"] == "claimed"
    assert outbox_rows(store) == []


# --------------------------------------------------------------------------- review findings


def test_a_held_case_cannot_be_claimed_or_reassigned_and_a_snoozed_one_wakes_when_claimed(store):
    b1, b2 = case_of(store, "b1")["id"], case_of(store, "b2")["id"]
    store.hold(MONA, b1, "waiting for documents")
    for refused in (lambda: store.claim(MO, b1), lambda: store.reassign(BOSS, b1, "mo")):
        with pytest.raises(Conflict, match="on hold .waiting for documents.; resume it first"):
            refused()
    store.snooze(MONA, b2, store.clock.now + timedelta(days=2))
    assert store.claim(MO, b2)["snoozed_until"] is None


def test_only_the_holder_or_an_admin_routes_a_claimed_case(store):
    b1 = case_of(store, "b1")["id"]
    store.claim(MO, b1)
    for refused in (
        lambda: store.escalate(MONA, b1, "mine now"),
        lambda: store.hold(MONA, b1, "mine now"),
        lambda: store.snooze(MONA, b1, store.clock.now + timedelta(days=1)),
    ):
        with pytest.raises(Conflict, match="being worked on by mo; it is theirs to route"):
            refused()
    assert store.case(b1)["claimed_by"] == "mo"
    store.hold(BOSS, b1, "an admin may")
    assert store.case(b1)["held_by"] == "boss"


def test_bulk_decisions_respect_the_claim_setting(root, store):
    (root / "settings.json").write_text(json.dumps({"claim_minutes": 120}))
    b1 = case_of(store, "b1")["id"]
    store.claim(MO, b1)
    store.clock.advance(minutes=45)
    outcome = store.decide_many(MONA, [b1], "warn", "spam", "cold", AS_OF, claim_minutes=120)
    assert outcome == {b1: f"case {b1} is being worked on by mo"}
    with pytest.raises(PermissionDenied):
        store.decide_many(ANA, [b1], "warn", "spam", "cold", AS_OF)


def test_a_case_moved_back_by_hand_is_not_escalated_again_and_escalation_drops_a_hold(root):
    with Store(root, Clock()) as store:
        store.sync(MONA, flagged(("hot", 85.0)), AS_OF, escalate_score=80.0)
        hot = case_of(store, "hot")["id"]
        store.escalate(BOSS, hot, "ordinary spam, not senior material", "general")
        store.sync(MONA, flagged(("hot", 86.0)), AS_OF, escalate_score=80.0)
        assert store.case(hot)["queue"] == "general"
        store.hold(MONA, hot, "waiting")
        store.escalate(BOSS, hot, "now it is", "senior")
        case = store.case(hot)
        assert (case["queue"], case["held_at"], case["hold_reason"]) == ("senior", None, None)


def test_the_audit_log_shows_a_case_only_to_those_who_work_its_queue(root):
    with Store(root, Clock()) as store:
        store.sync(MONA, flagged(("hot", 85.0), ("mild", 45.0)), AS_OF, escalate_score=80.0)
        assert set(store.audit_log(MONA)["business_id"]) == {"mild"}
        assert set(store.audit_log(BOSS)["business_id"]) == {"hot", "mild"}


def test_next_case_offers_an_appeal_to_anyone_but_the_first_decider(store):
    b3 = case_of(store, "b3")["id"]
    store.claim(MONA, b3)
    store.decide(MONA, b3, "warn", "spam", "cold", AS_OF)
    store.appeal(MONA, b3, "we had consent")
    for business in ("b1", "b2"):  # mona's other work, so only the appeal is left
        store.claim(MONA, case_of(store, business)["id"])
    assert store.next_case(MONA)["id"] != b3
    assert store.next_case(Principal("max", "moderator"))["id"] == b3
