"""Service times (trustdesk/moderation/service.py): the overdue rule at its boundaries, the times,
medians and overdue counts of a store built by hand with a clock that moves only when told, who
may see them, and the moderator metrics page that shows them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from etl.settings import Settings
from tests.worlds import Clock, open_page
from trustdesk.accounts import auth
from trustdesk.accounts.auth import PermissionDenied, Principal
from trustdesk.moderation import service
from trustdesk.moderation.cases import Store
from trustdesk.web import charts, colors

MONA, OMAR = Principal("mona", "moderator"), Principal("omar", "moderator")
ADA, ANA = Principal("ada", "admin"), Principal("ana", "analyst")
AS_OF = date(2026, 10, 1)
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
DEFAULTS = Settings()  # targets: claim 4 h, decision 24 h, appeal 72 h


def open_cases(store: Store, *businesses: str) -> list[int]:
    """Open a case for each business, as the review queue's sync does; their ids."""
    flags = pl.DataFrame(
        [{"business_id": b, "risk_score": 50.0, "reasons": f"flagged {b}", "first_flagged": AS_OF} for b in businesses]
    )
    store.sync(MONA, flags, AS_OF)
    return [store.cases(business_id=b)[-1]["id"] for b in businesses]


def at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat(timespec="seconds")


def case(status: str = "open", **columns) -> dict:
    """A cases row opened at T0, never claimed."""
    return {"status": status, "opened_at": at(0), "first_claimed_at": None, "held_at": None, **columns}


# --------------------------------------------------------------------------- the overdue rule


@pytest.mark.parametrize(
    "row, hours_later, phrase",
    [
        # a claim is due within 4 h of opening: exactly 4 h is on time, a second later is not
        (case(), 4, None),
        (case(), 4 + 1 / 3600, "claim overdue by 1 min"),
        (case(), 4.5, "claim overdue by 30 min"),
        (case(), 7.5, "claim overdue by 3.5 h"),
        # claimed once (and released): no claim is owed any more, only the decision
        (case(first_claimed_at=at(1)), 7.5, None),
        (case("claimed", first_claimed_at=at(1)), 24, None),
        (case("claimed", first_claimed_at=at(1)), 26, "decision overdue by 2 h"),
        # never claimed and past the decision target: the later promise is the one named
        (case(), 24, "claim overdue by 20 h"),
        (case(), 30, "decision overdue by 6 h"),
        (case(), 24 + 36, "decision overdue by 1.5 d"),
        # an appeal is due within 72 h of its arrival, whenever the case opened
        (case("appealed", first_claimed_at=at(1), appealed_at=at(100)), 172, None),
        (case("appealed", first_claimed_at=at(1), appealed_at=at(100)), 196, "appeal overdue by 1 d"),
        (case("appealed", first_claimed_at=at(1), appealed_at=None), 500, None),  # arrival unknown
        # decided cases owe nothing
        (case("decided", first_claimed_at=at(1)), 500, None),
        (case("appeal_decided", first_claimed_at=at(1), appealed_at=at(100)), 500, None),
        # on hold: not overdue while held, whatever it owes
        (case(held_at=at(1)), 30, None),
        (case("appealed", appealed_at=at(100), held_at=at(101)), 196, None),
        # snoozed: not exempt
        (case(snoozed_until=at(100)), 30, "decision overdue by 6 h"),
    ],
)
def test_overdue_at_and_past_each_target(row, hours_later, phrase):
    assert service.overdue(row, DEFAULTS, T0 + timedelta(hours=hours_later)) == phrase


def test_overdue_follows_the_targets_of_the_settings():
    quick = Settings(claim_target_hours=0.5, decision_target_hours=2.0, appeal_target_hours=1.0)
    assert service.overdue(case(), quick, T0 + timedelta(minutes=30)) is None
    assert service.overdue(case(), quick, T0 + timedelta(minutes=45)) == "claim overdue by 15 min"
    assert service.overdue(case(), quick, T0 + timedelta(hours=3)) == "decision overdue by 1 h"
    appealed = case("appealed", first_claimed_at=at(0.2), appealed_at=at(5))
    assert service.overdue(appealed, quick, T0 + timedelta(hours=8)) == "appeal overdue by 2 h"


def test_a_held_case_is_overdue_again_once_resumed(tmp_path):
    clock = Clock(T0)
    with Store(tmp_path / "data", clock) as store:
        (held,) = open_cases(store, "b1")
        clock.advance(hours=1)
        store.hold(MONA, held, "waiting for the business's documents")
        clock.advance(hours=29)
        assert service.overdue(store.case(held), DEFAULTS, clock()) is None
        store.resume(MONA, held)
        assert service.overdue(store.case(held), DEFAULTS, clock()) == "decision overdue by 6 h"


