"""Decisions reach the platform: an outbox of signed JSON deliveries, sent at least once.

Every decision and appeal outcome is written to the `outbox` table by `enqueue`, inside the
transaction that records the decision (trustdesk/moderation/cases.py): a decision is never recorded
without its delivery, nor a delivery without its decision. A delivery loop (`run`, started by the
dashboard's server; `trustdesk outbox deliver` does the same from the command line) POSTs each row
to the endpoint of the setting `outbox_url` and retries with exponential backoff.

What the endpoint receives::

    POST <outbox_url>
    Content-Type: application/json
    Idempotency-Key: decision-42            (appeal-43 for the outcome of an appeal)
    X-TrustDesk-Timestamp: 1793534400       (unix seconds, when this attempt was sent)
    X-TrustDesk-Signature: sha256=<64 hex digits>

    {"action":"suspend","business_id":"b1","case_id":7,"decided_at":"...","event":"decision",...}

The signature is HMAC-SHA256, keyed with the signing secret (its UTF-8 bytes), of the timestamp as
ASCII digits, a full stop, and the raw body bytes: hex(HMAC(secret, f"{timestamp}.{body}")). A
receiver recomputes it over the bytes it read, before parsing them, compares in constant time
(`hmac.compare_digest`), and should refuse a timestamp more than five minutes from its own clock.

Delivery is at least once. A row's body is serialised once, when the decision is recorded, and
every attempt sends those same bytes under the same Idempotency-Key; only the timestamp and the
signature change. A process killed after the endpoint answered but before the answer was recorded
sends the row again later: a receiver that keeps the keys it has processed answers 2xx to a repeat
and does nothing else. Rows are not promised in order (a retried row arrives after later ones);
`decided_at` orders them.

A whole 2xx answer marks the row delivered. A connection error, a timeout, 408, 429 or 5xx is
retried after outbox_backoff_seconds x 2^(attempts - 1), at most an hour (longer when the endpoint
asks with Retry-After); after outbox_max_attempts the row is failed. Any other answer (a redirect,
a 4xx) fails the row at once: the same body would get the same answer (a 401 says the secret is
wrong). An admin retries failed rows from the Deliveries page or with `trustdesk outbox retry`.

Leases: a sender takes a due row by writing leased_until and its own name in one write
transaction (appdb.transaction), and makes the HTTP call outside any transaction, so two dashboards, or a dashboard and
the command line, never send one row at the same time. The lease of a sender whose process has died
(on this host) is released at once; any other lease lapses after LEASE_SECONDS.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import os
import secrets
import socket
import ssl
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import polars as pl

from etl.settings import Settings
from trustdesk import appdb
from trustdesk.accounts.auth import Clock, Principal, audit, require, utcnow
from trustdesk.moderation import audit as moderation_audit
from trustdesk.moderation.errors import ModerationError

log = logging.getLogger("trustdesk.outbox")

SECRET_NAME = "outbox_hmac"  # the signing secret's row in appdb's `secrets` table
SECRET_ENV = "TRUSTDESK_OUTBOX_SECRET"  # where `trustdesk outbox configure` reads it
MIN_SECRET = 16
TIMEOUT_SECONDS = 10.0  # every socket operation of a delivery (connect, TLS, send, each read)
# Longer than a delivery's few socket operations can take, so a live sender's row is never taken over.
LEASE_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 3600.0
RETRYABLE = (408, 429)
LOOPBACK = ("127.0.0.1", "::1", "localhost")
ERROR_CHARS = 300
RECENT_DELIVERED = 50
WAITING_SHOWN = 500  # pending and failed rows listed at once (the counts cover them all)
STATUSES = ("pending", "delivered", "failed")

NOT_CONFIGURED = (
    "no delivery endpoint is configured: decisions wait in the outbox until an admin sets one "
    "(the Deliveries page, or trustdesk outbox configure --url URL)"
)
NO_SECRET = (
    "the delivery endpoint has no signing secret: decisions wait in the outbox until an admin sets one "
    "(the Deliveries page, or trustdesk outbox configure --url URL)"
)

appdb.register_schema(
    """
