"""AppTest for the moderation pages (review queue, business, audit log, moderator metrics) on a small
generated world, and the read side behind them (trustdesk/moderation/review.py, trustdesk/moderation/business.py)."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from etl.settings import REPO_ROOT
from tests.worlds import BLOCKS, BUSINESSES, MESSAGES, REPORTS, build, golden_world, msg, sign_in_apptest
from trustdesk.accounts import auth
from trustdesk.accounts.auth import PermissionDenied, Principal
from trustdesk.analytics.metrics import Period, compute
from trustdesk.data.export import safe_csv
from trustdesk.moderation import business, review, risk, service
from trustdesk.moderation.cases import Store
from trustdesk.moderation.risk import queue, span
from trustdesk.warehouse import open_current

PAGES = (
    "pages/moderation/review_queue.py",
    "pages/moderation/business.py",
    "pages/moderation/audit_log.py",
    "pages/moderation/moderator_metrics.py",
)
MONA, OMAR, ANA = Principal("mona", "moderator"), Principal("omar", "moderator"), Principal("ana", "analyst")
MARKUP = "<b>MEGA</b> Deals & \"Offers\" <script>alert('hi')</script>"


@pytest.fixture(scope="module")
def world(make_world):
    """A generated world loaded once; each test works on its own copy (its own moderation store)."""
    return make_world("moderation", seed=7, businesses=150, days=30, messages=60_000) / "data"


@pytest.fixture
def root(world, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(world, copy)
    return copy


@pytest.fixture
def wh(root):
    w = open_current(root)
    yield w
    w.close()


@pytest.fixture
def expected(wh):
    """The review queue as the risk model computes it, nothing decided yet."""
    table = queue(wh).table
    assert table.height >= 3, "the world should flag a few businesses"
    return table


def page(path: str, root, monkeypatch, who: Principal | None = MONA, business_id: str | None = None) -> AppTest:
    monkeypatch.setenv("TRUSTDESK_DATA", str(root))
    at = AppTest.from_file(str(REPO_ROOT / path), default_timeout=60)
    if who:
        sign_in_apptest(at, root, who)
    if business_id:
        at.query_params["business"] = business_id
    at.run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


def texts(at: AppTest) -> list[str]:
    """Every piece of text the page shows outside tables."""
    out = []
    for kind in ("title", "subheader", "markdown", "caption", "text", "info", "warning", "success", "error"):
        out += [str(e.value) for e in getattr(at, kind)]
    return out


def case_of(root, business_id: str) -> dict:
    with Store(root) as store:
        cases = store.cases(business_id=business_id)
    assert cases, f"no case for {business_id}"
    return cases[-1]


def audit_events(root) -> list[tuple[str, str, str]]:
    with Store(root) as store:
        log = store.audit_log(MONA)
    return list(zip(log["actor"], log["event"], log["business_id"]))


# --------------------------------------------------------------------------- review queue


def test_queue_page_ranks_businesses_with_their_reasons_and_opens_cases(root, monkeypatch, expected):
    at = page("pages/moderation/review_queue.py", root, monkeypatch)
    shown = frames(at)[0]
    top = expected.row(0, named=True)
    assert list(shown["name"][:3]) == expected["name"].head(3).to_list()
    assert shown["reasons"][0] == top["reasons"] and "messages" in top["reasons"]
    assert shown["risk_score"][0] == top["risk_score"] and shown["rating"][0] == top["rating"]
    assert set(shown["status"]) == {"open"}
    assert {m.label: m.value for m in at.metric}["Flagged businesses"] == f"{expected.height:,}"
    with Store(root) as store:
        assert {c["business_id"] for c in store.cases()} == set(expected["business_id"])
    # the visit opened the cases, but opening them is the system's act, not mona's
    assert ("system", "case opened", top["business_id"]) in audit_events(root)
    # a second visit opens nothing new
    page("pages/moderation/review_queue.py", root, monkeypatch)
    with Store(root) as store:
        assert len(store.cases()) == expected.height


def test_queue_page_claim_release_and_snooze(root, monkeypatch, expected):
    at = page("pages/moderation/review_queue.py", root, monkeypatch)
    top = expected.row(0, named=True)
    case_id = case_of(root, top["business_id"])["id"]
    at.selectbox(key="case").set_value(case_id)
    click(at, "claim")
    assert at.success[0].value == f"You claimed case {case_id}."
    assert frames(at)[0]["claimed_by"][0] == "mona"
    # someone else cannot take it while the claim lasts; they are told who holds it
    other = page("pages/moderation/review_queue.py", root, monkeypatch, OMAR)
    other.selectbox(key="case").set_value(case_id)
    click(other, "claim")
    assert "being worked on by mona" in other.warning[0].value
    at.selectbox(key="case").set_value(case_id)
    click(at, "release")
    assert case_of(root, top["business_id"])["claimed_by"] is None
    at.selectbox(key="case").set_value(case_id)
    at.date_input(key="snooze_until").set_value(date.today() + timedelta(days=3))
    click(at, "snooze")
    assert "snoozed until" in at.success[0].value
    assert case_of(root, top["business_id"])["snoozed_until"].startswith(str(date.today() + timedelta(days=3)))
    # Next case skips the snoozed one
    nxt = review.next_case(root, OMAR)
    assert nxt["business_id"] == expected["business_id"][1]


def test_queue_views_filter_save_and_narrow_next_case(root, monkeypatch, expected):
    """Filter the queue by policy (or market, category, signal), save it as a named view, and Next
    case picks from that view only."""
    at = page("pages/moderation/review_queue.py", root, monkeypatch)
    policies_seen = set(expected["suggested_policy"])
    policy = sorted(policies_seen)[0]
    wanted = expected.filter(pl.col("suggested_policy") == policy)
    at.selectbox(key="view_policy").set_value(policy).run()
    assert not at.exception
    assert set(frames(at)[0]["business_id"]) == set(wanted["business_id"])
    assert {m.label: m.value for m in at.metric}["Flagged businesses"] == f"{wanted.height:,}"
    at.text_input(key="view_name").input("mine")
    at.button[[b.label for b in at.button].index("Save the view")].click().run()
    assert at.success[0].value == "View 'mine' saved."
    assert review.saved_views(root, MONA) == {"mine": review.QueueFilter(policy=policy)}
    market = at.selectbox(key="view_market")  # the markets offered are those of the queue
    assert set(market.options) == set(expected["country"].drop_nulls())
    # A fresh visit, in the app: choosing the saved view applies its filters, and Next case takes
    # the view's top case, not the queue's.
    again = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    sign_in_apptest(again, root, MONA)
    again.run()
    again.switch_page("pages/moderation/review_queue.py").run()
    assert frames(again)[0].shape[0] == expected.height
    again.selectbox(key="saved_view").set_value("mine").run()
    assert set(frames(again)[0]["business_id"]) == set(wanted["business_id"])
    click(again, "next_case")
    assert again.query_params["business"] == wanted["business_id"][0]
    nxt = [c for c in (case_of(root, b) for b in expected["business_id"]) if c["claimed_by"] == "mona"]
    assert [c["business_id"] for c in nxt] == [wanted["business_id"][0]]


def test_overdue_cases_are_counted_and_labelled_in_the_queue(root, monkeypatch, expected):
    page("pages/moderation/review_queue.py", root, monkeypatch)  # opens the cases now
    with Store(root) as store:  # ... as if they had opened two days ago
        store.con.execute("UPDATE cases SET opened_at = ?", ((datetime.now(UTC) - timedelta(days=2)).isoformat(),))
    at = page("pages/moderation/review_queue.py", root, monkeypatch)
    assert {m.label: m.value for m in at.metric}["Overdue"] == f"{expected.height:,}"
    shown = frames(at)[0]
    assert all(str(v).startswith("decision overdue by") for v in shown["overdue"])


def test_escalate_and_hold_from_the_business_page(root, monkeypatch, expected):
    top, second = expected.row(0, named=True), expected.row(1, named=True)
    page("pages/moderation/review_queue.py", root, monkeypatch)
    at = page("pages/moderation/business.py", root, monkeypatch, business_id=top["business_id"])
    at.text_area(key="escalate_note").input("Same texts as a ring we banned")
    at.button(key="escalate").click().run()
    case = case_of(root, top["business_id"])
    assert at.success[0].value == f"Case {case['id']} is escalated to the senior queue."
    assert case["queue"] == "senior"
    # mona does not work the senior queue: the page no longer offers her the case.
    at = page("pages/moderation/business.py", root, monkeypatch, business_id=top["business_id"])
    assert any("a queue you do not work" in i.value for i in at.info)
    assert not at.get("form") or "decision" not in [f.proto.form_id for f in at.get("form")]
    # hold the second business's case: Next case skips it.
    at = page("pages/moderation/business.py", root, monkeypatch, business_id=second["business_id"])
    at.text_input(key="hold_reason").input("waiting for the business's consent records")
    at.button(key="hold").click().run()
    held = case_of(root, second["business_id"])
    assert held["held_at"] and held["hold_reason"] == "waiting for the business's consent records"
    nxt = review.next_case(root, OMAR)
    assert nxt is None or nxt["business_id"] not in (top["business_id"], second["business_id"])


def test_admin_queues_page_changes_who_works_a_queue(root, monkeypatch):
    boss = Principal("boss", "admin")
    at = page("pages/admin/queues.py", root, monkeypatch, boss)
    at.selectbox(key="queue_pick").set_value("senior").run()
    at.text_input(key="queue_people_senior").input("nobody-here")
    at.button[[b.label for b in at.button].index("Save the queue")].click().run()
    assert at.warning[0].value == "There is no account named nobody-here."
    auth.upsert_account(root, "mona", "moderator", auth.random_password(), actor="test")
    assert {"general", "senior"} <= set(frames(at)[0]["name"])
    at.selectbox(key="queue_pick").set_value("senior").run()
    at.text_input(key="queue_people_senior").input("mona")
    at.button[[b.label for b in at.button].index("Save the queue")].click().run()
    assert at.success[0].value == "Queue senior saved."
    with Store(root) as store:
        assert "senior" in store.readable_queues(MONA) and "senior" not in store.readable_queues(OMAR)
    # a moderator is refused the page
    monkeypatch.setenv("TRUSTDESK_DATA", str(root))
    refused = AppTest.from_file(str(REPO_ROOT / "pages/admin/queues.py"), default_timeout=60)
    sign_in_apptest(refused, root, MONA)
    refused.run()
    assert not refused.dataframe and not refused.get("form")


def test_next_case_claims_the_top_case_and_opens_its_business_page(root, monkeypatch, expected):
    monkeypatch.setenv("TRUSTDESK_DATA", str(root))
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    sign_in_apptest(at, root, MONA)
    at.run()
    at.switch_page("pages/moderation/review_queue.py").run()
    click(at, "next_case")
    top = expected.row(0, named=True)
    assert at.title[0].value == "Business"
    assert at.query_params["business"] == top["business_id"]
    assert top["name"] in [t.value for t in at.text]
    case = case_of(root, top["business_id"])
    assert (case["status"], case["claimed_by"]) == ("claimed", "mona")
    assert at.get("form"), "the claimed case's decision form is on the page"


def test_a_case_opened_from_the_queue_shows_the_days_its_flag_was_based_on(root, monkeypatch, expected):
    """The evidence opens on the flag's trailing window, not the sidebar's last 30 days (where the
    abuse may not be), and every reason says the days it covers."""
    data_from = min(expected["window_from"])
    for row in expected.iter_rows(named=True):
        # the steady window the flag rests on (it holds the 7-day risk window), cut at the data's start
        start = max(row["peak_day"] - timedelta(days=risk.LONG_DAYS - 1), data_from)
        assert (row["window_from"], row["window_to"]) == (start, row["peak_day"])
        for part in row["reasons"].split("; "):
            assert " over the " in part or part.startswith("part of campaign"), part
    top = expected.row(0, named=True)
    window = (top["window_to"] - top["window_from"]).days + 1
    days_words = span(top["window_from"], top["window_to"])
    monkeypatch.setenv("TRUSTDESK_DATA", str(root))
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60)
    sign_in_apptest(at, root, MONA)
    at.run()
    at.switch_page("pages/moderation/review_queue.py").run()
    assert frames(at)[0]["reasons"][0] == top["reasons"]
    click(at, "next_case")
    assert at.query_params["business"] == top["business_id"]
    assert at.radio(key=f"evidence-{top['business_id']}").value == "flag"
    assert f"Evidence over {days_words}: the {window} days the flag was based on, up to its riskiest day." in [
        c.value for c in at.caption
    ]
    (days,) = [d for d in frames(at) if "messages_sent" in d.columns]
    assert [d.date() for d in days["day"]] == [top["window_from"] + timedelta(days=i) for i in range(window)]
    assert days["reports"].sum() > 0 and days["messages_sent"].sum() > 0
    assert not any("No report about this business" in i.value for i in at.info)
    assert at.toggle(key="reveal").label == f"Reveal the {int(days['reports'].sum()):,} reported messages"
    (reasons,) = [d for d in frames(at) if "kind" in d.columns and "reason" in d.columns]
    assert reasons["events"].sum() > 0
    # the sidebar's period is one click away
    at = page("pages/moderation/business.py", root, monkeypatch, business_id=top["business_id"])
    assert at.radio(key=f"evidence-{top['business_id']}").value == "flag"
    at.radio(key=f"evidence-{top['business_id']}").set_value("sidebar").run()
    assert not at.exception
    (days,) = [d for d in frames(at) if "messages_sent" in d.columns]
    assert len(days) == 30
    assert any(c.value.endswith(": the sidebar's period.") for c in at.caption)


def test_bulk_decision_decides_each_case_and_refusals_are_told(root, monkeypatch, expected):
    at = page("pages/moderation/review_queue.py", root, monkeypatch)
    ids = [case_of(root, b)["id"] for b in expected["business_id"].head(3)]
    # without a policy the store refuses, and the form shows its sentence
    at.multiselect(key="bulk_cases").set_value(ids[:2])
    at.selectbox(key="bulk_action").set_value("restrict")
    at.text_area(key="bulk_rationale").input("unsolicited marketing")
    click(at, "bulk_decide")
    assert at.warning[0].value == "A decision needs a policy; choose one of spam, scam, election\\_integrity, other."
    # omar opened the queue before mona decided the third case: he is told she did
    other = page("pages/moderation/review_queue.py", root, monkeypatch, OMAR)
    review.decide(root, MONA, ids[2], "warn", "spam", "templates nobody asked for", date(2026, 9, 30))
    at.selectbox(key="bulk_policy").set_value("spam")
    click(at, "bulk_decide")  # restrict is past the ladder's first step (warn): say why
    assert "Refused: The ladder's next step for this business is Warn (0 live strikes)" in at.warning[0].value
    at.text_input(key="bulk_override").input("the same campaign across both, at scale")
    click(at, "bulk_decide")
    assert at.success[0].value == f"Restrict the messaging limit: 2 of 2 cases decided ({ids[0]}, {ids[1]})."
    other.multiselect(key="bulk_cases").set_value([ids[2]])
    other.selectbox(key="bulk_action").set_value("ban")
    other.selectbox(key="bulk_policy").set_value("scam")
    other.text_area(key="bulk_rationale").input("fake prizes")
    click(other, "bulk_decide")
    assert f"Case {ids[2]} was already decided by mona." in other.warning[0].value
    with Store(root) as store:
        decided = {
            d["case_id"]: (d["action"], d["decided_by"])
            for b in expected["business_id"].head(3)
            for d in store.history(b)
        }
    assert decided == {ids[0]: ("restrict", "mona"), ids[1]: ("restrict", "mona"), ids[2]: ("warn", "mona")}
    # decided businesses leave the queue
    after = frames(page("pages/moderation/review_queue.py", root, monkeypatch))[0]
    assert not set(after["business_id"]) & set(expected["business_id"].head(3))


def test_a_stale_decision_form_is_told_who_decided_first(root, monkeypatch, expected):
    top = expected.row(0, named=True)
    page("pages/moderation/review_queue.py", root, monkeypatch)
    case_id = case_of(root, top["business_id"])["id"]
    review.claim(root, OMAR, case_id)
    at = page("pages/moderation/business.py", root, monkeypatch, OMAR, top["business_id"])
    # omar leaves his claim to lapse; mona takes the case and decides it
    later = lambda: datetime.now(UTC) + timedelta(minutes=31)  # noqa: E731
    with Store(root, later) as store:
        store.decide(MONA, case_id, "warn", "spam", "templates nobody asked for", date(2026, 9, 30))
    at.selectbox(key=f"case{case_id}_action").set_value("ban")
    at.selectbox(key=f"case{case_id}_policy").set_value("scam")
    at.text_area(key=f"case{case_id}_rationale").input("fake prizes")
    click(at, "decide")
    assert at.warning[0].value == f"Case {case_id} was already decided by mona."
    with Store(root) as store:
        assert [d["action"] for d in store.history(top["business_id"])] == ["warn"]


def test_empty_queue_says_why(tmp_path, monkeypatch):
    root, _ = build(tmp_path, businesses=BUSINESSES, messages=MESSAGES, blocks=BLOCKS, reports=REPORTS)
    at = page("pages/moderation/review_queue.py", root, monkeypatch)
    assert at.info[0].value.startswith("The queue is empty: no business was flagged in the last 30 days")
    assert not at.dataframe


# --------------------------------------------------------------------------- business page


def test_business_page_decision_lands_in_the_store_and_the_audit_log(root, monkeypatch, expected):
    top = expected.row(0, named=True)
    page("pages/moderation/review_queue.py", root, monkeypatch)  # opens the cases
    at = page("pages/moderation/business.py", root, monkeypatch, business_id=top["business_id"])
    assert top["name"] in [t.value for t in at.text]
    assert f"Reasons: {top['reasons']}" in [t.value for t in at.text]
    click(at, "claim_case")
    key = f"case{case_of(root, top['business_id'])['id']}"
    # the form proposes the ladder's next step (a first strike is a warning) and the likely policy
    assert at.selectbox(key=f"{key}_action").value == "warn"
    assert at.selectbox(key=f"{key}_policy").value == top["suggested_policy"]
    assert any("0 live strikes; the ladder proposes **Warn**" in m.value for m in at.markdown)
    at.selectbox(key=f"{key}_action").set_value("suspend")
    at.selectbox(key=f"{key}_policy").set_value("spam")
    click(at, "decide")
    assert at.warning[0].value == "A 'suspend' decision needs a written rationale."
    at.text_area(key=f"{key}_rationale").input("bulk spam to users who never opted in")
    click(at, "decide")
    assert at.warning[0].value.startswith("The ladder's next step for this business is Warn")
    at.text_input(key=f"{key}_override").input("a whole campaign, not a slip")
    click(at, "decide")
    case = case_of(root, top["business_id"])
    # after the decision the next case is claimed and opened (the default; a toggle turns it off)
    second = expected.row(1, named=True)
    nxt = case_of(root, second["business_id"])
    assert at.success[0].value == (
        f"Case {case['id']}: Suspend recorded. Next: case {nxt['id']} ({second['business_id']}), claimed for you."
    )
    assert nxt["claimed_by"] == "mona" and at.selectbox(key="business_pick").value == second["business_id"]
    # ... and its form starts empty of the previous case's answers
    assert not at.text_area(key=f"case{nxt['id']}_rationale").value
    assert not at.text_input(key=f"case{nxt['id']}_override").value
    assert case["status"] == "decided" and case["decided_as_of"] == "2026-09-30"
    with Store(root) as store:
        (decision,) = store.history(top["business_id"])
    assert (decision["action"], decision["policy"], decision["decided_by"]) == ("suspend", "spam", "mona")

    log = page("pages/moderation/audit_log.py", root, monkeypatch)
    shown = frames(log)[0]
    newest, decision_line = shown.iloc[0], shown.iloc[1]
    assert (newest["actor"], newest["event"], newest["business_id"]) == ("mona", "case claimed", second["business_id"])
    assert (decision_line["actor"], decision_line["event"]) == ("mona", "decision: suspend")
    assert decision_line["business_id"] == top["business_id"]
    log.selectbox(key="audit_event").set_value("decision: suspend").run()
    assert list(frames(log)[0]["business_id"]) == [top["business_id"]]
    assert log.caption[-1].value.startswith("1 of ")
    assert log.get("download_button"), "the filtered log can be downloaded"
    # the history tab shows the decision
    again = page("pages/moderation/business.py", root, monkeypatch, business_id=top["business_id"])
    (decisions,) = [d for d in frames(again) if "action" in d.columns]
    assert list(decisions["action"]) == ["suspend"] and list(decisions["decided_by"]) == ["mona"]


def test_reported_texts_stay_hidden_until_revealed(root, monkeypatch, wh, expected):
    top = expected.row(0, named=True)
    period = Period(top["window_from"], top["window_to"])  # the page opens on the flag's days
    reported = business.reported_messages(wh, MONA, top["business_id"], period)
    secret = reported["text"].drop_nulls()[0]
    at = page("pages/moderation/business.py", root, monkeypatch, business_id=top["business_id"])
    everything = texts(at) + [d.to_csv() for d in frames(at)]
    assert not any(secret in t for t in everything)
    assert not any("text" in d.columns for d in frames(at))
    at.toggle(key="reveal").set_value(True).run()
    assert not at.exception
    (shown,) = [d for d in frames(at) if "text" in d.columns]
    assert secret in list(shown["text"]) and len(shown) == reported.height


def test_markup_in_names_is_shown_as_characters(root, monkeypatch, wh, expected):
    (markup,) = wh.query("select business_id from dim_businesses where name = $n", {"n": MARKUP})["business_id"]
    assert markup in set(expected["business_id"]), "the planted spammer with markup is flagged"
    queue_page = page("pages/moderation/review_queue.py", root, monkeypatch)
    assert MARKUP in list(frames(queue_page)[0]["name"])
    at = page("pages/moderation/business.py", root, monkeypatch, business_id=markup)
    assert MARKUP in [t.value for t in at.text]
    assert MARKUP in list(frames(at)[0]["value"])  # the profile table
    assert not any("<script>" in t or "<b>" in t for t in texts(at) if t != MARKUP)
    for path in PAGES:
        assert "unsafe_allow_html" not in (REPO_ROOT / path).read_text()


def test_unknown_business_and_a_business_not_in_the_data(tmp_path, monkeypatch):
    messages = MESSAGES + [msg("m99", "2026-03-02T10:00:00Z", "b3", "u1", "outbound", "IN", "marketing", "x", "read")]
    root, _ = build(tmp_path, businesses=BUSINESSES, messages=messages, reports=REPORTS)
    at = page("pages/moderation/business.py", root, monkeypatch, business_id="b3")
    assert "unknown business: no file has defined it yet" in [t.value for t in at.text]
    at = page("pages/moderation/business.py", root, monkeypatch, business_id="b1' or '1'='1")
    assert at.warning[0].value.startswith("This business is not in the data")


def test_appeal_is_decided_by_another_moderator(root, monkeypatch, expected):
    top = expected.row(0, named=True)
    page("pages/moderation/review_queue.py", root, monkeypatch)
    case_id = case_of(root, top["business_id"])["id"]
    review.decide(root, MONA, case_id, "ban", "scam", "fake prizes", date(2026, 9, 30), "fake prizes, at scale")
    at = page("pages/moderation/business.py", root, monkeypatch, business_id=top["business_id"])
    assert any("was decided: Ban under scam by mona" in i.value for i in at.info)
    at.text_area(key="appeal_text").input("We only message our customers.")
    click(at, "record_appeal")
    assert case_of(root, top["business_id"])["status"] == "appealed"
    # mona took the first decision: she is not offered the appeal, and the store refuses her anyway
    assert "appeal_verdict" not in [r.key for r in at.radio]
    assert any("another moderator decides this appeal" in c.value for c in at.caption)
    with pytest.raises(review.ModerationError, match="another moderator"):
        review.decide_appeal(root, MONA, case_id, True, "I decided it myself")
    other = page("pages/moderation/business.py", root, monkeypatch, OMAR, top["business_id"])
    # where the appeal is decided: the business's words and the first decision's rationale
    shown_text = texts(other)
    assert "We only message our customers." in shown_text and "fake prizes" in shown_text
    other.radio(key="appeal_verdict").set_value("Overturn the decision")
    other.text_area(key="appeal_rationale").input("the reports were a coordinated campaign")
    click(other, "decide_appeal")
    assert other.success[0].value == f"The appeal of case {case_id} is decided: the decision is overturned."
    with Store(root) as store:
        kinds = [(d["kind"], d["action"], d["overturned"]) for d in store.history(top["business_id"])]
    assert kinds == [("decision", "ban", 1), ("appeal", "overturn", 1)]
    metrics = page("pages/moderation/moderator_metrics.py", root, monkeypatch)
    shown = {m.label: m.value for m in metrics.metric}
    assert shown["Overturned appeals"] == "1 of 1" and shown["Decisions"] == "1"


def test_notes_are_added_to_the_case(root, monkeypatch, expected):
    top = expected.row(0, named=True)
    page("pages/moderation/review_queue.py", root, monkeypatch)
    at = page("pages/moderation/business.py", root, monkeypatch, business_id=top["business_id"])
    at.text_area(key="note_text").input("Called the business; no answer.")
    click(at, "add_note")
    at.text_area(key="note_text").input('=HYPERLINK("http://x")')
    click(at, "add_note")
    (notes,) = [d for d in frames(at) if "author" in d.columns]
    assert list(notes["text"]) == ["Called the business; no answer.", '=HYPERLINK("http://x")']
    assert list(notes["author"]) == ["mona", "mona"]
    # the audit log's CSV download keeps a note that looks like a formula as text
    csv = safe_csv(review.audit_log(root, MONA, event="note added"))
    assert "'=HYPERLINK" in csv and "\n=HYPERLINK" not in csv and ",=HYPERLINK" not in csv


def test_business_view_shows_activity_revenue_and_campaigns(wh, expected):
    period = Period.last(30, wh.date_range()[1])
    top = expected.row(0, named=True)
    view = business.view(wh, top["business_id"], period)
    assert view.name == top["name"] and view.days.height == 30
    activity = wh.query(
        "select sum(outbound) as outbound, sum(reports) as reports from business_activity_day where business_id = $b",
        {"b": top["business_id"]},
    )
    assert view.days["messages_sent"].sum() == activity["outbound"][0]
    assert (
        view.days["reports"].sum()
        == activity["reports"][0]
        == view.reasons.filter(pl.col("kind") == "report")["events"].sum()
    )
    # the rating on the last day is the quality metric's
    quality = compute(wh, "quality", Period(period.date_to, period.date_to)).filter(
        pl.col("business_id") == top["business_id"]
    )
    assert view.days["rating"][-1] == (quality["rating"][0] if quality.height else "UNKNOWN")
    # per-business revenue adds up to the revenue by region of the same 30 days
    totals = compute(wh, "revenue_by_region", period)
    ids = wh.query("select business_id from dim_businesses")["business_id"]
    revenues = [business.revenue(wh, b, period.date_to) for b in ids]
    assert float(sum(r.messaging_revenue_usd for r in revenues)) == pytest.approx(
        float(totals["messaging_revenue_usd"].sum())
    )
    assert float(sum(r.ad_spend_usd for r in revenues)) == pytest.approx(float(totals["ad_revenue_usd"].sum()))
    assert sum(r.billable_messages for r in revenues) == totals["billable_messages"].sum()


def test_business_revenue_on_hand_worked_numbers(tmp_path):
    wh = open_current(golden_world(tmp_path))
    try:
        b1 = business.revenue(wh, "b1", date(2026, 3, 3))
        # m3 utility outside the window 0.001, m5 marketing 0.01, m6 marketing after the price change 0.02
        assert b1.billable_messages == 3 and b1.messaging_revenue_usd == Decimal("0.031")
        assert b1.ad_spend_usd == Decimal("0.005")
        # m8 India marketing 0.01, m9 Brazil marketing 0.06, m10 Brazil authentication: no price, bills 0
        b2 = business.revenue(wh, "b2", date(2026, 3, 3))
        assert b2.messaging_revenue_usd == Decimal("0.07") and b2.ad_spend_usd == 0
        view = business.view(wh, "b1", Period(date(2026, 3, 1), date(2026, 3, 3)))
        assert view.campaigns["spend_usd"][0] == Decimal("0.005") and view.campaigns["reach"][0] == 2
        # r1 reports m6 (template promo); r3 names no message
        assert sorted(view.templates.rows()) == [("(free-form or no message)", 1, "spam"), ("promo", 1, "spam")]
    finally:
        wh.close()


def test_business_queries_bind_their_values():
    from trustdesk.warehouse import sql_for

    for path in (REPO_ROOT / "trustdesk").rglob("business_*.sql"):
        sql = sql_for(path.stem)
        assert "$business_id" in sql and "{" not in sql, path.name


# --------------------------------------------------------------------------- metrics page


def test_moderator_metrics_page(root, monkeypatch, expected):
    with Store(root) as store:  # the flagged businesses' cases, opened as the review queue opens them
        store.sync(MONA, expected, date(2026, 9, 30))
        first, second = (c["id"] for c in store.cases(who=MONA)[:2])
    review.decide(root, MONA, first, "dismiss", None, "", date(2026, 9, 30))
    review.decide(root, OMAR, second, "warn", "spam", "templates", date(2026, 9, 30))
    at = page("pages/moderation/moderator_metrics.py", root, monkeypatch)
    shown = {m.label: m.value for m in at.metric}
    with Store(root) as store:
        waiting = {c["business_id"] for c in store.cases(("open", "claimed", "appealed"), who=MONA)}
    assert shown["Decisions"] == "2" and shown["Cases waiting"] == f"{len(waiting):,}"
    assert shown["Overdue cases"] == "0"  # every case opened moments ago
    for label in ("Median time to first claim", "Median time to decision"):
        assert re.fullmatch(r"[\d,.]+ (min|h)", shown[label])
    shown_waiting, times, per_moderator, per_queue, per_case = frames(at)
    assert set(shown_waiting["business_id"]) == waiting
    assert sorted(per_moderator["moderator"]) == ["mona", "omar"] and list(per_moderator["decisions"]) == [1, 1]
    assert list(times["cases"]) == [2, 2, 0] and list(per_queue["queue"]) == ["general"]
    assert per_case["time_to_decision_h"].notna().sum() == 2


# --------------------------------------------------------------------------- roles


@pytest.mark.parametrize("path", PAGES)
def test_analyst_is_refused_on_every_moderation_page(root, monkeypatch, path):
    at = page(path, root, monkeypatch, ANA)
    assert at.error[0].value == "Refused: this page needs the moderator role; you are signed in as analyst."
    assert not at.dataframe and not at.metric


def test_read_and_write_side_refuse_an_analyst(root, wh, expected):
    period = Period.last(30, wh.date_range()[1])
    bid = expected["business_id"][0]
    page_free_calls = [
        lambda: review.open_queue(wh, ANA),
        lambda: review.queue_businesses(wh, ANA),
        lambda: review.case_file(root, ANA, bid),
        lambda: review.next_case(root, ANA),
        lambda: review.decide(root, ANA, 1, "warn", "spam", "x", period.date_to),
        lambda: review.decide_many(root, ANA, [1], "dismiss", None, "", period.date_to),
        lambda: review.audit_log(root, ANA),
        lambda: review.audit_choices(root, ANA),
        lambda: service.metrics(root, ANA),
        lambda: business.reported_messages(wh, ANA, bid, period),
    ]
    for call in page_free_calls:
        with pytest.raises(PermissionDenied, match="the analyst role may not"):
            call()
    review.open_queue(wh, MONA)
    case_id = case_of(root, bid)["id"]
    with Store(root) as store:
        for call in (
            lambda: store.decide(ANA, case_id, "warn", "spam", "x", period.date_to),
            lambda: store.claim(ANA, case_id),
            lambda: store.sync(ANA, expected, period.date_to),
            lambda: service.metrics(root, ANA),
        ):
            with pytest.raises(PermissionDenied):
                call()
    assert case_of(root, bid)["status"] == "open"