# --------------------------------------------------------------------------- a store built by hand


@pytest.fixture
def worked(tmp_path):
    """Six cases worked over 26 hours (times from T0, all on the general queue):

    b1  opened 0, claimed by mona 1, decided by mona 2, appealed 8, overturned by omar 20
    b2  opened 0, claimed by omar 4 (exactly the target), decided by omar 8, appealed 8: waiting 18 h
    b3  opened 0, never touched: at 26 h, decision overdue by 2 h
    b4  opened 0, put on hold by omar at 4: not overdue while held
    b5  opened 0, decided by omar at 10 without a claim: his first claim at 10
    b6  opened 20, never claimed: at 26 h, claim overdue by 2 h
    """
    clock = Clock(T0)
    root = tmp_path / "data"
    with Store(root, clock) as store:
        ids = dict(zip(("b1", "b2", "b3", "b4", "b5"), open_cases(store, "b1", "b2", "b3", "b4", "b5")))
        clock.advance(hours=1)
        store.claim(MONA, ids["b1"])
        clock.advance(hours=1)
        store.decide(MONA, ids["b1"], "dismiss", None, "", AS_OF)
        clock.advance(hours=2)
        store.claim(OMAR, ids["b2"])
        store.hold(OMAR, ids["b4"], "waiting for the business's documents")
        clock.advance(hours=4)
        store.decide(OMAR, ids["b2"], "warn", "spam", "templates nobody asked for", AS_OF)
        store.appeal(MONA, ids["b1"], "we only message our customers")
        store.appeal(MONA, ids["b2"], "the users had opted in")
        clock.advance(hours=2)
        store.decide(OMAR, ids["b5"], "dismiss", None, "", AS_OF)
        clock.advance(hours=10)
        store.decide_appeal(OMAR, ids["b1"], True, "the reports were a coordinated campaign")
        (ids["b6"],) = open_cases(store, "b6")
    clock.advance(hours=6)
    return root, clock, ids


def test_times_medians_and_overdue_of_a_worked_store(worked):
    root, clock, ids = worked
    m = service.metrics(root, MONA, clock)
    by_business = {r["business_id"]: r for r in m.cases.iter_rows(named=True)}
    times = {
        b: (r["time_to_first_claim_h"], r["time_to_decision_h"], r["appeal_turnaround_h"])
        for b, r in by_business.items()
    }
    assert times == {
        "b1": (1.0, 2.0, 12.0),
        "b2": (4.0, 8.0, None),
        "b3": (None, None, None),
        "b4": (None, None, None),
        "b5": (10.0, 10.0, None),
        "b6": (None, None, None),
    }
    assert {b: r["overdue"] for b, r in by_business.items() if r["overdue"]} == {
        "b3": "decision overdue by 2 h",
        "b6": "claim overdue by 2 h",
    }
    assert {b: r["first_claimed_by"] for b, r in by_business.items()} == {
        "b1": "mona",
        "b2": "omar",
        "b3": None,
        "b4": None,
        "b5": "omar",  # decided without a claim: the decision was his first claim
        "b6": None,
    }
    assert by_business["b1"]["overturned"] and by_business["b4"]["held"]

    # medians over the times that ended; p90 linear between ranks ([1, 4, 10] -> 4 + 0.8 * 6)
    overall = {r["kind"]: r for r in m.times.iter_rows(named=True)}
    assert {k: (r["cases"], r["median_h"], r["over_target"], r["overdue"]) for k, r in overall.items()} == {
        "claim": (3, 4.0, 1, 1),  # b2's 4 h is on target; b5's 10 h is over
        "decision": (3, 8.0, 0, 1),
        "appeal": (1, 12.0, 0, 0),
    }
    assert overall["claim"]["p90_h"] == pytest.approx(8.8)
    assert overall["decision"]["p90_h"] == pytest.approx(9.6)
    assert (m.median("claim"), m.median("decision"), m.median("appeal")) == (4.0, 8.0, 12.0)
    assert (m.on_target("claim"), m.on_target("decision"), m.on_target("appeal")) == (True, True, True)

    assert (m.decisions, m.appeals, m.overturned) == (3, 1, 1)
    assert (m.overdue, m.on_hold, m.overdue_by_kind()) == (2, 1, {"claim": 1, "decision": 1, "appeal": 0})
    assert m.targets == {"claim": 4.0, "decision": 24.0, "appeal": 72.0}
    # waiting: the overdue first, then the longest waiting; an appeal waits since it arrived
    waiting = m.waiting.select("business_id", "state", "waiting_h", "overdue").rows()
    assert waiting == [
        ("b3", "overdue", 26.0, "decision overdue by 2 h"),
        ("b6", "overdue", 6.0, "claim overdue by 2 h"),
        ("b4", "on hold", 26.0, None),
        ("b2", "on time", 18.0, None),
    ]
    assert m.waiting.filter(pl.col("business_id") == "b4")["held_by"][0] == "omar"
    assert m.overdue_phrases == ["claim overdue by 2 h", "decision overdue by 2 h"]