-- One row per decision or appeal outcome to deliver to the platform. `payload` is the exact body
-- sent, serialised once; `key` is its Idempotency-Key. A sender holds a row while leased_until is
-- in the future (leased_by: host:pid:token).
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    leased_until TEXT,
    leased_by TEXT,
    last_attempt_at TEXT,
    last_status INTEGER,
    last_error TEXT,
    delivered_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
"""
)


class OutboxError(ModerationError):
    """A refusal or a configuration problem of deliveries: one sentence."""


def _stamp(moment: datetime) -> str:
    """Every outbox moment in one fixed-width form, so that stored text compares as time does."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


# --------------------------------------------------------------------------- writing a row


def serialise(payload: dict) -> str:
    """The body: compact JSON, keys sorted, UTF-8 text as is."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str)


def enqueue(con, key: str, event: str, payload: dict, at: str) -> None:
    """Called by cases.py INSIDE its already-open write transaction: never begin/commit here.
    A key already queued is left as it is. The body is serialised once here and stored, so a retry sends identical bytes."""
    if not con.in_transaction:
        raise RuntimeError("outbox.enqueue runs inside the transaction that records the decision")
    when = _stamp(datetime.fromisoformat(at))
    con.execute(
        "INSERT INTO outbox (key, event, payload, created_at, status, attempts, next_attempt_at) "
        "VALUES (?, ?, ?, ?, 'pending', 0, ?) ON CONFLICT (key) DO NOTHING",
        (key, event, serialise(payload), when, when),
    )


# --------------------------------------------------------------------------- the endpoint


@dataclass(frozen=True)
class Endpoint:
    url: str
    host: str
    port: int | None
    target: str  # path and query
    secure: bool
    secret: bytes = field(repr=False)
    context: ssl.SSLContext | None = field(default=None, repr=False)


def check_url(url: str):
    """The parts of a usable endpoint address; refused with one sentence otherwise."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise OutboxError("the delivery endpoint must be a full https:// address, like https://platform.example/hooks")
    if parts.scheme == "http" and parts.hostname.lower() not in LOOPBACK:
        raise OutboxError(
            "decisions are delivered over https:// only; plain http:// is allowed just to this machine "
            "(127.0.0.1, ::1 or localhost)"
        )
    if parts.username or parts.password:
        raise OutboxError("the endpoint address may not hold a user name or password; the signature proves the sender")
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        raise OutboxError("the endpoint address has a port that is not a number from 0 to 65535") from None
    return parts


def _secret(con) -> bytes | None:
    row = con.execute("SELECT value FROM secrets WHERE name = ?", (SECRET_NAME,)).fetchone()
    return bytes(row[0]) if row else None


