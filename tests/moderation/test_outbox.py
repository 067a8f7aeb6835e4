"""Decisions reach the platform (trustdesk/moderation/outbox.py): signed JSON to a real HTTPS
receiver on loopback that fails on purpose (tests/receiver.py), retries with backoff, leases between
senders, admin retry, roles, the command line, the Deliveries page, and a kill -9 of the dashboard
in the middle of a delivery. The tests of the outbox in the store (writing once, retries, leases, the
kill -9) run on SQLite and on PostgreSQL (tests/pg.py); the command line and the page, slower, on
SQLite."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest

from etl.settings import Settings
from tests.browser.conftest import Server
from tests.deliveries import AS_OF, configured, open_cases, put, rows, tune
from tests.receiver import Receiver
from tests.worlds import Clock, open_page, td
from trustdesk import appdb
from trustdesk.accounts.auth import PermissionDenied, Principal, utcnow
from trustdesk.moderation import outbox
from trustdesk.moderation.cases import Store
from trustdesk.moderation.errors import Conflict

SECRET = "outbox-test-secret-4b1d9c"
ADMIN, MOD, ANA = Principal("ada", "admin"), Principal("mona", "moderator"), Principal("ana", "analyst")
SECOND_MOD = Principal("mo", "moderator")
PAYLOAD_KEYS = {
    "event",
    "decision_id",
    "case_id",
    "business_id",
    "action",
    "policy",
    "rationale",
    "decided_by",
    "decided_at",
    "overturned",
    "strike_expires_at",
}


@pytest.fixture(scope="module")
def receiver(tmp_path_factory):
    rcv = Receiver(tmp_path_factory.mktemp("receiver"), SECRET).start()
    yield rcv
    rcv.stop()


def _configured(tmp_path, receiver):
    receiver.reset(("ok",))
    return configured(tmp_path / "data", receiver, SECRET, outbox_backoff_seconds=5.0, outbox_max_attempts=4)


@pytest.fixture
def root(store_backend, tmp_path, receiver):
    """A data directory whose outbox delivers to the receiver (which answers 200 until told
    otherwise), its store on SQLite, then on PostgreSQL."""
    return _configured(tmp_path, receiver)


@pytest.fixture
def root_on_sqlite(tmp_path, receiver, monkeypatch):
    """The same on SQLite only, for the tests that start many processes or pages."""
    monkeypatch.delenv(appdb.URL_ENV, raising=False)
    return _configured(tmp_path, receiver)


# ----------------------------------------------------------------------------- writing and signing


@pytest.mark.usefixtures("store_backend")
def test_enqueue_writes_once_per_key_and_only_inside_a_transaction(tmp_path):
    root = tmp_path / "data"
    put(root, 1)
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            outbox.enqueue(con, "decision-1", "decision", {"changed": True}, utcnow().isoformat())
        with pytest.raises(RuntimeError, match="inside the transaction"):
            outbox.enqueue(con, "decision-2", "decision", {}, utcnow().isoformat())
    finally:
        con.close()
    stored = rows(root)
    assert list(stored) == ["decision-1"]
    assert json.loads(stored["decision-1"]["payload"])["decision_id"] == 1  # the first body stands
    assert stored["decision-1"]["status"] == "pending" and stored["decision-1"]["attempts"] == 0


def test_a_delivery_is_signed_so_that_a_receiver_following_the_docs_can_verify_it(root, receiver):
    (key,) = put(root)
    done = outbox.deliver_due(root)
    assert (done.delivered, done.retrying, done.failed, done.problem) == (1, 0, 0, None)
    (seen,) = receiver.requests()
    row = rows(root)[key]
    assert seen["key"] == key and seen["valid"] == 1 and seen["content_type"] == "application/json"
    assert seen["body"] == row["payload"].encode("utf-8")  # the stored bytes, exactly
    # Verified again here by the documented scheme, independently of the receiver.
    mac = hmac.new(SECRET.encode(), f"{seen['timestamp']}.".encode() + seen["body"], hashlib.sha256).hexdigest()
    assert seen["signature"] == f"sha256={mac}"
    assert abs(int(seen["timestamp"]) - time.time()) < 3600
    assert json.loads(seen["body"])["rationale"] == "Ünïcode — kept as is"
    assert row["status"] == "delivered" and row["attempts"] == 1 and row["delivered_at"]


def test_failures_back_off_doubling_then_fail_after_the_most_attempts(root, receiver):
    receiver.reset(("500",))
    clock = Clock()
    (key,) = put(root, at=clock.now)
    waits = []
    for _ in range(3):
        assert outbox.deliver_due(root, clock).retrying == 1
        row = rows(root)[key]
        due = appdb.moment(row["next_attempt_at"])
        waits.append((due - clock.now).total_seconds())
        assert outbox.deliver_due(root, clock).attempted == 0  # not due before its time
        clock.now = due
    assert waits == [5.0, 10.0, 20.0]
    assert outbox.deliver_due(root, clock).failed == 1
    row = rows(root)[key]
    assert row["status"] == "failed" and row["attempts"] == 4 and row["last_status"] == 500
    assert "HTTP 500" in row["last_error"]
    clock.advance(hours=2)
    assert outbox.deliver_due(root, clock).attempted == 0  # a failed delivery waits for an admin
    seen = receiver.requests()
    assert len(seen) == 4 and len({r["body"] for r in seen}) == 1 and all(r["valid"] for r in seen)
    assert outbox.backoff(1, 5) == 5 and outbox.backoff(4, 5) == 40 and outbox.backoff(30, 5) == 3600


def test_too_many_requests_waits_as_long_as_the_endpoint_asks(root, receiver):
    receiver.reset(("429",))
    clock = Clock()
    (key,) = put(root, at=clock.now)
    assert outbox.deliver_due(root, clock).retrying == 1
    row = rows(root)[key]
    assert (appdb.moment(row["next_attempt_at"]) - clock.now).total_seconds() == 30  # Retry-After over the 5 s backoff
    assert row["status"] == "pending" and "HTTP 429" in row["last_error"]


def test_a_refusal_fails_at_once_and_an_admin_retry_sends_it_again(root, receiver):
    outbox.configure(root, ADMIN, receiver.url, "a-different-secret-than-the-receivers")
    clock = Clock()
    (key,) = put(root, at=clock.now)
    assert outbox.deliver_due(root, clock).failed == 1
    row = rows(root)[key]
    assert row["status"] == "failed" and row["attempts"] == 1 and row["last_status"] == 401
    assert "HTTP 401" in row["last_error"] and "not retried" in row["last_error"]
    view = outbox.deliveries(root, ADMIN)
    assert view.counts == {"pending": 0, "delivered": 0, "failed": 1}
    assert view.waiting["last_error"][0] == row["last_error"] and view.waiting["next_attempt_at"][0] is None

    outbox.configure(root, ADMIN, receiver.url, SECRET)  # the admin fixes the secret
    clock.advance(minutes=5)
    assert outbox.retry(root, ADMIN, [row["id"]], clock) == [row["id"]]
    again = rows(root)[key]
    assert again["status"] == "pending" and again["attempts"] == 0
    assert appdb.moment(again["next_attempt_at"]) == clock.now
    with Store(root) as store:
        log = store.audit_log(ADMIN, event="delivery retried")
    assert log.height == 1 and log["actor"][0] == "ada" and key in log["detail"][0] and log["case_id"][0] == 1
    assert outbox.deliver_due(root, clock).delivered == 1
    assert [r["valid"] for r in receiver.requests()] == [0, 1]
    assert {r["body"] for r in receiver.requests()} == {row["payload"].encode()}
    with pytest.raises(outbox.OutboxError, match="is delivered, not failed"):
        outbox.retry(root, ADMIN, [row["id"]])
    with pytest.raises(outbox.OutboxError, match="there is no delivery 99"):
        outbox.retry(root, ADMIN, [99])


def test_an_answer_cut_or_lost_is_sent_again_with_the_same_key_and_bytes(root, receiver):
    receiver.reset(("drop", "lost", "ok"))
    clock = Clock()
    (key,) = put(root, at=clock.now)
    assert outbox.deliver_due(root, clock).retrying == 1
    assert "in the middle of its answer" in rows(root)[key]["last_error"]
    clock.advance(seconds=5)
    assert outbox.deliver_due(root, clock).retrying == 1
    assert "HTTP 500" in rows(root)[key]["last_error"]
    clock.advance(seconds=10)
    assert outbox.deliver_due(root, clock).delivered == 1
    seen = receiver.requests()
    # The receiver processed the decision three times; the one key and identical bytes tell it so.
    assert [r["action"] for r in seen] == ["drop", "lost", "ok"] and all(r["processed"] for r in seen)
    assert {r["key"] for r in seen} == {key} and len({r["body"] for r in seen}) == 1
    assert rows(root)[key]["attempts"] == 3


def test_an_untrusted_certificate_is_an_error_until_the_ca_file_is_set(root, receiver):
    tune(root, outbox_ca_file="")
    clock = Clock()
    (key,) = put(root, at=clock.now)
    assert outbox.deliver_due(root, clock).retrying == 1
    assert (
        "certificate is not trusted" in rows(root)[key]["last_error"]
        and "outbox_ca_file" in rows(root)[key]["last_error"]
    )
    assert receiver.requests() == []
    tune(root, outbox_ca_file=str(root / "missing.pem"))
    assert "cannot be read as PEM" in outbox.deliver_due(root, clock).problem
    tune(root, outbox_ca_file=str(receiver.ca_file))
    clock.advance(seconds=5)
    assert outbox.deliver_due(root, clock).delivered == 1


def test_plain_http_is_refused_except_to_this_machine(root):
    for url in ("http://platform.example/hooks", "http://10.0.0.5:8080/x", "ftp://platform.example/"):
        with pytest.raises(outbox.OutboxError, match="https://"):
            outbox.configure(root, ADMIN, url, SECRET)
    for url in ("http://127.0.0.1:9/hooks", "http://localhost/x", "http://[::1]:8080/", "https://platform.example/h"):
        outbox.check_url(url)
    with pytest.raises(outbox.OutboxError, match="user name or password"):
        outbox.check_url("https://me:pw@platform.example/")
    # Edited into settings.json by hand, it is refused when sending too: nothing leaves, rows wait.
    tune(root, outbox_url="http://platform.example/hooks")
    (key,) = put(root)
    done = outbox.deliver_due(root)
    assert done.attempted == 0 and "plain http:// is allowed just to this machine" in done.problem
    assert rows(root)[key]["status"] == "pending" and rows(root)[key]["attempts"] == 0


@pytest.mark.usefixtures("store_backend")
def test_without_an_endpoint_decisions_wait_in_the_outbox(tmp_path):
    root = tmp_path / "data"
    (key,) = put(root)
    done = outbox.deliver_due(root)
    assert done.attempted == 0 and done.problem == outbox.NOT_CONFIGURED
    assert rows(root)[key]["status"] == "pending"
    view = outbox.deliveries(root, ADMIN)
    assert view.problem == outbox.NOT_CONFIGURED and view.counts["pending"] == 1 and not view.has_secret
    with pytest.raises(outbox.OutboxError, match="signing secret"):
        outbox.configure(root, ADMIN, "https://platform.example/hooks", None)
    with pytest.raises(outbox.OutboxError, match="at least 16"):
        outbox.configure(root, ADMIN, "https://platform.example/hooks", "short")


# ----------------------------------------------------------------------------- senders


def test_two_senders_never_send_one_row_at_the_same_time(root, receiver):
    receiver.reset(("slow",))
    keys = put(root, 24)
    results = []
    senders = [threading.Thread(target=lambda: results.append(outbox.deliver_due(root))) for _ in range(2)]
    senders.append(threading.Thread(target=lambda: results.append(td(root, "outbox", "deliver", "--once"))))
    for s in senders:
        s.start()
    for s in senders:
        s.join(300)
    cli = [r for r in results if isinstance(r, subprocess.CompletedProcess)]
    assert cli and cli[0].returncode == 0, cli[0].stderr if cli else results
    seen = [r["key"] for r in receiver.requests()]
    assert sorted(seen) == sorted(keys)  # each exactly once
    assert {r["status"] for r in rows(root).values()} == {"delivered"}
    in_process = [r for r in results if isinstance(r, outbox.Pass)]
    assert sum(p.delivered for p in in_process) + int(cli[0].stdout.split("delivered: ")[1].split(",")[0]) == 24


def test_the_lease_of_a_sender_that_died_is_released_and_a_live_ones_is_kept(root, receiver):
    clock = Clock(utcnow())
    dead, alive = put(root, 2, at=clock.now)
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    host = socket.gethostname()
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            for key, sender in ((dead, f"{host}:{finished.pid}:gone"), (alive, f"{host}:{os.getpid()}:other")):
                con.execute(
                    "UPDATE outbox SET leased_until = ?, leased_by = ? WHERE key = ?",
                    (outbox._stamp(clock.now + timedelta(seconds=outbox.LEASE_SECONDS)), sender, key),
                )
    finally:
        con.close()
    assert outbox.deliver_due(root, clock).delivered == 1
    assert rows(root)[dead]["status"] == "delivered" and rows(root)[alive]["status"] == "pending"
    clock.advance(seconds=outbox.LEASE_SECONDS + 1)
    assert outbox.deliver_due(root, clock).delivered == 1
    assert [r["key"] for r in receiver.requests()] == [dead, alive]


def test_the_delivery_loop_delivers_and_stops_when_told(root, receiver):
    stop = threading.Event()
    loop = threading.Thread(target=outbox.run, args=(root, stop), kwargs={"poll_seconds": 0.05}, daemon=True)
    loop.start()
    try:
        keys = put(root, 3)
        receiver.wait_for(lambda seen: len(seen) >= 3, "three deliveries")
        deadline = time.monotonic() + 60
        while {r["status"] for r in rows(root).values()} != {"delivered"} and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        loop.join(60)
    assert not loop.is_alive()
    assert {k: r["status"] for k, r in rows(root).items()} == dict.fromkeys(keys, "delivered")


# ----------------------------------------------------------------------------- roles, secrets, command line


def test_wrong_roles_are_refused_on_the_server_side(root):
    put(root)
    for who in (MOD, ANA, None):
        with pytest.raises(PermissionDenied):
            outbox.deliveries(root, who)
        with pytest.raises(PermissionDenied):
            outbox.retry(root, who, [1])
        with pytest.raises(PermissionDenied):
            outbox.retry_all_failed(root, who)
        with pytest.raises(PermissionDenied):
            outbox.configure(root, who, "https://attacker.example/", "attacker-secret-0123456789")
    assert Settings.load(root).outbox_url.startswith("https://127.0.0.1:")


def test_the_secret_is_never_logged_printed_or_stored_outside_its_place(root_on_sqlite, receiver, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    receiver.reset(("500", "drop", "ok"))
    clock = Clock()
    put(root_on_sqlite, 2, at=clock.now)
    outbox.deliver_due(root_on_sqlite, clock)
    clock.advance(seconds=10)
    outbox.deliver_due(root_on_sqlite, clock)
    other = "cli-secret-from-the-environment-77"
    monkeypatch.setenv(outbox.SECRET_ENV, other)
    said = [td(root_on_sqlite, "outbox", "configure", "--url", receiver.url)]
    assert said[0].returncode == 0, said[0].stderr
    monkeypatch.delenv(outbox.SECRET_ENV)
    said += [td(root_on_sqlite, "outbox", "status"), td(root_on_sqlite, "outbox", "deliver", "--once")]
    refused = td(root_on_sqlite, "outbox", "configure", "--url", receiver.url, "--secret", other)
    assert refused.returncode == 2  # there is no such option: a secret never goes on a command line
    text = caplog.text + "".join(r.stdout + r.stderr for r in said)
    con = appdb.connect(root_on_sqlite)
    try:
        stored = [
            str(tuple(r))
            for table in ("outbox", "auth_audit", "moderation_audit")
            for r in con.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
        ]
        assert bytes(con.execute("SELECT value FROM secrets WHERE name = ?", (outbox.SECRET_NAME,)).fetchone()[0]) == (
            other.encode()
        )
    finally:
        con.close()
    for secret in (SECRET, other):
        assert secret not in text and not any(secret in s for s in stored)
    assert "delivery endpoint configured" in " ".join(stored)
    assert "retried later" in caplog.text  # the failures were logged, without the secret


def test_the_command_line(root_on_sqlite, receiver):
    receiver.reset(("400",))
    put(root_on_sqlite, 2)
    out = td(root_on_sqlite, "outbox", "status")
    assert out.returncode == 0 and "pending: 2 (oldest waiting" in out.stdout and "signing secret set" in out.stdout
    out = td(root_on_sqlite, "outbox", "deliver", "--once")
    assert out.returncode == 0 and "failed: 2" in out.stdout, out.stderr
    assert "failed: 2" in td(root_on_sqlite, "outbox", "status").stdout
    receiver.reset(("ok",))
    out = td(root_on_sqlite, "outbox", "retry", "1")
    assert out.returncode == 0 and "retrying 1 delivery: 1" in out.stdout
    out = td(root_on_sqlite, "outbox", "retry", "--all-failed")
    assert out.returncode == 0 and "retrying 1 delivery: 2" in out.stdout
    assert "no failed deliveries" in td(root_on_sqlite, "outbox", "retry", "--all-failed").stdout
    assert "delivered: 2" in td(root_on_sqlite, "outbox", "deliver", "--once").stdout
    for args, says in (
        (("retry", "99"), "there is no delivery 99"),
        (("retry",), "name the failed deliveries"),
        (("retry", "1"), "delivery 1 is delivered, not failed"),
        (("configure", "--url", "http://platform.example/"), "https:// only"),
    ):
        out = td(root_on_sqlite, "outbox", *args)
        assert out.returncode == 1 and out.stderr.startswith("trustdesk: ") and says in out.stderr, (args, out.stderr)
        assert "Traceback" not in out.stderr and out.stderr.count("\n") == 1
    bare = root_on_sqlite.parent / "bare"
    out = td(bare, "outbox", "deliver", "--once")
    assert out.returncode == 1 and "no delivery endpoint is configured" in out.stderr


# ----------------------------------------------------------------------------- through the moderation store


def test_decisions_and_appeal_outcomes_enter_the_outbox_with_the_decision(root, receiver):
    with Store(root) as store:
        first, second = open_cases(store, MOD, 2)
        decision = store.decide(MOD, first, "warn", "spam", "Cold marketing to bought lists.", AS_OF)
        store.appeal(MOD, first, "We had consent.")
        store.decide_appeal(SECOND_MOD, first, True, "Consent records check out.")
        appeal = store.con.execute(
            "SELECT id FROM decisions WHERE case_id = ? AND kind = 'appeal'", (first,)
        ).fetchone()
        with pytest.raises(Conflict):  # refused: nothing is queued
            store.decide(MOD, first, "warn", "spam", "Twice.", AS_OF)
    stored = rows(root)
    assert list(stored) == [f"decision-{decision}", f"appeal-{appeal[0]}"]
    body = json.loads(stored[f"decision-{decision}"]["payload"])
    assert PAYLOAD_KEYS <= set(body) and body["decision_id"] == decision and body["case_id"] == first
    assert body["event"] == "decision" and body["action"] == "warn" and body["decided_by"] == "mona"
    assert json.loads(stored[f"appeal-{appeal[0]}"]["payload"])["event"] == "appeal"
    assert outbox.deliver_due(root).delivered == 2
    assert [(r["key"], r["body"]) for r in receiver.requests()] == [
        (k, r["payload"].encode()) for k, r in stored.items()
    ]
    assert second not in {json.loads(r["payload"])["case_id"] for r in stored.values()}


# ----------------------------------------------------------------------------- the Deliveries page


def test_the_deliveries_page_shows_failures_retries_them_and_keeps_the_secret(root_on_sqlite, receiver, monkeypatch):
    receiver.reset(("400",))
    put(root_on_sqlite, 2)
    outbox.deliver_due(root_on_sqlite)
    at = open_page("deliveries", root_on_sqlite, monkeypatch, who=("ada", "admin"))
    assert [m.value for m in at.metric] == ["0", "2", "0", "none"]
    shown = at.dataframe[0].value
    assert set(shown["status"]) == {"failed"} and all("HTTP 400" in e for e in shown["last_error"])
    at.multiselect(key="retry_ids").set_value([1])
    next(b for b in at.button if b.label == "Retry selected").click()
    at.run()
    assert not at.exception and "1 delivery back in the queue" in at.success[0].value
    assert rows(root_on_sqlite)["decision-1"]["status"] == "pending"
    next(b for b in at.button if b.label.startswith("Retry all failed")).click()
    at.run()
    assert rows(root_on_sqlite)["decision-2"]["status"] == "pending"
    with Store(root_on_sqlite) as store:
        assert store.audit_log(ADMIN, event="delivery retried").height == 2

    new_secret = "page-secret-0123456789abcdef"
    at.text_input(key="endpoint_secret").input(new_secret)
    next(b for b in at.button if b.label == "Save endpoint").click()
    at.run()
    assert not at.exception and "Endpoint saved" in at.success[0].value
    assert at.text_input(key="endpoint_secret").value == ""
    assert new_secret not in str([e.value for e in at.text_input]) + str([m.value for m in at.markdown])

    at.text_input(key="endpoint_url").input("http://platform.example/")
    next(b for b in at.button if b.label == "Save endpoint").click()
    at.run()
    assert "https:// only" in at.error[0].value
    assert Settings.load(root_on_sqlite).outbox_url == receiver.url


def test_the_deliveries_page_tells_what_to_do_without_an_endpoint(tmp_path, monkeypatch):
    root = tmp_path / "data"
    Store(root).close()
    at = open_page("deliveries", root, monkeypatch, who=("ada", "admin"))
    assert "No endpoint configured: set one below" in at.warning[0].value
    assert "Nothing to deliver yet" in at.info[0].value
    moderator = open_page("deliveries", root, monkeypatch, who=("mona", "moderator"))
    assert "Refused" in moderator.error[0].value and not moderator.dataframe and not moderator.text_input


# ----------------------------------------------------------------------------- kill -9


def _decide(store: Store, case_id: int, n: int) -> None:
    store.decide(MOD, case_id, "warn", "spam", f"Decision {n}: cold marketing.", AS_OF)


@pytest.mark.slow
def test_no_decision_is_lost_or_changed_across_a_kill_9_of_the_dashboard(root, receiver):
    # The fifth request stalls after the receiver has processed it: the dashboard is killed while
    # it waits for that answer, the worst moment (the platform acted, the outbox does not know).
    receiver.reset(("ok", "500", "ok", "lost", "ok", "drop", "slow"), once={4: "stall"})
    tune(root, outbox_backoff_seconds=0.2, outbox_max_attempts=1000)
    with Store(root) as store:
        cases = open_cases(store, MOD, 36)
        for n, case in enumerate(cases[:12]):
            _decide(store, case, n)
        srv = Server(root)
        try:
            srv.start()
            for n, case in enumerate(cases[12:24], start=12):
                _decide(store, case, n)
            stalled = receiver.wait_for(lambda seen: any(r["action"] == "stall" for r in seen), "the stalled request")
            srv.kill()
            stalled_key = next(r["key"] for r in stalled if r["action"] == "stall")
            assert rows(root)[stalled_key]["status"] == "pending"
            # While the dashboard is down, more decisions and appeal outcomes.
            for n, case in enumerate(cases[24:], start=24):
                _decide(store, case, n)
            for case in cases[:4]:
                store.appeal(MOD, case, "We had consent.")
                store.decide_appeal(SECOND_MOD, case, case % 2 == 0, "Checked the consent records.")
            srv.start()
            deadline = time.monotonic() + 300
            while {r["status"] for r in rows(root).values()} != {"delivered"}:
                assert time.monotonic() < deadline, {k: r["status"] for k, r in rows(root).items()}
                time.sleep(0.2)
        finally:
            srv.kill()
        decisions = store.con.execute("SELECT id, kind FROM decisions").fetchall()
    stored = rows(root)
    assert set(stored) == {f"{kind}-{i}" for i, kind in decisions} and len(stored) == 40  # nothing lost
    seen = receiver.requests()
    assert {r["key"] for r in seen} == set(stored)  # nothing sent that was not decided
    for key, row in stored.items():
        mine = [r for r in seen if r["key"] == key]
        assert any(r["processed"] for r in mine), key  # every decision reached the platform
        assert {r["body"] for r in mine} == {row["payload"].encode()}, key  # a repeat carries the same bytes
        assert all(r["valid"] for r in mine), key
        assert any(r["action"] in ("ok", "slow") for r in mine), key  # delivered only on a whole 200
        assert json.loads(row["payload"])["decision_id"] == int(key.split("-")[1])
    assert sum(r["key"] == stalled_key for r in seen) >= 2  # sent again after the kill, same key
    assert SECRET not in srv.log.read_text()