def test_per_moderator_and_per_queue(worked):
    root, clock, ids = worked
    m = service.metrics(root, MONA, clock)
    assert m.by_moderator.columns == list(service.BY_MODERATOR)
    assert m.by_moderator.rows() == [
        # moderator, decisions, overturned, median and p90 to decision, first claims, median, appeals, median
        ("omar", 2, 0, 9.0, pytest.approx(9.8), 2, 7.0, 1, 12.0),
        ("mona", 1, 1, 2.0, 2.0, 1, 1.0, 0, None),
    ]
    assert m.by_queue.columns == list(service.BY_QUEUE)
    assert m.by_queue.rows() == [("general", 4, 2, 1, 1, 0, 1, 3, 4.0, 3, 8.0, pytest.approx(9.6), 1, 12.0)]


def test_a_moderator_sees_the_queues_they_may_work_an_admin_all(worked):
    root, clock, ids = worked
    with Store(root, clock) as store:
        store.escalate(MONA, ids["b3"], "a bank's name in the templates")
    mine = service.metrics(root, MONA, clock)
    assert "b3" not in set(mine.cases["business_id"]) and mine.overdue == 1
    assert mine.by_queue["queue"].to_list() == ["general"]
    every = service.metrics(root, ADA, clock)
    assert every.overdue == 2
    by_queue = {r["queue"]: r for r in every.by_queue.iter_rows(named=True)}
    assert (by_queue["senior"]["waiting"], by_queue["senior"]["decision_overdue"]) == (1, 1)
    assert (by_queue["general"]["waiting"], by_queue["general"]["claim_overdue"]) == (3, 1)


def test_a_first_claim_counts_for_who_made_it(tmp_path):
    clock = Clock(T0)
    root = tmp_path / "data"
    auth.upsert_account(root, "omar", "moderator", auth.random_password(), actor="test")
    with Store(root, clock) as store:
        given, taken = open_cases(store, "b1", "b2")
        clock.advance(hours=1)
        store.reassign(MONA, given, "omar")  # omar was given b1: he did not take it himself
        store.claim(MONA, taken)
        # the column read the clock a second before the audit line did
        store.con.execute("UPDATE cases SET first_claimed_at = ? WHERE id = ?", (at(1 - 1 / 3600), taken))
    m = service.metrics(root, MONA, clock)
    rows = {r["business_id"]: r for r in m.cases.iter_rows(named=True)}
    assert (rows["b1"]["first_claimed_by"], rows["b1"]["time_to_first_claim_h"]) == (None, 1.0)
    assert rows["b2"]["first_claimed_by"] == "mona"
    assert m.by_moderator.select("moderator", "first_claims").rows() == [("mona", 1)]
    assert m.times.filter(pl.col("kind") == "claim")["cases"][0] == 2


def test_a_store_kept_before_the_service_columns_reads_its_audit_log(worked):
    """Cases claimed and appealed before `first_claimed_at` and `appealed_at` existed: the audit
    log's first "case claimed" and "appeal received" lines give the same times."""
    root, clock, ids = worked
    before = service.metrics(root, MONA, clock)
    with Store(root, clock) as store:
        store.con.execute("UPDATE cases SET first_claimed_at = NULL, appealed_at = NULL")
    after = service.metrics(root, MONA, clock)
    assert after.cases.equals(before.cases) and after.waiting.equals(before.waiting)


def test_an_empty_store_has_empty_frames_and_no_medians(tmp_path):
    m = service.metrics(tmp_path / "data", MONA, Clock(T0))
    assert m.cases.is_empty() and m.waiting.is_empty() and m.by_moderator.is_empty() and m.by_queue.is_empty()
    assert m.cases.schema == pl.Schema(service.CASE_SCHEMA) and m.waiting.schema == pl.Schema(service.WAITING_SCHEMA)
    assert m.by_moderator.columns == list(service.BY_MODERATOR) and m.by_queue.columns == list(service.BY_QUEUE)
    assert [m.median(k) for k in service.KINDS] == [None, None, None]
    assert [m.on_target(k) for k in service.KINDS] == [None, None, None]
    assert (m.decisions, m.overdue, m.appeals, m.overturned, m.overdue_phrases) == (0, 0, 0, 0, [])
    assert m.times["cases"].to_list() == [0, 0, 0]