def _endpoint(con, settings: Settings) -> Endpoint:
    if not settings.outbox_url:
        raise OutboxError(NOT_CONFIGURED)
    parts = check_url(settings.outbox_url)
    secret = _secret(con)
    if not secret:
        raise OutboxError(NO_SECRET)
    context = None
    if parts.scheme == "https":
        context = ssl.create_default_context()  # the system's certificate authorities
        if settings.outbox_ca_file:
            try:
                context.load_verify_locations(cafile=settings.outbox_ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise OutboxError(
                    f"the outbox_ca_file setting names a file that cannot be read as PEM certificates "
                    f"({getattr(exc, 'strerror', None) or exc})"
                ) from None
    return Endpoint(
        url=settings.outbox_url,
        host=parts.hostname,
        port=parts.port,
        target=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
        secure=parts.scheme == "https",
        secret=secret,
        context=context,
    )


# --------------------------------------------------------------------------- sending one body


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The X-TrustDesk-Signature header's value for this body sent at this timestamp."""
    return "sha256=" + hmac.new(secret, str(timestamp).encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Answer:
    ok: bool
    status: int | None = None
    error: str | None = None
    permanent: bool = False
    retry_after: float | None = None


def _said(raw: bytes) -> str:
    text = " ".join(raw[:2000].decode("utf-8", "replace").split())
    return text[:200] + ("..." if len(text) > 200 else "")


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: the backoff applies


def _classify(status: int, reason: str, raw: bytes, retry_after: str | None) -> Answer:
    said = _said(raw)
    head = f"HTTP {status} {reason}".strip() + (f": {said}" if said else "")
    if 200 <= status < 300:
        return Answer(True, status)
    if status in RETRYABLE or status >= 500:
        return Answer(False, status, head, retry_after=_retry_after(retry_after))
    if 300 <= status < 400:
        why = "a redirect, which deliveries do not follow: set outbox_url to the final address, then retry"
    else:
        why = "not retried: the endpoint refused this delivery and would refuse the same body again; fix the cause, then retry"
    return Answer(False, status, f"{head} ({why})", permanent=True)


def _failure(exc: Exception) -> str:  # noqa: C901 - one sentence per way a connection fails
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"the endpoint's certificate is not trusted ({exc.verify_message or exc.reason}); "
            "for a private certificate authority, set outbox_ca_file"
        )
    if isinstance(exc, ssl.SSLError):
        return f"the TLS handshake with the endpoint failed ({exc.reason or exc})"
    if isinstance(exc, TimeoutError):
        return f"the endpoint did not answer within {TIMEOUT_SECONDS:g} s"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the endpoint closed the connection without answering"
    if isinstance(exc, http.client.IncompleteRead):
        return "the endpoint closed the connection in the middle of its answer"
    if isinstance(exc, ConnectionRefusedError):
        return "the endpoint refused the connection (is anything listening at that address?)"
    if isinstance(exc, ConnectionError):
        return f"the connection to the endpoint broke ({exc.strerror or exc.__class__.__name__})"
    if isinstance(exc, socket.gaierror):
        return f"the endpoint's host name could not be resolved ({exc.strerror})"
    if isinstance(exc, http.client.HTTPException):
        return f"the endpoint's answer was not HTTP ({exc.__class__.__name__})"
    return f"could not reach the endpoint ({getattr(exc, 'strerror', None) or exc})"


def send(ep: Endpoint, key: str, body: str, clock: Clock = utcnow) -> Answer:
    """POST one stored body, signed; the endpoint's answer (never raises for network trouble)."""
    data = body.encode("utf-8")
    timestamp = int(clock().timestamp())
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": key,
        "X-TrustDesk-Timestamp": str(timestamp),
        "X-TrustDesk-Signature": sign(ep.secret, timestamp, data),
        "User-Agent": "TrustDesk-outbox/1",
    }
    if ep.secure:
        conn = http.client.HTTPSConnection(ep.host, ep.port, timeout=TIMEOUT_SECONDS, context=ep.context)
    else:
        conn = http.client.HTTPConnection(ep.host, ep.port, timeout=TIMEOUT_SECONDS)
    try:
        conn.request("POST", ep.target, body=data, headers=headers)
        response = conn.getresponse()
        # The whole answer, so that a connection cut in the middle of a 200 counts as no answer.
        raw = response.read()
        return _classify(response.status, response.reason, raw, response.getheader("Retry-After"))
    except (OSError, http.client.HTTPException) as exc:
        return Answer(False, None, _failure(exc))
    finally:
        conn.close()


def backoff(attempts: int, base_seconds: float) -> float:
    """Seconds to wait after the attempts-th failed attempt: base, 2 x base, 4 x base ... at most an hour."""
    return min(MAX_BACKOFF_SECONDS, base_seconds * 2 ** max(0, min(attempts - 1, 40)))


# --------------------------------------------------------------------------- leases


def _sender() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _gone(sender: str | None, host: str) -> bool:
    """True when `sender` was a process on this host that no longer runs (so it sends nothing)."""
    where, _, _token = (sender or "").rpartition(":")
    where, _, pid = where.rpartition(":")
    if os.name != "posix" or where != host or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists, under another user
        return False
    return False


def _release_orphans(con, now: str) -> None:
    held = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT leased_by FROM outbox WHERE status = 'pending' AND leased_until > ?", (now,)
        )
    ]
    host = socket.gethostname()
    dead = [s for s in held if _gone(s, host)]
    if dead:
        with appdb.transaction(con):
            con.executemany(
                "UPDATE outbox SET leased_until = NULL, leased_by = NULL WHERE leased_by = ? AND status = 'pending'",
                [(s,) for s in dead],
            )
        log.info("released the deliveries held by %d senders that stopped", len(dead))


def _take(con, sender: str, now: datetime, after_id: int):
    """The next due row after `after_id`, leased to `sender`; None when none is due."""
    at = _stamp(now)
    with appdb.transaction(con):
        row = con.execute(
            "SELECT id, key, payload, attempts FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? "
            "AND (leased_until IS NULL OR leased_until <= ?) AND id > ? ORDER BY id LIMIT 1",
            (at, at, after_id),
        ).fetchone()
        if row is not None:
            con.execute(
                "UPDATE outbox SET leased_until = ?, leased_by = ? WHERE id = ?",
                (_stamp(now + timedelta(seconds=LEASE_SECONDS)), sender, row["id"]),
            )
    return row


def _record(con, row_id: int, sender: str, answer: Answer, now: datetime, settings: Settings):
    """Write what the attempt came to: 'delivered', 'retrying', 'failed', or 'superseded' when another
    sender or an admin has dealt with the row meanwhile (their record stands)."""
    at = _stamp(now)
    with appdb.transaction(con):
        row = con.execute("SELECT status, attempts, leased_by FROM outbox WHERE id = ?", (row_id,)).fetchone()
        attempts = row["attempts"] + 1
        if answer.ok:
            # Delivered is the truth whoever holds the row now.
            con.execute(
                "UPDATE outbox SET status = 'delivered', attempts = ?, delivered_at = coalesce(delivered_at, ?), "
                "last_attempt_at = ?, last_status = ?, leased_until = NULL, leased_by = NULL WHERE id = ?",
                (attempts, at, at, answer.status, row_id),
            )
            return "delivered", attempts
        if row["status"] != "pending" or row["leased_by"] != sender:
            return "superseded", attempts
        error = (answer.error or "failed")[:ERROR_CHARS]
        if answer.permanent or attempts >= settings.outbox_max_attempts:
            con.execute(
                "UPDATE outbox SET status = 'failed', attempts = ?, last_attempt_at = ?, last_status = ?, "
                "last_error = ?, leased_until = NULL, leased_by = NULL WHERE id = ?",
                (attempts, at, answer.status, error, row_id),
            )
            return "failed", attempts
        wait = backoff(attempts, settings.outbox_backoff_seconds)
        if answer.retry_after is not None:
            wait = min(MAX_BACKOFF_SECONDS, max(wait, answer.retry_after))
        con.execute(
            "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_attempt_at = ?, last_status = ?, "
            "last_error = ?, leased_until = NULL, leased_by = NULL WHERE id = ?",
            (attempts, _stamp(now + timedelta(seconds=wait)), at, answer.status, error, row_id),
        )
        return "retrying", attempts


# --------------------------------------------------------------------------- delivering