def test_an_analyst_is_refused(tmp_path):
    with pytest.raises(PermissionDenied, match="the analyst role may not see service times"):
        service.metrics(tmp_path / "data", ANA)
    with pytest.raises(PermissionDenied):
        service.metrics(tmp_path / "data", None)


def test_charts_keep_each_target_in_view_and_draw_nothing_without_times(worked, tmp_path):
    root, clock, ids = worked
    m = service.metrics(root, MONA, clock)
    panels = charts.service_medians(m.by_moderator, "moderator", "Moderator", m.targets).to_dict()["hconcat"]
    bars, rules = [p["layer"][0] for p in panels], [p["layer"][1] for p in panels]
    assert [b["title"] for b in bars] == [
        "Time to first claim (target 4 h)",
        "Time to decision (target 24 h)",
        "Appeal turnaround (target 72 h)",
    ]
    # bars and target line on one scale that reaches past both (omar's 7 h first claims, the 24 h target)
    domains = [b["encoding"]["x"]["scale"]["domain"] for b in bars]
    assert [low for low, _ in domains] == [0, 0, 0]
    assert [high for _, high in domains] == pytest.approx([7.7, 26.4, 79.2])
    assert all(r["encoding"]["x"]["scale"] == b["encoding"]["x"]["scale"] for r, b in zip(rules, bars))
    states = charts.waiting_times(m.waiting).to_dict()["encoding"]["color"]["scale"]
    assert states["domain"] == list(service.STATES) and states["range"][0] == colors.ALERT_COLOR
    empty = service.metrics(tmp_path / "empty", MONA, clock)
    assert charts.service_medians(empty.by_queue, "queue", "Queue", empty.targets) is None
    assert charts.waiting_times(empty.waiting) is None


# --------------------------------------------------------------------------- the page


def recent_store(root, overdue: int = 2, on_time: int = 1) -> list[int]:
    """Cases opened 30 h before now (decision overdue by about 6 h) and just now (on time), on the
    real clock the page reads."""
    opened = Clock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=30))
    with Store(root, opened) as store:
        late = open_cases(store, *(f"late{i}" for i in range(overdue)))
        opened.now = datetime.now(UTC)
        open_cases(store, *(f"new{i}" for i in range(on_time)))
    return late


def test_page_shows_overdue_cases_first_and_counts_them(tmp_path, monkeypatch):
    root = tmp_path / "data"
    late = recent_store(root)
    with Store(root) as store:
        store.decide(MONA, late[0], "dismiss", None, "", AS_OF)  # decided 30 h after it opened
    page = open_page("moderator_metrics", root, monkeypatch, who=("mona", "moderator"))
    shown = {m.label: m for m in page.metric}
    assert shown["Overdue cases"].value == "1" and shown["Cases waiting"].value == "2"
    assert shown["Decisions"].value == "1" and shown["Overturned appeals"].value == "0 of 0"
    assert "claim_target_hours" in shown["Overdue cases"].help and "4 h" in shown["Overdue cases"].help
    assert shown["Median time to decision"].value == "30.0 h"
    assert shown["Median time to decision"].delta == "target 24 h"
    assert shown["Median time to first claim"].value == "30.0 h"  # the decision was its first claim
    assert shown["Median appeal turnaround"].value == "–"
    waiting = page.dataframe[0].value
    assert list(waiting["business_id"]) == ["late1", "new0"]
    assert waiting["overdue"][0].startswith("decision overdue by 6") and list(waiting["overdue"].isna()) == [
        False,
        True,
    ]
    # the phrase is a red label: the table colours the values its column lists
    config = json.loads(page.dataframe[0].proto.columns)["overdue"]
    assert config["type_config"] == {
        "type": "multiselect",
        "options": [{"value": waiting["overdue"][0], "color": "red"}],
    }
    per_moderator = page.dataframe[2].value
    assert list(per_moderator["moderator"]) == ["mona"] and list(per_moderator["decisions"]) == [1]
    assert not page.info


def test_page_on_an_empty_store_says_what_to_do(tmp_path, monkeypatch):
    page = open_page("moderator_metrics", tmp_path / "data", monkeypatch, who=("mona", "moderator"))
    shown = {m.label: m.value for m in page.metric}
    assert shown["Overdue cases"] == "0" and shown["Decisions"] == "0"
    assert shown["Median time to decision"] == "–"
    assert page.info[0].value.startswith("No case yet: cases open when a moderator opens the Review queue")
    assert not page.dataframe