@dataclass
class Pass:
    """What one pass over the due rows did; `problem` says why it sent nothing."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    problem: str | None = None

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.failed


def deliver_due(
    root: Path,
    clock: Clock = utcnow,
    stop: threading.Event | None = None,
    sender: str | None = None,
    limit: int | None = None,
) -> Pass:
    """Send every row due now, once each, one at a time; returns what came of it."""
    sender = sender or _sender()
    settings = Settings.load(root)
    done = Pass()
    con = appdb.connect(root)
    try:
        try:
            ep = _endpoint(con, settings)
        except OutboxError as exc:
            done.problem = str(exc)
            return done
        _release_orphans(con, _stamp(clock()))
        after = 0
        while not (stop is not None and stop.is_set()) and (limit is None or done.attempted < limit):
            row = _take(con, sender, clock(), after)
            if row is None:
                break
            after = row["id"]
            answer = send(ep, row["key"], row["payload"], clock)
            outcome, attempts = _record(con, row["id"], sender, answer, clock(), settings)
            if outcome == "delivered":
                done.delivered += 1
                log.info("delivered %s (attempt %d)", row["key"], attempts)
            elif outcome == "superseded":
                log.info("delivery %s was settled by another sender meanwhile", row["key"])
            else:
                setattr(done, outcome, getattr(done, outcome) + 1)
                log.warning(
                    "delivery %s attempt %d %s: %s",
                    row["key"],
                    attempts,
                    "failed for good" if outcome == "failed" else "failed, retried later",
                    answer.error,
                )
    finally:
        con.close()
    return done


def run(root: Path, stop: threading.Event, clock: Clock = utcnow, poll_seconds: float = 1.0) -> None:
    """Deliver due rows until `stop` is set; with no endpoint configured, wait (rows stay pending)."""
    sender = _sender()
    said = None
    while not stop.is_set():
        try:
            done = deliver_due(root, clock, stop=stop, sender=sender)
        except Exception as exc:  # noqa: BLE001 - a bad moment (a locked file, a full disk) must not end deliveries
            done = Pass(problem=f"the delivery loop failed ({exc}); it tries again")
            if done.problem != said:  # once, with the traceback, not every second
                log.exception("the delivery loop failed; it tries again")
                said = done.problem
        if done.problem != said:
            if done.problem:
                # No endpoint at all is a choice (decisions wait); anything else wants fixing.
                level = logging.INFO if done.problem == NOT_CONFIGURED else logging.WARNING
                log.log(level, "deliveries wait: %s", done.problem)
            said = done.problem
        if not done.attempted:
            stop.wait(poll_seconds)


def start(root: Path, poll_seconds: float = 1.0) -> tuple[threading.Thread, threading.Event]:
    """The delivery loop in a daemon thread; set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run, args=(root, stop), kwargs={"poll_seconds": poll_seconds}, name="trustdesk-outbox", daemon=True
    )
    thread.start()
    return thread, stop


# --------------------------------------------------------------------------- admin


def configure(root: Path, who: Principal, url: str, secret: str | None, clock: Clock = utcnow) -> None:
    """Set the endpoint (the setting outbox_url) and, when given, the signing secret; None keeps the
    secret already stored. The secret is never shown back nor written to a log."""
    who = require(who, "admin", "configure the delivery endpoint")
    url = (url or "").strip()
    check_url(url)
    if secret is not None and secret != "":
        if len(secret) < MIN_SECRET:
            raise OutboxError(f"a signing secret needs at least {MIN_SECRET} characters")
        if secret.strip() != secret:
            raise OutboxError("the signing secret starts or ends with white space; copy it again without it")
    settings = Settings.load(root)
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            if secret:
                con.execute(
                    "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    (SECRET_NAME, secret.encode("utf-8")),
                )
            elif _secret(con) is None:
                raise OutboxError("give the endpoint a signing secret: the receiver checks every delivery with it")
            settings.outbox_url = url
            settings.save(root)
            audit(
                con,
                "delivery endpoint configured",
                None,
                who.name,
                url + (" with a new signing secret" if secret else ""),
                clock,
            )
    finally:
        con.close()


@dataclass
class Deliveries:
    """What the Deliveries page and `trustdesk outbox status` show."""

    endpoint: str
    has_secret: bool
    problem: str | None
    counts: dict[str, int]
    oldest_pending_at: datetime | None
    waiting: pl.DataFrame  # pending and failed rows, failed first (at most WAITING_SHOWN)
    delivered: pl.DataFrame  # the most recent deliveries

    def oldest_pending_hours(self, now: datetime) -> float | None:
        if self.oldest_pending_at is None:
            return None
        return max(0.0, (now - self.oldest_pending_at).total_seconds() / 3600)


MOMENT = pl.Datetime("ms", "UTC")
WAITING_SCHEMA = {
    "id": pl.Int64,
    "status": pl.String,
    "key": pl.String,
    "event": pl.String,
    "business_id": pl.String,
    "case_id": pl.Int64,
    "attempts": pl.Int64,
    "last_error": pl.String,
    "next_attempt_at": MOMENT,
    "last_attempt_at": MOMENT,
    "created_at": MOMENT,
}
DELIVERED_SCHEMA = {
    "id": pl.Int64,
    "key": pl.String,
    "event": pl.String,
    "business_id": pl.String,
    "case_id": pl.Int64,
    "attempts": pl.Int64,
    "created_at": MOMENT,
    "delivered_at": MOMENT,
}


def _subject(payload: str) -> tuple[str | None, int | None]:
    try:
        body = json.loads(payload)
    except ValueError:
        return None, None
    case = body.get("case_id")
    return body.get("business_id"), case if isinstance(case, int) else None


def _row(r, schema: dict) -> dict:
    business, case = _subject(r["payload"])
    out = {"business_id": business, "case_id": case}
    for name, kind in schema.items():
        if name not in out:
            out[name] = appdb.moment(r[name]) if kind == MOMENT else r[name]
    return out


def deliveries(root: Path, who: Principal, recent: int = RECENT_DELIVERED) -> Deliveries:
    require(who, "admin", "see deliveries to the platform")
    settings = Settings.load(root)
    con = appdb.connect(root)
    try:
        try:
            _endpoint(con, settings)
            problem = None
        except OutboxError as exc:
            problem = str(exc)
        counts = dict.fromkeys(STATUSES, 0)
        counts.update(dict(con.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall()))
        oldest = con.execute("SELECT min(created_at) FROM outbox WHERE status = 'pending'").fetchone()[0]
        waiting = con.execute(
            "SELECT * FROM outbox WHERE status IN ('failed', 'pending') "
            "ORDER BY status = 'pending', next_attempt_at, id LIMIT ?",
            (WAITING_SHOWN,),
        ).fetchall()
        done = con.execute(
            "SELECT * FROM outbox WHERE status = 'delivered' ORDER BY delivered_at DESC, id DESC LIMIT ?", (recent,)
        ).fetchall()
        has_secret = _secret(con) is not None
    finally:
        con.close()
    rows = [_row(r, WAITING_SCHEMA) for r in waiting]
    for r in rows:
        if r["status"] == "failed":
            r["next_attempt_at"] = None  # a failed row waits for an admin, not a time
    return Deliveries(
        endpoint=settings.outbox_url,
        has_secret=has_secret,
        problem=problem,
        counts=counts,
        oldest_pending_at=appdb.moment(oldest),
        waiting=pl.DataFrame(rows, schema=WAITING_SCHEMA),
        delivered=pl.DataFrame([_row(r, DELIVERED_SCHEMA) for r in done], schema=DELIVERED_SCHEMA),
    )


def retry(root: Path, who: Principal, ids: list[int], clock: Clock = utcnow) -> list[int]:
    """Failed deliveries `ids` back to pending, due now, with a fresh round of attempts; each is
    written to the moderation audit log. Refused (and nothing changed) when one is not failed."""
    who = require(who, "admin", "retry deliveries")
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        raise OutboxError("choose the failed deliveries to retry")
    return _retry(root, who, wanted, clock)


def retry_all_failed(root: Path, who: Principal, clock: Clock = utcnow) -> list[int]:
    """Every failed delivery back to pending; [] when there is none."""
    who = require(who, "admin", "retry deliveries")
    return _retry(root, who, None, clock)


def _retry(root: Path, who: Principal, ids: list[int] | None, clock: Clock) -> list[int]:
    now = clock()
    con = appdb.connect(root)
    try:
        with appdb.transaction(con):
            if ids is None:
                rows = con.execute("SELECT * FROM outbox WHERE status = 'failed' ORDER BY id").fetchall()
            else:
                marks = ", ".join("?" for _ in ids)
                rows = con.execute(f"SELECT * FROM outbox WHERE id IN ({marks}) ORDER BY id", ids).fetchall()
                found = {r["id"]: r for r in rows}
                for i in ids:
                    if i not in found:
                        raise OutboxError(f"there is no delivery {i}")
                    if found[i]["status"] != "failed":
                        raise OutboxError(
                            f"delivery {i} is {found[i]['status']}, not failed; only failed deliveries are retried"
                        )
            for r in rows:
                con.execute(
                    "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, leased_until = NULL, "
                    "leased_by = NULL WHERE id = ? AND status = 'failed'",
                    (_stamp(now), r["id"]),
                )
                business, case = _subject(r["payload"])
                moderation_audit.record(
                    con,
                    now.isoformat(timespec="seconds"),
                    who.name,
                    "delivery retried",
                    case,
                    business,
                    f"{r['key']} after {r['attempts']} attempts; last error: {r['last_error'] or '-'}"[:500],
                )
    finally:
        con.close()
    return [r["id"] for r in rows]
